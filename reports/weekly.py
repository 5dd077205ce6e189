"""Builds the weekly briefing (`reports.record.WeeklyBriefing`) of one ward from the store.

Which week and as of when
-------------------------
A week runs Monday to Sunday and is named by its Monday (`week_of`). Its briefing describes
the moment `as_of`: the time it is built, or the end of the week for a week already over
("báo cáo tuần trước"), so a past week reads as it stood on its last evening. What happened
is counted over the seven days before `as_of` (`since` .. `as_of`): for the Monday morning
briefing that is the week just past, for a past week exactly that week.

The task columns, per lead department (a task given to several departments is stored once
per department, so each one's part is in its own row):
- done: one-off tasks closed in the seven days, and periods of recurring duties reported in
  them;
- overdue: one-off tasks open at `as_of` whose deadline is before that day, with the working
  days since the deadline (WorkCalendar: Vietnamese holidays count as days off);
- due this week: one-off tasks open at `as_of` due from that day to Sunday, and periods of
  recurring duties due in those days and not reported yet;
- on track: the other open tasks (due after Sunday, or ongoing without a deadline), and
  recurring duties with nothing due or missed this week (shown with their next due day).
A recurring duty is never "overdue": a period whose due day passed in the seven days without
being reported is a missed report (`missed_reports`), named with its department and period.

Scores: the latest snapshot of the month (else quarter, half, year) with figures as of that
day or earlier, the snapshot before it of the same kind, the same period a year earlier, and
the year's running total; group gaps with the department that owns each group
([group_owners]); the communes just above the ward in the province's list when its [portal]
table names it. Broadcasts: those due to go out in the seven days, with the chats each
reached by `as_of` and the chats it failed to reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from ingest.index_groups import band_for
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ
from reminders.planner import occurrences_due, parse_recurrence
from reports.record import (
    BroadcastLine,
    DepartmentTasks,
    GroupLine,
    MissedReport,
    Neighbour,
    ScoreLine,
    TaskLine,
    WeeklyBriefing,
)
from reports.trend import six_month_key, six_month_set
from store.briefing import BriefingStore, BriefTask, BriefUnit, PeriodReport
from store.records import SnapshotRec, WardRec
from store.repo import Repo

WEEK = timedelta(days=7)
NEIGHBOURS = 2  # communes just above the ward named in the briefing
SCORE_KINDS = ("month", "quarter", "half", "year")  # the briefing's main figures, in order
NEXT_DUE_REACH = timedelta(days=400)  # how far ahead a recurring duty's next period is found


def week_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def this_week(now: datetime) -> date:
    return week_of(now.astimezone(VN_TZ).date())


def last_week(now: datetime) -> date:
    return this_week(now) - WEEK


@dataclass(frozen=True)
class Window:
    """What a week's briefing built at `now` looks at."""

    week_start: date  # Monday
    week_end: date  # Sunday
    as_of: datetime  # `now`, or the end of the week when it is over (aware, local)
    day: date  # the day of `as_of`: today, or the week's Sunday
    since: datetime  # seven days before `as_of`

    @property
    def since_day(self) -> date:
        return self.since.date()


def window(week_start: date, now: datetime) -> Window:
    """The window of the week starting on Monday `week_start` (any day of it is taken as its
    week) for a briefing built at `now`."""
    monday = week_of(week_start)
    end = datetime.combine(monday + WEEK, time(0), tzinfo=VN_TZ)
    local = now.astimezone(VN_TZ)
    if local >= end:
        as_of, day = end, monday + timedelta(days=6)
    else:
        as_of, day = local, local.date()
    return Window(monday, monday + timedelta(days=6), as_of, day, as_of - WEEK)


