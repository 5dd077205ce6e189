"""The community digital team broadcasts guidance to many chats: message, audience, time,
preview, confirm. Reports, cancelling and the library of ready texts (/mau) live here too.

Chats on a channel this deployment does not run are left out when the audience is chosen
(and said so); a time outside the ward's sending hours is said plainly in the preview, and
confirming it sends at that time. Why a chat did not get a message is a sentence
(`reason_text`), never the platform's words."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from handlers import broadcast_service as service
from handlers.broadcast_service import describe_audience as describe_audience
from handlers.broadcast_service import resolve_audience as resolve_audience
from handlers.context import Ctx
from handlers.permissions import check, check_role
from handlers.protocol import Button, Inbound, Reply, literal
from locales import N_, Translator
from store.broadcasts import BroadcastRec
from store.records import PROVINCE_ROLE, PendingRec, WardRec

MESSAGE_KIND, AUDIENCE_KIND, TIME_KIND, CONFIRM_KIND = (
    "bc_message",
    "bc_audience",
    "bc_time",
    "bc_confirm",
)
KINDS = (MESSAGE_KIND, AUDIENCE_KIND, TIME_KIND, CONFIRM_KIND)
PENDING_TTL = timedelta(hours=6)
# a provincial officer's message to every ward's leadership (handlers/province_view.py)
PROVINCE_AUDIENCE = "province:leadership"
AUDIENCE_CHOICES = ("kind:residents", "kind:staff", "kind:department", "all")
# why a chat did not get a message (delivery.failure_reason's codes and the others)
REASONS = {
    "removed": N_("the bot was removed from the group"),
    "blocked": N_("the recipient blocked the bot"),
    "not_found": N_("the chat no longer exists"),
    "too_long": N_("the message was rejected as too long"),
    "rejected": N_("the platform refused the message"),
    "no_channel": N_("this bot is not set up for that channel"),
    "gave_up": N_("it could not be delivered after repeated tries"),
    "error": N_("an unexpected error stopped it"),
    "attachment": N_("the attachment could not be sent"),
}
UNKNOWN_REASON = N_("it could not be delivered")


def reason_text(code: str | None, _: Translator) -> str:
    """Why a message did not (fully) reach a chat, as a sentence people read."""
    return _(REASONS.get(code or "", UNKNOWN_REASON))


@cache
def shipped_templates() -> tuple[tuple[str, str], ...]:
    with (Path(__file__).parent / "guidance.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return tuple((t["title"], t["text"]) for t in data["templates"])


def templates(ward: WardRec) -> list[tuple[str, str]]:
    """The ward's own texts first, then the shipped ones it does not replace (same title)."""
    own = list(ward.templates)
    titles = {t for t, _text in own}
    return own + [t for t in shipped_templates() if t[0] not in titles]


async def start(ctx: Ctx, arg: str = "") -> Reply:
    refusal = check(ctx, "broadcast")
    if refusal:
        return refusal
    _ = ctx._
    if arg.strip():
        return await _got_message(ctx, {"text": literal(arg.strip())})
    await ctx.ask(MESSAGE_KIND, {}, [], PENDING_TTL)
    return Reply(
        _(
            "Send the message to broadcast (text, or a photo or file with a caption), "
            "or /mau to pick a ready text. Type /huy to stop."
        )
    )


async def list_templates(ctx: Ctx, arg: str) -> Reply:
    _ = ctx._
    assert ctx.ward is not None
    texts = templates(ctx.ward)
    if arg.strip().isdigit():
        refusal = check(ctx, "broadcast")
        if refusal:
            return refusal
        index = int(arg.strip()) - 1
        if not 0 <= index < len(texts):
            return Reply(_("There is no text {number}; /mau lists them.", number=arg.strip()))
        return await _got_message(ctx, {"text": texts[index][1]})
    lines = [_("**Ready guidance texts** (/mau NUMBER to broadcast one):")]
    lines += [f"{i}. {literal(title)}" for i, (title, _text) in enumerate(texts, start=1)]
    return Reply("\n".join(lines))


async def _got_message(ctx: Ctx, payload: dict[str, Any]) -> Reply:
    _ = ctx._
    pending_id = await ctx.ask(AUDIENCE_KIND, payload, AUDIENCE_CHOICES, PENDING_TTL)
    buttons = [
        [Button(describe_audience(spec, _), f"p{pending_id}:{spec}")] for spec in AUDIENCE_CHOICES
    ]
    return Reply(
        _(
            "To whom? Choose below, or type e.g. tag:tdp-3, department:VHXH, or "
            "several separated by commas."
        ),
        buttons=buttons,
    )


