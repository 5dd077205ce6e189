"""Reminder planning: the schedule of each kind of task, and exactly-once across any ticks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, FixedClock
from reminders.planner import (
    Due,
    PlanTask,
    Policy,
    deadline_horizon,
    occurrence_to_close,
    parse_recurrence,
    plan,
)
from store.keys import due_key

CAL = WorkCalendar()
POLICY = Policy()
WEEK = timedelta(days=7)
MINUTE = timedelta(minutes=1)
LOADED = datetime(2025, 10, 1, 9, 0, tzinfo=VN_TZ)


def vn(y: int, m: int, d: int, hh: int = 7, mm: int = 30) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def task(
    deadline: date | None = None,
    recurrence: str | None = None,
    created: datetime = LOADED,
    closed: datetime | None = None,
    done: Iterable[date] = (),
    id: int = 1,
) -> PlanTask:
    return PlanTask(
        id=id,
        number=id,
        deadline=deadline,
        recurrence=recurrence,
        status="done" if closed else "open",
        created_at=created,
        closed_at=closed,
        departments=("VP", "KT"),
        done_occurrences=frozenset(done),
        ward_id=1,
    )


def every(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    ticks, at = [], start
    while at <= end:
        ticks.append(at)
        at += step
    return ticks


def run(
    tasks_at: Callable[[datetime], list[PlanTask]],
    ticks: Iterable[datetime],
    policy: Policy = POLICY,
    lookback: timedelta = WEEK,
) -> dict[str, tuple[Due, datetime]]:
    """What an outbox with a unique key keeps: each key with its first Due and tick."""
    outbox: dict[str, tuple[Due, datetime]] = {}
    for at in ticks:
        for due in plan(tasks_at(at), policy, CAL, at, lookback=lookback):
            outbox.setdefault(due.key, (due, at))
    return outbox


def month_of(t: PlanTask, start: datetime, end: datetime) -> dict[str, Due]:
    """Ticks every half hour through [start, end] with the task as it stands."""
    outbox = run(lambda at: [t], every(start, end, timedelta(minutes=30)))
    return {key: due for key, (due, _) in outbox.items()}


def steps(outbox: dict[str, Due]) -> list[tuple[str, date, str]]:
    return sorted(
        ((d.step, d.slot.date(), d.audience) for d in outbox.values()), key=lambda s: (s[1], s[0])
    )


def assert_office_slots(dues: Iterable[Due], policy: Policy = POLICY) -> None:
    for d in dues:
        assert d.slot.tzinfo is not None
        local = d.slot.astimezone(VN_TZ)
        assert local.timetz().replace(tzinfo=None) == policy.office_time
        assert CAL.is_working_day(local.date()), d.key
        assert d.key == due_key(d.task_id, d.occurrence, d.step)


# --- one-off deadlines ------------------------------------------------------------------------


def test_deadline_on_a_sunday_goes_out_on_friday_then_overdue_and_escalation() -> None:
    t = task(date(2025, 11, 30))  # a Sunday
    got = month_of(t, vn(2025, 11, 1, 0, 0), vn(2025, 12, 5, 23, 0))
    assert_office_slots(got.values())
    assert steps(got) == [
        ("before-7", date(2025, 11, 19), "department"),
        ("before-3", date(2025, 11, 25), "department"),
        ("before-1", date(2025, 11, 27), "department"),
        ("day", date(2025, 11, 28), "department"),  # Friday: the deadline is a day off
        ("overdue-2025-12-01", date(2025, 12, 1), "department"),
        ("escalate", date(2025, 12, 2), "leadership"),  # 2 working days overdue
        ("overdue-2025-12-02", date(2025, 12, 2), "department"),
        ("overdue-2025-12-03", date(2025, 12, 3), "department"),
        ("overdue-2025-12-04", date(2025, 12, 4), "department"),
        ("overdue-2025-12-05", date(2025, 12, 5), "department"),
    ]
    day = got["task:1:2025-11-30:day"]
    assert day.deadline_day_off and day.deadline == date(2025, 11, 30)
    assert (day.days_left, day.working_days_left) == (2, 0)
    assert day.slot == vn(2025, 11, 28) and day.task.departments == ("VP", "KT")
    before = got["task:1:2025-11-30:before-1"]
    assert (before.days_left, before.working_days_left) == (3, 1)
    escalate = got["task:1:2025-11-30:escalate"]
    assert (escalate.days_left, escalate.working_days_left) == (-2, -2)


def test_deadline_during_tet_2026() -> None:
    t = task(date(2026, 2, 18))  # Wednesday of Tết (16–20/02/2026 off)
    got = month_of(t, vn(2026, 1, 25, 0, 0), vn(2026, 2, 25, 23, 0))
    assert_office_slots(got.values())
    assert steps(got) == [
        ("before-7", date(2026, 2, 4), "department"),
        ("before-3", date(2026, 2, 10), "department"),
        ("before-1", date(2026, 2, 12), "department"),
        ("day", date(2026, 2, 13), "department"),  # the last working day before Tết
        ("overdue-2026-02-23", date(2026, 2, 23), "department"),
        ("escalate", date(2026, 2, 24), "leadership"),
        ("overdue-2026-02-24", date(2026, 2, 24), "department"),
        ("overdue-2026-02-25", date(2026, 2, 25), "department"),
    ]
    assert all(not date(2026, 2, 14) <= d.slot.date() <= date(2026, 2, 22) for d in got.values())
    assert got["task:1:2026-02-18:day"].deadline_day_off


def test_deadline_on_a_saturday() -> None:
    t = task(date(2025, 12, 6))
    got = month_of(t, vn(2025, 11, 20, 0, 0), vn(2025, 12, 9, 23, 0))
    assert [s for s in steps(got) if not s[0].startswith("before")] == [
        ("day", date(2025, 12, 5), "department"),
        ("overdue-2025-12-08", date(2025, 12, 8), "department"),
        ("escalate", date(2025, 12, 9), "leadership"),
        ("overdue-2025-12-09", date(2025, 12, 9), "department"),
    ]
    assert got["task:1:2025-12-06:day"].deadline_day_off


def test_deadline_on_a_working_day_is_not_marked() -> None:
    got = month_of(task(date(2025, 12, 10)), vn(2025, 12, 1, 0, 0), vn(2025, 12, 10, 23, 0))
    day = got["task:1:2025-12-10:day"]
    assert not day.deadline_day_off and (day.days_left, day.working_days_left) == (0, 0)


def test_closed_mid_ladder_gets_nothing_after_closing() -> None:
    closed_at = vn(2025, 11, 26, 10, 0)
    open_t, done_t = task(date(2025, 11, 30)), task(date(2025, 11, 30), closed=closed_at)
    outbox = run(
        lambda at: [done_t if at >= closed_at else open_t],
        every(vn(2025, 11, 1, 0, 0), vn(2025, 12, 10, 0, 0), timedelta(minutes=30)),
    )
    assert sorted(k.rsplit(":", 1)[1] for k in outbox) == ["before-3", "before-7"]
    # an open task with a closing time set (a stale row) is cut at it too
    cut = PlanTask(
        id=1,
        number=1,
        deadline=date(2025, 11, 30),
        recurrence=None,
        status="open",
        created_at=vn(2025, 10, 1),
        closed_at=closed_at,
        departments=(),
    )
    dues = plan([cut], POLICY, CAL, vn(2025, 11, 28), lookback=timedelta(days=10))
    assert {d.step for d in dues} == {"before-3", "before-7"}


def test_escalation_only_once_and_only_to_leadership() -> None:
    got = month_of(task(date(2025, 12, 1)), vn(2025, 12, 1, 0, 0), vn(2025, 12, 31, 23, 0))
    escalations = [d for d in got.values() if d.audience == "leadership"]
    assert [(d.step, d.slot.date()) for d in escalations] == [("escalate", date(2025, 12, 3))]
    overdue = [d for d in got.values() if d.step.startswith("overdue-")]
    assert len(overdue) == sum(
        CAL.is_working_day(date(2025, 12, 2) + timedelta(days=i)) for i in range(30)
    )


# --- tasks loaded late ------------------------------------------------------------------------


def test_loaded_late_gets_one_catch_up_not_the_ladder() -> None:
    # deadline Wed 10/12; loaded Mon 08/12 at 10:00, after before-7 and before-3 went by
    t = task(date(2025, 12, 10), created=vn(2025, 12, 8, 10, 0))
    got = month_of(t, vn(2025, 11, 25, 0, 0), vn(2025, 12, 12, 23, 0))
    assert steps(got) == [
        ("catchup", date(2025, 12, 9), "department"),  # the next office morning ...
        ("day", date(2025, 12, 10), "department"),  # ... then the rest as usual
        ("overdue-2025-12-11", date(2025, 12, 11), "department"),
        ("escalate", date(2025, 12, 12), "leadership"),
        ("overdue-2025-12-12", date(2025, 12, 12), "department"),
    ]
    catchup = got["task:1:2025-12-10:catchup"]
    assert (catchup.days_left, catchup.working_days_left) == (1, 1)
    assert all(d.slot >= t.created_at for d in got.values())


def test_loaded_before_office_time_catches_up_the_same_morning() -> None:
    t = task(date(2025, 12, 10), created=vn(2025, 12, 8, 6, 45))
    got = month_of(t, vn(2025, 12, 1, 0, 0), vn(2025, 12, 10, 23, 0))
    assert steps(got)[:2] == [
        ("catchup", date(2025, 12, 8), "department"),
        ("before-1", date(2025, 12, 9), "department"),
    ]
    # loaded exactly at a step's slot: nothing was missed, no catch-up
    on_time = task(date(2025, 12, 10), created=vn(2025, 12, 1))
    assert "catchup" not in {
        s[0] for s in steps(month_of(on_time, vn(2025, 12, 1), vn(2025, 12, 3)))
    }


def test_loaded_after_the_deadline_catches_up_as_overdue_then_escalates() -> None:
    # deadline Mon 01/12; loaded Fri 05/12 afternoon, already 4 working days overdue
    t = task(date(2025, 12, 1), created=vn(2025, 12, 5, 14, 0))
    got = month_of(t, vn(2025, 11, 20, 0, 0), vn(2025, 12, 10, 23, 0))
    assert steps(got) == [
        ("catchup", date(2025, 12, 8), "department"),
        ("escalate", date(2025, 12, 9), "leadership"),  # its day was swallowed: the day after
        ("overdue-2025-12-09", date(2025, 12, 9), "department"),
        ("overdue-2025-12-10", date(2025, 12, 10), "department"),
    ]
    assert got["task:1:2025-12-01:catchup"].days_left == -7


# --- recurring tasks --------------------------------------------------------------------------


def test_weekly_monday_with_a_monday_holiday() -> None:
    # loaded on a Sunday: Monday 30/03 is not caught up, the next Monday has begun by then
    t = task(recurrence="weekly:MON", created=vn(2026, 4, 5, 9, 0), done=[date(2026, 4, 20)])
    got = month_of(t, vn(2026, 4, 1, 0, 0), vn(2026, 5, 6, 23, 0))
    assert_office_slots(got.values())
    assert steps(got) == [
        ("day", date(2026, 4, 6), "department"),
        ("missed", date(2026, 4, 7), "leadership"),
        ("day", date(2026, 4, 13), "department"),
        ("missed", date(2026, 4, 14), "leadership"),
        # 20/04 was reported ahead of time: nothing
        ("day", date(2026, 4, 28), "department"),  # 27/04 is the observed Hùng Kings day
        ("missed", date(2026, 4, 29), "leadership"),
        ("day", date(2026, 5, 4), "department"),
        ("missed", date(2026, 5, 5), "leadership"),
    ]
    moved = got["task:1:2026-04-27:day"]
    assert moved.occurrence == date(2026, 4, 27) and moved.deadline == date(2026, 4, 28)
    assert moved.deadline_day_off and moved.days_left == 0
    # 31/08/2026 is a substituted day off before National Day (1–2/09): Thursday 03/09
    sept = month_of(
        task(recurrence="weekly:MON", created=vn(2026, 8, 20)), vn(2026, 8, 28), vn(2026, 9, 5)
    )
    assert [s for s in steps(sept) if s[1] > date(2026, 8, 28)] == [
        ("day", date(2026, 9, 3), "department"),
        ("missed", date(2026, 9, 4), "leadership"),
    ]
    assert sept["task:1:2026-08-31:day"].deadline == date(2026, 9, 3)


def test_weekly_report_done_during_its_day_stops_the_missed_step() -> None:
    monday = date(2025, 12, 1)
    reported = vn(2025, 12, 1, 15, 0)
    loaded = vn(2025, 11, 30, 0, 0)
    before = task(recurrence="weekly:MON", created=loaded)
    after = task(recurrence="weekly:MON", created=loaded, done=[monday])
    outbox = run(
        lambda at: [after if at >= reported else before],
        every(vn(2025, 11, 30, 0, 0), vn(2025, 12, 3, 0, 0), timedelta(minutes=10)),
    )
    assert sorted(outbox) == ["task:1:2025-12-01:day"]


def test_monthly_15_moves_back_from_a_sunday() -> None:
    t = task(recurrence="monthly:15", created=vn(2026, 2, 20, 9, 0))
    got = month_of(t, vn(2026, 3, 1, 0, 0), vn(2026, 4, 17, 23, 0))
    assert steps(got) == [
        ("before-3", date(2026, 3, 10), "department"),
        ("before-1", date(2026, 3, 12), "department"),
        ("day", date(2026, 3, 13), "department"),  # 15/03/2026 is a Sunday
        ("missed", date(2026, 3, 16), "leadership"),
        ("before-3", date(2026, 4, 10), "department"),
        ("before-1", date(2026, 4, 14), "department"),
        ("day", date(2026, 4, 15), "department"),
        ("missed", date(2026, 4, 16), "leadership"),
    ]
    day = got["task:1:2026-03-15:day"]
    assert day.occurrence == date(2026, 3, 15) and day.deadline == date(2026, 3, 13)


def test_period_rhythms_fall_on_the_last_working_day() -> None:
    at = vn(2026, 1, 10)
    for recurrence, nominal, due in [
        ("monthly", date(2025, 12, 31), date(2025, 12, 31)),
        ("quarterly", date(2025, 12, 31), date(2025, 12, 31)),
        ("yearly", date(2025, 12, 31), date(2025, 12, 31)),
        ("monthly", date(2026, 1, 31), date(2026, 1, 30)),  # a Saturday
        ("weekly", date(2026, 2, 22), date(2026, 2, 13)),  # Tết week: ... no occurrence
    ]:
        t = task(recurrence=recurrence, created=vn(2025, 6, 1))
        dues = plan([t], POLICY, CAL, datetime.combine(due, time(7, 30), VN_TZ))
        mine = [d for d in dues if d.step == "day" and d.occurrence == nominal]
        if recurrence == "weekly":
            assert not mine  # the week of 16–22/02/2026 has no working day
            continue
        assert [d.deadline for d in mine] == [due], recurrence
    assert plan([task(recurrence="daily"), task(recurrence="periodic")], POLICY, CAL, at) == []
    assert plan([task()], POLICY, CAL, at) == []  # ongoing: no deadline, no rhythm


def test_recurring_loaded_late_starts_at_the_first_occurrence_due_after_loading() -> None:
    # loaded Wednesday 03/12/2025: Monday 01/12 came before the task existed, no catch-up
    t = task(recurrence="weekly:MON", created=vn(2025, 12, 3, 10, 0))
    got = month_of(t, vn(2025, 11, 1, 0, 0), vn(2025, 12, 9, 23, 0))
    assert steps(got) == [
        ("day", date(2025, 12, 8), "department"),
        ("missed", date(2025, 12, 9), "leadership"),
    ]
    # loaded in the middle of a monthly ladder: the rest of it, nothing from before loading
    m = task(recurrence="monthly:15", created=vn(2025, 12, 11, 9, 0))
    assert steps(month_of(m, vn(2025, 12, 1), vn(2025, 12, 17))) == [
        ("before-1", date(2025, 12, 12), "department"),
        ("day", date(2025, 12, 15), "department"),
        ("missed", date(2025, 12, 16), "leadership"),
    ]
    # loaded on the due day after office time: no "day", but the "missed" still follows
    late = task(recurrence="weekly:MON", created=vn(2025, 12, 1, 10, 0))
    assert steps(month_of(late, vn(2025, 12, 1), vn(2025, 12, 5))) == [
        ("missed", date(2025, 12, 2), "leadership"),
    ]
    # loaded on the due day before office time, or right at it: that morning's "day" too
    for created in (vn(2025, 12, 1, 6, 0), vn(2025, 12, 1)):
        early = task(recurrence="weekly:MON", created=created)
        assert [d.step for d in plan([early], POLICY, CAL, vn(2025, 12, 2))] == ["day", "missed"]
    # a directive of 20/11/2026 "trước ngày 15 hằng tháng": nothing until December's ladder
    nov = task(recurrence="monthly:15", created=vn(2026, 11, 20, 9, 0))
    assert steps(month_of(nov, vn(2026, 11, 1), vn(2026, 12, 16))) == [
        ("before-3", date(2026, 12, 10), "department"),
        ("before-1", date(2026, 12, 14), "department"),
        ("day", date(2026, 12, 15), "department"),
        ("missed", date(2026, 12, 16), "leadership"),
    ]
    done = task(recurrence="monthly:15", created=vn(2026, 11, 20, 9), done=[date(2026, 12, 15)])
    assert steps(month_of(done, vn(2026, 11, 1), vn(2026, 12, 31))) == []


def test_monthly_on_the_day_moves_forward_by_the_day_moves_back() -> None:
    # 20/12/2026 is a Sunday; 02/09/2026 is National Day (31/08-02/09 off)
    on = task(recurrence="monthly:on-20", created=vn(2026, 11, 25))
    by = task(recurrence="monthly:20", created=vn(2026, 11, 25))
    got_on = month_of(on, vn(2026, 12, 1), vn(2026, 12, 31))
    got_by = month_of(by, vn(2026, 12, 1), vn(2026, 12, 31))
    assert [s for s in steps(got_on) if s[0] in ("day", "missed")] == [
        ("day", date(2026, 12, 21), "department"),  # the next working day
        ("missed", date(2026, 12, 22), "leadership"),
    ]
    assert [s for s in steps(got_by) if s[0] in ("day", "missed")] == [
        ("day", date(2026, 12, 18), "department"),  # the working day before
        ("missed", date(2026, 12, 21), "leadership"),
    ]
    day = got_on["task:1:2026-12-20:day"]
    assert (day.occurrence, day.deadline, day.due, day.deadline_day_off) == (
        date(2026, 12, 20),
        date(2026, 12, 21),
        date(2026, 12, 21),
        True,
    )
    sept_on = task(recurrence="monthly:on-2", created=vn(2026, 8, 1))
    sept_by = task(recurrence="monthly:2", created=vn(2026, 8, 1))
    assert [
        d.deadline
        for d in month_of(sept_on, vn(2026, 8, 25), vn(2026, 9, 4)).values()
        if d.step == "day"
    ] == [date(2026, 9, 3)]
    assert [
        d.deadline
        for d in month_of(sept_by, vn(2026, 8, 25), vn(2026, 9, 4)).values()
        if d.step == "day"
    ] == [date(2026, 8, 28)]


def test_tet_2026_monday_duty_is_one_occurrence() -> None:
    # 16/02/2026 (a Tết day) moves to 23/02, itself a Monday: one occurrence, named 23/02
    t = task(recurrence="weekly:MON", created=vn(2026, 1, 1))
    got = month_of(t, vn(2026, 2, 1), vn(2026, 2, 28, 23, 0))
    assert [s for s in steps(got) if s[1] >= date(2026, 2, 1)] == [
        ("day", date(2026, 2, 2), "department"),
        ("missed", date(2026, 2, 3), "leadership"),
        ("day", date(2026, 2, 9), "department"),
        ("missed", date(2026, 2, 10), "leadership"),
        ("day", date(2026, 2, 23), "department"),  # once
        ("missed", date(2026, 2, 24), "leadership"),
    ]
    assert not [key for key in got if "2026-02-16" in key]
    assert occurrence_to_close(t, CAL, date(2026, 2, 23)) == date(2026, 2, 23)
    reported = task(recurrence="weekly:MON", created=vn(2026, 1, 1), done=[date(2026, 2, 23)])
    assert steps(month_of(reported, vn(2026, 2, 20), vn(2026, 2, 28))) == []


def test_tet_2027_moves_and_merges() -> None:
    # Tết 2027: 04/02 (Thursday) to 10/02 (Wednesday) off
    thursday = task(recurrence="weekly:THU", created=vn(2027, 1, 1))
    got = month_of(thursday, vn(2027, 1, 25), vn(2027, 2, 20))
    days = [(d.occurrence, d.slot.date()) for d in got.values() if d.step == "day"]
    assert sorted(d for d in days if d[0] >= date(2027, 1, 28)) == [
        (date(2027, 1, 28), date(2027, 1, 28)),
        (date(2027, 2, 11), date(2027, 2, 11)),  # 04/02 and 11/02: one occurrence
        (date(2027, 2, 18), date(2027, 2, 18)),
    ]
    monday = task(recurrence="weekly:MON", created=vn(2027, 1, 1))
    moved = month_of(monday, vn(2027, 2, 1), vn(2027, 2, 16))["task:1:2027-02-08:day"]
    assert moved.deadline == date(2027, 2, 11) and moved.deadline_day_off
    on5 = task(recurrence="monthly:on-5", created=vn(2027, 1, 1))
    by5 = task(recurrence="monthly:5", created=vn(2027, 1, 1))
    assert month_of(on5, vn(2027, 2, 1), vn(2027, 2, 12))["task:1:2027-02-05:day"].deadline == (
        date(2027, 2, 11)
    )
    assert month_of(by5, vn(2027, 1, 28), vn(2027, 2, 12))["task:1:2027-02-05:day"].deadline == (
        date(2027, 2, 3)
    )


def test_occurrence_to_close() -> None:
    weekly = task(recurrence="weekly:MON")
    assert occurrence_to_close(weekly, CAL, date(2025, 12, 3)) == date(2025, 12, 1)  # late
    assert occurrence_to_close(weekly, CAL, date(2025, 12, 3), done=[date(2025, 12, 1)]) == date(
        2025, 12, 8
    )  # early
    assert occurrence_to_close(weekly, CAL, date(2026, 4, 27)) == date(2026, 4, 20)
    assert occurrence_to_close(weekly, CAL, date(2026, 4, 28)) == date(2026, 4, 27)
    assert occurrence_to_close(task(date(2025, 12, 1)), CAL, date(2025, 12, 3)) is None
    # never an occurrence due before the task was loaded
    nov = task(recurrence="monthly:15", created=vn(2026, 11, 20, 9, 0))
    assert occurrence_to_close(nov, CAL, date(2026, 12, 4)) == date(2026, 12, 15)
    assert occurrence_to_close(nov, CAL, date(2026, 11, 20)) == date(2026, 12, 15)
    assert occurrence_to_close(nov, CAL, date(2026, 12, 16)) == date(2026, 12, 15)  # late
    wed = task(recurrence="weekly:MON", created=vn(2025, 12, 3, 10, 0))
    assert occurrence_to_close(wed, CAL, date(2025, 12, 4)) == date(2025, 12, 8)
    # loaded on the due day: that day's occurrence is the task's
    mon = task(recurrence="weekly:MON", created=vn(2025, 12, 1, 15, 0))
    assert occurrence_to_close(mon, CAL, date(2025, 12, 1)) == date(2025, 12, 1)


# --- ticks, zones, horizon --------------------------------------------------------------------


def test_minute_ticks_through_a_morning_add_each_key_once_at_office_time() -> None:
    tasks = [
        task(date(2025, 11, 30), id=1),  # "day" on Friday 28/11
        task(date(2025, 11, 26), id=2),  # overdue
        task(date(2025, 12, 3), id=3),  # before-3
        task(recurrence="weekly:FRI", created=vn(2025, 11, 1), id=4),
    ]
    clock = FixedClock(vn(2025, 11, 28, 5, 0))
    outbox: dict[str, datetime] = {}
    added_at: dict[datetime, list[str]] = {}
    while clock.now() <= vn(2025, 11, 28, 11, 0):
        for due in plan(tasks, POLICY, CAL, clock.now()):
            if due.key not in outbox:
                outbox[due.key] = clock.now()
                added_at.setdefault(clock.now(), []).append(due.key)
        clock.advance(MINUTE)
    assert set(added_at) == {vn(2025, 11, 28, 5, 0), vn(2025, 11, 28, 7, 30)}
    assert sorted(added_at[vn(2025, 11, 28, 7, 30)]) == [
        "task:1:2025-11-30:day",
        "task:2:2025-11-26:escalate",  # Wed 26/11 + 2 working days
        "task:2:2025-11-26:overdue-2025-11-28",
        "task:3:2025-12-03:before-3",
        "task:4:2025-11-28:day",
    ]
    first = added_at[vn(2025, 11, 28, 5, 0)]  # the week before, from the first tick
    assert "task:2:2025-11-26:overdue-2025-11-27" in first and len(first) == len(set(first))


def test_instants_in_any_zone_and_around_midnight_utc() -> None:
    t = task(date(2025, 11, 28))
    just_before = datetime(2025, 11, 28, 0, 29, tzinfo=UTC)  # 07:29 in Hà Nội
    at_slot = datetime(2025, 11, 28, 0, 30, tzinfo=UTC)
    assert plan([t], POLICY, CAL, just_before, lookback=MINUTE) == []
    dues = plan([t], POLICY, CAL, at_slot, lookback=MINUTE)
    assert [d.step for d in dues] == ["day"]
    assert dues[0].slot == at_slot and dues[0].slot.utcoffset() == timedelta(hours=7)
    assert dues == plan([t], POLICY, CAL, at_slot.astimezone(VN_TZ), lookback=MINUTE)
    # created just after midnight UTC = 07:05 in Hà Nội: the same morning's slot
    late = task(date(2025, 11, 28), created=datetime(2025, 11, 28, 0, 5, tzinfo=UTC))
    assert [d.step for d in plan([late], POLICY, CAL, at_slot)] == ["catchup"]
    with pytest.raises(ValueError):
        plan([t], POLICY, CAL, datetime(2025, 11, 28, 7, 30))


def test_tasks_past_the_horizon_have_nothing_due() -> None:
    at = vn(2025, 11, 20, 8, 0)
    horizon = deadline_horizon(POLICY, CAL, at)
    assert horizon == date(2025, 12, 2)
    inside = task(horizon - timedelta(days=1))  # Monday 01/12: its before-7 is today
    assert [(d.step, d.slot) for d in plan([inside], POLICY, CAL, at)] == [
        ("before-7", vn(2025, 11, 20))
    ]
    for days in range(0, 40):
        assert plan([task(horizon + timedelta(days=days))], POLICY, CAL, at) == []


def test_parse_recurrence() -> None:
    assert parse_recurrence("weekly:MON") == ("weekday", 0)
    assert parse_recurrence("monthly:15") == ("monthday", 15)
    assert parse_recurrence("monthly:on-20") == ("monthday_on", 20)
    assert parse_recurrence("yearly:06-01,11-15") == ("yeardays", ((6, 1), (11, 15)))
    assert parse_recurrence("half_yearly") == ("period", 6)
    for none in (
        None,
        "",
        "daily",
        "periodic",
        "weekly:XYZ",
        "monthly:40",
        "monthly:on-",
        "monthly:on-32",
        "yearly:13-01",
    ):
        assert parse_recurrence(none) is None


# --- the property: any ticks, each due step exactly once --------------------------------------

RECURRENCES = [
    "weekly:MON",
    "weekly:FRI",
    "weekly:SUN",
    "weekly",
    "monthly:15",
    "monthly:31",
    "monthly:1",
    "monthly:on-20",
    "monthly:on-31",
    "monthly:on-1",
    "weekly:THU",
    "monthly",
    "quarterly",
    "half_yearly",
    "yearly",
    "yearly:02-17,11-15",
    "daily",
    "periodic",
]
POLICIES = [
    POLICY,
    Policy(before=(5, 2), escalate_after=1, office_time=time(8, 0)),
    Policy(before=(), on_day=False, overdue_daily=False, escalate_after=3),
    Policy(overdue_daily=False, escalate_after=0, recurring_before=(7, 2, 1)),
]
LOOKBACKS = [WEEK, timedelta(days=1), timedelta(hours=5), timedelta(minutes=30), MINUTE]
T0 = vn(2025, 10, 1, 0, 0)


def _slot(d: date, p: Policy) -> datetime:
    return datetime.combine(d, p.office_time, VN_TZ)


def _next_wd(d: date) -> date:
    while not CAL.is_working_day(d):
        d += timedelta(days=1)
    return d


def _prev_wd(d: date) -> date:
    while not CAL.is_working_day(d):
        d -= timedelta(days=1)
    return d


def _catchup_day(created: datetime, p: Policy) -> date:
    d = created.astimezone(VN_TZ).date()
    while not (CAL.is_working_day(d) and _slot(d, p) >= created):
        d += timedelta(days=1)
    return d


def _nth_overdue(deadline: date, n: int) -> date:
    d, count = deadline, 0
    while count < n:
        d += timedelta(days=1)
        count += CAL.is_working_day(d)
    return d


Sched = dict[str, tuple[datetime, date]]  # key -> (slot, occurrence)


def oracle(t: PlanTask, p: Policy, end: date) -> Sched:
    """The task's schedule up to `end`, from the definitions, one day at a time."""
    out: Sched = {}

    def add(occ: date, step: str, day: date) -> None:
        if day <= end:
            out[f"task:{t.id}:{occ.isoformat()}:{step}"] = (_slot(day, p), occ)

    rule, rhythm = parse_recurrence(t.recurrence), t.recurrence or ""
    if rule is None and t.deadline is not None:
        deadline = t.deadline
        due = _prev_wd(deadline)
        ladder = [(f"before-{n}", CAL.add_working_days(due, -n)) for n in set(p.before) if n > 0]
        if p.on_day:
            ladder.append(("day", due))
        escalate = _nth_overdue(deadline, p.escalate_after) if p.escalate_after > 0 else None
        firsts = [day for _, day in ladder]
        firsts += [_nth_overdue(deadline, 1)] if p.overdue_daily else []
        firsts += [escalate] if escalate else []
        if not firsts:
            return out
        steps = list(ladder)
        if p.overdue_daily:
            d = deadline + timedelta(days=1)
            while d <= end:
                if CAL.is_working_day(d):
                    steps.append((f"overdue-{d.isoformat()}", d))
                d += timedelta(days=1)
        if _slot(min(firsts), p) >= t.created_at:
            steps += [("escalate", escalate)] if escalate else []
        else:
            catchup = _catchup_day(t.created_at, p)
            steps = [(s, d) for s, d in steps if _slot(d, p) > _slot(catchup, p)]
            steps.append(("catchup", catchup))
            if escalate:
                if _slot(escalate, p) <= _slot(catchup, p):
                    escalate = _next_wd(catchup + timedelta(days=1))
                steps.append(("escalate", escalate))
        for step, day in steps:
            add(deadline, step, day)
        return out
    if rule is None:
        return out
    # recurring: every nominal date from well before the task to `end`
    occurrences: list[tuple[date, date]] = []
    d = date(2025, 1, 1)
    while d <= end + timedelta(days=60):
        nominal_due = None
        if t.recurrence and t.recurrence.startswith("weekly:"):
            if d.strftime("%a").upper() == t.recurrence[7:]:
                nominal_due = _next_wd(d)
        elif t.recurrence == "weekly":
            if d.weekday() == 6:
                due = _prev_wd(d)
                nominal_due = due if (d - due).days < 7 else None
        elif t.recurrence and t.recurrence.startswith("monthly:on-"):
            last = ((d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
            if d.day == min(int(t.recurrence[11:]), last):
                nominal_due = _next_wd(d)  # on the day: a day off moves it forward
        elif t.recurrence and t.recurrence.startswith("monthly:"):
            last = ((d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
            if d.day == min(int(t.recurrence[8:]), last):
                nominal_due = _prev_wd(d)  # by the day: a day off moves it back
        elif t.recurrence and t.recurrence.startswith("yearly:"):
            if d.strftime("%m-%d") in t.recurrence[7:].split(","):
                nominal_due = _prev_wd(d)
        else:
            months = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[rhythm]
            if (d + timedelta(days=1)).day == 1 and d.month % months == 0:
                due = _prev_wd(d)
                start = date(d.year, d.month - months + 1, 1)
                nominal_due = due if due >= start else None
        if nominal_due is not None:
            if occurrences and occurrences[-1][1] == nominal_due:
                occurrences.pop()  # one due day, one occurrence: the later nominal date
            occurrences.append((d, nominal_due))
        d += timedelta(days=1)
    weekly = bool(t.recurrence and t.recurrence.startswith("weekly"))
    loaded = t.created_at.astimezone(VN_TZ).date()
    for nominal, due in occurrences:
        if due < loaded:
            continue  # before the task existed: not its occurrence
        ladder = (
            []
            if weekly
            else [
                (f"before-{n}", CAL.add_working_days(due, -n))
                for n in set(p.recurring_before)
                if n > 0
            ]
        )
        ladder += [("day", due)] if p.on_day else []
        ladder.append(("missed", CAL.add_working_days(due, 1)))
        for step, day in ladder:
            if _slot(day, p) >= t.created_at:
                add(nominal, step, day)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[PlanTask, Policy, timedelta, list[datetime], dict]:
    policy = draw(st.sampled_from(POLICIES))
    start = vn(2025, 11, 1, 0, 0) + timedelta(days=draw(st.integers(0, 120)))  # of a month
    recurring = draw(st.booleans())
    recurrence = draw(st.sampled_from(RECURRENCES)) if recurring else None
    deadline = None
    if not recurring or draw(st.booleans()):
        deadline = start.date() + timedelta(days=draw(st.integers(-20, 45)))
    when = draw(st.sampled_from(["long before", "during", "at a slot", "at a step", "overdue"]))
    end = start.date() + timedelta(days=31)
    schedule = oracle(task(deadline, recurrence, created=T0), policy, end)
    slots = sorted(slot for slot, _ in schedule.values() if slot >= start - timedelta(days=20))
    if when == "at a step" and slots:  # loaded right at (or around) one of its own steps
        created = draw(st.sampled_from(slots))
        created += timedelta(minutes=draw(st.sampled_from([-1, 0, 1])))
    elif when == "overdue" and deadline is not None:
        created = vn(deadline.year, deadline.month, deadline.day, 0, 0) + timedelta(
            minutes=draw(st.integers(0, 10 * 1440))
        )
    elif when == "long before":
        created = start - timedelta(minutes=draw(st.integers(0, 200 * 1440)))
    elif when == "during":
        created = start + timedelta(minutes=draw(st.integers(-10 * 1440, 31 * 1440)))
    else:  # right at, just before or just after an office slot
        day = start.date() + timedelta(days=draw(st.integers(-10, 31)))
        created = _slot(day, policy) + timedelta(minutes=draw(st.sampled_from([-1, 0, 1])))
    if draw(st.booleans()):
        created = created.astimezone(UTC)
    if draw(st.booleans()):
        offsets = draw(st.lists(st.integers(0, 31 * 1440), min_size=1, max_size=60))
    else:  # a regular tick, as a scheduler would, from a random phase
        every_minutes = draw(st.sampled_from([180, 360, 720, 1440]))
        phase = draw(st.integers(0, every_minutes))
        offsets = list(range(phase, 31 * 1440, every_minutes))
    # and ticks right at, just before and just after office time
    near = draw(st.lists(st.tuples(st.integers(0, 30), st.sampled_from([-1, 0, 1])), max_size=12))
    ticks = {start + timedelta(minutes=m) for m in offsets}
    for day_number, delta in near:
        d = (start + timedelta(days=day_number)).date()
        ticks.add(_slot(d, policy) + timedelta(minutes=delta))
    ordered = sorted(ticks)
    if draw(st.booleans()):
        ordered = [t.astimezone(UTC) for t in ordered]
    closed = None
    if draw(st.integers(0, 3)) == 0:
        closed = start + timedelta(minutes=draw(st.integers(0, 31 * 1440)))
    t = task(deadline, recurrence, created=created)
    lookback = draw(st.sampled_from(LOOKBACKS))
    # occurrences reported done at some instant
    done_at: dict[date, datetime] = {}
    if parse_recurrence(recurrence) is not None:
        for _key, (slot, occ) in oracle(t, policy, ordered[-1].date() + timedelta(days=1)).items():
            if occ not in done_at and draw(st.integers(0, 3)) == 0:
                done_at[occ] = slot + timedelta(minutes=draw(st.integers(-3 * 1440, 3 * 1440)))
    return t, policy, lookback, ordered, {"closed": closed, "done_at": done_at}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_ticks_yield_each_due_step_exactly_once(scenario: tuple) -> None:
    t, policy, lookback, ticks, state = scenario
    closed, done_at = state["closed"], state["done_at"]

    def as_of(at: datetime) -> PlanTask:
        done = frozenset(occ for occ, when in done_at.items() if when <= at)
        if closed is not None and closed <= at:
            return PlanTask(**{**_fields(t), "status": "done", "closed_at": closed})
        return PlanTask(**{**_fields(t), "done_occurrences": done})

    produced: dict[str, Due] = {}
    for at in ticks:
        for due in plan([as_of(at)], policy, CAL, at, lookback=lookback):
            assert due.slot <= at and due.slot >= at - lookback
            assert due.occurrence not in as_of(at).done_occurrences
            produced.setdefault(due.key, due)
    assert_office_slots(produced.values(), policy)
    for due in produced.values():
        assert due.slot >= t.created_at  # never a step from before the task was loaded
        assert closed is None or due.slot < closed
    assert sum(d.step == "catchup" for d in produced.values()) <= 1
    schedule = oracle(t, policy, ticks[-1].astimezone(VN_TZ).date())
    expected = {
        key: slot
        for key, (slot, occ) in schedule.items()
        if any(
            slot <= at <= slot + lookback
            and (closed is None or at < closed)
            and not (occ in done_at and done_at[occ] <= at)
            for at in ticks
        )
    }
    assert {key: due.slot for key, due in produced.items()} == expected


def _fields(t: PlanTask) -> dict:
    return {name: getattr(t, name) for name in PlanTask.__dataclass_fields__}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-90, 90),
            st.sampled_from([None, *RECURRENCES]),
            st.integers(0, 200 * 24),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 200 * 24 * 60),
    st.sampled_from(POLICIES),
)
def test_plan_is_the_schedule_seen_through_the_window(
    specs: list[tuple[int, str | None, int]], minute: int, policy: Policy
) -> None:
    """Many tasks at one instant: exactly the scheduled steps with a slot in the window."""
    at = vn(2025, 11, 1, 0, 0) + timedelta(minutes=minute)
    tasks = [
        task(
            at.date() + timedelta(days=days),
            recurrence,
            created=vn(2025, 6, 1, 0, 0) + timedelta(hours=hours),
            id=i,
        )
        for i, (days, recurrence, hours) in enumerate(specs, 1)
    ]
    got = {d.key: d.slot for d in plan(tasks, policy, CAL, at)}
    expected = {
        key: slot
        for t in tasks
        for key, (slot, _) in oracle(t, policy, at.date()).items()
        if at - WEEK <= slot <= at
    }
    assert got == expected
    horizon = deadline_horizon(policy, CAL, at)
    assert all(
        t.deadline is not None and t.deadline < horizon
        for t in tasks
        if parse_recurrence(t.recurrence) is None
        and any(d.task_id == t.id for d in plan([t], policy, CAL, at))
    )


# --- the loader -------------------------------------------------------------------------------


async def test_load_plan_tasks(db_url: str) -> None:
    from store import models as m
    from store.db import create_engine, session_factory
    from store.migrate import upgrade
    from store.plan_source import load_plan_tasks

    engine = create_engine(db_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    now = vn(2025, 11, 20, 9, 0)
    async with sessions.begin() as s:
        ward = m.Ward(name="Phường Test")
        other = m.Ward(name="Phường Khác")
        s.add_all([ward, other])
        await s.flush()
        vp, kt, tp = (m.Department(ward_id=ward.id, code=c, name=c) for c in ("VP", "KT", "TP"))
        s.add_all([vp, kt, tp])
        directive = m.Directive(ward_id=ward.id, created_at=now)
        directive2 = m.Directive(ward_id=other.id, created_at=now)
        s.add_all([directive, directive2])
        await s.flush()

        def units(*specs: tuple[str, m.Department | None]) -> list[m.TaskUnit]:
            return [
                m.TaskUnit(role=role, department_id=d.id if d else None, unit_name="X", position=i)
                for i, (role, d) in enumerate(specs)
            ]

        rows = [
            (1, date(2025, 11, 30), None, "open", units(("lead", kt), ("support", vp))),
            (2, date(2026, 6, 30), None, "open", units(("support", tp), ("lead", vp))),
            (3, None, "weekly:MON", "open", units(("lead", None), ("support", kt))),
            (4, date(2025, 11, 25), None, "done", units(("lead", vp))),
            (5, None, None, "open", units(("lead", vp))),
        ]
        for number, deadline, recurrence, status, unit_rows in rows:
            s.add(
                m.Task(
                    ward_id=ward.id,
                    directive_id=directive.id,
                    number=number,
                    text="...",
                    deadline=deadline,
                    recurrence=recurrence,
                    status=status,
                    created_at=now,
                    closed_at=now if status == "done" else None,
                    units=unit_rows,
                )
            )
        s.add(
            m.Task(
                ward_id=other.id,
                directive_id=directive2.id,
                number=1,
                text="...",
                deadline=date(2025, 11, 30),
                created_at=now,
            )
        )
    async with sessions() as s:
        everything = await load_plan_tasks(s)
        mine = await load_plan_tasks(s, ward_ids=[ward.id])
        soon = await load_plan_tasks(s, ward_ids=[ward.id], deadline_before=date(2025, 12, 1))
    await engine.dispose()
    assert len(everything) == 5
    by_number = {t.number: t for t in mine}
    assert sorted(by_number) == [1, 2, 3, 5]
    assert by_number[1].departments == ("KT", "VP")
    assert by_number[2].departments == ("VP", "TP")  # the lead first
    assert by_number[3].departments == ("KT",) and by_number[3].recurrence == "weekly:MON"
    assert by_number[1].deadline == date(2025, 11, 30) and by_number[1].ward_id == ward.id
    assert by_number[1].created_at == now and by_number[1].created_at.tzinfo is not None
    assert by_number[1].closed_at is None
    assert sorted(t.number for t in soon) == [1, 3]
    dues = plan(mine, POLICY, CAL, vn(2025, 11, 28))
    assert {d.key for d in dues} >= {f"task:{by_number[1].id}:2025-11-30:day"}
