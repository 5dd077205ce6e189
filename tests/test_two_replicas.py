"""Two real `chiso run --webhook` processes on one PostgreSQL database, against the fake Bot
API with its flood limits lifted (and the bot's own, TELEGRAM_RATE):

1. 10,000 reminders across 300 wards (one tick plans them, in one replica) are delivered
   exactly once by the two delivery loops;
2. one replica is killed with SIGKILL in the middle of a broadcast and a batch of notices:
   the other finishes them, and the repeats are at most the sends the killed one had in
   flight (1 notice + 4 broadcast messages: docs/ARCHITECTURE.md);
3. with a restarted second replica: a snapshot stored through one replica (the admin's
   question even asked by one and answered through the other) is in the answer of either,
   at once, although both cache reads for an hour (CHISO_CACHE_TTL): LISTEN/NOTIFY.

Runs where PostgreSQL runs (mandatory in CI: CHISO_REQUIRE_POSTGRES=1), skipped elsewhere.
"""

from __future__ import annotations

import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runner import BROADCAST_CONCURRENCY
from reminders.clock import VN_TZ
from store import models as m
from store.outbox import OutboxItem
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.replica_rig import (
    Replica,
    Updates,
    build,
    is_ward_group,
    post,
    skip_disk_waits,
    start_replica,
    stop_replica,
    until,
    wait_ready,
)
from tests.test_replicas import pg_url  # noqa: F401  (the fixture)

WARDS, TASKS = 300, 10_000
NOTICES, BROADCAST_CHATS = 250, 250
NOTICE_LANES_IN_FLIGHT = 1
IN_FLIGHT = NOTICE_LANES_IN_FLIGHT + BROADCAST_CONCURRENCY  # per killed process: 5
FIRST_RESIDENTS = -5_000_000_000  # the broadcast's groups
FIRST_NOTICE_USER = 600_000_000  # the notices' private chats
BROADCAST_TEXT = "Hướng dẫn thanh toán trực tuyến"
CHAIRMAN, ADMIN = 700000001, 700000003  # of the example ward
CACHE_AN_HOUR = "3600"
REPORT = (
    "Căn cứ kết quả đánh giá (tính đến ngày 15/11/2025), phường đạt 94,72 điểm, xếp hạng "
    "80/114.\nLũy kế năm 2025: Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: "
    "8,1/12 điểm; Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 21,68/22 điểm."
)
REPORT_LATER = (
    "Căn cứ kết quả đánh giá (tính đến ngày 20/11/2025), phường đạt 95,04 điểm, xếp hạng "
    "70/114.\nLũy kế năm 2025: Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: "
    "8,1/12 điểm; Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 22/22 điểm."
)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()  # no flood limits
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Any]:  # noqa: F811
    """A connection of the test's own, to read the outbox beside the replicas."""
    import asyncpg

    conn = await asyncpg.connect(pg_url.replace("postgresql://", "postgres://"))
    try:
        yield conn
    finally:
        await conn.close()


async def _count(db: Any, sql: str) -> int:
    return int(await db.fetchval(sql))


def _sent_to(tg: FakeTelegram, wanted: range | None = None) -> list[tuple[int, str]]:
    return [
        (s.chat_id, s.text or "")
        for s in tg.sent
        if s.method == "sendMessage"
        and s.chat_id is not None
        and (is_ward_group(s.chat_id) if wanted is None else s.chat_id in wanted)
    ]


def _repeats(sent: list[tuple[int, str]]) -> int:
    return sum(n - 1 for n in Counter(sent).values())


