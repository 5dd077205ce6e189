"""Several replicas over one database: delivery loops share the outbox (each row sent once,
`FOR UPDATE SKIP LOCKED` on PostgreSQL), one-at-a-time jobs hold leases, a write through one
replica drops the others' cached reads (LISTEN/NOTIFY), `/health` and `/ready`, migrations
that two processes run at once, and the polling guard."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.config import Settings
from bot.delivery import Delivery
from handlers.protocol import Reply
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.db import create_engine, session_factory
from store.leases import LeaseHeld, LeaseLost, Leases, holding, singleton
from store.migrate import current_revision, head_revision, upgrade
from store.notify import CacheListener
from store.outbox import OutboxItem, OutboxStore
from store.repo import Repo
from tests.conftest import fresh_pg_database, setup_example_ward

T0 = datetime(2025, 11, 24, 9, 0, tzinfo=VN_TZ)  # a Monday, inside sending hours
HANG = 60.0  # seconds: only guards against a hang; nothing here measures time
LONG_TTL = 3600.0  # a cache that would hide another process's write for an hour


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (skipped without PostgreSQL, failed in CI)."""
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def pg_app(pg_url: str) -> AsyncIterator[App]:
    app = await App.open(
        Settings(database_url=pg_url, cache_ttl=0), clock=FixedClock(T0), charts=False
    )
    await setup_example_ward(app)
    try:
        yield app
    finally:
        await app.close()


# --- delivery: two loops, one outbox -------------------------------------------------------
async def test_two_delivery_loops_send_every_row_exactly_once(pg_app: App, pg_url: str) -> None:
    """Two replicas' delivery loops (each its own engine) drain one outbox at once."""
    rows = 600
    items = [
        OutboxItem(
            key=f"k:{i}", channel="telegram", chat_id=str(800_000 + i), payload={"text": f"tin {i}"}
        )
        for i in range(rows)
    ]
    await pg_app.services.outbox.enqueue(items, T0)
    clock = FixedClock(T0)
    sent: list[tuple[str, str, str]] = []  # (replica, chat, text)
    engines = [create_engine(pg_url), create_engine(pg_url)]
    loops: list[Delivery] = []
    try:
        for name, engine in zip("AB", engines, strict=True):
            sessions = session_factory(engine)

            async def send(chat_id: str, reply: Reply, name: str = name) -> None:
                sent.append((name, chat_id, reply.text))
                await asyncio.sleep(0)  # a network round trip: the other loop runs meanwhile

            loops.append(
                Delivery(
                    OutboxStore(sessions),
                    Repo(sessions, cache_ttl=0),
                    clock,
                    {"telegram": send},
                    interval=0.01,
                    group_interval=0,
                )
            )
        running = [asyncio.create_task(d.run()) for d in loops]
        loop = asyncio.get_running_loop()
        end = loop.time() + HANG
        while len(sent) < rows and loop.time() < end:
            await asyncio.sleep(0.05)
        for d in loops:
            d.stop()
        await asyncio.gather(*running)
    finally:
        for engine in engines:
            await engine.dispose()
    texts = Counter(text for _, _, text in sent)
    assert len(texts) == rows and set(texts.values()) == {1}  # every row, once
    by_replica = Counter(name for name, _, _ in sent)
    assert by_replica["A"] > 0 and by_replica["B"] > 0  # both loops took part
    statuses = Counter(status for *_, status in await pg_app.services.outbox.rows("k:"))
    assert statuses == {"sent": rows}


async def test_a_claim_skips_rows_another_replica_has_locked(pg_app: App, pg_url: str) -> None:
    """`FOR UPDATE SKIP LOCKED` runs: while another transaction holds ten rows locked (a
    replica in the middle of its claim), a claim returns the others at once instead of
    waiting for that transaction to end."""
    import asyncpg

    outbox = pg_app.services.outbox
    items = [
        OutboxItem(key=f"k:{i:02}", channel="telegram", chat_id=str(900 + i), payload={"text": "x"})
        for i in range(30)
    ]
    await outbox.enqueue(items, T0)
    other = await asyncpg.connect(pg_url.replace("postgresql://", "postgres://"))
    try:
        lock = other.transaction()
        await lock.start()
        locked = {
            r["key"]
            for r in await other.fetch(
                "SELECT key FROM outbox ORDER BY not_before, id LIMIT 10 FOR UPDATE"
            )
        }
        # without SKIP LOCKED this claim would wait for `other`, which waits for the claim
        claimed = await asyncio.wait_for(outbox.claim(T0, limit=100), HANG)
        assert len(locked) == 10 and len(claimed) == 20
        assert not locked & {r.key for r in claimed}
        await lock.rollback()
    finally:
        await other.close()
    rest = await outbox.claim(T0, limit=100)
    assert {r.key for r in rest} == locked  # free again: claimed now, once


