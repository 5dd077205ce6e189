"""`chiso reminders plan --at T` (what the tick at T would send) and `chiso reminders run`
(the scheduler and the outbox delivery, with no chat listener)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import _, err, log, open_app, out

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rem = sub.add_parser("reminders", help=_("deadline reminders"))
    rem_sub = rem.add_subparsers(dest="what", required=True)
    plan = rem_sub.add_parser("plan", help=_("what the tick at an instant would send"))
    plan.add_argument("--at", required=True, help=_("an ISO instant, e.g. 2025-11-24T07:30"))
    plan.add_argument("--json", action="store_true", help=_("print JSON"))
    plan.set_defaults(run=lambda settings, args: cmd_reminders_plan(settings, args.at, args.json))
    run = rem_sub.add_parser("run", help=_("run the scheduler and delivery alone"))
    run.set_defaults(run=lambda settings, args: cmd_reminders_run(settings))


async def cmd_reminders_plan(settings: Settings, at_text: str, as_json: bool) -> int:
    """What the tick at that instant would send, as if it were that moment (every stored task
    counts, even one loaded later; the window is since the previous office slot); writes
    nothing."""
    import json
    from datetime import datetime

    from reminders.clock import VN_TZ
    from reminders.scheduler import ReminderScheduler

    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        err(_("“{value}” is not an ISO instant like 2025-11-24T07:30+07:00.", value=at_text))
        return 2
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN_TZ)
    app = await open_app(settings)
    try:
        scheduler = ReminderScheduler(
            app.repo,
            app.services.tasks,
            app.services.outbox,
            app.services.clock,
            app.services.calendar,
        )
        planned = [
            p for p in await scheduler.due(at, preview=True) if not p.snoozed and not p.superseded
        ]
    finally:
        await app.close()
    if as_json:
        rows = [
            {
                "key": p.key,
                "channel": p.channel,
                "chat_id": p.chat_id,
                "task": p.task_number,
                "step": p.step,
                "text": p.text,
                "send_at": p.slot.astimezone(VN_TZ).isoformat(),
            }
            for p in planned
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not planned:
        out(_("Nothing is due at {at}.", at=at.isoformat(timespec="minutes")))
    for p in planned:
        send_at = p.slot.astimezone(VN_TZ).isoformat(timespec="minutes")
        out(f"{send_at}  {p.channel}:{p.chat_id}  #{p.task_number}  {p.step}")
        out("    " + p.text.splitlines()[0].replace("**", ""))
    return 0


async def cmd_reminders_run(settings: Settings) -> int:
    """The scheduler and the outbox delivery alone, with no chat listener."""
    if not (settings.telegram_enabled or settings.zalo_enabled or settings.zalo_oa_enabled):
        err(
            _(
                "Set TELEGRAM_BOT_TOKEN (or the Zalo settings): reminders are sent through a "
                "messenger."
            )
        )
        return 2
    import asyncio
    import signal

    from telegram.error import InvalidToken, TelegramError

    from bot.cli.run import configured_channels
    from bot.runner import running

    app = await open_app(settings, charts=True)
    channels = await configured_channels(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running(
            app,
            channels["telegram"],
            listen=False,
            zalo=channels["zalo"],
            zalo_oa=channels["zalo_oa"],
        ):
            log.info("reminders: scheduler and delivery running")
            await stop.wait()
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
        return 2
    except TelegramError as exc:
        log.error("cannot reach the Telegram Bot API: %s", type(exc).__name__)
        return 2
    finally:
        await app.close()
    return 0
