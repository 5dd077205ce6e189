"""The reminder tick against a real store: right chats, once per step, escalation, snooze,
closing stops reminders, and `chiso reminders plan` shows the same without writing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.app import App
from handlers.protocol import Inbound
from reminders.clock import VN_TZ, FixedClock
from reminders.scheduler import ReminderScheduler
from store.keys import ReminderKey, parse_task_key, snooze_key
from store.tasks import NewDirective, NewTask, NewUnit

DEPT_CHAT = "-1001000000002"  # TTPVHCC's group in examples/ward.toml
LEADERSHIP_CHAT = "-1001000000001"
CHAIRMAN = "700000001"
STAFF = "700000004"


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


async def load(app: App, *tasks: NewTask) -> None:
    ward = (await app.repo.wards())[0]
    directive = NewDirective(
        kind="chi_thi", number="15/CT-UBND", subject="Về việc thử", tasks=list(tasks)
    )
    await app.services.tasks.save_directive(ward.id, directive, "test", app.services.clock.now())


def ttpvhcc(text: str, deadline: date | None = None, recurrence: str | None = None) -> NewTask:
    return NewTask(
        text=text, units=[NewUnit("lead", "TTPVHCC", "")], deadline=deadline, recurrence=recurrence
    )


def scheduler(app: App) -> ReminderScheduler:
    s = app.services
    return ReminderScheduler(app.repo, s.tasks, s.outbox, s.clock, s.calendar)


def parts(key: str) -> ReminderKey:
    found = parse_task_key(key)
    assert found is not None, key
    return found


def step_of(key: str) -> str:
    return parts(key).step


async def rows(app: App) -> list[tuple[str, str, str, str]]:
    return await app.services.outbox.rows("task:")


async def test_the_ladder_reaches_the_department_chat_once_per_step(
    app: App, clock: FixedClock
) -> None:
    # loaded Thursday 20/11/2025 09:00; deadline Friday 05/12/2025
    await load(app, ttpvhcc("Số hóa hồ sơ tháng 11", deadline=date(2025, 12, 5)))
    sched = scheduler(app)
    sent: list[str] = []
    day = date(2025, 11, 20)
    while day <= date(2025, 12, 10):
        for hour, minute in ((7, 29), (7, 30), (7, 31), (12, 0)):
            clock.set(at(day, hour, minute))
            await sched.tick()
        day += timedelta(days=1)
    sent = [key for key, _channel, chat, _status in await rows(app) if chat == DEPT_CHAT]
    steps = [step_of(key) for key in sent]
    assert steps[:3] == ["before-7", "before-3", "before-1"]
    assert "day" in steps
    assert len(sent) == len(set(sent))  # each step once, however many ticks
    overdue = [s for s in steps if s.startswith("overdue-")]
    assert overdue and all(date.fromisoformat(s[8:]).weekday() < 5 for s in overdue)
    escalations = [key for key, _c, chat, _s in await rows(app) if step_of(key) == "escalate"]
    chats = {parts(key).chat_id for key in escalations}
    assert chats == {LEADERSHIP_CHAT, CHAIRMAN}


async def test_closing_stops_reminders_and_snooze_skips_a_day(app: App, clock: FixedClock) -> None:
    await load(
        app,
        ttpvhcc("Việc A", deadline=date(2025, 12, 5)),
        ttpvhcc("Việc B", deadline=date(2025, 12, 5)),
    )
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 26)))  # before-7 of both
    await sched.tick()
    ask = Inbound(
        channel="telegram",
        chat_id=STAFF,
        chat_kind="private",
        user_id=STAFF,
        text="/xong 1 đã xong, biên bản số 3",
    )
    assert "Việc #1 đã hoàn thành" in (await app.router.handle(ask))[0].text
    snooze = Inbound(
        channel="telegram",
        chat_id=STAFF,
        chat_kind="private",
        user_id=STAFF,
        event="button",
        button_data="hoan:2",
    )
    assert "27/11/2025" in (await app.router.handle(snooze))[0].text
    again = [key for key, _c, _chat, status in await rows(app) if ":snooze:" in key]
    assert again == [snooze_key(2, date(2025, 11, 27), "telegram", DEPT_CHAT)]
    stranger = Inbound(
        channel="telegram",
        chat_id="700000005",
        chat_kind="private",
        user_id="700000005",
        event="button",
        button_data="hoan:2",
    )
    assert "Chỉ cán bộ thuộc" in (await app.router.handle(stranger))[0].text
    clock.set(at(date(2025, 12, 2)))  # before-3
    await sched.tick()
    statuses = {
        (str(parts(key).task_id), step_of(key)): status
        for key, _c, _chat, status in await rows(app)
    }
    assert ("1", "before-3") not in statuses  # closed: nothing more
    assert statuses[("2", "before-3")] == "pending"


async def test_weekly_report_and_plan_preview(app: App, clock: FixedClock) -> None:
    await load(app, ttpvhcc("Báo cáo Chủ tịch kết quả Bộ chỉ số", recurrence="weekly:MON"))
    sched = scheduler(app)
    monday = at(date(2025, 11, 24))
    preview = [p for p in await sched.due(monday) if p.step == "day"]
    assert [(p.chat_id, p.slot) for p in preview] == [(DEPT_CHAT, monday)]
    assert "thứ Hai hằng tuần" in preview[0].text
    assert "@[Nguyễn Thị Lan](user:700000004)" in preview[0].text  # the department's member
    assert await rows(app) == []  # a preview writes nothing
    clock.set(monday)
    assert await sched.tick() >= 1
    assert await sched.tick() == 0
    clock.set(at(date(2025, 11, 25)))  # Monday passed without the report
    await sched.tick()
    missed = [(step_of(key), chat) for key, _c, chat, _s in await rows(app) if "missed" in key]
    assert ("missed", LEADERSHIP_CHAT) in missed and ("missed", CHAIRMAN) in missed


async def test_nothing_at_night_or_on_tet(app: App, clock: FixedClock) -> None:
    await load(app, ttpvhcc("Việc Tết", deadline=date(2026, 2, 18)))
    sched = scheduler(app)
    slots = set()
    day = date(2026, 2, 1)
    while day < date(2026, 3, 1):
        for p in await sched.due(at(day, 23, 59)):
            slots.add(p.slot)
        day += timedelta(days=1)
    assert slots
    for slot in slots:
        assert (slot.hour, slot.minute) == (7, 30)
        assert app.services.calendar.is_working_day(slot.date())
    # the deadline falls in Tết: its "day" reminder goes out on the last working day before
    assert at(date(2026, 2, 13)) in slots


async def test_reporting_a_weekly_duty_closes_only_this_week(app: App, clock: FixedClock) -> None:
    await load(app, ttpvhcc("Báo cáo Chủ tịch kết quả Bộ chỉ số", recurrence="weekly:MON"))
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 24), 10, 0))  # Monday, after the morning reminder
    await sched.tick()
    report = Inbound(
        channel="telegram",
        chat_id=STAFF,
        chat_kind="private",
        user_id=STAFF,
        text="/xong 1 đã gửi báo cáo tuần",
    )
    answer = (await app.router.handle(report))[0].text
    assert "24/11/2025" in answer and "thứ Hai hằng tuần" in answer
    task = await app.services.tasks.task(1, 1)
    assert task is not None and task.status == "open"  # the duty goes on
    clock.set(at(date(2025, 11, 25)))
    await sched.tick()
    assert not [key for key, *_rest in await rows(app) if "missed" in key]
    clock.set(at(date(2025, 12, 1)))  # next Monday: reminded again
    await sched.tick()
    assert any("2025-12-01:day" in key for key, *_rest in await rows(app))