# --- leases ---------------------------------------------------------------------------------
async def test_a_lease_has_one_holder_and_lapses_to_another(db_url: str) -> None:
    app = await App.open(Settings(database_url=db_url), clock=FixedClock(T0), charts=False)
    try:
        clock = FixedClock(T0)
        a = Leases(app.repo.sessions, clock, holder="host-a:1:x")
        b = Leases(app.repo.sessions, clock, holder="host-b:1:y")
        ttl = timedelta(seconds=60)
        assert await a.acquire("tick", ttl)
        assert not await b.acquire("tick", ttl)  # held
        clock.advance(timedelta(seconds=50))
        assert await a.acquire("tick", ttl)  # renewed: now until T0 + 110 s
        clock.advance(timedelta(seconds=50))
        assert not await b.acquire("tick", ttl)  # still held thanks to the renewal
        current = await a.current("tick")
        assert current is not None and current.holder == "host-a:1:x"
        assert current.acquired_at == T0  # a renewal keeps when it was taken
        clock.advance(timedelta(seconds=11))  # a died: its lease lapsed
        assert await b.acquire("tick", ttl)
        assert not await a.acquire("tick", ttl)  # a, back, finds it taken
        await b.release("tick")  # a graceful stop: the other takes it at once
        assert await a.acquire("tick", ttl)
        assert await b.acquire("portal-fetch", ttl)  # names are independent
    finally:
        await app.close()


async def test_contenders_at_once_one_wins(pg_app: App) -> None:
    clock = FixedClock(T0)
    contenders = [Leases(pg_app.repo.sessions, clock, holder=f"h{i}:1:t") for i in range(12)]
    for round_ in range(3):  # a new name, then a lapsed one, twice
        won = await asyncio.gather(*(c.acquire("tick", timedelta(seconds=60)) for c in contenders))
        assert sum(won) == 1, round_
        clock.advance(timedelta(seconds=61))


async def test_a_dead_holder_on_this_host_is_not_waited_for(sqlite_url: str) -> None:
    app = await App.open(Settings(database_url=sqlite_url), clock=FixedClock(T0), charts=False)
    try:
        finished = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        dead_pid = int(finished.stdout)  # that process has exited
        clock = FixedClock(T0)
        host = socket.gethostname()
        crashed = Leases(app.repo.sessions, clock, holder=f"{host}:{dead_pid}:old")
        assert await crashed.acquire("telegram-polling", timedelta(seconds=60))
        restarted = Leases(app.repo.sessions, clock)  # this process, same host
        assert await restarted.acquire("telegram-polling", timedelta(seconds=60))
        alive = Leases(app.repo.sessions, clock, holder=f"{host}:{os.getpid()}:other")
        assert not await alive.acquire("telegram-polling", timedelta(seconds=60))
        elsewhere = Leases(app.repo.sessions, clock, holder="another-host:99999999:z")
        assert not await elsewhere.acquire("telegram-polling", timedelta(seconds=60))
    finally:
        await app.close()


async def test_singleton_runs_the_job_in_one_process_and_holding_refuses(pg_app: App) -> None:
    clock = FixedClock(T0)
    a = Leases(pg_app.repo.sessions, clock, holder="a:1:x")
    b = Leases(pg_app.repo.sessions, clock, holder="b:1:y")
    ttl = timedelta(seconds=60)
    async with (
        singleton(a, "portal-fetch", ttl) as leader_a,
        singleton(b, "portal-fetch", ttl) as leader_b,
    ):
        assert (leader_a, leader_b) == (True, False)
    # let go at the end of the block: b runs it next
    async with singleton(b, "portal-fetch", ttl) as leader_b:
        assert leader_b
    async with holding(a, "telegram-polling", ttl):
        with pytest.raises(LeaseHeld) as refused:
            async with holding(b, "telegram-polling", ttl):
                pass
        assert refused.value.lease is not None and refused.value.lease.holder == "a:1:x"


