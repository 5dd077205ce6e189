"""Telegram's overall flood limit (about 30 messages a second), shared by every sender of a
process, with people first: background lanes (reminders, broadcasts) are spread evenly over
the window and, while people are talking to the bot, leave a few places free, so an
interactive reply never waits behind a broadcast nor meets a 429.

A message holds its place from the moment it is sent until a window after Telegram counted
it. Telegram counts a message when it arrives, somewhere between our send and its answer;
the answer is the one moment by which it has surely been counted, so a place is freed a
window after the answer. (An estimate between send and answer gave a little more throughput,
but a busy event loop could hand a request over after its place was freed: a 429.)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

INTERACTIVE = "interactive"
BACKGROUND = "background"
CONVERSATION_RESERVE = 1  # places background leaves free while people talk to the bot
CONVERSATION_SECONDS = 3.0  # "talking": an interactive reply within this many seconds
# where between send and answer a message is taken to arrive: at the answer, the one moment
# by which the platform has surely counted it (an earlier estimate let a busy event loop
# deliver a request after its place was already freed: a 429)
ARRIVAL_SHARE = 1.0


class _Place:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = math.inf  # in flight; then when Telegram counted it (estimated)


class SlidingWindowLimiter:
    def __init__(self, limit: int = 30, window: float = 1.0):
        self.limit, self.window = limit, window
        self._places: list[_Place] = []
        self._last_interactive = -1e9
        self._spacing = window / limit  # background messages, evenly spread
        self._next_background = 0.0

    def _in_window(self, now: float) -> int:
        self._places = [p for p in self._places if now - p.done < self.window]
        return len(self._places)

    @asynccontextmanager
    async def place(self, priority: str = INTERACTIVE) -> AsyncIterator[None]:
        """Holds a place in the window for one message while it is sent."""
        place = _Place()
        while True:
            now = time.monotonic()
            if priority == INTERACTIVE:
                self._last_interactive = now
                free = self.limit
            else:
                if now < self._next_background:
                    await asyncio.sleep(self._next_background - now)
                    continue
                talking = now - self._last_interactive < CONVERSATION_SECONDS
                free = self.limit - (CONVERSATION_RESERVE if talking else 0)
            if self._in_window(now) < free:
                self._places.append(place)
                if priority != INTERACTIVE:  # on a steady grid: a late wake-up is made up
                    self._next_background = max(self._next_background, now - self._spacing)
                    self._next_background += self._spacing
                break
            finished = [p.done for p in self._places if p.done != math.inf]
            wait = min(finished) + self.window - now if finished else 0.005
            await asyncio.sleep(max(0.001, wait))
        sent = time.monotonic()
        try:
            yield
        finally:
            place.done = sent + ARRIVAL_SHARE * (time.monotonic() - sent)
