"""The country in one database: 3,321 wards × 30 open tasks × 24 snapshots on PostgreSQL.

Builds the data with bulk inserts (bench/reminders.py's wards, departments and tasks, then
here: three people and nine chats per ward — a leadership chat and one per department —,
24 monthly snapshots with their six groups, the national province list through the portal
fetch's writer, and each ward's [portal] pointing at its own line), then measures:

* one planner tick including writing the outbox rows (`ReminderScheduler.tick` at a working
  day's 07:30, every ward's office slot, in a process that ticked a minute before) — target
  under 2 s — and the first tick of a restarted process (the 7-day look-back);
* p50/p99 of "điểm hiện tại?" through the router, asked by the staff of random wards
  (who is asking, the ward and the snapshots read as in production, caches included; the
  chart is not drawn: that is the channel's, once per snapshot) — target p99 under 20 ms;
* p50/p99 of the province ranking ("xếp hạng toàn tỉnh") the same way — target under 50 ms;
* updates/s through two `chiso run --webhook` replicas against one, on the same database
  (`replica_throughput`: bench/replicas.py's driver, the example ward added beside).

Prints the figures; nothing here asserts a time.

    python bench/scale.py [--wards 3321] [--tasks 30] [--snapshots 24] [--questions 1000]
                          [--backend postgresql|sqlite] [--url URL] [--replica-updates 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import bindparam, insert, text, update

from bench import reminders as reminders_bench
from bench.databases import pct, temp_database
from bench.portal import national_lists, province_code, province_sizes
from bot.app import App
from bot.config import Settings
from handlers.protocol import Inbound
from ingest.index_groups import GROUPS
from ingest.portal import PortalPeriod
from reminders.calendar import WorkCalendar
from reminders.clock import FixedClock
from reminders.scheduler import ReminderScheduler
from store import models as m
from store.db import create_engine, session_factory
from store.portal import PortalStore

AT = reminders_bench.AT  # Tuesday 10/3/2026 07:30, Asia/Ho_Chi_Minh
DEPARTMENTS = reminders_bench.DEPARTMENTS
CHUNK = 5_000
PEOPLE = ("chairman", "staff", "admin")  # per ward; the staff member is in VP and TTPVHCC
# the replicas' clock: a Saturday before any task was loaded, so that their own reminder
# tick and briefing plan nothing and updates/s is the webhooks' (the tick is measured above)
REPLICA_START = "2020-01-04T12:00:00+07:00"
TARGETS = {"tick": 2.0, "score": 20.0, "province": 50.0}  # s, ms, ms


def telegram_id(ward: int, k: int) -> str:
    return str(1_000_000_000 + ward * 10 + k)


def chat_id(ward: int, k: int) -> str:
    return f"-100{ward:07d}{k:02d}"  # k 0: leadership, 1..8: the departments


def months_before(day: date, count: int) -> list[tuple[int, int]]:
    """The `count` months before the month of `day`, oldest first."""
    year, month = day.year, day.month
    result = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        result.append((year, month))
    return result[::-1]


async def _insert(s: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await s.execute(insert(model), rows[i : i + CHUNK])


async def build(url: str, wards: int, per_ward: int, snapshots: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    await reminders_bench.build(url, wards, per_ward)  # wards, departments, tasks, units
    timings["tasks"] = time.perf_counter() - t0
    rnd = random.Random(3321)
    now = AT.astimezone(UTC)
    engine = create_engine(url)
    sessions = session_factory(engine)
    t0 = time.perf_counter()
    async with sessions.begin() as s:
        people, links, chats = [], [], []
        for w in range(1, wards + 1):
            dept0 = (w - 1) * len(DEPARTMENTS) + 1  # VP; TTPVHCC is dept0 + 3
            for k, role in enumerate(PEOPLE, start=1):
                pid = (w - 1) * len(PEOPLE) + k
                people.append(
                    {
                        "id": pid,
                        "ward_id": w,
                        "name": f"Cán bộ {w}-{k}",
                        "role": role,
                        "telegram_id": telegram_id(w, k),
                    }
                )
                if role == "staff":
                    links += [
                        {"person_id": pid, "department_id": dept0},
                        {"person_id": pid, "department_id": dept0 + 3},
                    ]
            chats.append(_chat(w, 0, "leadership", None, now))
            for i in range(len(DEPARTMENTS)):
                chats.append(_chat(w, i + 1, "department", dept0 + i, now))
        await _insert(s, m.Person, people)
        await _insert(s, m.PersonDepartment, links)
        await _insert(s, m.Chat, chats)
    timings["people_chats"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    months = months_before(AT.date(), snapshots)
    async with sessions.begin() as s:
        snaps, groups = [], []
        sid = 0
        for w in range(1, wards + 1):
            for year, month in months:
                sid += 1
                scores = [
                    (g.max_score * Decimal(rnd.randint(6000, 10000)) / 10000).quantize(
                        Decimal("0.01")
                    )
                    for g in GROUPS
                ]
                after = date(year + month // 12, month % 12 + 1, 5)  # figures of the month
                snaps.append(
                    {
                        "id": sid,
                        "ward_id": w,
                        "period_kind": "month",
                        "year": year,
                        "period": month,
                        "as_of": after,
                        "total": sum(scores, Decimal(0)),
                        "rank": rnd.randint(1, 114),
                        "rank_of": 114,
                        "source": "portal",
                        "created_at": now,
                    }
                )
                groups += [
                    {
                        "snapshot_id": sid,
                        "code": g.code,
                        "position": i,
                        "score": score,
                        "max_score": g.max_score,
                    }
                    for i, (g, score) in enumerate(zip(GROUPS, scores, strict=True))
                ]
        await _insert(s, m.Snapshot, snaps)
        await _insert(s, m.SnapshotGroup, groups)
    timings["snapshots"] = time.perf_counter() - t0

    # the national list (the newest month) and each ward's line in it
    t0 = time.perf_counter()
    year, month = months[-1] if months else (AT.year, AT.month)
    lists = national_lists(wards, period=PortalPeriod(year, "month", month))
    await PortalStore(sessions).save_lists(lists, now - timedelta(hours=1))
    timings["province_list"] = time.perf_counter() - t0
    portals = []
    w = 0
    for p, size in enumerate(province_sizes(wards)):
        for i in range(size):
            w += 1
            unit = f"{province_code(p)}{i:03d}"
            portals.append({"wid": w, "cfg": {"province_id": province_code(p), "unit_id": unit}})
    async with sessions.begin() as s:
        await s.execute(
            update(m.Ward.__table__)
            .where(m.Ward.__table__.c.id == bindparam("wid"))
            .values(portal=bindparam("cfg")),
            portals,
        )
        if s.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in ("wards", "departments", "people", "chats", "directives", "tasks"):
                await s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await s.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('snapshots', 'id'), "
                    "(SELECT max(id) FROM snapshots))"
                )
            )
            await s.execute(text("ANALYZE"))
    await engine.dispose()
    return timings


def _chat(w: int, k: int, kind: str, dept: int | None, now: datetime) -> dict[str, Any]:
    return {
        "channel": "telegram",
        "chat_id": chat_id(w, k),
        "title": f"Phường {w} — {kind} {k}",
        "is_group": True,
        "ward_id": w,
        "kind": kind,
        "department_id": dept,
        "tags": [],
        "source": "file",
        "active": True,
        "first_seen": now,
        "last_seen": now,
    }


@dataclass
class Tick:
    seconds: float  # the 07:30 tick of a running process
    rows: int
    restart_seconds: float  # the first tick of a restarted process (7-day look-back)
    restart_rows: int
    messages: int = 0  # outbox rows after both


async def measure_tick(url: str) -> Tick:
    """At AT, the tick of a process that ticked a minute before (the office slot's tick:
    every ward's steps of the day), then the first tick of a fresh process (the 7-day
    look-back after a restart: today's keys are there already, the week's older steps
    are recorded as skipped)."""
    clock = FixedClock(AT)
    app = await App.open(Settings(database_url=url), clock=clock, migrate=False, charts=False)
    try:
        services = app.services

        def scheduler() -> ReminderScheduler:
            return ReminderScheduler(
                app.repo, services.tasks, services.outbox, clock, WorkCalendar()
            )

        running = scheduler()
        running._last_tick = AT - timedelta(minutes=1)
        await app.repo.wards()  # connect before timing
        t0 = time.perf_counter()
        rows = await running.tick()
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        restart_rows = await scheduler().tick()
        restart = time.perf_counter() - t0
        async with app.repo.sessions() as s:
            outbox = int((await s.execute(text("SELECT count(*) FROM outbox"))).scalar_one())
    finally:
        await app.close()
    return Tick(seconds, rows, restart, restart_rows, outbox)


async def measure_questions(
    url: str, wards: int, questions: int, question: str, seed: int
) -> tuple[list[float], str]:
    """`questions` asked one after another by the staff of random wards."""
    clock = FixedClock(AT + timedelta(hours=2))
    app = await App.open(Settings(database_url=url), clock=clock, migrate=False)
    rnd = random.Random(seed)
    times: list[float] = []
    sample = ""
    try:
        for _ in range(min(200, questions)):  # warm up (the database's cache, the code)
            user = telegram_id(rnd.randint(1, wards), 2)
            await app.router.handle(Inbound("telegram", user, "private", user, text=question))
        rnd = random.Random(seed + 1)
        for _ in range(questions):
            user = telegram_id(rnd.randint(1, wards), 2)
            inbound = Inbound("telegram", user, "private", user, text=question)
            t0 = time.perf_counter()
            replies = await app.router.handle(inbound)
            times.append(time.perf_counter() - t0)
            sample = replies[0].text
    finally:
        await app.close()
    return times, sample


async def replica_throughput(
    url: str,
    replicas: int,
    updates: int = 2000,
    concurrency: int = 64,
    start_at: str = REPLICA_START,
) -> tuple[float, float]:
    """Updates/s through `replicas` `chiso run --webhook` processes sharing this database,
    with bench/replicas.py's driver (the example ward's people ask "điểm hiện tại?" through
    the Telegram webhooks, against the fake Bot API), measured once the replicas are idle.
    Their clock is `start_at` (default: before any task, so their own reminder tick plans
    nothing — at a working day's office slot it plans the whole country, see the tick).
    Returns (updates/s, seconds the replicas took to settle). Call `prepare_replicas` once
    first. PostgreSQL only."""
    from bench.replicas import drive
    from tests.fakes.telegram_api import FakeTelegram
    from tests.replica_rig import Updates, start_replica, stop_replica, wait_ready

    tg = FakeTelegram()
    await tg.start()
    started: list[Any] = []
    with tempfile.TemporaryDirectory() as logs:
        try:
            for i in range(replicas):
                started.append(
                    await start_replica(
                        f"R{i}",
                        url,
                        tg,
                        Path(logs),
                        CHISO_CACHE_TTL="60",
                        CHISO_START_AT=start_at,
                    )
                )
            for replica in started:
                await wait_ready(replica)
            feed = Updates()
            await drive(tg, started, feed, 20 * replicas, concurrency)  # warm-up, charts
            settled = await _settle([r.process.pid for r in started])
            return await drive(tg, started, feed, updates, concurrency), settled
        finally:
            for replica in started:
                await stop_replica(replica)
            await tg.stop()


async def _clear_outbox(url: str) -> None:
    """The tick's rows gone, and vacuumed now rather than by autovacuum mid-measurement."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM outbox"))
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE outbox"))
    finally:
        await engine.dispose()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def _settle(pids: list[int], idle: float = 0.2, limit: float = 600.0) -> float:
    """Waits until every process uses less than `idle` of a core over a second (their
    startup work, the first reminder tick, done); returns the seconds waited."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        before = [_cpu_seconds(pid) for pid in pids]
        await asyncio.sleep(1.0)
        if all(_cpu_seconds(pid) - used < idle for pid, used in zip(pids, before, strict=True)):
            break
    return time.perf_counter() - began


async def prepare_replicas(url: str) -> None:
    """The example ward with two months of figures, beside the 3,321 wards; commits stop
    waiting for the disk, as in bench/replicas.py (what is measured is the bot)."""
    from bench import replicas as rig
    from tests.replica_rig import skip_disk_waits

    await rig.prepare(url)
    await skip_disk_waits(url)


async def run(url: str, args: argparse.Namespace) -> None:
    backend = url.split(":", 1)[0]
    started = time.perf_counter()
    timings = await build(url, args.wards, args.tasks, args.snapshots)
    print(
        f"{backend}: built {args.wards:,} wards × {args.tasks} tasks × {args.snapshots} "
        f"snapshots in {time.perf_counter() - started:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})"
    )
    for question, target in (
        ("điểm hiện tại?", TARGETS["score"]),
        ("xếp hạng toàn tỉnh", TARGETS["province"]),
    ):
        times, sample = await measure_questions(url, args.wards, args.questions, question, 7)
        p99 = pct(times, 0.99)
        verdict = "" if p99 < target else f" — MISSES the {target:.0f} ms target"
        print(
            f"  “{question}” × {len(times)} by random wards' staff: p50 "
            f"{pct(times, 0.5):.2f} ms, p99 {p99:.2f} ms, max {max(times) * 1000:.1f} ms"
            f"{verdict}"
        )
        if args.show:
            print("    " + sample.replace("\n", "\n    "))
    tick = await measure_tick(url)
    verdict = "" if tick.seconds < TARGETS["tick"] else " — MISSES the 2 s target"
    print(
        f"  planner tick at {AT:%d/%m/%Y %H:%M} (every ward's office slot): "
        f"{tick.seconds:.2f} s, {tick.rows:,} outbox rows written{verdict}"
    )
    print(
        f"  the first tick after a restart (7-day look-back): {tick.restart_seconds:.2f} s, "
        f"{tick.restart_rows:,} new reminders written, the week's older steps recorded as "
        f"skipped ({tick.messages:,} outbox rows in all)"
    )
    await _clear_outbox(url)  # the tick's rows are not the replicas' work
    if backend != "postgresql" or args.replica_updates <= 0:
        print("  updates/s through two replicas against one: not measured (PostgreSQL only)")
        return
    await prepare_replicas(url)
    one, settle_one = await replica_throughput(url, 1, args.replica_updates)
    two, settle_two = await replica_throughput(url, 2, args.replica_updates)
    print(
        f"  updates/s through `chiso run --webhook` (“điểm hiện tại?”, "
        f"{args.replica_updates} updates, 64 in flight; their own tick planning nothing, "
        f"idle {settle_one:.0f} s and {settle_two:.0f} s after start): one replica {one:.0f}, "
        f"two replicas {two:.0f} ({two / one:.2f}×)"
    )


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3321)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--snapshots", type=int, default=24)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--url", help="an empty database to build in (default: a fresh one)")
    parser.add_argument("--show", action="store_true", help="print one answer of each kind")
    parser.add_argument(
        "--replica-updates", type=int, default=2000, help="0: skip the replicas' figure"
    )
    args = parser.parse_args(argv)
    if args.url:
        await run(args.url, args)
        return
    async with temp_database(args.backend) as url:
        await run(url, args)


if __name__ == "__main__":
    asyncio.run(main())
