"""Durable OAuth tokens (the Zalo OA pair), updated optimistically.

Zalo's refresh tokens are single-use: whoever refreshes must write the new pair here before it
uses it, and two processes must not both believe their refresh won. `save` therefore updates
only the version it was given (``UPDATE ... WHERE version = expected``) and answers None when
another process got there first; the caller then re-reads with `get`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m


@dataclass(frozen=True)
class TokenRec:
    provider: str
    account: str
    access_token: str
    refresh_token: str
    expires_at: datetime
    updated_at: datetime
    version: int

    def __repr__(self) -> str:  # never print the secrets themselves
        return (
            f"TokenRec({self.provider!r}, {self.account!r}, version={self.version}, "
            f"expires_at={self.expires_at.isoformat()})"
        )


def _rec(row: m.OAuthToken) -> TokenRec:
    return TokenRec(
        provider=row.provider,
        account=row.account,
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        expires_at=row.expires_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class TokenStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def get(self, provider: str, account: str) -> TokenRec | None:
        async with self.sessions() as s:
            row = await s.scalar(
                select(m.OAuthToken).where(
                    m.OAuthToken.provider == provider, m.OAuthToken.account == account
                )
            )
            return _rec(row) if row is not None else None

    async def save(
        self,
        provider: str,
        account: str,
        access_token: str,
        refresh_token: str,
        expires_at: datetime,
        at: datetime,
        expected_version: int | None,
    ) -> TokenRec | None:
        """Stores a pair. With `expected_version` None the pair is inserted (version 1) if the
        account has none yet; otherwise the stored pair is replaced only if it still has that
        version (the version is bumped). None: another writer came first; re-read with `get`.
        """
        if expected_version is None:
            try:
                async with self.sessions.begin() as s:
                    s.add(
                        m.OAuthToken(
                            provider=provider,
                            account=account,
                            access_token=access_token,
                            refresh_token=refresh_token,
                            expires_at=expires_at,
                            updated_at=at,
                            version=1,
                        )
                    )
            except IntegrityError:
                return None
            return TokenRec(provider, account, access_token, refresh_token, expires_at, at, 1)
        version = expected_version + 1
        async with self.sessions.begin() as s:
            result = await s.execute(
                update(m.OAuthToken)
                .where(
                    m.OAuthToken.provider == provider,
                    m.OAuthToken.account == account,
                    m.OAuthToken.version == expected_version,
                )
                .values(
                    access_token=access_token,
                    refresh_token=refresh_token,
                    expires_at=expires_at,
                    updated_at=at,
                    version=version,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
        return TokenRec(provider, account, access_token, refresh_token, expires_at, at, version)
