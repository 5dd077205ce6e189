"""Changing a stored deadline: `/doihan N NGÀY [lý do]` and `chiso tasks reschedule N DATE`.

The change is recorded (who, when, why), the department chat is told, the reminders follow the
new date (the old one gets no overdue and no escalation), and every refusal changes nothing.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.cli import main
from handlers.protocol import Inbound
from reminders.clock import FixedClock
from store import models as m
from store.keys import deadline_change_key, parse_task_key, reminder_key
from tests.conftest import EXAMPLE_WARD
from tests.test_reminders_flow import DEPT_CHAT, at, load, rows, scheduler, ttpvhcc

ADMIN = "700000003"  # Phạm Quốc Bảo
CHAIRMAN = "700000001"  # Trần Văn Minh
STAFF = "700000004"  # Nguyễn Thị Lan, TTPVHCC


def say(user: str, text: str) -> Inbound:
    return Inbound(channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text)


async def ask(app: App, user: str, text: str) -> str:
    return (await app.router.handle(say(user, text)))[0].text


async def events(app: App) -> list[m.TaskEvent]:
    async with app.repo.sessions() as s:
        return list(await s.scalars(select(m.TaskEvent).where(m.TaskEvent.kind == "rescheduled")))


async def payload(app: App, key: str) -> dict[str, object]:
    async with app.repo.sessions() as s:
        row = await s.scalar(select(m.Outbox).where(m.Outbox.key == key))
        assert row is not None, key
        return dict(row.payload)


async def test_doihan_moves_the_deadline_tells_the_department_and_replans(
    app: App, clock: FixedClock
) -> None:
    await load(app, ttpvhcc("Số hóa hồ sơ tháng 11", deadline=date(2025, 12, 5)))
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 26)))  # before-7 of 05/12 is written; the delivery is down
    await sched.tick()
    old_step = reminder_key(1, date(2025, 12, 5), "before-7", "telegram", DEPT_CHAT)
    assert (old_step, "telegram", DEPT_CHAT, "pending") in await rows(app)

    clock.set(at(date(2025, 11, 26), 10, 0))
    answer = await ask(app, ADMIN, "/doihan 1 19/12/2025 chờ hướng dẫn của Sở")
    assert "19/12/2025" in answer and "05/12/2025" in answer
    assert "Đã báo 1 nhóm chat phòng ban" in answer

    task = await app.services.tasks.task(1, 1)
    assert task is not None and task.deadline == date(2025, 12, 19)
    [event] = await events(app)
    assert event.by == "Phạm Quốc Bảo" and event.at == clock.now()
    assert event.detail == {
        "old": "2025-12-05",
        "new": "2025-12-19",
        "why": "chờ hướng dẫn của Sở",
        "change": 1,
    }
    # the old deadline's queued reminder will not go out; the department chat is told
    statuses = {key: status for key, _c, _chat, status in await rows(app)}
    assert statuses[old_step] == "skipped"
    told = deadline_change_key(1, 1, "telegram", DEPT_CHAT)
    assert statuses[told] == "pending"
    text = str((await payload(app, told))["text"])
    assert "hạn được đổi từ 05/12/2025 sang 19/12/2025" in text
    assert "Phạm Quốc Bảo" in text and "Lý do: chờ hướng dẫn của Sở" in text

    # every morning until well after both dates: only the new deadline is reminded
    day = date(2025, 11, 27)
    while day <= date(2026, 1, 10):
        clock.set(at(day))
        await sched.tick()
        day += timedelta(days=1)
    keys = [parse_task_key(key) for key, *_rest in await rows(app)]
    reminders = [k for k in keys if k is not None and k.occurrence not in ("deadline", "snooze")]
    old = [k.step for k in reminders if k.occurrence == "2025-12-05"]
    assert old == ["before-7"]  # no overdue, no escalation for the old date
    new = [k.step for k in reminders if k.occurrence == "2025-12-19" and k.chat_id == DEPT_CHAT]
    assert new[:4] == ["before-7", "before-3", "before-1", "day"]
    assert any(s.startswith("overdue-") for s in new)
    escalations = {k.occurrence for k in reminders if k.step == "escalate"}
    assert escalations == {"2025-12-19"}


async def test_a_deadline_moved_earlier_is_caught_up_the_next_morning(
    app: App, clock: FixedClock
) -> None:
    await load(app, ttpvhcc("Việc A", deadline=date(2025, 12, 31)))
    clock.set(at(date(2025, 11, 26), 10, 0))
    assert "28/11/2025" in await ask(app, CHAIRMAN, "/doihan 1 28/11")  # dd/mm: this year
    sched = scheduler(app)
    clock.set(at(date(2025, 11, 27)))
    await sched.tick()
    steps = [
        (k.occurrence, k.step)
        for k in (parse_task_key(key) for key, _c, chat, _s in await rows(app) if chat == DEPT_CHAT)
        if k is not None and k.occurrence != "deadline"
    ]
    assert steps == [("2025-11-28", "catchup")]


@pytest.mark.parametrize(
    ("user", "text", "says"),
    [
        (STAFF, "/doihan 1 19/12/2025", "Chỉ quản trị viên và Chủ tịch"),
        (ADMIN, "/doihan 1", "Gõ /doihan SỐ NGÀY/THÁNG/NĂM"),
        (ADMIN, "/doihan 1 32/13/2025", "Tôi không hiểu ngày “32/13/2025”"),
        (ADMIN, "/doihan 1 mai", "Tôi không hiểu ngày “mai”"),
        (ADMIN, "/doihan 9 19/12/2025", "Không có việc #9."),
        (ADMIN, "/doihan 1 19/11/2025", "Ngày 19/11/2025 đã qua"),
        (ADMIN, "/doihan 1 05/12/2025", "Việc #1 đã có hạn 05/12/2025"),
        (ADMIN, "/doihan 2 19/12/2025", "Việc #2 là việc định kỳ (thứ Hai hằng tuần)"),
        (ADMIN, "/doihan 3 19/12/2025", "Việc #3 đã hoàn thành; không đổi hạn."),
    ],
)
async def test_refusals_say_why_and_change_nothing(
    app: App, clock: FixedClock, user: str, text: str, says: str
) -> None:
    await load(
        app,
        ttpvhcc("Việc có hạn", deadline=date(2025, 12, 5)),
        ttpvhcc("Báo cáo tuần", recurrence="weekly:MON"),
        ttpvhcc("Việc đã xong", deadline=date(2025, 12, 5)),
    )
    assert "hoàn thành" in await ask(app, STAFF, "/xong 3 biên bản số 1")
    answer = await ask(app, user, text)
    assert says in answer
    for number, deadline in ((1, date(2025, 12, 5)), (3, date(2025, 12, 5))):
        task = await app.services.tasks.task(1, number)
        assert task is not None and task.deadline == deadline
    assert await events(app) == []
    assert [key for key, *_rest in await rows(app) if ":deadline:" in key] == []


def test_cli_reschedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.config import Settings
    from store.tasks import NewDirective

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CHISO_START_AT", "2025-11-26T10:00:00+07:00")
    monkeypatch.setenv("USER", "thu_ky")
    assert main(["setup", str(EXAMPLE_WARD)]) == 0

    async def seed() -> None:
        application = await App.open(Settings(database_url=url))
        try:
            directive = NewDirective(
                kind="chi_thi",
                number="15/CT-UBND",
                tasks=[ttpvhcc("Việc A", deadline=date(2025, 12, 5))],
            )
            await application.services.tasks.save_directive(
                1, directive, "t", application.services.clock.now()
            )
        finally:
            await application.close()

    asyncio.run(seed())
    capsys.readouterr()
    assert main(["tasks", "reschedule", "1", "2025-12-19", "--reason", "chờ số liệu"]) == 0
    out = capsys.readouterr().out
    assert "19/12/2025" in out and "05/12/2025" in out and "Đã báo 1 nhóm" in out
    assert main(["tasks", "reschedule", "1", "99/99"]) == 2
    assert "Tôi không hiểu ngày “99/99”" in capsys.readouterr().err
    assert main(["tasks", "reschedule", "7", "20/12/2025"]) == 2
    assert "Không có việc #7." in capsys.readouterr().err

    async def check() -> tuple[list[m.TaskEvent], str]:
        application = await App.open(Settings(database_url=url))
        try:
            told = await payload(application, deadline_change_key(1, 1, "telegram", DEPT_CHAT))
            return await events(application), str(told["text"])
        finally:
            await application.close()

    recorded, text = asyncio.run(check())
    assert [(e.by, e.detail["why"]) for e in recorded] == [("thu_ky", "chờ số liệu")]
    assert "thu_ky" in text and "Lý do: chờ số liệu" in text
    assert os.environ["USER"] == "thu_ky"
