"""Working days in Vietnam: weekends and public holidays (Tết moves with the lunar calendar).

Holidays come from the maintained `holidays` package (country VN, with the government's
substituted days off); a ward can add its own days off or make-up working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _vn_holidays(year: int, language: str) -> dict[date, str]:
    lang = "vi" if language == "vi" else "en_US"
    return dict(holidays.country_holidays("VN", years=year, language=lang).items())


class WorkCalendar:
    def __init__(self, extra_days_off: Iterable[date] = (), extra_workdays: Iterable[date] = ()):
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_workdays = frozenset(extra_workdays)

    def holiday_name(self, day: date, language: str = "vi") -> str | None:
        return _vn_holidays(day.year, language).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_days_off or day.weekday() >= 5:
            return False
        return day not in _vn_holidays(day.year, "vi")

    def working_days_until(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is past.

        From Friday to the next Monday is 1; from a day to itself is 0.
        """
        if end == start:
            return 0
        step = 1 if end > start else -1
        count, day = 0, start
        while day != end:
            day += timedelta(days=step)
            if step > 0 and self.is_working_day(day):
                count += 1
            elif step < 0 and self.is_working_day(day + timedelta(days=1)):
                count -= 1
        return count

    def add_working_days(self, start: date, days: int) -> date:
        """The working day `days` working days after (or before, if negative) `start`."""
        step = 1 if days >= 0 else -1
        day, left = start, abs(days)
        while left:
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
