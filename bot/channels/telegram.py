"""Telegram through python-telegram-bot: Update -> Inbound, Reply -> Bot API calls."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta
from dataclasses import replace
from typing import Any, TypeVar

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.ratelimit import BACKGROUND, INTERACTIVE, SlidingWindowLimiter
from bot.render import split_text, to_html, to_plain
from handlers.commands import COMMANDS, for_role
from handlers.protocol import ChatKind, Inbound, InboundFile, Reply
from handlers.router import Router
from locales import Translator, translator
from store.records import PersonRec

log = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MENU_LANGUAGES = ("vi", "en")
MENU_ROLE = "staff"  # everyone's menu; other roles get theirs in their private chat
DEFAULT_FLOOD_LIMIT = 30  # Telegram's messages a second over all chats


class WebhookRefused(Exception):
    """Telegram refused to set the webhook (its words: the URL or the secret token)."""


def _chat_kind(chat_type: str) -> ChatKind:
    return "private" if chat_type == "private" else "group"


def _addressed(message: Message, bot_id: int, username: str) -> tuple[bool, str]:
    """Whether a group message is meant for the bot, and its text without the @mention."""
    text = message.text or message.caption or ""
    if message.chat.type == "private":
        return True, text
    addressed = text.startswith("/")
    mention = f"@{username}".lower()
    entities = {
        **message.parse_entities([MessageEntityType.MENTION]),
        **message.parse_caption_entities([MessageEntityType.MENTION]),
    }
    if any(value.lower() == mention for value in entities.values()):
        addressed = True
    if mention in text.lower() and not text.startswith("/"):
        addressed = True
        start = text.lower().index(mention)
        text = (text[:start] + text[start + len(mention) :]).strip(" ,:")
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == bot_id:
        addressed = True
    return addressed, text


def to_inbound(update: Update, bot_id: int, username: str) -> Inbound | None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": str(chat.id),
        "chat_kind": _chat_kind(chat.type),
        "chat_title": chat.title or "",
        "user_id": str(user.id),
        "user_name": user.full_name,
        "language": user.language_code,
    }
    if update.callback_query is not None:
        return Inbound(**base, event="button", button_data=update.callback_query.data or "")
    if message is None:
        return None
    addressed, text = _addressed(message, bot_id, username)
    file = None
    if message.photo:
        photo = message.photo[-1]

        async def fetch_photo() -> bytes:
            tg_file = await photo.get_file()
            return bytes(await tg_file.download_as_bytearray())

        file = InboundFile(
            "photo.jpg", photo.file_size, "image/jpeg", fetch_photo, ref=f"telegram:{photo.file_id}"
        )
    elif message.document is not None:
        document = message.document

        async def fetch() -> bytes:
            tg_file = await document.get_file()
            return bytes(await tg_file.download_as_bytearray())

        file = InboundFile(
            document.file_name or "file",
            document.file_size,
            document.mime_type,
            fetch,
            ref=f"telegram:{document.file_id}",
        )
    return Inbound(**base, text=text, file=file, addressed=addressed)


MAX_REPLY_WAIT = 30.0  # the longest 429 wait a reply honours before it counts as failed
REPLY_RETRY_DELAYS = (0.5, 2.0, 5.0)  # an interactive send is tried again after these
# Telegram: ~1 message/s in a private chat with short bursts, 20 messages a minute in a group;
# paced a little slower, since Telegram counts a send when it arrives, after our turn
PRIVATE_PER_SECOND, PRIVATE_BURST = 0.8, 3
GROUP_PER_WINDOW, GROUP_WINDOW = 20, 62.0
T = TypeVar("T")


class ChatPacer:
    """Telegram's per-chat limits for interactive replies: a private chat gets a short burst
    (PRIVATE_BURST) and then about one message a second, a group 20 messages a minute. Each
    send takes its turn (reserved at once, so concurrent replies to a chat queue up) before it
    goes; a 429's retry_after holds the chat. Time: `time.monotonic` (real waiting)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._tokens: dict[str, tuple[float, float]] = {}  # private chat -> (tokens, at)
        self._groups: dict[str, deque[float]] = {}  # group -> reserved send times
        self._held: dict[str, float] = {}  # chat -> no send before this time (a 429)

    def _reserve(self, chat_id: int | str) -> float:
        """The time this chat's next send may go, reserved for it."""
        key, now = str(chat_id), self.now()
        start = max(now, self._held.get(key, 0.0))
        if key.startswith("-"):  # a group
            times = self._groups.setdefault(key, deque())
            while times and times[0] <= now - GROUP_WINDOW:
                times.popleft()
            if len(times) >= GROUP_PER_WINDOW:
                start = max(start, times[-GROUP_PER_WINDOW] + GROUP_WINDOW)
            times.append(start)
            return start
        tokens, since = self._tokens.get(key, (float(PRIVATE_BURST), now))
        tokens = min(float(PRIVATE_BURST), tokens + (now - since) * PRIVATE_PER_SECOND)
        tokens -= 1.0  # may go below zero: the debt is the wait
        if tokens < 0:
            start = max(start, now + (-tokens) / PRIVATE_PER_SECOND)
        self._tokens[key] = (tokens, now)
        return start

    async def turn(self, chat_id: int | str) -> None:
        wait = self._reserve(chat_id) - self.now()
        if wait > 0:
            await asyncio.sleep(wait)

    def hold(self, chat_id: int | str, seconds: float) -> None:
        """Telegram said to wait: no send to this chat for `seconds`."""
        key = str(chat_id)
        self._held[key] = max(self._held.get(key, 0.0), self.now() + seconds)


