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

from handlers.context import Ctx
from handlers.departments import resolve_department
from handlers.labels import CHAT_KIND_NAMES
from handlers.protocol import Button, Inbound, Reply, literal
from handlers.vocabulary import audience_word, chat_kind_for
from ingest.when import parse_when
from locales import N_, Translator
from reminders.hours import hours_from
from store.broadcasts import BroadcastRec
from store.records import ChatRec, PendingRec, WardRec

MESSAGE_KIND, AUDIENCE_KIND, TIME_KIND, CONFIRM_KIND = (
    "bc_message",
    "bc_audience",
    "bc_time",
    "bc_confirm",
)
KINDS = (MESSAGE_KIND, AUDIENCE_KIND, TIME_KIND, CONFIRM_KIND)
PENDING_TTL = timedelta(hours=6)
BROADCASTER_ROLES = frozenset({"digital_team", "admin"})
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


def _refusal(ctx: Ctx) -> Reply | None:
    if ctx.person is None or ctx.person.role not in BROADCASTER_ROLES:
        return Reply(
            ctx._("Only the community digital team and administrators can send broadcasts.")
        )
    return None


def _status_refusal(ctx: Ctx) -> Reply | None:
    if ctx.person is None or ctx.person.role not in BROADCASTER_ROLES:
        return Reply(
            ctx._("Only the community digital team and administrators can see how broadcasts go.")
        )
    return None


def resolve_audience(ward: WardRec, chats: list[ChatRec], spec: str) -> list[ChatRec] | None:
    """Chats for "kind:residents", "tag:tdp-3", "department:VHXH", "chat:-100123", "all",
    words like "tất cả" or "dân", several separated by commas; None if a part is unknown."""
    chosen: dict[tuple[str, str], ChatRec] = {}
    usable = [c for c in chats if c.active and c.kind is not None]
    parts = [p.strip() for p in spec.replace(";", ",").split(",") if p.strip()]
    if not parts:
        return None
    for part in parts:
        head, _sep, value = part.partition(":")
        head = head.strip().lower()
        value = value.strip()
        if head == "all" or (not value and audience_word(part) == "all"):
            picked = usable
        elif head == "kind" or (not value and chat_kind_for(part)):
            kind = value or chat_kind_for(part)
            if value and kind not in CHAT_KIND_NAMES:
                kind = chat_kind_for(value)
            picked = [c for c in usable if c.kind == kind]
            if kind is None:
                return None
        elif head == "tag" and value:
            picked = [c for c in usable if value.lower() in (t.lower() for t in c.tags)]
        elif head == "department" and value:
            dept = resolve_department(ward, value)
            if dept is None:
                return None
            picked = [c for c in usable if c.department == dept.code]
        elif head == "chat" and value:
            picked = [c for c in usable if c.chat_id == value]
        else:
            return None
        for chat in picked:
            chosen[(chat.channel, chat.chat_id)] = chat
    return list(chosen.values())


def describe_audience(spec: str, _: Translator) -> str:
    names = {
        "kind:residents": _("all residents' groups"),
        "kind:staff": _("all staff groups"),
        "kind:department": _("all department groups"),
        "all": _("every registered group"),
    }
    return names.get(spec, spec)


async def _pending(ctx: Ctx, kind: str, payload: dict[str, Any], choices: list[str]) -> int:
    assert ctx.person is not None
    now = ctx.clock.now()
    rec = await ctx.repo.set_pending(
        ctx.person.ward_id,
        ctx.inbound.channel,
        ctx.inbound.chat_id,
        ctx.inbound.user_id,
        kind,
        payload,
        choices,
        now,
        now + PENDING_TTL,
    )
    return rec.id


