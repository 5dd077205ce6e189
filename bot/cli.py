"""The `chiso` command: run the bot, chat on the console, set up a ward, import scores."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import DEMO_DATABASE_URL, ConfigError, Settings, hide_password, load_settings
from handlers.problems import describe
from handlers.reading import ReadRefused, read_scores, refusal_text
from handlers.score_import import describe_draft
from ingest.snapshot_draft import Problem, round_draft
from ingest.ward_config import WardConfigError, load_ward_config
from locales import translator
from store.migrate import upgrade
from store.records import WardRec
from store.setup import apply_ward_config

_ = translator("vi")
log = logging.getLogger("chiso")


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def cmd_setup(settings: Settings, path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _err(_("Cannot read {path}: {error}", path=str(path), error=str(exc)))
        return 2
    try:
        cfg = load_ward_config(text)
    except WardConfigError as exc:
        _err(_("{path} has problems; nothing was written:", path=str(path)))
        for p in exc.problems:
            where = _("line {line}", line=p.line) if p.line else _("file")
            _err(f"  {path.name}, {where}: {describe(p.problem, _)}")
        return 2
    app = await App.open(settings, charts=False)
    try:
        async with app.repo.sessions.begin() as s:
            summary = await apply_ward_config(s, cfg, app.services.clock.now())
        app.repo.invalidate()
    finally:
        await app.close()
    verb = _("Created") if summary.created_ward else _("Updated")
    if summary.renamed_from:
        _out(_("Renamed “{old}” to “{new}”.", old=summary.renamed_from, new=cfg.name))
    _out(
        _(
            "{verb} {ward}: departments +{d_add}/~{d_upd}/−{d_rm}, people +{p_add}/~{p_upd}/"
            "−{p_rm}, chats +{c_add}/~{c_upd}.",
            verb=verb,
            ward=cfg.name,
            d_add=summary.added["departments"],
            d_upd=summary.updated["departments"],
            d_rm=summary.removed["departments"],
            p_add=summary.added["people"],
            p_upd=summary.updated["people"],
            p_rm=summary.removed["people"],
            c_add=summary.added["chats"],
            c_upd=summary.updated["chats"],
        )
    )
    return 0


async def cmd_import_scores(
    settings: Settings, path: Path, yes: bool, ward_name: str | None, by: str
) -> int:
    try:
        data = path.read_bytes()
    except OSError as exc:
        _err(_("Cannot read {path}: {error}", path=str(path), error=str(exc)))
        return 2
    app = await App.open(settings, charts=False)
    try:
        ward = await _one_ward(app, ward_name)
        if ward is None:
            return 2
        today = app.services.clock.now().date()
        # the same reader, limits and worker process as a file sent in a chat
        reader = app.services.reader
        assert reader is not None  # App.open gives every app its pool
        try:
            reader.check_size(len(data))
            drafts, problems = await reader.run(read_scores, path.name, data, today, reader.limits)
        except ReadRefused as exc:
            _err(refusal_text(exc, path.name, _))
            return 2
        if problems is not None or not drafts:
            _err(_("Nothing was stored:"))
            for p in problems or [Problem("no_scores_found")]:
                _err("  • " + describe(p, _))
            return 2
        for d in drafts:
            round_draft(d)
            if d.as_of is None:
                d.as_of = today
                _out(
                    _("The text gives no as-of date, so I used today, {date}.", date=_.date(today))
                )
        _out(_("{ward}: I read {n} set(s) of figures:", ward=ward.name, n=len(drafts)))
        for d in drafts:
            _out()
            for line in describe_draft(d, _):
                _out(line.replace("**", ""))
        _out()
        if not yes:
            if not sys.stdin.isatty():
                _err(_("Not stored: confirm with --yes when not at a terminal."))
                return 1
            answer = input(_("Store these figures? [y/N] ")).strip().lower()
            if answer not in ("y", "yes", "c", "co", "có"):
                _out(_("Cancelled; nothing was stored."))
                return 1
        # one transaction: killed midway, nothing of the file is stored
        await app.repo.save_snapshots(ward.id, drafts, by, app.services.clock.now())
        _out(_("Stored {n} set(s) of figures.", n=len(drafts)))
        return 0
    finally:
        await app.close()


def cmd_parse_directive(path: Path, ward_config: Path | None, as_json: bool) -> int:
    """Prints what the directive reader finds; touches no database."""
    import json

    from ingest.directive import parse_directive, to_json, units_from_ward
    from ingest.documents import DocumentError, extract_text

    try:
        data = path.read_bytes()
        limits = load_settings().read_limits()
        if len(data) > limits.max_file_bytes:
            _err(refusal_text(ReadRefused("too_large", limits.max_file_bytes), path.name, _))
            return 2
        text = extract_text(path.name, data, max_unpacked=limits.max_unpacked_bytes)
    except OSError as exc:
        _err(_("Cannot read {path}: {error}", path=str(path), error=str(exc)))
        return 2
    except DocumentError as exc:
        from handlers.directives import document_problem

        _err(document_problem(exc.code, path.name, _, exc.limit))
        return 2
    units = None
    if ward_config is not None:
        try:
            units = units_from_ward(load_ward_config(ward_config.read_text(encoding="utf-8")))
        except (OSError, WardConfigError) as exc:
            _err(_("Cannot read {path}: {error}", path=str(ward_config), error=str(exc)))
            return 2
    parsed = parse_directive(text, units=units)
    result = to_json(parsed, with_codes=units is not None)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for entry in result["tasks"]:
        deadline = entry["deadline"] or entry["recurrence"] or "—"
        _out(
            f"{entry['source_line']:>4}  {entry['role']:<7} {entry['department'] or '—':<28} "
            f"{deadline:<12} {entry['task'][:90]}"
        )
    if result["unknown_units"]:
        _out(_("Units this ward does not have: {units}", units=", ".join(result["unknown_units"])))
    return 0


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
        _err(_("“{value}” is not an ISO instant like 2025-11-24T07:30+07:00.", value=at_text))
        return 2
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN_TZ)
    app = await App.open(settings, charts=False)
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
        _out(_("Nothing is due at {at}.", at=at.isoformat(timespec="minutes")))
    for p in planned:
        send_at = p.slot.astimezone(VN_TZ).isoformat(timespec="minutes")
        _out(f"{send_at}  {p.channel}:{p.chat_id}  #{p.task_number}  {p.step}")
        _out("    " + p.text.splitlines()[0].replace("**", ""))
    return 0


async def cmd_tasks_reschedule(
    settings: Settings, number: int, day_text: str, why: str, ward_name: str | None
) -> int:
    """`chiso tasks reschedule N DATE [--reason TEXT]`: as /doihan, by the console's user."""
    import os

    from handlers.reschedule import change_deadline, outcome_text, read_date

    app = await App.open(settings, charts=False)
    try:
        ward = await _one_ward(app, ward_name)
        if ward is None:
            return 2
        new = read_date(day_text, app.services.clock.now().date())
        if new is None:
            _err(
                _(
                    "“{text}” is not a date I understand; write it as DD/MM/YYYY (or DD/MM), "
                    "e.g. 15/12/2025. Nothing was changed.",
                    text=day_text,
                )
            )
            return 2
        who = os.environ.get("USER") or "console"
        result, told = await change_deadline(app.services, ward.id, number, new, who, why)
    finally:
        await app.close()
    text = outcome_text(result, number, new, told, _).replace("**", "")
    if result.outcome != "changed":
        _err(text)
        return 2
    _out(text)
    return 0