class TelegramChannel:
    def __init__(
        self,
        router: Router,
        token: str,
        api_base_url: str | None = None,
        concurrent_updates: int = 64,
        request: BaseRequest | None = None,
        flood_limit: int = DEFAULT_FLOOD_LIMIT,
    ):
        self.router = router
        # Telegram's ~30 messages/s, shared by every sender (a benchmark with the Bot API
        # answered in-process measures the bot itself with a higher limit)
        self.limiter = SlidingWindowLimiter(limit=flood_limit)
        # per-chat pacing of replies; not when the flood limit is lifted (a benchmark)
        self.pacer = ChatPacer() if flood_limit <= DEFAULT_FLOOD_LIMIT else None
        self.retry_delays: tuple[float, ...] = REPLY_RETRY_DELAYS
        self._menus: asyncio.Task[None] | None = None  # the personal menus, set after start
        builder: ApplicationBuilder = ApplicationBuilder().token(token)
        if request is not None:  # benchmarks answer the Bot API in-process
            builder = builder.request(request).get_updates_request(request)
        if api_base_url:
            builder = builder.base_url(f"{api_base_url}/bot").base_file_url(
                f"{api_base_url}/file/bot"
            )
        self.application: Application = builder.concurrent_updates(concurrent_updates).build()
        app = self.application
        app.add_handler(ChatMemberHandler(self._on_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_update))
        app.add_handler(
            MessageHandler(
                (filters.TEXT | filters.Document.ALL | filters.PHOTO) & ~filters.UpdateType.EDITED,
                self._on_update,
            )
        )
        app.add_error_handler(self._on_error)

    async def connect(
        self,
        stopping: asyncio.Event | None = None,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
    ) -> bool:
        """Reaches the Bot API (getMe), trying again with back-off while it cannot be reached
        (each try logged) until it answers or `stopping` is set (then False). A token that
        Telegram rejects (InvalidToken) or a refused request is raised, not retried."""
        app = self.application
        delay, tries = first_delay, 0
        while True:
            tries += 1
            try:
                await app.initialize()
                return True
            except (InvalidToken, BadRequest, Forbidden):
                raise
            except (NetworkError, TelegramError) as exc:
                log.warning(
                    "telegram: the Bot API cannot be reached (try %d: %s: %s); "
                    "trying again in %.0fs",
                    tries,
                    type(exc).__name__,
                    exc,
                    delay,
                )
            if stopping is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=delay)
                if stopping.is_set():
                    return False
            delay = min(max_delay, delay * 2)

    async def start(
        self,
        poll_interval: float = 0.0,
        timeout: int = 30,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        """Connects (trying again while the Bot API cannot be reached), sets the command menu
        and starts long polling, or, with a webhook URL, tells Telegram to post updates there
        (see `webhook_handler`)."""
        app = self.application
        await self.connect()
        self.router.bot_username = app.bot.username
        try:
            await set_commands(app)
        except (NetworkError, RetryAfter) as exc:  # the menu is a convenience: not worth a stop
            log.warning("telegram: the command menu was not set (%s)", exc)
        # each admin's, chairman's and digital team member's own menu: one call per person and
        # language (thousands in a province), in the background, not before the bot answers
        self._menus = asyncio.create_task(self._personal_menus(), name="telegram-menus")
        await app.start()
        if webhook_url:
            try:
                await app.bot.set_webhook(
                    webhook_url, secret_token=webhook_secret, allowed_updates=Update.ALL_TYPES
                )
            except BadRequest as exc:
                raise WebhookRefused(str(exc)) from exc
            log.info("telegram: webhook at %s as @%s", webhook_url, app.bot.username)
            return
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=poll_interval, timeout=timeout, drop_pending_updates=False
        )
        log.info("telegram: polling as @%s", app.bot.username)

    async def _personal_menus(self) -> None:
        try:
            await set_personal_commands(self.application, await self._people())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the menu is a convenience: logged, never a stop
            log.warning("telegram: the personal command menus were not all set (%s)", exc)

    async def _people(self) -> list[PersonRec]:
        """Everyone the bot knows, for the menus per role (one query for every ward)."""
        repo = self.router.services.repo
        by_ward = await repo.people_of_wards(w.id for w in await repo.wards())
        return [p for people in by_ward.values() for p in people]

    def webhook_handler(self, secret: str) -> Any:
        """aiohttp handler for Telegram's webhook: the secret header must match (else 401);
        the update is queued for the Application and answered at once."""
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not secret or not hmac.compare_digest(given, secret):
                return web.Response(status=401)
            try:
                update = Update.de_json(await request.json(), self.application.bot)
            except ValueError:
                return web.Response(status=400)
            await self.application.update_queue.put(update)
            return web.Response(status=200)

        return handle

    async def stop(self) -> None:
        if self._menus is not None and not self._menus.done():
            self._menus.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menus
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram error: %s", context.error, exc_info=context.error)

    async def _on_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        member = update.my_chat_member
        if member is None:
            return
        joined = member.new_chat_member.status in (
            ChatMemberStatus.MEMBER,
            ChatMemberStatus.ADMINISTRATOR,
        )
        was_in = member.old_chat_member.status in (
            ChatMemberStatus.MEMBER,
            ChatMemberStatus.ADMINISTRATOR,
        )
        if joined == was_in or member.chat.type == "channel":
            return
        inbound = Inbound(
            channel=CHANNEL,
            chat_id=str(member.chat.id),
            chat_kind=_chat_kind(member.chat.type),
            chat_title=member.chat.title or "",
            user_id=str(member.from_user.id),
            language=member.from_user.language_code,
            event="bot_added" if joined else "bot_removed",
        )
        replies = await self.router.handle(inbound)
        if joined:
            await self.send(member.chat.id, replies)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = context.bot
        inbound = to_inbound(update, bot.id, bot.username)
        if inbound is None:
            return
        query = update.callback_query
        if query is not None:
            await query.answer()
        replies = await self.router.handle(inbound)
        answered = inbound.button_data.startswith("p")  # a question (not a task button)
        if query is not None and query.message is not None and replies and answered:
            try:  # the question is answered: take its buttons away
                await bot.edit_message_reply_markup(
                    query.message.chat.id, query.message.message_id, reply_markup=None
                )
            except TelegramError:
                log.debug("could not remove buttons", exc_info=True)
        chat = update.effective_chat
        if chat is not None:
            message = update.effective_message
            reply_to = (
                message.message_id
                if message is not None and chat.type != "private" and query is None
                else None
            )
            try:
                await self.send(chat.id, replies, reply_to=reply_to)
            except TelegramError as exc:
                # retried already: what the reply said is kept and told with the next one
                log.warning("telegram: a reply to chat %s was not sent: %s", chat.id, exc)
                await self.router.reply_failed(inbound, replies)

    async def send(
        self,
        chat_id: int | str,
        replies: list[Reply],
        reply_to: int | None = None,
        priority: str = INTERACTIVE,
    ) -> str | None:
        """Sends the replies; returns the channel's id of an attachment uploaded as bytes
        (so that the next send can use the id). `priority`: see bot/ratelimit.py.

        A long text goes part by part, its buttons on the last part. Interactive replies are
        paced per chat (Telegram's ~1 message/s in a private chat, 20/min in a group) and a
        part answered 429 or 5xx is sent again (`_call`); background sends (the outbox) raise
        at once and leave retrying to bot/delivery.py."""
        uploaded = None
        for reply in replies:
            if reply.attachment is not None:
                uploaded = await self._send_attachment(chat_id, reply, priority)
                if len(reply.text) <= CAPTION_LIMIT:
                    continue  # the text went as the caption
            if reply.image is not None and not reply.buttons and len(reply.text) <= CAPTION_LIMIT:
                # the answer and its chart in one message: one message, not two, per question
                await self._send_image(
                    chat_id, reply, caption=reply.text, reply_to=reply_to, priority=priority
                )
                continue
            if reply.text:
                parts = split_text(reply.text, TEXT_LIMIT)
                for index, part in enumerate(parts):
                    markup = None
                    if index == len(parts) - 1 and reply.buttons:
                        markup = InlineKeyboardMarkup(
                            [
                                [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                for row in reply.buttons
                            ]
                        )
                    await self._send_text(
                        chat_id, part, markup, reply_to if index == 0 else None, priority
                    )
            if reply.image is not None:
                await self._send_image(chat_id, reply, priority=priority)
        return uploaded

    async def _send_text(
        self,
        chat_id: int | str,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
        priority: str,
    ) -> None:
        bot = self.application.bot
        try:
            await self._call(
                chat_id,
                priority,
                lambda: bot.send_message(
                    chat_id,
                    to_html(text),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_to_message_id=reply_to,
                    allow_sending_without_reply=True,
                ),
            )
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            # never expected (to_html cannot nest wrongly), but a reply is worth more than
            # its bold: the same text without markup
            log.error("telegram refused the HTML of a reply (%s); sending it as plain text", exc)
            await self._call(
                chat_id,
                priority,
                lambda: bot.send_message(
                    chat_id,
                    to_plain(text),
                    reply_markup=markup,
                    reply_to_message_id=reply_to,
                    allow_sending_without_reply=True,
                ),
            )

    async def _call(self, chat_id: int | str, priority: str, make: Callable[[], Awaitable[T]]) -> T:
        """One send: a place in the overall window (bot/ratelimit.py) and, for an interactive
        reply, its turn in the chat (`ChatPacer`) and a few tries again after a 429 (after
        the retry_after Telegram asks for) or a network error / 5xx."""
        interactive = priority == INTERACTIVE
        tries = 0
        while True:
            if interactive and self.pacer is not None:
                await self.pacer.turn(chat_id)
            try:
                async with self.limiter.place(priority):
                    return await make()
            except RetryAfter as exc:
                if not interactive or tries >= len(self.retry_delays):
                    raise
                after = exc.retry_after
                seconds = after.total_seconds() if hasattr(after, "total_seconds") else after
                wait = min(float(seconds), MAX_REPLY_WAIT)
                if self.pacer is not None:
                    self.pacer.hold(chat_id, wait)
                log.info("telegram: 429 on a reply to %s; sending again in %.0fs", chat_id, wait)
            except (ChatMigrated, Forbidden, BadRequest, InvalidToken):
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                if not interactive or tries >= len(self.retry_delays):
                    raise
                wait = self.retry_delays[tries]
                log.info("telegram: a reply to %s failed (%s); again in %.1fs", chat_id, exc, wait)
            await asyncio.sleep(wait)
            tries += 1

    async def _send_attachment(self, chat_id: int | str, reply: Reply, priority: str) -> str | None:
        attachment = reply.attachment
        assert attachment is not None
        bot = self.application.bot
        caption = to_html(reply.text) if 0 < len(reply.text) <= CAPTION_LIMIT else None
        if attachment.ref and attachment.ref.startswith(f"{CHANNEL}:"):
            media: Any = attachment.ref.removeprefix(f"{CHANNEL}:")
        else:
            media = InputFile(attachment.data or b"", filename=attachment.name or "file")
        if attachment.kind == "photo":
            sent = await self._call(
                chat_id,
                priority,
                lambda: bot.send_photo(chat_id, media, caption=caption, parse_mode=ParseMode.HTML),
            )
            file_id = sent.photo[-1].file_id if sent.photo else None
        else:
            sent = await self._call(
                chat_id,
                priority,
                lambda: bot.send_document(
                    chat_id, media, caption=caption, parse_mode=ParseMode.HTML
                ),
            )
            file_id = sent.document.file_id if sent.document else None
        if isinstance(media, InputFile) and file_id:
            return f"{CHANNEL}:{file_id}"
        return None

    async def _send_image(
        self,
        chat_id: int | str,
        reply: Reply,
        caption: str = "",
        reply_to: int | None = None,
        priority: str = INTERACTIVE,
    ) -> None:
        image = reply.image
        assert image is not None
        bot = self.application.bot
        text = to_html(caption or image.caption) or None
        extra: dict[str, Any] = {"caption": text, "parse_mode": ParseMode.HTML}
        if reply_to is not None:
            extra.update(reply_to_message_id=reply_to, allow_sending_without_reply=True)
        file_id = await image.source.channel_id(CHANNEL)
        if file_id is not None:
            try:
                await self._call(
                    chat_id, priority, lambda: bot.send_photo(chat_id, file_id, **extra)
                )
                return
            except BadRequest:
                log.warning("stored photo id rejected; uploading the chart again")
        png = await image.source.png()
        sent = await self._call(chat_id, priority, lambda: bot.send_photo(chat_id, png, **extra))
        if sent.photo:
            await image.source.remember(CHANNEL, sent.photo[-1].file_id)


# transport errors raised before the request was written: Telegram surely did not get it
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a failed call may have reached Telegram and taken effect: a timeout or a dropped
    connection after the request was written (its answer was lost). Not when the connection
    was never made (refused, DNS, a pool timeout) nor when Telegram answered (5xx, 429)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _NOT_SENT):
            return False
        if isinstance(seen, httpx.TransportError):  # read/write timeouts and errors, protocol
            return True
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, TimedOut):  # a timeout whose cause is not known
        return "Pool timeout" not in str(exc)
    # PTB wraps a failure of its HTTP layer it does not know as "Unknown error in HTTP ..."
    return isinstance(exc, NetworkError) and "unknown error in http" in str(exc).lower()


