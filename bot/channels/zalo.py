"""The Zalo Bot platform (bot-api.zaloplatforms.com): updates -> Inbound, Reply -> Bot API calls.

The Zalo Bot API is shaped like Telegram's but is not wire-compatible: every method is a
`POST {base}/bot{token}/{method}` with a JSON body; answers are `{"ok": true, "result": ...}`
or `{"ok": false, "error_code": N, "description": "..."}`. `getUpdates` long-polls and returns
ONE update (no update_id, no offset); an empty poll answers ok without a result or a 408.
Polling and the webhook are exclusive, so polling deletes the webhook first.

Limitations of this adapter, by the platform:
- no inline buttons: a Reply's buttons become numbered choices, as on the console, and the
  router maps a typed number to the pending question's choice;
- `sendPhoto` takes a URL (or a Zalo id), not bytes: charts and photos are hosted by the bot
  itself (`bot.files`, under PUBLIC_BASE_URL) and sent as sendPhoto with the text's last part
  as caption; there is no sendDocument, so a file goes as a line with its link. Without
  PUBLIC_BASE_URL the text goes with a line saying the picture or file could not be sent on
  Zalo, and the proactive sender reports `Sent(attachment_dropped=...)`;
- text is limited to 2,000 characters counted as Zalo counts them (UTF-16 code units: an
  emoji counts 2), so long text is split with `bot.render.split_for_zalo`; a part refused for
  length anyway is reported (DeliveryError "rejected" with the part's counts), never dropped
  silently;
- text only in (photos, stickers and files from users are logged and ignored);
- in groups (still in limited testing) the bot only sees mentions and quote-replies, so every
  group message that reaches it is addressed to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.channels.console import render
from bot.files import FileHost, Media, RefFetcher, reply_media
from bot.render import ZALO_LIMIT, split_for_zalo, utf16_len
from handlers.protocol import ChatKind, Inbound, Reply
from handlers.router import Router
from locales import Translator, translator

if TYPE_CHECKING:
    from bot.delivery import Sent

log = logging.getLogger(__name__)
CHANNEL = "zalo"
DEFAULT_API = "https://bot-api.zaloplatforms.com"
TEXT_LIMIT = ZALO_LIMIT  # UTF-16 code units, as Zalo counts
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"
MAX_BACKOFF = 30.0
_LEADING_MENTION = re.compile(r"^@\S+[\s,:]*")


class ZaloError(Exception):
    """A failed call: `error_code` is the API's (or the HTTP status); 0 for network errors."""

    def __init__(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: float | None = None,
    ):
        super().__init__(f"{method}: {error_code} {description}".strip())
        self.method = method
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    @property
    def network(self) -> bool:
        return self.error_code == 0


def _chat_kind(chat_type: str) -> ChatKind:
    return "group" if str(chat_type).upper() == "GROUP" else "private"


def _strip_mention(text: str, names: list[str]) -> str:
    """A group message's text without the leading @mention of the bot."""
    stripped = text.lstrip()
    for name in names:
        mention = f"@{name}"
        if name and stripped.lower().startswith(mention.lower()):
            return stripped[len(mention) :].lstrip(" ,:")
    return _LEADING_MENTION.sub("", stripped, count=1) if stripped.startswith("@") else stripped


def to_inbound(update: dict[str, Any], bot_names: list[str] | None = None) -> Inbound | None:
    """An update's Inbound, or None for what the bot ignores (other events, bots' messages)."""
    event = update.get("event_name")
    message = update.get("message")
    if not isinstance(message, dict):
        log.info("zalo: update without a message ignored (%s)", event)
        return None
    if event != TEXT_EVENT:
        log.info("zalo: %s ignored (only text messages are handled)", event)
        return None
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    if sender.get("is_bot"):
        log.debug("zalo: message from a bot ignored")
        return None
    if chat.get("id") is None or sender.get("id") is None:
        log.warning("zalo: message without chat or sender ignored")
        return None
    kind = _chat_kind(str(chat.get("chat_type") or "PRIVATE"))
    text = str(message.get("text") or "")
    if kind == "group":
        text = _strip_mention(text, bot_names or [])
    return Inbound(
        channel=CHANNEL,
        chat_id=str(chat["id"]),
        chat_kind=kind,
        user_id=str(sender["id"]),
        user_name=str(sender.get("display_name") or ""),
        text=text,
        language=None,
        addressed=True,  # private, or a mention / quote-reply: all the bot sees of a group
    )


def render_texts(reply: Reply, language: str = "vi", media: Media | None = None) -> list[str]:
    """The messages one Reply becomes on Zalo: plain text with numbered choices (and, for
    `media`, the file's link or why it is missing), split at line boundaries into parts within
    2,000 characters and 2,000 UTF-16 code units, never empty."""
    text = render(reply, language)
    if not text.strip() and reply.image is not None and reply.image.caption:
        text = render(Reply(reply.image.caption), language)
    line = media_line(media, translator(language))
    if line:
        text = f"{text.rstrip()}\n{line}" if text.strip() else line
    if not text.strip():
        return []
    return split_for_zalo(text, TEXT_LIMIT)


