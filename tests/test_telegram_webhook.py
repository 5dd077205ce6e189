"""Telegram by webhook: Telegram is told the URL and secret; a post without the secret is
refused and changes nothing; with it, the update is answered."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.runner import running
from tests.fakes.telegram_api import FakeTelegram

SECRET = "webhook-secret-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_checks_the_secret_and_answers(app: App, tmp_path: Path) -> None:
    port = free_port()
    app.settings = replace(
        app.settings,
        telegram_webhook_url="https://bot.example/telegram",
        telegram_webhook_secret=SECRET,
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    tg = FakeTelegram()
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1763600000,
            "text": "/help",
            "chat": {"id": 700000004, "type": "private"},
            "from": {"id": 700000004, "is_bot": False, "first_name": "Lan"},
        },
    }
    try:
        async with running(app, channel, reminders=False):
            hook = await tg.wait_for_call("setWebhook")
            assert hook["url"] == "https://bot.example/telegram"
            assert hook["secret_token"] == SECRET
            url = f"http://127.0.0.1:{port}/telegram"
            async with aiohttp.ClientSession() as http:
                forged = await http.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
                )
                assert forged.status == 401
                good = await http.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
                assert good.status == 200
            reply = await tg.wait_for(lambda m: m.chat_id == 700000004)
            assert "/diem" in (reply.plain_text or "")
            assert len([m for m in tg.sent if m.chat_id == 700000004]) == 1
    finally:
        await tg.stop()