async def test_a_holder_that_lost_its_lease_is_told(pg_app: App) -> None:
    """A holder cut off for longer than its lease (another process took it meanwhile) finds
    so at its next renewal, and is told (`chiso run` then stops)."""
    from sqlalchemy import update

    clock = FixedClock(T0)
    a = Leases(pg_app.repo.sessions, clock, holder="a:1:x")
    b = Leases(pg_app.repo.sessions, clock, holder="b:1:y")
    lost = asyncio.Event()
    async with holding(a, "telegram-polling", timedelta(seconds=60), 0.01, on_lost=lost.set):
        async with pg_app.repo.sessions.begin() as s:  # b took it while a was cut off
            await s.execute(update(m.Lease).values(holder="b:1:y"))
        await asyncio.wait_for(lost.wait(), HANG)
    current = await b.current("telegram-polling")
    assert current is not None and current.holder == "b:1:y"  # a's exit left b's lease alone


async def test_a_job_whose_lease_is_taken_stops_before_it_writes_more(pg_app: App) -> None:
    """A fetch still running when another process took its lease (it was cut off for
    longer than the lease) is stopped at its next renewal, not left to run beside the new
    holder's."""
    from sqlalchemy import update

    a = Leases(pg_app.repo.sessions, FixedClock(T0), holder="a:1:x")
    running, wrote = asyncio.Event(), []

    async def fetch() -> None:
        async with singleton(a, "portal-fetch", timedelta(seconds=60), renew_every=0.01):
            running.set()
            await asyncio.Event().wait()  # paging through the portal
            wrote.append("after the lease was taken")

    job = asyncio.create_task(fetch())
    await asyncio.wait_for(running.wait(), HANG)
    async with pg_app.repo.sessions.begin() as s:  # b took it
        await s.execute(update(m.Lease).values(holder="b:1:y"))
    with pytest.raises(LeaseLost):
        await asyncio.wait_for(job, HANG)
    assert wrote == []
    current = await a.current("portal-fetch")
    assert current is not None and current.holder == "b:1:y"  # b's lease is left alone


async def test_a_job_that_cannot_renew_its_lease_stops_before_it_lapses(pg_app: App) -> None:
    """The database unreachable for the holder: its job stops before the lease lapses, so
    the process that takes the lapsed lease never runs beside it."""
    clock = FixedClock(T0)
    ttl = timedelta(seconds=60)

    class CutOff(Leases):
        cut = False

        async def acquire(self, name: str, ttl: timedelta) -> bool:
            if self.cut:  # each try fails, half a lease later
                clock.advance(ttl / 2)
                raise ConnectionError("the database is unreachable")
            return await super().acquire(name, ttl)

    a = CutOff(pg_app.repo.sessions, clock, holder="a:1:x")
    running = asyncio.Event()

    async def tick() -> None:
        async with singleton(a, "tick", ttl, keep=True, renew_every=0.01):
            running.set()
            await asyncio.Event().wait()

    job = asyncio.create_task(tick())
    await asyncio.wait_for(running.wait(), HANG)
    a.cut = True
    with pytest.raises(LeaseLost):
        await asyncio.wait_for(job, HANG)
    assert clock.now() <= T0 + ttl  # stopped no later than the lease's end


async def test_the_tick_runs_in_the_replica_holding_the_lease(pg_app: App) -> None:
    from reminders.scheduler import ReminderScheduler

    clock = FixedClock(T0)
    ticks: list[str] = []
    services = pg_app.services
    schedulers = []
    for name in "AB":
        scheduler = ReminderScheduler(
            pg_app.repo,
            services.tasks,
            services.outbox,
            clock,
            services.calendar,
            leases=Leases(pg_app.repo.sessions, clock, holder=f"{name}:1:t"),
        )

        async def tick(name: str = name) -> int:
            ticks.append(name)
            return 0

        scheduler.tick = tick  # type: ignore[method-assign]
        schedulers.append(scheduler)
    a, b = schedulers
    for _ in range(3):  # every minute, both wake up; one ticks, and stays the one
        await a._safe_tick()
        await b._safe_tick()
        clock.advance(timedelta(minutes=1))
    assert ticks == ["A", "A", "A"]
    await a.release()  # a graceful stop: b ticks from the next minute
    await b._safe_tick()
    await a._safe_tick()
    assert ticks[-1:] == ["B"] and len(ticks) == 4


# --- NOTIFY: one replica's write reaches the other's cache ---------------------------------
def _draft(total: str, as_of: date) -> SnapshotDraft:
    return SnapshotDraft(
        period_kind="month",
        year=as_of.year,
        period=as_of.month,
        as_of=as_of,
        total=Decimal(total),
        rank=80,
        rank_of=114,
        groups={"tien_do": GroupScore("tien_do", Decimal("19.93"), Decimal(20))},
        source="text",
    )


