"""Which task reminders are due at an instant. Pure: no I/O, no clock reads, no database.

The model
---------
Every open task has a fixed *schedule* of steps that depends only on the task, the ward's
`Policy` and its `WorkCalendar`. A step is due at its *slot*: `office_time` (Asia/Ho_Chi_Minh)
on a working day, never at night, on a weekend or on a public holiday. `plan(tasks, ..., at)`
returns the steps whose slot lies in `[at - lookback, at]`, for the tasks that are open at the
time of the call. Each `Due` carries a stable `key` (`task:{id}:{occurrence}:{step}`); the
caller writes it to the outbox, whose unique key drops the repeats. So ticking every minute, or
once after hours of downtime (shorter than `lookback`), yields every step exactly once.

One-off tasks (a `deadline`, no usable recurrence); the occurrence is the deadline:
- "before-N" for each N of `Policy.before`: N working days before the deadline's *due day*.
  The due day is the deadline itself, or the last working day before it when the deadline is
  a day off (`Due.deadline_day_off` is then True and `Due.deadline` stays the stated date).
- "day": the morning of the due day (`on_day`).
- "overdue-<ISO date>": every working day after the deadline (`overdue_daily`).
- "escalate": the morning the task is `escalate_after` working days overdue, audience
  "leadership" (the leadership chat and the chairman; the department also gets that day's
  "overdue-..." step). `escalate_after < 1` turns escalation off.

Recurring tasks (`recurrence`); the occurrence is the date the rhythm names (the *nominal*
date) and `Due.deadline` is the working day it is due (its *due day*). Two kinds of day:
- "on the day" rhythms: "weekly:MON".."weekly:SUN" (every such weekday) and "monthly:on-<d>"
  ("vào ngày 20 hằng tháng": the d-th of each month, the last day for short months). A day
  off moves the due day to the NEXT working day.
- "by the day" rhythms: "monthly:<d>" ("trước ngày 15 hằng tháng"), "yearly:MM-DD,..." (those
  days each year). A day off moves the due day to the last working day BEFORE it.
- "weekly": the last working day of each (Monday-Sunday) week; a week with no working day has
  no occurrence. "monthly", "quarterly", "half_yearly", "yearly": the last working day of the
  period.
- One due day, one occurrence: when a moved occurrence lands on the due day of another one of
  the same task (a Monday duty during Tết 2026: 16/02 moves to 23/02, itself a Monday), they
  are one occurrence, named by the later nominal date (23/02); the earlier one does not exist.
- Steps: "weekly" and "weekly:<day>": "day", then "missed" (audience "leadership") the next
  working day. The others: "before-N" for N in `Policy.recurring_before`, "day", "missed".
- "daily" (a same-day rule), "periodic" (no fixed date) and anything else: nothing (the
  deadline is used instead, if the task has one). A task without either gets nothing.
- The first occurrence is the first whose due day is on or after the local day the task was
  loaded (`created_at`): earlier occurrences do not exist for the task (it is not the
  department's fault that a Monday came before the directive), and there is no catch-up for
  recurring tasks. Steps of that first occurrence whose slot is before `created_at` are not
  sent (loaded on the due day after office time: no "day"; its "missed" still follows).
- Done-ness: a recurring task stays open; an occurrence is done when its nominal date is in
  `PlanTask.done_occurrences`, and a done occurrence gets no further steps.
  `occurrence_to_close` tells which occurrence a report on a given day closes (never one due
  before the task was loaded).

One-off tasks loaded late (`created_at` is "loaded or last rescheduled"): no step has a slot
before `created_at`. When some steps fell before it, they are replaced by one "catchup" step
(audience "department") at the *catch-up slot*: the first office slot at or after `created_at`
(the same morning if loaded before `office_time` on a working day, else the next working day's
morning; the department chat is already told of new tasks when they are loaded, so an
immediate catch-up would only repeat that). Steps after the catch-up slot follow normally; an
"escalate" whose slot was at or before the catch-up slot moves to the next working day after
it.

Closed tasks (`status != "open"`) get nothing; a step whose slot is at or after `closed_at`
is never planned.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ
from store.keys import due_key

DEPARTMENT = "department"
LEADERSHIP = "leadership"

WEEKDAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
MONTHLY_ON = "on-"  # "monthly:on-20": on the 20th; "monthly:15": by the 15th
MOVE_REACH = timedelta(days=40)  # longer than any run of days off: how far a due day moves


@dataclass(frozen=True, slots=True)
class Policy:
    """A ward's reminder rules (from ward.toml); these are the defaults."""

    before: tuple[int, ...] = (7, 3, 1)  # working days before a one-off deadline
    on_day: bool = True  # the morning of the (due) day
    overdue_daily: bool = True  # every working day while a one-off task is overdue
    escalate_after: int = 2  # working days overdue -> leadership too; < 1: never
    office_time: time = time(7, 30)  # local time reminders go out
    recurring_before: tuple[int, ...] = (3, 1)  # for monthly/quarterly/yearly rhythms


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanTask:
    """What the planner needs of a task (built with keywords: ten fields, several dates)."""

    id: int
    number: int
    deadline: date | None
    recurrence: str | None
    status: str  # open | done
    created_at: datetime  # loaded (or last rescheduled): nothing is planned before it
    closed_at: datetime | None
    departments: tuple[str, ...]  # lead first
    done_occurrences: frozenset[date] = frozenset()  # recurring: nominal dates reported done
    ward_id: int | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of one occurrence, the same for every task that shares it."""

    occurrence: date  # one-off: the deadline; recurring: the nominal date
    step: str  # before-N | day | overdue-YYYY-MM-DD | escalate | missed | catchup
    audience: str  # department | leadership
    deadline: date  # one-off: the stated deadline; recurring: the due (working) day
    days_left: int  # calendar days from the slot's day to `deadline` (< 0: overdue)
    working_days_left: int  # WorkCalendar.working_days_until(slot day, deadline)
    slot: datetime  # when it is due to go out: office_time on a working day (aware)
    deadline_day_off: bool  # the stated date (deadline / nominal date) is not a working day
    due: date  # the working day it is due: the deadline, or the last working day before it


@dataclass(frozen=True, slots=True)
class Due:
    """One reminder due now: a task and one of its steps. Everything else is read through."""

    key: str  # task:{id}:{occurrence}:{step}, the outbox key
    task: PlanTask
    what: Step

    @property
    def task_id(self) -> int:
        return self.task.id

    @property
    def occurrence(self) -> date:
        return self.what.occurrence

    @property
    def step(self) -> str:
        return self.what.step

    @property
    def audience(self) -> str:
        return self.what.audience

    @property
    def deadline(self) -> date:
        return self.what.deadline

    @property
    def days_left(self) -> int:
        return self.what.days_left

    @property
    def working_days_left(self) -> int:
        return self.what.working_days_left

    @property
    def slot(self) -> datetime:
        return self.what.slot

    @property
    def deadline_day_off(self) -> bool:
        return self.what.deadline_day_off

    @property
    def due(self) -> date:
        return self.what.due


# --- recurrence rules ---------------------------------------------------------------------

_RuleKey = tuple[Any, ...]


def parse_recurrence(recurrence: str | None) -> _RuleKey | None:
    """A recurrence string as a rule tuple, or None when it is not reminded."""
    if not recurrence:
        return None
    kind, _, arg = recurrence.partition(":")
    if kind == "weekly":
        if not arg:
            return ("week",)
        return ("weekday", WEEKDAYS[arg]) if arg in WEEKDAYS else None
    if kind == "monthly" and arg:
        on_day = arg.startswith(MONTHLY_ON)
        day = arg[len(MONTHLY_ON) :] if on_day else arg
        if not (day.isdigit() and 1 <= int(day) <= 31):
            return None
        return ("monthday_on" if on_day else "monthday", int(day))
    if kind == "yearly" and arg:
        days = []
        for part in arg.split(","):
            month, _, day = part.partition("-")
            if not (month.isdigit() and day.isdigit()):
                return None
            if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
                return None
            days.append((int(month), int(day)))
        return ("yeardays", tuple(days))
    if kind in PERIOD_MONTHS and not arg:
        return ("period", PERIOD_MONTHS[kind])
    return None


def _counts(before: tuple[int, ...]) -> list[int]:
    """The usable "N working days before" counts, largest first."""
    return sorted({n for n in before if n >= 1}, reverse=True)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _month_end(year, month).day))


# --- working days, O(1) per question over a cached span -------------------------------------


class _Workdays:
    """WorkCalendar arithmetic over a span of days kept in arrays (grown on demand)."""

    MARGIN = 400

    def __init__(self, calendar: WorkCalendar, around: date):
        self.calendar = calendar
        self._build(around - timedelta(days=self.MARGIN), around + timedelta(days=self.MARGIN))

    def _build(self, first: date, last: date) -> None:
        is_working = self.calendar.is_working_day
        cum: list[int] = []
        days: list[date] = []
        count = 0
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            if is_working(day):
                count += 1
                days.append(day)
            cum.append(count)
        self.first, self.last, self.base = first, last, first.toordinal()
        self.cum, self.days = cum, days

    def _cover(self, low: date, high: date) -> None:
        if low < self.first or high > self.last:
            margin = timedelta(days=self.MARGIN)
            self._build(min(low, self.first) - margin, max(high, self.last) + margin)

    def _at_most(self, day: date) -> int:
        """Working days from the span's start up to and including `day` (inside the span)."""
        return self.cum[day.toordinal() - self.base]

    def is_working(self, day: date) -> bool:
        self._cover(day, day)
        i = day.toordinal() - self.base
        return self.cum[i] != (self.cum[i - 1] if i else 0)

    def between(self, start: date, end: date) -> int:
        """Same as WorkCalendar.working_days_until(start, end)."""
        self._cover(min(start, end), max(start, end))
        return self._at_most(end) - self._at_most(start)

    def add(self, start: date, n: int) -> date:
        """Same as WorkCalendar.add_working_days(start, n)."""
        if n == 0:
            return start
        self._cover(start, start)
        while True:
            i = start.toordinal() - self.base
            before = self.cum[i - 1] if i else 0  # working days before `start`
            k = self.cum[i] + n - 1 if n > 0 else before + n
            if 0 <= k < len(self.days) and (n > 0 or i > 0):
                return self.days[k]
            reach = timedelta(days=2 * abs(n) + 30)
            self._cover(start - reach, start + reach)

    def next_on_or_after(self, day: date) -> date:
        return day if self.is_working(day) else self.add(day, 1)

    def last_on_or_before(self, day: date) -> date:
        return day if self.is_working(day) else self.add(day, -1)


