"""A real `chiso run` process against the fake Bot API, stopped in the middle of a batch of
reminders, or of a broadcast with reminders going out beside it, and started again: every
message arrives, once after SIGTERM; after SIGKILL the repeats are exactly the sends in flight
at the kill (delivered, not yet recorded as sent), at most 1 (notices and reminders) + 4
(broadcasts) = 5 per killed process (see the README)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.runner import BROADCAST_CONCURRENCY
from reminders.clock import VN_TZ, FixedClock
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import ROOT, setup_example_ward
from tests.fakes.telegram_api import FakeTelegram

DEPT_GROUP = -1001000000002
TASKS = 24
FIRST_CHAT = -4_000_000  # the broadcast's groups: FIRST_CHAT, FIRST_CHAT - 1, ...
LAST_CHAT = FIRST_CHAT - 999
BROADCAST_TEXT = "Hướng dẫn nộp hồ sơ trực tuyến"
NOTICE_LANES_IN_FLIGHT = 1  # the notice/reminder lane sends one message at a time
IN_FLIGHT = NOTICE_LANES_IN_FLIGHT + BROADCAST_CONCURRENCY  # the README's bound: 5
HANG = 60.0  # seconds: only guards against a hang; nothing here measures time
START = "2025-11-24T07:31:00+07:00"
RESTART = "2025-11-24T07:33:00+07:00"  # a restart two minutes later: the leases have run out
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def _prepare(db: Path, tasks: int = TASKS, broadcast_chats: int = 0) -> None:
    """A ward with `tasks` tasks of TTPVHCC due Monday 24/11/2025 (one reminder each at the
    start) and, with `broadcast_chats`, a broadcast to that many groups due at the start."""
    loaded = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=f"sqlite:///{db}"), clock=loaded, charts=False)
    try:
        await setup_example_ward(app)
        ward = (await app.repo.wards())[0]
        if tasks:
            await app.services.tasks.save_directive(
                ward.id,
                NewDirective(
                    kind="chi_thi",
                    number="9/CT-UBND",
                    tasks=[
                        NewTask(
                            text=f"Việc số {i} của Trung tâm",
                            deadline=date(2025, 11, 24),
                            units=[NewUnit("lead", "TTPVHCC", "")],
                        )
                        for i in range(1, tasks + 1)
                    ],
                ),
                "t",
                loaded.now(),
            )
        if broadcast_chats:
            for i in range(broadcast_chats):
                await app.repo.register_chat(
                    "telegram",
                    str(FIRST_CHAT - i),
                    ward.id,
                    "residents",
                    None,
                    f"TDP {i}",
                    loaded.now(),
                )
            targets = [
                c
                for c in await app.repo.ward_chats(ward.id, "residents")
                if LAST_CHAT <= int(c.chat_id) <= FIRST_CHAT
            ]
            at = datetime(2025, 11, 24, 7, 0, tzinfo=VN_TZ)
            await app.services.broadcasts.create(
                ward.id,
                sender="t",
                sender_channel="cli",
                sender_chat="",
                text=BROADCAST_TEXT,
                audience="t",
                chats=targets,
                send_at=at,
                at=at,
            )
    finally:
        await app.close()


def _env(db: Path, tg: FakeTelegram, start_at: str = START) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.url,
        "CHISO_START_AT": start_at,
        "CHISO_OUTBOX_LEASE": "2",
        "CHISO_GROUP_INTERVAL": "0.05",
        "LOG_LEVEL": "WARNING",
    }


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    process.send_signal(sig)
    _, err = await asyncio.wait_for(process.communicate(), timeout=HANG)
    if sig == signal.SIGTERM:
        assert process.returncode == 0, err.decode()


def _reminders(tg: FakeTelegram) -> list[str]:
    return [m.text or "" for m in tg.sent if m.method == "sendMessage" and m.chat_id == DEPT_GROUP]


def _broadcast(tg: FakeTelegram) -> list[int]:
    return [
        m.chat_id
        for m in tg.sent
        if m.method == "sendMessage"
        and m.chat_id is not None
        and LAST_CHAT <= m.chat_id <= FIRST_CHAT
    ]


@dataclass(frozen=True)
class Outbox:
    """The outbox rows to send (older reminder steps skipped after downtime are not), and of
    those, the ones recorded as sent, per kind."""

    reminders: int
    reminders_sent: int
    broadcast: int
    broadcast_sent: frozenset[int]  # chat ids

    @property
    def settled(self) -> bool:
        return self.reminders_sent == self.reminders and len(self.broadcast_sent) == self.broadcast


def _outbox(db: Path) -> Outbox:
    # read-only, beside the running process (its rows are committed one by one)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=HANG) as conn:
        rows = conn.execute("SELECT key, chat_id, status FROM outbox").fetchall()
    reminders = [s for k, _, s in rows if k.startswith("task:") and s != "skipped"]
    broadcast = [(int(c), s) for k, c, s in rows if k.startswith("broadcast:")]
    return Outbox(
        reminders=len(reminders),
        reminders_sent=reminders.count("sent"),
        broadcast=len(broadcast),
        broadcast_sent=frozenset(c for c, s in broadcast if s == "sent"),
    )


async def _until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + HANG
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"not within {HANG:.0f}s: {what}")
        await asyncio.sleep(0.05)


async def _run_until_settled(db: Path, tg: FakeTelegram) -> None:
    """A second process, run until every row is recorded as sent, then stopped gracefully:
    nothing can be sent after it exits, so the test counts what arrived without waiting."""
    second = await _start(_env(db, tg, start_at=RESTART))
    try:
        await _until(lambda: _outbox(db).settled, "the restarted process sends everything")
    finally:
        await _stop(second, signal.SIGTERM)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_restart_in_the_middle_of_a_batch(tmp_path: Path, sig: signal.Signals) -> None:
    db = tmp_path / "restart.sqlite3"
    await _prepare(db)
    tg = FakeTelegram()
    await tg.start()
    tg.delays["sendMessage"] = 0.05  # the batch is still going when the signal comes
    tg.answer_delays["sendMessage"] = 0.05  # and a send may be delivered but not answered
    try:
        first = await _start(_env(db, tg))
        await _until(lambda: len(_reminders(tg)) >= 5, "the first reminders arrive")
        await _stop(first, sig)
        after_stop = _outbox(db)
        delivered = len(_reminders(tg))  # by the first process
        assert after_stop.reminders == TASKS and delivered < TASKS, "slow the server down"
        in_flight = delivered - after_stop.reminders_sent  # delivered, not recorded
        assert 0 <= in_flight <= NOTICE_LANES_IN_FLIGHT
        if sig == signal.SIGTERM:
            assert in_flight == 0  # a graceful stop waits for the answer and records it

        await _run_until_settled(db, tg)
        texts = _reminders(tg)
        repeats = sum(n - 1 for n in Counter(texts).values())
        assert len(set(texts)) == TASKS  # every reminder arrived
        assert repeats == in_flight  # exactly the sends in flight at the stop came again
    finally:
        await tg.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_restart_in_the_middle_of_a_broadcast(tmp_path: Path, sig: signal.Signals) -> None:
    """Both lanes busy at the stop: 60 groups of a broadcast (4 sends in flight) and 10
    reminders (1 in flight), every send answered only 0.25 s after it reached its chat."""
    chats, tasks = 60, 10
    db = tmp_path / "broadcast.sqlite3"
    await _prepare(db, tasks=tasks, broadcast_chats=chats)
    tg = FakeTelegram()
    await tg.start()
    tg.answer_delays["sendMessage"] = 0.25
    try:
        first = await _start(_env(db, tg))
        await _until(
            lambda: len(_broadcast(tg)) >= 20 and len(_reminders(tg)) >= 2,
            "the broadcast and the reminders are under way",
        )
        await _stop(first, sig)
        after_stop = _outbox(db)
        delivered = set(_broadcast(tg))  # by the first process (each chat once)
        assert len(delivered) == len(_broadcast(tg)) < chats, "slow the server down"
        assert after_stop.broadcast_sent <= delivered  # a row is recorded after its send
        broadcast_in_flight = len(delivered - after_stop.broadcast_sent)
        reminders_in_flight = len(_reminders(tg)) - after_stop.reminders_sent
        assert 0 <= broadcast_in_flight <= BROADCAST_CONCURRENCY
        assert 0 <= reminders_in_flight <= NOTICE_LANES_IN_FLIGHT
        if sig == signal.SIGTERM:
            assert broadcast_in_flight == reminders_in_flight == 0

        await _run_until_settled(db, tg)
        received = Counter(_broadcast(tg))
        assert set(received) == {FIRST_CHAT - i for i in range(chats)}  # every chat, at least once
        assert all(m.text == BROADCAST_TEXT for m in tg.sent if m.chat_id in received)
        reminders = Counter(_reminders(tg))
        assert len(reminders) == tasks
        broadcast_repeats = sum(n - 1 for n in received.values())
        reminder_repeats = sum(n - 1 for n in reminders.values())
        # the repeats are exactly the sends in flight at the stop, within the README's bound
        assert (broadcast_repeats, reminder_repeats) == (broadcast_in_flight, reminders_in_flight)
        assert broadcast_repeats + reminder_repeats <= IN_FLIGHT
        if sig == signal.SIGTERM:
            assert broadcast_repeats + reminder_repeats == 0
        assert _outbox(db).settled
    finally:
        await tg.stop()
