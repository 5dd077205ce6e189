"""The weekly briefing: what it says across a month with a fake clock (the right tasks in each
column, overdue days in working days, a missed recurring report, a broadcast and its chats,
scores with their changes), the Monday job (one row per leadership chat and the chairman,
once; a holiday Monday moves it to Tuesday; [briefing] settings), and the chat side
("báo cáo tuần", "báo cáo tuần trước", /baocao 17/11, the Word file)."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import App
from bot.config import Settings
from handlers.permissions import refusal_text
from handlers.protocol import Inbound, Reply
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from locales import translator
from reminders.briefing import BriefingJob, briefing_slot
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, FixedClock
from reminders.scheduler import ReminderScheduler
from reports.record import DepartmentTasks, TaskLine, WeeklyBriefing
from reports.text import render
from reports.weekly import build_weekly, week_of, window
from store import models as m
from store.keys import briefing_key
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import setup_example_ward

LEADERSHIP_CHAT = "-1001000000001"  # examples/ward.toml
CHAIRMAN = "700000001"
VICE_CHAIRMAN = "700000002"
ADMIN = "700000003"
STAFF = "700000004"  # TTPVHCC
DIGITAL_TEAM = "700000005"
RESIDENTS = ("-1002000000001", "-1002000000002", "-1002000000003")
HAS_DOCX = importlib.util.find_spec("reports.docx") is not None
_ = translator("vi")


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


def task(
    text: str, dept: str | None, deadline: date | None = None, rhythm: str | None = None
) -> NewTask:
    unit = NewUnit("lead", dept, "") if dept else NewUnit("lead", None, "Ban Chỉ huy quân sự")
    return NewTask(text=text, units=[unit], deadline=deadline, recurrence=rhythm)


def draft(
    kind: str, year: int, period: int | None, as_of: date, total: str, rank: int
) -> SnapshotDraft:
    groups = {
        "cong_khai": ("18", "18"),
        "tien_do": ("19.93", "20"),
        "dvc_truc_tuyen": ("8.07", "12"),
        "thanh_toan": ("8.79", "10"),
        "hai_long": ("18", "18"),
        "so_hoa": ("18.89", "22"),
    }
    return SnapshotDraft(
        period_kind=kind,  # type: ignore[arg-type]
        year=year,
        period=period,
        as_of=as_of,
        total=Decimal(total),
        rank=rank,
        rank_of=114,
        groups={c: GroupScore(c, Decimal(s), Decimal(mx)) for c, (s, mx) in groups.items()},
    )


async def ward_id(app: App) -> int:
    return (await app.repo.wards())[0].id


async def month_of_work(app: App, clock: FixedClock) -> None:
    """November 2025 in Phường Hòa Phong: a directive loaded on Monday 03/11, tasks closed,
    a weekly report made once and missed once, a broadcast, and the score figures."""
    wid = await ward_id(app)
    tasks = app.services.tasks
    clock.set(at(date(2025, 11, 3)))
    await tasks.save_directive(
        wid,
        NewDirective(
            kind="chi_thi",
            number="15/CT-UBND",
            subject="Về việc nâng cao Bộ chỉ số",
            tasks=[
                task("Số hóa hồ sơ tháng 10", "TTPVHCC", date(2025, 11, 7)),  # 1
                task("Rà soát thủ tục hành chính nội bộ", "TTPVHCC", date(2025, 11, 14)),  # 2
                task("Tuyên truyền dịch vụ công trực tuyến", "VHXH", date(2025, 11, 19)),  # 3
                task("Báo cáo Chủ tịch kết quả Bộ chỉ số", "VP", rhythm="weekly:MON"),  # 4
                task("Lắp đặt camera tại Bộ phận một cửa", "VHXH", date(2025, 12, 5)),  # 5
                task("Chỉnh trang khu vực chờ", "KTHTDT", date(2025, 11, 26)),  # 6
                task("Rà soát lực lượng dân quân", None, date(2025, 11, 28)),  # 7
                task("Cập nhật quy chế nội bộ", "VP"),  # 8: ongoing, no deadline
            ],
        ),
        "test",
        clock.now(),
    )
    await tasks.close(wid, 1, "Nguyễn Thị Lan", at(date(2025, 11, 5), 15), "biên bản", None, None)
    await tasks.close_occurrence(
        wid,
        4,
        date(2025, 11, 10),
        "Phạm Quốc Bảo",
        at(date(2025, 11, 10), 10),
        "đã gửi",
        None,
        None,
    )
    await tasks.close(wid, 3, "Võ Minh Tuấn", at(date(2025, 11, 18), 16), "đã đăng", None, None)
    # the digital team's broadcast of Wednesday 19/11 to three residents' groups: two got it
    for i, chat in enumerate(RESIDENTS):
        await app.repo.register_chat(
            "telegram", chat, wid, "residents", None, f"TDP {i + 1}", clock.now()
        )
    chats = [c for c in await app.repo.ward_chats(wid, "residents") if c.chat_id in RESIDENTS]
    sent_at = at(date(2025, 11, 19), 9)
    broadcast = await app.services.broadcasts.create(
        wid,
        sender="Võ Minh Tuấn",
        sender_channel="telegram",
        sender_chat=DIGITAL_TEAM,
        text="Hướng dẫn nộp hồ sơ trực tuyến\nBà con truy cập Cổng dịch vụ công quốc gia.",
        audience="kind:residents",
        chats=chats,
        send_at=sent_at,
        at=sent_at,
    )
    async with app.repo.sessions.begin() as s:
        prefix = f"broadcast:{broadcast}:"
        for chat, status in zip(RESIDENTS, ("sent", "sent", "failed"), strict=True):
            await s.execute(
                update(m.Outbox)
                .where(m.Outbox.key == f"{prefix}telegram:{chat}")
                .values(status=status, sent_at=sent_at + timedelta(minutes=1))
            )
    stored = at(date(2025, 11, 16), 10)
    for d in (
        draft("month", 2024, 11, date(2024, 11, 30), "88.50", 95),
        draft("month", 2025, 10, date(2025, 10, 31), "92.10", 85),
        draft("month", 2025, 11, date(2025, 11, 15), "94.72", 80),
        draft("year", 2025, None, date(2025, 11, 15), "93.10", 82),
    ):
        await app.repo.save_snapshot(wid, d, "test", stored)


def numbers(tasks: tuple[TaskLine, ...]) -> list[int]:
    return [t.number for t in tasks]


def dept(briefing: WeeklyBriefing, code: str) -> DepartmentTasks:
    found = [d for d in briefing.departments if d.code == code]
    assert len(found) == 1, [d.code for d in briefing.departments]
    return found[0]


async def briefing_at(app: App, week: date, now: datetime) -> WeeklyBriefing:
    ward = (await app.repo.wards())[0]
    return await build_weekly(app.repo, ward, week, now, app.services.calendar)


# --- content ----------------------------------------------------------------------------------


async def test_the_monday_briefings_of_a_month(app: App, clock: FixedClock) -> None:
    await month_of_work(app, clock)

    # Monday 17/11, 08:00: the week just past and this week
    first = await briefing_at(app, date(2025, 11, 17), at(date(2025, 11, 17)))
    assert (first.week_start, first.week_end) == (date(2025, 11, 17), date(2025, 11, 23))
    ttpvhcc, vp = dept(first, "TTPVHCC"), dept(first, "VP")
    assert numbers(ttpvhcc.overdue) == [2]  # due Friday 14/11
    assert ttpvhcc.overdue[0].overdue_days == 1  # Monday is the first working day late
    assert numbers(ttpvhcc.done) == []  # #1 was closed on 05/11, before these seven days
    assert numbers(vp.done) == [4]  # the weekly report of 10/11, made that morning
    assert numbers(vp.due_this_week) == [4]  # and this Monday's is due today
    assert numbers(vp.on_track) == [8]  # ongoing, no deadline
    vhxh = dept(first, "VHXH")
    assert numbers(vhxh.due_this_week) == [3] and numbers(vhxh.on_track) == [5]
    assert numbers(dept(first, "KTHTDT").on_track) == [6]
    assert first.missed_reports == ()
    assert first.broadcasts == ()  # the broadcast comes on Wednesday
    assert first.departments[0].code == "TTPVHCC"  # the one with overdue tasks first

    # Monday 24/11, 08:00
    second = await briefing_at(app, date(2025, 11, 24), at(date(2025, 11, 24)))
    ttpvhcc, vp, vhxh = dept(second, "TTPVHCC"), dept(second, "VP"), dept(second, "VHXH")
    assert numbers(ttpvhcc.overdue) == [2]
    assert ttpvhcc.overdue[0].overdue_days == 6  # 17/11 .. 24/11: six working days
    assert numbers(vhxh.done) == [3] and numbers(vhxh.on_track) == [5]
    assert numbers(vp.done) == [] and numbers(vp.due_this_week) == [4]
    assert vp.due_this_week[0].deadline == date(2025, 11, 24)
    assert numbers(dept(second, "KTHTDT").due_this_week) == [6]
    outside = dept(second, "")  # a unit the ward does not have keeps its name
    assert outside.name == "Ban Chỉ huy quân sự" and numbers(outside.due_this_week) == [7]
    [missed] = second.missed_reports
    assert (missed.number, missed.department, missed.occurrence) == (4, "VP", date(2025, 11, 17))
    [broadcast] = second.broadcasts
    assert (broadcast.sender, broadcast.chats, broadcast.failed) == ("Võ Minh Tuấn", 2, 1)
    assert broadcast.text == "Hướng dẫn nộp hồ sơ trực tuyến"

    score = second.score
    assert score is not None and (score.period_kind, score.year, score.period) == (
        "month",
        2025,
        11,
    )
    assert (score.total, score.rank, score.rank_of, score.band) == (
        Decimal("94.72"),
        80,
        114,
        "xuat_sac",
    )
    assert (score.previous_total, score.previous_rank, score.previous_period) == (
        Decimal("92.10"),
        85,
        10,
    )
    assert (score.last_year_total, score.last_year_rank) == (Decimal("88.50"), 95)
    assert second.year_score is not None and second.year_score.total == Decimal("93.10")
    groups = {g.code: g for g in second.groups}
    assert groups["dvc_truc_tuyen"].gap == Decimal("3.93")
    assert groups["dvc_truc_tuyen"].owner == "VHXH"
    assert groups["dvc_truc_tuyen"].owner_name == "Phòng Văn hóa - Xã hội"

    text = render(second)
    assert "Báo cáo tuần — Phường Hòa Phong" in text
    assert "Tuần từ 24/11/2025 đến 30/11/2025" in text
    assert "**94,72**/100 điểm, xếp loại Xuất sắc" in text
    assert "Xếp hạng trong tỉnh: **80/114**" in text
    assert (
        "So với số liệu trước (tháng 10/2025, đến 31/10/2025): tăng 2,62 điểm, tăng 5 bậc" in text
    )
    assert "So với cùng kỳ năm trước (tháng 11/2024): tăng 6,22 điểm, tăng 15 bậc" in text
    assert (
        "Dịch vụ công trực tuyến: 8,07/12 (thiếu 3,93) — phụ trách: Phòng Văn hóa - Xã hội" in text
    )
    assert (
        "🔴 #2 Rà soát thủ tục hành chính nội bộ: quá hạn 6 ngày làm việc (hạn 14/11/2025)" in text
    )
    assert "🟠 #6 Chỉnh trang khu vực chờ: hạn thứ Tư 26/11/2025" in text
    assert "⚠️ #4 Báo cáo Chủ tịch kết quả Bộ chỉ số (Văn phòng HĐND và UBND)" in text
    assert "chưa báo cáo kỳ hạn thứ Hai 17/11/2025" in text
    assert (
        "Võ Minh Tuấn: “Hướng dẫn nộp hồ sơ trực tuyến” — đã tới 2 nhóm (1 nhóm chưa gửi được)"
        in text
    )
    for line in text.splitlines():  # one status mark per line at most
        assert sum(line.count(mark) for mark in ("✅", "🟠", "🔴", "⚠️", "🟢")) <= 1, line


async def test_a_past_week_reads_as_it_stood_on_its_last_evening(
    app: App, clock: FixedClock
) -> None:
    await month_of_work(app, clock)
    # asked on Tuesday 25/11 for the week of 17/11: as of the end of Sunday 23/11
    past = await briefing_at(app, date(2025, 11, 17), at(date(2025, 11, 25), 10))
    assert past.as_of == datetime(2025, 11, 24, tzinfo=VN_TZ)
    assert past.since == datetime(2025, 11, 17, tzinfo=VN_TZ)
    assert numbers(dept(past, "VHXH").done) == [3]  # closed on 18/11
    assert dept(past, "TTPVHCC").overdue[0].overdue_days == 5  # 17/11 .. 21/11
    assert [r.occurrence for r in past.missed_reports] == [date(2025, 11, 17)]
    assert numbers(dept(past, "KTHTDT").on_track) == [6]  # due 26/11: after that week
    assert [b.chats for b in past.broadcasts] == [2]


async def test_only_the_wards_own_rows_count(app: App, clock: FixedClock) -> None:
    await month_of_work(app, clock)
    async with app.repo.sessions.begin() as s:
        other = m.Ward(name="Phường Khác", province="Tỉnh Khác", timezone="Asia/Ho_Chi_Minh")
        s.add(other)
        await s.flush()
        other_id = other.id
    await app.services.tasks.save_directive(
        other_id,
        NewDirective(number="1/KH", tasks=[task("Việc của phường khác", None, date(2025, 11, 20))]),
        "test",
        at(date(2025, 11, 10)),
    )
    briefing = await briefing_at(app, date(2025, 11, 24), at(date(2025, 11, 24)))
    texts = [t.text for d in briefing.departments for t in (*d.overdue, *d.due_this_week)]
    assert "Việc của phường khác" not in texts


async def test_the_communes_just_above_from_the_province_list(app: App, clock: FixedClock) -> None:
    await month_of_work(app, clock)
    wid = await ward_id(app)
    fetched = at(date(2025, 11, 16), 6, 30)
    async with app.repo.sessions.begin() as s:
        await s.execute(
            update(m.Ward)
            .where(m.Ward.id == wid)
            .values(
                portal={"province_id": "48", "unit_level": "2", "unit_name": "Phường Hòa Phong"}
            )
        )
        for i, (name, total) in enumerate(
            [
                ("Phường A", "96.10"),
                ("Phường B", "95.40"),
                ("Phường C", "95.01"),
                ("Phường Hòa Phong", "94.72"),
                ("Phường D", "90.00"),
            ],
            1,
        ):
            s.add(
                m.ProvinceRow(
                    province_id="48",
                    unit_level="2",
                    period_kind="month",
                    year=2025,
                    period=11,
                    unit_id=str(i),
                    name=name,
                    position=i,
                    rank=i,
                    total=Decimal(total),
                    groups={},
                    fetched_at=fetched,
                )
            )
    app.repo.invalidate()
    briefing = await briefing_at(app, date(2025, 11, 24), at(date(2025, 11, 24)))
    assert {n.name for n in briefing.neighbours_above} == {"Phường B", "Phường C"}
    assert "Đứng ngay trên trong tỉnh" in render(briefing)


async def test_an_empty_ward_says_what_is_missing(app: App, clock: FixedClock) -> None:
    briefing = await briefing_at(app, date(2025, 11, 17), at(date(2025, 11, 17)))
    assert briefing.score is None and set(briefing.notes) == {"no_scores", "no_tasks"}
    text = render(briefing)
    assert "Chưa có số liệu điểm nào của Phường Hòa Phong." in text
    assert "Chưa nạp văn bản chỉ đạo nào nên chưa có nhiệm vụ." in text
    assert "Trong 7 ngày qua Tổ chưa phát thông báo nào." in text


@pytest.fixture
async def any_app(db_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """The example ward on SQLite and on PostgreSQL (when reachable)."""
    application = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    await setup_example_ward(application)
    yield application
    await application.close()


async def test_the_briefing_on_both_backends(any_app: App, clock: FixedClock) -> None:
    await month_of_work(any_app, clock)
    briefing = await briefing_at(any_app, date(2025, 11, 24), at(date(2025, 11, 24)))
    assert dept(briefing, "TTPVHCC").overdue[0].overdue_days == 6
    assert numbers(dept(briefing, "VHXH").done) == [3]
    assert [(r.number, r.occurrence) for r in briefing.missed_reports] == [(4, date(2025, 11, 17))]
    assert [(b.chats, b.failed) for b in briefing.broadcasts] == [(2, 1)]
    assert briefing.score is not None and briefing.score.total == Decimal("94.72")
    sched = scheduler(any_app)
    clock.set(at(date(2025, 11, 24), 8, 0))
    await sched.tick()
    assert len(await briefing_rows(any_app)) == 2
    assert await scheduler(any_app).tick() == 0


def test_the_week_and_its_window() -> None:
    assert week_of(date(2025, 11, 23)) == date(2025, 11, 17)
    w = window(date(2025, 11, 19), at(date(2025, 11, 20), 9))
    assert (w.week_start, w.day, w.since) == (
        date(2025, 11, 17),
        date(2025, 11, 20),
        at(date(2025, 11, 13), 9),
    )


# --- the Monday job -----------------------------------------------------------------------------


def scheduler(app: App, channels: frozenset[str] | None = None) -> ReminderScheduler:
    s = app.services
    return ReminderScheduler(
        app.repo, s.tasks, s.outbox, s.clock, s.calendar, channels=channels, briefings=True
    )


async def briefing_rows(app: App) -> list[tuple[str, str, str, str]]:
    return await app.services.outbox.rows("briefing:")


async def test_the_monday_job_writes_one_row_per_target_once(app: App, clock: FixedClock) -> None:
    await month_of_work(app, clock)
    wid = await ward_id(app)
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 24), 7, 59))
    await sched.tick()
    assert await briefing_rows(app) == []
    clock.set(at(date(2025, 11, 24), 8, 0))
    assert await sched.tick() >= 2
    week = date(2025, 11, 24)
    rows = await briefing_rows(app)
    assert sorted(key for key, *_rest in rows) == sorted(
        [
            briefing_key(wid, week, "telegram", LEADERSHIP_CHAT),
            briefing_key(wid, week, "telegram", CHAIRMAN),
        ]
    )
    clock.set(at(date(2025, 11, 24), 8, 1))
    assert await sched.tick() == 0  # a second run writes nothing new
    clock.set(at(date(2025, 11, 24), 9, 0))
    assert await scheduler(app).tick() == 0  # nor does a restarted process
    assert await briefing_rows(app) == rows
    async with app.repo.sessions() as s:
        payload = await s.scalar(
            select(m.Outbox.payload).where(
                m.Outbox.key == briefing_key(wid, week, "telegram", CHAIRMAN)
            )
        )
    assert payload is not None
    assert "Báo cáo tuần — Phường Hòa Phong" in payload["text"]
    assert "quá hạn 6 ngày làm việc" in payload["text"]
    assert payload["buttons"] == [[["📄 Gửi file báo cáo tuần", "bcfile:2025-11-24"]]]
    # a leadership chat registered later that week gets the week's briefing (within an hour)
    await app.repo.register_chat(
        "telegram", "-1001000000009", wid, "leadership", None, "Thường trực", clock.now()
    )
    clock.set(at(date(2025, 11, 24), 9, 30))
    await sched.tick()
    assert len(await briefing_rows(app)) == 3
    # the next Monday: the next week's briefing
    clock.set(at(date(2025, 12, 1), 8, 5))
    await sched.tick()
    assert len(await briefing_rows(app)) == 6


async def test_a_missed_slot_is_made_up_once_within_sending_hours(
    app: App, clock: FixedClock
) -> None:
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 25), 10, 0))  # the process was down all Monday
    await sched.tick()
    assert len(await briefing_rows(app)) == 2
    fresh = scheduler(app)
    clock.set(at(date(2025, 12, 6), 9, 0))  # down from Monday 01/12 to Saturday: too late
    await fresh.tick()
    clock.set(at(date(2025, 12, 5), 21, 0))  # Friday evening: outside sending hours
    await scheduler(app).tick()
    assert len(await briefing_rows(app)) == 2


async def test_a_holiday_monday_moves_the_briefing_to_tuesday(app: App, clock: FixedClock) -> None:
    # Monday 07/04/2025 is the Hùng Kings' day
    assert not WorkCalendar().is_working_day(date(2025, 4, 7))
    sched = scheduler(app)
    clock.set(at(date(2025, 4, 7), 9, 0))
    await sched.tick()
    assert await briefing_rows(app) == []
    clock.set(at(date(2025, 4, 8), 8, 0))
    await sched.tick()
    wid = await ward_id(app)
    keys = {key for key, *_rest in await briefing_rows(app)}
    assert briefing_key(wid, date(2025, 4, 7), "telegram", LEADERSHIP_CHAT) in keys


async def test_the_briefing_settings(app: App, clock: FixedClock) -> None:
    calendar = WorkCalendar()
    week = date(2025, 11, 17)
    assert briefing_slot({}, week, calendar) == at(week)
    assert briefing_slot({"weekday": 3, "time": "09:30"}, week, calendar) == at(
        date(2025, 11, 19), 9, 30
    )
    assert briefing_slot({"enabled": False}, week, calendar) is None
    # National Day week 2025: Monday 01/09 and Tuesday 02/09 are days off
    assert briefing_slot({"weekday": 1}, date(2025, 9, 1), calendar) == at(date(2025, 9, 3))
    wid = await ward_id(app)
    async with app.repo.sessions.begin() as s:
        await s.execute(
            update(m.Ward).where(m.Ward.id == wid).values(briefing={"weekday": 3, "time": "09:30"})
        )
    app.repo.invalidate()
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 19), 9, 29))
    await sched.tick()
    assert await briefing_rows(app) == []
    clock.set(at(date(2025, 11, 19), 9, 30))
    await sched.tick()
    assert len(await briefing_rows(app)) == 2
    async with app.repo.sessions.begin() as s:
        await s.execute(update(m.Ward).where(m.Ward.id == wid).values(briefing={"enabled": False}))
    app.repo.invalidate()
    clock.set(at(date(2025, 11, 24), 10, 0))
    await scheduler(app).tick()
    assert len(await briefing_rows(app)) == 2


async def test_one_wards_broken_setting_does_not_stop_the_others(
    app: App, clock: FixedClock
) -> None:
    wid = await ward_id(app)
    async with app.repo.sessions.begin() as s:
        await s.execute(update(m.Ward).where(m.Ward.id == wid).values(briefing={"time": "25:00"}))
        other = m.Ward(name="Phường Khác", province="Tỉnh Khác", timezone="Asia/Ho_Chi_Minh")
        s.add(other)
        await s.flush()
        other_id = other.id
    await app.repo.register_chat(
        "telegram", "-1009000000001", other_id, "leadership", None, "Lãnh đạo", clock.now()
    )
    app.repo.invalidate()
    clock.set(at(date(2025, 11, 24), 8, 0))
    await scheduler(app).tick()
    keys = {key for key, *_rest in await briefing_rows(app)}
    assert keys == {briefing_key(other_id, date(2025, 11, 24), "telegram", "-1009000000001")}


async def test_the_job_sends_only_on_channels_this_process_runs(
    app: App, clock: FixedClock
) -> None:
    ward = (await app.repo.wards())[0]
    job = BriefingJob(
        app.repo, app.services.outbox, clock, app.services.calendar, channels={"zalo"}
    )
    assert await job.targets(ward) == []  # the example ward's chats and chairman are Telegram's


# --- in chat ------------------------------------------------------------------------------------


def ask(user: str, text: str = "", **kw: Any) -> Inbound:
    return Inbound(
        channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text, **kw
    )


async def answer(app: App, user: str, text: str = "", **kw: Any) -> Reply:
    replies = await app.router.handle(ask(user, text, **kw))
    assert len(replies) == 1
    return replies[0]


async def test_asking_for_the_briefing_in_chat(app: App, clock: FixedClock) -> None:
    await month_of_work(app, clock)
    clock.set(at(date(2025, 11, 25), 10))  # Tuesday
    reply = await answer(app, CHAIRMAN, "báo cáo tuần")
    assert "Tuần từ 24/11/2025 đến 30/11/2025" in reply.text
    assert "quá hạn 7 ngày làm việc" in reply.text  # #2, as of Tuesday
    assert [[(b.label, b.data) for b in row] for row in reply.buttons] == [
        [("📄 Gửi file báo cáo tuần", "bcfile:2025-11-24")]
    ]
    for text in ("báo cáo tuần trước", "bc tuan truoc", "/baocao tuần trước", "/baocao 19/11"):
        reply = await answer(app, VICE_CHAIRMAN, text)
        assert "Tuần từ 17/11/2025 đến 23/11/2025; tình hình đến hết Chủ nhật 23/11/2025" in (
            reply.text
        ), text
    reply = await answer(app, ADMIN, "báo cáo tuần 17/11")
    assert "Tuần từ 17/11/2025 đến 23/11/2025" in reply.text
    assert "Tuần từ 24/11/2025" in (await answer(app, ADMIN, "tóm tắt tuần")).text


async def test_a_bad_or_future_week_is_said_plainly(app: App, clock: FixedClock) -> None:
    clock.set(at(date(2025, 11, 25), 10))
    bad = await answer(app, CHAIRMAN, "/baocao 31/02")
    assert "“31/02” không phải là ngày hợp lệ" in bad.text
    future = await answer(app, CHAIRMAN, "/baocao 01/12/2025")
    assert "chưa bắt đầu" in future.text and "24/11/2025" in future.text
    assert await app.services.outbox.rows("") == []
    # without a year, a later day of the year is last year's ("tuần 29/12" asked in January)
    clock.set(at(date(2026, 1, 6), 10))
    reply = await answer(app, CHAIRMAN, "báo cáo tuần 29/12")
    assert "Tuần từ 29/12/2025 đến 04/01/2026" in reply.text


async def test_staff_are_told_who_may_see_it(app: App, clock: FixedClock) -> None:
    for text in ("báo cáo tuần", "/baocao", "gửi file báo cáo tuần"):
        reply = await answer(app, STAFF, text)
        assert reply.text == refusal_text("see_briefing", _), text
        assert reply.attachment is None
    pressed = await answer(app, DIGITAL_TEAM, event="button", button_data="bcfile:2025-11-17")
    assert pressed.text == refusal_text("see_briefing", _)
    assert refusal_text("see_briefing", _) == (
        "Chỉ quản trị viên, Chủ tịch và Phó Chủ tịch mới xem được báo cáo tuần."
    )


@pytest.mark.skipif(not HAS_DOCX, reason="reports/docx.py is not here yet")
async def test_the_file_button_and_the_file_request_send_a_word_file(
    app: App, clock: FixedClock
) -> None:
    from docx import Document

    await month_of_work(app, clock)
    clock.set(at(date(2025, 11, 25), 10))
    briefing = await answer(app, CHAIRMAN, "báo cáo tuần")
    data = briefing.buttons[0][0].data
    for reply in (
        await answer(app, CHAIRMAN, event="button", button_data=data),
        await answer(app, CHAIRMAN, "gửi file báo cáo tuần"),
        await answer(app, ADMIN, "/filebaocao"),
    ):
        assert reply.attachment is not None and reply.attachment.kind == "document"
        assert reply.attachment.name == "bao-cao-tuan-2025-11-24.docx"
        assert reply.attachment.data is not None and reply.attachment.data[:2] == b"PK"
        assert "Báo cáo tuần của Phường Hòa Phong, tuần từ 24/11/2025 đến 30/11/2025" in reply.text
        text = "\n".join(p.text for p in Document(_bytes(reply.attachment.data)).paragraphs)
        assert "94,72" in text or any(
            "94,72" in c.text
            for t in Document(_bytes(reply.attachment.data)).tables
            for r in t.rows
            for c in r.cells
        )
    last = await answer(app, CHAIRMAN, "gửi file báo cáo tuần trước")
    assert last.attachment is not None and last.attachment.name == "bao-cao-tuan-2025-11-17.docx"
    # the workbook on request, the figures as numbers
    from openpyxl import load_workbook

    for text in ("gửi file excel báo cáo tuần", "/filebaocao excel", "bao cao tuan file excel"):
        sheet = await answer(app, VICE_CHAIRMAN, text)
        assert sheet.attachment is not None and sheet.attachment.data is not None, text
        assert sheet.attachment.name == "bao-cao-tuan-2025-11-24.xlsx", text
        assert "(file Excel)" in sheet.text
        wb = load_workbook(_bytes(sheet.attachment.data))
        summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
        assert summary["Tổng điểm"] == pytest.approx(94.72)
    stale = await answer(app, CHAIRMAN, event="button", button_data="bcfile:2026-05-04")
    assert stale.attachment is None


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def test_every_briefing_message_is_translated() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1]
    with (root / "locales/vi/LC_MESSAGES/chiso.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {(m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.string}
    keywords = {"_": None, "N_": None, "plural": (1, 2)}
    missing = [
        message
        for _line, message, _comments, _context in extract_from_file(
            "python", root / "reports" / "text.py", keywords=keywords
        )
        if (message if isinstance(message, str) else tuple(message)) not in translated
    ]
    assert not missing


async def test_the_monday_briefing_arrives_with_its_chart_once(app: App, clock: FixedClock) -> None:
    """Through the real Telegram sender against the fake Bot API: each target gets the text
    with its file button, then the six-month chart; a chart whose send fails goes again alone
    (the text is not repeated)."""
    from bot.channels.telegram import TelegramChannel, send_proactive
    from bot.delivery import Delivery, Sent
    from tests.fakes.telegram_api import FakeTelegram

    await month_of_work(app, clock)
    clock.set(at(date(2025, 11, 24), 8, 0))
    await scheduler(app).tick()
    tg = FakeTelegram()
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    await channel.application.initialize()
    try:

        async def telegram(chat_id: str, reply: Reply) -> Sent | str | None:
            return await send_proactive(channel, chat_id, reply)

        delivery = Delivery(
            app.services.outbox,
            app.repo,
            clock,
            {"telegram": telegram},
            group_interval=0,
            lanes=["notice"],
            calendar=app.services.calendar,
            charts=app.services.charts,
        )
        tg.fail_next("sendPhoto", 500, "Internal Server Error")
        for minute in range(1, 30):  # the failed chart is tried again a little later
            await delivery.run_once()
            if all(s == "sent" for *_rest, s in await briefing_rows(app)):
                break
            clock.set(at(date(2025, 11, 24), 8, minute))
        assert {s for *_rest, s in await briefing_rows(app)} == {"sent"}
        for chat in (int(LEADERSHIP_CHAT), int(CHAIRMAN)):
            texts = [
                m
                for m in tg.sent
                if m.chat_id == chat
                and m.method == "sendMessage"
                and "Báo cáo tuần" in (m.text or "")
            ]
            photos = [m for m in tg.sent if m.chat_id == chat and m.method == "sendPhoto"]
            assert len(texts) == 1 and len(photos) == 1, [x.summary() for x in tg.sent]
            assert texts[0].callback_data == ["bcfile:2025-11-24"]
            assert tg.sent.index(texts[0]) < tg.sent.index(photos[0])
        assert tg.duplicates() == 0
    finally:
        await channel.application.shutdown()
        await tg.stop()
