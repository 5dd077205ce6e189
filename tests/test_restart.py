"""A real `chiso run` process against the fake Bot API, stopped in the middle of a batch of
reminders and started again: every reminder arrives, once (SIGTERM) or with repeats bounded
by the sends in flight at the kill (SIGKILL; see the README)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from reminders.clock import VN_TZ, FixedClock
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import ROOT, setup_example_ward
from tests.fakes.telegram_api import FakeTelegram

DEPT_GROUP = -1001000000002
TASKS = 24
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def _prepare(db: Path) -> int:
    """A ward with TASKS tasks of TTPVHCC due Monday 24/11/2025; returns the outbox size."""
    loaded = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=f"sqlite:///{db}"), clock=loaded, charts=False)
    try:
        await setup_example_ward(app)
        tasks = [
            NewTask(
                text=f"Việc số {i} của Trung tâm",
                deadline=date(2025, 11, 24),
                units=[NewUnit("lead", "TTPVHCC", "")],
            )
            for i in range(1, TASKS + 1)
        ]
        ward = (await app.repo.wards())[0]
        await app.services.tasks.save_directive(
            ward.id,
            NewDirective(kind="chi_thi", number="9/CT-UBND", tasks=tasks),
            "t",
            loaded.now(),
        )
    finally:
        await app.close()
    return TASKS


def _env(db: Path, tg: FakeTelegram) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.url,
        "CHISO_START_AT": "2025-11-24T07:31:00+07:00",
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


def _reminders(tg: FakeTelegram) -> list[str]:
    return [m.text or "" for m in tg.sent if m.method == "sendMessage" and m.chat_id == DEPT_GROUP]


async def _wait_count(tg: FakeTelegram, count: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while len(_reminders(tg)) < count:
        if loop.time() > end:
            raise AssertionError(f"only {len(_reminders(tg))} of {count} reminders arrived")
        await asyncio.sleep(0.05)


async def _outbox_total(db: Path) -> tuple[int, int]:
    app = await App.open(Settings(database_url=f"sqlite:///{db}"), charts=False)
    try:
        rows = await app.services.outbox.rows("task:")
    finally:
        await app.close()
    to_send = [r for r in rows if r[3] != "skipped"]  # older steps after downtime
    return len(to_send), sum(1 for r in to_send if r[3] == "sent")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
async def test_restart_in_the_middle_of_a_batch(tmp_path: Path, sig: signal.Signals) -> None:
    db = tmp_path / "restart.sqlite3"
    await _prepare(db)
    tg = FakeTelegram()
    await tg.start()
    tg.delays["sendMessage"] = 0.1
    try:
        first = await _start(_env(db, tg))
        await _wait_count(tg, 5, timeout=60)
        first.send_signal(sig)
        _, err = await asyncio.wait_for(first.communicate(), timeout=30)
        if sig == signal.SIGTERM:
            assert first.returncode == 0, err.decode()
        stopped_at = len(_reminders(tg))
        total, _sent = await _outbox_total(db)
        assert stopped_at < total, "the batch finished before the stop; slow the server down"

        second = await _start(_env(db, tg))
        try:
            await _wait_count(tg, total, timeout=60)
            await asyncio.sleep(0.5)  # nothing more should come
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.communicate(), timeout=30)
        texts = _reminders(tg)
        repeats = sum(n - 1 for n in Counter(texts).values())
        assert set(texts) and len(set(texts)) == total
        if sig == signal.SIGTERM:
            assert repeats == 0
        else:
            assert repeats <= 1  # at most the one send in flight at the kill
        assert await _outbox_total(db) == (total, total)
    finally:
        await tg.stop()


async def _prepare_broadcast(db: Path, chats: int) -> None:
    loaded = FixedClock(datetime(2025, 11, 24, 7, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=f"sqlite:///{db}"), clock=loaded, charts=False)
    try:
        await setup_example_ward(app)
        ward = (await app.repo.wards())[0]
        for i in range(chats):
            await app.repo.register_chat(
                "telegram",
                str(-4_000_000 - i),
                ward.id,
                "residents",
                None,
                f"TDP {i}",
                loaded.now(),
            )
        targets = [
            c for c in await app.repo.ward_chats(ward.id, "residents") if c.chat_id.startswith("-4")
        ]
        await app.services.broadcasts.create(
            ward.id, "t", "cli", "", "Hướng dẫn", "t", targets, loaded.now(), loaded.now()
        )
    finally:
        await app.close()


async def test_a_broadcast_resumes_after_a_graceful_stop(tmp_path: Path) -> None:
    db = tmp_path / "broadcast.sqlite3"
    await _prepare_broadcast(db, 40)
    tg = FakeTelegram(flood_limits=True)
    await tg.start()
    tg.delays["sendMessage"] = 0.05

    def delivered() -> list[int]:
        return [m.chat_id for m in tg.sent if m.method == "sendMessage" and m.chat_id <= -4e6]

    try:
        first = await _start(_env(db, tg))
        for _ in range(600):
            if len(delivered()) >= 10:
                break
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.communicate(), timeout=30)
        assert first.returncode == 0
        assert 10 <= len(delivered()) < 40
        second = await _start(_env(db, tg))
        try:
            for _ in range(600):
                if len(delivered()) >= 40:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.communicate(), timeout=30)
        chats = delivered()
        assert sorted(set(chats)) == sorted(chats) and len(chats) == 40  # each once
        assert tg.rate_limited == 0
    finally:
        await tg.stop()
