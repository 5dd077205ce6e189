"""Drains the outbox: sends due rows through their channel, records the result, retries.

A channel's sender raises `DeliveryError` with what to do next: retry later (network errors,
5xx; `retry_after` honoured), or give up because the chat blocked or removed the bot (the chat
is marked inactive and the ward's admins are told, once) or the platform rejected the message.
A sender that delivered the text but not its attachment says so (`Sent.attachment_dropped`):
the row is "partial". A row of a channel this process has no sender for fails at once.

A send whose outcome is unknown (the request went out and the answer was lost: a timeout or
a dropped connection after it was written) may have reached the chat; Telegram and Zalo have
no idempotency key, so it is sent again, but only after the lease has run out, and counted
(`unsure_sends`, shown in a broadcast's report): each such retry may make the message arrive
twice, never more. An error where the request surely did not reach the platform (connection
refused, DNS, a 5xx or 429 answer) is retried with back-off and is no repeat. A long message
sent in parts records the parts delivered, so a retry sends only the rest.

Outages and flood limits are waited out for MAX_AGE from the first attempt; a notice or
reminder given up after that (or refused by the platform) is told to the ward's admins in
private, once; a broadcast's given-up chats are in its report.

A ward's messages go only within its sending hours on working days ([reminders]
sending_hours); one due outside them waits for the next opening, unless its sender confirmed
that time (a broadcast: `reminders.hours.ANYTIME_UNTIL`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, timedelta

from handlers.context import ChartSource
from handlers.protocol import Attachment, Button, Image, Reply
from locales import Translator
from reminders.calendar import WorkCalendar
from reminders.clock import Clock
from reminders.hours import SendingHours, anytime, hours_from
from store.keys import ALERT_PREFIXES, chat_inactive_key, gave_up_key
from store.outbox import OutboxItem, OutboxRow, OutboxStore
from store.repo import Repo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel's sender reports of one message it delivered."""

    uploaded: str | None = None  # the channel's id of an attachment it uploaded, to reuse
    # why the attachment did not go with the text (None: it went, or there was none)
    attachment_dropped: str | None = None


# sends one reply to a chat; returns a `Sent` (or, for short, the uploaded id or None)
Sender = Callable[[str, Reply], Awaitable["Sent | str | None"]]


def as_sent(result: Sent | str | None) -> Sent:
    """A sender's answer as a `Sent`."""
    return result if isinstance(result, Sent) else Sent(uploaded=result)


AttachmentLoader = Callable[[int], Awaitable[tuple[bytes | None, str | None]]]
NUMBERED_CHANNELS = frozenset({"zalo", "zalo_oa"})  # no buttons: choices are numbers
ANYONE = "*"  # the user id of a chat's own question (the last message's numbered choices)
MESSAGE_CHOICES = "message_choices"
MAX_ATTEMPTS = 8  # for errors that are not an outage or a flood limit
MAX_AGE = timedelta(hours=24)  # outages and flood limits are waited out this long (from
# the first attempt: a message queued long before it was due still gets its day of retries)
PARTS_SENT = "parts_sent"  # payload: the parts of a long message already delivered
# what a sender may skip: the parts of this message delivered by an earlier attempt
delivered_parts: ContextVar[int] = ContextVar("delivered_parts", default=0)
EXCERPT = 160  # characters of an undeliverable message quoted to the admins
POLICY_TTL = 60.0  # seconds a ward's sending hours and a chat's kind are kept in memory
ADMIN_ROLE = "admin"


class DeliveryError(Exception):
    def __init__(
        self,
        kind: str,
        detail: str = "",
        retry_after: float | None = None,
        new_chat_id: str | None = None,
        outcome_unknown: bool = False,
        parts_sent: int | None = None,
    ):
        super().__init__(detail or kind)
        self.kind = kind  # retry | blocked | rejected | migrated | unknown
        self.retry_after = retry_after
        self.new_chat_id = new_chat_id
        # the request was written and its answer lost: the chat may have the message
        self.outcome_unknown = outcome_unknown
        # parts of a long message delivered before this error (None: not known / one part)
        self.parts_sent = parts_sent


