"""What the portal fetch writes: the province lists (ProvinceRow) and its runs (PortalRun).

The answers about the province read the rows elsewhere (store/province.py). A list is
replaced as a whole: `save_list` upserts its rows in a few multi-row statements and drops the
communes that are no longer in it, in one transaction.

A failure streak is the failed runs since the last run that worked; its first run's id names
it in the admins' alert keys (store/keys.py `portal_alert_key`), so each streak is told once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest.portal import ProvinceList
from store import models as m

CHUNK = 1000  # rows per executemany
LIST_KEY = ("province_id", "unit_level", "period_kind", "year", "period", "unit_id")


@dataclass(frozen=True)
class PortalRunRec:
    id: int
    ward_id: int
    slot: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool
    reason: str | None
    detail: str
    summary: dict[str, Any] = field(default_factory=dict)


def _run_rec(r: m.PortalRun) -> PortalRunRec:
    return PortalRunRec(
        r.id,
        r.ward_id,
        r.slot,
        r.started_at,
        r.finished_at,
        r.ok,
        r.reason,
        r.detail,
        dict(r.summary or {}),
    )


@dataclass(frozen=True)
class Streak:
    """The current failure streak: its first failed run and how many runs failed."""

    first: PortalRunRec
    runs: int


class PortalStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    # --- province lists ---------------------------------------------------------------
    async def save_list(self, plist: ProvinceList, fetched_at: datetime) -> int:
        """Stores a fetched list (one row per commune): new communes are added, known ones
        updated, those no longer listed removed. Returns how many rows the list has."""
        async with self.sessions.begin() as s:
            count = await self.save_list_in(s, plist, fetched_at)
        return count

    @staticmethod
    async def save_list_in(s: AsyncSession, plist: ProvinceList, fetched_at: datetime) -> int:
        """`save_list` inside the caller's transaction."""
        period = plist.period
        rows = [
            {
                "province_id": plist.province_id,
                "unit_level": plist.unit_level,
                "period_kind": period.kind,
                "year": period.year,
                "period": period.period,
                "unit_id": row.unit_id,
                "name": row.name[:255],
                "position": row.position,
                "rank": row.rank,
                "total": row.total,
                "groups": {code: str(score) for code, score in row.groups.items()},
                "fetched_at": fetched_at,
            }
            for row in plist.rows
        ]
        # one statement, compiled once (cached), executed for every row by the driver's
        # executemany: a multi-row VALUES statement would be compiled anew for each size
        conn = await s.connection()
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(m.ProvinceRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(LIST_KEY),
            set_={
                "name": stmt.excluded.name,
                "position": stmt.excluded.position,
                "rank": stmt.excluded.rank,
                "total": stmt.excluded.total,
                "groups": stmt.excluded.groups,
                "fetched_at": stmt.excluded.fetched_at,
            },
        )
        for start in range(0, len(rows), CHUNK):
            await conn.execute(stmt, rows[start : start + CHUNK])
        # the communes this fetch did not list (every row it listed has its time)
        await s.execute(
            delete(m.ProvinceRow).where(
                m.ProvinceRow.province_id == plist.province_id,
                m.ProvinceRow.unit_level == plist.unit_level,
                m.ProvinceRow.period_kind == period.kind,
                m.ProvinceRow.year == period.year,
                m.ProvinceRow.period == period.period,
                m.ProvinceRow.fetched_at != fetched_at,
            )
        )
        return len(rows)

    async def save_lists(self, lists: list[ProvinceList], fetched_at: datetime) -> int:
        """Several lists in one transaction (a national list: one per province)."""
        async with self.sessions.begin() as s:
            return sum([await self.save_list_in(s, p, fetched_at) for p in lists])

    async def count_rows(
        self, province_id: str, unit_level: str, period_kind: str, year: int, period: int
    ) -> int:
        async with self.sessions() as s:
            found = await s.scalar(
                select(func.count(m.ProvinceRow.id)).where(
                    m.ProvinceRow.province_id == province_id,
                    m.ProvinceRow.unit_level == unit_level,
                    m.ProvinceRow.period_kind == period_kind,
                    m.ProvinceRow.year == year,
                    m.ProvinceRow.period == period,
                )
            )
        return int(found or 0)

    # --- the ward's snapshots ---------------------------------------------------------
    async def latest_snapshot_id(
        self, ward_id: int, period_kind: str, year: int, period: int
    ) -> int | None:
        """The newest snapshot of one period (latest as-of, then latest stored)."""
        async with self.sessions() as s:
            found: int | None = await s.scalar(
                select(m.Snapshot.id)
                .where(
                    m.Snapshot.ward_id == ward_id,
                    m.Snapshot.period_kind == period_kind,
                    m.Snapshot.year == year,
                    m.Snapshot.period == period,
                )
                .order_by(m.Snapshot.as_of.desc(), m.Snapshot.id.desc())
                .limit(1)
            )
        return found

    # --- runs -------------------------------------------------------------------------
    async def start_run(self, ward_id: int, slot: str, at: datetime) -> int:
        async with self.sessions.begin() as s:
            run = m.PortalRun(ward_id=ward_id, slot=slot, started_at=at, ok=False, detail="")
            s.add(run)
            await s.flush()
            return run.id

    async def finish_run(
        self,
        run_id: int,
        at: datetime,
        ok: bool,
        reason: str | None = None,
        detail: str = "",
        summary: dict[str, Any] | None = None,
    ) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                update(m.PortalRun)
                .where(m.PortalRun.id == run_id)
                .values(
                    finished_at=at,
                    ok=ok,
                    reason=None if ok else reason,
                    detail=detail[:1000],
                    summary=summary or {},
                )
            )

    async def slots_taken(self, slot: str, since: datetime) -> set[int]:
        """The wards whose run for `slot` finished, or started after `since` (still running,
        perhaps in another process): the slot is not run again for them."""
        async with self.sessions() as s:
            found = await s.scalars(
                select(m.PortalRun.ward_id)
                .where(
                    m.PortalRun.slot == slot,
                    or_(m.PortalRun.finished_at.is_not(None), m.PortalRun.started_at >= since),
                )
                .distinct()
            )
            return set(found)

    async def last_run(self, ward_id: int, ok: bool | None = None) -> PortalRunRec | None:
        """The latest finished run (only those that worked, or failed, when `ok` says)."""
        conditions = [m.PortalRun.ward_id == ward_id, m.PortalRun.finished_at.is_not(None)]
        if ok is not None:
            conditions.append(m.PortalRun.ok.is_(ok))
        async with self.sessions() as s:
            run = await s.scalar(
                select(m.PortalRun)
                .where(and_(*conditions))
                .order_by(m.PortalRun.started_at.desc(), m.PortalRun.id.desc())
                .limit(1)
            )
            return _run_rec(run) if run else None

    async def streak(self, ward_id: int, before: int | None = None) -> Streak | None:
        """The failed runs since the last run that worked (among the runs before run id
        `before`, when given); None when the latest run worked or there is none."""
        conditions = [m.PortalRun.ward_id == ward_id, m.PortalRun.finished_at.is_not(None)]
        if before is not None:
            conditions.append(m.PortalRun.id < before)
        async with self.sessions() as s:
            last_ok = await s.scalar(
                select(func.max(m.PortalRun.id)).where(*conditions, m.PortalRun.ok.is_(True))
            )
            failed = (
                await s.scalars(
                    select(m.PortalRun)
                    .where(*conditions, m.PortalRun.ok.is_(False), m.PortalRun.id > (last_ok or 0))
                    .order_by(m.PortalRun.id)
                )
            ).all()
        if not failed:
            return None
        return Streak(_run_rec(failed[0]), len(failed))

    async def runs(self, ward_id: int, limit: int = 20) -> list[PortalRunRec]:
        async with self.sessions() as s:
            found = await s.scalars(
                select(m.PortalRun)
                .where(m.PortalRun.ward_id == ward_id)
                .order_by(m.PortalRun.id.desc())
                .limit(limit)
            )
            return [_run_rec(r) for r in found]


STALE_RUN = timedelta(minutes=15)  # a run started longer ago and never finished: it died

__all__ = ["STALE_RUN", "PortalRunRec", "PortalStore", "Streak"]
