"""A broadcast to 1,000 group chats through the real bot against the fake Bot API enforcing
Telegram's flood limits (30 messages/s overall, 20/min per group, ~1/s per private chat),
while five staff keep asking "điểm hiện tại?". Prints the delivered rate against the 30/s
limit, 429s seen, duplicates, and the p50/p99 latency of the interactive replies.

    python bench/broadcast.py [--chats 1000]
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

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.demo import install_demo
from bot.runner import running
from reminders.clock import VN_TZ, OffsetClock
from tests.fakes.telegram_api import FakeTelegram

ASKERS = (700000001, 700000002, 700000003, 700000004, 700000005)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--askers", type=int, default=len(ASKERS), help="staff asking meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = OffsetClock(datetime.now(VN_TZ))
        app = await App.open(
            Settings(database_url=f"sqlite:///{Path(tmp) / 'b.sqlite3'}"), clock=clock
        )
        await install_demo(app)
        ward = (await app.repo.wards())[0]
        now = clock.now()
        for i in range(args.chats):
            await app.repo.register_chat(
                "telegram", str(-3_000_000 - i), ward.id, "residents", None, f"TDP {i}", now
            )
        chats = [
            c for c in await app.repo.ward_chats(ward.id, "residents") if c.chat_id.startswith("-3")
        ]
        tg = FakeTelegram(flood_limits=True)
        await tg.start()
        channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
        latencies: list[float] = []
        try:
            async with running(app, channel, poll_timeout=1, reminders=False):
                # warm up: the answer's chart is drawn and uploaded once, before the broadcast
                since = tg.cursor
                tg.push_message(chat_id=ASKERS[0], user_id=ASKERS[0], text="điểm hiện tại?")
                await tg.wait_for(lambda m: m.chat_id == ASKERS[0], since=since, timeout=30)
                await asyncio.sleep(1.1)
                started = time.monotonic()
                broadcast_id = await app.services.broadcasts.create(
                    ward.id,
                    sender="bench",
                    sender_channel="cli",
                    sender_chat="",
                    text="Hướng dẫn nộp hồ sơ trực tuyến",
                    audience="bench",
                    chats=chats,
                    send_at=clock.now(),
                    at=clock.now(),
                )
                assert app.services.on_outbox is not None
                app.services.on_outbox()

                async def ask(user: int) -> None:
                    while True:
                        since = tg.cursor
                        t0 = time.monotonic()
                        tg.push_message(chat_id=user, user_id=user, text="điểm hiện tại?")
                        await tg.wait_for(lambda m, u=user: m.chat_id == u, since=since, timeout=10)
                        latencies.append(time.monotonic() - t0)
                        await asyncio.sleep(1.5)

                askers = [asyncio.create_task(ask(u)) for u in ASKERS[: args.askers]]
                while True:
                    b = await app.services.broadcasts.get(ward.id, broadcast_id)
                    assert b is not None
                    if b.counts.get("sent", 0) + b.counts.get("failed", 0) >= len(chats):
                        break
                    await asyncio.sleep(0.5)
                for task in askers:
                    task.cancel()
                received = [
                    m
                    for m in tg.sent
                    if m.method == "sendMessage" and str(m.chat_id).startswith("-3")
                ]
                first = min(m.timestamp for m in received)
                last = max(m.timestamp for m in received)
                elapsed = time.monotonic() - started
        finally:
            await tg.stop()
            await app.close()
    rate = (len(received) - 1) / (last - first) if len(received) > 1 else 0.0
    during = [
        m
        for m in tg.sent
        if m.method in ("sendMessage", "sendPhoto") and first <= m.timestamp <= last
    ]
    total_rate = (len(during) - 1) / (last - first) if len(during) > 1 else 0.0
    dupes = len(received) - len({m.chat_id for m in received})
    print(
        f"broadcast to {len(chats)} group chats: {len(received)} delivered in "
        f"{elapsed:.1f} s (first to last message {last - first:.1f} s)"
    )
    print(
        f"delivered rate, all messages during the broadcast: {total_rate:.2f}/s = "
        f"{total_rate / 30 * 100:.1f}% of the 30/s limit (the broadcast alone: {rate:.2f}/s)"
    )
    print(f"429 answers seen: {tg.rate_limited}; duplicates: {dupes}")
    if "--debug" in sys.argv:
        print(sorted(round(x * 1000) for x in latencies)[-8:])
    print(
        f"interactive replies during the broadcast: {len(latencies)}, "
        f"p50 {pct(latencies, 0.5):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
