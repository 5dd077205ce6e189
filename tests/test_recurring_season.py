"""Recurring duties, holidays and what a reminder says, through the real scheduler with a fake
clock: a whole year of a weekly and two monthly duties (Tết 2026, Hùng Kings, National Day),
Tết 2027, a one-off deadline on a Sunday, and a duty closed right after it was loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from bot.app import App
from handlers.protocol import Inbound
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, FixedClock
from reminders.scheduler import ReminderScheduler
from store import models as m
from store.keys import parse_task_key
from store.tasks import NewDirective, NewTask, NewUnit

DEPT_CHAT = "-1001000000002"  # TTPVHCC's group in examples/ward.toml
LEADERSHIP_CHAT = "-1001000000001"
CHAIRMAN = "700000001"
STAFF = "700000004"  # a member of TTPVHCC


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def duty(text: str, recurrence: str | None, written: str, deadline: date | None = None) -> NewTask:
    return NewTask(
        text=text,
        units=[NewUnit("lead", "TTPVHCC", "")],
        deadline=deadline,
        recurrence=recurrence,
        deadline_kind="recurring" if recurrence else "date",
        deadline_text=written,
    )


async def load(app: App, *tasks: NewTask) -> None:
    ward = (await app.repo.wards())[0]
    directive = NewDirective(
        kind="chi_thi", number="15/CT-UBND", subject="Về việc thử", tasks=list(tasks)
    )
    await app.services.tasks.save_directive(ward.id, directive, "test", app.services.clock.now())


@dataclass(frozen=True)
class Sent:
    task: int
    occurrence: date
    step: str
    chat: str
    day: date  # the local day the tick wrote it
    text: str


async def sent(app: App) -> list[Sent]:
    async with app.repo.sessions() as s:
        rows = await s.execute(
            select(m.Outbox.key, m.Outbox.chat_id, m.Outbox.created_at, m.Outbox.payload)
            .where(m.Outbox.key.startswith("task:"), m.Outbox.status != "skipped")
            .order_by(m.Outbox.id)
        )
        found = []
        for key, chat, created, payload in rows.all():
            parsed = parse_task_key(key)
            assert parsed is not None, key
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", parsed.occurrence):
                continue  # a snoozed repeat or a deadline notice, not a step
            found.append(
                Sent(
                    parsed.task_id,
                    date.fromisoformat(parsed.occurrence),
                    parsed.step,
                    chat,
                    created.astimezone(VN_TZ).date(),
                    payload["text"],
                )
            )
        return found


async def report(app: App, number: int, evidence: str = "đã gửi báo cáo") -> str:
    ask = Inbound(
        channel="telegram",
        chat_id=STAFF,
        chat_kind="private",
        user_id=STAFF,
        text=f"/xong {number} {evidence}",
    )
    return (await app.router.handle(ask))[0].text


def scheduler(app: App) -> ReminderScheduler:
    s = app.services
    return ReminderScheduler(app.repo, s.tasks, s.outbox, s.clock, s.calendar)


async def tick(app: App, sched: ReminderScheduler) -> None:
    """A tick, then what it wrote is delivered (as the delivery loop would, at once)."""
    await sched.tick()
    async with app.repo.sessions.begin() as s:
        await s.execute(
            update(m.Outbox)
            .where(m.Outbox.key.startswith("task:"), m.Outbox.status == "pending")
            .values(status="sent", sent_at=app.services.clock.now())
        )


def plain_and_flat(text: str) -> bool:
    """No nested brackets, and no "(ngày nghỉ)" tacked onto a date."""
    return re.search(r"\([^)]*\(", text) is None and "(ngày nghỉ)" not in text


async def test_a_year_of_a_weekly_and_two_monthly_duties(app: App, clock: FixedClock) -> None:
    cal = app.services.calendar
    clock.set(at(date(2025, 12, 24), 9, 0))  # loaded on a Wednesday
    await load(
        app,
        duty("Báo cáo Chủ tịch kết quả Bộ chỉ số", "weekly:MON", "vào thứ Hai hằng tuần"),
        duty("Họp giao ban chuyển đổi số", "monthly:on-20", "vào ngày 20 hằng tháng"),
        duty("Báo cáo số liệu hồ sơ trực tuyến", "monthly:15", "trước ngày 15 hằng tháng"),
    )
    # every Monday of 2026, due the next working day when it is a day off; one due day, one
    # occurrence (16/02, a Tết day, moves to 23/02, itself a Monday)
    mondays: dict[date, date] = {}
    for day in days(date(2025, 12, 29), date(2027, 1, 4)):
        if day.weekday() == 0:
            due = cal.next_working_day(day)
            mondays = {n: d for n, d in mondays.items() if d != due}
            mondays[day] = due
    assert date(2026, 2, 16) not in mondays and mondays[date(2026, 2, 23)] == date(2026, 2, 23)
    assert mondays[date(2026, 4, 27)] == date(2026, 4, 28)  # Hùng Kings (observed)
    assert mondays[date(2026, 8, 31)] == date(2026, 9, 3)  # before National Day
    unreported = {date(2026, 3, 9), date(2026, 4, 27), date(2026, 7, 13)}
    sched = scheduler(app)
    for day in days(date(2025, 12, 25), date(2027, 1, 5)):
        clock.set(at(day))
        await tick(app, sched)
        due_today = [n for n, d in mondays.items() if d == day and n not in unreported]
        if due_today:
            clock.set(at(day, 10, 0))
            answer = await report(app, 1)
            assert _date(due_today[0]) in answer and "thứ Hai hằng tuần" in answer
    got = await sent(app)
    assert all(plain_and_flat(s.text) for s in got)

    weekly = [s for s in got if s.task == 1]
    # one "day" reminder per due day, in the department chat, on that day
    assert sorted((s.occurrence, s.day) for s in weekly if s.step == "day") == sorted(
        mondays.items()
    )
    assert {s.chat for s in weekly if s.step == "day"} == {DEPT_CHAT}
    # "missed" only for the Mondays nobody reported, to the leadership chat and the chairman
    missed = sorted((s.occurrence, s.chat, s.day) for s in weekly if s.step == "missed")
    assert missed == sorted(
        (n, chat, cal.add_working_days(mondays[n], 1))
        for n in unreported
        for chat in (LEADERSHIP_CHAT, CHAIRMAN)
    )
    assert {s.step for s in weekly} == {"day", "missed"}  # no catch-up, no ladder
    moved = next(s for s in weekly if s.step == "day" and s.occurrence == date(2026, 4, 27))
    assert moved.text.startswith(
        "🔔 Việc #1 (thứ Hai hằng tuần): thứ Hai 27/04/2026 là ngày nghỉ nên hạn báo cáo kỳ "
        "này là hôm nay, thứ Ba 28/04/2026."
    )
    tet = next(s for s in weekly if s.step == "day" and s.occurrence == date(2026, 2, 23))
    assert tet.text.startswith(
        "🔔 Việc #1 (thứ Hai hằng tuần): hôm nay, thứ Hai 23/02/2026, là hạn báo cáo kỳ này."
    )
    late = next(s for s in weekly if s.step == "missed" and s.occurrence == date(2026, 3, 9))
    assert late.text.startswith(
        "⚠️ Việc #1 (thứ Hai hằng tuần): kỳ hạn thứ Hai 09/03/2026 chưa được báo hoàn thành."
    )

    # "vào ngày 20 hằng tháng": on the 20th, a day off moves it to the next working day
    on20 = {s.occurrence: s for s in got if s.task == 2 and s.step == "day"}
    expected_on = {
        date(2026, mo, 20): cal.next_working_day(date(2026, mo, 20)) for mo in range(1, 13)
    }
    assert {n: s.day for n, s in on20.items()} == expected_on
    assert expected_on[date(2026, 6, 20)] == date(2026, 6, 22)  # a Saturday
    assert expected_on[date(2026, 12, 20)] == date(2026, 12, 21)  # a Sunday
    assert on20[date(2026, 1, 20)].text.startswith(
        "🔔 Việc #2 (vào ngày 20 hằng tháng): hôm nay, thứ Ba 20/01/2026, là hạn báo cáo kỳ này."
    )
    for s in got:
        if s.task == 2:
            assert "vào ngày 20 hằng tháng" in s.text and "trước ngày 20" not in s.text
    # "trước ngày 15 hằng tháng": by the 15th, a day off moves it to the working day before
    by15 = {s.occurrence: s.day for s in got if s.task == 3 and s.step == "day"}
    assert by15 == {
        date(2026, mo, 15): _last_working_on_or_before(cal, date(2026, mo, 15))
        for mo in range(1, 13)
    }
    assert by15[date(2026, 3, 15)] == date(2026, 3, 13)
    for s in got:
        if s.task == 3:
            assert "trước ngày 15 hằng tháng" in s.text
    # nobody reported the monthly duties: each occurrence of 2026 is "missed" once per chat
    for number in (2, 3):
        alerts = [s for s in got if s.task == number and s.step == "missed"]
        assert sorted({s.occurrence.month for s in alerts if s.occurrence.year == 2026}) == list(
            range(1, 13)
        )
        assert {s.chat for s in alerts} == {LEADERSHIP_CHAT, CHAIRMAN}
        assert len(alerts) == len({(s.occurrence, s.chat) for s in alerts})


async def test_tet_2027(app: App, clock: FixedClock) -> None:
    # Tết 2027: Thursday 04/02 to Wednesday 10/02 off
    clock.set(at(date(2027, 1, 4), 9, 0))
    await load(
        app,
        duty("Tổng hợp phản ánh kiến nghị", "weekly:THU", "vào thứ Năm hằng tuần"),
        duty("Báo cáo tiến độ số hóa", "monthly:on-5", "vào ngày 05 hằng tháng"),
        duty("Báo cáo thu ngân sách", "monthly:5", "chậm nhất ngày 05 hằng tháng"),
    )
    sched = scheduler(app)
    for day in days(date(2027, 1, 5), date(2027, 2, 28)):
        clock.set(at(day))
        await tick(app, sched)
        if day == date(2027, 2, 11):
            clock.set(at(day, 10, 0))
            assert "11/02/2027" in await report(app, 1)
    got = await sent(app)
    assert all(plain_and_flat(s.text) for s in got)
    thursdays = [(s.occurrence, s.day) for s in got if s.task == 1 and s.step == "day"]
    assert thursdays == [
        (date(2027, 1, 7), date(2027, 1, 7)),
        (date(2027, 1, 14), date(2027, 1, 14)),
        (date(2027, 1, 21), date(2027, 1, 21)),
        (date(2027, 1, 28), date(2027, 1, 28)),
        (date(2027, 2, 11), date(2027, 2, 11)),  # 04/02 and 11/02: one occurrence
        (date(2027, 2, 18), date(2027, 2, 18)),
        (date(2027, 2, 25), date(2027, 2, 25)),
    ]
    missed = {s.occurrence for s in got if s.task == 1 and s.step == "missed"}
    assert date(2027, 2, 4) not in missed and date(2027, 2, 11) not in missed
    on5 = [(s.occurrence, s.day) for s in got if s.task == 2 and s.step == "day"]
    assert on5 == [(date(2027, 1, 5), date(2027, 1, 5)), (date(2027, 2, 5), date(2027, 2, 11))]
    by5 = [(s.occurrence, s.day) for s in got if s.task == 3 and s.step == "day"]
    assert by5 == [(date(2027, 1, 5), date(2027, 1, 5)), (date(2027, 2, 5), date(2027, 2, 3))]
    feb_by5 = next(s for s in got if s.task == 3 and s.step == "day" and s.day.month == 2)
    assert feb_by5.text.startswith(
        "🔔 Việc #3 (trước ngày 5 hằng tháng): thứ Sáu 05/02/2027 là ngày nghỉ nên hạn báo "
        "cáo kỳ này là hôm nay, thứ Tư 03/02/2027."
    )
    assert "Nguyên văn: “chậm nhất ngày 05 hằng tháng”" in feb_by5.text


async def test_a_deadline_on_a_sunday_is_said_plainly(app: App, clock: FixedClock) -> None:
    # loaded Thursday 20/11/2025 09:00; deadline Sunday 30/11/2025
    await load(
        app,
        duty("Số hóa hồ sơ tháng 11", None, "trước ngày 30/11/2025", deadline=date(2025, 11, 30)),
    )
    sched = scheduler(app)
    for day in days(date(2025, 11, 20), date(2025, 12, 3)):
        clock.set(at(day))
        await tick(app, sched)
    got = [s for s in await sent(app) if s.chat == DEPT_CHAT]
    by_step = {s.step: s for s in got}
    friday = by_step["day"]
    assert friday.day == date(2025, 11, 28)  # the working day before
    assert friday.text.startswith(
        "🔔 Việc #1: hạn Chủ nhật 30/11/2025, ngày nghỉ: hoàn thành trong hôm nay."
    )
    assert by_step["before-1"].text.startswith(
        "🔔 Nhắc việc: việc #1 có hạn Chủ nhật 30/11/2025, ngày nghỉ: hoàn thành chậm nhất "
        "thứ Sáu 28/11/2025, còn 1 ngày làm việc."
    )
    assert by_step["overdue-2025-12-01"].text.startswith(
        "🔴 Việc #1 đã quá hạn 1 ngày (hạn Chủ nhật 30/11/2025)."
    )
    for s in got:
        assert plain_and_flat(s.text)
        if "hôm nay" in s.text:  # only on the working day before, never next to Sunday
            assert s.step == "day" and s.day == date(2025, 11, 28)
            assert "hôm nay (Chủ nhật" not in s.text
    # what a person sees in the task list that Friday
    clock.set(at(date(2025, 11, 28), 9, 0))
    ask = Inbound(
        channel="telegram", chat_id=STAFF, chat_kind="private", user_id=STAFF, text="/viec"
    )
    listing = (await app.router.handle(ask))[0].text
    assert "Chủ nhật 30/11/2025, ngày nghỉ: hoàn thành trong hôm nay" in listing


async def test_a_duty_closed_right_after_loading_closes_its_first_occurrence(
    app: App, clock: FixedClock
) -> None:
    # a "trước ngày 15 hằng tháng" duty from a directive of Friday 20/11/2026
    clock.set(at(date(2026, 11, 20), 9, 0))
    await load(
        app, duty("Báo cáo kết quả giải quyết TTHC", "monthly:15", "trước ngày 15 hằng tháng")
    )
    sched = scheduler(app)
    for day in days(date(2026, 11, 20), date(2026, 12, 31)):
        clock.set(at(day))
        await tick(app, sched)
        if day == date(2026, 12, 4):
            clock.set(at(day, 10, 0))
            answer = await report(app, 1)
            assert "15/12/2026" in answer and "15/11/2026" not in answer
            assert "trước ngày 15 hằng tháng" in answer
    got = await sent(app)
    assert [(s.occurrence, s.step) for s in got] == []  # 15/12 reported early: nothing at all
    async with app.repo.sessions() as s:
        details = (
            await s.scalars(select(m.TaskEvent.detail).where(m.TaskEvent.kind == "occurrence_done"))
        ).all()
    assert [d["occurrence"] for d in details] == ["2026-12-15"]


async def test_a_weekly_report_whose_monday_came_before_loading(
    app: App, clock: FixedClock
) -> None:
    # loaded Thursday 20/11/2025: Monday 17/11 was before the directive existed
    await load(app, duty("Báo cáo tuần", "weekly:MON", "vào thứ Hai hằng tuần"))
    sched = scheduler(app)
    for day in days(date(2025, 11, 20), date(2025, 11, 25)):
        clock.set(at(day))
        await tick(app, sched)
    got = await sent(app)
    assert [(s.occurrence, s.step, s.chat, s.day) for s in got] == [
        (date(2025, 11, 24), "day", DEPT_CHAT, date(2025, 11, 24)),
        (date(2025, 11, 24), "missed", LEADERSHIP_CHAT, date(2025, 11, 25)),
        (date(2025, 11, 24), "missed", CHAIRMAN, date(2025, 11, 25)),
    ]
    assert not any("quá hạn khi văn bản được nạp" in s.text for s in got)
    assert not any("17/11/2025" in s.text for s in got)


def _date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _last_working_on_or_before(cal: WorkCalendar, day: date) -> date:
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    return day


async def test_migration_0006_tells_on_the_day_from_by_the_day(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from store.db import create_engine
    from store.migrate import alembic_config, upgrade

    engine = create_engine(db_url)
    await upgrade(engine, "0005")
    t0 = datetime(2025, 1, 1, tzinfo=VN_TZ)
    written = {
        1: ("monthly:20", "vào ngày 20 hằng tháng"),
        2: ("monthly:15", "trước ngày 15 hằng tháng"),
        3: ("monthly:5", "Ngày 05 hàng tháng"),
        4: ("monthly:10", "chậm nhất ngày 10 hằng tháng"),
        5: ("weekly:MON", "vào thứ Hai hằng tuần"),
        6: ("monthly:20", "hằng tháng vào ngày 20"),
        7: ("monthly:25", "hằng tháng (trước ngày 25"),
    }
    async with engine.begin() as c:
        await c.execute(
            text(
                "INSERT INTO wards (id, name, province, timezone, group_owners, reminder_policy,"
                " templates) VALUES (1, 'W', 'P', 'Asia/Ho_Chi_Minh', '[]', '{}', '[]')"
            )
        )
        await c.execute(
            text(
                "INSERT INTO directives (id, ward_id, kind, number, subject, issuer, signer,"
                " signer_title, source_name, created_at, created_by)"
                " VALUES (1, 1, '', '', '', '', '', '', '', :t, 'x')"
            ),
            {"t": t0},
        )
        for i, (recurrence, phrase) in written.items():
            await c.execute(
                text(
                    "INSERT INTO tasks (id, ward_id, directive_id, number, text, section,"
                    " recurrence, deadline_text, status, created_at)"
                    " VALUES (:i, 1, 1, :i, 't', '', :r, :p, 'open', :t)"
                ),
                {"i": i, "r": recurrence, "p": phrase, "t": t0},
            )

    async def recurrences() -> dict[int, str]:
        async with engine.connect() as c:
            rows = await c.execute(text("SELECT id, recurrence FROM tasks"))
            return {row[0]: row[1] for row in rows.all()}

    await upgrade(engine, "0006")
    assert await recurrences() == {
        1: "monthly:on-20",
        2: "monthly:15",
        3: "monthly:on-5",
        4: "monthly:10",
        5: "weekly:MON",
        6: "monthly:on-20",
        7: "monthly:25",
    }
    async with engine.begin() as c:
        await c.run_sync(lambda conn: command.downgrade(alembic_config(conn), "0005"))
    assert await recurrences() == {i: r for i, (r, _p) in written.items()}
    await engine.dispose()
