"""How quickly the fake Bot API (tests/fakes/telegram_api.py) answers the waits tests rely on,
measured through python-telegram-bot: a waiting long poll answered by a pushed update, a
waiting long poll released by `stop()`, and a polling `Application` stopping (updater, app,
shutdown). Prints min / median / max milliseconds of each over `--rounds` rounds. These were
wall-clock assertions of tests/test_fake_telegram.py (under 2 s each); the tests now only
check that each happens.

    python bench/fake_server.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot
from telegram.ext import ApplicationBuilder

from tests.fakes.telegram_api import FakeTelegram


async def push_answers_poll() -> float:
    async with FakeTelegram() as tg, Bot(tg.token, base_url=tg.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=60, read_timeout=90))
        await tg.wait_for_call("getUpdates")
        started = time.perf_counter()
        tg.push_message(chat_id=1, user_id=1, text="now")
        await poll
        return time.perf_counter() - started


async def stop_releases_poll() -> float:
    tg = FakeTelegram()
    await tg.start()
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=60, read_timeout=90))
        await tg.wait_for_call("getUpdates")
        started = time.perf_counter()
        await tg.stop()
        await poll
        return time.perf_counter() - started


async def application_stops() -> float:
    async with FakeTelegram() as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await tg.wait_for_call("getUpdates")
        started = time.perf_counter()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        return time.perf_counter() - started


CASES: dict[str, Callable[[], Awaitable[float]]] = {
    "push answers a waiting long poll": push_answers_poll,
    "stop() releases a waiting long poll": stop_releases_poll,
    "a polling Application stops": application_stops,
}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"{'':<38} {'min ms':>8} {'median':>8} {'max':>8}")
    for name, case in CASES.items():
        times = [await case() for _ in range(args.rounds)]
        print(
            f"{name:<38} {min(times) * 1e3:8.1f} {statistics.median(times) * 1e3:8.1f}"
            f" {max(times) * 1e3:8.1f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
