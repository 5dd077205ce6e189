"""Runs the configured channels and the outbox delivery together, and stops them cleanly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.app import App
from bot.channels.telegram import TelegramChannel, send_proactive
from bot.delivery import Delivery, Sender
from handlers.protocol import Reply
from reminders.scheduler import ReminderScheduler

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(
    app: App,
    telegram: TelegramChannel | None,
    poll_timeout: int = 30,
    listen: bool = True,
    reminders: bool = True,
) -> AsyncIterator[Delivery]:
    """Channels (listening unless `listen` is off), the outbox delivery, and the reminder
    scheduler (unless `reminders` is off), stopped in reverse order."""
    senders: dict[str, Sender] = {}
    if telegram is not None:
        channel = telegram

        async def telegram_sender(chat_id: str, reply: Reply) -> None:
            await send_proactive(channel, chat_id, reply)

        senders["telegram"] = telegram_sender
    lease = timedelta(seconds=app.settings.outbox_lease)
    delivery = Delivery(
        app.services.outbox,
        app.repo,
        app.services.clock,
        senders,
        lease=lease,
        group_interval=app.settings.group_interval,
    )
    app.services.on_outbox = delivery.wake
    scheduler = ReminderScheduler(
        app.repo,
        app.services.tasks,
        app.services.outbox,
        app.services.clock,
        app.services.calendar,
        delivery.wake,
    )
    task: asyncio.Task[None] | None = None
    try:
        if telegram is not None and listen:
            await telegram.start(timeout=poll_timeout)
        elif telegram is not None:
            await telegram.application.initialize()  # send only: `chiso reminders run`
        task = asyncio.create_task(delivery.run())
        if reminders:
            scheduler.start()
        yield delivery
    finally:
        scheduler.stop()
        delivery.stop()
        if task is not None:
            await task
        if telegram is not None:
            await telegram.stop()
        app.services.on_outbox = None
