"""Updates per second through one `chiso run --webhook` replica, then through two, on one
PostgreSQL database, against the fake Bot API with its flood limits lifted (and the bot's
own: TELEGRAM_RATE).

The example ward with two months of figures; each update is one of the ward's five people
asking "điểm hiện tại?" in private (the answer and its chart, sent by file_id after the
first upload), posted to the replicas' Telegram webhooks in turn with `--concurrency`
updates in flight. An update counts once its answer reached the fake Bot API. Prints
updates/s of one and of two replicas and their ratio. Everything runs on this machine: the
replicas, PostgreSQL, the fake Bot API and this driver share its cores, so two replicas
gain only what the cores allow.

    python bench/replicas.py [--updates 2000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.databases import temp_database
from bot.app import App
from bot.config import Settings
from reminders.clock import VN_TZ, FixedClock
from tests.conftest import setup_example_ward
from tests.fakes.telegram_api import FakeTelegram
from tests.replica_rig import (
    Replica,
    Updates,
    post,
    skip_disk_waits,
    start_replica,
    stop_replica,
    wait_ready,
)
from tests.test_e2e_telegram import store_november

PEOPLE = (700000001, 700000002, 700000003, 700000004, 700000005)  # examples/ward.toml
QUESTION = "điểm hiện tại?"


async def prepare(url: str) -> None:
    clock = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=url), clock=clock, charts=False)
    try:
        await setup_example_ward(app)
        await store_november(app)
    finally:
        await app.close()


def answers(tg: FakeTelegram) -> int:
    return sum(
        1 for s in tg.sent if s.chat_id in PEOPLE and s.method in ("sendMessage", "sendPhoto")
    )


async def drive(
    tg: FakeTelegram, replicas: list[Replica], updates: Updates, count: int, concurrency: int
) -> float:
    """Posts `count` questions over the replicas; returns updates/s until all are answered."""
    first = answers(tg)
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency * 2)) as http:

        async def one(i: int) -> None:
            person = PEOPLE[i % len(PEOPLE)]
            async with gate:
                await post(
                    http, replicas[i % len(replicas)], updates.message(person, person, QUESTION)
                )
                # in flight until answered: the gate bounds the questions waiting for answers
                while answers(tg) - first < i + 1 - concurrency:
                    await asyncio.sleep(0.005)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        while answers(tg) - first < count:
            await asyncio.sleep(0.005)
        return count / (time.perf_counter() - started)


async def measure(url: str, replicas_wanted: int, count: int, concurrency: int) -> float:
    tg = FakeTelegram()
    await tg.start()
    replicas: list[Replica] = []
    with tempfile.TemporaryDirectory() as logs:
        try:
            for i in range(replicas_wanted):
                replicas.append(
                    await start_replica(f"R{i}", url, tg, Path(logs), CHISO_CACHE_TTL="60")
                )
            for replica in replicas:
                await wait_ready(replica)
            updates = Updates()
            # warm-up: the chart is drawn and uploaded once per replica
            await drive(tg, replicas, updates, 20 * replicas_wanted, concurrency)
            return await drive(tg, replicas, updates, count, concurrency)
        finally:
            for replica in replicas:
                await stop_replica(replica)
            await tg.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    async with temp_database("postgresql") as url:
        await prepare(url)
        await skip_disk_waits(url)
        one = await measure(url, 1, args.updates, args.concurrency)
        print(f"one replica:  {one:7.0f} updates/s", flush=True)
        two = await measure(url, 2, args.updates, args.concurrency)
        print(f"two replicas: {two:7.0f} updates/s", flush=True)
        print(f"ratio:        {two / one:7.2f}")


if __name__ == "__main__":
    asyncio.run(main())
