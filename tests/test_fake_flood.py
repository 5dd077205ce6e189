"""The fake Telegram's flood limits (`FloodLimits`), exercised through python-telegram-bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import Bot
from telegram.error import RetryAfter

try:  # `tests` is importable when the project root is on sys.path, `fakes` when only tests/ is
    from tests.fakes.telegram_api import FakeTelegram, FloodLimits, FloodRejection
except ModuleNotFoundError:
    from fakes.telegram_api import (  # type: ignore[no-redef]
        FakeTelegram,
        FloodLimits,
        FloodRejection,
    )

# RetryAfter.retry_after as an int is deprecated in favour of a timedelta (PTB_TIMEDELTA=1)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds, whether PTB gives an int or a timedelta."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Clock:
    """The fake's flood clock, moved on by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tg(clock: Clock) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(flood_limits=True, clock=clock)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


async def try_send(bot: Bot, chat_id: int, text: str) -> RetryAfter | None:
    try:
        await bot.send_message(chat_id, text)
    except RetryAfter as error:
        return error
    return None


def test_flood_limits_unit_sliding_windows() -> None:
    limits = FloodLimits(global_per_second=3, group_per_minute=2, group_window=10.0)
    for i, now in enumerate((0.0, 0.1, 0.2)):
        assert limits.wait(-(i + 1), now) == 0.0
        limits.record(-(i + 1), now)
    assert limits.wait(-9, 0.5) == pytest.approx(0.5)  # the global window frees at 1.0
    assert limits.wait(-9, 1.0) == 0.0  # sliding: the send at 0.0 left the window
    limits.record(-1, 1.0)
    assert limits.wait(-1, 1.5) == pytest.approx(8.5)  # group -1 sent at 0.0 and 1.0
    assert limits.wait(-1, 10.0) == 0.0
    limits.reset()
    assert limits.wait(-1, 1.5) == 0.0


def test_flood_limits_unit_private_burst() -> None:
    limits = FloodLimits()
    for now in (0.0, 0.1, 0.2):
        assert limits.wait(7, now) == 0.0
        limits.record(7, now)
    assert limits.wait(7, 0.3) == pytest.approx(0.7)  # 0.3 tokens back, 1 needed
    assert limits.wait(8, 0.3) == 0.0  # per chat
    assert limits.wait(7, 1.0) == 0.0
    limits.record(7, 1.0)
    assert limits.wait(7, 1.5) == pytest.approx(0.5)  # then one per second


async def test_global_limit_30_per_second(bot: Bot, tg: FakeTelegram, clock: Clock) -> None:
    errors = [await try_send(bot, -1000 - i, f"tin {i}") for i in range(40)]
    rejected = [e for e in errors if e is not None]
    assert errors[:30] == [None] * 30  # within one second exactly the limit passes
    assert len(rejected) == 10 and all(seconds(e) == 1 for e in rejected)
    assert [m.chat_id for m in tg.sent] == [-1000 - i for i in range(30)]
    assert len(tg.flood_rejections) == len(rejected) == tg.rate_limited
    assert all(r.method == "sendMessage" and r.retry_after == 1 for r in tg.flood_rejections)
    rejected_chats = {r.chat_id for r in tg.flood_rejections}
    assert not rejected_chats & {m.chat_id for m in tg.sent}  # refused sends were not delivered
    clock.advance(0.875)
    assert await try_send(bot, -2000, "still within the second") is not None
    clock.advance(0.125)  # sliding: the first 30 sends left the window
    assert await try_send(bot, -2000, "a second later") is None
    assert len(tg.sent) == 31


