"""Injected time. Nothing in the bot reads the system clock except SystemClock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in the ward's zone (Asia/Ho_Chi_Minh)."""
        ...


class SystemClock:
    def __init__(self, tz: ZoneInfo = VN_TZ):
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC).astimezone(self.tz)


class FixedClock:
    """A clock for tests and `--at`: stands still until moved."""

    def __init__(self, at: datetime, tz: ZoneInfo = VN_TZ):
        if at.tzinfo is None:
            at = at.replace(tzinfo=tz)
        self._at = at.astimezone(tz)
        self.tz = tz

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = (at if at.tzinfo else at.replace(tzinfo=self.tz)).astimezone(self.tz)


class OffsetClock:
    """Runs at the real pace from a chosen starting instant (CHISO_START_AT): for demos and
    for process-level tests that need "Monday 07:30" now."""

    def __init__(self, start: datetime, tz: ZoneInfo = VN_TZ):
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        self.tz = tz
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return (datetime.now(UTC) + self._offset).astimezone(self.tz)


def today(clock: Clock) -> date:
    return clock.now().date()
