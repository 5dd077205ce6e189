"""The Zalo Bot adapter against a fake Zalo Bot API: polling, numbered choices, webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.channels.zalo import TEXT_LIMIT, ZaloBotChannel, render_texts, send_proactive, to_inbound
from bot.delivery import DeliveryError, Sent
from handlers.protocol import Button, Reply
from tests.conftest import EXAMPLE_WARD
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.test_e2e_telegram import REPORT, store_november

STAFF = "8532000000000000004"  # Nguyễn Thị Lan, TTPVHCC (examples/ward.toml)
ADMIN = "8532000000000000003"  # Phạm Quốc Bảo, given a zalo_id by `admin_on_zalo`
STRANGER = "8532999999999999999"
SECRET = "webhook-secret-123"


@dataclass
class Bot:
    zalo: FakeZaloBot
    app: App
    channel: ZaloBotChannel


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloBot]:
    fake = FakeZaloBot()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot(app: App, zalo: FakeZaloBot) -> AsyncIterator[Bot]:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    await channel.start_polling(timeout=1)
    try:
        yield Bot(zalo, app, channel)
    finally:
        await channel.stop()


async def admin_on_zalo(app: App) -> None:
    from ingest.ward_config import load_ward_config
    from store.setup import apply_ward_config

    text = EXAMPLE_WARD.read_text(encoding="utf-8")
    anchor = "telegram_id = 700000003\n"
    assert text.count(anchor) == 1
    cfg = load_ward_config(text.replace(anchor, f'{anchor}zalo_id = "{ADMIN}"\n'))
    async with app.repo.sessions.begin() as s:
        await apply_ward_config(s, cfg, app.services.clock.now())
    app.repo.invalidate()


async def test_staff_asks_current_score(bot: Bot) -> None:
    await store_november(bot.app)
    bot.zalo.push_text(chat_id=STAFF, user_id=STAFF, text="diem hien tai")
    reply = await bot.zalo.wait_for(lambda s: s["chat_id"] == STAFF)
    text = reply["text"]
    assert reply["method"] == "sendMessage"
    assert "91,68" in text and "80/114" in text
    assert "**" not in text
    # the webhook was deleted before polling; the typing action shown
    assert any(method == "deleteWebhook" for method, _ in bot.zalo.calls)
    assert any(method == "sendChatAction" for method, _ in bot.zalo.calls)


async def test_stranger_gets_polite_refusal(bot: Bot) -> None:
    bot.zalo.push_text(chat_id=STRANGER, user_id=STRANGER, text="điểm hiện tại?")
    reply = await bot.zalo.wait_for(lambda s: s["chat_id"] == STRANGER)
    assert STRANGER in reply["text"]
    assert "chưa có trong danh sách" in reply["text"]


async def test_group_mention_is_answered(bot: Bot) -> None:
    # the bot sees only mentions and quote-replies in a group: each one is addressed to it
    group = "g-1234"
    bot.zalo.push_text(group, STAFF, "@ChiSo Bot diem hien tai", chat_type="GROUP")
    reply = await bot.zalo.wait_for(lambda s: s["chat_id"] == group)
    assert "/dangky" in reply["text"]  # an unregistered group: how to register it
    chat = await bot.app.repo.chat("zalo", group)
    assert chat is not None and not chat.registered


async def test_admin_confirms_report_with_a_number(bot: Bot) -> None:
    await admin_on_zalo(bot.app)
    zalo = bot.zalo
    zalo.push_text(chat_id=ADMIN, user_id=ADMIN, text=REPORT, display_name="Bảo")
    preview = await zalo.wait_for(lambda s: s["chat_id"] == ADMIN)
    assert "1. ✅ Lưu" in preview["text"] and "2. ✖" in preview["text"]
    assert "94,72" in preview["text"]
    assert not await bot.app.repo.has_snapshots(1)
    since = zalo.cursor
    zalo.push_text(chat_id=ADMIN, user_id=ADMIN, text="1", display_name="Bảo")
    stored = await zalo.wait_for(lambda s: s["chat_id"] == ADMIN, since=since)
    assert "Đã lưu" in stored["text"]
    assert await bot.app.repo.has_snapshots(1)


async def test_polling_survives_errors_and_conflicts(app: App, zalo: FakeZaloBot) -> None:
    zalo.fail_next("getUpdates", 502, "Bad Gateway")
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    await channel.start_polling(timeout=1)
    try:
        zalo.push_text(chat_id=STRANGER, user_id=STRANGER, text="hello")
        await zalo.wait_for(lambda s: s["chat_id"] == STRANGER, timeout=8)
    finally:
        await asyncio.wait_for(channel.stop(), 30)  # it stops (the timeout only guards a hang)


def test_long_text_is_split_at_line_boundaries() -> None:
    lines = [f"Dòng {i:04d}: " + "x" * 80 for i in range(60)]  # ~5,500 characters
    reply = Reply("\n".join(lines), buttons=[[Button("Có", "p1:yes"), Button("Không", "p1:no")]])
    parts = render_texts(reply, "vi")
    assert len(parts) >= 3
    assert all(1 <= len(p) <= TEXT_LIMIT for p in parts)
    body = "\n".join(parts).split("\n")
    assert body[: len(lines)] == lines  # every line whole, in order
    assert "  1. Có" in parts[-1] and "  2. Không" in parts[-1]
    assert render_texts(Reply(""), "vi") == []


def test_updates_to_inbound() -> None:
    private = FakeZaloBot.text_update(STAFF, STAFF, "**chào**", display_name="Lan")
    inbound = to_inbound(private)
    assert inbound is not None
    assert (inbound.channel, inbound.chat_id, inbound.chat_kind) == ("zalo", STAFF, "private")
    assert (inbound.user_id, inbound.user_name, inbound.addressed) == (STAFF, "Lan", True)
    group = FakeZaloBot.text_update("g1", STAFF, "@ChiSo Bot, điểm?", chat_type="GROUP")
    inbound = to_inbound(group, ["ChiSo Bot"])
    assert inbound is not None and inbound.chat_kind == "group" and inbound.text == "điểm?"
    assert to_inbound(FakeZaloBot.text_update("1", "2", "hi", is_bot=True)) is None
    sticker = {**private, "event_name": "message.sticker.received"}
    assert to_inbound(sticker) is None


async def test_send_proactive_maps_errors(app: App, zalo: FakeZaloBot) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    try:
        assert await send_proactive(channel, STAFF, Reply("Xin chào")) == Sent()
        assert zalo.sent[-1]["text"] == "Xin chào"
        zalo.blocked.add("blocked-chat")
        with pytest.raises(DeliveryError) as blocked:
            await send_proactive(channel, "blocked-chat", Reply("x"))
        assert blocked.value.kind == "blocked"
        zalo.fail_next("sendMessage", 429, "Too Many Requests", {"retry_after": 7})
        with pytest.raises(DeliveryError) as flood:
            await send_proactive(channel, STAFF, Reply("x"))
        assert flood.value.kind == "retry" and flood.value.retry_after == 7
        zalo.fail_next("sendMessage", 400, "Bad Request: chat_id is invalid")
        with pytest.raises(DeliveryError) as rejected:
            await send_proactive(channel, STAFF, Reply("x"))
        assert rejected.value.kind == "rejected"
        down = ZaloBotChannel(app.router, zalo.token, api_base_url="http://127.0.0.1:9")
        with pytest.raises(DeliveryError) as network:
            await send_proactive(down, STAFF, Reply("x"))
        assert network.value.kind == "retry"
        await down.stop()
    finally:
        await channel.stop()


async def test_webhook_checks_secret_and_replies(app: App, zalo: FakeZaloBot) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    with pytest.raises(ValueError):
        await channel.set_webhook("https://example.org/zalo", "short")
    await channel.set_webhook("https://example.org/zalo", SECRET)
    assert zalo.webhook == {"url": "https://example.org/zalo", "secret_token": SECRET}
    webapp = web.Application()
    webapp.router.add_post("/zalo", channel.webhook_handler(SECRET))
    update = FakeZaloBot.text_update(STRANGER, STRANGER, "xin chào")
    try:
        async with TestClient(TestServer(webapp)) as client:
            wrong = await client.post(
                "/zalo",
                json={"ok": True, "result": update},
                headers={"X-Bot-Api-Secret-Token": "not-the-secret"},
            )
            assert wrong.status == 401
            missing = await client.post("/zalo", json={"ok": True, "result": update})
            assert missing.status == 401

            right = await client.post(
                "/zalo",
                json={"ok": True, "result": update},
                headers={"X-Bot-Api-Secret-Token": SECRET},
            )
            assert right.status == 200
            reply = await zalo.wait_for(lambda s: s["chat_id"] == STRANGER)
            assert STRANGER in reply["text"]
            assert zalo.sent == [reply]  # the two refused updates were not answered
            # the bare update is accepted too
            since = zalo.cursor
            bare = await client.post(
                "/zalo", json=update, headers={"X-Bot-Api-Secret-Token": SECRET}
            )
            assert bare.status == 200
            await zalo.wait_for(lambda s: s["chat_id"] == STRANGER, since=since)
            assert len(zalo.sent) == 2
    finally:
        await channel.stop()


DIRECTIVE = """CHỈ THỊ
Về việc số hóa hồ sơ thủ tục hành chính
Chủ tịch Ủy ban nhân dân phường yêu cầu các phòng, đơn vị thực hiện tốt các nội dung sau:
1. Trung tâm Phục vụ hành chính công
- Số hóa 100% hồ sơ thủ tục hành chính tiếp nhận trong tháng; hoàn thành trước ngày 28/11/2025.
2. Phòng Văn hóa - Xã hội
- Tuyên truyền thanh toán trực tuyến trên nhóm Zalo các tổ dân phố; hoàn thành trong tháng 12/2025.
"""


async def test_admin_confirms_a_directive_with_numbers(bot: Bot) -> None:
    await admin_on_zalo(bot.app)
    zalo = bot.zalo
    zalo.push_text(chat_id=ADMIN, user_id=ADMIN, text=DIRECTIVE, display_name="Bảo")
    preview = await zalo.wait_for(lambda s: s["chat_id"] == ADMIN)
    assert "1. ✅ Xác nhận" in preview["text"] and "28/11/2025" in preview["text"]
    since = zalo.cursor
    zalo.push_text(chat_id=ADMIN, user_id=ADMIN, text="/bo 2", display_name="Bảo")
    fixed = await zalo.wait_for(lambda s: s["chat_id"] == ADMIN, since=since)
    assert "Đã bỏ việc số 2" in fixed["text"]
    since = zalo.cursor
    zalo.push_text(chat_id=ADMIN, user_id=ADMIN, text="1", display_name="Bảo")
    stored = await zalo.wait_for(lambda s: s["chat_id"] == ADMIN, since=since)
    assert "Đã lưu: 1 việc" in stored["text"]
