"""Directives and their tasks: store a confirmed directive, list, close and reopen tasks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import models as m
from store.keys import occurrence_prefix, snooze_prefix
from store.outbox import OutboxItem, outbox_row
from store.records import DirectiveRec, TaskRec, TaskUnitRec

IDS_PER_QUERY = 5_000  # ids in one IN (...): asyncpg takes at most 32,767 parameters


@dataclass
class NewUnit:
    role: str
    department: str | None  # a department code of the ward, or None
    name: str  # as written, for a unit the ward does not have


@dataclass
class NewTask:
    text: str
    units: list[NewUnit]
    deadline: date | None = None
    recurrence: str | None = None
    deadline_kind: str | None = None
    deadline_text: str = ""
    source_line: int | None = None
    section: str = ""


@dataclass
class NewDirective:
    kind: str = ""
    number: str = ""
    issued_on: date | None = None
    subject: str = ""
    issuer: str = ""
    signer: str = ""
    signer_title: str = ""
    source_name: str = ""
    tasks: list[NewTask] = field(default_factory=list)


@dataclass(frozen=True)
class Rescheduled:
    """What asking to change a task's deadline did.

    outcome: "changed", or why nothing was: "no_task", "closed" (done), "recurring" (no single
    deadline), "past" (the new date is before today), "same" (already that deadline).
    """

    outcome: str
    task: TaskRec | None = None  # as it is now
    old: date | None = None  # the deadline before the change
    change: int = 0  # the task's n-th deadline change


def _directive_rec(d: m.Directive) -> DirectiveRec:
    return DirectiveRec(
        d.id, d.ward_id, d.kind, d.number, d.issued_on, d.subject, d.signer, d.created_at
    )


async def _locked_task(s: AsyncSession, ward_id: int, number: int) -> m.Task | None:
    """A ward's task by its number, locked for the rest of the transaction."""
    return await s.scalar(
        select(m.Task).where(m.Task.ward_id == ward_id, m.Task.number == number).with_for_update()
    )


async def done_occurrences(
    session: AsyncSession, recurring_ids: list[int]
) -> dict[int, frozenset[date]]:
    """Per recurring task, the occurrences (nominal dates) reported done."""
    found: dict[int, set[date]] = {}
    for start in range(0, len(recurring_ids), 5000):
        chunk = recurring_ids[start : start + 5000]
        rows = await session.execute(
            select(m.TaskEvent.task_id, m.TaskEvent.detail).where(
                m.TaskEvent.kind == "occurrence_done", m.TaskEvent.task_id.in_(chunk)
            )
        )
        for task_id, detail in rows.all():
            occurrence = (detail or {}).get("occurrence")
            if occurrence:
                found.setdefault(task_id, set()).add(date.fromisoformat(occurrence))
    return {task_id: frozenset(days) for task_id, days in found.items()}


class TaskStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def _recs(self, s: AsyncSession, tasks: Sequence[m.Task]) -> list[TaskRec]:
        if not tasks:
            return []
        directive_ids = {t.directive_id for t in tasks}
        directives = {
            d.id: _directive_rec(d)
            for d in await s.scalars(select(m.Directive).where(m.Directive.id.in_(directive_ids)))
        }
        dept_ids = {u.department_id for t in tasks for u in t.units if u.department_id}
        depts = (
            {
                d.id: d
                for d in await s.scalars(select(m.Department).where(m.Department.id.in_(dept_ids)))
            }
            if dept_ids
            else {}
        )
        result = []
        for t in tasks:
            units = tuple(
                TaskUnitRec(
                    u.role,
                    depts[u.department_id].code if u.department_id in depts else None,
                    depts[u.department_id].name if u.department_id in depts else u.unit_name,
                )
                for u in t.units
            )
            result.append(
                TaskRec(
                    id=t.id,
                    ward_id=t.ward_id,
                    number=t.number,
                    directive=directives[t.directive_id],
                    text=t.text,
                    section=t.section,
                    deadline=t.deadline,
                    recurrence=t.recurrence,
                    deadline_kind=t.deadline_kind,
                    deadline_text=t.deadline_text,
                    status=t.status,
                    units=units,
                    closed_at=t.closed_at,
                    closed_by=t.closed_by,
                    evidence_text=t.evidence_text,
                    evidence_file=t.evidence_file,
                )
            )
        return result

    async def save_directive(
        self,
        ward_id: int,
        new: NewDirective,
        by: str,
        at: datetime,
        notices: Callable[[DirectiveRec, list[TaskRec]], list[OutboxItem]] | None = None,
    ) -> tuple[DirectiveRec, list[TaskRec]]:
        """Stores a confirmed directive and its tasks, numbered after the ward's last task,
        with the outbox rows `notices` makes of them, all in one transaction."""
        async with self.sessions.begin() as s:
            directive = m.Directive(
                ward_id=ward_id,
                kind=new.kind,
                number=new.number,
                issued_on=new.issued_on,
                subject=new.subject,
                issuer=new.issuer,
                signer=new.signer,
                signer_title=new.signer_title,
                source_name=new.source_name,
                created_at=at,
                created_by=by,
            )
            s.add(directive)
            await s.flush()
            depts = {
                d.code: d.id
                for d in await s.scalars(
                    select(m.Department).where(m.Department.ward_id == ward_id)
                )
            }
            # Serialise numbering per ward: the row lock (PostgreSQL) or the write lock (SQLite)
            # taken by this update keeps two confirmations from picking the same numbers.
            ward = await s.get(m.Ward, ward_id, with_for_update=True)
            assert ward is not None
            last = await s.scalar(select(func.max(m.Task.number)).where(m.Task.ward_id == ward_id))
            number = last or 0
            tasks = []
            for nt in new.tasks:
                number += 1
                task = m.Task(
                    ward_id=ward_id,
                    directive_id=directive.id,
                    number=number,
                    text=nt.text,
                    section=nt.section,
                    deadline=nt.deadline,
                    recurrence=nt.recurrence,
                    deadline_kind=nt.deadline_kind,
                    deadline_text=nt.deadline_text,
                    source_line=nt.source_line,
                    status="open",
                    created_at=at,
                    units=[
                        m.TaskUnit(
                            department_id=depts.get(u.department or ""),
                            unit_name=u.name,
                            role=u.role,
                            position=i,
                        )
                        for i, u in enumerate(nt.units)
                    ],
                )
                s.add(task)
                tasks.append(task)
            await s.flush()
            rec, recs = _directive_rec(directive), await self._recs(s, tasks)
            if notices is not None:
                s.add_all([outbox_row(item, at) for item in notices(rec, recs)])
            return rec, recs

    async def open_tasks(
        self, ward_id: int, departments: Sequence[str] | None = None, include_done: bool = False
    ) -> list[TaskRec]:
        """Tasks of a ward (of some departments), newest directive first, then by deadline."""
        async with self.sessions() as s:
            query = select(m.Task).where(m.Task.ward_id == ward_id)
            if not include_done:
                query = query.where(m.Task.status == "open")
            if departments is not None:
                dept_ids = select(m.Department.id).where(
                    m.Department.ward_id == ward_id, m.Department.code.in_(list(departments))
                )
                task_ids = select(m.TaskUnit.task_id).where(m.TaskUnit.department_id.in_(dept_ids))
                query = query.where(m.Task.id.in_(task_ids))
            query = query.order_by(m.Task.directive_id.desc(), m.Task.number)
            rows = (await s.scalars(query)).all()
            return await self._recs(s, rows)

    async def of_directives(self, ward_id: int, directive_ids: Sequence[int]) -> list[TaskRec]:
        """Every task (open or done) of these directives: the parts of a task given to several
        departments are found among them (same directive and text)."""
        if not directive_ids:
            return []
        async with self.sessions() as s:
            rows = (
                await s.scalars(
                    select(m.Task)
                    .where(m.Task.ward_id == ward_id, m.Task.directive_id.in_(list(directive_ids)))
                    .order_by(m.Task.number)
                )
            ).all()
            return await self._recs(s, rows)

    async def task(self, ward_id: int, number: int) -> TaskRec | None:
        async with self.sessions() as s:
            row = await s.scalar(
                select(m.Task).where(m.Task.ward_id == ward_id, m.Task.number == number)
            )
            recs = await self._recs(s, [row]) if row else []
            return recs[0] if recs else None

    async def latest_directive(self, ward_id: int) -> DirectiveRec | None:
        async with self.sessions() as s:
            row = await s.scalar(
                select(m.Directive)
                .where(m.Directive.ward_id == ward_id)
                .order_by(m.Directive.id.desc())
                .limit(1)
            )
            return _directive_rec(row) if row else None

    async def close(
        self,
        ward_id: int,
        number: int,
        by: str,
        at: datetime,
        evidence_text: str | None,
        evidence_file: str | None,
        evidence_ref: str | None,
    ) -> TaskRec | None:
        """Marks an open task done with its evidence; None if it is not open any more."""
        async with self.sessions.begin() as s:
            row = await _locked_task(s, ward_id, number)
            if row is None or row.status != "open":
                return None
            row.status, row.closed_at, row.closed_by = "done", at, by
            row.evidence_text, row.evidence_file, row.evidence_ref = (
                evidence_text,
                evidence_file,
                evidence_ref,
            )
            s.add(
                m.TaskEvent(
                    task_id=row.id,
                    at=at,
                    by=by,
                    kind="closed",
                    detail={"text": evidence_text, "file": evidence_file, "ref": evidence_ref},
                )
            )
            await s.flush()
            return (await self._recs(s, [row]))[0]

    async def snooze(self, ward_id: int, number: int, until: date, by: str, at: datetime) -> None:
        async with self.sessions.begin() as s:
            row = await s.scalar(
                select(m.Task).where(m.Task.ward_id == ward_id, m.Task.number == number)
            )
            if row is not None:
                row.snoozed_until = until
                s.add(
                    m.TaskEvent(
                        task_id=row.id,
                        at=at,
                        by=by,
                        kind="snoozed",
                        detail={"until": until.isoformat()},
                    )
                )

    async def by_ids(self, ids: Sequence[int]) -> dict[int, TaskRec]:
        """The tasks of these ids (what `_recs` makes), read as plain columns — no ORM
        objects: a national tick reads ~50,000 tasks — and in chunks, as asyncpg takes at
        most 32,767 parameters a statement (bench/scale.py)."""
        t, d, u, dept = m.Task, m.Directive, m.TaskUnit, m.Department
        ids = list(ids)
        result: dict[int, TaskRec] = {}
        directives: dict[int, DirectiveRec] = {}
        async with self.sessions() as s:
            for start in range(0, len(ids), IDS_PER_QUERY):
                chunk = ids[start : start + IDS_PER_QUERY]
                units: dict[int, list[TaskUnitRec]] = {}
                unit_rows = await s.execute(
                    select(u.task_id, u.role, dept.code, dept.name, u.unit_name)
                    .outerjoin(dept, dept.id == u.department_id)
                    .where(u.task_id.in_(chunk))
                    .order_by(u.task_id, u.position)
                )
                for task_id, role, code, name, unit_name in unit_rows.all():
                    units.setdefault(task_id, []).append(
                        TaskUnitRec(role, code, name if code is not None else unit_name)
                    )
                rows = await s.execute(
                    select(
                        t.id,
                        t.ward_id,
                        t.number,
                        t.text,
                        t.section,
                        t.deadline,
                        t.recurrence,
                        t.deadline_kind,
                        t.deadline_text,
                        t.status,
                        t.closed_at,
                        t.closed_by,
                        t.evidence_text,
                        t.evidence_file,
                        d.id,
                        d.ward_id,
                        d.kind,
                        d.number,
                        d.issued_on,
                        d.subject,
                        d.signer,
                        d.created_at,
                    )
                    .join(d, d.id == t.directive_id)
                    .where(t.id.in_(chunk))
                )
                for row in rows.all():
                    directive = directives.get(row[14])
                    if directive is None:
                        directive = directives[row[14]] = DirectiveRec(
                            row[14], row[15], row[16], row[17], row[18], row[19], row[20], row[21]
                        )
                    result[row[0]] = TaskRec(
                        id=row[0],
                        ward_id=row[1],
                        number=row[2],
                        directive=directive,
                        text=row[3],
                        section=row[4],
                        deadline=row[5],
                        recurrence=row[6],
                        deadline_kind=row[7],
                        deadline_text=row[8],
                        status=row[9],
                        units=tuple(units.get(row[0], ())),
                        closed_at=row[10],
                        closed_by=row[11],
                        evidence_text=row[12],
                        evidence_file=row[13],
                    )
        return result

    async def snoozed(self, ids: Sequence[int], day: date) -> dict[int, date]:
        """Of these tasks, those snoozed past `day`, with the day reminders resume."""
        ids = list(ids)
        result: dict[int, date] = {}
        async with self.sessions() as s:
            for start in range(0, len(ids), IDS_PER_QUERY):
                rows = await s.execute(
                    select(m.Task.id, m.Task.snoozed_until).where(
                        m.Task.id.in_(ids[start : start + IDS_PER_QUERY]),
                        m.Task.snoozed_until > day,
                    )
                )
                result.update((row[0], row[1]) for row in rows.all() if row[1] is not None)
        return result

    async def close_occurrence(
        self,
        ward_id: int,
        number: int,
        occurrence: date,
        by: str,
        at: datetime,
        evidence_text: str | None,
        evidence_file: str | None,
        evidence_ref: str | None,
    ) -> bool:
        """Records one period of a recurring task done (the task stays open)."""
        async with self.sessions.begin() as s:
            row = await _locked_task(s, ward_id, number)
            if row is None or row.status != "open":
                return False
            s.add(
                m.TaskEvent(
                    task_id=row.id,
                    at=at,
                    by=by,
                    kind="occurrence_done",
                    detail={
                        "occurrence": occurrence.isoformat(),
                        "text": evidence_text,
                        "file": evidence_file,
                        "ref": evidence_ref,
                    },
                )
            )
            return True

    async def done_occurrences(self, task_id: int) -> frozenset[date]:
        async with self.sessions() as s:
            return (await done_occurrences(s, [task_id])).get(task_id, frozenset())

    async def occurrence_state(self, task_id: int) -> tuple[datetime | None, frozenset[date]]:
        """For closing one period of a recurring task: when the task was loaded (or last
        rescheduled; nothing before it is its occurrence) and the occurrences reported done."""
        async with self.sessions() as s:
            loaded_at = await s.scalar(select(m.Task.created_at).where(m.Task.id == task_id))
            done = (await done_occurrences(s, [task_id])).get(task_id, frozenset())
            return loaded_at, done

    async def reopen(self, ward_id: int, number: int, by: str, at: datetime) -> TaskRec | None:
        async with self.sessions.begin() as s:
            row = await _locked_task(s, ward_id, number)
            if row is None or row.status != "done":
                return None
            s.add(
                m.TaskEvent(
                    task_id=row.id,
                    at=at,
                    by=by,
                    kind="reopened",
                    detail={
                        "closed_by": row.closed_by,
                        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
                        "evidence": row.evidence_text,
                        "file": row.evidence_file,
                        "ref": row.evidence_ref,
                    },
                )
            )
            # the current state forgets the evidence; the events keep it ("closed", "reopened")
            row.status, row.closed_at, row.closed_by = "open", None, None
            row.evidence_text, row.evidence_file, row.evidence_ref = None, None, None
            await s.flush()
            return (await self._recs(s, [row]))[0]

    async def reschedule(
        self,
        ward_id: int,
        number: int,
        new_deadline: date,
        who: str,
        why: str,
        at: datetime,
        today: date,
        notices: Callable[[TaskRec, date | None, int], list[OutboxItem]] | None = None,
    ) -> Rescheduled:
        """Changes an open one-off task's deadline, in one transaction: the change is recorded
        (task event "rescheduled": old and new deadline, who, when, why), the queued reminders
        of the old deadline are skipped, the reminders are planned from the new deadline as
        if the task were loaded now (`rescheduled_at`), and the outbox rows `notices` makes
        of (task, old deadline, change number) are written."""
        async with self.sessions.begin() as s:
            row = await _locked_task(s, ward_id, number)
            if row is None:
                return Rescheduled("no_task")
            current = (await self._recs(s, [row]))[0]
            if row.status != "open":
                return Rescheduled("closed", current)
            if row.recurrence:
                return Rescheduled("recurring", current)
            if new_deadline < today:
                return Rescheduled("past", current, row.deadline)
            if row.deadline == new_deadline:
                return Rescheduled("same", current, row.deadline)
            old = row.deadline
            earlier = await s.scalar(
                select(func.count())
                .select_from(m.TaskEvent)
                .where(m.TaskEvent.task_id == row.id, m.TaskEvent.kind == "rescheduled")
            )
            change = (earlier or 0) + 1
            # a new deadline starts the reminders afresh: a snooze of the old one is moot
            row.deadline, row.rescheduled_at, row.snoozed_until = new_deadline, at, None
            s.add(
                m.TaskEvent(
                    task_id=row.id,
                    at=at,
                    by=who,
                    kind="rescheduled",
                    detail={
                        "old": old.isoformat() if old else None,
                        "new": new_deadline.isoformat(),
                        "why": why,
                        "change": change,
                    },
                )
            )
            # the old deadline's reminders and snoozed repeats still queued are moot
            moot = [snooze_prefix(row.id)]
            if old is not None:
                moot.append(occurrence_prefix(row.id, old))
            for prefix in moot:
                await s.execute(
                    update(m.Outbox)
                    .where(m.Outbox.key.startswith(prefix), m.Outbox.status == "pending")
                    .values(status="skipped")
                )
            await s.flush()
            rec = (await self._recs(s, [row]))[0]
            if notices is not None:
                s.add_all([outbox_row(item, at) for item in notices(rec, old, change)])
            return Rescheduled("changed", rec, old, change)