async def cmd_reminders_run(settings: Settings) -> int:
    """The scheduler and the outbox delivery alone, with no chat listener."""
    if not (settings.telegram_enabled or settings.zalo_enabled or settings.zalo_oa_enabled):
        _err(
            _(
                "Set TELEGRAM_BOT_TOKEN (or the Zalo settings): reminders are sent through a "
                "messenger."
            )
        )
        return 2
    from telegram.error import InvalidToken, TelegramError

    from bot.runner import running

    app = await App.open(settings)
    channels = await _channels(app, settings)
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


async def _one_ward(app: App, ward_name: str | None) -> WardRec | None:
    """The ward a command acts on: the only one, or the one named with --ward."""
    every = await app.repo.wards()
    wards = [w for w in every if w.name == ward_name] if ward_name else every
    if len(wards) == 1:
        return wards[0]
    if wards:  # several and none named
        _err(
            _("Name the ward with --ward (known: {names}).", names=", ".join(w.name for w in every))
        )
    else:
        _err(_("No such ward; run `chiso setup ward.toml` first."))
    return None


async def cmd_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    """`chiso broadcast send|status|cancel`: queue for the running bot, look, or stop."""
    from handlers.broadcast import cancelled_text, report, resolve_audience
    from ingest.when import parse_when
    from reminders.hours import hours_from

    app = await App.open(settings, charts=False)
    try:
        ward = await _one_ward(app, args.ward)
        if ward is None:
            return 2
        store = app.services.broadcasts
        if args.what == "status":
            found = (
                [await store.get(ward.id, args.id)]
                if args.id is not None
                else await store.recent(ward.id)
            )
            if args.id is not None and found[0] is None:
                _err(_("There is no broadcast #{id}.", id=args.id))
                return 2
            for b in found:
                if b is not None:
                    _out(report(b, _).replace("**", ""))
                    _out()
            if not found:
                _out(_("No broadcast has been sent yet."))
            return 0
        if args.what == "cancel":
            done = await store.cancel(ward.id, args.id)
            if done is None:
                _err(_("There is no broadcast #{id}.", id=args.id))
                return 2
            _out(cancelled_text(args.id, done.stopped, done.on_the_way, _))
            return 0
        now = app.services.clock.now()
        when = parse_when(args.at, now) if args.at else now
        if when is None:
            _err(
                _(
                    "“{text}” is not a time I understand; try “8h sáng mai” or “14:30 25/11”.",
                    text=args.at,
                )
            )
            return 2
        chats = resolve_audience(ward, await app.repo.ward_chats(ward.id), args.to)
        if chats is None:
            _err(
                _(
                    "I do not know the audience “{spec}”. Use the buttons, or kind:…, tag:…, "
                    "department:…, all.",
                    spec=args.to,
                )
            )
            return 2
        if not chats:
            _err(
                _(
                    "No registered, active chat matches “{spec}”; choose another audience.",
                    spec=args.to,
                )
            )
            return 2
        # chats of channels this configuration does not run are left out (when it runs any:
        # a machine that only queues for the bot may have no channel settings of its own)
        reachable = settings.channels
        unreachable = [c for c in chats if reachable and c.channel not in reachable]
        if unreachable:
            left_out = ", ".join(sorted({c.channel for c in unreachable}))
            chats = [c for c in chats if c not in unreachable]
            if not chats:
                _err(
                    _(
                        "None of these chats can be reached: this bot does not run {channels}. "
                        "Choose another audience.",
                        channels=left_out,
                    )
                )
                return 2
            _out(
                _.plural(
                    "{n} chat is left out: this bot does not run {channels}.",
                    "{n} chats are left out: this bot does not run {channels}.",
                    len(unreachable),
                    channels=left_out,
                )
            )
        data, kind = None, None
        if args.file is not None:
            try:
                data = args.file.read_bytes()
            except OSError as exc:
                _err(_("Cannot read {path}: {error}", path=str(args.file), error=str(exc)))
                return 2
            image = args.file.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
            kind = "photo" if image else "document"
        _out(args.text)
        _out(
            _.plural(
                "To {n} chat ({audience}), at {time}.",
                "To {n} chats ({audience}), at {time}.",
                len(chats),
                audience=args.to,
                time=_.datetime(when),
            )
        )
        hours = hours_from(ward.reminder_policy)
        outside = not hours.allows(when, app.services.calendar)
        if outside:
            _out(
                _(
                    "⚠ {time} is outside office hours (the ward sends {hours} on working days). "
                    "Confirming sends it at that time anyway; otherwise cancel and choose a time "
                    "within office hours.",
                    time=_.datetime(when),
                    hours=hours.text(),
                )
            )
        if not args.yes:
            if not sys.stdin.isatty():
                _err(_("Not sent: confirm with --yes when not at a terminal."))
                return 1
            if input(_("Send? [y/N] ")).strip().lower() not in ("y", "yes", "c", "co", "có"):
                _out(_("Cancelled; nothing was sent."))
                return 1
        broadcast_id = await store.create(
            ward.id,
            "chiso broadcast",
            "cli",
            "",
            args.text,
            args.to,
            chats,
            when,
            now,
            attachment_kind=kind,
            attachment_name=args.file.name if args.file else None,
            attachment=data,
            outside_hours=outside,
        )
        _out(
            _(
                "📣 Broadcast #{id} is queued for {n} chats. /tinhtrang {id} shows how it goes; "
                "/huyphat {id} stops what is not sent yet.",
                id=broadcast_id,
                n=len(chats),
            )
        )
        return 0
    finally:
        await app.close()


