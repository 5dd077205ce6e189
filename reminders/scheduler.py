"""The reminder tick: plan what is due, write it to the outbox; APScheduler wakes it.

The outbox table is the source of truth: each (task, occurrence, step, chat) is a unique key,
so a tick can run any number of times (every minute, twice after a restart, on two replicas)
and a missed tick (downtime) is made up by the next one, within the planner's look-back.
Delivery is bot/delivery.py's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.reminders import reminder
from locales import translator
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, Clock
from reminders.planner import Due, deadline_horizon, plan
from reminders.planner_source import load_plan_tasks
from reminders.policy import policy_from
from store.keys import addressed
from store.outbox import OutboxItem, OutboxStore
from store.records import ChatRec, TaskRec
from store.repo import Repo
from store.tasks import TaskStore

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=7)  # the longest downtime made up for
TICK_OVERLAP = timedelta(minutes=2)  # a tick also looks this far behind the previous one


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
    ):
        self.repo, self.tasks, self.outbox = repo, tasks, outbox
        self.clock, self.calendar, self.on_outbox = clock, calendar, on_outbox
        self._scheduler: AsyncIOScheduler | None = None
        self._last_tick: datetime | None = None

    async def due(self, at: datetime, lookback: timedelta = LOOKBACK) -> list[Planned]:
        """Every message whose slot is in [at - lookback, at] (nothing is written)."""
        wards = {w.id: w for w in await self.repo.wards()}
        policies = {w.id: policy_from(w.reminder_policy) for w in wards.values()}
        if not any(self._slot_in(p.office_time, at, lookback) for p in policies.values()):
            return []  # most ticks: no working-day office time in the window
        async with self.repo.sessions() as s:
            horizon = max(
                (deadline_horizon(p, self.calendar, at) for p in policies.values()),
                default=None,
            )
            tasks = await load_plan_tasks(s, deadline_before=horizon)
        by_ward: dict[int, list[Any]] = {}
        for t in tasks:
            by_ward.setdefault(t.ward_id or 0, []).append(t)
        dues: list[Due] = []
        for ward_id, ward_tasks in by_ward.items():
            if ward_id in policies:
                dues += plan(ward_tasks, policies[ward_id], self.calendar, at, lookback=lookback)
        if not dues:
            return []
        recs = await self.tasks.by_ids(sorted({d.task_id for d in dues}))
        snoozed = await self.tasks.snoozed(sorted(recs), (at - lookback).date())
        chats: dict[int, list[ChatRec]] = {}
        people: dict[int, list[Any]] = {}
        result: list[Planned] = []
        for due in dues:
            task = recs.get(due.task_id)
            if task is None:
                continue
            if task.ward_id not in chats:
                chats[task.ward_id] = await self.repo.ward_chats(task.ward_id)
                people[task.ward_id] = await self.repo.people(task.ward_id)
            resume = snoozed.get(task.id)
            # a snooze quiets the department's own steps up to the day it asked for (that day
            # brings the snooze's own reminder); never the leadership's escalation or "missed"
            is_snoozed = (
                resume is not None and due.audience == "department" and due.slot.date() <= resume
            )
            for channel, chat_id in self._targets(
                due, task, chats[task.ward_id], people[task.ward_id]
            ):
                _ = translator("vi")
                reply = reminder(due, task, _, self._mentions(channel, task, people[task.ward_id]))
                result.append(
                    Planned(
                        key=addressed(due.key, channel, chat_id),
                        channel=channel,
                        chat_id=chat_id,
                        task_number=task.number,
                        step=due.step,
                        text=reply.text,
                        payload={
                            "text": reply.text,
                            "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
                        },
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
        return [
            replace(p, superseded=p.slot < newest[(p.task_id, p.channel, p.chat_id)])
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

    @staticmethod
    def _mentions(channel: str, task: TaskRec, people: list[Any]) -> str:
        """The members of the task's lead departments, mentioned where the channel can."""
        if channel != "telegram":
            return ""
        leads = {u.department for u in task.leads if u.department}
        names = [
            f"@[{p.name}](user:{p.telegram_id})"
            for p in people
            if p.telegram_id and leads & set(p.departments)
        ]
        return " ".join(names)

    @staticmethod
    def _targets(
        due: Due, task: TaskRec, chats: list[ChatRec], people: list[Any]
    ) -> list[tuple[str, str]]:
        """The department chats of the task's departments; escalations and missed recurring
        reports go to the leadership chats and the chairman in private instead (the
        department gets its own overdue step that day)."""
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
                if person.role == "chairman" and person.telegram_id:
                    targets.append(("telegram", person.telegram_id))
        return list(dict.fromkeys(targets))

    async def tick(self) -> int:
        """Plans and writes the due reminders; returns how many new outbox rows it wrote.

        The first tick of a process looks back 7 days (making up for downtime; the outbox
        keys drop what was already written), later ones only since the previous tick. After
        downtime a task's chat gets only its newest step: older ones are recorded as skipped,
        so a stale "3 days left" never arrives after "due today".
        """
        now = self.clock.now()
        lookback = LOOKBACK
        if self._last_tick is not None:
            lookback = min(LOOKBACK, max(now - self._last_tick, timedelta(0)) + TICK_OVERLAP)
        planned = await self.due(now, lookback)
        send: list[OutboxItem] = []
        skip: list[OutboxItem] = []
        for p in planned:
            item = OutboxItem(
                key=p.key,
                channel=p.channel,
                chat_id=p.chat_id,
                payload=p.payload,
                ward_id=p.ward_id,
                lane="reminder",
            )
            (skip if p.snoozed or p.superseded else send).append(item)
        added = await self.outbox.enqueue(send, now)
        await self.outbox.enqueue(skip, now, status="skipped")
        self._last_tick = now
        if added:
            log.info("reminders: %d new at %s", added, now.isoformat(timespec="minutes"))
            if self.on_outbox:
                self.on_outbox()
        return added

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("reminder tick failed; the next tick catches up")

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
