"""Drains the outbox: sends due rows through their channel, records the result, retries.

A channel's sender raises `DeliveryError` with what to do next: retry later (network errors,
5xx; `retry_after` honoured), or give up because the chat blocked or removed the bot (the chat
is marked inactive) or the platform rejected the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from handlers.protocol import Button, Reply
from reminders.clock import Clock
from store.outbox import OutboxRow, OutboxStore
from store.repo import Repo

log = logging.getLogger(__name__)
Sender = Callable[[str, Reply], Awaitable[None]]
MAX_ATTEMPTS = 8


class DeliveryError(Exception):
    def __init__(self, kind: str, detail: str = "", retry_after: float | None = None):
        super().__init__(detail or kind)
        self.kind = kind  # retry | blocked | rejected
        self.retry_after = retry_after


def reply_from_payload(payload: dict[str, object]) -> Reply:
    rows = payload.get("buttons") or []
    assert isinstance(rows, list)
    return Reply(
        text=str(payload.get("text") or ""),
        buttons=[[Button(str(b[0]), str(b[1])) for b in row] for row in rows],
    )


def payload_from_reply(reply: Reply) -> dict[str, object]:
    return {
        "text": reply.text,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
    }


class Delivery:
    def __init__(
        self,
        outbox: OutboxStore,
        repo: Repo,
        clock: Clock,
        senders: dict[str, Sender],
        interval: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
    ):
        self.outbox, self.repo, self.clock = outbox, repo, clock
        self.senders = senders
        self.interval = interval
        # how long a claimed row is this process's: after a crash its rows are sent again once
        # the lease runs out (so a row whose send completed but was not recorded repeats once)
        self.lease = lease
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        rows = await self.outbox.claim(self.clock.now(), list(self.senders), lease=self.lease)
        for index, row in enumerate(rows):
            if self._stopping:  # a graceful stop: hand the rest back, unsent, at once
                await self.outbox.release([r.id for r in rows[index:]])
                return index
            await self._send(row)
        return len(rows)

    async def _send(self, row: OutboxRow) -> None:
        try:
            await self.senders[row.channel](row.chat_id, reply_from_payload(row.payload))
        except DeliveryError as exc:
            now = self.clock.now()
            if exc.kind == "retry" and row.attempts < MAX_ATTEMPTS:
                delay = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else min(300.0, 2.0**row.attempts)
                )
                log.warning(
                    "outbox %s to %s:%s: retry in %.0fs (%s)",
                    row.key,
                    row.channel,
                    row.chat_id,
                    delay,
                    exc,
                )
                await self.outbox.retry(row.id, now + timedelta(seconds=delay), str(exc))
                return
            log.error("outbox %s to %s:%s: giving up (%s)", row.key, row.channel, row.chat_id, exc)
            await self.outbox.give_up(row.id, str(exc))
            if exc.kind == "blocked":
                await self.repo.set_chat_active(row.channel, row.chat_id, False)
            return
        except Exception as exc:  # a bug or an unexpected failure: keep the row, retry later
            log.exception("outbox %s: unexpected error", row.key)
            await self.outbox.retry(row.id, self.clock.now() + timedelta(seconds=60), repr(exc))
            return
        await self.outbox.sent(row.id, self.clock.now())

    async def run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox: claiming failed; trying again")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
