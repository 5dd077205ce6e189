"""Reply latency while a broadcast runs: the example ward, a broadcast to 300 residents'
groups over the fake Bot API enforcing Telegram's flood limits, and the chairman asking
"điểm hiện tại?" every 1.2 s meanwhile (a person asks at most about once a second). Prints
min / median / max seconds from the question to its answer (target: under 1 s), the 429s
seen and how long the broadcast took. This was a wall-clock assertion of
tests/test_broadcast.py; the test now checks order and counts only.

    python bench/latency.py [--chats 300] [--questions 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.runner import running
from reminders.clock import VN_TZ, OffsetClock
from tests.conftest import setup_example_ward
from tests.fakes.telegram_api import FakeTelegram
from tests.test_e2e_telegram import store_november

CHAIRMAN = 700000001
TARGET = 1.0  # seconds


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = OffsetClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
        app = await App.open(
            Settings(database_url=f"sqlite:///{Path(tmp) / 'l.sqlite3'}"), clock=clock
        )
        tg = FakeTelegram(flood_limits=True)
        await tg.start()
        try:
            await setup_example_ward(app)
            await store_november(app)
            ward = (await app.repo.wards())[0]
            now = clock.now()
            for i in range(args.chats):
                await app.repo.register_chat(
                    "telegram", str(-2_000_000 - i), ward.id, "residents", None, f"TDP {i}", now
                )
            chats = await app.repo.ward_chats(ward.id, "residents")
            channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
            async with running(app, channel, poll_timeout=1, reminders=False):
                started = time.monotonic()
                broadcast_id = await app.services.broadcasts.create(
                    ward.id,
                    sender="bench",
                    sender_channel="cli",
                    sender_chat="",
                    text="Hướng dẫn",
                    audience="bench",
                    chats=chats,
                    send_at=now,
                    at=now,
                )
                assert app.services.on_outbox is not None
                app.services.on_outbox()
                await asyncio.sleep(2)  # the broadcast is under way
                latencies = []
                for _ in range(args.questions):
                    since = tg.cursor
                    asked = time.monotonic()
                    tg.push_message(chat_id=CHAIRMAN, user_id=CHAIRMAN, text="điểm hiện tại?")
                    await tg.wait_for(lambda m: m.chat_id == CHAIRMAN, since=since, timeout=30)
                    latencies.append(time.monotonic() - asked)
                    await asyncio.sleep(1.2)
                while True:
                    b = await app.services.broadcasts.get(ward.id, broadcast_id)
                    if b is not None and b.counts.get("sent", 0) + b.counts.get("failed", 0) == len(
                        chats
                    ):
                        break
                    await asyncio.sleep(0.1)
                took = time.monotonic() - started
        finally:
            await tg.stop()
            await app.close()
    print(f"broadcast to {len(chats)} chats: {took:.1f} s ({len(chats) / took:.1f}/s)")
    print(
        f"reply latency during the broadcast, {len(latencies)} questions: "
        f"min {min(latencies):.3f} s, median {statistics.median(latencies):.3f} s, "
        f"max {max(latencies):.3f} s (target: under {TARGET:.0f} s)"
    )
    print(f"429 answers: {tg.rate_limited} {tg.flood_rejections}")


if __name__ == "__main__":
    asyncio.run(main())
