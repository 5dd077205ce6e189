"""What a broadcast must pass before it is queued, for the chat flow (/phatthanh,
`handlers/broadcast.py`) and for `chiso broadcast send` alike: the audience (known, matching
a registered active chat, on a channel this bot runs), the time (understood, not past), office
hours (said plainly, not refused), and queueing it. Every function takes plain values; a
refusal is `BroadcastRefused`, whose text is the one sentence both show.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.departments import resolve_department
from handlers.labels import CHAT_KIND_NAMES
from handlers.vocabulary import audience_word, chat_kind_for
from ingest.when import parse_when
from locales import Translator
from reminders.calendar import WorkCalendar
from reminders.hours import hours_from
from store.broadcasts import BroadcastStore
from store.records import ChatRec, WardRec

PAST_GRACE = timedelta(minutes=1)  # "now" typed a little after the question is still now


class BroadcastRefused(Exception):
    """A broadcast that cannot go as asked; `text` says why and what to do instead."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


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
        "province:leadership": _("the leadership chat of every ward"),
    }
    return names.get(spec, spec)


@dataclass(frozen=True)
class Audience:
    """The chats a broadcast goes to, and those left out because this bot does not run their
    channel."""

    spec: str
    chats: list[ChatRec]
    left_out: list[ChatRec]

    def left_out_text(self, _: Translator) -> str | None:
        if not self.left_out:
            return None
        return _.plural(
            "{n} chat is left out: this bot does not run {channels}.",
            "{n} chats are left out: this bot does not run {channels}.",
            len(self.left_out),
            channels=_channel_names(self.left_out),
        )


def _channel_names(chats: list[ChatRec]) -> str:
    return ", ".join(sorted({c.channel for c in chats}))


def choose_audience(
    ward: WardRec,
    chats: list[ChatRec],
    spec: str,
    channels: Collection[str] | None,
    _: Translator,
) -> Audience:
    """The ward's chats that `spec` names. `channels`: the channels this bot sends on (None:
    not known, every chat is kept). Refused when `spec` is not understood, names no
    registered active chat, or only chats of channels this bot does not run."""
    picked = resolve_audience(ward, chats, spec)
    if picked is None:
        raise BroadcastRefused(
            _(
                "I do not know the audience “{spec}”. Use the buttons, or kind:…, "
                "tag:…, department:…, all.",
                spec=spec,
            )
        )
    if not picked:
        raise BroadcastRefused(
            _("No registered, active chat matches “{spec}”; choose another audience.", spec=spec)
        )
    left_out = [c for c in picked if channels is not None and c.channel not in channels]
    reachable = [c for c in picked if c not in left_out]
    if not reachable:
        raise BroadcastRefused(
            _(
                "None of these chats can be reached: this bot does not run {channels}. "
                "Choose another audience.",
                channels=_channel_names(left_out),
            )
        )
    return Audience(spec, reachable, left_out)


def send_time(text: str | None, now: datetime, _: Translator) -> datetime:
    """When to send: now for no text, else the time `text` names; refused when it names none
    or a time already past."""
    when = now if text is None else parse_when(text, now)
    if when is None:
        raise BroadcastRefused(
            _(
                "“{text}” is not a time I understand; try “8h sáng mai” or “14:30 25/11”.",
                text=text,
            )
        )
    if when < now - PAST_GRACE:
        raise BroadcastRefused(_("That time has passed; give a later one."))
    return when


def outside_hours_warning(
    ward: WardRec, when: datetime, calendar: WorkCalendar, _: Translator
) -> str | None:
    """The warning for a time outside the ward's sending hours (confirming it sends at that
    time anyway), or None within them."""
    hours = hours_from(ward.reminder_policy)
    if hours.allows(when, calendar):
        return None
    return _(
        "⚠ {time} is outside office hours (the ward sends {hours} on working days). "
        "Confirming sends it at that time anyway; otherwise cancel and choose a time "
        "within office hours.",
        time=_.datetime(when),
        hours=hours.text(),
    )


def recipients_line(chats: int, spec: str, when: datetime, _: Translator) -> str:
    """ "To 12 chats (all residents' groups), at …": the line under a broadcast's preview."""
    audience = describe_audience(spec, _)  # (not inside the call: extraction)
    return _.plural(
        "To {n} chat ({audience}), at {time}.",
        "To {n} chats ({audience}), at {time}.",
        chats,
        audience=audience,
        time=_.datetime(when),
    )


async def queue(
    store: BroadcastStore,
    ward_id: int,
    *,
    sender: str,
    sender_channel: str,
    sender_chat: str,
    text: str,
    audience: str,
    chats: list[ChatRec],
    send_at: datetime,
    now: datetime,
    outside_hours: bool,
    attachment_kind: str | None = None,
    attachment_name: str | None = None,
    attachment_ref: str | None = None,
    attachment: bytes | None = None,
    on_outbox: Callable[[], None] | None = None,
) -> int:
    """Stores the broadcast and its outbox rows (one transaction) and wakes the delivery of
    this process, if it runs one; returns the broadcast's id."""
    broadcast_id = await store.create(
        ward_id,
        sender=sender,
        sender_channel=sender_channel,
        sender_chat=sender_chat,
        text=text,
        audience=audience,
        chats=chats,
        send_at=send_at,
        at=now,
        attachment_kind=attachment_kind,
        attachment_name=attachment_name,
        attachment_ref=attachment_ref,
        attachment=attachment,
        outside_hours=outside_hours,
    )
    if on_outbox is not None:
        on_outbox()
    return broadcast_id


def queued_text(broadcast_id: int, chats: int, _: Translator) -> str:
    return _(
        "📣 Broadcast #{id} is queued for {n} chats. /tinhtrang {id} shows how it "
        "goes; /huyphat {id} stops what is not sent yet.",
        id=broadcast_id,
        n=chats,
    )
