"""Broadcasts: who sent what to which chats, and how each chat's message fared.

A broadcast and its outbox rows (`broadcast:<id>:<channel>:<chat>`, lane "broadcast") are
written in one transaction: nothing is half-queued. Cancelling stops the rows not handed to a
channel yet (the delivery checks right before each send) and says how many were on their way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.hours import ANYTIME_UNTIL, OUTSIDE_HOURS_GRACE
from store import models as m
from store.keys import broadcast_key, broadcast_prefix
from store.outbox import CANCELLED_ON_THE_WAY, IN_FLIGHT
from store.records import ChatRec

LANE = "broadcast"


@dataclass(frozen=True)
class BroadcastRec:
    id: int
    ward_id: int
    sender: str
    text: str
    audience: str
    send_at: datetime
    created_at: datetime
    status: str
    total: int
    attachment_kind: str | None = None
    attachment_name: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # outbox status -> chats
    # (chat title or id, channel, reason code: delivery.failure_reason's, "no_channel"...)
    failures: tuple[tuple[str, str, str], ...] = ()
    partials: tuple[tuple[str, str], ...] = ()  # (chat, channel) that got it without the file
    outside_hours: bool = False  # confirmed for a time outside the ward's sending hours
    # sends whose outcome was unknown (answer lost, sender died) and were tried again: each
    # of these messages may have reached its chat twice
    unsure: int = 0

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(status, 0) for status in statuses)


@dataclass(frozen=True)
class Cancelled:
    """What cancelling did: `stopped` chats will not get it; `on_the_way` were already handed
    to their channel (they are reported as sent or failed); `delivered` had it already."""

    stopped: int
    on_the_way: int
    delivered: int


def key_prefix(broadcast_id: int) -> str:
    return broadcast_prefix(broadcast_id)


class BroadcastStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def create(
        self,
        ward_id: int,
        *,
        sender: str,
        sender_channel: str,
        sender_chat: str,
        text: str,
        audience: str,
        chats: list[ChatRec],
        send_at: datetime,
        at: datetime,
        attachment_kind: str | None = None,
        attachment_name: str | None = None,
        attachment_ref: str | None = None,
        attachment: bytes | None = None,
        outside_hours: bool = False,
    ) -> int:
        """`outside_hours`: the sender confirmed `send_at` although it is outside the ward's
        sending hours; its messages go then (or within OUTSIDE_HOURS_GRACE of it)."""
        async with self.sessions.begin() as s:
            row = m.Broadcast(
                ward_id=ward_id,
                sender=sender,
                sender_channel=sender_channel,
                sender_chat=sender_chat,
                text=text,
                audience=audience,
                send_at=send_at,
                created_at=at,
                status="queued",
                total=len(chats),
                attachment_kind=attachment_kind,
                attachment_name=attachment_name,
                attachment_ref=attachment_ref,
                attachment=attachment,
                outside_hours=outside_hours,
            )
            s.add(row)
            await s.flush()
            payload: dict[str, Any] = {"text": text, "broadcast": row.id}
            if attachment_kind:
                payload[attachment_kind] = attachment_ref or f"broadcast:{row.id}"
                payload["file_name"] = attachment_name
            if outside_hours:
                payload[ANYTIME_UNTIL] = (send_at + OUTSIDE_HOURS_GRACE).isoformat()
            s.add_all(
                [
                    m.Outbox(
                        key=broadcast_key(row.id, c.channel, c.chat_id),
                        # the chat's own ward (a province's broadcast reaches many wards): its
                        # sending hours apply
                        ward_id=c.ward_id or ward_id,
                        lane=LANE,
                        channel=c.channel,
                        chat_id=c.chat_id,
                        payload=payload,
                        status="pending",
                        attempts=0,
                        not_before=send_at,
                        created_at=at,
                    )
                    for c in chats
                ]
            )
            return row.id

    async def attachment(self, broadcast_id: int) -> tuple[bytes | None, str | None]:
        async with self.sessions() as s:
            row = await s.get(m.Broadcast, broadcast_id)
            return (row.attachment, row.attachment_name) if row else (None, None)

    async def get(self, ward_id: int | None, broadcast_id: int) -> BroadcastRec | None:
        async with self.sessions() as s:
            row = await s.get(m.Broadcast, broadcast_id)
            if row is None or (ward_id is not None and row.ward_id != ward_id):
                return None
            counts = dict(
                (r[0], r[1])
                for r in (
                    await s.execute(
                        select(m.Outbox.status, func.count())
                        .where(m.Outbox.key.startswith(key_prefix(broadcast_id)))
                        .group_by(m.Outbox.status)
                    )
                ).all()
            )
            unsure = await s.scalar(
                select(func.coalesce(func.sum(m.Outbox.unsure_sends), 0)).where(
                    m.Outbox.key.startswith(key_prefix(broadcast_id))
                )
            )
            rows = (
                await s.execute(
                    select(m.Outbox.channel, m.Outbox.chat_id, m.Outbox.status, m.Outbox.reason)
                    .where(
                        m.Outbox.key.startswith(key_prefix(broadcast_id)),
                        m.Outbox.status.in_(("failed", "partial")),
                    )
                    .order_by(m.Outbox.id)
                )
            ).all()
            failed_ids = sorted({f[1] for f in rows})
            titles = {
                (c.channel, c.chat_id): c.title
                for c in (
                    await s.scalars(select(m.Chat).where(m.Chat.chat_id.in_(failed_ids)))
                    if failed_ids
                    else ()
                )
            }
            failures = tuple(
                (titles.get((f[0], f[1])) or f[1], f[0], f[3] or "")
                for f in rows
                if f[2] == "failed"
            )
            partials = tuple(
                (titles.get((f[0], f[1])) or f[1], f[0]) for f in rows if f[2] == "partial"
            )
            return BroadcastRec(
                row.id,
                row.ward_id,
                row.sender,
                row.text,
                row.audience,
                row.send_at,
                row.created_at,
                row.status,
                row.total,
                row.attachment_kind,
                row.attachment_name,
                counts,
                failures,
                partials,
                bool(row.outside_hours),
                int(unsure or 0),
            )

    async def recent(self, ward_id: int | None, limit: int = 10) -> list[BroadcastRec]:
        async with self.sessions() as s:
            query = select(m.Broadcast.id).order_by(m.Broadcast.id.desc()).limit(limit)
            if ward_id is not None:
                query = query.where(m.Broadcast.ward_id == ward_id)
            ids = list(await s.scalars(query))
        found = [await self.get(ward_id, i) for i in ids]
        return [b for b in found if b is not None]

    async def cancel(self, ward_id: int | None, broadcast_id: int) -> Cancelled | None:
        """Stops the messages not handed to a channel yet; None if no such broadcast.

        A delivery loop may hold some of them claimed: it checks each row right before the
        send (`OutboxStore.start`), so every row counted as stopped here stays unsent."""
        async with self.sessions.begin() as s:
            row = await s.get(m.Broadcast, broadcast_id, with_for_update=True)
            if row is None or (ward_id is not None and row.ward_id != ward_id):
                return None
            mine = m.Outbox.key.startswith(key_prefix(broadcast_id))
            result = await s.execute(
                update(m.Outbox)
                .where(mine, m.Outbox.status == "pending")
                .values(status="cancelled")
                .execution_options(synchronize_session=False)
            )
            # on their way: reported as sent or failed, never tried again
            await s.execute(
                update(m.Outbox)
                .where(mine, m.Outbox.status == "sending")
                .values(reason=CANCELLED_ON_THE_WAY)
                .execution_options(synchronize_session=False)
            )
            counts = dict(
                (r[0], r[1])
                for r in (
                    await s.execute(
                        select(m.Outbox.status, func.count())
                        .where(mine, m.Outbox.status.in_(("sending", "sent", "partial")))
                        .group_by(m.Outbox.status)
                    )
                ).all()
            )
            row.status = "cancelled"
            return Cancelled(
                int(getattr(result, "rowcount", 0) or 0),
                counts.get("sending", 0),
                counts.get("sent", 0) + counts.get("partial", 0),
            )

    async def settle(self) -> list[tuple[BroadcastRec, str, str]]:
        """Broadcasts whose every message is sent, failed or cancelled: marked done and
        returned with where to report (channel, chat)."""
        done = []
        async with self.sessions.begin() as s:
            queued = (
                await s.scalars(select(m.Broadcast).where(m.Broadcast.status == "queued"))
            ).all()
            for row in queued:
                left = await s.scalar(
                    select(func.count())
                    .select_from(m.Outbox)
                    .where(
                        m.Outbox.key.startswith(key_prefix(row.id)),
                        m.Outbox.status.in_(IN_FLIGHT),
                    )
                )
                if not left:
                    row.status = "done"
                    done.append((row.id, row.sender_channel, row.sender_chat))
        result = []
        for broadcast_id, channel, chat in done:
            rec = await self.get(None, broadcast_id)
            if rec is not None:
                result.append((rec, channel, chat))
        return result
