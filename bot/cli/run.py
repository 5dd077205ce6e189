"""`chiso run` (every configured channel), `chiso chat` (the console) and `chiso demo` (the
sample ward, then the console)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.common import _, err, log, open_app, out

if TYPE_CHECKING:
    from datetime import datetime

    from bot.app import App
    from bot.config import Settings
    from store.leases import LeaseHeld
    from store.records import PersonRec

MAX_NAMES = 20  # names listed when --as fits several people


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help=_("start every configured channel"))
    run.add_argument("--as", dest="who", help=_("console only: speak as this person or role"))
    run.add_argument(
        "--webhook",
        action="store_true",
        help=_("receive messages only through webhooks, never by polling (for several replicas)"),
    )
    run.set_defaults(run=lambda settings, args: cmd_run(settings, args.who, args.webhook))
    chat = sub.add_parser("chat", help=_("talk to the bot on this terminal"))
    chat.add_argument("--as", dest="who", help=_("a person's name or a role"))
    chat.set_defaults(run=lambda settings, args: cmd_chat(settings, args.who))
    demo = sub.add_parser("demo", help=_("set up the sample ward and chat as its chairman"))
    demo.add_argument("--reset", action="store_true", help=_("rebuild the demo data"))
    demo.add_argument("--database", help=_("database URL (default: a local demo file)"))
    demo.set_defaults(run=_demo)


def _demo(settings: Settings, args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from bot.config import DEMO_DATABASE_URL

    return cmd_demo(replace(settings, database_url=args.database or DEMO_DATABASE_URL), args.reset)


def choose_person(people: list[PersonRec], who: str) -> tuple[PersonRec | None, list[PersonRec]]:
    """The person `--as` names: by name (with or without diacritics, or a part of it) or by
    role. Returns (the person, []) or (None, the people it could mean) when several fit."""
    from ingest.textnorm import fold_name, nfc

    wanted = nfc(who).strip()
    folded = fold_name(wanted)
    role = folded.replace(" ", "_").replace("-", "_")
    for fits in (
        lambda p: p.name == wanted,
        lambda p: fold_name(p.name) == folded,
        lambda p: p.role == role,
        lambda p: folded in fold_name(p.name),
    ):
        found = [p for p in people if fits(p)]
        if len(found) == 1:
            return found[0], []
        if found:
            return None, found
    return None, []


async def cmd_chat(settings: Settings, who: str | None) -> int:
    from bot.channels.console import Console

    app = await open_app(settings)
    try:
        people = [p for ward in await app.repo.wards() for p in await app.repo.people(ward.id)]
        person: PersonRec | None = None
        several: list[PersonRec] = []
        if who:
            person, several = choose_person(people, who)
        else:
            for role in ("admin", "chairman"):
                person = next((p for p in people if p.role == role), None)
                if person:
                    break
        if several:
            shown = sorted(p.name for p in several)
            names = ", ".join(shown[:MAX_NAMES])
            if len(shown) > MAX_NAMES:
                names += ", " + _("and {n} more", n=len(shown) - MAX_NAMES)
            err(
                _(
                    "“{who}” fits {n} people: {names}. Name one of them with --as.",
                    who=who,
                    n=len(shown),
                    names=names,
                )
            )
            return 2
        if person is None:
            err(
                _(
                    "No such person: {who}. Run `chiso setup ward.toml` first, or `chiso demo`.",
                    who=who or "admin",
                )
            )
            return 2
        await Console(app.router, person).run()
        return 0
    finally:
        await app.close()


async def configured_channels(app: App, settings: Settings) -> dict[str, Any]:
    """The configured channels: Telegram, the Zalo Bot, the Zalo OA (with its first token
    pair put in the database when it has none)."""
    found: dict[str, Any] = {"telegram": None, "zalo": None, "zalo_oa": None}
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        found["telegram"] = TelegramChannel(
            app.router,
            settings.telegram_token,
            settings.telegram_api_base_url,
            flood_limit=max(1, settings.telegram_rate),
        )
    if settings.zalo_token:
        from bot.channels.zalo import ZaloBotChannel

        found["zalo"] = ZaloBotChannel(app.router, settings.zalo_token, settings.zalo_api_base_url)
    if settings.zalo_oa_enabled:
        from datetime import timedelta

        from bot.channels.zalo_oa import PROVIDER, ZaloOAClient
        from store.oauth import TokenStore

        tokens = TokenStore(app.repo.sessions)
        assert settings.zalo_oa_id and settings.zalo_oa_app_id and settings.zalo_oa_secret_key
        now = app.services.clock.now()
        if (
            settings.zalo_oa_refresh_token
            and await tokens.get(PROVIDER, settings.zalo_oa_id) is None
        ):
            await tokens.save(
                PROVIDER,
                settings.zalo_oa_id,
                settings.zalo_oa_access_token or "",
                settings.zalo_oa_refresh_token,
                now + timedelta(minutes=1 if not settings.zalo_oa_access_token else 60),
                now,
                None,
            )
        found["zalo_oa"] = ZaloOAClient(
            tokens,
            settings.zalo_oa_app_id,
            settings.zalo_oa_secret_key,
            settings.zalo_oa_id,
            api_base_url=settings.zalo_oa_api_base_url,
            oauth_url=settings.zalo_oauth_url,
        )
    return found


def polling_leases(settings: Settings) -> list[tuple[str, str, str]]:
    """(lease, messenger, settings prefix) of each messenger this configuration polls:
    Telegram and the Zalo Bot admit one polling process per bot."""
    from store.leases import TELEGRAM_POLLING, ZALO_POLLING

    found = []
    if settings.telegram_enabled and not settings.telegram_webhook_url:
        found.append((TELEGRAM_POLLING, "Telegram", "TELEGRAM"))
    if settings.zalo_enabled and not (settings.zalo_webhook_url and settings.zalo_webhook_secret):
        found.append((ZALO_POLLING, "Zalo Bot", "ZALO"))
    return found


async def cmd_run(settings: Settings, who: str | None, webhook: bool = False) -> int:
    if webhook:
        from bot.webhook import webhook_problems

        problems = webhook_problems(settings, _)
        for problem in problems:
            err(problem)
        if problems:
            return 2
    elif not (settings.telegram_enabled or settings.zalo_enabled):
        log.info("no TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN: starting the console channel")
        return await cmd_chat(settings, who)
    for url, secret, name in (
        (settings.telegram_webhook_url, settings.telegram_webhook_secret, "TELEGRAM"),
        (settings.zalo_webhook_url, settings.zalo_webhook_secret, "ZALO"),
    ):
        if url and not (secret and 8 <= len(secret) <= 256):
            log.error("%s_WEBHOOK_URL needs %s_WEBHOOK_SECRET (8 to 256 characters)", name, name)
            return 2
    import asyncio
    import signal

    app = await open_app(settings, charts=True)
    log.info("starting: %s", settings.describe())
    channels = await configured_channels(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from contextlib import AsyncExitStack

    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram import WebhookRefused
    from bot.channels.zalo import ZaloError
    from bot.runner import running
    from store.leases import LeaseHeld, Leases, holding

    leases = Leases(app.repo.sessions, app.services.clock)
    lost: list[str] = []
    try:
        async with AsyncExitStack() as held:
            # one polling process per bot: a second one says so and stops (replicas use
            # --webhook); the lease is renewed while this process runs, let go when it stops
            for name, messenger, prefix in polling_leases(settings):

                def on_lost(messenger: str = messenger) -> None:
                    lost.append(messenger)
                    stop.set()

                try:
                    await held.enter_async_context(holding(leases, name, on_lost=on_lost))
                except LeaseHeld as exc:
                    err(_polling_refused(exc, messenger, prefix, app.services.clock.now()))
                    return 2
            # the Bot API unreachable at start (network down, Telegram blocked): wait for it,
            # trying again with back-off and logging each try, until it answers or we stop
            if channels["telegram"] is not None and not await channels["telegram"].connect(stop):
                log.info("stopped before the Telegram Bot API could be reached")
                return 0
            async with running(
                app, channels["telegram"], zalo=channels["zalo"], zalo_oa=channels["zalo_oa"]
            ):
                await stop.wait()
                log.info("stopping")
        if lost:
            log.error("another process took over polling %s: stopped", ", ".join(lost))
            return 2
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
        return 2
    except WebhookRefused as exc:
        log.error(
            "Telegram refused the webhook (check TELEGRAM_WEBHOOK_URL and "
            "TELEGRAM_WEBHOOK_SECRET): %s",
            exc,
        )
        return 2
    except TelegramError as exc:
        log.error(
            "the Telegram Bot API failed while starting (%s): %s",
            settings.telegram_api_base_url or "api.telegram.org",
            type(exc).__name__,
        )
        return 2
    except ZaloError as exc:
        log.error("the Zalo Bot API refused to start: %s", type(exc).__name__)
        return 2
    finally:
        await app.close()
    return 0


def _polling_refused(exc: LeaseHeld, messenger: str, prefix: str, now: datetime) -> str:
    """Why this `chiso run` does not start: another process polls the messenger."""
    lease = exc.lease
    left = 60
    if lease is not None:
        left = max(1, int((lease.until - now).total_seconds()) + 1)
    return _(
        "Another process ({holder}) is already receiving {messenger} messages by polling, "
        "and {messenger} lets only one process poll a bot. To run several replicas, start "
        "each with `chiso run --webhook` (set {prefix}_WEBHOOK_URL and "
        "{prefix}_WEBHOOK_SECRET). If that process has stopped, its turn lapses within "
        "{seconds} seconds.",
        holder=lease.holder if lease is not None else "?",
        messenger=messenger,
        prefix=prefix,
        seconds=left,
    )


async def cmd_demo(settings: Settings, reset: bool) -> int:
    from bot.config import hide_password
    from bot.demo import install_demo

    app = await open_app(settings)
    try:
        ward_name = await install_demo(app, reset=reset)
    finally:
        await app.close()
    out(
        _(
            "Demo ward “{ward}” is ready in {db}.",
            ward=ward_name,
            db=hide_password(settings.database_url),
        )
    )
    return await cmd_chat(settings, "chairman")