def media_line(media: Media | None, _: Translator) -> str:
    """The line a text gets for its picture or file: the file's link, or that it could not be
    sent (a hosted photo needs no line: it goes as a photo)."""
    if media is None:
        return ""
    if media.url is None:
        if media.kind == "photo":
            return _("(The picture could not be sent on Zalo.)")
        return _("(The attached file {name} could not be sent on Zalo.)", name=media.name)
    if media.kind == "document":
        return _("File {name}: {url}", name=media.name, url=media.url)
    return ""


def is_length_error(description: str) -> bool:
    """Whether an API error says the text is too long."""
    text = description.lower()
    return any(w in text for w in ("2000", "too long", "length", "characters"))


def length_detail(part: str, index: int, total: int, exc: Exception) -> str:
    """A clear reason for a part Zalo refused for its length."""
    return (
        f"part {index}/{total} refused for length ({len(part)} characters, "
        f"{utf16_len(part)} UTF-16 units; limit {TEXT_LIMIT}): {exc}"
    )


class ZaloLengthError(Exception):
    """Zalo refused a part of a message for its length."""

    def __init__(self, detail: str, error: Exception):
        super().__init__(detail)
        self.error = error


class ZaloBotChannel:
    def __init__(
        self,
        router: Router,
        token: str,
        api_base_url: str = DEFAULT_API,
        session: aiohttp.ClientSession | None = None,
        files: FileHost | None = None,
        fetch_ref: RefFetcher | None = None,
    ):
        self.router = router
        self.token = token
        # where pictures and files are hosted for sendPhoto (None: PUBLIC_BASE_URL is not set)
        self.files = files
        self.fetch_ref = fetch_ref  # the bytes of another channel's file ("telegram:<id>")
        self.api_base_url = api_base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self.bot_names: list[str] = []  # the bot's names, to strip its @mention in groups
        self.poll_timeout = 30
        self._poll_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_locks: dict[str, asyncio.Lock] = {}

    # -- the API ---------------------------------------------------------------------------

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> Any:
        """One API call; its `result`, or ZaloError (error_code 0 for network errors)."""
        url = f"{self.api_base_url}/bot{self.token}/{method}"
        try:
            async with self._client().post(
                url, json=payload or {}, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                status = response.status
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ZaloError(method, 0, f"network error: {exc!r}") from exc
        if not isinstance(body, dict):
            raise ZaloError(method, status if status >= 400 else 502, "answer is not JSON")
        if body.get("ok"):
            return body.get("result")
        parameters = body.get("parameters") or {}
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise ZaloError(
            method,
            int(body.get("error_code") or (status if status >= 400 else 400)),
            str(body.get("description") or ""),
            float(retry_after) if retry_after is not None else None,
        )

    async def get_me(self) -> dict[str, Any]:
        me = await self.call("getMe")
        if isinstance(me, dict):
            names = [me.get("display_name"), me.get("account_name")]
            self.bot_names = [str(n) for n in names if n]
            return me
        return {}

    async def set_webhook(self, url: str, secret: str) -> None:
        if not 8 <= len(secret) <= 256:
            raise ValueError("the webhook secret must be 8 to 256 characters")
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def webhook_info(self) -> Any:
        return await self.call("getWebhookInfo")

    # -- receiving -------------------------------------------------------------------------

    async def start_polling(self, timeout: int = 30) -> None:
        """Deletes the webhook (polling and webhook are exclusive) and polls in a task."""
        self.poll_timeout = timeout
        self._stopping.clear()
        try:
            await self.get_me()
            await self.delete_webhook()
        except ZaloError as exc:
            log.warning("zalo: could not prepare polling (%s); polling anyway", exc)
        self._poll_task = asyncio.create_task(self._poll_loop())
        log.info("zalo: polling as %s", self.bot_names[0] if self.bot_names else "?")

    async def _poll_loop(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                update = await self.call(
                    "getUpdates", {"timeout": self.poll_timeout}, timeout=self.poll_timeout + 10
                )
            except ZaloError as exc:
                if exc.error_code == 408:  # nothing arrived during the long poll
                    backoff = 1.0
                    continue
                log.warning("zalo: getUpdates failed (%s); again in %.0fs", exc, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            except Exception:
                log.exception("zalo: getUpdates failed unexpectedly; again in %.0fs", backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            if isinstance(update, dict) and update:
                self._spawn(self.handle_update(update))

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("zalo: handling an update failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_update(self, update: dict[str, Any]) -> None:
        """Routes one update and sends the replies (one chat's updates one at a time)."""
        inbound = to_inbound(update, self.bot_names)
        if inbound is None:
            return
        lock = self._chat_locks.setdefault(inbound.chat_id, asyncio.Lock())
        async with lock:
            with contextlib.suppress(ZaloError):
                await self.call("sendChatAction", {"chat_id": inbound.chat_id, "action": "typing"})
            replies = await self.router.handle(inbound)
            language = await self._language(inbound)
            try:
                await self.send(inbound.chat_id, replies, language=language)
            except (ZaloError, ZaloLengthError) as exc:
                log.error("zalo: reply to %s not sent (%s)", inbound.chat_id, exc)
                # what it said is kept and told with the next reply to this person
                await self.router.reply_failed(inbound, replies)

    async def _language(self, inbound: Inbound) -> str:
        try:
            person = await self.router.services.repo.person_by_channel(CHANNEL, inbound.user_id)
        except Exception:
            log.debug("zalo: no language for %s", inbound.user_id, exc_info=True)
            return "vi"
        return (person.language if person is not None else None) or "vi"

    def webhook_handler(self, secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler for Zalo's webhook: checks the secret header, answers 200 at once
        and routes the update in the background."""

        async def handler(request: web.Request) -> web.Response:
            if request.headers.get(SECRET_HEADER) != secret:
                log.warning("zalo: webhook call with a wrong secret from %s", request.remote)
                return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"ok": False, "description": "Bad JSON"}, status=400)
            update = body.get("result") if isinstance(body, dict) and "result" in body else body
            if isinstance(update, dict) and update:
                self._spawn(self.handle_update(update))
            return web.json_response({"ok": True})

        return handler

    async def stop(self) -> None:
        """Stops polling at once, lets the updates being handled finish, closes the session."""
        self._stopping.set()
        task, self._poll_task = self._poll_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- sending ---------------------------------------------------------------------------

    async def send(self, chat_id: str, replies: list[Reply], language: str = "vi") -> Sent:
        """Sends the replies: text parts by sendMessage, a picture by sendPhoto (hosted under
        PUBLIC_BASE_URL) with the last text part as caption, a file as a line with its link.
        Reports why a picture or file did not go (`attachment_dropped`)."""
        from bot.delivery import Sent

        dropped: str | None = None
        for reply in replies:
            dropped = await self._send_one(chat_id, reply, language) or dropped
        return Sent(attachment_dropped=dropped)

    async def _send_one(self, chat_id: str, reply: Reply, language: str) -> str | None:
        media = await reply_media(reply, self.files, self.fetch_ref)
        if media is not None and media.dropped:
            log.warning(
                "zalo: %s %r not sent to %s (%s)", media.kind, media.name, chat_id, media.dropped
            )
        parts = render_texts(reply, language, media)
        if media is None or media.url is None or media.kind != "photo":
            await self._send_texts(chat_id, parts)
            return media.dropped if media is not None else None
        caption = parts.pop() if parts else ""
        await self._send_texts(chat_id, parts, total=len(parts) + 1)
        payload = {"chat_id": chat_id, "photo": media.url}
        if caption:
            payload["caption"] = caption
        try:
            await self.call("sendPhoto", payload)
        except ZaloError as exc:
            if exc.network or exc.error_code in (403, 408, 429) or exc.error_code >= 500:
                raise
            # Zalo could not take the picture (e.g. it could not fetch the URL): the text
            # still goes, saying the picture is missing
            log.warning("zalo: sendPhoto to %s refused (%s); sending the text", chat_id, exc)
            missing = Media(media.kind, media.name, dropped=f"sendPhoto refused: {exc}")
            await self._send_texts(chat_id, render_texts(Reply(caption), language, missing))
            return missing.dropped
        return None

    async def _send_texts(self, chat_id: str, parts: list[str], total: int | None = None) -> None:
        for index, part in enumerate(parts, 1):
            try:
                await self.call("sendMessage", {"chat_id": chat_id, "text": part})
            except ZaloError as exc:
                if exc.error_code == 400 and is_length_error(exc.description):
                    detail = length_detail(part, index, total or len(parts), exc)
                    log.error("zalo: to %s: %s", chat_id, detail)
                    raise ZaloLengthError(detail, exc) from exc
                raise


async def send_proactive(channel: ZaloBotChannel, chat_id: str, reply: Reply) -> Sent:
    """The outbox's sender for Zalo: the API's errors become what delivery should do; a
    picture or file that could not go is reported as `Sent(attachment_dropped=...)`."""
    from bot.delivery import DeliveryError

    try:
        return await channel.send(chat_id, [reply])
    except ZaloLengthError as exc:
        raise DeliveryError("rejected", str(exc)) from exc
    except ZaloError as exc:
        code, text = exc.error_code, exc.description.lower()
        if exc.network or code == 429 or code >= 500 or code == 408:
            raise DeliveryError("retry", str(exc), retry_after=exc.retry_after) from exc
        if code == 403 or any(
            w in text for w in ("block", "removed", "kicked", "chat not found", "user not found")
        ):
            raise DeliveryError("blocked", str(exc)) from exc
        if 400 <= code < 500:
            raise DeliveryError("rejected", str(exc)) from exc
        raise DeliveryError("unknown", str(exc)) from exc
