"""A fake Telegram Bot API server for end-to-end tests.

`FakeTelegram` is an aiohttp server on 127.0.0.1 that answers enough of the Bot API
(https://core.telegram.org/bots/api) for a real python-telegram-bot `Application` to run against
it in polling mode::

    tg = FakeTelegram()
    await tg.start()
    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    ...
    tg.push_message(chat_id=42, user_id=42, text="/start")
    reply = await tg.wait_for(lambda m: m.chat_id == 42)
    ...
    await tg.stop()

Tests push updates with the `push_*` methods and look at what the bot did in `sent` (messages,
photos, documents, edits, callback answers) and `calls` (every request). The server behaves like
the real one where bots tend to trip: HTML / MarkdownV2 entity parsing, empty or too long texts,
callback_data over 64 bytes, "message is not modified" edits, editMessageText dropping a keyboard
it is not given again, file_id reuse, blocked users and kicked bots. Faults can be injected with
`fail_next`; `delays[method]` holds a call before it takes effect (a client stopped meanwhile
cuts it: nothing is sent), `answer_delays[method]` after it took effect and before its answer
(a client stopped meanwhile sent the message without learning it).

Flood limits (off by default) make the server answer sends the way Telegram does when a bot
sends too fast::

    tg = FakeTelegram(flood_limits=True)  # Telegram's limits, or at any time:
    tg.flood = FloodLimits(group_window=2.0)  # a 2-second "minute" keeps a test fast
    tg.flood = None  # off again

With `tg.flood` set, every sendMessage / sendPhoto / sendDocument (`FloodLimits.methods`; edits,
callback answers and chat actions are free) counts against three limits, all in real time
(`time.monotonic()`, or the `clock` given to `FakeTelegram`, so that a test can move time on
instead of sleeping)::

    now = [0.0]
    tg = FakeTelegram(flood_limits=True, clock=lambda: now[0])
    ...  # 30 sends pass, the 31st is answered 429
    now[0] += 1.0  # a second later the window is free again

* `global_per_second` (30) messages in any sliding `global_window` (1 s), over all chats;
* `group_per_minute` (20) messages per group chat (chat_id < 0) in any sliding `group_window`
  (60 s);
* `chat_per_second` (1) message per second per private chat (chat_id > 0), as a token bucket
  holding `chat_burst` (3) messages: a short burst of 3 passes, then one per second. (Telegram
  only says "about one message per second" and tolerates short bursts.)

A send over a limit is not delivered (not in `sent`, no message id used) and is answered with
HTTP 429 ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
"parameters": {"retry_after": N}}``, N being the whole seconds (at least 1) until the call would
pass, which PTB raises as `telegram.error.RetryAfter`. Each such answer is recorded in
`tg.flood_rejections` as `FloodRejection(method, chat_id, retry_after)`; `tg.rate_limited` counts
all 429 answers (flood limits and `fail_next`), and `tg.duplicates()` counts messages delivered
again to the same chat with the same text (a bot retrying a send that had already worked). Only
delivered sends count against the limits; a limit of None is not enforced. Set the limits before
the sends: replacing `tg.flood` starts with empty windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar

from aiohttp import web

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
T = TypeVar("T")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses larger files, as the real Bot API does

# Methods whose successful calls are recorded in `FakeTelegram.sent`.
SENT_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
)
MESSAGE_METHODS = frozenset(SENT_METHODS) - {"answerCallbackQuery"}
_SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})

_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "cache_time",
        "user_id",
        "message_thread_id",
        "max_connections",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class EntityParseError(ValueError):
    """A text that Telegram would refuse with "can't parse entities"."""


class WaitTimeout(AssertionError):
    """`FakeTelegram.wait_for*` saw nothing matching in time."""


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    data: bytes = field(repr=False)
    filename: str | None
    content_type: str | None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file the server knows: sent by a test user (`add_file`) or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    content: bytes = field(repr=False)
    file_path: str
    kind: Literal["photo", "document"]
    file_name: str | None = None
    mime_type: str | None = None
    photo_sizes: list[JSON] | None = field(default=None, repr=False)

    def file_object(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def document_object(self) -> JSON:
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class SentMessage:
    """One successful sendMessage / sendPhoto / sendDocument / edit* / answerCallbackQuery.

    `text` is the text or caption exactly as the bot sent it (markup included); `plain_text` is
    what a user would read (HTML / MarkdownV2 markup removed).
    """

    method: str
    chat_id: int | None
    message_id: int | None = None
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    photo: bytes | str | None = field(default=None, repr=False)  # upload bytes or a file_id
    document: bytes | str | None = field(default=None, repr=False)  # upload bytes or a file_id
    file_name: str | None = None
    file_id: str | None = None  # of the photo / document in the answered Message
    file_reused: bool = False  # the bot sent a file_id instead of uploading
    callback_query_id: str | None = None
    show_alert: bool = False
    params: JSON = field(default_factory=dict, repr=False)
    message: JSON | None = field(default=None, repr=False)  # the Message the server answered
    timestamp: float = field(default_factory=time.monotonic)

    @property
    def caption(self) -> str | None:
        return self.text if self.method in ("sendPhoto", "sendDocument") else None

    @property
    def plain_text(self) -> str | None:
        if self.message is not None:
            value = self.message.get("text", self.message.get("caption"))
            return value if isinstance(value, str) else None
        return self.text

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return rows if isinstance(rows, list) else []

    @property
    def buttons(self) -> list[JSON]:
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [str(button.get("text", "")) for button in self.buttons]

    @property
    def callback_data(self) -> list[str]:
        return [str(b["callback_data"]) for b in self.buttons if "callback_data" in b]

    def button(self, text: str) -> JSON:
        """The first inline button whose text contains `text`."""
        for candidate in self.buttons:
            if text in str(candidate.get("text", "")):
                return candidate
        raise KeyError(f"no button with {text!r} in {self.button_texts}")

    def summary(self) -> str:
        shown = (self.text or "")[:80].replace("\n", " ")
        return f"{self.method} chat={self.chat_id} id={self.message_id} {shown!r}"


# --------------------------------------------------------------------------------------------
# Text helpers


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HTML_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def _attrs(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR_RE.finditer(raw)
    }


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: the plain text and its entities, or EntityParseError."""
    out: list[str] = []
    pos = 0  # UTF-16 offset in the plain text
    stack: list[tuple[str, int, JSON | None]] = []
    entities: list[JSON] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG_RE.match(text, i)
            offset = _byte_offset(text, i)
            if match is None:
                raise EntityParseError(f"Unexpected character '<' at byte offset {offset}")
            closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if not stack:
                    raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
                if stack[-1][0] != name:
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1][0]}>", '
                        f'found "</{name}>"'
                    )
                _, start, closed = stack.pop()
                if closed is not None and pos > start:
                    entities.append({**closed, "offset": start, "length": pos - start})
            else:
                attrs = _attrs(raw_attrs)
                entity: JSON | None = {"type": _HTML_TAGS[name]}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityParseError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                    )
                if name == "a":
                    entity = (
                        {"type": "text_link", "url": attrs["href"]} if "href" in attrs else None
                    )
                elif name == "blockquote" and "expandable" in raw_attrs:
                    entity = {"type": "expandable_blockquote"}
                elif name == "tg-emoji":
                    entity = {
                        "type": "custom_emoji",
                        "custom_emoji_id": attrs.get("emoji-id", ""),
                    }
                elif name == "code" and stack and stack[-1][0] == "pre":
                    language = attrs.get("class", "")
                    if language.startswith("language-") and stack[-1][2] is not None:
                        stack[-1][2]["language"] = language.removeprefix("language-")
                    entity = None
                stack.append((name, pos, entity))
            i = match.end()
            continue
        if char == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            if match is not None:
                decoded = html.unescape(match.group(0))
                out.append(decoded)
                pos += utf16_len(decoded)
                i = match.end()
                continue
        out.append(char)
        pos += utf16_len(char)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}


