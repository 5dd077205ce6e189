"""Reading the province's list of communes that the portal's daily fetch stores
(`province_rows`, written by `store/portal.py`): the list of a province for one period, the
ward's own line in it, and the analyses of `ingest/province_stats.py` on top.

A list is the latest fetch of (province, unit level, period kind, year, period): the rows the
newest fetch stored, so a commune that is no longer listed (merged, renamed) drops out. One
fetch pages through the portal within minutes; rows stored within `FETCH_WINDOW` of the
newest one belong to it. Lists are cached in this process for `cache_ttl` seconds (they
change once a day); `invalidate()` drops them.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest.province_stats import (
    Commune,
    ProvinceRanking,
    find_commune,
    group_scores,
    neighbours,
    ranked,
)
from store import models as m
from store.records import WardRec

FETCH_WINDOW = timedelta(minutes=30)  # rows of one fetch are stored within this of each other
# the list answering "xếp hạng toàn tỉnh": this month's unless the running total is asked for
PERIOD_KINDS = ("month", "year", "quarter", "half")
DEFAULT_UNIT_LEVEL = "2"  # communes and wards (ingest/ward_config.py's default)

_STORES: weakref.WeakKeyDictionary[Any, ProvinceStore] = weakref.WeakKeyDictionary()


def ward_source(ward: WardRec) -> tuple[str, str] | None:
    """(province id, unit level) of the ward's [portal] config; None without one."""
    portal = ward.portal or {}
    province_id = str(portal.get("province_id") or "").strip()
    if not province_id:
        return None
    return province_id, str(portal.get("unit_level") or DEFAULT_UNIT_LEVEL).strip()


def ward_index(plist: ProvinceRanking, ward: WardRec) -> int | None:
    """The ward's line in the list: by [portal] unit_id, else by unit_name (folded)."""
    portal = ward.portal or {}
    return find_commune(plist, portal.get("unit_id"), portal.get("unit_name"))


class ProvinceStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cache_ttl: float = 5.0,
        now: Callable[[], float] = time.monotonic,
    ):
        self.sessions = sessions
        self.cache_ttl = cache_ttl
        self._now = now
        self._cache: dict[tuple[Any, ...], tuple[float, Any]] = {}

    @classmethod
    def for_sessions(
        cls, sessions: async_sessionmaker[AsyncSession], cache_ttl: float = 5.0
    ) -> ProvinceStore:
        """One store per database in a process (its cache is shared by every question)."""
        store = _STORES.get(sessions)
        if store is None:
            store = _STORES[sessions] = cls(sessions, cache_ttl)
        return store

    def invalidate(self) -> None:
        self._cache.clear()

    def _get(self, key: tuple[Any, ...]) -> tuple[bool, Any]:
        hit = self._cache.get(key)
        if hit is None or self._now() - hit[0] > self.cache_ttl:
            return False, None
        return True, hit[1]

    def _put(self, key: tuple[Any, ...], value: Any) -> None:
        if self.cache_ttl > 0:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = (self._now(), value)

    # --- the lists ------------------------------------------------------------------------
    async def periods(self, province_id: str, unit_level: str) -> list[tuple[str, int, int]]:
        """The (period kind, year, period) stored for a province, newest first per kind."""
        r = m.ProvinceRow
        async with self.sessions() as s:
            rows = (
                await s.execute(
                    select(r.period_kind, r.year, r.period)
                    .where(r.province_id == province_id, r.unit_level == unit_level)
                    .group_by(r.period_kind, r.year, r.period)
                    .order_by(r.period_kind, r.year.desc(), r.period.desc())
                )
            ).all()
        return [(kind, year, period) for kind, year, period in rows]

    async def province_list(
        self,
        province_id: str,
        unit_level: str,
        period_kind: str,
        year: int | None = None,
        period: int | None = None,
    ) -> ProvinceRanking | None:
        """The list of one period (the newest of that kind when year/period are not given),
        in rank order; None when nothing is stored."""
        key = ("list", province_id, unit_level, period_kind, year, period)
        hit, value = self._get(key)
        if hit:
            result: ProvinceRanking | None = value
            return result
        async with self.sessions() as s:
            result = await self._load(s, province_id, unit_level, period_kind, year, period)
        self._put(key, result)
        return result

    @staticmethod
    async def _load(
        s: AsyncSession,
        province_id: str,
        unit_level: str,
        period_kind: str,
        year: int | None,
        period: int | None,
    ) -> ProvinceRanking | None:
        r = m.ProvinceRow
        where = (
            r.province_id == province_id,
            r.unit_level == unit_level,
            r.period_kind == period_kind,
        )
        if year is None:
            newest = (
                await s.execute(
                    select(r.year, r.period)
                    .where(*where)
                    .order_by(r.year.desc(), r.period.desc())
                    .limit(1)
                )
            ).first()
            if newest is None:
                return None
            year, period = newest
        elif period is None:
            period = 0
        rows = (
            await s.execute(
                select(
                    r.unit_id, r.name, r.total, r.rank, r.position, r.groups, r.fetched_at
                ).where(*where, r.year == year, r.period == period)
            )
        ).all()
        if not rows:
            return None
        fetched = max(row.fetched_at for row in rows)
        communes = [
            Commune(
                unit_id=str(row.unit_id),
                name=row.name,
                total=Decimal(row.total),
                rank=row.rank,
                position=row.position,
                groups=group_scores(row.groups),
            )
            for row in rows
            if row.fetched_at >= fetched - FETCH_WINDOW
        ]
        return ProvinceRanking(
            province_id=province_id,
            unit_level=unit_level,
            period_kind=period_kind,
            year=year,
            period=period or 0,
            fetched_at=fetched,
            communes=ranked(communes),
        )

    async def ward_list(
        self,
        ward: WardRec,
        kinds: Sequence[str] = PERIOD_KINDS,
        year: int | None = None,
        period: int | None = None,
    ) -> ProvinceRanking | None:
        """The ward's province list: the newest of the first kind in `kinds` that has one
        (month, then the year's running total, ...); None without [portal] or rows."""
        source = ward_source(ward)
        if source is None:
            return None
        for kind in kinds:
            plist = await self.province_list(*source, kind, year, period)
            if plist is not None:
                return plist
        return None

    # --- for the weekly briefing and other readers ------------------------------------------
    async def neighbours_above(
        self, ward: WardRec, n: int = 3, kinds: Sequence[str] = PERIOD_KINDS
    ) -> tuple[Commune, ...]:
        """The n communes just above the ward in its newest list, nearest last; () when
        the ward has no list or is not found in it."""
        plist = await self.ward_list(ward, kinds)
        if plist is None:
            return ()
        index = ward_index(plist, ward)
        if index is None:
            return ()
        return neighbours(plist, index, above=n, below=0).above


__all__ = ["FETCH_WINDOW", "PERIOD_KINDS", "ProvinceStore", "ward_index", "ward_source"]