_WORKDAYS: dict[Any, _Workdays] = {}


def _workdays(calendar: WorkCalendar, around: date) -> _Workdays:
    key: Any = (
        (calendar.extra_days_off, calendar.extra_workdays)
        if type(calendar) is WorkCalendar
        else calendar
    )
    found = _WORKDAYS.get(key)
    if found is None:
        if len(_WORKDAYS) >= 64:
            _WORKDAYS.clear()
        found = _WORKDAYS[key] = _Workdays(calendar, around)
    return found


# --- schedules --------------------------------------------------------------------------------


def _occurrences(rule: _RuleKey, w: _Workdays, start: date, end: date) -> list[tuple[date, date]]:
    """(nominal date, due day) of a rule's occurrences with the nominal date in [start, end].

    Occurrences that share a due day are one, named by the later nominal date.
    """
    found: list[tuple[date, date]] = []
    kind = rule[0]
    last = end + MOVE_REACH  # an occurrence just after `end` may absorb one inside it
    if kind == "weekday":
        day = start + timedelta(days=(rule[1] - start.weekday()) % 7)
        while day <= last:
            found.append((day, w.next_on_or_after(day)))
            day += timedelta(days=7)
    elif kind == "week":
        sunday = start + timedelta(days=(6 - start.weekday()) % 7)
        while sunday <= last:
            due = w.last_on_or_before(sunday)
            if (sunday - due).days < 7:
                found.append((sunday, due))
            sunday += timedelta(days=7)
    elif kind in ("monthday", "monthday_on", "period", "yeardays"):
        for year in range(start.year, last.year + 1):
            for month in range(1, 13):
                if kind in ("monthday", "monthday_on"):
                    nominals = [_clamped(year, month, rule[1])]
                elif kind == "period":
                    nominals = [_month_end(year, month)] if month % rule[1] == 0 else []
                else:
                    nominals = [_clamped(year, m, d) for m, d in rule[1] if m == month]
                for nominal in nominals:
                    if not start <= nominal <= last:
                        continue
                    if kind == "monthday_on":
                        found.append((nominal, w.next_on_or_after(nominal)))
                        continue
                    due = w.last_on_or_before(nominal)
                    if kind == "period":
                        period_start = _month_end(year, month - rule[1]) + timedelta(days=1)
                        if due < period_start:
                            continue
                    found.append((nominal, due))
    found.sort()
    merged: list[tuple[date, date]] = []
    for nominal, due in found:
        while merged and merged[-1][1] == due:
            merged.pop()  # the later nominal date names the shared due day
        merged.append((nominal, due))
    return [(nominal, due) for nominal, due in merged if nominal <= end]


