"""Zalo's 2,000-character limit counted as Zalo counts it (UTF-16 code units): a text of 1,999
code points full of emoji is 2,019 units and is refused whole; it arrives split into parts
the (fake) Zalo servers accept. A part refused for length anyway is reported, not dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

import tests.fakes.zalo_bot_api as fake_bot_api
from bot.app import App
from bot.channels.zalo import ZaloBotChannel, ZaloError, send_proactive
from bot.channels.zalo_oa import PROVIDER, ZaloOAClient
from bot.delivery import Delivery, DeliveryError
from bot.render import safe_cut, split_for_zalo, split_text, utf16_len
from handlers.protocol import Reply
from reminders.clock import FixedClock
from store import models as m
from store.oauth import TokenStore
from store.outbox import OutboxItem
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA

FAMILY = "👨‍👩‍👧"  # one picture: five code points, eight UTF-16 units
FLAG = "🇻🇳"


def emoji_text() -> str:
    """1,999 code points, 2,019 UTF-16 units: Vietnamese lines with 20 emoji."""
    line = "Phường đạt 94,72 điểm, xếp hạng 80/114 📊 — số hóa hồ sơ tăng"
    text = "\n".join([line] * 20)
    text += " " + "ệ" * (1999 - len(text) - 1)
    assert len(text) == 1999 and utf16_len(text) == 2019
    return text


def _joined(parts: list[str]) -> str:
    return "".join(parts).replace("\n", "").replace(" ", "")


def test_parts_fit_both_counts() -> None:
    text = emoji_text()
    parts = split_for_zalo(text)
    assert len(parts) == 2
    assert all(len(p) <= 2000 and utf16_len(p) <= 2000 for p in parts)
    assert _joined(parts) == _joined([text])
    assert all(p == p.strip("\n") for p in parts)  # cut at a line boundary


def test_long_lines_cut_at_spaces_and_never_inside_an_emoji() -> None:
    words = " ".join(f"việc{i}😀" for i in range(600))  # one line, no line breaks
    parts = split_for_zalo(words)
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert " ".join(parts) == words  # cut at spaces only
    families = FAMILY * 400  # no spaces: cut between pictures, never inside one
    parts = split_for_zalo(families)
    assert "".join(parts) == families
    assert all(p.startswith("👨") and p.endswith("👧") and utf16_len(p) <= 2000 for p in parts)
    flags = FLAG * 700
    parts = split_for_zalo(flags)
    assert "".join(parts) == flags and all(len(p) % 2 == 0 for p in parts)
    # a combining mark (Vietnamese typed in decomposed form) stays with its letter
    decomposed = "e\u0323\u0302" * 900
    parts = split_for_zalo(decomposed)
    assert "".join(parts) == decomposed and all(p[0] == "e" for p in parts)


def test_safe_cut_and_the_default_measure() -> None:
    assert safe_cut("a" + FAMILY, 3) == 1
    assert safe_cut("ab", 1) == 1
    assert safe_cut(FLAG + FLAG, 3) == 2
    assert split_text("a b c d e", 3) == ["a b", "c d", "e"]  # characters, as before


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloBot]:
    fake = FakeZaloBot()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def oa_client(app: App) -> AsyncIterator[tuple[FakeZaloOA, ZaloOAClient]]:
    oa = FakeZaloOA()
    await oa.start()
    tokens = TokenStore(app.repo.sessions)
    now = app.services.clock.now()
    await tokens.save(
        PROVIDER, "oa-1", oa.access_token, oa.refresh_token, now + timedelta(hours=20), now, None
    )
    client = ZaloOAClient(
        tokens,
        oa.app_id,
        oa.secret_key,
        "oa-1",
        api_base_url=oa.base_url,
        oauth_url=oa.oauth_url,
        clock=app.services.clock.now,
    )
    try:
        yield oa, client
    finally:
        await client.close()
        await oa.stop()


async def test_the_fake_zalo_bot_refuses_what_zalo_refuses(app: App, zalo: FakeZaloBot) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    try:
        with pytest.raises(ZaloError) as refused:
            await channel.call("sendMessage", {"chat_id": "z-1", "text": emoji_text()})
        assert refused.value.error_code == 400
    finally:
        await channel.stop()


async def test_a_zalo_bot_chat_gets_the_text_in_accepted_parts(app: App, zalo: FakeZaloBot) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    try:
        text = emoji_text()
        await send_proactive(channel, "z-1", Reply(text))
        got = [s["text"] for s in zalo.sent if s["chat_id"] == "z-1"]
        assert len(got) == 2 and all(utf16_len(t) <= 2000 for t in got)
        assert _joined(got) == _joined([text])
    finally:
        await channel.stop()


async def test_an_oa_group_gets_the_text_in_accepted_parts(
    oa_client: tuple[FakeZaloOA, ZaloOAClient],
) -> None:
    oa, client = oa_client
    text = emoji_text()
    await client.sender()("g-1", Reply(text))
    got = [msg.text for msg in oa.messages]
    assert len(got) == 2 and all(utf16_len(t) <= 2000 for t in got)
    assert _joined(got) == _joined([text])


async def test_a_part_refused_for_length_is_reported(
    app: App,
    clock: FixedClock,
    zalo: FakeZaloBot,
    oa_client: tuple[FakeZaloOA, ZaloOAClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Zalo tightens its limit: the parts we cut are refused, and the delivery says why
    monkeypatch.setattr(fake_bot_api, "MAX_TEXT_LENGTH", 1000)
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    oa, client = oa_client
    oa.max_text = 1000
    try:
        with pytest.raises(DeliveryError) as bot_error:
            await send_proactive(channel, "z-1", Reply(emoji_text()))
        assert bot_error.value.kind == "rejected"
        assert "part 1/2 refused for length" in str(bot_error.value)
        assert "UTF-16 units" in str(bot_error.value)

        ward = (await app.repo.wards())[0]
        delivery = Delivery(
            app.services.outbox,
            app.repo,
            clock,
            {"zalo": lambda c, r: send_proactive(channel, c, r), "zalo_oa": client.sender()},
        )
        await app.services.outbox.enqueue(
            [
                OutboxItem(
                    key=f"notice:long:{channel_name}",
                    channel=channel_name,
                    chat_id=chat,
                    ward_id=ward.id,
                    lane="notice",
                    payload={"text": emoji_text(), "buttons": []},
                )
                for channel_name, chat in (("zalo", "z-1"), ("zalo_oa", "g-1"))
            ],
            clock.now(),
        )
        assert await delivery.run_once() == 2
        async with app.repo.sessions() as s:
            rows = list(await s.scalars(select(m.Outbox).where(m.Outbox.key.like("notice:long:%"))))
        assert len(rows) == 2
        for row in rows:
            assert row.status == "failed"
            assert row.last_error is not None and "refused for length" in row.last_error
    finally:
        await channel.stop()