def parse_markdown_v2(text: str) -> str:
    """Telegram's MarkdownV2 parse mode: the plain text, or EntityParseError.

    Checks what Telegram checks most often in practice: reserved characters must be escaped
    with a backslash, and every *bold*, _italic_, __underline__, ~strike~, ||spoiler||,
    `code`, ```pre``` and [link](url) must be closed.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        offset = _byte_offset(text, i)
        if char == "\\":
            if i + 1 < n:
                out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            j = i + len(fence)
            body: list[str] = []
            while j < n and not text.startswith(fence, j):
                if text[j] == "\\" and j + 1 < n:
                    body.append(text[j + 1])
                    j += 2
                else:
                    body.append(text[j])
                    j += 1
            if j >= n:
                name = "Pre" if fence == "```" else "Code"
                raise EntityParseError(f"Can't find end of {name} entity at byte offset {offset}")
            content = "".join(body)
            if fence == "```" and "\n" in content:
                first, rest = content.split("\n", 1)
                if first and " " not in first:  # a language name line
                    content = rest
            out.append(content)
            i = j + len(fence)
            continue
        marker = None
        if text.startswith("||", i):
            marker = "||"
        elif text.startswith("__", i):
            marker = "__"
        elif char in "*_~":
            marker = char
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            elif any(m == marker for m, _ in stack):
                raise EntityParseError(
                    f"Can't find end of {_MD2_NAMES[stack[-1][0]]} entity at byte offset "
                    f"{stack[-1][1]}"
                )
            else:
                stack.append((marker, offset))
            i += len(marker)
            continue
        if char == "[" or (char == "!" and text.startswith("![", i)):
            stack.append(("[", offset))
            i += 1 if char == "[" else 2
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            if not text.startswith("(", i + 1):
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            j = i + 2
            while j < n and text[j] != ")":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise EntityParseError(f"Can't find end of a URL at byte offset {offset}")
            i = j + 1
            continue
        if char == ">" and (i == 0 or text[i - 1] == "\n"):  # a blockquote line
            i += 1
            continue
        if char in _MD2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if stack:
        marker, start = stack[-1]
        name = "TextUrl" if marker == "[" else _MD2_NAMES[marker]
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {start}")
    return "".join(out)


def render_text(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """The text Telegram stores for `text` under `parse_mode`, and its entities."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text), []
    if mode == "markdown":  # legacy Markdown: not validated
        return re.sub(r"[*_`]", "", text), []
    raise ApiError(400, "Bad Request: unsupported parse_mode")