def _occurrence_steps(
    rule: _RuleKey, due: date, policy: Policy, w: _Workdays
) -> list[tuple[str, date, str]]:
    """(step, day, audience) of one occurrence of a recurring task, in order."""
    steps: list[tuple[str, date, str]] = []
    if rule[0] not in ("weekday", "week"):  # a weekly rhythm has no time for a ladder
        for n in _counts(policy.recurring_before):
            steps.append((f"before-{n}", w.add(due, -n), DEPARTMENT))
    if policy.on_day:
        steps.append(("day", due, DEPARTMENT))
    steps.append(("missed", w.add(due, 1), LEADERSHIP))
    return steps


def occurrence_to_close(
    task: PlanTask,
    calendar: WorkCalendar,
    on: date,
    done: Iterable[date] = (),
    tz: tzinfo = VN_TZ,
) -> date | None:
    """The occurrence (nominal date) a report made on `on` closes, for a recurring task.

    The latest occurrence due on or before `on` if it is not done yet (a late report), else
    the next one (an early report). Occurrences due before the local day the task was loaded
    (`task.created_at`) do not exist for it: a report right after loading closes the first
    occurrence due on or after that day. None for a task that is not recurring.
    """
    rule = parse_recurrence(task.recurrence)
    if rule is None:
        return None
    done_set = set(done) | task.done_occurrences
    loaded = task.created_at.astimezone(tz).date()
    w = _workdays(calendar, on)
    year = timedelta(days=400)
    start = max(loaded - MOVE_REACH, on - year)
    found = [
        (nominal, due)
        for nominal, due in _occurrences(rule, w, start, max(on, loaded) + year)
        if due >= loaded
    ]
    past = [nominal for nominal, due in found if due <= on]
    if past and past[-1] not in done_set:
        return past[-1]
    return next((nominal for nominal, due in found if due > on), None)