async def cmd_chats(settings: Settings) -> int:
    app = await App.open(settings, charts=False)
    try:
        chats = await app.repo.chats()
        wards = {w.id: w.name for w in await app.repo.wards()}
    finally:
        await app.close()
    if not chats:
        _out(_("The bot has not seen any chat yet."))
        return 0
    header = f"{'channel':<9} {'chat_id':<16} {'kind':<11} {'dept':<10} {'ward':<20} title"
    _out(header)
    for c in chats:
        state = "" if c.active else _(" (left)")
        _out(
            f"{c.channel:<9} {c.chat_id:<16} {(c.kind or '—'):<11} {(c.department or '—'):<10} "
            f"{wards.get(c.ward_id or -1, '—'):<20} {c.title}{state}"
        )
    return 0


async def cmd_db_upgrade(settings: Settings) -> int:
    from store.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    _out(_("The database is up to date."))
    return 0


async def cmd_chat(settings: Settings, who: str | None) -> int:
    from bot.channels.console import Console

    app = await App.open(settings)
    try:
        person = await app.repo.find_person(who) if who else None
        if person is None and who is None:
            for role in ("admin", "chairman"):
                person = await app.repo.find_person(role)
                if person:
                    break
        if person is None:
            _err(
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


async def _channels(app: App, settings: Settings) -> dict[str, Any]:
    """The configured channels: Telegram, the Zalo Bot, the Zalo OA (with its first token
    pair put in the database when it has none)."""
    found: dict[str, Any] = {"telegram": None, "zalo": None, "zalo_oa": None}
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        found["telegram"] = TelegramChannel(
            app.router, settings.telegram_token, settings.telegram_api_base_url
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


async def cmd_run(settings: Settings, who: str | None) -> int:
    if not (settings.telegram_enabled or settings.zalo_enabled):
        log.info("no TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN: starting the console channel")
        return await cmd_chat(settings, who)
    for url, secret, name in (
        (settings.telegram_webhook_url, settings.telegram_webhook_secret, "TELEGRAM"),
        (settings.zalo_webhook_url, settings.zalo_webhook_secret, "ZALO"),
    ):
        if url and not (secret and 8 <= len(secret) <= 256):
            log.error("%s_WEBHOOK_URL needs %s_WEBHOOK_SECRET (8 to 256 characters)", name, name)
            return 2
    app = await App.open(settings)
    log.info("starting: %s", settings.describe())
    channels = await _channels(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram import WebhookRefused
    from bot.channels.zalo import ZaloError
    from bot.runner import running

    try:
        # the Bot API unreachable at start (network down, Telegram blocked): wait for it,
        # trying again with back-off and logging each try, until it answers or we are stopped
        if channels["telegram"] is not None and not await channels["telegram"].connect(stop):
            log.info("stopped before the Telegram Bot API could be reached")
            return 0
        async with running(
            app, channels["telegram"], zalo=channels["zalo"], zalo_oa=channels["zalo_oa"]
        ):
            await stop.wait()
            log.info("stopping")
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


async def cmd_demo(settings: Settings, reset: bool) -> int:
    from bot.demo import install_demo

    app = await App.open(settings, charts=False)
    try:
        ward_name = await install_demo(app, reset=reset)
    finally:
        await app.close()
    _out(
        _(
            "Demo ward “{ward}” is ready in {db}.",
            ward=ward_name,
            db=hide_password(settings.database_url),
        )
    )
    return await cmd_chat(settings, "chairman")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiso", description=_("ChiSo Bot"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help=_("start every configured channel"))
    run.add_argument("--as", dest="who", help=_("console only: speak as this person or role"))
    chat = sub.add_parser("chat", help=_("talk to the bot on this terminal"))
    chat.add_argument("--as", dest="who", help=_("a person's name or a role"))
    demo = sub.add_parser("demo", help=_("set up the sample ward and chat as its chairman"))
    demo.add_argument("--reset", action="store_true", help=_("rebuild the demo data"))
    demo.add_argument("--database", help=_("database URL (default: a local demo file)"))
    setup = sub.add_parser("setup", help=_("create or update the ward from ward.toml"))
    setup.add_argument("file", type=Path)
    imp = sub.add_parser("import", help=_("import data"))
    imp_sub = imp.add_subparsers(dest="what", required=True)
    scores = imp_sub.add_parser("scores", help=_("import score figures (.csv, .xlsx, .txt)"))
    scores.add_argument("file", type=Path)
    scores.add_argument("--yes", action="store_true", help=_("store without asking"))
    scores.add_argument("--ward", help=_("the ward's name, when the database has several"))
    sub.add_parser("chats", help=_("list the chats the bot has seen, with their ids"))
    parse = sub.add_parser("parse", help=_("read a document without storing anything"))
    parse_sub = parse.add_subparsers(dest="what", required=True)
    directive = parse_sub.add_parser("directive", help=_("read a directive's tasks"))
    directive.add_argument("file", type=Path)
    directive.add_argument("--json", action="store_true", help=_("print JSON"))
    directive.add_argument(
        "--ward-config", type=Path, help=_("ward.toml: departments as the ward's codes")
    )
    rem = sub.add_parser("reminders", help=_("deadline reminders"))
    rem_sub = rem.add_subparsers(dest="what", required=True)
    rem_plan = rem_sub.add_parser("plan", help=_("what the tick at an instant would send"))
    rem_plan.add_argument("--at", required=True, help=_("an ISO instant, e.g. 2025-11-24T07:30"))
    rem_plan.add_argument("--json", action="store_true", help=_("print JSON"))
    rem_sub.add_parser("run", help=_("run the scheduler and delivery alone"))
    tasks = sub.add_parser("tasks", help=_("tasks from directives"))
    tasks_sub = tasks.add_subparsers(dest="what", required=True)
    resched = tasks_sub.add_parser("reschedule", help=_("change a task's deadline"))
    resched.add_argument("number", type=int, help=_("the task's number"))
    resched.add_argument("date", help=_("the new deadline, e.g. 15/12/2025"))
    resched.add_argument("--reason", default="", help=_("why, for the record and the chats"))
    resched.add_argument("--ward", help=_("the ward's name, when the database has several"))
    bc = sub.add_parser("broadcast", help=_("broadcasts to many chats"))
    bc_sub = bc.add_subparsers(dest="what", required=True)
    bc_send = bc_sub.add_parser("send", help=_("queue a broadcast for the running bot"))
    bc_send.add_argument(
        "--to", required=True, help=_("kind:residents, tag:tdp-3, department:VHXH, all, ...")
    )
    bc_send.add_argument("--text", required=True)
    bc_send.add_argument("--file", type=Path, help=_("a photo or document to attach"))
    bc_send.add_argument("--at", help=_("when, e.g. “8h sáng mai” (default: now)"))
    bc_send.add_argument("--yes", action="store_true", help=_("send without asking"))
    bc_status = bc_sub.add_parser("status", help=_("how broadcasts are going"))
    bc_status.add_argument("id", type=int, nargs="?")
    bc_cancel = bc_sub.add_parser("cancel", help=_("stop what is not sent yet"))
    bc_cancel.add_argument("id", type=int)
    for p in (bc_send, bc_status, bc_cancel):
        p.add_argument("--ward", help=_("the ward's name, when the database has several"))
    db = sub.add_parser("db", help=_("database maintenance"))
    db_sub = db.add_subparsers(dest="what", required=True)
    db_sub.add_parser("upgrade", help=_("apply database migrations"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:  # a setting that cannot work: named, before anything starts
        _err(str(exc))
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "demo":
        from dataclasses import replace

        settings = replace(settings, database_url=args.database or DEMO_DATABASE_URL)
        coro = cmd_demo(settings, args.reset)
    elif args.command == "run":
        coro = cmd_run(settings, args.who)
    elif args.command == "chat":
        coro = cmd_chat(settings, args.who)
    elif args.command == "setup":
        coro = cmd_setup(settings, args.file)
    elif args.command == "import":
        coro = cmd_import_scores(settings, args.file, args.yes, args.ward, "chiso import")
    elif args.command == "chats":
        coro = cmd_chats(settings)
    elif args.command == "broadcast":
        coro = cmd_broadcast(settings, args)
    elif args.command == "reminders" and args.what == "plan":
        coro = cmd_reminders_plan(settings, args.at, args.json)
    elif args.command == "reminders":
        coro = cmd_reminders_run(settings)
    elif args.command == "tasks" and args.what == "reschedule":
        coro = cmd_tasks_reschedule(settings, args.number, args.date, args.reason, args.ward)
    elif args.command == "parse":
        return cmd_parse_directive(args.file, args.ward_config, args.json)
    else:
        coro = cmd_db_upgrade(settings)
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
