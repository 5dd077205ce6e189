"""The Monday briefing through a real `chiso run` process (the machinery of
tests/test_restart.py): the process starts on Monday 08:00:30, its first tick writes the 07:30
reminders and the briefing for the leadership chat and the chairman, and it is stopped
(SIGTERM or SIGKILL) in the middle of the reminders; a second process started later delivers
the rest. The leadership chat and the chairman each get the briefing exactly once, and the
second process's tick writes no second row for it."""

from __future__ import annotations

import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.test_restart import (
    HANG,
    NOTICE_LANES_IN_FLIGHT,
    _env,
    _prepare,
    _reminders,
    _start,
    _stop,
    _until,
)

LEADERSHIP_GROUP = -1001000000001  # examples/ward.toml
CHAIRMAN = 700000001
TASKS = 24
START = "2025-11-24T08:00:30+07:00"  # Monday, just after the briefing's 08:00
RESTART = "2025-11-24T08:03:00+07:00"  # the leases of the first process have run out
TITLE = "Báo cáo tuần — Phường Hòa Phong"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _briefings(tg: FakeTelegram, chat: int) -> list[str]:
    return [
        m.text or ""
        for m in tg.sent
        if m.method == "sendMessage" and m.chat_id == chat and TITLE in (m.text or "")
    ]


def _rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=HANG) as conn:
        return [(k, s) for k, s in conn.execute("SELECT key, status FROM outbox").fetchall()]


def _settled(db: Path) -> bool:
    rows = _rows(db)
    briefing = [s for k, s in rows if k.startswith("briefing:")]
    reminders = [s for k, s in rows if k.startswith("task:") and s != "skipped"]
    return len(briefing) == 2 and all(s == "sent" for s in briefing + reminders)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_the_briefing_arrives_once_across_a_restart(
    tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "briefing.sqlite3"
    await _prepare(db, tasks=TASKS)
    tg = FakeTelegram()
    await tg.start()
    tg.delays["sendMessage"] = 0.05  # the batch is still going when the signal comes
    tg.answer_delays["sendMessage"] = 0.05
    try:
        first = await _start(_env(db, tg, start_at=START))
        await _until(lambda: len(_reminders(tg)) >= 5, "the first reminders arrive")
        await _stop(first, sig)
        rows = _rows(db)
        # the first tick wrote the briefing once per target, behind the 07:30 reminders
        assert sorted(k.rsplit(":", 1)[1] for k, _s in rows if k.startswith("briefing:")) == [
            str(LEADERSHIP_GROUP),
            str(CHAIRMAN),
        ]
        sent_before = len(_briefings(tg, LEADERSHIP_GROUP)) + len(_briefings(tg, CHAIRMAN))
        in_flight = len(_reminders(tg)) - sum(
            1 for k, s in rows if k.startswith("task:") and s == "sent"
        )
        assert 0 <= in_flight <= NOTICE_LANES_IN_FLIGHT
        assert sent_before == 0, "slow the server down: the briefing went before the stop"

        second = await _start(_env(db, tg, start_at=RESTART))
        try:
            await _until(lambda: _settled(db), "the restarted process sends everything")
        finally:
            await _stop(second, signal.SIGTERM)
        assert len(_briefings(tg, LEADERSHIP_GROUP)) == 1
        assert len(_briefings(tg, CHAIRMAN)) == 1
        assert [k for k, _s in _rows(db) if k.startswith("briefing:")] == [
            k for k, _s in rows if k.startswith("briefing:")
        ]  # the second process's tick wrote nothing new
        briefing = _briefings(tg, CHAIRMAN)[0]
        assert "#1 Việc số 1 của Trung tâm" in briefing  # the tasks due that Monday
        markup = next(
            m.reply_markup for m in tg.sent if m.chat_id == CHAIRMAN and TITLE in (m.text or "")
        )
        assert "bcfile:2025-11-24" in str(markup)
        # and the reminders came as the restart test says: each once, bar the one in flight
        texts = _reminders(tg)
        assert len(set(texts)) == TASKS
        assert len(texts) - TASKS == (in_flight if sig == signal.SIGKILL else 0)
    finally:
        await tg.stop()
