"""Runs the configured channels and the outbox delivery together, and stops them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app import App
from bot.channels.telegram import TelegramChannel, send_proactive
from bot.channels.zalo import ZaloBotChannel
from bot.channels.zalo import send_proactive as send_zalo
from bot.channels.zalo_oa import ZaloOAClient
from bot.delivery import Delivery, Sender, Sent
from bot.ratelimit import BACKGROUND, SlidingWindowLimiter
from bot.webhook import probe_routes
from handlers.protocol import Reply
from reminders.scheduler import ReminderScheduler
from store.keys import broadcast_report_key
from store.leases import Leases
from store.notify import CacheListener

if TYPE_CHECKING:
    from bot.portal import PortalJob

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
    zalo: ZaloBotChannel | None = None,
    zalo_oa: ZaloOAClient | None = None,
) -> AsyncIterator[Delivery]:
    """Channels (listening unless `listen` is off), the outbox delivery in two lanes
    (notices and reminders; broadcasts), the broadcast reports, and the reminder scheduler
    (unless `reminders` is off), stopped in reverse order."""
    senders: dict[str, Sender] = {}
    if telegram is not None:
        channel = telegram

        async def telegram_sender(chat_id: str, reply: Reply) -> Sent | str | None:
            return await send_proactive(channel, chat_id, reply)

        senders["telegram"] = telegram_sender
    # Zalo publishes no flood limits: a conservative overall rate (ZALO_RATE per second),
    # shared by both Zalo senders; groups are also spaced like Telegram's (delivery.py)
    zalo_limiter = SlidingWindowLimiter(limit=max(1, int(app.settings.zalo_rate)))
    if zalo is not None:
        zalo_channel = zalo

        async def zalo_sender(chat_id: str, reply: Reply) -> Sent | str | None:
            async with zalo_limiter.place(BACKGROUND):
                return await send_zalo(zalo_channel, chat_id, reply)

        senders["zalo"] = zalo_sender
    if zalo_oa is not None:
        oa_send = zalo_oa.sender()

        async def oa_sender(chat_id: str, reply: Reply) -> Sent | str | None:
            async with zalo_limiter.place(BACKGROUND):
                return await oa_send(chat_id, reply)

        senders["zalo_oa"] = oa_sender
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
        calendar=services.calendar,
        charts=services.charts,
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
        calendar=services.calendar,
    )

    def wake() -> None:
        delivery.wake()
        broadcasts.wake()

    services.on_outbox = wake
    services.channels = frozenset(senders)  # a broadcast leaves out chats of other channels
    scheduler = ReminderScheduler(
        app.repo,
        services.tasks,
        services.outbox,
        services.clock,
        services.calendar,
        wake,
        channels=frozenset(senders),
        leases=Leases(app.repo.sessions, services.clock),  # one replica ticks
        briefings=True,  # the weekly briefing goes out with the same tick
    )
    tasks: list[asyncio.Task[None]] = []
    stopping = asyncio.Event()
    webhooks: web.AppRunner | None = None
    portal: PortalJob | None = None
    listener: CacheListener | None = None
    try:
        listener = await _listen(app)  # other replicas' writes drop this one's cache
        if telegram is not None and listen:
            await telegram.start(
                timeout=poll_timeout,
                webhook_url=settings.telegram_webhook_url,
                webhook_secret=settings.telegram_webhook_secret,
            )
        elif telegram is not None:
            await telegram.application.initialize()  # send only: `chiso reminders run`
        webhooks = await _start_webhooks(app, telegram, zalo, zalo_oa, listen, poll_timeout)
        tasks = [
            asyncio.create_task(delivery.run()),
            asyncio.create_task(broadcasts.run()),
            asyncio.create_task(_report_broadcasts(app, stopping, wake)),
        ]
        if reminders:
            scheduler.start()
            portal = await _start_portal(app, wake, frozenset(senders))
        yield delivery
    finally:
        scheduler.stop()
        with contextlib.suppress(Exception):  # else it lapses
            await scheduler.release()
        if portal is not None:
            await portal.close()
        delivery.stop()
        broadcasts.stop()
        stopping.set()
        for task in tasks:
            await task
        if telegram is not None:
            await telegram.stop()
        if zalo is not None:
            await zalo.stop()
        if zalo_oa is not None:
            await zalo_oa.close()
        if webhooks is not None:
            await webhooks.cleanup()
        if listener is not None:
            await listener.stop()
        services.on_outbox = None
        services.channels = None


async def _listen(app: App) -> CacheListener | None:
    """On PostgreSQL, the listener that drops this process's cached reads when another
    process writes them (store/notify.py); None on SQLite (one process)."""
    from store.db import is_sqlite, normalize_url
    from store.province import ProvinceStore

    url = normalize_url(app.settings.database_url)
    if is_sqlite(url):
        return None
    listener = CacheListener(url)
    listener.subscribe(app.repo.forget, app.repo.cache_shared)
    listener.subscribe(app.router.missed.forget)
    province = ProvinceStore.for_sessions(app.repo.sessions, app.settings.cache_ttl)

    def province_forget(tables: frozenset[str]) -> None:
        if tables & {"province_rows", "*"}:
            province.invalidate()

    def province_shared(live: bool) -> None:
        province.invalidate()
        province.cache_ttl = app.settings.cache_ttl if live else 0.0

    listener.subscribe(province_forget, province_shared)
    await listener.start()
    if not listener.up:
        log.warning("cache listener: not listening yet; reads skip the cache until it is")
    return listener


async def _start_portal(
    app: App, wake: Callable[[], None], channels: frozenset[str]
) -> PortalJob | None:
    """The national portal's daily fetch (unless CHISO_PORTAL_FETCH is 0). It runs even when
    no ward has [portal] yet: each wake-up reads the wards, so a [portal] added by
    `chiso setup` while the bot runs is fetched without a restart."""
    from bot.portal import PortalJob

    if not app.settings.portal_fetch:
        return None
    services = app.services
    job = PortalJob.from_settings(
        app.settings, app.repo, services.outbox, services.clock, channels=channels, on_outbox=wake
    )
    job.leases = Leases(app.repo.sessions, services.clock)  # one replica fetches
    job.start()
    log.info("portal: daily fetch scheduled")
    return job


async def _start_webhooks(
    app: App,
    telegram: TelegramChannel | None,
    zalo: ZaloBotChannel | None,
    zalo_oa: ZaloOAClient | None,
    listen: bool,
    poll_timeout: int,
) -> web.AppRunner | None:
    """Telegram's webhook (TELEGRAM_WEBHOOK_URL) and the Zalo Bot's (ZALO_WEBHOOK_URL), each
    checked against its secret, the Zalo Bot's long polling otherwise, the OA's signed events,
    and, whenever PUBLIC_BASE_URL is set, the photos and files hosted for Zalo (/files/...):
    one aiohttp server carries them, /health and /ready (bot/webhook.py)."""
    from bot.files import FileHost, telegram_fetcher
    from store.hosted_files import HostedFileStore

    settings = app.settings
    routes: list[web.RouteDef] = []
    if settings.public_base_url:
        files = FileHost(
            HostedFileStore(app.repo.sessions),
            settings.public_base_url,
            app.services.clock,
            ttl=timedelta(hours=settings.file_ttl_hours),
        )
        routes += files.routes()
        # a broadcast's file may be known only by its Telegram id: fetched from Telegram
        fetch_ref = telegram_fetcher(telegram.application.bot) if telegram is not None else None
        for zalo_channel in (zalo, zalo_oa):
            if zalo_channel is not None:
                zalo_channel.files = files
                zalo_channel.fetch_ref = fetch_ref
    elif zalo is not None or zalo_oa is not None:
        log.warning("PUBLIC_BASE_URL is not set: pictures and files are not sent on Zalo")
    if telegram is not None and listen and settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret or ""
        routes.append(web.post("/telegram", telegram.webhook_handler(secret)))
    if zalo is not None and listen:
        if settings.zalo_webhook_url and settings.zalo_webhook_secret:
            await zalo.set_webhook(settings.zalo_webhook_url, settings.zalo_webhook_secret)
            routes.append(web.post("/zalo/bot", zalo.webhook_handler(settings.zalo_webhook_secret)))
        else:
            await zalo.start_polling(timeout=poll_timeout)
    if zalo_oa is not None and listen:

        async def on_event(event: dict[str, object]) -> None:
            log.info("zalo OA event: %s", event.get("event_name"))

        routes.append(web.post("/zalo/oa", zalo_oa.webhook_handler(on_event)))
    if not routes:
        return None

    server = web.Application()
    server.add_routes([*routes, *probe_routes(app.engine)])  # /health, /ready
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    log.info("webhooks on %s:%s", settings.webhook_host, settings.webhook_port)
    return runner


async def _report_broadcasts(app: App, stopping: asyncio.Event, wake: Callable[[], None]) -> None:
    """When a broadcast has no message left to send, its sender gets the report."""
    while not stopping.is_set():
        try:
            if await report_settled(app):
                wake()
        except Exception:
            log.exception("broadcast reports failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=REPORT_EVERY)


async def report_settled(app: App) -> int:
    """Queues the report of every broadcast that has just settled (each once, by its key) to
    its sender; returns how many were queued."""
    from handlers.broadcast import report
    from locales import translator
    from reminders.hours import ANYTIME_UNTIL, OUTSIDE_HOURS_GRACE
    from store.outbox import OutboxItem

    settled = await app.services.broadcasts.settle()
    now = app.services.clock.now()
    items = []
    for b, channel, chat in settled:
        if channel not in ("telegram", "zalo") or not chat:
            continue
        payload: dict[str, object] = {"text": report(b, translator("vi")), "buttons": []}
        if b.outside_hours:  # the sender chose that time: the report follows at once
            payload[ANYTIME_UNTIL] = (now + OUTSIDE_HOURS_GRACE).isoformat()
        items.append(
            OutboxItem(
                key=broadcast_report_key(b.id),
                channel=channel,
                chat_id=chat,
                ward_id=b.ward_id,
                lane="notice",
                payload=payload,
            )
        )
    return await app.services.outbox.enqueue(items, now)
