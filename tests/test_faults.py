"""Network faults between the bot and the Bot API never lose a proactive message, and the
repeats stay within the README's bound.

The bot talks to the fake Bot API through `tests.fakes.fault_proxy.FaultProxy`, which injects
5xx bursts, nginx's HTML 502, dropped connections, answers lost after the send was accepted,
and slow answers. Reminders, a long directive notice, a broadcast to many groups and a long
interactive reply go through it: every chat gets every message; a message arrives twice only
where an answer was lost, at most once more per lost answer, and those sends are counted and
shown (`chiso broadcast status`, /tinhtrang). Time is a clock that runs at the real pace and
is moved on (retries come due); nothing here measures or sleeps out a duration.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.telegram import TEXT_LIMIT, TelegramChannel, outcome_unknown
from bot.config import ConfigError, Settings, load_settings
from bot.runner import running
from handlers.broadcast import report
from locales import translator
from reminders.clock import VN_TZ, OffsetClock
from store import models as m
from store.keys import directive_notice_key
from store.outbox import OutboxItem
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import ROOT, setup_example_ward
from tests.fakes.fault_proxy import Fault, FaultProxy
from tests.fakes.telegram_api import FakeTelegram

DEPT_GROUP = -1001000000002  # TTPVHCC's group in examples/ward.toml
ADMIN = 700000003
STAFF = 700000004  # of TTPVHCC
HANG = 60.0  # seconds: only guards against a hang
MAYBE_TWICE_VI = "có thể đã đến hai lần"


class MovableClock(OffsetClock):
    """Runs at the real pace from a chosen instant and can be moved on (retries come due)."""

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


@dataclass
class Rig:
    tg: FakeTelegram
    proxy: FaultProxy
    app: App
    channel: TelegramChannel
    clock: MovableClock
    db: Path


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = MovableClock(datetime(2025, 11, 24, 7, 31, tzinfo=VN_TZ))  # Monday, office hours
    db = tmp_path / "f.sqlite3"
    settings = Settings(database_url=f"sqlite:///{db}", cache_ttl=0, group_interval=0.01)
    app = await App.open(settings, clock=clock, charts=False)
    await setup_example_ward(app)
    tg = FakeTelegram()
    await tg.start()
    proxy = FaultProxy(tg.url)
    await proxy.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=proxy.url)
    try:
        yield Rig(tg, proxy, app, channel, clock, db)
    finally:
        await proxy.stop()
        await tg.stop()
        await app.close()


@asynccontextmanager
async def live(rig: Rig, reminders: bool = False) -> AsyncIterator[None]:
    async with running(rig.app, rig.channel, poll_timeout=1, reminders=reminders):
        yield


async def settle(rig: Rig, done: Callable[[], Awaitable[bool]]) -> None:
    """Moves the clock on in steps (so that retries and leases come due) until `done`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG
    while not await done():
        assert loop.time() < deadline, "the outbox did not settle"
        rig.clock.advance(timedelta(seconds=5))
        if rig.app.services.on_outbox is not None:
            rig.app.services.on_outbox()
        await asyncio.sleep(0.05)