def occurrences_due(
    recurrence: str | None, calendar: WorkCalendar, first: date, last: date
) -> list[tuple[date, date]]:
    """(nominal date, due day) of a recurring task's occurrences due from `first` to `last`
    (both included), for reports (the weekly briefing); [] when it is not recurring. The
    caller drops those due before the task was loaded."""
    rule = parse_recurrence(recurrence)
    if rule is None or last < first:
        return []
    w = _workdays(calendar, first)
    found = _occurrences(rule, w, first - MOVE_REACH, last + MOVE_REACH)
    return [(nominal, due) for nominal, due in found if first <= due <= last]


def deadline_horizon(
    policy: Policy, calendar: WorkCalendar, at: datetime, tz: tzinfo = VN_TZ
) -> date:
    """One-off tasks with a deadline on or after this day have no step due by `at`.

    The scheduler may leave them out of what it loads for a tick (recurring tasks are needed
    whatever their deadline).
    """
    wd = _workdays(calendar, at.date())
    last = at.astimezone(tz).date()
    return wd.add(wd.add(last, max(_counts(policy.before), default=0)), 1)


# --- one tick ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _OneOff:
    first_slot: datetime | None  # in UTC (fast to compare with stored times); None: no steps
    templates: list[Step]  # regular steps inside the window, by slot
    escalate: date | None  # the regular escalation day


@dataclass(slots=True)
class _Rule:
    in_window: list[tuple[date, date, datetime, Step]]  # (nominal, due day, slot in UTC, step)


