"""The channel-neutral message types: one Inbound in, Replies out.

Channel adapters in `bot/channels/` turn Telegram, Zalo or console input into `Inbound` and
render `Reply` back. Handlers see nothing else of a channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

# user text in a Reply (`literal`): the markup is shared with the reminders (re-exported here)
from locales.markup import ESCAPABLE as ESCAPABLE
from locales.markup import literal as literal

ChatKind = Literal["private", "group"]
EventKind = Literal["message", "button", "bot_added", "bot_removed", "document"]


@dataclass(frozen=True)
class InboundFile:
    name: str
    size: int | None
    mime: str | None
    fetch: Callable[[], Awaitable[bytes]]  # downloads the file's bytes on demand
    ref: str | None = None  # the channel's id for the file (kept as evidence)


@dataclass(frozen=True)
class Inbound:
    channel: str  # telegram | zalo | zalo_oa | console
    chat_id: str
    chat_kind: ChatKind
    user_id: str
    user_name: str = ""
    chat_title: str = ""
    text: str = ""
    event: EventKind = "message"
    button_data: str = ""  # for event == "button"
    file: InboundFile | None = None
    language: str | None = None  # the client's language code, e.g. "vi", "en"
    addressed: bool = True  # private chat, command, mention or reply to the bot


@dataclass(frozen=True)
class Button:
    label: str
    data: str


class ImageSource(Protocol):
    async def png(self) -> bytes:
        """The picture's bytes (drawn at most once)."""
        ...

    async def channel_id(self, channel: str) -> str | None:
        """The id a channel gave this picture when it was first sent (Telegram's file_id)."""
        ...

    async def remember(self, channel: str, file_id: str) -> None: ...


@dataclass(frozen=True)
class Image:
    """An image the channel shows if it can. `key` identifies the picture."""

    key: str
    source: ImageSource
    caption: str = ""


@dataclass(frozen=True)
class Attachment:
    """A photo or file sent with a message: by the channel's id for it (`ref`, e.g.
    "telegram:<file_id>") or by its bytes."""

    kind: str  # photo | document
    name: str = ""
    ref: str | None = None
    data: bytes | None = None


@dataclass
class Reply:
    """Text with light markup, rendered or stripped by each channel: **bold**, `code`, and
    @[Name](user:ID) to mention a person by their id on the chat's channel. User text goes
    in through `literal` (a backslash before `\\ * ` @` makes that character plain text);
    an unmatched mark is plain text."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    image: Image | None = None
    attachment: Attachment | None = None