def _one_message_parts(reply: Reply) -> list[Reply]:
    """A reply as one reply per message, so that the delivery can record the parts delivered:
    a text longer than one message in parts (the buttons on the last), and a chart that cannot
    go with the text as its caption after it, on its own (a failed chart is sent again without
    its text). A reply with an attachment, or a short text with its chart, is one message."""
    if reply.attachment is not None:
        return [reply]
    if reply.image is not None:
        if not reply.buttons and len(reply.text) <= CAPTION_LIMIT:
            return [reply]
        return [*_one_message_parts(replace(reply, image=None)), Reply("", image=reply.image)]
    if len(reply.text) <= TEXT_LIMIT:
        return [reply]
    texts = split_text(reply.text, TEXT_LIMIT)
    last = len(texts) - 1
    return [
        replace(reply, text=text, buttons=reply.buttons if i == last else [])
        for i, text in enumerate(texts)
    ]


async def send_proactive(channel: TelegramChannel, chat_id: str, reply: Reply) -> str | None:
    """The outbox's sender for Telegram: Telegram's errors become what delivery should do.

    A long message goes part by part, from the first part an earlier attempt did not deliver
    (`bot.delivery.delivered_parts`); an error says how many parts are delivered."""
    from bot.delivery import DeliveryError, delivered_parts

    parts = _one_message_parts(reply)
    done = min(delivered_parts.get(), len(parts) - 1) if len(parts) > 1 else 0
    progress = len(parts) > 1
    uploaded = None
    try:
        for part in parts[done:]:
            uploaded = await channel.send(int(chat_id), [part], priority=BACKGROUND)
            done += 1
        return uploaded
    except ChatMigrated as exc:
        raise DeliveryError("migrated", str(exc), new_chat_id=str(exc.new_chat_id)) from exc
    except RetryAfter as exc:
        after = exc.retry_after
        seconds = after.total_seconds() if hasattr(after, "total_seconds") else float(after)
        raise DeliveryError(
            "retry", str(exc), retry_after=seconds, parts_sent=done if progress else None
        ) from exc
    except Forbidden as exc:  # blocked, kicked, or the chat is gone
        raise DeliveryError("blocked", str(exc)) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise DeliveryError("blocked", str(exc)) from exc
        raise DeliveryError("rejected", str(exc)) from exc
    except NetworkError as exc:  # timeouts, connection errors, 5xx
        raise DeliveryError(
            "retry",
            str(exc) or type(exc).__name__,
            outcome_unknown=outcome_unknown(exc),
            parts_sent=done if progress else None,
        ) from exc
    except TelegramError as exc:
        raise DeliveryError("unknown", str(exc), parts_sent=done if progress else None) from exc


