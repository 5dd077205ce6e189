"""Working days: weekends, fixed holidays and the lunar Tết of 2026."""

from __future__ import annotations

from datetime import date

from reminders.calendar import WorkCalendar

cal = WorkCalendar()


def test_tet_2026_and_weekends_are_days_off() -> None:
    for day in range(16, 21):  # 16–20/02/2026: Tết Bính Ngọ
        assert not cal.is_working_day(date(2026, 2, day))
    assert cal.is_working_day(date(2026, 2, 23))
    assert not cal.is_working_day(date(2025, 11, 29))  # a Saturday
    assert not cal.is_working_day(date(2025, 9, 2))
    assert cal.holiday_name(date(2026, 2, 17)) is not None


def test_counting_working_days() -> None:
    friday, monday = date(2025, 11, 28), date(2025, 12, 1)
    assert cal.working_days_until(friday, monday) == 1
    assert cal.working_days_until(monday, friday) == -1
    assert cal.working_days_until(friday, friday) == 0
    # from the Friday before Tết 2026 to the Monday after it: only the Monday counts
    assert cal.working_days_until(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert cal.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert cal.next_working_day(date(2025, 11, 29)) == date(2025, 12, 1)


def test_ward_days_off_and_make_up_days() -> None:
    ward = WorkCalendar(extra_days_off=[date(2025, 12, 1)], extra_workdays=[date(2025, 11, 29)])
    assert not ward.is_working_day(date(2025, 12, 1))
    assert ward.is_working_day(date(2025, 11, 29))