_AUTO_ENTITY_RE = re.compile(
    r"(?<![\w/@])(?:"
    r"(?P<cmd>/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>@[A-Za-z0-9_]{3,32})"
    r")"
)


def auto_entities(text: str) -> list[JSON]:
    """bot_command and mention entities, as Telegram adds them to a user's message."""
    entities: list[JSON] = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = "bot_command" if match.group("cmd") else "mention"
        entities.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, BMP or JPEG image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:4] in (b"GIF8",) and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        w = int.from_bytes(data[18:22], "little", signed=True)
        h = int.from_bytes(data[22:26], "little", signed=True)
        return abs(w), abs(h)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _is_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _scope_key(scope: Any) -> str:
    """A readable key for a BotCommandScope: "default", "all_group_chats", "chat:-100", ..."""
    if not scope:
        return "default"
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    parts = [scope["type"]]
    for key in ("chat_id", "user_id"):
        if key in scope:
            parts.append(str(scope[key]))
    return ":".join(parts)


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def _normalize(params: JSON) -> JSON:
    """Typed parameters: PTB sends every value as a string (JSON-encoded unless a string)."""
    result: JSON = {}
    for name, value in params.items():
        if isinstance(value, Upload) or value is None:
            result[name] = value
        elif name in ("chat_id", "from_chat_id"):
            text = str(value).strip()
            result[name] = int(text) if re.fullmatch(r"-?\d+", text) else text
        elif name in _INT_PARAMS:
            result[name] = _as_int(name, value)
        elif name in _FLOAT_PARAMS:
            try:
                result[name] = float(value)
            except (TypeError, ValueError):
                raise ApiError(400, f"Bad Request: invalid {name} specified") from None
        elif name in _BOOL_PARAMS:
            result[name] = value if isinstance(value, bool) else str(value).lower() in ("true", "1")
        elif name in _JSON_PARAMS and isinstance(value, str):
            try:
                result[name] = json.loads(value)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        else:
            result[name] = value
    return result


def _check_reply_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return  # ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply: accepted as they are
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: field must be array")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(
                    400, "Bad Request: can't parse inline keyboard button: text is empty"
                )
            if not _BUTTON_ACTIONS & button.keys():
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                    "in the inline keyboard",
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(str(data).encode("utf-8"))
                if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://", str(button["url"])):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _visible_markup(markup: JSON | None) -> JSON | None:
    """The reply_markup a Message carries: only inline keyboards are returned by Telegram."""
    if markup and isinstance(markup.get("inline_keyboard"), list) and markup["inline_keyboard"]:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _strip_reply(message: JSON) -> JSON:
    return {k: v for k, v in message.items() if k != "reply_to_message"}


Handler = Callable[[JSON], Awaitable[Any]]


class FloodRejection(NamedTuple):
    """A send refused by the flood limits: the method, its chat and the retry_after answered."""

    method: str
    chat_id: int
    retry_after: float


