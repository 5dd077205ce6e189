"""The weekly briefing's reads: tasks with their lead departments and closing times, the
periods of recurring duties reported done, broadcasts with their per-chat outcomes, and
snapshots. `reports/weekly.py` builds the briefing from them.

Every query is scoped to one ward. Times are aware (UTC, as stored). The province's list is
read through `store/province.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m
from store.keys import broadcast_prefix
from store.records import SnapshotRec
from store.repo import _snapshot_rec

DELIVERED = ("sent", "partial")


@dataclass(frozen=True)
class BriefUnit:
    code: str | None  # the ward's department code; None for a unit the ward does not have
    name: str  # the department's name, or the unit as written


@dataclass(frozen=True)
class BriefTask:
    """A task as the briefing sees it: what, whose (lead units; all units when none leads),
    by when, and since when it is loaded and closed."""

    id: int
    number: int
    text: str
    deadline: date | None
    recurrence: str | None
    status: str  # open | done
    loaded_at: datetime  # loaded, or its deadline last changed
    created_at: datetime
    closed_at: datetime | None
    leads: tuple[BriefUnit, ...]


@dataclass(frozen=True)
class PeriodReport:
    """One period (occurrence) of a recurring duty reported done, and when."""

    task_id: int
    occurrence: date
    at: datetime


@dataclass(frozen=True)
class BroadcastOutcome:
    id: int
    sender: str
    text: str
    send_at: datetime
    status: str  # queued | done | cancelled
    delivered: int  # chats it reached (sent, or sent without its file) by `until`
    failed: int


class BriefingStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def tasks(self, ward_id: int, since: datetime, until: datetime) -> list[BriefTask]:
        """The ward's tasks loaded by `until` that were open at some moment after `since`
        (open now, or closed after `since`), by number."""
        t = m.Task
        async with self.sessions() as s:
            rows = (
                await s.scalars(
                    select(t)
                    .where(
                        t.ward_id == ward_id,
                        t.created_at <= until,
                        (t.status == "open") | t.closed_at.is_(None) | (t.closed_at > since),
                    )
                    .order_by(t.number)
                )
            ).all()
            dept_ids = {u.department_id for r in rows for u in r.units if u.department_id}
            depts: dict[int, m.Department] = {}
            if dept_ids:
                depts = {
                    d.id: d
                    for d in await s.scalars(
                        select(m.Department).where(
                            m.Department.ward_id == ward_id, m.Department.id.in_(dept_ids)
                        )
                    )
                }
        found = []
        for r in rows:
            units = [u for u in r.units if u.role == "lead"] or list(r.units)
            leads = tuple(
                BriefUnit(depts[u.department_id].code, depts[u.department_id].name)
                if u.department_id in depts
                else BriefUnit(None, u.unit_name)
                for u in units
            )
            found.append(
                BriefTask(
                    id=r.id,
                    number=r.number,
                    text=r.text,
                    deadline=r.deadline,
                    recurrence=r.recurrence,
                    status=r.status,
                    loaded_at=r.rescheduled_at or r.created_at,
                    created_at=r.created_at,
                    closed_at=r.closed_at,
                    leads=leads,
                )
            )
        return found

    async def period_reports(
        self, ward_id: int, task_ids: Sequence[int], until: datetime
    ) -> list[PeriodReport]:
        """The periods of these recurring tasks (of the ward) reported done by `until`."""
        if not task_ids:
            return []
        found: list[PeriodReport] = []
        async with self.sessions() as s:
            for start in range(0, len(task_ids), 1000):
                chunk = list(task_ids[start : start + 1000])
                rows = await s.execute(
                    select(m.TaskEvent.task_id, m.TaskEvent.detail, m.TaskEvent.at)
                    .join(m.Task, m.Task.id == m.TaskEvent.task_id)
                    .where(
                        m.Task.ward_id == ward_id,
                        m.TaskEvent.kind == "occurrence_done",
                        m.TaskEvent.task_id.in_(chunk),
                        m.TaskEvent.at <= until,
                    )
                    .order_by(m.TaskEvent.at)
                )
                for task_id, detail, at in rows.all():
                    occurrence = (detail or {}).get("occurrence")
                    if occurrence:
                        found.append(PeriodReport(task_id, date.fromisoformat(occurrence), at))
        return found

    async def broadcasts(
        self, ward_id: int, since: datetime, until: datetime
    ) -> list[BroadcastOutcome]:
        """The ward's broadcasts due to go out in (since, until], with the chats each reached
        (and failed to reach) by `until`, in the order they went."""
        b = m.Broadcast
        async with self.sessions() as s:
            rows = (
                await s.scalars(
                    select(b)
                    .where(b.ward_id == ward_id, b.send_at > since, b.send_at <= until)
                    .order_by(b.send_at, b.id)
                )
            ).all()
            found = []
            for row in rows:
                mine = m.Outbox.key.startswith(broadcast_prefix(row.id))
                delivered = await s.scalar(
                    select(func.count())
                    .select_from(m.Outbox)
                    .where(
                        mine,
                        m.Outbox.ward_id == ward_id,
                        m.Outbox.status.in_(DELIVERED),
                        m.Outbox.sent_at <= until,
                    )
                )
                failed = await s.scalar(
                    select(func.count())
                    .select_from(m.Outbox)
                    .where(mine, m.Outbox.ward_id == ward_id, m.Outbox.status == "failed")
                )
                found.append(
                    BroadcastOutcome(
                        row.id,
                        row.sender,
                        row.text,
                        row.send_at,
                        row.status,
                        int(delivered or 0),
                        int(failed or 0),
                    )
                )
            return found

    async def snapshots(self, ward_id: int, until: date) -> list[SnapshotRec]:
        """The ward's snapshots with figures as of `until` or earlier, oldest first (by period
        kind, then year, period and as-of date)."""
        sn = m.Snapshot
        async with self.sessions() as s:
            rows = (
                await s.scalars(
                    select(sn)
                    .where(sn.ward_id == ward_id, sn.as_of <= until)
                    .order_by(sn.period_kind, sn.year, sn.period, sn.as_of, sn.id)
                )
            ).all()
            return [_snapshot_rec(r) for r in rows]


__all__ = [
    "BriefTask",
    "BriefUnit",
    "BriefingStore",
    "BroadcastOutcome",
    "PeriodReport",
]
