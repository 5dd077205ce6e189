"""5,000 "điểm hiện tại?" updates through the real PTB Application, next to a bare echo bot.

Both bots run on the same machine in the same process, with the Bot API answered in-process
(bench/inprocess_bot_api.py) and a year of snapshots stored in SQLite. Prints updates/s of
both, their ratio, and p50/p99 latency (from the update entering PTB's queue to its handler
finishing: the text answer and the chart, sent by file_id) in two modes: a burst of all
updates at once (throughput) and a paced stream at a fixed rate (latency under load).

    python bench/updates.py [--updates 5000] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters

from bench.inprocess_bot_api import InProcessBotAPI
from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.demo import install_demo

GROUP = -1001000000002  # the TTPVHCC group of examples/ward.toml
USER = 700000004  # Nguyễn Thị Lan, staff of TTPVHCC


def make_update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": GROUP, "type": "supergroup", "title": "Trung tâm PVHCC"},
            "from": {"id": USER, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
            "text": text,
        },
    }


class Timing:
    def __init__(self) -> None:
        self.start: dict[int, float] = {}
        self.latency: list[float] = []
        self.done = asyncio.Event()
        self.expected = 0

    def finish(self, update_id: int) -> None:
        self.latency.append(time.perf_counter() - self.start.pop(update_id))
        if len(self.latency) >= self.expected:
            self.done.set()


def timed(
    handler: Callable[..., Awaitable[None]], timing: Timing
) -> Callable[..., Awaitable[None]]:
    async def wrapper(update: Update, context: Any) -> None:
        try:
            await handler(update, context)
        finally:
            timing.finish(update.update_id)

    return wrapper


async def drive(
    app: Application, timing: Timing, count: int, text: str, rate: float | None, first_id: int
) -> tuple[float, list[float]]:
    timing.latency, timing.expected = [], count
    timing.done.clear()
    updates = [Update.de_json(make_update(first_id + i, text), app.bot) for i in range(count)]
    began = time.perf_counter()
    for i, update in enumerate(updates):
        if rate:
            target = began + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        timing.start[update.update_id] = time.perf_counter()
        await app.update_queue.put(update)
    await asyncio.wait_for(timing.done.wait(), timeout=600)
    return time.perf_counter() - began, list(timing.latency)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_bot(
    build: Callable[[Timing], Awaitable[tuple[Application, Callable[[], Awaitable[None]]]]],
    count: int,
    rate: float,
    text: str,
) -> dict[str, float]:
    timing = Timing()
    app, cleanup = await build(timing)
    await app.initialize()
    await app.start()
    try:
        await drive(app, timing, 200, text, None, 1)  # warm up: chart drawn, caches filled
        elapsed, _ = await drive(app, timing, count, text, None, 10_000)
        _, paced = await drive(app, timing, min(count, int(rate * 4)), text, rate, 100_000)
    finally:
        await app.stop()
        await app.shutdown()
        await cleanup()
    return {"rate": count / elapsed, "p50": pct(paced, 0.5), "p99": pct(paced, 0.99)}


async def chiso_bot(timing: Timing, db: Path) -> tuple[Application, Callable[[], Awaitable[None]]]:
    settings = Settings(database_url=f"sqlite:///{db}", cache_ttl=5.0)
    core = await App.open(settings)
    await install_demo(core)
    channel = TelegramChannel(
        core.router,
        "123:BENCH",
        concurrent_updates=64,
        request=InProcessBotAPI(),
        flood_limit=1_000_000,  # no Telegram here: measure the bot, not the flood limit
    )
    core.router.bot_username = "bench_bot"
    for group in channel.application.handlers.values():
        for handler in group:
            if isinstance(handler, MessageHandler):
                handler.callback = timed(handler.callback, timing)
    return channel.application, core.close


async def echo_bot(timing: Timing) -> tuple[Application, Callable[[], Awaitable[None]]]:
    request = InProcessBotAPI()
    app = (
        ApplicationBuilder()
        .token("123:ECHO")
        .request(request)
        .get_updates_request(request)
        .concurrent_updates(64)
        .build()
    )

    async def echo(update: Update, context: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    app.add_handler(MessageHandler(filters.TEXT, timed(echo, timing)))

    async def nothing() -> None:
        return None

    return app, nothing


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="paced updates/s")
    args = parser.parse_args()
    text = "điểm hiện tại?"
    with tempfile.TemporaryDirectory() as tmp:
        chiso = await run_bot(
            lambda t: chiso_bot(t, Path(tmp) / "bench.sqlite3"), args.updates, args.rate, text
        )
    echo = await run_bot(echo_bot, args.updates, args.rate, text)
    print(f"updates: {args.updates} burst; latency measured at a paced {args.rate:g}/s")
    print(f"{'bot':<10} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, r in (("chiso", chiso), ("ptb echo", echo)):
        print(f"{name:<10} {r['rate']:>10.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}")
    print(f"ratio chiso/echo: {chiso['rate'] / echo['rate']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