def failure_reason(kind: str, detail: str) -> str:
    """The code of why a message will not be sent (what people read is its translation, in
    handlers.broadcast.reason_text): from the error's kind and the platform's words."""
    text = detail.lower()
    if kind == "blocked":
        if any(w in text for w in ("kicked", "removed", "not a member", "left", "deleted")):
            return "removed"
        if "not found" in text or "not exist" in text:
            return "not_found"
        return "blocked"
    if kind in ("rejected", "migrated"):
        if "too long" in text or "too_long" in text or "length" in text:
            return "too_long"
        if "not found" in text:
            return "not_found"
        return "rejected"
    return "gave_up"


def reply_from_payload(payload: dict[str, object]) -> Reply:
    rows = payload.get("buttons") or []
    assert isinstance(rows, list)
    attachment = None
    for kind in ("photo", "document"):
        ref = payload.get(kind)
        if isinstance(ref, str):
            attachment = Attachment(kind, str(payload.get("file_name") or ""), ref)
    return Reply(
        text=str(payload.get("text") or ""),
        buttons=[[Button(str(b[0]), str(b[1])) for b in row] for row in rows],
        attachment=attachment,
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
        group_interval: float = 3.0,
        lanes: list[str] | None = None,
        concurrency: int = 1,
        attachments: AttachmentLoader | None = None,
        calendar: WorkCalendar | None = None,
        charts: ChartSource | None = None,
    ):
        self.outbox, self.repo, self.clock = outbox, repo, clock
        self.senders = senders
        self.interval = interval
        # how long a claimed row is this process's: after a crash its rows are sent again once
        # the lease runs out (so a row whose send completed but was not recorded repeats once)
        self.lease = lease
        self.group_interval = group_interval
        self._next_ok: dict[tuple[str, str], float] = {}
        self._paced = False  # the last batch deferred rows: wait for the next ready chat
        self._wake = asyncio.Event()
        self._stopping = False
        self.lanes = lanes  # None: every lane
        self.concurrency = concurrency  # sends in flight at once (a broadcast lane: several)
        self.attachments = attachments
        self.charts = charts  # draws the chart a payload names ("chart": a briefing's chart_key)
        self.calendar = calendar or WorkCalendar()
        # ("telegram", "broadcast:7") -> "telegram:<file_id>": each channel uploads for itself
        self._uploaded: dict[tuple[str, str], str] = {}
        self._upload_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._hours: dict[int, tuple[float, SendingHours]] = {}  # ward -> (read at, hours)
        self._groups: dict[tuple[str, str], tuple[float, bool]] = {}  # chat -> (read at, group)

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        # every channel: a row of a channel with no sender here fails at once (it would
        # otherwise wait forever and its broadcast never settle)
        rows = await self.outbox.claim(self.clock.now(), None, self.lanes, lease=self.lease)
        if self.concurrency <= 1:
            for index, row in enumerate(rows):
                if self._stopping:  # a graceful stop: hand the rest back, unsent, at once
                    await self.outbox.release([r.id for r in rows[index:]])
                    return index
                await self._send(row)
            return len(rows)
        gate = asyncio.Semaphore(self.concurrency)
        handed_back: list[int] = []

        async def one(row: OutboxRow) -> None:
            async with gate:
                if self._stopping:
                    handed_back.append(row.id)
                    return
                await self._send(row)

        await asyncio.gather(*(one(row) for row in rows))
        await self.outbox.release(handed_back)
        return len(rows) - len(handed_back)

    async def _reply(self, row: OutboxRow) -> Reply:
        reply = reply_from_payload(row.payload)
        attachment = reply.attachment
        if attachment is not None and attachment.ref and attachment.ref.startswith("broadcast:"):
            known = self._uploaded.get((row.channel, attachment.ref))
            if known is not None:
                reply.attachment = replace(attachment, ref=known)
            elif self.attachments is not None:
                data, name = await self.attachments(int(attachment.ref.split(":")[1]))
                reply.attachment = replace(attachment, data=data, name=name or attachment.name)
        chart = row.payload.get("chart")
        if isinstance(chart, str) and chart and self.charts is not None and row.ward_id:
            reply.image = await self._chart(row.ward_id, chart, str(row.payload.get("language")))
        return reply

    async def _chart(self, ward_id: int, key: str, language: str) -> Image | None:
        """The six-month chart a briefing row names; None (the text goes alone) when it cannot
        be drawn: a chart is never a reason to hold back the briefing."""
        assert self.charts is not None
        try:
            ward = await self.repo.ward(ward_id)
            if ward is None:
                return None
            return await self.charts.image_of_key(ward, key, language or "vi")
        except Exception:
            log.exception("the chart %s of ward %s could not be prepared", key, ward_id)
            return None

    async def _sending_hours(self, ward_id: int) -> SendingHours:
        now_mono = time.monotonic()
        cached = self._hours.get(ward_id)
        if cached is not None and now_mono - cached[0] < POLICY_TTL:
            return cached[1]
        ward = await self.repo.ward(ward_id)
        hours = hours_from(ward.reminder_policy if ward is not None else {})
        self._hours[ward_id] = (now_mono, hours)
        return hours

    async def _is_group(self, row: OutboxRow) -> bool:
        """From the chat as the store knows it (a registered chat's kind, or what the channel
        said when the bot saw it); the id's shape only for a chat the store never saw."""
        chat = (row.channel, row.chat_id)
        now_mono = time.monotonic()
        cached = self._groups.get(chat)
        if cached is not None and now_mono - cached[0] < POLICY_TTL:
            return cached[1]
        rec = await self.repo.chat(row.channel, row.chat_id)
        if rec is not None:
            group = rec.is_group or rec.kind is not None
        else:
            group = row.chat_id.startswith("-") or row.channel == "zalo_oa"
        self._groups[chat] = (now_mono, group)
        return group

    async def _send(self, row: OutboxRow) -> None:
        if row.channel not in self.senders:
            log.error("outbox %s: no %s sender in this process", row.key, row.channel)
            await self.outbox.give_up(
                row.id, f"channel {row.channel} is not configured", "no_channel"
            )
            return
        now = self.clock.now()
        if row.ward_id is not None and not anytime(row.payload, now):
            hours = await self._sending_hours(row.ward_id)
            if not hours.allows(now, self.calendar):  # waits for the next opening
                await self.outbox.defer(row.id, hours.next_allowed(now, self.calendar))
                return
        # Telegram allows about 20 messages a minute in a group (and Zalo answers 429 to
        # bursts): space a group's messages (a deferred row goes back to the queue, not
        # counted as an attempt)
        chat = (row.channel, row.chat_id)
        now_mono = time.monotonic()
        ready = self._next_ok.get(chat, 0.0)
        if ready > now_mono:
            await self.outbox.defer(row.id, now + timedelta(seconds=ready - now_mono))
            self._paced = True
            return
        # cancelled or skipped since claimed, or its lease ran out (another sender may have it)
        if not await self.outbox.start(row.id, now, self.lease, row.lease_until):
            return
        if await self._is_group(row):
            self._next_ok[chat] = time.monotonic() + self.group_interval
        try:
            source = reply_from_payload(row.payload).attachment
            ref = source.ref if source is not None else None
            cache = (row.channel, ref or "")
            if ref and ref.startswith("broadcast:") and cache not in self._uploaded:
                # the file goes up once per channel; that channel's other chats wait for its id
                async with self._upload_locks.setdefault(cache, asyncio.Lock()):
                    reply = await self._reply(row)
                    outcome = as_sent(await self.senders[row.channel](row.chat_id, reply))
                    if outcome.uploaded:
                        self._uploaded[cache] = outcome.uploaded
            else:
                reply = await self._reply(row)
                token = delivered_parts.set(int(row.payload.get(PARTS_SENT) or 0))
                try:
                    outcome = as_sent(await self.senders[row.channel](row.chat_id, reply))
                finally:
                    delivered_parts.reset(token)
        except DeliveryError as exc:
            await self._failed(row, exc)
            return
        except Exception as exc:  # a bug or an unexpected failure: retry a few times, then stop
            log.exception("outbox %s: unexpected error", row.key)
            if row.attempts >= MAX_ATTEMPTS:
                await self.outbox.give_up(row.id, repr(exc), "error")
            else:
                await self.outbox.retry(row.id, self.clock.now() + timedelta(seconds=60), repr(exc))
            return
        if outcome.attachment_dropped:
            log.warning(
                "outbox %s to %s:%s: sent without its attachment (%s)",
                row.key,
                row.channel,
                row.chat_id,
                outcome.attachment_dropped,
            )
        await self.outbox.sent(row.id, self.clock.now(), outcome.attachment_dropped)
        try:  # bookkeeping after the send: a failure here must never send the message again
            await self._remember_choices(row, reply)
        except Exception:
            log.exception("outbox %s: could not record its numbered choices", row.key)

    async def _failed(self, row: OutboxRow, exc: DeliveryError) -> None:
        now = self.clock.now()
        if exc.kind == "migrated" and exc.new_chat_id:
            # a group upgraded to a supergroup: the chat and its queue move to the new id
            log.info("chat %s:%s moved to %s", row.channel, row.chat_id, exc.new_chat_id)
            await self.repo.move_chat(row.channel, row.chat_id, exc.new_chat_id)
            await self.outbox.defer(row.id, now)
            await self.outbox.move_chat(row.channel, row.chat_id, exc.new_chat_id)
            return
        # outages and flood limits are waited out, for up to MAX_AGE since the first attempt;
        # other errors are not worth more than MAX_ATTEMPTS tries
        first = row.first_attempt_at or now
        retry = exc.kind == "retry" and now - first < MAX_AGE
        if exc.kind == "unknown" and row.attempts < MAX_ATTEMPTS:
            retry = True
        if retry:
            delay = (
                exc.retry_after
                if exc.retry_after is not None
                else min(300.0, 2.0 ** min(row.attempts, 9))
            )
            if exc.retry_after is not None:  # the platform asked this chat to wait
                self._next_ok[(row.channel, row.chat_id)] = time.monotonic() + delay
            if exc.outcome_unknown:  # it may have arrived: not again before the lease is out
                delay = max(delay, self.lease.total_seconds())
            log.warning(
                "outbox %s to %s:%s: retry in %.0fs%s (%s)",
                row.key,
                row.channel,
                row.chat_id,
                delay,
                ", the last send may have arrived" if exc.outcome_unknown else "",
                exc,
            )
            payload = None
            if exc.parts_sent is not None and exc.parts_sent != row.payload.get(PARTS_SENT, 0):
                payload = {**row.payload, PARTS_SENT: exc.parts_sent}
            await self.outbox.retry(
                row.id,
                now + timedelta(seconds=delay),
                str(exc),
                unsure=exc.outcome_unknown,
                payload=payload,
            )
            return
        log.error("outbox %s to %s:%s: giving up (%s)", row.key, row.channel, row.chat_id, exc)
        reason = failure_reason(exc.kind, str(exc))
        await self.outbox.give_up(row.id, str(exc), reason)
        if exc.kind == "blocked":
            await self._chat_gone(row, reason)
        else:
            await self._undeliverable(row, reason)

    async def _chat_gone(self, row: OutboxRow, reason: str) -> None:
        """The chat blocked or removed the bot: inactive from now on, and each admin of its
        ward is told in private, once for this time it happened (the key carries the moment
        only the process that made the chat inactive knows)."""
        from handlers.broadcast import reason_text
        from locales import translator

        ward_id = await self.outbox.chat_gone(row.channel, row.chat_id)
        self.repo.invalidate()
        self._groups.pop((row.channel, row.chat_id), None)
        if ward_id is None:
            return
        chat = await self.repo.chat(row.channel, row.chat_id)
        title = (chat.title if chat is not None else "") or row.chat_id
        now = self.clock.now()
        since = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        items = []
        for person in await self.repo.people(ward_id):
            if person.role != ADMIN_ROLE:
                continue
            _ = translator(person.language)
            text = _(
                "⚠ The bot can no longer send to “{chat}” ({channel}): {reason}. The chat is "
                "marked inactive; it gets nothing until the bot is added back and the chat "
                "registered again.",
                chat=title,
                channel=row.channel,
                reason=reason_text(reason, _),
            )
            for channel, user in (("telegram", person.telegram_id), ("zalo", person.zalo_id)):
                if user and channel in self.senders:
                    items.append(
                        OutboxItem(
                            key=chat_inactive_key(row.channel, row.chat_id, since, channel, user),
                            channel=channel,
                            chat_id=user,
                            payload={"text": text, "buttons": []},
                            ward_id=ward_id,
                            lane="notice",
                        )
                    )
        if items:
            await self.outbox.enqueue(items, now)
            self.wake()

    async def _admins_items(
        self,
        ward_id: int,
        text_for: Callable[[Translator], str],
        key_for: Callable[[str, str], str],
    ) -> list[OutboxItem]:
        """One private message to each admin of the ward, in their language, on each channel
        this process sends on."""
        from locales import translator

        items = []
        for person in await self.repo.people(ward_id):
            if person.role != ADMIN_ROLE:
                continue
            text = text_for(translator(person.language))
            for channel, user in (("telegram", person.telegram_id), ("zalo", person.zalo_id)):
                if user and channel in self.senders:
                    items.append(
                        OutboxItem(
                            key=key_for(channel, user),
                            channel=channel,
                            chat_id=user,
                            payload={"text": text, "buttons": []},
                            ward_id=ward_id,
                            lane="notice",
                        )
                    )
        return items

    async def _undeliverable(self, row: OutboxRow, reason: str) -> None:
        """A notice or reminder will not be sent (its retries ran out, or the platform refused
        it): each admin of its ward is told in private, once. A broadcast's failures are in
        its report; an alert that could not be delivered is not alerted about."""
        from handlers.broadcast import reason_text

        if row.lane == "broadcast" or row.ward_id is None or row.key.startswith(ALERT_PREFIXES):
            return
        chat = await self.repo.chat(row.channel, row.chat_id)
        title = (chat.title if chat is not None else "") or row.chat_id
        text = str(row.payload.get("text") or "").replace("**", "").strip()
        excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"

        def text_for(_: Translator) -> str:
            return _(
                "⚠ A message to “{chat}” ({channel}) could not be delivered: {reason}. "
                "It was: “{excerpt}”",
                chat=title,
                channel=row.channel,
                reason=reason_text(reason, _),
                excerpt=excerpt,
            )

        items = await self._admins_items(
            row.ward_id, text_for, lambda channel, user: gave_up_key(row.key, channel, user)
        )
        if items:
            await self.outbox.enqueue(items, self.clock.now())
            self.wake()

    async def _remember_choices(self, row: OutboxRow, reply: Reply) -> None:
        """Where buttons are shown as numbered choices (Zalo), a number typed in that chat
        answers the last such message, whoever types it (the router checks who may act)."""
        choices = [b.data for line in reply.buttons for b in line]
        if not choices or row.channel not in NUMBERED_CHANNELS or row.ward_id is None:
            return
        now = self.clock.now()
        await self.repo.set_pending(
            row.ward_id,
            row.channel,
            row.chat_id,
            ANYONE,
            MESSAGE_CHOICES,
            {},
            choices,
            now,
            now + timedelta(days=3),
        )

    async def run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox: claiming failed; trying again")
                sent = 0
            if sent and not self._paced:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._wait())

    def _wait(self) -> float:
        """Until the next poll: the interval, or sooner when a paced chat becomes ready."""
        now = time.monotonic()
        pending = [ready - now for ready in self._next_ok.values() if ready > now]
        self._paced = False
        return max(0.01, min([self.interval, *pending]))

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
