"""How a person is reached: their private chat on each channel, and how to mention them.

One place knows which of a person's ids each channel uses, so the scheduler (and any other
producer of proactive messages) never holds per-channel code:

- Telegram: the private chat is the person's `telegram_id`, and a mention uses it too;
- the Zalo Bot: the private chat is `zalo_id`, and a mention uses it too;
- the Zalo Official Account: the OA writes to a person through the chat id ``user:<id>``
  (the adapter's `USER_PREFIX`) with the person's `zalo_oa_id`; a mention in an OA group uses
  that id.

A mention is the markup ``@[Name](user:ID)``: Telegram renders a link that notifies the
person, the Zalo channels show "@Name".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from store.records import PersonRec

TELEGRAM, ZALO, ZALO_OA = "telegram", "zalo", "zalo_oa"
PRIVATE_CHANNELS = (TELEGRAM, ZALO, ZALO_OA)  # the channels a person has a private chat on
OA_USER_PREFIX = "user:"  # bot.channels.zalo_oa.USER_PREFIX: an OA chat id naming a person


def channel_id(person: PersonRec, channel: str) -> str | None:
    """The person's own id on a channel (what a mention carries), or None."""
    if channel == TELEGRAM:
        return person.telegram_id
    if channel == ZALO:
        return person.zalo_id
    if channel == ZALO_OA:
        return person.zalo_oa_id
    return None


def private_chat(person: PersonRec, channel: str) -> str | None:
    """The chat id that reaches the person in private on a channel, or None."""
    found = channel_id(person, channel)
    if found is None:
        return None
    return f"{OA_USER_PREFIX}{found}" if channel == ZALO_OA else found


def person_targets(
    person: PersonRec, channels: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """(channel, chat id) of each private chat the person has, one per channel; only the
    channels this process can send on when `channels` is given."""
    targets = []
    for channel in PRIVATE_CHANNELS:
        if channels is not None and channel not in channels:
            continue
        chat_id = private_chat(person, channel)
        if chat_id:
            targets.append((channel, chat_id))
    return targets


def mention(person: PersonRec, channel: str) -> str | None:
    """The person mentioned in a chat of `channel`, or None when the channel knows no id."""
    found = channel_id(person, channel)
    return f"@[{person.name}](user:{found})" if found else None


def mentions(people: Iterable[PersonRec], channel: str) -> str:
    """The people the channel can mention, separated by spaces."""
    return " ".join(m for m in (mention(p, channel) for p in people) if m)


__all__ = [
    "OA_USER_PREFIX",
    "PRIVATE_CHANNELS",
    "channel_id",
    "mention",
    "mentions",
    "person_targets",
    "private_chat",
]
