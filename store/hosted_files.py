"""Files served over HTTP at unguessable, expiring URLs (`bot/files.py`): kept in the database
so that every process of the bot serves what any of them stored, and a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m


@dataclass(frozen=True)
class HostedFileRec:
    token: str
    name: str
    content_type: str
    sha256: str
    size: int
    created_at: datetime
    expires_at: datetime
    data: bytes | None = None  # read only when serving


def _rec(row: m.HostedFile, with_data: bool = False) -> HostedFileRec:
    return HostedFileRec(
        token=row.token,
        name=row.name,
        content_type=row.content_type,
        sha256=row.sha256,
        size=row.size,
        created_at=row.created_at,
        expires_at=row.expires_at,
        data=row.data if with_data else None,
    )


class HostedFileStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def add(
        self,
        token: str,
        name: str,
        content_type: str,
        data: bytes,
        sha256: str,
        at: datetime,
        expires_at: datetime,
    ) -> HostedFileRec:
        row = m.HostedFile(
            token=token,
            name=name,
            content_type=content_type,
            sha256=sha256,
            size=len(data),
            data=data,
            created_at=at,
            expires_at=expires_at,
        )
        async with self.sessions.begin() as s:
            s.add(row)
        return _rec(row)

    async def reusable(
        self, sha256: str, name: str, content_type: str, valid_until: datetime
    ) -> HostedFileRec | None:
        """A stored copy of the same bytes, name and type still valid at `valid_until`."""
        async with self.sessions() as s:
            row = await s.scalar(
                select(m.HostedFile)
                .where(
                    m.HostedFile.sha256 == sha256,
                    m.HostedFile.name == name,
                    m.HostedFile.content_type == content_type,
                    m.HostedFile.expires_at > valid_until,
                )
                .order_by(m.HostedFile.expires_at.desc())
                .limit(1)
            )
            return _rec(row) if row is not None else None

    async def get(self, token: str, now: datetime) -> HostedFileRec | None:
        """The file with its bytes; None when unknown or expired at `now`."""
        async with self.sessions() as s:
            row = await s.scalar(select(m.HostedFile).where(m.HostedFile.token == token))
            if row is None or row.expires_at <= now:
                return None
            return _rec(row, with_data=True)

    async def purge(self, now: datetime) -> int:
        """Deletes the files expired at `now`; returns how many."""
        async with self.sessions.begin() as s:
            result = await s.execute(delete(m.HostedFile).where(m.HostedFile.expires_at <= now))
            return int(getattr(result, "rowcount", 0) or 0)
