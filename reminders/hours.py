"""Sending hours: when a ward's proactive messages may reach people (working days only).

`[reminders] sending_hours = "07:00-20:00"` in ward.toml; the default is the same. A message
due outside the window waits for the next allowed instant; a broadcast its sender confirmed
for a time outside it carries `ANYTIME_UNTIL` in its payload and goes then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ

ANYTIME_UNTIL = "anytime_until"  # payload key: sendable outside hours until this ISO instant
OUTSIDE_HOURS_GRACE = timedelta(hours=2)  # a confirmed out-of-hours broadcast, if delayed
_HOURS = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s*[-–]\s*(\d{1,2})[:h](\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class SendingHours:
    start: time = time(7, 0)
    end: time = time(20, 0)

    def allows(self, at: datetime, calendar: WorkCalendar) -> bool:
        local = at.astimezone(VN_TZ)
        return calendar.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_allowed(self, at: datetime, calendar: WorkCalendar) -> datetime:
        """`at` itself when it is inside the window, else the next opening (local start time
        on the next working day, or today's if it has not come yet)."""
        if self.allows(at, calendar):
            return at
        local = at.astimezone(VN_TZ)
        day = local.date()
        if not (calendar.is_working_day(day) and local.time() < self.start):
            day = calendar.next_working_day(day + timedelta(days=1))
        return datetime.combine(day, self.start, tzinfo=VN_TZ)

    def text(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse_hours(value: object) -> SendingHours | None:
    """ "07:00-20:00" (or "7h00–20h00") as SendingHours; None when it is not a valid window."""
    match = _HOURS.match(str(value))
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        return None
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if start >= end:
        return None
    return SendingHours(start, end)


def hours_from(policy: dict[str, Any]) -> SendingHours:
    """A ward's sending hours from its [reminders] table (checked by ward_config)."""
    return parse_hours(policy.get("sending_hours", "")) or SendingHours()


def anytime(payload: dict[str, Any], at: datetime) -> bool:
    """The message was confirmed for a time outside hours and may still go at `at`."""
    until = payload.get(ANYTIME_UNTIL)
    if not isinstance(until, str):
        return False
    try:
        return at <= datetime.fromisoformat(until)
    except ValueError:
        return False
