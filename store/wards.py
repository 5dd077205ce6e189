"""Reads across the wards of one deployment, each scoped by the ward ids it is given: the
wards a person belongs to, the wards' latest figures and open tasks side by side (the
province view), and their leadership chats (a province officer's broadcast).

A person in several wards is one `people` row per ward with the same channel ids
(`store/models.py`); `memberships` finds every row of the same person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from store import models as m
from store.records import ChatRec, PersonRec, WardRec
from store.repo import Repo, _person_rec, _ward_rec

CHUNK = 500  # ward ids per IN (...) list


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


@dataclass(frozen=True)
class WardFigure:
    """A ward's latest own snapshot of one period kind (no group figures)."""

    ward_id: int
    period_kind: str
    year: int
    period: int
    as_of: date
    total: Decimal
    rank: int | None
    rank_of: int | None


@dataclass(frozen=True)
class OpenTask:
    """An open task's deadline, for counting a ward's open and overdue tasks."""

    ward_id: int
    number: int
    deadline: date | None


class WardStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def memberships(self, person: PersonRec) -> list[PersonRec]:
        """Every ward's row of this person (the same Telegram, Zalo or OA id), by ward
        name; just the person when they have no channel id."""
        p = m.Person
        same = [
            column == value
            for column, value in (
                (p.telegram_id, person.telegram_id),
                (p.zalo_id, person.zalo_id),
                (p.zalo_oa_id, person.zalo_oa_id),
            )
            if value
        ]
        if not same:
            return [person]
        async with self.sessions() as s:
            rows = await s.scalars(
                select(p)
                .join(m.Ward, m.Ward.id == p.ward_id)
                .where(or_(*same))
                .order_by(m.Ward.name, m.Ward.id)
            )
            found = [_person_rec(row) for row in rows]
        return found or [person]

    async def wards(self, ward_ids: Sequence[int]) -> list[WardRec]:
        """These wards (with their departments), by name."""
        result: list[WardRec] = []
        async with self.sessions() as s:
            for chunk in _chunks(sorted(set(ward_ids))):
                wards = (await s.scalars(select(m.Ward).where(m.Ward.id.in_(chunk)))).all()
                depts: dict[int, list[m.Department]] = {}
                for d in await s.scalars(
                    select(m.Department).where(m.Department.ward_id.in_(chunk))
                ):
                    depts.setdefault(d.ward_id, []).append(d)
                result += [_ward_rec(w, depts.get(w.id, ())) for w in wards]
        return sorted(result, key=lambda w: (w.name, w.id))

    async def latest_figures(
        self, ward_ids: Sequence[int], period_kind: str = "month"
    ) -> dict[int, WardFigure]:
        """Each ward's newest snapshot of a period kind (newest period, then as-of date):
        only each ward's newest period is read (its unique index finds it)."""
        sn = m.Snapshot
        newer = aliased(m.Snapshot)
        best: dict[int, WardFigure] = {}
        async with self.sessions() as s:
            for chunk in _chunks(list(ward_ids)):
                newest = (
                    select(func.max(newer.year * 100 + newer.period))
                    .where(newer.ward_id == sn.ward_id, newer.period_kind == period_kind)
                    .scalar_subquery()
                )
                rows = (
                    await s.execute(
                        select(
                            sn.ward_id,
                            sn.year,
                            sn.period,
                            sn.as_of,
                            sn.total,
                            sn.rank,
                            sn.rank_of,
                        ).where(
                            sn.ward_id.in_(chunk),
                            sn.period_kind == period_kind,
                            sn.year * 100 + sn.period == newest,
                        )
                    )
                ).all()
                for row in rows:
                    figure = WardFigure(
                        row.ward_id,
                        period_kind,
                        row.year,
                        row.period,
                        row.as_of,
                        Decimal(row.total),
                        row.rank,
                        row.rank_of,
                    )
                    old = best.get(row.ward_id)
                    if old is None or (figure.year, figure.period, figure.as_of) > (
                        old.year,
                        old.period,
                        old.as_of,
                    ):
                        best[row.ward_id] = figure
        return best

    async def open_tasks(self, ward_ids: Sequence[int]) -> list[OpenTask]:
        """The open tasks of these wards (number and deadline only)."""
        t = m.Task
        found: list[OpenTask] = []
        async with self.sessions() as s:
            for chunk in _chunks(list(ward_ids)):
                rows = (
                    await s.execute(
                        select(t.ward_id, t.number, t.deadline).where(
                            t.ward_id.in_(chunk), t.status == "open"
                        )
                    )
                ).all()
                found += [OpenTask(r.ward_id, r.number, r.deadline) for r in rows]
        return found

    async def leadership_chats(self, ward_ids: Sequence[int]) -> list[ChatRec]:
        """The registered, active leadership chats of these wards."""
        c = m.Chat
        found: list[ChatRec] = []
        async with self.sessions() as s:
            for chunk in _chunks(list(ward_ids)):
                chats = (
                    await s.scalars(
                        select(c)
                        .where(c.ward_id.in_(chunk), c.kind == "leadership", c.active.is_(True))
                        .order_by(c.id)
                    )
                ).all()
                found += [Repo._chat_rec(chat, None) for chat in chats]
        return found


__all__ = ["OpenTask", "WardFigure", "WardStore"]