@dataclass
class FloodLimits:
    """Telegram's flood limits for `FakeTelegram.flood`; see the module docstring.

    The window lengths are configurable so that a test can use a 2-second "minute". A limit of
    None is not enforced. The instance also keeps the send times it has seen.
    """

    global_per_second: int | None = 30
    group_per_minute: int | None = 20
    chat_per_second: float | None = 1.0
    chat_burst: int = 3
    global_window: float = 1.0
    group_window: float = 60.0
    methods: frozenset[str] = frozenset({"sendMessage", "sendPhoto", "sendDocument"})

    _global: deque[float] = field(default_factory=deque, init=False, repr=False)
    _groups: dict[int, deque[float]] = field(default_factory=dict, init=False, repr=False)
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict, init=False, repr=False)

    def applies_to(self, method: str) -> bool:
        return method.lower() in {m.lower() for m in self.methods}

    def wait(self, chat_id: int, now: float) -> float:
        """Seconds until a send to `chat_id` would pass every limit; 0.0 if it passes now."""
        waits = [0.0]
        if self.global_per_second is not None:
            waits.append(
                _window_wait(self._global, self.global_per_second, self.global_window, now)
            )
        if chat_id < 0 and self.group_per_minute is not None:
            times = self._groups.get(chat_id)
            if times is not None:
                waits.append(_window_wait(times, self.group_per_minute, self.group_window, now))
        elif chat_id > 0 and self.chat_per_second:
            tokens = self._tokens(chat_id, now)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / self.chat_per_second)
        return max(waits)

    def record(self, chat_id: int, now: float) -> None:
        """Count a delivered send to `chat_id`."""
        if self.global_per_second is not None:
            self._global.append(now)
        if chat_id < 0 and self.group_per_minute is not None:
            self._groups.setdefault(chat_id, deque()).append(now)
        elif chat_id > 0 and self.chat_per_second:
            self._buckets[chat_id] = (self._tokens(chat_id, now) - 1.0, now)

    def reset(self) -> None:
        """Forget every send seen so far."""
        self._global.clear()
        self._groups.clear()
        self._buckets.clear()

    def _tokens(self, chat_id: int, now: float) -> float:
        if chat_id not in self._buckets:
            return float(self.chat_burst)
        tokens, since = self._buckets[chat_id]
        rate = self.chat_per_second or 0.0
        return min(float(self.chat_burst), tokens + (now - since) * rate)


def _window_wait(times: deque[float], limit: int, window: float, now: float) -> float:
    """Seconds until a sliding `window` holding `times` has room for one more send."""
    while times and times[0] <= now - window:
        times.popleft()
    if len(times) < limit:
        return 0.0
    if limit <= 0:
        return window
    return times[-limit] + window - now