class _Tick:
    """Everything about one (policy, calendar, zone, window) that does not depend on a task."""

    def __init__(
        self, policy: Policy, calendar: WorkCalendar, tz: tzinfo, lo: datetime, at: datetime
    ):
        self.policy, self.tz, self.lo, self.at = policy, tz, lo, at
        self.wd = _workdays(calendar, at.date())
        self.lo_utc = lo.astimezone(UTC)
        self._slots: dict[date, datetime] = {}
        self._utc: dict[date, datetime] = {}
        self.window: list[date] = []
        day = lo.date() - timedelta(days=1)
        while day <= at.date():
            if self.wd.is_working(day) and lo <= self.slot(day) <= at:
                self.window.append(day)
            day += timedelta(days=1)
        self.window_set = frozenset(self.window)
        self._oneoffs: dict[date, _OneOff] = {}
        self._rules: dict[_RuleKey, _Rule] = {}
        self._parsed: dict[str | None, _RuleKey | None] = {}
        self._tmpls: dict[tuple[date, str, date, date], Step] = {}
        self._catchup_days: dict[datetime, date] = {}
        self._local_days: dict[datetime, date] = {}

    def slot(self, day: date) -> datetime:
        found = self._slots.get(day)
        if found is None:
            found = self._slots[day] = datetime.combine(day, self.policy.office_time, self.tz)
        return found

    def utc(self, day: date) -> datetime:
        """The slot of `day` in UTC: comparing datetimes of the same zone object is fast."""
        found = self._utc.get(day)
        if found is None:
            found = self._utc[day] = self.slot(day).astimezone(UTC)
        return found

    def catchup_day(self, created_at: datetime) -> date:
        """The day of the first office slot at or after `created_at`."""
        found = self._catchup_days.get(created_at)
        if found is None:
            local = created_at.astimezone(self.tz)
            day = local.date()
            if not (self.wd.is_working(day) and self.slot(day) >= created_at):
                day = self.wd.add(day, 1)
            found = self._catchup_days[created_at] = day
        return found

    def local_day(self, created_at: datetime) -> date:
        """The local day of an instant (a task's loading day)."""
        found = self._local_days.get(created_at)
        if found is None:
            found = self._local_days[created_at] = created_at.astimezone(self.tz).date()
        return found

    def template(
        self,
        occurrence: date,
        step: str,
        day: date,
        audience: str,
        deadline: date,
        day_off: bool,
    ) -> Step:
        key = (occurrence, step, day, deadline)
        found = self._tmpls.get(key)
        if found is None:
            found = self._tmpls[key] = Step(
                occurrence,
                step,
                audience,
                deadline,
                (deadline - day).days,
                self.wd.between(day, deadline),
                self.slot(day),
                day_off,
                self.wd.last_on_or_before(deadline),
            )
        return found

    def rule(self, recurrence: str | None) -> _RuleKey | None:
        if recurrence in self._parsed:
            return self._parsed[recurrence]
        found = self._parsed[recurrence] = parse_recurrence(recurrence)
        return found

    # one-off tasks

    def oneoff(self, deadline: date) -> _OneOff:
        found = self._oneoffs.get(deadline)
        if found is None:
            found = self._oneoffs[deadline] = self._build_oneoff(deadline)
        return found

    def _build_oneoff(self, deadline: date) -> _OneOff:
        p, wd = self.policy, self.wd
        day_off = not wd.is_working(deadline)
        due = wd.last_on_or_before(deadline)
        ladder = [(f"before-{n}", wd.add(due, -n)) for n in _counts(p.before)]
        if p.on_day:
            ladder.append(("day", due))
        escalate = wd.add(deadline, p.escalate_after) if p.escalate_after >= 1 else None
        firsts = [day for _, day in ladder]
        if p.overdue_daily:
            firsts.append(wd.add(deadline, 1))
        if escalate is not None:
            firsts.append(escalate)
        if not firsts:
            return _OneOff(None, [], None)
        templates = [
            self.template(deadline, step, day, DEPARTMENT, deadline, day_off)
            for step, day in ladder
            if day in self.window_set
        ]
        for day in self.window:
            if day > deadline:
                if p.overdue_daily:
                    step = f"overdue-{day.isoformat()}"
                    templates.append(
                        self.template(deadline, step, day, DEPARTMENT, deadline, day_off)
                    )
                if day == escalate:
                    templates.append(
                        self.template(deadline, "escalate", day, LEADERSHIP, deadline, day_off)
                    )
        return _OneOff(self.utc(min(firsts)), templates, escalate)

    def plan_oneoff(self, task: PlanTask, deadline: date, out: list[Due]) -> None:
        info = self.oneoff(deadline)
        if info.first_slot is None:
            return
        closed = task.closed_at
        if task.created_at <= info.first_slot:
            for t in info.templates:
                if closed is None or t.slot < closed:
                    out.append(Due(due_key(task.id, t.occurrence, t.step), task, t))
            return
        # loaded late: one catch-up instead of the steps before it
        wd = self.wd
        catchup_day = self.catchup_day(task.created_at)
        catchup_slot = self.slot(catchup_day)
        day_off = not wd.is_working(deadline)
        found: list[Step] = []
        if catchup_day in self.window_set:
            found.append(
                self.template(deadline, "catchup", catchup_day, DEPARTMENT, deadline, day_off)
            )
        found.extend(t for t in info.templates if t.slot > catchup_slot and t.step != "escalate")
        if info.escalate is not None:
            escalate = info.escalate
            if self.slot(escalate) <= catchup_slot:
                escalate = wd.add(catchup_day, 1)
            if escalate in self.window_set:
                found.append(
                    self.template(deadline, "escalate", escalate, LEADERSHIP, deadline, day_off)
                )
        for t in found:
            if closed is None or t.slot < closed:
                out.append(Due(due_key(task.id, t.occurrence, t.step), task, t))

    # recurring tasks

    def recurring(self, key: _RuleKey) -> _Rule:
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = self._build_rule(key)
        return found

    def _build_rule(self, key: _RuleKey) -> _Rule:
        p, wd = self.policy, self.wd
        reach = max((n for n in p.recurring_before), default=0) * 2 + 70
        start = self.lo.date() - timedelta(days=reach)
        end = self.at.date() + timedelta(days=reach)
        in_window: list[tuple[date, date, datetime, Step]] = []
        for nominal, due in _occurrences(key, wd, start, end):
            day_off = not wd.is_working(nominal)
            for step, day, audience in _occurrence_steps(key, due, p, wd):
                if day in self.window_set:
                    tmpl = self.template(nominal, step, day, audience, due, day_off)
                    in_window.append((nominal, due, self.utc(day), tmpl))
        return _Rule(in_window)

    def plan_recurring(self, task: PlanTask, key: _RuleKey, out: list[Due]) -> None:
        info = self.recurring(key)
        if not info.in_window:
            return
        created, closed, done = task.created_at, task.closed_at, task.done_occurrences
        loaded = self.local_day(created)
        for nominal, due, slot, t in info.in_window:
            if (
                due >= loaded
                and slot >= created
                and (closed is None or slot < closed)
                and nominal not in done
            ):
                out.append(Due(due_key(task.id, nominal, t.step), task, t))


