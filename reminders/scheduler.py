"""The reminder tick: plan what is due, write it to the outbox; APScheduler wakes it.

The outbox table is the source of truth: each (task, occurrence, step, chat) is a unique key,
so a tick can run any number of times (every minute, twice after a restart, on two replicas)
and a missed tick (downtime) is made up by the next one, within the planner's look-back.
Delivery is bot/delivery.py's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from locales import translator
from reminders.addressing import mentions, person_targets
from reminders.briefing import BriefingJob
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, Clock
from reminders.planner import Due, PlanTask, deadline_horizon, plan
from reminders.policy import policy_from
from reminders.wording import ReminderText, reminder
from store.keys import addressed
from store.leases import TICK, TICK_TTL, Leases, singleton
from store.outbox import OutboxItem, OutboxStore
from store.plan_source import load_plan_tasks
from store.records import ChatRec, PersonRec, TaskRec
from store.repo import Repo
from store.tasks import TaskStore

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=7)  # the longest downtime made up for
TICK_OVERLAP = timedelta(minutes=2)  # a tick also looks this far behind the previous one
PREVIOUS_SLOT_REACH = 60  # days back to look for a working day (longer than any holiday)
JUST_AFTER = timedelta(microseconds=1)  # a window starts just after the previous slot
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a preview's "loaded in time"


@dataclass(frozen=True)
class Planned:
    """One message a tick would send: for `chiso reminders plan` and for the outbox."""

    key: str
    channel: str
    chat_id: str
    task_number: int
    step: str
    text: str
    payload: dict[str, Any]
    ward_id: int
    slot: datetime
    task_id: int = 0
    snoozed: bool = False
    superseded: bool = False  # an older step of the same task and chat in the same tick


class ReminderScheduler:
    def __init__(
        self,
        repo: Repo,
        tasks: TaskStore,
        outbox: OutboxStore,
        clock: Clock,
        calendar: WorkCalendar,
        on_outbox: Callable[[], None] | None = None,
        channels: Collection[str] | None = None,
        leases: Leases | None = None,
        briefings: bool = False,
    ):
        """`channels`: the channels this process sends on (None: every channel); a person
        is reached in private only on those. `leases`: the scheduled tick runs only in the
        replica holding the "tick" lease (store/leases.py), which keeps it between ticks."""
        self.repo, self.tasks, self.outbox = repo, tasks, outbox
        self.clock, self.calendar, self.on_outbox = clock, calendar, on_outbox
        self.channels = frozenset(channels) if channels is not None else None
        self.leases = leases
        # the weekly briefing's rows are written by the same tick (reminders/briefing.py)
        self.briefings = (
            BriefingJob(repo, outbox, clock, calendar, self.channels) if briefings else None
        )
        self._scheduler: AsyncIOScheduler | None = None
        self._last_tick: datetime | None = None

    async def due(
        self, at: datetime, lookback: timedelta = LOOKBACK, *, preview: bool = False
    ) -> list[Planned]:
        """Every message whose slot is in [at - lookback, at] (nothing is written).

        `preview` (`chiso reminders plan --at`): as if it were that moment. The window is the
        one the tick at `at` would have: since the previous office slot of the ward (a
        Saturday or a 12:00 plan lists nothing, a Monday 07:30 plan lists Monday's steps);
        and tasks loaded (or rescheduled) after the window began are planned as if they had
        been loaded long before, so a ward can preview its season.
        """
        wards = {w.id: w for w in await self.repo.wards()}
        policies = {w.id: policy_from(w.reminder_policy) for w in wards.values()}
        lookbacks = {
            ward_id: self._since_previous_slot(p.office_time, at) if preview else lookback
            for ward_id, p in policies.items()
        }
        if not any(
            self._slot_in(p.office_time, at, lookbacks[ward_id]) for ward_id, p in policies.items()
        ):
            return []  # most ticks: no working-day office time in the window
        async with self.repo.sessions() as s:
            horizon = max(
                (deadline_horizon(p, self.calendar, at) for p in policies.values()),
                default=None,
            )
            tasks = await load_plan_tasks(s, deadline_before=horizon)
        by_ward: dict[int, list[PlanTask]] = {}
        for t in tasks:
            by_ward.setdefault(t.ward_id or 0, []).append(t)
        dues: list[Due] = []
        for ward_id, ward_tasks in by_ward.items():
            if ward_id not in policies:
                continue
            window = lookbacks[ward_id]
            if preview:
                start = at - window
                ward_tasks = [
                    replace(t, created_at=LONG_AGO) if t.created_at >= start else t
                    for t in ward_tasks
                ]
            dues += plan(ward_tasks, policies[ward_id], self.calendar, at, lookback=window)
        if not dues:
            return []
        recs = await self.tasks.by_ids(sorted({d.task_id for d in dues}))
        snoozed = await self.tasks.snoozed(sorted(recs), (at - max(lookbacks.values())).date())
        # every ward's chats and people at once (ward by ward: minutes for 3,321 wards)
        ward_ids = {t.ward_id for t in recs.values()}
        chats: dict[int, list[ChatRec]] = await self.repo.chats_of_wards(ward_ids)
        people: dict[int, list[PersonRec]] = await self.repo.people_of_wards(ward_ids)
        result: list[Planned] = []
        _ = translator("vi")
        for due in dues:
            task = recs.get(due.task_id)
            if task is None:
                continue
            chats.setdefault(task.ward_id, [])  # a ward with no chat or no people
            people.setdefault(task.ward_id, [])
            resume = snoozed.get(task.id)
            # a snooze quiets the department's own steps up to the day it asked for (that day
            # brings the snooze's own reminder); never the leadership's escalation or "missed"
            is_snoozed = (
                resume is not None and due.audience == "department" and due.slot.date() <= resume
            )
            worded: dict[str, ReminderText] = {}  # the text differs by channel only
            for channel, chat_id in self._targets(
                due, task, chats[task.ward_id], people[task.ward_id]
            ):
                message = worded.get(channel)
                if message is None:
                    message = worded[channel] = reminder(
                        due, task, _, self._mentions(channel, task, people[task.ward_id])
                    )
                result.append(
                    Planned(
                        key=addressed(due.key, channel, chat_id),
                        channel=channel,
                        chat_id=chat_id,
                        task_number=task.number,
                        step=due.step,
                        text=message.text,
                        payload=message.payload(),
                        ward_id=task.ward_id,
                        slot=due.slot,
                        task_id=task.id,
                        snoozed=is_snoozed,
                    )
                )
        # After downtime a task's chat gets only its newest step: the older ones are kept
        # as skipped, so a stale "3 days left" never arrives after "due today".
        newest: dict[tuple[int, str, str], datetime] = {}
        for p in result:
            chat = (p.task_id, p.channel, p.chat_id)
            newest[chat] = max(newest.get(chat, p.slot), p.slot)
        return [  # a copy only of the few superseded ones (100,000 messages at 07:30)
            replace(p, superseded=True) if p.slot < newest[(p.task_id, p.channel, p.chat_id)] else p
            for p in result
        ]

    def _slot_in(self, office: time, at: datetime, lookback: timedelta) -> bool:
        local = at.astimezone(VN_TZ)
        day = (local - lookback).date()
        while day <= local.date():
            slot = datetime.combine(day, office, tzinfo=local.tzinfo)
            if local - lookback <= slot <= local and self.calendar.is_working_day(day):
                return True
            day += timedelta(days=1)
        return False

    def _since_previous_slot(self, office: time, at: datetime) -> timedelta:
        """The look-back of the tick at `at`: back to just after the previous office slot
        (the latest working-day slot before `at`)."""
        local = at.astimezone(VN_TZ)
        day = local.date()
        for _ in range(PREVIOUS_SLOT_REACH):
            slot = datetime.combine(day, office, tzinfo=local.tzinfo)
            if slot < local and self.calendar.is_working_day(day):
                return local - slot - JUST_AFTER
            day -= timedelta(days=1)
        return LOOKBACK

    def _mentions(self, channel: str, task: TaskRec, people: list[PersonRec]) -> str:
        """The members of the task's lead departments, mentioned where the channel can."""
        leads = {u.department for u in task.leads if u.department}
        return mentions((p for p in people if leads & set(p.departments)), channel)

    def _targets(
        self, due: Due, task: TaskRec, chats: list[ChatRec], people: list[PersonRec]
    ) -> list[tuple[str, str]]:
        """The department chats of the task's departments; escalations and missed recurring
        reports go to the leadership chats and to the chairman in private, on every channel
        the chairman has, instead (the department gets its own overdue step that day)."""
        targets: list[tuple[str, str]] = []
        departments = set(task.departments)
        if due.audience != "leadership":  # the department has its own overdue step that day
            for chat in chats:
                if chat.kind == "department" and chat.department in departments:
                    targets.append((chat.channel, chat.chat_id))
        if due.audience == "leadership":
            for chat in chats:
                if chat.kind == "leadership":
                    targets.append((chat.channel, chat.chat_id))
            for person in people:
                if person.role == "chairman":
                    targets += person_targets(person, self.channels)
        if self.channels is not None:
            targets = [t for t in targets if t[0] in self.channels]
        return list(dict.fromkeys(targets))

    async def tick(self) -> int:
        """Plans and writes the due reminders; returns how many new outbox rows it wrote.

        The first tick of a process looks back 7 days (making up for downtime; the outbox
        keys drop what was already written), later ones only since the previous tick. After
        downtime a task's chat gets only its newest step: older ones planned in the same tick
        are recorded as skipped, and so are older ones still waiting in the outbox (the
        delivery was down), so a stale "9 days left" never arrives after "5 days left".
        """
        now = self.clock.now()
        lookback = LOOKBACK
        if self._last_tick is not None:
            lookback = min(LOOKBACK, max(now - self._last_tick, timedelta(0)) + TICK_OVERLAP)
        planned = await self.due(now, lookback)
        send: list[OutboxItem] = []
        skip: list[OutboxItem] = []
        newest: dict[tuple[int, str, str], set[str]] = {}
        for p in planned:
            item = OutboxItem(
                key=p.key,
                channel=p.channel,
                chat_id=p.chat_id,
                payload=p.payload,
                ward_id=p.ward_id,
                lane="reminder",
            )
            if p.snoozed or p.superseded:
                skip.append(item)
            else:
                send.append(item)
                newest.setdefault((p.task_id, p.channel, p.chat_id), set()).add(p.key)
        # the older steps still waiting go first, so the delivery never sends them after
        await self.outbox.supersede_older(newest, now)
        added = await self.outbox.enqueue(send, now)
        await self.outbox.enqueue(skip, now, status="skipped")
        if self.briefings is not None:
            added += await self.briefings.run_safely(now)
        self._last_tick = now
        if added:
            log.info("reminders: %d new at %s", added, now.isoformat(timespec="minutes"))
            if self.on_outbox:
                self.on_outbox()
        return added

    async def _safe_tick(self) -> None:
        try:
            if self.leases is None:
                await self.tick()
                return
            async with singleton(self.leases, TICK, TICK_TTL, keep=True) as leader:
                if leader:  # else another replica ticks
                    await self.tick()
        except Exception:
            log.exception("reminder tick failed; the next tick catches up")

    async def release(self) -> None:
        """Lets the tick's lease go (a graceful stop): another replica ticks next minute."""
        if self.leases is not None:
            await self.leases.release(TICK)

    def start(self) -> None:
        """A tick now (catching up after downtime) and then every minute."""
        scheduler = AsyncIOScheduler(timezone="Asia/Ho_Chi_Minh")
        scheduler.add_job(
            self._safe_tick,
            "interval",
            minutes=1,
            id="reminder-tick",
            next_run_time=datetime.now(self.clock.now().tzinfo),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
