"""Runs the configured channels and the outbox delivery together, and stops them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.app import App
from bot.channels.telegram import TelegramChannel, send_proactive
from bot.delivery import Delivery, Sender
from handlers.protocol import Reply
from reminders.scheduler import ReminderScheduler

log = logging.getLogger(__name__)
BROADCAST_CONCURRENCY = 4  # sends in flight in the broadcast lane (the limiter paces them)
REPORT_EVERY = 5.0  # seconds between checks for finished broadcasts


@asynccontextmanager
async def running(
    app: App,
    telegram: TelegramChannel | None,
    poll_timeout: int = 30,
    listen: bool = True,
    reminders: bool = True,
) -> AsyncIterator[Delivery]:
    """Channels (listening unless `listen` is off), the outbox delivery in two lanes
    (notices and reminders; broadcasts), the broadcast reports, and the reminder scheduler
    (unless `reminders` is off), stopped in reverse order."""
    senders: dict[str, Sender] = {}
    if telegram is not None:
        channel = telegram

        async def telegram_sender(chat_id: str, reply: Reply) -> str | None:
            return await send_proactive(channel, chat_id, reply)

        senders["telegram"] = telegram_sender
    settings, services = app.settings, app.services
    lease = timedelta(seconds=settings.outbox_lease)
    delivery = Delivery(
        services.outbox,
        app.repo,
        services.clock,
        senders,
        lease=lease,
        group_interval=settings.group_interval,
        lanes=["notice", "reminder"],
    )
    broadcasts = Delivery(
        services.outbox,
        app.repo,
        services.clock,
        senders,
        lease=lease,
        group_interval=settings.group_interval,
        lanes=["broadcast"],
        concurrency=BROADCAST_CONCURRENCY,
        attachments=services.broadcasts.attachment,
    )

    def wake() -> None:
        delivery.wake()
        broadcasts.wake()

    services.on_outbox = wake
    scheduler = ReminderScheduler(
        app.repo, services.tasks, services.outbox, services.clock, services.calendar, wake
    )
    tasks: list[asyncio.Task[None]] = []
    stopping = asyncio.Event()
    try:
        if telegram is not None and listen:
            await telegram.start(timeout=poll_timeout)
        elif telegram is not None:
            await telegram.application.initialize()  # send only: `chiso reminders run`
        tasks = [
            asyncio.create_task(delivery.run()),
            asyncio.create_task(broadcasts.run()),
            asyncio.create_task(_report_broadcasts(app, stopping, wake)),
        ]
        if reminders:
            scheduler.start()
        yield delivery
    finally:
        scheduler.stop()
        delivery.stop()
        broadcasts.stop()
        stopping.set()
        for task in tasks:
            await task
        if telegram is not None:
            await telegram.stop()
        services.on_outbox = None


async def _report_broadcasts(app: App, stopping: asyncio.Event, wake: Callable[[], None]) -> None:
    """When a broadcast has no message left to send, its sender gets the report."""
    from handlers.broadcast import report
    from locales import translator
    from store.outbox import OutboxItem

    while not stopping.is_set():
        try:
            settled = await app.services.broadcasts.settle()
            items = [
                OutboxItem(
                    key=f"report:broadcast:{b.id}",
                    channel=channel,
                    chat_id=chat,
                    ward_id=b.ward_id,
                    lane="notice",
                    payload={"text": report(b, translator("vi")), "buttons": []},
                )
                for b, channel, chat in settled
                if channel in ("telegram", "zalo") and chat
            ]
            if items:
                await app.services.outbox.enqueue(items, app.services.clock.now())
                wake()
        except Exception:
            log.exception("broadcast reports failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=REPORT_EVERY)