_TICKS: dict[tuple[Any, ...], _Tick] = {}


def plan(
    tasks: Iterable[PlanTask],
    policy: Policy,
    calendar: WorkCalendar,
    at: datetime,
    tz: tzinfo = VN_TZ,
    lookback: timedelta = timedelta(days=7),
) -> list[Due]:
    """The steps of open tasks whose slot is in [at - lookback, at], grouped by task.

    `at` must be aware (any zone). A scheduler that remembers its last tick can pass
    `lookback=min(at - last_tick, 7 days)` (plus a little overlap): the result is then only
    what is new, and plan() returns at once when no office slot lies in the window. Calls with
    the same policy, calendar, zone, `at` and `lookback` (say one call per ward at a tick)
    share their per-tick work. The cyclic garbage collector is paused during the call (it only
    allocates small acyclic objects) and restored after.
    """
    if at.tzinfo is None:
        raise ValueError("plan() needs an aware datetime")
    at = at.astimezone(tz)
    lo = at - lookback
    cal_key: Any = (
        (calendar.extra_days_off, calendar.extra_workdays)
        if type(calendar) is WorkCalendar
        else calendar
    )
    tick_key = (policy, cal_key, tz, at, lookback)
    tick = _TICKS.get(tick_key)
    if tick is None:
        if len(_TICKS) >= 16:
            _TICKS.clear()
        tick = _TICKS[tick_key] = _Tick(policy, calendar, tz, lo, at)
    out: list[Due] = []
    if not tick.window:
        return out
    rule_of = tick.rule
    # Hundreds of thousands of small acyclic objects: collecting cycles meanwhile only costs.
    paused = gc.isenabled()
    gc.disable()
    try:
        for task in tasks:
            if task.status != "open":
                continue
            key = rule_of(task.recurrence)
            if key is not None:
                tick.plan_recurring(task, key, out)
            elif task.deadline is not None:
                tick.plan_oneoff(task, task.deadline, out)
    finally:
        if paused:
            gc.enable()
    return out


__all__ = [
    "DEPARTMENT",
    "LEADERSHIP",
    "Due",
    "PlanTask",
    "Policy",
    "Step",
    "deadline_horizon",
    "occurrence_to_close",
    "occurrences_due",
    "parse_recurrence",
    "plan",
]
