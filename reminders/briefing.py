"""The weekly briefing job: on the first working day of each week at [briefing].time (08:00),
the leadership chats and the chairman (in private, on every channel he has) get the briefing
through the outbox, once.

When: ward.toml's [briefing] (`enabled`, default true; `weekday` 1..5, default the first
working day of the week; `time`, default "08:00"). A `weekday` that is a day off moves to the
next working day of the same week (a week with none has no briefing); without `weekday`, a
holiday Monday moves the briefing to Tuesday, and so on.

Once: every message is an outbox row keyed `briefing:{ward}:{Monday}:{channel}:{chat}`
(`store.keys.briefing_key`), so the scheduler's tick may run this any number of times (every
minute, after a restart, on two replicas) and each chat gets the week's briefing once. The
tick makes up a slot missed during downtime: any tick after the slot, in the same week, while
the ward's sending hours are open (a working day), writes the rows not written yet, built
then; so does a chat registered (or a chairman's id added) later that week, within an hour.
Past the last open hour of the week a missed briefing is dropped: next Monday's replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reminders.addressing import person_targets
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, Clock
from reminders.hours import hours_from
from reports.text import file_button, render
from reports.weekly import build_weekly, this_week
from store.keys import briefing_key, briefing_prefix
from store.outbox import OutboxItem, OutboxStore
from store.records import WardRec
from store.repo import Repo

log = logging.getLogger(__name__)
DEFAULT_TIME = time(8, 0)
RECHECK = timedelta(hours=1)  # how often a ward's written briefing is checked for new targets
LANE = "notice"


def briefing_slot(
    settings: dict[str, object], week: date, calendar: WorkCalendar
) -> datetime | None:
    """When the briefing of the week starting on Monday `week` goes out, or None (turned off,
    or no working day from the chosen weekday to Sunday)."""
    if settings.get("enabled") is False:
        return None
    weekday = settings.get("weekday")
    day = week + timedelta(days=int(weekday) - 1) if isinstance(weekday, int) else week
    sunday = week + timedelta(days=6)
    while day <= sunday and not calendar.is_working_day(day):
        day += timedelta(days=1)
    if day > sunday:
        return None
    at = DEFAULT_TIME
    text = settings.get("time")
    if isinstance(text, str) and ":" in text:
        hours, minutes = text.split(":", 1)
        at = time(int(hours), int(minutes))
    return datetime.combine(day, at, tzinfo=VN_TZ)


@dataclass(frozen=True)
class Target:
    channel: str
    chat_id: str
    language: str  # the chairman's own language; "vi" in the leadership chats


class BriefingJob:
    """Writes each ward's weekly briefing rows once their slot has come (see the module)."""

    def __init__(
        self,
        repo: Repo,
        outbox: OutboxStore,
        clock: Clock,
        calendar: WorkCalendar,
        channels: Collection[str] | None = None,
    ):
        """`channels`: the channels this process sends on (None: every channel)."""
        self.repo, self.outbox, self.clock, self.calendar = repo, outbox, clock, calendar
        self.channels = frozenset(channels) if channels is not None else None
        # (ward, week) -> when every row was found written; its targets are checked again
        # after RECHECK (a leadership chat registered since gets the week's briefing)
        self._settled: dict[tuple[int, date], datetime] = {}

    def due_week(self, ward: WardRec, at: datetime) -> date | None:
        """The week (its Monday) whose briefing the ward should have by `at`, or None."""
        week = this_week(at)
        slot = briefing_slot(ward.briefing, week, self.calendar)
        if slot is None or at < slot:
            return None
        if not hours_from(ward.reminder_policy).allows(at, self.calendar):
            return None  # made up only while it can be delivered: never a stale one later
        return week

    async def targets(self, ward: WardRec) -> list[Target]:
        """The ward's leadership chats and its chairman's private chats."""
        found = [
            Target(c.channel, c.chat_id, "vi")
            for c in await self.repo.ward_chats(ward.id, "leadership")
        ]
        for person in await self.repo.people(ward.id):
            if person.role == "chairman":
                found += [
                    Target(channel, chat_id, person.language or "vi")
                    for channel, chat_id in person_targets(person, self.channels)
                ]
        if self.channels is not None:
            found = [t for t in found if t.channel in self.channels]
        unique: dict[tuple[str, str], Target] = {}
        for target in found:
            unique.setdefault((target.channel, target.chat_id), target)
        return list(unique.values())

    async def run(self, now: datetime | None = None) -> int:
        """Writes the briefing rows due by `now` that are not written yet; returns how many.
        A ward whose briefing fails is logged and tried again at the next tick."""
        now = now or self.clock.now()
        added = 0
        current = this_week(now)
        for key in [k for k in self._settled if k[1] != current]:  # past weeks: nothing to do
            del self._settled[key]
        for ward in await self.repo.wards():
            try:
                week = self.due_week(ward, now)
                if week is None:
                    continue
                checked = self._settled.get((ward.id, week))
                if checked is not None and now - checked < RECHECK:
                    continue
                added += await self._write(ward, week, now)
            except Exception:
                log.exception(
                    "weekly briefing of ward %s failed; the next tick tries again", ward.id
                )
                continue
            self._settled[(ward.id, week)] = now
        if added:
            log.info("briefing: %d new at %s", added, now.isoformat(timespec="minutes"))
        return added

    async def _write(self, ward: WardRec, week: date, now: datetime) -> int:
        """The week's rows of one ward to the targets that have none yet."""
        targets = await self.targets(ward)
        written = {key for key, *_rest in await self.outbox.rows(briefing_prefix(ward.id, week))}
        missing = [
            t for t in targets if briefing_key(ward.id, week, t.channel, t.chat_id) not in written
        ]
        if not missing:
            return 0
        briefing = await build_weekly(self.repo, ward, week, now, self.calendar)
        items = []
        for t in missing:
            label, data = file_button(briefing, t.language)
            items.append(
                OutboxItem(
                    key=briefing_key(ward.id, week, t.channel, t.chat_id),
                    channel=t.channel,
                    chat_id=t.chat_id,
                    payload={
                        "text": render(briefing, t.language),
                        "buttons": [[[label, data]]],
                        # the six-month chart, drawn when sent (bot/delivery.py); "" for none
                        "chart": briefing.chart_key,
                        "language": t.language,
                    },
                    ward_id=ward.id,
                    lane=LANE,
                )
            )
        return await self.outbox.enqueue(items, now)

    async def run_safely(self, now: datetime | None = None) -> int:
        """`run`, logging a failure instead of raising it (the reminders' tick goes on; the
        next tick tries again)."""
        try:
            return await self.run(now)
        except Exception:
            log.exception("weekly briefing failed; the next tick tries again")
            return 0


__all__ = ["BriefingJob", "Target", "briefing_slot"]