class FakeTelegram:
    """A fake Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = "123:TEST",
        bot_username: str = "chiso_test_bot",
        *,
        flood_limits: FloodLimits | bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        # method -> seconds to wait after the call took effect (a send reached its chat) and
        # before answering it: a client stopped meanwhile never learns that it worked
        self.answer_delays: dict[str, float] = {}
        self.clock = clock  # the time of the flood windows, in seconds
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.bot_first_name = "ChiSo Test"
        self.url = ""

        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, JSON]] = []
        self.failures: list[tuple[str, JSON, ApiError]] = []  # calls answered with an error
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.blocked_chats: set[int] = set()  # users who blocked the bot: sends answer 403
        self.removed_chats: dict[int, str] = {}  # groups the bot left / was kicked from: 403
        self.reused_file_ids: list[str] = []
        self.deleted_messages: list[tuple[int, int]] = []
        self.strict_images = True  # sendPhoto uploads must be PNG/JPEG/GIF/WEBP/BMP
        # Telegram's flood limits, enforced when set (see the module docstring)
        self.flood: FloodLimits | None = None
        if isinstance(flood_limits, FloodLimits):
            self.flood = flood_limits
        elif flood_limits:
            self.flood = FloodLimits()
        self.flood_rejections: list[FloodRejection] = []

        self._pending: list[JSON] = []  # updates not yet confirmed by an offset
        self._next_update_id = 1
        self._delivered_update_id = 0
        self._poll_generation = 0
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._callbacks: dict[str, JSON] = {}  # callback query id -> the query
        self._answered_callbacks: set[str] = set()
        self._faults: dict[str, deque[ApiError]] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "answercallbackquery": self._answer_callback_query,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getfile": self._get_file,
        }

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder.base_url` / `Bot(base_url=...)`."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder.base_file_url` / `Bot(base_file_url=...)`."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away ends at once
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Release waiting getUpdates calls (they answer []) and close the server."""
        self._closing = True
        self._notify()
        runner, self._runner = self._runner, None
        if runner is not None:
            await asyncio.sleep(0)  # let released long polls write their answers
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------------------------------
    # Fault injection

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error.

        For 429 give `retry_after`; PTB then raises RetryAfter. Default descriptions follow
        Telegram's ("Too Many Requests: retry after N", "Bad Request", ...).
        """
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden",
                409: "Conflict",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                502: "Bad Gateway",
            }.get(error_code, "Internal Server Error")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        queue = self._faults.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(ApiError(error_code, description, retry_after))

    # ----------------------------------------------------------------------------------------
    # Pushing updates

    def push_update(self, payload: JSON) -> int:
        """Queue a raw update (everything but update_id); returns its update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending.append({"update_id": update_id, **payload})
        self._notify()
        return update_id

    def push_message(
        self,
        *,
        chat_id: int,
        text: str = "",
        user_id: int,
        first_name: str = "An",
        last_name: str | None = None,
        username: str | None = None,
        chat_type: ChatType = "private",
        chat_title: str | None = None,
        language_code: str | None = "vi",
        reply_to_bot: bool = False,
        reply_to_message_id: int | None = None,
        document: JSON | None = None,
        entities: list[JSON] | None = None,
    ) -> int:
        """A user's message. With `document` (from `add_file`) `text` becomes the caption.

        Commands ("/x", "/x@bot") get bot_command entities and "@name" mentions get mention
        entities unless `entities` is given. `reply_to_bot` makes it a reply to the bot's last
        message in the chat (or to a placeholder bot message).
        """
        user = self._user(user_id, first_name, last_name, username, language_code)
        chat = self._remember_chat(chat_id, chat_type, chat_title, user)
        content: JSON = {}
        found_entities = auto_entities(text) if entities is None else entities
        if document is not None:
            content["document"] = document
            if text:
                content["caption"] = text
                if found_entities:
                    content["caption_entities"] = found_entities
        else:
            content["text"] = text
            if found_entities:
                content["entities"] = found_entities
        target: JSON | None = None
        if reply_to_message_id is not None:
            target = self._messages.get((chat_id, reply_to_message_id))
        elif reply_to_bot:
            target = self._last_bot_message(chat_id) or self._store_message(
                chat, self.bot_user, {"text": "…"}
            )
        if target is not None:
            content["reply_to_message"] = _strip_reply(target)
        message = self._store_message(chat, user, content)
        return self.push_update({"message": message})

    def push_callback(
        self,
        *,
        chat_id: int,
        user_id: int,
        data: str,
        message_id: int,
        first_name: str = "An",
        chat_type: ChatType = "private",
        chat_title: str | None = None,
        language_code: str | None = "vi",
    ) -> int:
        """A press on an inline button of message `message_id`; the query id is f"cq{update_id}"."""
        user = self._user(user_id, first_name, None, None, language_code)
        chat = self._remember_chat(chat_id, chat_type, chat_title, user)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": self.bot_user,
                "text": "…",
            }
        query_id = f"cq{self._next_update_id}"
        query: JSON = {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        self._callbacks[query_id] = query
        return self.push_update({"callback_query": query})

    def push_bot_added(
        self,
        *,
        chat_id: int,
        chat_title: str,
        by_user_id: int,
        chat_type: ChatType = "group",
        by_first_name: str = "An",
        language_code: str | None = "vi",
        with_service_message: bool = False,
    ) -> int:
        """my_chat_member: the bot becomes a member (and may send to the chat again)."""
        user = self._user(by_user_id, by_first_name, None, None, language_code)
        chat = self._remember_chat(chat_id, chat_type, chat_title, user)
        self.removed_chats.pop(chat_id, None)
        self.blocked_chats.discard(chat_id)
        update_id = self.push_update(
            {"my_chat_member": self._member_update(chat, user, ("left", "member"))}
        )
        if with_service_message:
            message = self._store_message(chat, user, {"new_chat_members": [self.bot_user]})
            self.push_update({"message": message})
        return update_id

    def push_bot_removed(
        self,
        *,
        chat_id: int,
        by_user_id: int,
        chat_title: str | None = None,
        chat_type: ChatType = "group",
        by_first_name: str = "An",
        language_code: str | None = "vi",
        kicked: bool = True,
    ) -> int:
        """my_chat_member: the bot is kicked from (or left) a group, or a user blocked it.

        Later sends to the chat answer 403 like Telegram's ("bot was kicked from the group
        chat", "bot was blocked by the user").
        """
        user = self._user(by_user_id, by_first_name, None, None, language_code)
        chat = self._remember_chat(chat_id, chat_type, chat_title, user)
        if chat_type == "private":
            self.blocked_chats.add(chat_id)
            statuses = ("member", "kicked")
        else:
            kind = "supergroup" if chat_type == "supergroup" else "group"
            self.removed_chats[chat_id] = (
                f"Forbidden: bot was kicked from the {kind} chat"
                if kicked
                else f"Forbidden: bot is not a member of the {kind} chat"
            )
            statuses = ("member", "kicked" if kicked else "left")
        return self.push_update({"my_chat_member": self._member_update(chat, user, statuses)})

    def add_file(
        self, file_id: str, content: bytes, file_name: str, mime_type: str | None = None
    ) -> JSON:
        """Register a file a user can send; returns its Document object for push_message."""
        if mime_type is None:
            mime_type = mimetypes.guess_type(file_name, strict=False)[0]
        stored = self._store_file(
            content, kind="document", file_name=file_name, mime_type=mime_type, file_id=file_id
        )
        return stored.document_object()

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    # ----------------------------------------------------------------------------------------
    # Looking at what the bot did

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages sent or edited in a chat (callback answers excluded), oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id and m.method in MESSAGE_METHODS]

    def last_to(self, chat_id: int) -> SentMessage:
        messages = self.messages_to(chat_id)
        if not messages:
            raise AssertionError(f"nothing was sent to chat {chat_id}")
        return messages[-1]

    @property
    def rate_limited(self) -> int:
        """How many calls were answered 429 (flood limits and `fail_next`)."""
        return sum(1 for _, _, error in self.failures if error.error_code == 429)

    def duplicates(self, key: Callable[[SentMessage], Any] = lambda m: (m.chat_id, m.text)) -> int:
        """Messages delivered again: sends whose `key` (chat and text) an earlier send had.

        Only sendMessage / sendPhoto / sendDocument count; three copies of a text make 2.
        """
        seen: set[Any] = set()
        repeated = 0
        for message in self.sent:
            if message.method not in _SEND_METHODS:
                continue
            value = key(message)
            if value in seen:
                repeated += 1
            else:
                seen.add(value)
        return repeated

    def calls_of(self, method: str) -> list[JSON]:
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def commands_for(self, scope: str = "default", language_code: str = "") -> list[str]:
        return [str(c["command"]) for c in self.commands.get((scope, language_code), [])]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message (after edits), or None if unknown or deleted."""
        return self._messages.get((chat_id, message_id))

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self._pending)

    @property
    def cursor(self) -> int:
        """len(sent): pass as `since=` to wait only for messages sent from now on."""
        return len(self.sent)

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> SentMessage:
        """The first of `sent[since:]` matching `predicate`, waiting up to `timeout` seconds."""
        index = since

        def find() -> SentMessage | None:
            nonlocal index
            while index < len(self.sent):
                candidate = self.sent[index]
                index += 1
                if predicate is None or predicate(candidate):
                    return candidate
            return None

        try:
            return await self._wait(find, timeout)
        except TimeoutError:
            seen = "\n  ".join(m.summary() for m in self.sent[since:][-10:]) or "(nothing)"
            raise WaitTimeout(
                f"no matching message within {timeout}s; sent since #{since}:\n  {seen}"
            ) from None

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> JSON:
        """The params of the first call of `method` in `calls[since:]` matching `predicate`."""
        index = since

        def find() -> JSON | None:
            nonlocal index
            while index < len(self.calls):
                name, params = self.calls[index]
                index += 1
                if name.lower() == method.lower() and (predicate is None or predicate(params)):
                    return params
            return None

        try:
            return await self._wait(find, timeout)
        except TimeoutError:
            raise WaitTimeout(f"no {method} call within {timeout}s") from None

    async def wait_delivered(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until a getUpdates answer has carried update `update_id` to the bot."""

        def find() -> bool | None:
            return True if self._delivered_update_id >= update_id else None

        try:
            await self._wait(find, timeout)
        except TimeoutError:
            raise WaitTimeout(f"update {update_id} not fetched within {timeout}s") from None

    async def _wait(self, find: Callable[[], T | None], timeout: float) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ----------------------------------------------------------------------------------------
    # HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = _normalize(await self._read_params(request))
        except ApiError as error:
            self.failures.append((method, {}, error))
            return self._error_response(error)
        self.calls.append((method, params))
        self._notify()
        try:
            faults = self._faults.get(method.lower())
            if faults:
                raise faults.popleft()
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            delay = self.delays.get(method)
            if delay:  # a slow server, so a test can stop the bot in the middle of a batch
                await asyncio.sleep(delay)
            flood = self.flood
            flood_chat = params.get("chat_id")
            if flood is None or not flood.applies_to(method) or not isinstance(flood_chat, int):
                result = await handler(params)
            else:
                self._check_flood(flood, method, flood_chat)
                # the send handlers do not await, so nothing else is counted meanwhile
                result = await handler(params)
                flood.record(flood_chat, self.clock())
            answer_delay = self.answer_delays.get(method)
            if answer_delay:
                await asyncio.sleep(answer_delay)
        except ApiError as error:
            self.failures.append((method, params, error))
            self._notify()
            return self._error_response(error)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.method not in ("POST", "PUT") or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            params.update(body)
            return params
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = Upload(value.file.read(), value.filename, value.content_type)
            elif isinstance(value, bytes):
                params[name] = value.decode("utf-8")
            else:
                params[name] = value
        return params

    def _check_flood(self, flood: FloodLimits, method: str, chat_id: int) -> None:
        wait = flood.wait(chat_id, self.clock())
        if wait <= 0:
            return
        retry_after = max(1, math.ceil(wait))
        self.flood_rejections.append(FloodRejection(method, chat_id, float(retry_after)))
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.json_response(error.body(), status=error.error_code)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # ----------------------------------------------------------------------------------------
    # Bot API methods

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older waiting poll ends with 409, as on the real server
        if isinstance(offset, int):
            self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT_POLL)
            batch = self._pending[:limit]
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
            self._notify()
        return batch

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    async def _set_webhook(self, params: JSON) -> bool:
        url = params.get("url")
        if not url:
            self.webhook = None
        else:
            if not str(url).startswith("https://"):
                raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided")
            self.webhook = {k: v for k, v in params.items() if not isinstance(v, Upload)}
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = int(self.webhook.get("max_connections") or 40)
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode") or None
        text, entities = self._render(raw, parse_mode, params.get("entities"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._reply_markup(params)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        message = self._bot_message(chat, content, markup, params)
        self._record(
            "sendMessage", params, message, text=raw, parse_mode=parse_mode, reply_markup=markup
        )
        return message

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        caption, entities, parse_mode = self._caption(params)
        markup = self._reply_markup(params)
        photo = params.get("photo")
        reused = False
        if isinstance(photo, Upload):
            if not photo.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if self.strict_images and not _is_image(photo.data):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            stored = self._store_photo(photo.data)
            sent: bytes | str = photo.data
        elif isinstance(photo, str) and photo:
            stored = self._known_file(photo, "photo")
            reused = True
            sent = photo
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        sizes = stored.photo_sizes or []
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._bot_message(chat, content, markup, params)
        self._record(
            "sendPhoto",
            params,
            message,
            text=params.get("caption"),
            parse_mode=parse_mode,
            reply_markup=markup,
            photo=sent,
            file_id=sizes[-1]["file_id"] if sizes else stored.file_id,
            file_reused=reused,
        )
        return message

    async def _send_document(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        caption, entities, parse_mode = self._caption(params)
        markup = self._reply_markup(params)
        document = params.get("document")
        reused = False
        if isinstance(document, Upload):
            if not document.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            stored = self._store_file(
                document.data,
                kind="document",
                file_name=document.filename,
                mime_type=document.content_type,
            )
            sent: bytes | str = document.data
        elif isinstance(document, str) and document:
            stored = self._known_file(document, "document")
            reused = True
            sent = document
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        content: JSON = {"document": stored.document_object()}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._bot_message(chat, content, markup, params)
        self._record(
            "sendDocument",
            params,
            message,
            text=params.get("caption"),
            parse_mode=parse_mode,
            reply_markup=markup,
            document=sent,
            file_name=stored.file_name,
            file_id=stored.file_id,
            file_reused=reused,
        )
        return message

    async def _send_chat_action(self, params: JSON) -> bool:
        self._writable_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._callbacks.get(query_id)
        if query is None or query_id in self._answered_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._answered_callbacks.add(query_id)
        chat_id = query.get("message", {}).get("chat", {}).get("id")
        self.sent.append(
            SentMessage(
                method="answerCallbackQuery",
                chat_id=chat_id,
                message_id=query.get("message", {}).get("message_id"),
                text=params.get("text"),
                callback_query_id=query_id,
                show_alert=bool(params.get("show_alert")),
                params=params,
            )
        )
        self._notify()
        return True

    async def _edit_message_text(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._editable_message(params)
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        text, entities = self._render(raw, parse_mode, params.get("entities"))
        if len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._reply_markup(params)
        new_markup = _visible_markup(markup)  # no reply_markup given: the keyboard goes away
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == new_markup
        ):
            raise ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(message, new_markup)
        message["edit_date"] = int(time.time())
        self._record(
            "editMessageText",
            params,
            message,
            text=raw,
            parse_mode=parse_mode,
            reply_markup=markup,
        )
        return dict(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._editable_message(params)
        markup = self._reply_markup(params)
        new_markup = _visible_markup(markup)
        if message.get("reply_markup") == new_markup:
            raise ApiError(400, _NOT_MODIFIED)
        self._set_markup(message, new_markup)
        message["edit_date"] = int(time.time())
        self._record("editMessageReplyMarkup", params, message, reply_markup=markup)
        return dict(message)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._writable_chat(params)
        message_id = _as_int("message_id", params.get("message_id"))
        if self._messages.pop((chat["id"], message_id), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted_messages.append((chat["id"], message_id))
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        checked: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            checked.append({"command": name, "description": description})
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if checked:
            self.commands[key] = checked
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return [dict(c) for c in self.commands.get(key, [])]

    async def _delete_my_commands(self, params: JSON) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    async def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise ApiError(400, "Bad Request: file is too big")
        return stored.file_object()

    # ----------------------------------------------------------------------------------------
    # Internals

    def _user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _remember_chat(
        self, chat_id: int, chat_type: ChatType, chat_title: str | None, user: JSON
    ) -> JSON:
        chat: JSON = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            for key in ("first_name", "last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            chat["title"] = chat_title or f"Chat {chat_id}"
        self._chats[chat_id] = chat
        return chat

    def _chat(self, chat_id: int) -> JSON:
        chat = self._chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _writable_chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.removed_chats:
            raise ApiError(403, self.removed_chats[chat_id])
        return self._chat(chat_id)

    def _member_update(self, chat: JSON, user: JSON, statuses: tuple[str, str]) -> JSON:
        def member(status: str) -> JSON:
            data: JSON = {"status": status, "user": self.bot_user}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return {
            "chat": chat,
            "from": user,
            "date": int(time.time()),
            "old_chat_member": member(statuses[0]),
            "new_chat_member": member(statuses[1]),
        }

    def _store_message(self, chat: JSON, sender: JSON, content: JSON) -> JSON:
        chat_id = int(chat["id"])
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "date": int(time.time()),
            "chat": chat,
            **content,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _last_bot_message(self, chat_id: int) -> JSON | None:
        for (cid, _), message in reversed(self._messages.items()):
            if cid == chat_id and message.get("from", {}).get("id") == self.bot_id:
                return message
        return None

    def _bot_message(self, chat: JSON, content: JSON, markup: JSON | None, params: JSON) -> JSON:
        reply_to = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id", reply_to)
        if reply_to is not None:
            target = self._messages.get((int(chat["id"]), _as_int("message_id", reply_to)))
            if target is None:
                allow = params.get("allow_sending_without_reply") or (
                    isinstance(reply_parameters, dict)
                    and reply_parameters.get("allow_sending_without_reply")
                )
                if not allow:
                    raise ApiError(400, "Bad Request: message to be replied not found")
            else:
                content = {**content, "reply_to_message": _strip_reply(target)}
        visible = _visible_markup(markup)
        if visible is not None:
            content = {**content, "reply_markup": visible}
        return dict(self._store_message(chat, self.bot_user, content))

    def _editable_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        message_id = _as_int("message_id", params.get("message_id"))
        message = self._messages.get((int(chat["id"]), message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    @staticmethod
    def _set_markup(message: JSON, markup: JSON | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    @staticmethod
    def _render(raw: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
        try:
            text, found = render_text(raw, parse_mode)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        if not parse_mode and isinstance(entities, list):
            found = [e for e in entities if isinstance(e, dict)]
        return text, found

    def _caption(self, params: JSON) -> tuple[str, list[JSON], str | None]:
        raw = params.get("caption")
        parse_mode = params.get("parse_mode") or None
        if not isinstance(raw, str) or not raw:
            return "", [], parse_mode
        caption, entities = self._render(raw, parse_mode, params.get("caption_entities"))
        if len(caption) > MAX_CAPTION_LENGTH:
            raise ApiError(400, "Bad Request: message caption is too long")
        return caption, entities, parse_mode

    @staticmethod
    def _reply_markup(params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        _check_reply_markup(markup)
        return dict(markup)

    def _record(self, method: str, params: JSON, message: JSON, **fields: Any) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=int(message["chat"]["id"]),
                message_id=int(message["message_id"]),
                params=params,
                message=dict(message),
                **fields,
            )
        )
        self._notify()

    def _new_ids(self, prefix: str) -> tuple[str, str]:
        self._file_counter += 1
        n = self._file_counter
        return f"{prefix}-fake-{n:06d}", f"AQAD-fake-{n:06d}"

    def _store_file(
        self,
        content: bytes,
        *,
        kind: Literal["photo", "document"],
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> StoredFile:
        new_id, unique_id = self._new_ids("AgAC" if kind == "photo" else "BQAC")
        folder = "photos" if kind == "photo" else "documents"
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        stored = StoredFile(
            file_id=file_id or new_id,
            file_unique_id=unique_id,
            content=content,
            file_path=f"{folder}/file_{self._file_counter}{suffix}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _store_photo(self, content: bytes) -> StoredFile:
        """A new photo in two sizes (thumbnail and full), each with its own file_id."""
        width, height = _image_size(content) or (800, 600)
        scale = min(1.0, 90 / max(width, height, 1))
        thumb = self._store_file(content, kind="photo")
        full = self._store_file(content, kind="photo")
        sizes = [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": len(content),
            },
            {
                "file_id": full.file_id,
                "file_unique_id": full.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(content),
            },
        ]
        thumb.photo_sizes = full.photo_sizes = sizes
        return full

    def _known_file(self, file_id: str, kind: Literal["photo", "document"]) -> StoredFile:
        if file_id.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise ApiError(400, f"Bad Request: can't use file of type {stored.kind} as {kind}")
        self.reused_file_ids.append(file_id)
        return stored


def plain_texts(messages: Iterable[SentMessage]) -> list[str]:
    """The plain texts of `messages` (handy in assertions)."""
    return [m.plain_text or "" for m in messages]
