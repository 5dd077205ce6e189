"""Replies that could not be sent (the platform kept failing) after the change they report
was stored: kept until the next reply to that person, which starts by saying what they missed.

Every message asks whether its person missed something, so the keys with notes are kept in
memory (loaded once from the table, then kept up to date by this process's writes, and read
again when another replica wrote some: `forget`, from store/notify.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m

Key = tuple[str, str, str]  # channel, chat id, user id
MAX_TEXT = 2000  # what is kept of a missed reply (it is quoted shortened anyway)


class MissedReplies:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions
        self._keys: set[Key] | None = None
        self._lock = asyncio.Lock()

    def forget(self, tables: frozenset[str]) -> None:
        """Another process wrote missed replies (store/notify.py): the keys are read again."""
        if "missed_replies" in tables or "*" in tables:
            self._keys = None

    async def _known(self) -> set[Key]:
        if self._keys is None:
            async with self._lock:
                if self._keys is None:
                    async with self.sessions() as s:
                        rows = await s.execute(
                            select(
                                m.MissedReply.channel, m.MissedReply.chat_id, m.MissedReply.user_id
                            )
                        )
                        self._keys = {(r[0], r[1], r[2]) for r in rows}
        return self._keys

    async def add(self, channel: str, chat_id: str, user_id: str, text: str, at: datetime) -> None:
        known = await self._known()
        async with self.sessions.begin() as s:
            s.add(
                m.MissedReply(
                    channel=channel,
                    chat_id=chat_id,
                    user_id=user_id,
                    text=text[:MAX_TEXT],
                    created_at=at,
                )
            )
        known.add((channel, chat_id, user_id))

    async def take(self, channel: str, chat_id: str, user_id: str) -> list[str]:
        """The missed replies of this person in this chat, oldest first, now forgotten."""
        key = (channel, chat_id, user_id)
        known = await self._known()
        if key not in known:
            return []
        known.discard(key)
        where = (
            m.MissedReply.channel == channel,
            m.MissedReply.chat_id == chat_id,
            m.MissedReply.user_id == user_id,
        )
        async with self.sessions.begin() as s:
            rows = await s.scalars(select(m.MissedReply).where(*where).order_by(m.MissedReply.id))
            texts = [row.text for row in rows]
            await s.execute(delete(m.MissedReply).where(*where))
        return texts
