"""The durable outbox: proactive messages are rows first, sent second, each key once.

`enqueue` ignores a key it already has, so planning the same message twice (a restart, a
second replica) never sends it twice. `claim` leases due rows to one sender at a time; a
sender that dies mid-batch leaves its lease to expire and the rows are sent again then.
Right before a row is handed to a channel, `start` turns it from "pending" to "sending" (or
finds it cancelled or skipped meanwhile): whatever is still "pending" was not handed over.

Statuses: pending, sending, sent, partial (sent without its attachment), failed, cancelled,
skipped. `unsure_sends` counts the sends of a row whose outcome was unknown (the platform's
answer was lost, or the sender died while sending: a row found "sending" when its lease ran
out) and that were tried again: each of those may have reached the chat twice. `reason`
says why a row failed or went without its attachment (a code that people read translated);
`last_error` keeps the platform's words for admins and logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, literal, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m


@dataclass(frozen=True)
class OutboxItem:
    key: str
    channel: str
    chat_id: str
    payload: dict[str, Any]
    ward_id: int | None = None
    lane: str = "notice"
    not_before: datetime | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    lane: str
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    ward_id: int | None = None
    first_attempt_at: datetime | None = None  # None: this is its first attempt
    unsure_sends: int = 0  # earlier sends whose outcome was unknown (see the module doc)
    lease_until: datetime | None = None  # the lease this claim got: the claim's own token


IN_FLIGHT = ("pending", "sending")  # not settled yet
DELIVERED = ("sent", "partial")  # reached the chat (partial: without its attachment)
CANCELLED_ON_THE_WAY = "cancelled"  # `reason` of a row cancelled while being sent: no retry


def _back_to_pending() -> Any:
    """A row being sent goes back to "pending" (a cancelled or skipped one stays so), or to
    "cancelled" if its broadcast was cancelled while it was on its way."""
    return case(
        (
            (m.Outbox.status == "sending") & (m.Outbox.reason == CANCELLED_ON_THE_WAY),
            "cancelled",
        ),
        (m.Outbox.status == "sending", "pending"),
        else_=m.Outbox.status,
    )


def outbox_row(item: OutboxItem, at: datetime, status: str = "pending") -> m.Outbox:
    """The row of an item, to add inside another transaction (written with what it tells)."""
    return m.Outbox(
        key=item.key,
        ward_id=item.ward_id,
        lane=item.lane,
        channel=item.channel,
        chat_id=item.chat_id,
        payload=item.payload,
        status=status,
        attempts=0,
        not_before=item.not_before or at,
        created_at=at,
    )


# One statement for any number of rows on PostgreSQL: the columns go as arrays, a key already
# there is skipped by the unique constraint (another replica's tick, the same tick again), and
# the row count is what was added. 100,000 reminders of a national tick take about a second
# this way, against most of a minute row by row through the ORM (bench/scale.py).
_PG_ENQUEUE = text(
    """
    INSERT INTO outbox (key, ward_id, lane, channel, chat_id, payload, status, attempts,
                        not_before, created_at, unsure_sends)
    SELECT t.key, t.ward_id, t.lane, t.channel, t.chat_id, CAST(t.payload AS json), :status,
           0, t.not_before, :created_at, 0
    FROM unnest(CAST(:keys AS varchar[]), CAST(:ward_ids AS integer[]),
                CAST(:lanes AS varchar[]), CAST(:channels AS varchar[]),
                CAST(:chat_ids AS varchar[]), CAST(:payloads AS text[]),
                CAST(:not_befores AS timestamptz[]))
         AS t(key, ward_id, lane, channel, chat_id, payload, not_before)
    ON CONFLICT (key) DO NOTHING
    """
)


async def _pg_enqueue(
    s: AsyncSession, rows: list[dict[str, Any]], status: str, at: datetime
) -> int:
    result = await s.execute(
        _PG_ENQUEUE,
        {
            "keys": [r["key"] for r in rows],
            "ward_ids": [r["ward_id"] for r in rows],
            "lanes": [r["lane"] for r in rows],
            "channels": [r["channel"] for r in rows],
            "chat_ids": [r["chat_id"] for r in rows],
            "payloads": [json.dumps(r["payload"], ensure_ascii=False) for r in rows],
            "not_befores": [r["not_before"] for r in rows],
            "status": status,
            "created_at": at,
        },
    )
    return max(0, int(getattr(result, "rowcount", 0) or 0))


class OutboxStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def enqueue(self, items: list[OutboxItem], at: datetime, status: str = "pending") -> int:
        """Adds the items whose key is new; returns how many were added.

        `status="skipped"` records keys that must never be sent (a snoozed reminder)."""
        if not items:
            return 0
        rows = [
            {
                "key": item.key,
                "ward_id": item.ward_id,
                "lane": item.lane,
                "channel": item.channel,
                "chat_id": item.chat_id,
                "payload": item.payload,
                "status": status,
                "attempts": 0,
                "not_before": item.not_before or at,
                "created_at": at,
            }
            for item in items
        ]
        added = 0
        async with self.sessions.begin() as s:
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                return await _pg_enqueue(s, rows, status, at)
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            keys = [row["key"] for row in rows]
            known: set[str] = set()
            for start in range(0, len(keys), 5000):  # asyncpg: at most 32,767 parameters
                chunk = keys[start : start + 5000]
                known |= set(await s.scalars(select(m.Outbox.key).where(m.Outbox.key.in_(chunk))))
            fresh = []
            for row in rows:  # a key given twice is added once (as on PostgreSQL)
                if row["key"] not in known:
                    known.add(str(row["key"]))
                    fresh.append(row)
            if fresh:
                # a Core insert of the table (executemany in batches): the ORM's bulk path
                # took most of a national tick (bench/scale.py)
                table = cast(Table, m.Outbox.__table__)
                stmt = insert(table).on_conflict_do_nothing(index_elements=["key"])
                await s.execute(stmt, fresh)  # a race with another replica: the key wins once
                added = len(fresh)
        return added

    async def claim(
        self,
        now: datetime,
        channels: list[str] | None = None,
        lanes: list[str] | None = None,
        limit: int = 50,
        lease: timedelta = timedelta(seconds=60),
    ) -> list[OutboxRow]:
        """Leases due rows (of these channels; None: every channel). A row left "sending" by
        a sender that died is due again once its lease has run out."""
        async with self.sessions.begin() as s:
            query = (
                select(m.Outbox)
                .where(
                    m.Outbox.status.in_(IN_FLIGHT),
                    m.Outbox.not_before <= now,
                    or_(m.Outbox.claimed_until.is_(None), m.Outbox.claimed_until < now),
                )
                .order_by(m.Outbox.not_before, m.Outbox.id)
                .limit(limit)
            )
            if channels is not None:
                query = query.where(m.Outbox.channel.in_(channels))
            if lanes:
                query = query.where(m.Outbox.lane.in_(lanes))
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await s.scalars(query)).all()
            claimed = []
            for row in rows:
                if row.status == "sending" and row.reason == CANCELLED_ON_THE_WAY:
                    # its sender died and its broadcast was cancelled meanwhile: it stops here
                    await s.execute(
                        update(m.Outbox)
                        .where(m.Outbox.id == row.id)
                        .values(status="cancelled", claimed_until=None)
                        .execution_options(synchronize_session=False)
                    )
                    continue
                # left "sending" by a sender that died: that send may have reached the chat
                unsure = row.unsure_sends + (1 if row.status == "sending" else 0)
                result = await s.execute(
                    update(m.Outbox)
                    .where(
                        m.Outbox.id == row.id,
                        or_(m.Outbox.claimed_until.is_(None), m.Outbox.claimed_until < now),
                    )
                    .values(
                        claimed_until=now + lease,
                        attempts=m.Outbox.attempts + 1,
                        unsure_sends=unsure,
                    )
                    # `row` keeps the count it was read with (+1 below, once)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0):
                    claimed.append(
                        OutboxRow(
                            row.id,
                            row.key,
                            row.lane,
                            row.channel,
                            row.chat_id,
                            dict(row.payload),
                            row.attempts + 1,
                            row.created_at,
                            row.ward_id,
                            row.first_attempt_at,
                            unsure,
                            now + lease,
                        )
                    )
            return claimed

    async def start(
        self,
        row_id: int,
        at: datetime,
        lease: timedelta = timedelta(seconds=60),
        held: datetime | None = None,
    ) -> bool:
        """Right before a claimed row goes to its channel: marks it "sending" (and when it
        was first tried) and renews its lease for the send. False, and nothing is sent, if it
        was cancelled or skipped since it was claimed, if its broadcast was cancelled while a
        sender that died had it, or if this sender's lease ran out (another replica may have
        claimed it since: `held`, the lease this sender's claim got, is no longer the row's)."""
        lease_held = m.Outbox.claimed_until == held if held is not None else true()
        async with self.sessions.begin() as s:
            result = await s.execute(
                update(m.Outbox)
                .where(
                    m.Outbox.id == row_id,
                    m.Outbox.status.in_(IN_FLIGHT),
                    m.Outbox.claimed_until.is_not(None),
                    m.Outbox.claimed_until >= at,
                    lease_held,
                    or_(
                        m.Outbox.status != "sending",
                        m.Outbox.reason.is_(None),
                        m.Outbox.reason != CANCELLED_ON_THE_WAY,
                    ),
                )
                .values(
                    status="sending",
                    claimed_until=at + lease,
                    # typed, so that `at` is stored in UTC like every other datetime
                    first_attempt_at=func.coalesce(
                        m.Outbox.first_attempt_at, literal(at, m.Outbox.first_attempt_at.type)
                    ),
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def release(self, row_ids: list[int]) -> None:
        """Hands claimed rows back unsent (a graceful stop), for the next sender at once."""
        if not row_ids:
            return
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                .where(m.Outbox.id.in_(row_ids))
                .values(claimed_until=None, attempts=m.Outbox.attempts - 1)
            )

    async def defer(self, row_id: int, not_before: datetime) -> None:
        """Puts a claimed row back for later without counting an attempt (pacing, sending
        hours)."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                .where(m.Outbox.id == row_id)
                .values(
                    not_before=not_before,
                    claimed_until=None,
                    attempts=m.Outbox.attempts - 1,
                    status=_back_to_pending(),
                )
            )

    async def move_chat(self, channel: str, old: str, new: str) -> None:
        """A group became a supergroup: its unsent messages follow it to the new id."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                .where(
                    m.Outbox.channel == channel,
                    m.Outbox.chat_id == old,
                    m.Outbox.status.in_(IN_FLIGHT),
                )
                .values(chat_id=new, claimed_until=None, status="pending")
            )

    async def skip_prefix(self, prefix: str) -> None:
        """Messages not sent yet whose key starts with `prefix` will not be sent (a task was
        closed: its queued reminders are moot)."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                # a row left "sending" by a sender that died is moot too
                .where(m.Outbox.key.startswith(prefix), m.Outbox.status.in_(IN_FLIGHT))
                .values(status="skipped")
            )

    async def sent(self, row_id: int, at: datetime, attachment_dropped: str | None = None) -> None:
        """The chat got the message (`attachment_dropped`: the text, not its attachment)."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                .where(m.Outbox.id == row_id)
                .values(
                    status="partial" if attachment_dropped else "sent",
                    sent_at=at,
                    claimed_until=None,
                    last_error=attachment_dropped[:500] if attachment_dropped else None,
                    reason="attachment" if attachment_dropped else None,
                )
            )

    async def retry(
        self,
        row_id: int,
        not_before: datetime,
        error: str,
        unsure: bool = False,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Tries the row again from `not_before`. `unsure`: the send that failed may have
        reached the chat (counted); `payload`: the row's payload with the progress made (the
        parts of a long message already delivered)."""
        values: dict[str, Any] = {
            "not_before": not_before,
            "claimed_until": None,
            "last_error": error[:500],
            "status": _back_to_pending(),
        }
        if unsure:
            values["unsure_sends"] = m.Outbox.unsure_sends + 1
        if payload is not None:
            values["payload"] = payload
        async with self.sessions.begin() as s:
            await s.execute(update(m.Outbox).where(m.Outbox.id == row_id).values(**values))

    async def give_up(self, row_id: int, error: str, reason: str = "error") -> None:
        """The row will not be sent: `reason` is the code people read (translated), `error`
        the platform's words."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.Outbox)
                .where(m.Outbox.id == row_id)
                .values(
                    status="failed", claimed_until=None, last_error=error[:500], reason=reason[:16]
                )
            )

    async def chat_gone(self, channel: str, chat_id: str) -> int | None:
        """Marks an active chat inactive (it blocked or removed the bot). Returns its ward when
        this call made the change (so one replica, once, tells the admins), else None."""
        async with self.sessions.begin() as s:
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
            )
            if chat is None:
                return None
            result = await s.execute(
                update(m.Chat)
                .where(m.Chat.id == chat.id, m.Chat.active.is_(True))
                .values(active=False)
            )
            return chat.ward_id if getattr(result, "rowcount", 0) else None

    async def rows(self, key_prefix: str = "") -> list[tuple[str, str, str, str]]:
        """(key, channel, chat_id, status) of the rows whose key starts with the prefix."""
        async with self.sessions() as s:
            result = await s.execute(
                select(m.Outbox.key, m.Outbox.channel, m.Outbox.chat_id, m.Outbox.status)
                .where(m.Outbox.key.startswith(key_prefix))
                .order_by(m.Outbox.id)
            )
            return [(r[0], r[1], r[2], r[3]) for r in result.all()]

    async def supersede_older(
        self, newest: dict[tuple[int, str, str], set[str]], now: datetime
    ) -> int:
        """A newer step of a task reaches a chat: that task's older reminders to the chat that
        are still waiting and already due are skipped (after downtime only the newest step
        goes out). `newest` maps (task id, channel, chat id) to the keys of the new steps.
        A snoozed repeat set for later is not due yet and stays. Returns how many it skipped.
        """
        from store.keys import parse_task_key

        if not newest:
            return 0
        async with self.sessions.begin() as s:
            waiting = await s.execute(
                select(m.Outbox.id, m.Outbox.key, m.Outbox.channel, m.Outbox.chat_id).where(
                    m.Outbox.status == "pending",
                    m.Outbox.lane == "reminder",
                    m.Outbox.key.startswith("task:"),
                    m.Outbox.not_before <= now,
                    or_(m.Outbox.claimed_until.is_(None), m.Outbox.claimed_until < now),
                )
            )
            stale = []
            for row_id, key, channel, chat_id in waiting.all():
                parts = parse_task_key(key)
                if parts is None:
                    continue
                keep = newest.get((parts.task_id, channel, chat_id))
                if keep is not None and key not in keep:
                    stale.append(row_id)
            for start in range(0, len(stale), 500):
                await s.execute(
                    update(m.Outbox)
                    .where(m.Outbox.id.in_(stale[start : start + 500]))
                    .values(status="skipped")
                )
            return len(stale)
