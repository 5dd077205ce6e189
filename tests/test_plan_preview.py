"""`chiso reminders plan --at`: as if it were that moment (tasks loaded later count, the window
is since the previous tick slot); and after downtime a stale step never goes after a newer one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.config import Settings
from bot.delivery import Delivery
from handlers.protocol import Reply
from reminders.clock import VN_TZ, FixedClock
from store.keys import reminder_key
from store.tasks import NewDirective
from tests.conftest import EXAMPLE_WARD
from tests.test_reminders_flow import DEPT_CHAT, at, load, rows, scheduler, ttpvhcc


def steps(planned: list) -> set[tuple[int, str]]:  # type: ignore[type-arg]
    return {(p.task_number, p.step) for p in planned if p.chat_id == DEPT_CHAT}


async def test_a_season_preview_counts_tasks_loaded_later(app: App, clock: FixedClock) -> None:
    clock.set(at(date(2025, 12, 3), 15, 0))  # loaded on 03/12, after the instants below
    await load(
        app,
        ttpvhcc("Việc A", deadline=date(2025, 12, 5)),  # before-7 Wed 26/11, before-1 Thu 04/12
        ttpvhcc("Việc B", deadline=date(2025, 12, 4)),  # before-3 Mon 01/12
        ttpvhcc("Việc C", deadline=date(2025, 12, 1)),  # before-1 Fri 28/11, day Mon 01/12
    )
    sched = scheduler(app)
    wednesday = await sched.due(at(date(2025, 11, 26)), preview=True)
    assert steps(wednesday) == {(1, "before-7"), (3, "before-3")}
    assert {p.slot for p in wednesday} == {at(date(2025, 11, 26))}
    # Monday 07:30 lists Monday's steps, not Friday's (the previous tick slot was Friday's)
    assert steps(await sched.due(at(date(2025, 12, 1)), preview=True)) == {
        (2, "before-3"),
        (3, "day"),
    }
    # Monday at noon, Saturday: the tick at that moment sends nothing
    assert await sched.due(at(date(2025, 12, 1), 12, 0), preview=True) == []
    assert await sched.due(at(date(2025, 11, 29)), preview=True) == []
    assert await rows(app) == []  # a preview writes nothing


def test_cli_plan_json_says_when_each_goes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CHISO_START_AT", "2025-12-03T15:00:00+07:00")
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
    assert main(["reminders", "plan", "--at", "2025-11-26T07:30", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned == [
        {
            "key": reminder_key(1, date(2025, 12, 5), "before-7", "telegram", DEPT_CHAT),
            "channel": "telegram",
            "chat_id": DEPT_CHAT,
            "task": 1,
            "step": "before-7",
            "text": planned[0]["text"],
            "send_at": "2025-11-26T07:30:00+07:00",
        }
    ]
    assert "việc #1 có hạn" in planned[0]["text"] and "05/12/2025" in planned[0]["text"]
    assert main(["reminders", "plan", "--at", "2025-11-26T07:30"]) == 0
    out = capsys.readouterr().out
    assert f"2025-11-26T07:30+07:00  telegram:{DEPT_CHAT}  #1  before-7" in out
    assert main(["reminders", "plan", "--at", "2025-11-29T07:30", "--json"]) == 0  # Saturday
    assert json.loads(capsys.readouterr().out) == []


async def test_after_downtime_a_stale_step_is_skipped(app: App, clock: FixedClock) -> None:
    await load(app, ttpvhcc("Việc A", deadline=date(2025, 12, 5)))
    clock.set(at(date(2025, 11, 26)))  # before-7 is written; the delivery is down
    await scheduler(app).tick()
    older = reminder_key(1, date(2025, 12, 5), "before-7", "telegram", DEPT_CHAT)
    newer = reminder_key(1, date(2025, 12, 5), "before-3", "telegram", DEPT_CHAT)
    clock.set(at(date(2025, 12, 2)))  # days later the bot is back: before-3 is due
    await scheduler(app).tick()
    statuses = {key: status for key, _c, _chat, status in await rows(app)}
    assert statuses == {older: "skipped", newer: "pending"}

    sent: list[str] = []

    async def telegram(chat_id: str, reply: Reply) -> None:
        sent.append(reply.text)

    s = app.services
    delivery = Delivery(s.outbox, app.repo, s.clock, {"telegram": telegram})
    await delivery.run_once()
    assert len(sent) == 1 and "còn 3 ngày" in sent[0]


async def test_a_snoozed_repeat_set_for_later_is_not_stale(app: App, clock: FixedClock) -> None:
    from handlers.protocol import Inbound

    await load(app, ttpvhcc("Việc A", deadline=date(2025, 12, 5)))
    clock.set(at(date(2025, 12, 2)))  # before-3
    await scheduler(app).tick()
    clock.set(datetime(2025, 12, 2, 9, 0, tzinfo=VN_TZ))
    snooze = Inbound(
        channel="telegram",
        chat_id="700000004",
        chat_kind="private",
        user_id="700000004",
        event="button",
        button_data="hoan:1",
    )
    await app.router.handle(snooze)  # repeat on 03/12 at 07:30
    clock.set(datetime(2025, 12, 2, 9, 1, tzinfo=VN_TZ))
    await scheduler(app).tick()
    snoozed = [status for key, *_rest, status in await rows(app) if ":snooze:" in key]
    assert snoozed == ["pending"]
