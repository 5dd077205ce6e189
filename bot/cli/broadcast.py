"""`chiso broadcast send|status|cancel`: queue a broadcast for the running bot, see how
broadcasts go, stop one. Sending passes the checks of /phatthanh
(`handlers/broadcast_service.py`): the same audiences, times, refusals and warnings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import (
    _,
    add_ward_option,
    confirmed,
    err,
    one_ward,
    open_app,
    out,
    read_file,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from store.records import WardRec

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bc = sub.add_parser("broadcast", help=_("broadcasts to many chats"))
    bc_sub = bc.add_subparsers(dest="what", required=True)
    send = bc_sub.add_parser("send", help=_("queue a broadcast for the running bot"))
    send.add_argument(
        "--to", required=True, help=_("kind:residents, tag:tdp-3, department:VHXH, all, ...")
    )
    send.add_argument("--text", required=True)
    send.add_argument("--file", type=Path, help=_("a photo or document to attach"))
    send.add_argument("--at", help=_("when, e.g. “8h sáng mai” (default: now)"))
    send.add_argument("--yes", action="store_true", help=_("send without asking"))
    status = bc_sub.add_parser("status", help=_("how broadcasts are going"))
    status.add_argument("id", type=int, nargs="?")
    cancel = bc_sub.add_parser("cancel", help=_("stop what is not sent yet"))
    cancel.add_argument("id", type=int)
    for p in (send, status, cancel):
        add_ward_option(p)
        p.set_defaults(run=cmd_broadcast)


async def cmd_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    """`chiso broadcast send|status|cancel`: queue for the running bot, look, or stop."""

    app = await open_app(settings)
    try:
        ward = await one_ward(app, args.ward)
        if ward is None:
            return 2
        if args.what == "status":
            return await _status(app, ward, args.id)
        if args.what == "cancel":
            return await _cancel(app, ward, args.id)
        return await _send(app, settings, ward, args)
    finally:
        await app.close()


async def _status(app: App, ward: WardRec, broadcast_id: int | None) -> int:
    from handlers.broadcast import report

    store = app.services.broadcasts
    if broadcast_id is not None:
        found = await store.get(ward.id, broadcast_id)
        if found is None:
            err(_("There is no broadcast #{id}.", id=broadcast_id))
            return 2
        out(report(found, _).replace("**", ""))
        return 0
    recent = await store.recent(ward.id)
    if not recent:
        out(_("No broadcast has been sent yet."))
    for b in recent:
        out(report(b, _).replace("**", ""))
        out()
    return 0


async def _cancel(app: App, ward: WardRec, broadcast_id: int) -> int:
    from handlers.broadcast import cancelled_text

    done = await app.services.broadcasts.cancel(ward.id, broadcast_id)
    if done is None:
        err(_("There is no broadcast #{id}.", id=broadcast_id))
        return 2
    out(cancelled_text(broadcast_id, done.stopped, done.on_the_way, _))
    return 0


async def _send(app: App, settings: Settings, ward: WardRec, args: argparse.Namespace) -> int:
    from handlers import broadcast_service as service

    now = app.services.clock.now()
    try:
        when = service.send_time(args.at, now, _)
        # a machine that only queues for the bot may run no channel of its own: then every
        # chat is kept; otherwise chats of channels this configuration does not run are left out
        audience = service.choose_audience(
            ward, await app.repo.ward_chats(ward.id), args.to, settings.channels or None, _
        )
    except service.BroadcastRefused as refused:
        err(refused.text)
        return 2
    left_out = audience.left_out_text(_)
    if left_out:
        out(left_out)
    data, kind = None, None
    if args.file is not None:
        data = read_file(args.file)
        if data is None:
            return 2
        kind = "photo" if args.file.suffix.lower() in IMAGE_SUFFIXES else "document"
    out(args.text)
    out(service.recipients_line(len(audience.chats), args.to, when, _))
    warning = service.outside_hours_warning(ward, when, app.services.calendar, _)
    if warning:
        out(warning)
    if not args.yes and not confirmed(
        _("Send? [y/N] "),
        _("Not sent: confirm with --yes when not at a terminal."),
        _("Cancelled; nothing was sent."),
    ):
        return 1
    broadcast_id = await service.queue(
        app.services.broadcasts,
        ward.id,
        sender="chiso broadcast",
        sender_channel="cli",
        sender_chat="",
        text=args.text,
        audience=args.to,
        chats=audience.chats,
        send_at=when,
        now=now,
        outside_hours=warning is not None,
        attachment_kind=kind,
        attachment_name=args.file.name if args.file else None,
        attachment=data,
    )
    out(service.queued_text(broadcast_id, len(audience.chats), _))
    return 0