async def test_global_window_slides(bot: Bot, tg: FakeTelegram, clock: Clock) -> None:
    for i in range(20):
        await bot.send_message(-1000 - i, f"tin {i}")
    clock.advance(0.5)
    for i in range(10):
        await bot.send_message(-1100 - i, f"sau {i}")
    assert await try_send(bot, -1200, "31st") is not None  # 30 in the last second
    clock.advance(0.5)  # the first 20 are a second old: 20 places are free
    for i in range(20):
        await bot.send_message(-1300 - i, f"lại {i}")
    assert await try_send(bot, -1400, "31st again") is not None
    assert len(tg.sent) == 50 and tg.rate_limited == 2


async def test_group_limit_21st_in_a_minute_is_refused(bot: Bot, tg: FakeTelegram) -> None:
    tg.flood = FloodLimits(group_window=2.0)  # a 2-second "minute"
    group = -100123
    for i in range(20):
        await bot.send_message(group, f"tin {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group, "tin 20")
    assert seconds(caught.value) == 2  # the clock stands still: the whole window
    assert tg.flood_rejections == [FloodRejection("sendMessage", group, seconds(caught.value))]
    assert len(tg.messages_to(group)) == 20
    await bot.send_message(-100124, "another group is fine")


async def test_group_window_frees(bot: Bot, tg: FakeTelegram, clock: Clock) -> None:
    tg.flood = FloodLimits(group_per_minute=2, group_window=0.5)
    await bot.send_message(-5, "a")
    await bot.send_message(-5, "b")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(-5, "c")
    assert seconds(caught.value) == 1  # whole seconds, at least 1
    clock.advance(0.375)
    assert await try_send(bot, -5, "c") is not None
    clock.advance(0.125)  # "a" and "b" left the window
    await bot.send_message(-5, "c")
    assert [m.text for m in tg.messages_to(-5)] == ["a", "b", "c"]


async def test_private_chat_burst_of_3_then_1_per_second(
    bot: Bot, tg: FakeTelegram, clock: Clock
) -> None:
    for i in range(3):
        await bot.send_message(42, f"tin {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "tin 3")
    assert seconds(caught.value) == 1
    await bot.send_message(43, "another user is fine")
    sent = tg.messages_to(42)
    assert len(sent) == 3
    # edits and chat actions do not count
    await bot.edit_message_text("sửa", chat_id=42, message_id=sent[0].message_id)
    await bot.send_chat_action(42, "typing")

    tg.flood = FloodLimits(chat_per_second=16)  # one more every 62.5 ms
    for i in range(3):
        await bot.send_message(42, f"nhanh {i}")
    assert await try_send(bot, 42, "nhanh 3") is not None
    clock.advance(0.03125)
    assert await try_send(bot, 42, "nhanh 3") is not None  # half a token back
    clock.advance(0.03125)
    await bot.send_message(42, "nhanh 3")


async def test_429_body_is_telegrams(tg: FakeTelegram) -> None:
    tg.flood = FloodLimits(chat_burst=1)
    url = f"{tg.base_url}{tg.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"chat_id": 9, "text": "a"}) as response:
            assert response.status == 200
        async with session.post(url, json={"chat_id": 9, "text": "b"}) as response:
            assert response.status == 429
            body = await response.json()
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [m.text for m in tg.sent] == ["a"]


async def test_limits_off_by_default() -> None:
    async with FakeTelegram() as tg:
        assert tg.flood is None
        async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
            for i in range(25):
                await bot.send_message(-77, f"nhóm {i}")
            for i in range(15):
                await bot.send_message(77, f"riêng {i}")
        assert len(tg.sent) == 40
        assert tg.flood_rejections == []
        assert tg.rate_limited == 0


async def test_duplicates(bot: Bot, tg: FakeTelegram) -> None:
    tg.flood = None
    for chat_id, text in [(1, "a"), (1, "a"), (1, "b"), (1, "a"), (2, "a")]:
        await bot.send_message(chat_id, text)
    await bot.edit_message_text("b", chat_id=1, message_id=1)  # edits are not deliveries
    assert tg.duplicates() == 2
    assert tg.duplicates(key=lambda m: m.text) == 3