async def build_weekly(
    repo: Repo,
    ward: WardRec,
    week_start: date,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> WeeklyBriefing:
    """The briefing of `ward` for the week starting on Monday `week_start`, built at `now`
    (aware). Reads only the ward's rows."""
    calendar = calendar or WorkCalendar()
    store = BriefingStore(repo.sessions)
    w = window(week_start, now)
    tasks = await store.tasks(ward.id, w.since, w.as_of)
    recurring = [t.id for t in tasks if parse_recurrence(t.recurrence) is not None]
    reports = await store.period_reports(ward.id, recurring, w.as_of)
    columns, missed = _task_columns(ward, tasks, reports, w, calendar)
    snapshots = await store.snapshots(ward.id, w.day)
    score, year_score, groups = _scores(ward, snapshots)
    chart = six_month_set(snapshots, until=w.day)
    notes: list[str] = []
    if score is None:
        notes.append("no_scores")
    if not tasks:
        notes.append("no_tasks")
    broadcasts = tuple(
        BroadcastLine(
            id=b.id,
            sent_at=b.send_at,
            sender=b.sender,
            text=_first_line(b.text),
            chats=b.delivered,
            failed=b.failed,
        )
        for b in await store.broadcasts(ward.id, w.since, w.as_of)
        if b.delivered or b.failed
    )
    return WeeklyBriefing(
        ward_id=ward.id,
        ward_name=ward.name,
        province=ward.province,
        week_start=w.week_start,
        week_end=w.week_end,
        made_at=now,
        score=score,
        year_score=year_score,
        groups=groups,
        departments=columns,
        missed_reports=missed,
        broadcasts=broadcasts,
        neighbours_above=await _neighbours(repo, ward, score),
        chart_key=six_month_key(chart),
        notes=tuple(notes),
        as_of=w.as_of,
        since=w.since,
    )


# --- tasks ---------------------------------------------------------------------------------


_Keyed = tuple[tuple[Any, ...], TaskLine]  # a line with its place in its column


@dataclass
class _Columns:
    code: str
    name: str
    order: int
    done: list[_Keyed] = field(default_factory=list)
    on_track: list[_Keyed] = field(default_factory=list)
    due: list[_Keyed] = field(default_factory=list)
    overdue: list[_Keyed] = field(default_factory=list)

    def freeze(self) -> DepartmentTasks:
        def lines(found: list[_Keyed]) -> tuple[TaskLine, ...]:
            return tuple(line for _key, line in sorted(found, key=lambda kv: kv[0]))

        return DepartmentTasks(
            self.code,
            self.name,
            done=lines(self.done),
            on_track=lines(self.on_track),
            due_this_week=lines(self.due),
            overdue=lines(self.overdue),
        )


def _task_columns(
    ward: WardRec,
    tasks: Sequence[BriefTask],
    reports: Iterable[PeriodReport],
    w: Window,
    calendar: WorkCalendar,
) -> tuple[tuple[DepartmentTasks, ...], tuple[MissedReport, ...]]:
    order = {d.code: i for i, d in enumerate(ward.departments)}
    reported: dict[int, dict[date, datetime]] = {}
    for r in reports:
        reported.setdefault(r.task_id, {}).setdefault(r.occurrence, r.at)
    rows: dict[tuple[str, str], _Columns] = {}
    missed: list[tuple[tuple[Any, ...], MissedReport]] = []

    def row(unit: BriefUnit) -> _Columns:
        key = (unit.code or "", unit.name if unit.code is None else unit.code)
        found = rows.get(key)
        if found is None:
            name = unit.name
            if unit.code is not None:
                dept = ward.department(unit.code)
                name = dept.name if dept else unit.name
            found = rows[key] = _Columns(unit.code or "", name, order.get(unit.code or "", 10**6))
        return found

    for task in tasks:
        units = task.leads or (BriefUnit(None, ""),)
        open_at = task.closed_at is None or task.closed_at > w.as_of
        if parse_recurrence(task.recurrence) is not None:
            placed = _recurring(task, reported.get(task.id, {}), open_at, w, calendar)
            for unit in units:
                found = row(unit)
                for column, key, line in placed.lines:
                    getattr(found, column).append((key, line))
                for occurrence in placed.missed:
                    missed.append(
                        (
                            (occurrence, task.number, unit.code or unit.name),
                            MissedReport(task.number, task.text, unit.code or "", occurrence),
                        )
                    )
            continue
        placed_line = _one_off(task, open_at, w, calendar)
        if placed_line is None:
            continue
        column, key, line = placed_line
        for unit in units:
            getattr(row(unit), column).append((key, line))
    frozen = [(r.order, r.freeze()) for r in rows.values()]
    frozen.sort(key=lambda od: (-len(od[1].overdue), -len(od[1].due_this_week), od[0], od[1].name))
    return (
        tuple(d for _order, d in frozen),
        tuple(m for _key, m in sorted(missed, key=lambda kv: kv[0])),
    )


def _line(task: BriefTask, deadline: date | None, overdue_days: int = 0) -> TaskLine:
    return TaskLine(task.number, task.text, deadline, task.recurrence, overdue_days)


def _one_off(
    task: BriefTask, open_at: bool, w: Window, calendar: WorkCalendar
) -> tuple[str, tuple[Any, ...], TaskLine] | None:
    """(column, sort key, line) of a one-off task, or None when it is not in the briefing."""
    closed = task.closed_at
    if closed is not None and w.since < closed <= w.as_of:
        return "done", (closed, task.number), _line(task, task.deadline)
    if not open_at:
        return None
    deadline = task.deadline
    if deadline is None:
        return "on_track", (date.max, task.number), _line(task, None)
    if deadline < w.day:
        days = calendar.working_days_until(deadline, w.day)
        return "overdue", (-days, deadline, task.number), _line(task, deadline, days)
    if deadline <= w.week_end:
        return "due", (deadline, task.number), _line(task, deadline)
    return "on_track", (deadline, task.number), _line(task, deadline)


@dataclass(frozen=True)
class _Placed:
    lines: list[tuple[str, tuple[Any, ...], TaskLine]]
    missed: list[date]  # nominal dates of the periods missed


def _recurring(
    task: BriefTask,
    reported: dict[date, datetime],
    open_at: bool,
    w: Window,
    calendar: WorkCalendar,
) -> _Placed:
    """A recurring duty: its periods reported in the seven days (done), due from today to
    Sunday and not reported (due this week), due in the seven days before today and not
    reported (missed); on track, with its next due day, when none of these."""
    lines: list[tuple[str, tuple[Any, ...], TaskLine]] = []
    for occurrence, at in reported.items():
        if w.since < at <= w.as_of:
            lines.append(("done", (at, task.number), _line(task, occurrence)))
    if not open_at:
        return _Placed(lines, [])
    loaded = task.loaded_at.astimezone(VN_TZ).date()
    done = {occurrence for occurrence, at in reported.items() if at <= w.as_of}
    missed: list[date] = []
    due_now = False
    for nominal, due in occurrences_due(task.recurrence, calendar, w.since_day, w.week_end):
        if due < loaded or nominal in done:
            continue
        if due < w.day:
            missed.append(nominal)
        else:
            due_now = True
            lines.append(("due", (due, task.number), _line(task, due)))
    if not due_now and not missed and not any(column == "done" for column, *_ in lines):
        after = w.week_end + timedelta(days=1)
        ahead = occurrences_due(task.recurrence, calendar, after, after + NEXT_DUE_REACH)
        upcoming = next((due for nominal, due in ahead if nominal not in done), None)
        lines.append(("on_track", (upcoming or date.max, task.number), _line(task, upcoming)))
    return _Placed(lines, missed)


# --- scores ----------------------------------------------------------------------------------


def _scores(
    ward: WardRec, snapshots: Sequence[SnapshotRec]
) -> tuple[ScoreLine | None, ScoreLine | None, tuple[GroupLine, ...]]:
    by_kind: dict[str, list[SnapshotRec]] = {}
    for snap in snapshots:  # oldest first within a kind
        by_kind.setdefault(snap.period_kind, []).append(snap)
    kind = next((k for k in SCORE_KINDS if by_kind.get(k)), None)
    if kind is None:
        return None, None, ()
    main = by_kind[kind]
    score = _score_line(main)
    year_score = _score_line(by_kind["year"]) if kind != "year" and by_kind.get("year") else None
    groups = []
    for g in main[-1].groups:
        owner = ward.group_owners.get(g.code) or None
        dept = ward.department(owner)
        groups.append(
            GroupLine(g.code, g.score, g.max_score, g.rank, owner, dept.name if dept else None)
        )
    return score, year_score, tuple(groups)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29/02
        return day.replace(year=day.year - 1, day=28)


def _score_line(history: Sequence[SnapshotRec]) -> ScoreLine:
    """The newest of `history` (one period kind, oldest first) with the snapshot before it
    and the same period a year earlier (its figures as of the same day then, else its last)."""
    current = history[-1]
    previous = history[-2] if len(history) > 1 else None
    same = [s for s in history if s.year == current.year - 1 and s.period == current.period]
    then = _year_before(current.as_of)
    last_year = next((s for s in reversed(same) if s.as_of <= then), same[-1] if same else None)
    return ScoreLine(
        period_kind=current.period_kind,
        year=current.year,
        period=current.period,
        as_of=current.as_of,
        total=current.total,
        band=band_for(current.total),
        rank=current.rank,
        rank_of=current.rank_of,
        previous_total=previous.total if previous else None,
        previous_rank=previous.rank if previous else None,
        last_year_total=last_year.total if last_year else None,
        last_year_rank=last_year.rank if last_year else None,
        previous_year=previous.year if previous else None,
        previous_period=previous.period if previous else None,
        previous_as_of=previous.as_of if previous else None,
        last_year_as_of=last_year.as_of if last_year else None,
    )


async def _neighbours(repo: Repo, ward: WardRec, score: ScoreLine | None) -> tuple[Neighbour, ...]:
    """The communes just above the ward in the province's list of the briefing's period (else
    the newest list), nearest last; () when the ward's [portal] table names no unit or the
    list does not have it."""
    portal = ward.portal or {}
    if not (portal.get("unit_id") or portal.get("unit_name")):
        return ()
    from ingest.province_stats import neighbours
    from store.province import ProvinceStore, ward_index

    province = ProvinceStore.for_sessions(repo.sessions)
    plist = None
    if score is not None:
        plist = await province.ward_list(ward, (score.period_kind,), score.year, score.period)
    if plist is None:
        plist = await province.ward_list(ward)
    if plist is None:
        return ()
    index = ward_index(plist, ward)
    if index is None:
        return ()
    above = neighbours(plist, index, above=NEIGHBOURS, below=0).above
    return tuple(Neighbour(c.name, c.rank, c.total) for c in above)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


__all__ = ["Window", "build_weekly", "last_week", "this_week", "week_of", "window"]