async def _queue_second_batch(url: str, example_ward: int) -> None:
    """A broadcast to BROADCAST_CHATS residents' groups (the broadcast lane, 4 in flight)
    and NOTICES private notices (the notice lane, 1 in flight), as the bot queues them."""
    from sqlalchemy import insert

    from bot.app import App
    from bot.config import Settings
    from reminders.clock import FixedClock

    at = datetime(2025, 11, 24, 7, 0, tzinfo=VN_TZ)
    app = await App.open(Settings(database_url=url), clock=FixedClock(at), charts=False)
    try:
        async with app.engine.begin() as conn:
            await conn.execute(
                insert(m.Chat),
                [
                    {
                        "channel": "telegram",
                        "chat_id": str(FIRST_RESIDENTS - i),
                        "title": f"Tổ dân phố {i}",
                        "is_group": True,
                        "ward_id": example_ward,
                        "kind": "residents",
                        "tags": [],
                        "source": "file",
                        "active": True,
                        "first_seen": at,
                        "last_seen": at,
                    }
                    for i in range(BROADCAST_CHATS)
                ],
            )
        residents = await app.repo.ward_chats(example_ward, "residents")
        await app.services.broadcasts.create(
            example_ward,
            sender="t",
            sender_channel="cli",
            sender_chat="",
            text=BROADCAST_TEXT,
            audience="t",
            chats=[c for c in residents if int(c.chat_id) <= FIRST_RESIDENTS],
            send_at=at,
            at=at,
        )
        await app.services.outbox.enqueue(
            [
                OutboxItem(
                    key=f"notice:test:{i}",
                    channel="telegram",
                    chat_id=str(FIRST_NOTICE_USER + i),
                    payload={"text": f"Thông báo số {i}", "buttons": []},
                    ward_id=example_ward,
                )
                for i in range(NOTICES)
            ],
            at,
        )
    finally:
        await app.close()


async def _ask(
    tg: FakeTelegram,
    http: aiohttp.ClientSession,
    replica: Replica,
    updates: Updates,
    user: int,
    text: str,
) -> SentMessage:
    since = tg.cursor
    await post(http, replica, updates.message(user, user, text))
    return await tg.wait_for(
        lambda s: s.chat_id == user and s.method != "answerCallbackQuery", timeout=60, since=since
    )


async def _store(
    tg: FakeTelegram,
    http: aiohttp.ClientSession,
    updates: Updates,
    report: str,
    asked: Replica,
    confirmed: Replica,
) -> None:
    """The admin pastes a report to one replica and presses "Lưu" through the other."""
    preview = await _ask(tg, http, asked, updates, ADMIN, report)
    assert preview.buttons, preview.plain_text
    since = tg.cursor
    data = preview.button("Lưu")["callback_data"]
    # the fake Bot API knows the press (its query id), as Telegram would; posted by hand
    pressed = tg.push_callback(
        chat_id=ADMIN, user_id=ADMIN, data=data, message_id=preview.message_id or 0
    )
    update = next(u for u in tg.pending_updates if u["update_id"] == pressed)
    await post(http, confirmed, update)
    stored = await tg.wait_for(
        lambda s: s.chat_id == ADMIN and s.method == "sendMessage", timeout=60, since=since
    )
    assert "Đã lưu" in (stored.plain_text or ""), stored.plain_text