async def on_pending(
    ctx: Ctx, pending: PendingRec, inbound: Inbound, choice: str | None
) -> Reply | None:
    """The next answer in the flow; None when the message is not an answer."""
    refusal = check(ctx, "broadcast")
    if refusal:
        return refusal
    _ = ctx._
    assert ctx.ward is not None
    payload = dict(pending.payload)
    text = inbound.text.strip()
    if pending.kind == MESSAGE_KIND:
        if inbound.file is not None:
            kind = "photo" if (inbound.file.mime or "").startswith("image/") else "document"
            payload.update(
                {
                    "text": literal(text),
                    "attachment_kind": kind,
                    "attachment_name": inbound.file.name,
                    "attachment_ref": inbound.file.ref,
                }
            )
            return await _got_message(ctx, payload)
        if text and not text.startswith("/"):
            payload["text"] = literal(text)  # recipients see what was typed, marks included
            return await _got_message(ctx, payload)
        return None
    if pending.kind == AUDIENCE_KIND:
        spec = choice or text
        if not spec or spec.startswith("/"):
            return None
        chats = await ctx.repo.ward_chats(ctx.ward.id)
        try:
            audience = service.choose_audience(ctx.ward, chats, spec, ctx.services.channels, _)
        except service.BroadcastRefused as refused:
            return Reply(refused.text)
        payload["audience"] = spec
        payload["chats"] = [[c.channel, c.chat_id] for c in audience.chats]
        pending_id = await ctx.ask(TIME_KIND, payload, ["now"], PENDING_TTL)
        left_out = audience.left_out_text(_)
        lines = [left_out] if left_out else []
        lines.append(
            _.plural(
                "{n} chat. When? Send now, or type a time like “8h sáng mai” or “14:30 25/11”.",
                "{n} chats. When? Send now, or type a time like “8h sáng mai” or “14:30 25/11”.",
                len(audience.chats),
            )
        )
        return Reply("\n".join(lines), buttons=[[Button(_("Send now"), f"p{pending_id}:now")]])
    if pending.kind == TIME_KIND:
        if choice != "now" and (not text or text.startswith("/")):
            return None
        try:
            when = service.send_time(None if choice == "now" else text, ctx.clock.now(), _)
        except service.BroadcastRefused as refused:
            return Reply(refused.text)
        payload["send_at"] = when.isoformat()
        return await _preview(ctx, payload)
    if pending.kind == CONFIRM_KIND and choice is not None:
        if not await ctx.repo.clear_pending(pending.id):
            return Reply(_("This question has already been answered."))
        if choice != "confirm":
            return Reply(_("Cancelled; nothing was sent."))
        return await _queue(ctx, payload)
    return None


async def _preview(ctx: Ctx, payload: dict[str, Any]) -> Reply:
    _ = ctx._
    assert ctx.ward is not None
    when = datetime.fromisoformat(payload["send_at"])
    warning = service.outside_hours_warning(ctx.ward, when, ctx.services.calendar, _)
    outside = payload["outside_hours"] = warning is not None
    pending_id = await ctx.ask(CONFIRM_KIND, payload, ["confirm", "cancel"], PENDING_TTL)
    lines = [
        _("**Preview** — recipients will see exactly this:"),
        "",
        "────────",
        payload.get("text") or "",
    ]
    if payload.get("attachment_kind"):
        lines.append(_("[attached: {name}]", name=literal(payload.get("attachment_name") or "")))
    lines += [
        "────────",
        "",
        service.recipients_line(len(payload["chats"]), payload["audience"], when, _),
    ]
    if warning:
        lines.append(warning)
    send_label = _("📣 Send outside office hours") if outside else _("📣 Send")
    return Reply(
        "\n".join(lines),
        buttons=[
            [
                Button(send_label, f"p{pending_id}:confirm"),
                Button(_("✖ Cancel"), f"p{pending_id}:cancel"),
            ]
        ],
    )


async def _queue(ctx: Ctx, payload: dict[str, Any]) -> Reply:
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    chats = {(c.channel, c.chat_id): c for c in await ctx.repo.ward_chats(ctx.ward.id)}
    targets = [chats[(ch, cid)] for ch, cid in payload["chats"] if (ch, cid) in chats]
    broadcast_id = await service.queue(
        ctx.services.broadcasts,
        ctx.ward.id,
        sender=ctx.person.name,
        sender_channel=ctx.inbound.channel,
        sender_chat=ctx.inbound.chat_id,
        text=payload.get("text") or "",
        audience=payload["audience"],
        chats=targets,
        send_at=datetime.fromisoformat(payload["send_at"]),
        now=ctx.clock.now(),
        outside_hours=bool(payload.get("outside_hours")),
        attachment_kind=payload.get("attachment_kind"),
        attachment_name=payload.get("attachment_name"),
        attachment_ref=payload.get("attachment_ref"),
        on_outbox=ctx.services.on_outbox,
    )
    return Reply(service.queued_text(broadcast_id, len(targets), _))