async def test_a_write_through_one_replica_reaches_the_others_cache(
    pg_app: App, pg_url: str
) -> None:
    ward = (await pg_app.repo.wards())[0].id
    engine_a, engine_b = create_engine(pg_url), create_engine(pg_url)
    a = Repo(session_factory(engine_a, origin="replica-a"), cache_ttl=LONG_TTL)
    b = Repo(session_factory(engine_b, origin="replica-b"), cache_ttl=LONG_TTL)
    listener = CacheListener(pg_url, origin="replica-b")
    listener.subscribe(b.forget, b.cache_shared)
    try:
        await listener.start()
        assert listener.up and b.cache_ttl == LONG_TTL
        assert await b.snapshot_history(ward, "month") == ()  # cached: "no figures"
        chat = await b.chat("telegram", "-1001000000002")
        assert chat is not None and chat.active

        await a.save_snapshot(ward, _draft("94.72", date(2025, 11, 15)), "admin", T0)
        await listener.sync()  # every notification committed so far has arrived
        history = await b.snapshot_history(ward, "month")
        assert [s.total for s in history] == [Decimal("94.72")]

        # a pending question asked through A is answered through B
        await a.set_pending(ward, "telegram", "700000003", "700000003", "k", {}, [], T0, T0)
        await listener.sync()
        asked = await b.pending("telegram", "700000003", "700000003")
        assert asked is not None and asked.kind == "k"
        assert await a.clear_pending(asked.id)
        await listener.sync()
        assert await b.pending("telegram", "700000003", "700000003") is None

        # any session's write counts, not only Repo's (here the outbox marking a chat gone)
        await OutboxStore(a.sessions).chat_gone("telegram", "-1001000000002")
        await listener.sync()
        chat = await b.chat("telegram", "-1001000000002")
        assert chat is not None and not chat.active
        assert listener.received == 4  # B's own writes and other tables send nothing to B

        # an ORM change left for the commit's own flush counts too
        async with a.sessions.begin() as s:
            row = await s.get(m.Chat, chat.id)
            assert row is not None
            row.active = True
        await listener.sync()
        chat = await b.chat("telegram", "-1001000000002")
        assert chat is not None and chat.active

        # without the listener, B's cache would have hidden A's write for an hour
        stale = Repo(session_factory(engine_b), cache_ttl=LONG_TTL)
        await stale.snapshot_history(ward, "month")
        await a.save_snapshot(ward, _draft("95.10", date(2025, 11, 20)), "admin", T0)
        await listener.sync()
        assert [s.total for s in await stale.snapshot_history(ward, "month")] == [Decimal("94.72")]
        assert [s.total for s in await b.snapshot_history(ward, "month")] == [Decimal("95.10")]
    finally:
        await listener.stop()
        await engine_a.dispose()
        await engine_b.dispose()


async def test_while_the_listener_is_down_nothing_is_cached(pg_app: App, pg_url: str) -> None:
    import asyncpg

    ward = (await pg_app.repo.wards())[0].id
    engine_a, engine_b = create_engine(pg_url), create_engine(pg_url)
    a = Repo(session_factory(engine_a, origin="replica-a"), cache_ttl=LONG_TTL)
    b = Repo(session_factory(engine_b, origin="replica-b"), cache_ttl=LONG_TTL)
    listener = CacheListener(pg_url, origin="replica-b", retry_first=0.05, retry_max=0.2)
    states: list[bool] = []
    changed = asyncio.Event()

    def record(up: bool) -> None:
        states.append(up)
        changed.set()

    listener.subscribe(b.forget, b.cache_shared)
    listener.subscribe(lambda _tables: None, record)
    admin = await asyncpg.connect(pg_url.replace("postgresql://", "postgres://"))
    try:
        await listener.start()
        good_dsn, listener.dsn = listener.dsn, "postgresql://postgres@127.0.0.1:1/none"
        pid = listener._conn.get_server_pid()
        await admin.execute("SELECT pg_terminate_backend($1)", pid)  # the connection drops
        await asyncio.wait_for(listener.wait_state(False), HANG)
        assert b.cache_ttl == 0
        await b.snapshot_history(ward, "month")
        await a.save_snapshot(ward, _draft("94.72", date(2025, 11, 15)), "admin", T0)
        # no notification can reach B now, and none is needed: nothing was kept
        assert [s.total for s in await b.snapshot_history(ward, "month")] == [Decimal("94.72")]

        listener.dsn = good_dsn  # the database is reachable again: it listens again
        await asyncio.wait_for(listener.wait_state(True), HANG)
        assert b.cache_ttl == LONG_TTL and listener.connects == 2
        assert states[0] is False and states[-1] is True and False in states[1:]
    finally:
        await admin.close()
        await listener.stop()
        await engine_a.dispose()
        await engine_b.dispose()


