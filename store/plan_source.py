"""Open tasks as the reminder planner needs them (`reminders.planner.PlanTask`), read with one
query: the scheduler's per-tick read."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import String, case, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from reminders.planner import PlanTask
from store import models as m
from store.tasks import done_occurrences

SEP = "\x1f"  # between department codes in the aggregated column


async def load_plan_tasks(
    session: AsyncSession,
    ward_ids: Sequence[int] | None = None,
    deadline_before: date | None = None,
) -> list[PlanTask]:
    """The open tasks of some wards (all wards if None), with their departments, lead first.

    With `deadline_before` (see `planner.deadline_horizon`), only the tasks that can have a
    step due: recurring ones, and one-off ones whose deadline is before that day.
    A task's `created_at` is when it was loaded or, if its deadline was changed since, when
    that happened (its reminders are planned from the new deadline as if loaded then).
    One row per task: the lead and the supporting departments' codes are aggregated in SQL
    (in unit order). A unit that is not a department of the ward is left out.
    `done_occurrences` are the occurrences of recurring tasks reported done (task events
    "occurrence_done", written by closing a recurring task for one period).
    """
    t, u, d = m.Task, m.TaskUnit, m.Department
    lead = case((u.role == "lead", d.code))
    support = case((u.role != "lead", d.code))
    if session.get_bind().dialect.name == "postgresql":
        leads: Any = func.string_agg(lead, aggregate_order_by(literal(SEP), u.position))
        supports: Any = func.string_agg(support, aggregate_order_by(literal(SEP), u.position))
    else:  # SQLite aggregates in join order: the units' index, i.e. the order they were added
        leads, supports = func.group_concat(lead, SEP), func.group_concat(support, SEP)
    query = (
        select(
            t.id,
            t.ward_id,
            t.number,
            # read as they come from the driver (ISO text in SQLite) and converted below, with
            # a memo: a directive's tasks share their load time, and deadlines repeat
            type_coerce(t.deadline, String),
            t.recurrence,
            t.status,
            # "loaded or last rescheduled": the planner's start for the task's steps
            type_coerce(func.coalesce(t.rescheduled_at, t.created_at), String),
            type_coerce(t.closed_at, String),
            leads,
            supports,
        )
        .outerjoin(u, u.task_id == t.id)
        .outerjoin(d, d.id == u.department_id)
        .where(t.status == "open")
        .group_by(t.id)
    )
    if ward_ids is not None:
        query = query.where(t.ward_id.in_(list(ward_ids)))
    if deadline_before is not None:
        query = query.where(or_(t.recurrence.is_not(None), t.deadline < deadline_before))
    connection = await session.connection()
    rows = (await connection.execute(query)).all()
    done = await done_occurrences(session, [r[0] for r in rows if r[4]])
    dates: dict[Any, date | None] = {None: None}
    times: dict[Any, datetime | None] = {None: None}
    paused = gc.isenabled()
    gc.disable()  # 100,000 small acyclic objects
    try:
        return [
            PlanTask(
                id=tid,
                number=number,
                deadline=dates[deadline] if deadline in dates else _date(dates, deadline),
                recurrence=recurrence,
                status=status,
                created_at=times[created_at] if created_at in times else _time(times, created_at),  # type: ignore[arg-type]
                closed_at=times[closed_at] if closed_at in times else _time(times, closed_at),
                departments=_codes(lead_codes, support_codes),
                done_occurrences=done.get(tid, frozenset()),
                ward_id=ward_id,
            )
            for (
                tid,
                ward_id,
                number,
                deadline,
                recurrence,
                status,
                created_at,
                closed_at,
                lead_codes,
                support_codes,
            ) in rows
        ]
    finally:
        if paused:
            gc.enable()


def _date(memo: dict[Any, date | None], value: Any) -> date:
    found = memo[value] = date.fromisoformat(value) if isinstance(value, str) else value
    return found


def _time(memo: dict[Any, datetime | None], value: Any) -> datetime:
    """An aware datetime from the driver's value (naive UTC text in SQLite)."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    memo[value] = found
    return found


def _codes(leads: str | None, supports: str | None) -> tuple[str, ...]:
    if not supports:
        return tuple(leads.split(SEP)) if leads else ()
    codes = [*leads.split(SEP), *supports.split(SEP)] if leads else supports.split(SEP)
    return tuple(dict.fromkeys(codes))


__all__ = ["load_plan_tasks"]
