"""Sub-criterion figures (numerator / denominator) a ward's admins stored, per period.

Every query takes the ward. A set of figures (one paste or one file, any number of periods)
is stored in one transaction: all of it, or none. Storing figures of a sub-criterion that are
already stored for the same period and date replaces them. Reading a period gives, for each
sub-criterion, its newest figures (the latest date, then the latest stored), so figures sent
in several messages add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest.metric_text import MetricDraft
from ingest.textnorm import fold_name
from store import models as m
from store.records import WardRec

FETCH_WINDOW = timedelta(minutes=30)  # rows of one portal fetch are stored this close together


@dataclass(frozen=True)
class FigureRec:
    code: str
    group_code: str
    numerator: Decimal
    denominator: Decimal
    as_of: date
    source: str = "text"
    created_by: str = ""


@dataclass(frozen=True)
class PeriodRef:
    kind: str  # month | quarter | half | year
    year: int
    period: int  # 0 for year


@dataclass(frozen=True)
class ProvinceEntry:
    unit_id: str
    name: str
    total: Decimal


@dataclass(frozen=True)
class ProvinceTotals:
    """The province's list of one period (the newest fetch), and the ward's line in it."""

    entries: tuple[ProvinceEntry, ...]
    own: int | None  # index of the ward's entry; None when it is not found

    def rank_with(self, total: Decimal) -> tuple[int, int]:
        """(rank, of) the ward would have with this total among the others of the list
        (equal totals share a rank)."""
        others = [e for i, e in enumerate(self.entries) if i != self.own]
        return 1 + sum(1 for e in others if e.total > total), len(others) + 1


class MetricStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def save(self, ward_id: int, drafts: Sequence[MetricDraft], by: str, at: datetime) -> int:
        """Stores every figure of the drafts (each with its period and date set) in one
        transaction; returns how many were stored."""
        count = 0
        async with self.sessions.begin() as s:
            for d in drafts:
                if d.period_kind is None or d.year is None or d.as_of is None:
                    raise ValueError("a draft is stored with its period and date")
                period = d.period or 0
                codes = [f.code for f in d.figures]
                await s.execute(
                    delete(m.MetricFigure).where(
                        m.MetricFigure.ward_id == ward_id,
                        m.MetricFigure.period_kind == d.period_kind,
                        m.MetricFigure.year == d.year,
                        m.MetricFigure.period == period,
                        m.MetricFigure.as_of == d.as_of,
                        m.MetricFigure.code.in_(codes),
                    )
                )
                for f in d.figures:
                    s.add(
                        m.MetricFigure(
                            ward_id=ward_id,
                            period_kind=d.period_kind,
                            year=d.year,
                            period=period,
                            as_of=d.as_of,
                            group_code=f.group,
                            code=f.code,
                            numerator=f.numerator,
                            denominator=f.denominator,
                            source=d.source,
                            created_at=at,
                            created_by=by,
                        )
                    )
                    count += 1
        return count

    async def latest(
        self, ward_id: int, kind: str, year: int, period: int | None
    ) -> dict[str, FigureRec]:
        """Each sub-criterion's newest figures for one period of the ward: code -> figures."""
        f = m.MetricFigure
        async with self.sessions() as s:
            rows = (
                await s.scalars(
                    select(f)
                    .where(
                        f.ward_id == ward_id,
                        f.period_kind == kind,
                        f.year == year,
                        f.period == (period or 0),
                    )
                    .order_by(f.as_of.desc(), f.id.desc())
                )
            ).all()
        found: dict[str, FigureRec] = {}
        for row in rows:
            if row.code not in found:
                found[row.code] = FigureRec(
                    row.code,
                    row.group_code,
                    Decimal(row.numerator),
                    Decimal(row.denominator),
                    row.as_of,
                    row.source,
                    row.created_by,
                )
        return found

    async def stored_codes(
        self, ward_id: int, kind: str, year: int, period: int | None, as_of: date
    ) -> set[str]:
        """The sub-criteria with figures stored for this period and date (what storing new
        figures of the same period and date replaces)."""
        f = m.MetricFigure
        async with self.sessions() as s:
            rows = await s.scalars(
                select(f.code).where(
                    f.ward_id == ward_id,
                    f.period_kind == kind,
                    f.year == year,
                    f.period == (period or 0),
                    f.as_of == as_of,
                )
            )
            return set(rows.all())

    async def periods(self, ward_id: int) -> list[PeriodRef]:
        """The periods the ward has figures for, newest first (months before the running
        total of the same year: the monthly figures are "the current" ones)."""
        f = m.MetricFigure
        async with self.sessions() as s:
            rows = (
                await s.execute(
                    select(f.period_kind, f.year, f.period)
                    .where(f.ward_id == ward_id)
                    .group_by(f.period_kind, f.year, f.period)
                )
            ).all()
        order = {"month": 0, "year": 1, "quarter": 2, "half": 3}
        refs = [PeriodRef(kind, year, period) for kind, year, period in rows]
        return sorted(refs, key=lambda r: (order.get(r.kind, 9), -r.year, -r.period))

    async def province_totals(
        self, ward: WardRec, kind: str, year: int, period: int | None
    ) -> ProvinceTotals | None:
        """The ward's province list for one period ([portal] in ward.toml says which), from
        the newest fetch; None without [portal] or rows."""
        portal = ward.portal or {}
        province_id = str(portal.get("province_id") or "").strip()
        if not province_id:
            return None
        unit_level = str(portal.get("unit_level") or "2").strip()
        r = m.ProvinceRow
        async with self.sessions() as s:
            rows = (
                await s.execute(
                    select(r.unit_id, r.name, r.total, r.fetched_at).where(
                        r.province_id == province_id,
                        r.unit_level == unit_level,
                        r.period_kind == kind,
                        r.year == year,
                        r.period == (period or 0),
                    )
                )
            ).all()
        if not rows:
            return None
        newest = max(row.fetched_at for row in rows)
        entries = tuple(
            ProvinceEntry(str(row.unit_id), row.name, Decimal(row.total))
            for row in rows
            if row.fetched_at >= newest - FETCH_WINDOW
        )
        unit_id = str(portal.get("unit_id") or "").strip()
        own = next((i for i, e in enumerate(entries) if unit_id and e.unit_id == unit_id), None)
        if own is None:
            wanted = fold_name(str(portal.get("unit_name") or ward.name))
            named = [i for i, e in enumerate(entries) if fold_name(e.name) == wanted]
            own = named[0] if len(named) == 1 else None
        return ProvinceTotals(entries, own)


__all__ = [
    "FigureRec",
    "MetricStore",
    "PeriodRef",
    "ProvinceEntry",
    "ProvinceTotals",
]
