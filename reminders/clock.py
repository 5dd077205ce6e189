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


def today(clock: Clock) -> date:
    return clock.now().date()