MENU_RETRIES = 3  # tries of one person's menu that meets Telegram's flood limit


def _menu(role: str, _: Translator) -> list[BotCommand]:
    return [BotCommand(c.name, _(c.description)) for c in for_role(role, menu=True)]


def _menu_of(roles: Sequence[str], _: Translator) -> list[BotCommand]:
    """The menu of someone with these roles (one per ward they are in): every command any
    of them may use, in the registry's order."""
    if len(set(roles)) == 1:
        return _menu(roles[0], _)
    names = {c.name for role in roles for c in for_role(role, menu=True)}
    return [BotCommand(c.name, _(c.description)) for c in COMMANDS if c.name in names]


async def set_commands(app: Application, people: Sequence[PersonRec] = ()) -> None:
    """The command menu (generated from the registry), in Vietnamese and in English for
    clients set to English: what department staff may use for everyone, then for each of
    `people` whose role may use more or other commands (administrators, the digital team,
    the chairman) their own menu in their private chat."""
    for language in MENU_LANGUAGES:
        _ = translator(language)
        code = None if language == "vi" else language
        await app.bot.set_my_commands(_menu(MENU_ROLE, _), language_code=code)
    await set_personal_commands(app, people)


async def set_personal_commands(app: Application, people: Sequence[PersonRec]) -> None:
    """Each person's own menu in their private chat, where it differs from everyone's."""
    roles: dict[str, list[str]] = {}  # one person in several wards: one menu
    for person in people:
        if (person.telegram_id or "").isdigit():
            roles.setdefault(person.telegram_id or "", []).append(person.role)
    for language in MENU_LANGUAGES:
        _ = translator(language)
        code = None if language == "vi" else language
        default = _menu(MENU_ROLE, _)
        for telegram_id, theirs in roles.items():
            own = _menu_of(theirs, _)
            if own == default:
                continue
            scope = BotCommandScopeChat(int(telegram_id))
            for _attempt in range(MENU_RETRIES):
                try:
                    await app.bot.set_my_commands(own, scope=scope, language_code=code)
                    break
                except RetryAfter as exc:  # thousands of menus meet the flood limit: wait
                    after = exc.retry_after
                    await asyncio.sleep(
                        after.total_seconds() if hasattr(after, "total_seconds") else float(after)
                    )