async def start(ctx: Ctx, arg: str = "") -> Reply:
    refusal = _refusal(ctx)
    if refusal:
        return refusal
    _ = ctx._
    if arg.strip():
        return await _got_message(ctx, {"text": literal(arg.strip())})
    await _pending(ctx, MESSAGE_KIND, {}, [])
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
        refusal = _refusal(ctx)
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
    pending_id = await _pending(ctx, AUDIENCE_KIND, payload, list(AUDIENCE_CHOICES))
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
    refusal = _refusal(ctx)
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
        picked = resolve_audience(ctx.ward, chats, spec)
        if picked is None:
            return Reply(
                _(
                    "I do not know the audience “{spec}”. Use the buttons, or kind:…, "
                    "tag:…, department:…, all.",
                    spec=spec,
                )
            )
        if not picked:
            return Reply(
                _(
                    "No registered, active chat matches “{spec}”; choose another audience.",
                    spec=spec,
                )
            )
        channels = ctx.services.channels
        unreachable = [c for c in picked if channels is not None and c.channel not in channels]
        picked = [c for c in picked if c not in unreachable]
        left_out = ", ".join(sorted({c.channel for c in unreachable}))
        if not picked:
            return Reply(
                _(
                    "None of these chats can be reached: this bot does not run {channels}. "
                    "Choose another audience.",
                    channels=left_out,
                )
            )
        payload["audience"] = spec
        payload["chats"] = [[c.channel, c.chat_id] for c in picked]
        pending_id = await _pending(ctx, TIME_KIND, payload, ["now"])
        lines = []
        if unreachable:
            lines.append(
                _.plural(
                    "{n} chat is left out: this bot does not run {channels}.",
                    "{n} chats are left out: this bot does not run {channels}.",
                    len(unreachable),
                    channels=left_out,
                )
            )
        lines.append(
            _.plural(
                "{n} chat. When? Send now, or type a time like “8h sáng mai” or “14:30 25/11”.",
                "{n} chats. When? Send now, or type a time like “8h sáng mai” or “14:30 25/11”.",
                len(picked),
            )
        )
        return Reply("\n".join(lines), buttons=[[Button(_("Send now"), f"p{pending_id}:now")]])
    if pending.kind == TIME_KIND:
        now = ctx.clock.now()
        when = now if choice == "now" else parse_when(text, now) if text else None
        if when is None:
            if not text or text.startswith("/"):
                return None
            return Reply(
                _(
                    "“{text}” is not a time I understand; try “8h sáng mai” or “14:30 25/11”.",
                    text=text,
                )
            )
        if when < now - timedelta(minutes=1):
            return Reply(_("That time has passed; give a later one."))
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
    hours = hours_from(ctx.ward.reminder_policy)
    outside = not hours.allows(when, ctx.services.calendar)
    payload["outside_hours"] = outside
    pending_id = await _pending(ctx, CONFIRM_KIND, payload, ["confirm", "cancel"])
    at_time = _.datetime(when)
    audience = describe_audience(payload["audience"], _)  # (not inside the call: extraction)
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
        _.plural(
            "To {n} chat ({audience}), at {time}.",
            "To {n} chats ({audience}), at {time}.",
            len(payload["chats"]),
            audience=audience,
            time=at_time,
        ),
    ]
    if outside:
        lines.append(
            _(
                "⚠ {time} is outside office hours (the ward sends {hours} on working days). "
                "Confirming sends it at that time anyway; otherwise cancel and choose a time "
                "within office hours.",
                time=at_time,
                hours=hours.text(),
            )
        )
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
    now = ctx.clock.now()
    broadcast_id = await ctx.services.broadcasts.create(
        ctx.ward.id,
        ctx.person.name,
        ctx.inbound.channel,
        ctx.inbound.chat_id,
        payload.get("text") or "",
        payload["audience"],
        targets,
        datetime.fromisoformat(payload["send_at"]),
        now,
        attachment_kind=payload.get("attachment_kind"),
        attachment_name=payload.get("attachment_name"),
        attachment_ref=payload.get("attachment_ref"),
        outside_hours=bool(payload.get("outside_hours")),
    )
    if ctx.services.on_outbox:
        ctx.services.on_outbox()
    return Reply(
        _(
            "📣 Broadcast #{id} is queued for {n} chats. /tinhtrang {id} shows how it "
            "goes; /huyphat {id} stops what is not sent yet.",
            id=broadcast_id,
            n=len(targets),
        )
    )


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


async def status(ctx: Ctx, arg: str) -> Reply:
    refusal = _status_refusal(ctx)
    if refusal:
        return refusal
    _ = ctx._
    assert ctx.ward is not None
    store = ctx.services.broadcasts
    if arg.strip().isdigit():
        found = await store.get(ctx.ward.id, int(arg))
        if found is None:
            return Reply(_("There is no broadcast #{id}.", id=arg.strip()))
        return Reply(report(found, _))
    recent = await store.recent(ctx.ward.id, limit=5)
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
    refusal = _refusal(ctx)
    if refusal:
        return refusal
    _ = ctx._
    assert ctx.ward is not None
    if not arg.strip().isdigit():
        return Reply(_("Which broadcast? Type /huyphat followed by its number."))
    done = await ctx.services.broadcasts.cancel(ctx.ward.id, int(arg))
    if done is None:
        return Reply(_("There is no broadcast #{id}.", id=arg.strip()))
    return Reply(cancelled_text(arg.strip(), done.stopped, done.on_the_way, _))
