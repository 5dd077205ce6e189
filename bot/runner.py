"""Runs the configured channels and the outbox delivery together, and stops them cleanly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App
from bot.channels.telegram import TelegramChannel, send_proactive
from bot.delivery import Delivery, Sender
from handlers.protocol import Reply

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(
    app: App, telegram: TelegramChannel | None, poll_timeout: int = 30
) -> AsyncIterator[Delivery]:
    senders: dict[str, Sender] = {}
    if telegram is not None:
        channel = telegram

        async def telegram_sender(chat_id: str, reply: Reply) -> None:
            await send_proactive(channel, chat_id, reply)

        senders["telegram"] = telegram_sender
    delivery = Delivery(app.services.outbox, app.repo, app.services.clock, senders)
    app.services.on_outbox = delivery.wake
    task: asyncio.Task[None] | None = None
    try:
        if telegram is not None:
            await telegram.start(timeout=poll_timeout)
        task = asyncio.create_task(delivery.run())
        yield delivery
    finally:
        delivery.stop()
        if task is not None:
            await task
        if telegram is not None:
            await telegram.stop()
        app.services.on_outbox = None