async def test_two_replicas_share_the_work(
    pg_url: str,  # noqa: F811
    db: Any,
    tg: FakeTelegram,
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    example = await build(pg_url, WARDS, TASKS)
    await skip_disk_waits(pg_url)
    logs = tmp_path
    a = await start_replica("A", pg_url, tg, logs, CHISO_CACHE_TTL=CACHE_AN_HOUR)
    b = await start_replica("B", pg_url, tg, logs, CHISO_CACHE_TTL=CACHE_AN_HOUR)
    replicas = [a, b]
    try:
        await wait_ready(a)
        await wait_ready(b)
        _phase("built and started", began)

        # 1. the reminders: planned once, each delivered once
        await until(
            lambda: _reminders_sent(db, TASKS),
            "10,000 reminders delivered",
            timeout=240,
            every=0.25,
        )
        reminders = _sent_to(tg)
        assert len(reminders) == TASKS and _repeats(reminders) == 0
        assert len({chat for chat, _ in reminders}) == WARDS * 3  # every department group
        _phase("10,000 reminders delivered", began)
        planned = "SELECT count(*) FROM outbox WHERE key LIKE 'task:%' AND status <> 'skipped'"
        assert await _count(db, planned) == TASKS  # the older steps are recorded as skipped
        # one replica holds the tick; nobody polls
        assert await db.fetchval("SELECT array_agg(name) FROM leases") == ["tick"]

        # 2. SIGKILL one replica in the middle of a broadcast and of a batch of notices
        await _queue_second_batch(pg_url, example)
        residents = range(FIRST_RESIDENTS - BROADCAST_CHATS + 1, FIRST_RESIDENTS + 1)
        notices = range(FIRST_NOTICE_USER, FIRST_NOTICE_USER + NOTICES)
        await until(
            lambda: (
                len(_sent_to(tg, residents)) >= BROADCAST_CHATS // 4
                and len(_sent_to(tg, notices)) >= NOTICES // 4
            ),
            "the second batch under way",
        )
        b.process.send_signal(signal.SIGKILL)
        await b.process.wait()
        await until(lambda: _second_batch_sent(db), "the survivor finishes the batch", 240, 0.25)
        broadcast, private = _sent_to(tg, residents), _sent_to(tg, notices)
        assert {chat for chat, _ in broadcast} == set(residents)  # every group, at least once
        assert {chat for chat, _ in private} == set(notices)
        repeats = _repeats(broadcast) + _repeats(private)
        unsure = await _count(db, "SELECT coalesce(sum(unsure_sends), 0) FROM outbox")
        # a repeat is a send in flight at the kill: counted as unsure, within the bound
        assert repeats <= unsure <= IN_FLIGHT
        print(f"repeats after SIGKILL: {repeats} (sends in flight, unsure: {unsure})")
        assert _repeats(_sent_to(tg)) == 0  # the reminders were not touched again

        _phase("the survivor finished the second batch", began)

        # 3. a snapshot stored through one replica is in the other's next answer
        b = await start_replica("B2", pg_url, tg, logs, CHISO_CACHE_TTL=CACHE_AN_HOUR)
        replicas.append(b)
        await wait_ready(b)
        updates = Updates()
        async with aiohttp.ClientSession() as http:
            for replica in (a, b):  # both cache "no figures yet" for an hour
                before = await _ask(tg, http, replica, updates, CHAIRMAN, "điểm lũy kế?")
                assert "94,72" not in (before.plain_text or "")
            await _store(tg, http, updates, REPORT, asked=a, confirmed=b)
            answers = [
                (await _ask(tg, http, r, updates, CHAIRMAN, "điểm lũy kế?")).plain_text
                for r in (a, b)
            ]
            assert "94,72" in (answers[0] or "") and answers[0] == answers[1]

            await _store(tg, http, updates, REPORT_LATER, asked=b, confirmed=b)
            answers = [
                (await _ask(tg, http, r, updates, CHAIRMAN, "điểm lũy kế?")).plain_text
                for r in (a, b)
            ]
            assert "95,04" in (answers[0] or "") and answers[0] == answers[1]
        _phase("answers checked", began)
        for replica in (a, b):
            assert await stop_replica(replica) == 0, replica.stderr()
    finally:
        for replica in replicas:
            if replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()


def _phase(what: str, began: float) -> None:
    print(f"{time.monotonic() - began:6.1f}s {what}", flush=True)  # shown with pytest -s


async def _reminders_sent(db: Any, total: int) -> bool:
    sent = await _count(
        db, "SELECT count(*) FROM outbox WHERE key LIKE 'task:%' AND status = 'sent'"
    )
    return sent >= total


async def _second_batch_sent(db: Any) -> bool:
    waiting = await _count(
        db,
        "SELECT count(*) FROM outbox WHERE (key LIKE 'notice:test:%' OR key LIKE 'broadcast:%')"
        " AND status <> 'sent'",
    )
    return waiting == 0