async def test_sqlite_writes_send_no_notification(sqlite_url: str) -> None:
    """One process on SQLite: the hooks stay quiet (pg_notify would not even exist)."""
    app = await App.open(Settings(database_url=sqlite_url), clock=FixedClock(T0), charts=False)
    try:
        await setup_example_ward(app)
        ward = (await app.repo.wards())[0].id
        await app.repo.save_snapshot(ward, _draft("94.72", date(2025, 11, 15)), "a", T0)
        assert len(await app.repo.snapshot_history(ward, "month")) == 1
    finally:
        await app.close()


# --- migrations, /health, /ready -----------------------------------------------------------
async def test_two_upgrades_at_once_do_not_race(pg_url: str) -> None:
    engines = [create_engine(pg_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(e) for e in engines))  # replicas starting together
        assert await current_revision(engines[0]) == head_revision()
        await upgrade(engines[1])  # and once more, with nothing to do
    finally:
        for e in engines:
            await e.dispose()


async def _get(engine: Any, path: str) -> tuple[int, dict[str, Any]]:
    from bot.webhook import probe_routes

    server = web.Application()
    server.add_routes(probe_routes(engine))
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}{path}") as answer,
        ):
            return answer.status, await answer.json()
    finally:
        await runner.cleanup()


async def test_ready_only_with_the_database_up_and_migrated(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await _get(engine, "/health") == (200, {"ok": True})
        status, body = await _get(engine, "/ready")  # an empty database: not migrated yet
        assert status == 503 and body["reason"] == "migrations_pending"
        assert body["current"] is None and body["head"] == head_revision()
        await upgrade(engine)
        assert await _get(engine, "/ready") == (200, {"ok": True, "revision": head_revision()})
    finally:
        await engine.dispose()


async def test_a_replica_keeps_running_when_newer_code_upgraded_the_database(
    db_url: str,
) -> None:
    """A rolling deployment: the next version's `chiso db upgrade` ran while this version's
    replicas serve. They stay ready, and one that restarts starts (it does not try to
    migrate a schema it does not know)."""
    from sqlalchemy import text

    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        async with engine.begin() as c:  # what the next version's migration leaves
            await c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        status, body = await _get(engine, "/ready")
        assert status == 200 and body["revision"] == "9999"
        await upgrade(engine)  # a restart of this version: nothing to do, no error
        assert await current_revision(engine) == "9999"
    finally:
        await engine.dispose()


async def test_ready_fails_when_the_database_is_down() -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{port}/none")
    try:
        status, body = await _get(engine, "/ready")
        assert status == 503 and body["reason"] in ("database_unreachable", "database_timeout")
        assert await _get(engine, "/health") == (200, {"ok": True})  # the process is up
    finally:
        await engine.dispose()


# --- chiso run: the polling guard and --webhook's settings ---------------------------------
def _hold_polling(db: Path, holder: str, until: datetime) -> None:
    async def hold() -> None:
        app = await App.open(Settings(database_url=f"sqlite:///{db}"), charts=False)
        try:
            async with app.repo.sessions.begin() as s:
                s.add(
                    m.Lease(name="telegram-polling", holder=holder, until=until, acquired_at=until)
                )
        finally:
            await app.close()

    asyncio.run(hold())


def test_a_second_polling_process_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    db = tmp_path / "poll.sqlite3"
    _hold_polling(db, "may-chu-1:4242:abcd", T0 + timedelta(seconds=45))  # another host polls
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHISO_START_AT", T0.isoformat())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9")  # never reached
    assert main(["run"]) == 2
    said = capsys.readouterr().err
    assert "Một tiến trình khác (may-chu-1:4242:abcd)" in said
    assert "chiso run --webhook" in said and "TELEGRAM_WEBHOOK_URL" in said
    assert "trong vòng 4" in said and "giây" in said  # its turn lapses within ~45 seconds


def test_webhook_mode_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'w.sqlite3'}")
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--webhook"]) == 2  # no messenger: no console fallback either
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("ZALO_BOT_TOKEN", "zalo-token")
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.vn/zalo/bot")
    assert main(["run", "--webhook"]) == 2
    said = capsys.readouterr().err
    assert "Telegram chưa được cấu hình webhook" in said
    assert "TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET" in said
    assert "Zalo Bot chưa được cấu hình webhook: hãy đặt ZALO_WEBHOOK_SECRET." in said
    assert not (tmp_path / "w.sqlite3").exists()  # refused before touching the database