async def until(condition: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG
    while not condition():
        assert loop.time() < deadline, "the condition did not come true"
        await asyncio.sleep(0.02)


async def in_flight(rig: Rig, prefix: str = "") -> int:
    rows = await rig.app.services.outbox.rows(prefix)
    return sum(1 for r in rows if r[3] in ("pending", "sending"))


async def unsure_sends(rig: Rig, prefix: str = "") -> int:
    async with rig.app.repo.sessions() as s:
        total = await s.scalar(
            select(func.coalesce(func.sum(m.Outbox.unsure_sends), 0)).where(
                m.Outbox.key.startswith(prefix)
            )
        )
    return int(total or 0)


def texts_to(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [x.text or "" for x in tg.sent if x.method == "sendMessage" and x.chat_id == chat_id]


def assert_repeats_within_bound(rig: Rig) -> None:
    """A message reached a chat twice only where an answer was lost, once per lost answer."""
    lost = rig.proxy.count(Fault.ANSWER_LOST, "sendMessage")
    assert rig.tg.duplicates() == lost


async def save_tasks(app: App, count: int, deadline: date) -> None:
    ward = (await app.repo.wards())[0]
    await app.services.tasks.save_directive(
        ward.id,
        NewDirective(
            kind="chi_thi",
            number="12/CT-UBND",
            tasks=[
                NewTask(
                    text=f"Việc số {i} của Trung tâm",
                    deadline=deadline,
                    units=[NewUnit("lead", "TTPVHCC", "")],
                )
                for i in range(1, count + 1)
            ],
        ),
        "t",
        app.services.clock.now() - timedelta(days=4),  # loaded last week: its steps are due
    )


async def test_reminders_arrive_through_5xx_html_502_drops_and_lost_answers(rig: Rig) -> None:
    tasks = 12
    await save_tasks(rig.app, tasks, date(2025, 11, 24))
    rig.proxy.inject("sendMessage", Fault.SERVER_ERROR, times=3)  # a burst of 5xx
    rig.proxy.every(3, Fault.HTML_502, method="sendMessage", times=2)
    rig.proxy.every(4, Fault.ANSWER_LOST, method="sendMessage", times=2)
    rig.proxy.every(5, Fault.DROP, method="sendMessage", times=1)
    rig.proxy.every(2, Fault.SLOW, method="sendMessage", times=3)
    async with live(rig, reminders=True):

        async def all_sent() -> bool:
            got = texts_to(rig.tg, DEPT_GROUP)
            return all(any(f"Việc số {i} " in t for t in got) for i in range(1, tasks + 1)) and (
                await in_flight(rig, "task:") == 0
            )

        await settle(rig, all_sent)
    got = texts_to(rig.tg, DEPT_GROUP)
    for i in range(1, tasks + 1):  # each reminder arrived, at most twice
        assert 1 <= sum(f"Việc số {i} " in t for t in got) <= 2
    assert rig.proxy.count(Fault.ANSWER_LOST) == 2 and rig.proxy.count(Fault.DROP) == 1
    assert_repeats_within_bound(rig)
    # every send whose answer was lost or whose connection dropped was counted
    assert await unsure_sends(rig, "task:") == 3
    statuses = {r[3] for r in await rig.app.services.outbox.rows("task:")}
    assert statuses <= {"sent", "skipped"}  # (older steps of the same day are skipped)


async def test_a_long_notice_sends_each_part_once_and_resumes_after_a_fault(rig: Rig) -> None:
    line = "Triển khai nội dung chỉ thị tới từng tổ dân phố. "
    body = "\n".join(f"{i}. {line * 3}" for i in range(1, 120))
    assert len(body) > 2 * TEXT_LIMIT  # three messages at least
    key = directive_notice_key(12, "telegram", str(DEPT_GROUP), 1)
    ward = (await rig.app.repo.wards())[0]
    # the first part goes; the second gets a 5xx burst, then its answer is lost; then an HTML
    # 502 on the third
    rig.proxy.every(2, Fault.SERVER_ERROR, method="sendMessage", times=1)
    rig.proxy.every(3, Fault.SERVER_ERROR, method="sendMessage", times=1)
    rig.proxy.every(4, Fault.ANSWER_LOST, method="sendMessage", times=1)
    rig.proxy.every(5, Fault.HTML_502, method="sendMessage", times=1)
    async with live(rig):
        await rig.app.services.outbox.enqueue(
            [
                OutboxItem(
                    key=key,
                    channel="telegram",
                    chat_id=str(DEPT_GROUP),
                    payload={"text": body, "buttons": []},
                    ward_id=ward.id,
                )
            ],
            rig.clock.now(),
        )

        async def sent() -> bool:
            return (await rig.app.services.outbox.rows(key))[0][3] == "sent"

        await settle(rig, sent)
    parts = texts_to(rig.tg, DEPT_GROUP)
    distinct = list(dict.fromkeys(parts))
    assert len(distinct) >= 3
    # the parts arrive in order and together make the whole notice
    assert "".join(distinct).replace("\n", "") == body.replace("\n", "")
    assert rig.proxy.count(Fault.ANSWER_LOST) == 1
    assert len(parts) == len(distinct) + 1  # only the part whose answer was lost came twice
    assert_repeats_within_bound(rig)
    assert await unsure_sends(rig, key) == 1


async def _broadcast(rig: Rig, groups: int, text: str) -> int:
    ward = (await rig.app.repo.wards())[0]
    now = rig.clock.now()
    for i in range(groups):
        await rig.app.repo.register_chat(
            "telegram", str(-5_000_000 - i), ward.id, "residents", None, f"TDP {i}", now
        )
    chats = [
        c
        for c in await rig.app.repo.ward_chats(ward.id, "residents")
        if c.chat_id.startswith("-5000")
    ]
    broadcast_id = await rig.app.services.broadcasts.create(
        ward.id,
        sender="Đội số",
        sender_channel="telegram",
        sender_chat=str(ADMIN),
        text=text,
        audience="kind:residents",
        chats=chats,
        send_at=now,
        at=now,
    )
    assert rig.app.services.on_outbox is not None
    rig.app.services.on_outbox()
    return broadcast_id


async def test_a_broadcast_reaches_every_group_and_says_what_may_be_twice(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = 30
    text = "Hướng dẫn nộp hồ sơ trực tuyến qua Cổng dịch vụ công"
    rig.proxy.inject("sendMessage", Fault.HTML_502, times=2)
    rig.proxy.every(7, Fault.ANSWER_LOST, method="sendMessage", times=3)
    rig.proxy.every(5, Fault.SERVER_ERROR, method="sendMessage", times=3)
    rig.proxy.every(9, Fault.DROP, method="sendMessage", times=1)
    rig.proxy.every(3, Fault.SLOW, method="sendMessage", times=4)
    async with live(rig):
        broadcast_id = await _broadcast(rig, groups, text)

        async def done() -> bool:
            b = await rig.app.services.broadcasts.get(None, broadcast_id)
            return b is not None and b.count("sent") == groups

        await settle(rig, done)
    got = {x.chat_id for x in rig.tg.sent if x.method == "sendMessage" and x.text == text}
    assert got == {-5_000_000 - i for i in range(groups)}  # every group got it
    assert rig.proxy.count(Fault.ANSWER_LOST) == 3
    assert_repeats_within_bound(rig)
    b = await rig.app.services.broadcasts.get(None, broadcast_id)
    assert b is not None and b.unsure == 4  # 3 lost answers + 1 dropped connection
    assert "4 tin có thể đã đến hai lần" in report(b, translator("vi"))  # /tinhtrang
    from bot.cli import cmd_broadcast

    status = argparse.Namespace(what="status", id=broadcast_id, ward=None)
    settings = Settings(database_url=f"sqlite:///{rig.db}", cache_ttl=0)
    assert await cmd_broadcast(settings, status) == 0
    assert f"4 tin {MAYBE_TWICE_VI}" in capsys.readouterr().out  # chiso broadcast status


async def test_a_long_interactive_reply_arrives_whole_through_slow_answers(rig: Rig) -> None:
    from bot.render import split_text
    from handlers.protocol import Inbound

    async with live(rig):
        await save_tasks(rig.app, 150, date(2025, 12, 15))
        asked = Inbound(
            channel="telegram",
            chat_id=str(STAFF),
            chat_kind="private",
            user_id=str(STAFF),
            text="/viec",
            addressed=True,
        )
        replies = await rig.app.router.handle(asked)  # what the whole reply is
        parts = [p for r in replies for p in split_text(r.text, TEXT_LIMIT)]
        listed = [i for i in range(1, 151) if any(f"Việc số {i} " in r.text for r in replies)]
        assert len(parts) >= 2 and listed  # a long reply: several messages
        rig.proxy.every(1, Fault.SLOW, method="sendMessage", times=len(parts))
        since = rig.tg.cursor
        rig.tg.push_message(chat_id=STAFF, user_id=STAFF, text="/viec")

        def got() -> list[str]:
            return [x.text or "" for x in rig.tg.sent[since:] if x.chat_id == STAFF]

        await until(lambda: len(got()) >= len(parts))
    assert rig.proxy.count(Fault.SLOW) == len(parts)
    assert len(got()) == len(parts) and rig.tg.duplicates() == 0
    assert all(any(f"Việc số {i} " in t for t in got()) for i in listed)  # every task shown


async def test_a_broadcast_row_that_runs_out_of_retries_is_in_the_report(rig: Rig) -> None:
    rig.proxy.every(1, Fault.SERVER_ERROR, method="sendMessage")  # an outage, for good
    text = "Thông báo lịch tiếp dân"
    async with live(rig):
        broadcast_id = await _broadcast(rig, 1, text)
        await until(lambda: rig.proxy.count(Fault.SERVER_ERROR) > 0)  # the first attempt: the
        rig.clock.advance(timedelta(hours=25))  # opens; a day later the row is given up

        async def failed() -> bool:
            b = await rig.app.services.broadcasts.get(None, broadcast_id)
            return b is not None and b.count("failed") == 1

        await settle(rig, failed)
    b = await rig.app.services.broadcasts.get(None, broadcast_id)
    assert b is not None and b.failures[0][2] == "gave_up"
    assert "TDP 0: đã thử lại nhiều lần nhưng không gửi được" in report(b, translator("vi"))


async def test_an_undeliverable_reminder_is_told_to_the_admins_once(rig: Rig) -> None:
    ward = (await rig.app.repo.wards())[0]
    rig.proxy.every(1, Fault.SERVER_ERROR, method="sendMessage")
    key = "task:99:2025-11-24:due:telegram:" + str(DEPT_GROUP)
    async with live(rig):
        await rig.app.services.outbox.enqueue(
            [
                OutboxItem(
                    key=key,
                    channel="telegram",
                    chat_id=str(DEPT_GROUP),
                    payload={"text": "Việc #99 đến hạn hôm nay", "buttons": []},
                    ward_id=ward.id,
                    lane="reminder",
                )
            ],
            rig.clock.now(),
        )
        assert rig.app.services.on_outbox is not None
        rig.app.services.on_outbox()
        await until(lambda: rig.proxy.count(Fault.SERVER_ERROR) > 0)
        rig.clock.advance(timedelta(hours=25))

        async def failed() -> bool:
            return (await rig.app.services.outbox.rows(key))[0][3] == "failed"

        await settle(rig, failed)
        rig.proxy.clear()  # the outage ends: the admins' alert goes out
        await settle(rig, lambda: _no_alert_in_flight(rig))
    alerts = [x.text or "" for x in rig.tg.sent if x.chat_id == ADMIN]
    assert len(alerts) == 1  # once
    assert "Không gửi được tin tới" in alerts[0] and "Việc #99 đến hạn hôm nay" in alerts[0]


async def _no_alert_in_flight(rig: Rig) -> bool:
    rows = await rig.app.services.outbox.rows("gave-up:")
    return bool(rows) and all(r[3] == "sent" for r in rows)


def test_outcome_unknown_tells_a_lost_answer_from_a_request_never_sent() -> None:
    import httpx
    from telegram.error import NetworkError, TimedOut

    def raised(exc: Exception, cause: Exception) -> Exception:
        exc.__cause__ = cause
        return exc

    req = httpx.Request("POST", "http://x")
    assert not outcome_unknown(raised(NetworkError("x"), httpx.ConnectError("refused")))
    assert not outcome_unknown(raised(TimedOut(), httpx.ConnectTimeout("dns", request=req)))
    assert not outcome_unknown(NetworkError("Bad Gateway"))  # a 5xx answer
    assert outcome_unknown(raised(TimedOut(), httpx.ReadTimeout("slow", request=req)))
    assert outcome_unknown(raised(NetworkError("x"), httpx.RemoteProtocolError("dropped")))
    assert outcome_unknown(raised(NetworkError("x"), httpx.ReadError("reset")))


def test_a_webhook_secret_telegram_refuses_is_named_at_load_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET has characters"):
        load_settings({"TELEGRAM_WEBHOOK_SECRET": "mật khẩu bí mật!"})
    with pytest.raises(ConfigError, match="1 to 256"):
        load_settings({"TELEGRAM_WEBHOOK_SECRET": "a" * 257})
    assert load_settings({"TELEGRAM_WEBHOOK_SECRET": "Ab_9-xyz"}).telegram_webhook_secret
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "secret with spaces")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_SECRET" in err and "cannot reach" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_run_waits_for_an_unreachable_bot_api_and_logs_each_try(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    tg = FakeTelegram()
    await tg.start()
    port = _free_port()  # nothing listens there yet: the Bot API is unreachable
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    proxy = FaultProxy(tg.url, port=port)
    try:
        assert process.stderr is not None
        tries: list[str] = []
        while len(tries) < 2:  # it keeps trying, and says so each time
            line = (await asyncio.wait_for(process.stderr.readline(), HANG)).decode()
            assert line, "chiso run exited instead of waiting for the Bot API"
            if "cannot be reached (try" in line:
                tries.append(line)
        assert "try 1" in tries[0] and "try 2" in tries[1]
        await proxy.start()  # the network is back
        await tg.wait_for_call("setMyCommands", timeout=HANG)
        await tg.wait_for_call("getUpdates", timeout=HANG)  # polling: the bot runs
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), HANG)
        await proxy.stop()
        await tg.stop()
    assert process.returncode == 0
