"""Telegram through python-telegram-bot: Update -> Inbound, Reply -> Bot API calls."""

from __future__ import annotations

import hmac
import logging
import os

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta
from typing import Any

from telegram import (
    BotCommand,
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
    NetworkError,
    RetryAfter,
    TelegramError,
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
from bot.render import split_text, to_html
from handlers.commands import COMMANDS
from handlers.protocol import ChatKind, Inbound, InboundFile, Reply
from handlers.router import Router
from locales import translator

log = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MENU_LANGUAGES = ("vi", "en")


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


class TelegramChannel:
    def __init__(
        self,
        router: Router,
        token: str,
        api_base_url: str | None = None,
        concurrent_updates: int = 64,
        request: BaseRequest | None = None,
        flood_limit: int = 30,
    ):
        self.router = router
        # Telegram's ~30 messages/s, shared by every sender (a benchmark with the Bot API
        # answered in-process measures the bot itself with a higher limit)
        self.limiter = SlidingWindowLimiter(limit=flood_limit)
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

    async def start(
        self,
        poll_interval: float = 0.0,
        timeout: int = 30,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        """Connects, sets the command menu and starts long polling, or, with a webhook URL,
        tells Telegram to post updates there (see `webhook_handler`)."""
        app = self.application
        await app.initialize()
        self.router.bot_username = app.bot.username
        await set_commands(app)
        await app.start()
        if webhook_url:
            await app.bot.set_webhook(
                webhook_url, secret_token=webhook_secret, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram: webhook at %s as @%s", webhook_url, app.bot.username)
            return
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=poll_interval, timeout=timeout, drop_pending_updates=False
        )
        log.info("telegram: polling as @%s", app.bot.username)

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
            await self.send(chat.id, replies, reply_to=reply_to)

    async def send(
        self,
        chat_id: int | str,
        replies: list[Reply],
        reply_to: int | None = None,
        priority: str = INTERACTIVE,
    ) -> str | None:
        """Sends the replies; returns the channel's id of an attachment uploaded as bytes
        (so that the next send can use the id). `priority`: see bot/ratelimit.py."""
        bot = self.application.bot
        uploaded = None
        for reply in replies:
            if reply.attachment is not None:
                uploaded = await self._send_attachment(chat_id, reply, priority)
                if len(reply.text) <= CAPTION_LIMIT:
                    continue  # the text went as the caption
            if reply.image is not None and not reply.buttons and len(reply.text) <= CAPTION_LIMIT:
                # the answer and its chart in one message: one message, not two, per question
                async with self.limiter.place(priority):
                    await self._send_image(chat_id, reply, caption=reply.text, reply_to=reply_to)
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
                    async with self.limiter.place(priority):
                        await bot.send_message(
                            chat_id,
                            to_html(part),
                            parse_mode=ParseMode.HTML,
                            reply_markup=markup,
                            reply_to_message_id=reply_to if index == 0 else None,
                            allow_sending_without_reply=True,
                        )
            if reply.image is not None:
                async with self.limiter.place(priority):
                    await self._send_image(chat_id, reply)
        return uploaded

    async def _send_attachment(self, chat_id: int | str, reply: Reply, priority: str) -> str | None:
        attachment = reply.attachment
        assert attachment is not None
        bot = self.application.bot
        caption = to_html(reply.text) if 0 < len(reply.text) <= CAPTION_LIMIT else None
        if attachment.ref and attachment.ref.startswith(f"{CHANNEL}:"):
            media: Any = attachment.ref.removeprefix(f"{CHANNEL}:")
        else:
            media = InputFile(attachment.data or b"", filename=attachment.name or "file")
        async with self.limiter.place(priority):
            if attachment.kind == "photo":
                sent = await bot.send_photo(
                    chat_id, media, caption=caption, parse_mode=ParseMode.HTML
                )
                file_id = sent.photo[-1].file_id if sent.photo else None
            else:
                sent = await bot.send_document(
                    chat_id, media, caption=caption, parse_mode=ParseMode.HTML
                )
                file_id = sent.document.file_id if sent.document else None
        if isinstance(media, InputFile) and file_id:
            return f"{CHANNEL}:{file_id}"
        return None

    async def _send_image(
        self, chat_id: int | str, reply: Reply, caption: str = "", reply_to: int | None = None
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
                await bot.send_photo(chat_id, file_id, **extra)
                return
            except BadRequest:
                log.warning("stored photo id rejected; uploading the chart again")
        sent = await bot.send_photo(chat_id, await image.source.png(), **extra)
        if sent.photo:
            await image.source.remember(CHANNEL, sent.photo[-1].file_id)


async def send_proactive(channel: TelegramChannel, chat_id: str, reply: Reply) -> str | None:
    """The outbox's sender for Telegram: Telegram's errors become what delivery should do."""
    from bot.delivery import DeliveryError

    try:
        return await channel.send(int(chat_id), [reply], priority=BACKGROUND)
    except ChatMigrated as exc:
        raise DeliveryError("migrated", str(exc), new_chat_id=str(exc.new_chat_id)) from exc
    except RetryAfter as exc:
        after = exc.retry_after
        seconds = after.total_seconds() if hasattr(after, "total_seconds") else float(after)
        raise DeliveryError("retry", str(exc), retry_after=seconds) from exc
    except Forbidden as exc:  # blocked, kicked, or the chat is gone
        raise DeliveryError("blocked", str(exc)) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise DeliveryError("blocked", str(exc)) from exc
        raise DeliveryError("rejected", str(exc)) from exc
    except NetworkError as exc:  # timeouts, connection errors, 5xx
        raise DeliveryError("retry", str(exc)) from exc
    except TelegramError as exc:
        raise DeliveryError("unknown", str(exc)) from exc


async def set_commands(app: Application) -> None:
    """The command menu in Vietnamese, and in English for clients set to English."""
    for language in MENU_LANGUAGES:
        _ = translator(language)
        commands = [BotCommand(c.name, _(c.description)) for c in COMMANDS if c.menu]
        await app.bot.set_my_commands(
            commands, language_code=None if language == "vi" else language
        )
