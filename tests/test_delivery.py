"""The outbox delivery against the fake Bot API: 429 honoured, a blocked chat marked inactive
(and not retried), network errors retried, group messages spaced, each key sent once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.runner import running
from reminders.clock import VN_TZ, OffsetClock
from store.outbox import OutboxItem
from tests.conftest import setup_example_ward
from tests.fakes.telegram_api import FakeTelegram
from tests.test_e2e_telegram import DEPT_GROUP, Bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    """Like the end-to-end fixture, with a clock that moves: retries come due."""
    clock = OffsetClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(
        Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}", cache_ttl=0), clock=clock
    )
    await setup_example_ward(app)
    tg = FakeTelegram()
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    try:
        async with running(app, channel, poll_timeout=1, reminders=False):
            yield Bot(tg, app, channel)
    finally:
        await tg.stop()
        await app.close()


async def _enqueue(bot: Bot, *items: tuple[str, int, str]) -> None:
    outbox = bot.app.services.outbox
    await outbox.enqueue(
        [
            OutboxItem(key=key, channel="telegram", chat_id=str(chat), payload={"text": text})
            for key, chat, text in items
        ],
        bot.app.services.clock.now(),
    )
    assert bot.app.services.on_outbox is not None
    bot.app.services.on_outbox()


async def _status(bot: Bot, key: str) -> str:
    rows = await bot.app.services.outbox.rows(key)
    return rows[0][3]


async def _until(bot: Bot, key: str, status: str) -> None:
    for _ in range(200):
        if await _status(bot, key) == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} is {await _status(bot, key)}, not {status}")


async def test_each_key_once_even_if_enqueued_twice(bot: Bot) -> None:
    await _enqueue(bot, ("k:1", 700000004, "một"))
    await _enqueue(bot, ("k:1", 700000004, "một"))
    await _until(bot, "k:1", "sent")
    assert len(await bot.app.services.outbox.rows("k:1")) == 1  # one row: nothing else to send
    assert [m.text for m in bot.tg.messages_to(700000004)] == ["một"]


async def test_429_is_honoured_and_5xx_retried(bot: Bot) -> None:
    bot.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot.tg.fail_next("sendMessage", 502, "Bad Gateway")
    await _enqueue(bot, ("k:2", 700000004, "hai"))
    await bot.tg.wait_for(lambda m: m.text == "hai", timeout=10)
    codes = [c[2].error_code for c in bot.tg.failures if c[0] == "sendMessage"]
    assert codes == [429, 502]
    await _until(bot, "k:2", "sent")


async def test_a_chat_that_blocked_the_bot_is_marked_inactive(bot: Bot) -> None:
    bot.tg.blocked_chats.add(700000005)
    await bot.app.repo.see_chat("telegram", "700000005", "", False, bot.app.services.clock.now())
    await _enqueue(bot, ("k:3", 700000005, "ba"))
    await _until(bot, "k:3", "failed")
    chat = await bot.app.repo.chat("telegram", "700000005")
    assert chat is not None and not chat.active


async def test_group_messages_are_spaced(bot: Bot) -> None:
    await _enqueue(bot, *[(f"g:{i}", DEPT_GROUP, f"tin {i}") for i in range(3)])
    await bot.tg.wait_for(lambda m: m.text == "tin 2", timeout=15)
    times = [m.timestamp for m in bot.tg.messages_to(DEPT_GROUP)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 2.5 for gap in gaps), gaps  # about 20 a minute at most


async def test_a_reminder_mentions_members_as_telegram_links(bot: Bot) -> None:
    await _enqueue(bot, ("m:1", DEPT_GROUP, "Việc #1 — @[Nguyễn Thị Lan](user:700000004)"))
    sent = await bot.tg.wait_for(lambda m: m.chat_id == DEPT_GROUP, timeout=10)
    assert sent.parse_mode == "HTML"
    assert '<a href="tg://user?id=700000004">Nguyễn Thị Lan</a>' in (sent.text or "")