def report(b: BroadcastRec, _: Translator) -> str:
    """How a broadcast went: every chat is sent, sent without the attachment, failed (and
    why), waiting (or on its way) or stopped."""
    lines = [
        _(
            "📣 Broadcast #{id} by {sender}, {time}: {audience}",
            id=b.id,
            sender=b.sender,
            time=_.datetime(b.send_at),
            audience=describe_audience(b.audience, _),
        ),
        _(
            "Sent {sent}/{total} · failed {failed} · waiting {pending} · stopped {cancelled}",
            sent=b.count("sent"),
            total=b.total,
            failed=b.count("failed"),
            pending=b.count("pending", "sending"),
            cancelled=b.count("cancelled"),
        ),
    ]
    if b.count("partial"):
        lines.append(
            _.plural(
                "{n} chat got the text without the attachment.",
                "{n} chats got the text without the attachment.",
                b.count("partial"),
            )
        )
    if b.unsure:  # Telegram and Zalo have no idempotency key: a lost answer means a resend
        lines.append(
            _.plural(
                "{n} message may have arrived twice (its send was answered too late or not at "
                "all, and was sent again).",
                "{n} messages may have arrived twice (their sends were answered too late or not "
                "at all, and were sent again).",
                b.unsure,
            )
        )
    for title, _channel, reason in b.failures[:20]:
        lines.append(_("✖ {chat}: {reason}", chat=literal(title), reason=reason_text(reason, _)))
    for title, _channel in b.partials[:20]:
        lines.append(
            _(
                "◐ {chat}: text only, {reason}",
                chat=literal(title),
                reason=_(REASONS["attachment"]),
            )
        )
    return "\n".join(lines)


def _followed_here(ctx: Ctx, b: BroadcastRec) -> bool:
    """A provincial officer's broadcast went to every ward's leadership: it is followed and
    stopped by provincial staff only, not by the staff of the ward it was sent from (they
    would see, and could stop, what other wards' chats get)."""
    if b.audience != PROVINCE_AUDIENCE:
        return True
    return ctx.person is not None and ctx.person.role == PROVINCE_ROLE


async def status(ctx: Ctx, arg: str) -> Reply:
    refusal = check(ctx, "broadcast_status")
    if refusal:
        return refusal
    _ = ctx._
    assert ctx.ward is not None
    store = ctx.services.broadcasts
    if arg.strip().isdigit():
        found = await store.get(ctx.ward.id, int(arg))
        if found is None or not _followed_here(ctx, found):
            return Reply(_("There is no broadcast #{id}.", id=arg.strip()))
        return Reply(report(found, _))
    recent = [b for b in await store.recent(ctx.ward.id, limit=5) if _followed_here(ctx, b)]
    if not recent:
        return Reply(_("No broadcast has been sent yet."))
    return Reply("\n\n".join(report(b, _) for b in recent))


def cancelled_text(broadcast_id: int | str, stopped: int, on_the_way: int, _: Translator) -> str:
    """The reply to a cancel: exactly how many chats will not get it, and how many messages
    were already on their way (those are reported as sent or failed)."""
    text = _("Broadcast #{id} stopped: {n} chats will not get it.", id=broadcast_id, n=stopped)
    if on_the_way:
        text += " " + _.plural(
            "{n} message was already on its way.",
            "{n} messages were already on their way.",
            on_the_way,
        )
    return text


async def cancel(ctx: Ctx, arg: str) -> Reply:
    """/huyphat ID: its sender (or an administrator) stops what is not sent yet."""
    refusal = check_role(ctx, "cancel_broadcast")
    if refusal:
        return refusal
    _ = ctx._
    assert ctx.ward is not None
    if not arg.strip().isdigit():
        return Reply(_("Which broadcast? Type /huyphat followed by its number."))
    store = ctx.services.broadcasts
    found = await store.get(ctx.ward.id, int(arg))
    if found is None or not _followed_here(ctx, found):
        return Reply(_("There is no broadcast #{id}.", id=arg.strip()))
    refusal = check(ctx, "cancel_broadcast", sender=found.sender)
    if refusal:
        return refusal
    done = await store.cancel(ctx.ward.id, int(arg))
    if done is None:
        return Reply(_("There is no broadcast #{id}.", id=arg.strip()))
    return Reply(cancelled_text(arg.strip(), done.stopped, done.on_the_way, _))
