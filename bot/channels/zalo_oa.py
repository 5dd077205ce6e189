"""The Zalo Official Account (API v3) channel: group and resident messages, token refresh,
webhook verification.

Sending (`ZaloOAClient.sender()` for `bot.delivery`): a chat id is an OA group id
(``/v3.0/oa/group/message``); a chat id ``user:<id>`` is a resident written to through the
consulting endpoint (``/v3.0/oa/message/cs``). Text is made plain, buttons become numbered
choices (as on the console) and long text is split within 2,000 characters counted as Zalo
counts them (UTF-16 code units: an emoji counts 2). A chart or photo is hosted by the bot
(`bot.files`, under PUBLIC_BASE_URL) and sent as a media message (``attachment`` of
``template_type`` "media" with the image's URL) carrying the text's last part; a file goes as a
line with its link (the OA's file messages need an upload token). Without PUBLIC_BASE_URL the
text goes with a line saying the picture or file could not be sent on Zalo, and the sender
returns `Sent(attachment_dropped=...)`. A part refused for length is "rejected" with its
counts in the reason.

Tokens: the access token lasts about 25 h and its refresh token is single-use, so:

* the pair lives in `store.oauth.TokenStore` and the new pair is saved there before use;
* a process runs one refresh at a time (an asyncio.Lock); a caller that waited on the lock
  re-reads the store and does not refresh again if the stored version changed;
* if another process refreshed first (the save loses, or Zalo refuses our now-used refresh
  token), the store is re-read and the other process's pair used;
* the token is refreshed when it expires within 5 minutes, and when Zalo answers -216 / -124
  (then the call is retried once).

Errors become `DeliveryError`: network errors, HTTP 5xx/429, rate limits and token trouble
are "retry" (a message waits for a human to re-authorise the OA rather than being dropped);
an unknown / unfollowed / removed recipient is "blocked"; anything else is "rejected". Parts of
a long message already sent are sent again when a later part fails and the row is retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.delivery import DeliveryError, Sender, Sent
from bot.files import FileHost, Media, RefFetcher, reply_media
from bot.render import utf16_len
from handlers.protocol import Reply
from store.oauth import TokenRec, TokenStore

log = logging.getLogger(__name__)

PROVIDER = "zalo_oa"
MAX_TEXT = 2000
REFRESH_MARGIN = timedelta(minutes=5)
EXPIRED_CODES = frozenset({-216, -124})  # access token invalid / expired
RATE_LIMIT_CODES = frozenset({-32})
# "user has not followed the OA", "user blocked the OA" (codes seen in Zalo's tables; the group
# API's own codes are not published, so the message text is matched too)
BLOCKED_CODES = frozenset({-213, -217})
_BLOCKED_TEXT = re.compile(
    r"not ?found|not exist|does not exist|not (a )?member|not in (the )?group|"
    r"removed|blocked|not follow|unfollow",
    re.I,
)
USER_PREFIX = "user:"
TOO_LONG_CODE = -210  # "parameter exceeds its limit": what a text over 2,000 gets
_TOO_LONG_TEXT = re.compile(r"too long|length", re.I)

EventCallback = Callable[[dict[str, Any]], Awaitable[None]]


class ZaloOAError(Exception):
    """A failed OA call. `transient`: worth trying again later (network, 5xx, rate limit)."""

    def __init__(self, code: int, message: str, transient: bool = False, token: bool = False):
        super().__init__(f"zalo_oa error {code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient
        self.token = token  # the OA's token could not be obtained / refreshed


def _utcnow() -> datetime:
    return datetime.now(UTC)


def signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    data = app_id.encode() + raw_body + timestamp.encode() + secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify_signature(
    app_id: str, raw_body: bytes, timestamp: str, secret_key: str, signature_header: str | None
) -> bool:
    """Checks X-ZEvent-Signature: ``mac=<sha256 hex>`` (the bare hex is accepted too)."""
    if not signature_header:
        return False
    given = signature_header.strip()
    if given.lower().startswith("mac="):
        given = given[4:]
    expected = signature(app_id, raw_body, timestamp, secret_key)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


class ZaloOAClient:
    def __init__(
        self,
        tokens: TokenStore,
        app_id: str,
        secret_key: str,
        oa_id: str,
        api_base_url: str = "https://openapi.zalo.me",
        oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token",
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], datetime] = _utcnow,
        timeout: float = 30.0,
        refresh_wait: float = 10.0,
        files: FileHost | None = None,
        fetch_ref: RefFetcher | None = None,
    ):
        self.tokens = tokens
        # where pictures and files are hosted for media messages (None: no PUBLIC_BASE_URL)
        self.files = files
        self.fetch_ref = fetch_ref  # the bytes of another channel's file ("telegram:<id>")
        self.app_id, self.secret_key, self.oa_id = app_id, secret_key, oa_id
        self.api_base_url = api_base_url.rstrip("/")
        self.oauth_url = oauth_url
        self.clock = clock
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        # how long to wait for another process's refresh to reach the store
        self.refresh_wait = refresh_wait
        self._session = session
        self._own_session = session is None
        self._lock = asyncio.Lock()
        self._cached: TokenRec | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.refreshes = 0  # refreshes this client ran (for tests and logs)

    # -- plumbing ---------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _post_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._http().post(url, timeout=self.timeout, **kwargs) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise ZaloOAError(resp.status, f"HTTP {resp.status}", transient=True)
                text = await resp.text()
                if resp.status != 200:
                    raise ZaloOAError(resp.status, f"HTTP {resp.status}: {text[:200]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ZaloOAError(0, f"network: {exc!r}", transient=True) from exc
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ZaloOAError(0, f"not JSON: {text[:200]}", transient=True) from exc
        if not isinstance(body, dict):
            raise ZaloOAError(0, f"unexpected answer: {text[:200]}")
        return body

    # -- tokens -----------------------------------------------------------------------------

    async def _stored(self) -> TokenRec:
        rec = await self.tokens.get(PROVIDER, self.oa_id)
        if rec is None:
            raise ZaloOAError(0, f"no OA token stored for {self.oa_id}", token=True)
        self._cached = rec
        return rec

    async def _token(self) -> TokenRec:
        rec = self._cached or await self._stored()
        if rec.expires_at - self.clock() <= REFRESH_MARGIN:
            rec = await self._refresh(rec)
        return rec

    async def _refresh(self, stale: TokenRec) -> TokenRec:
        """A fresh pair instead of `stale`: refreshed here, or by whoever refreshed first."""
        async with self._lock:
            current = await self._stored()
            if current.version != stale.version:
                return current  # refreshed meanwhile (here or in another process)
            try:
                access, refresh, expires_at = await self._call_oauth(current.refresh_token)
            except ZaloOAError as exc:
                if exc.transient:
                    raise
                # maybe another process used this refresh token and is about to save its pair
                latest = await self._wait_for_other(current.version)
                if latest is not None:
                    return latest
                log.error(
                    "zalo_oa %s: refreshing the token failed (%s); re-authorise the OA",
                    self.oa_id,
                    exc.message,
                )
                raise ZaloOAError(exc.code, exc.message, token=True) from exc
            self.refreshes += 1
            saved = await self.tokens.save(
                PROVIDER,
                self.oa_id,
                access,
                refresh,
                expires_at,
                self.clock(),
                expected_version=current.version,
            )
            if saved is None:  # another process saved its pair first: use that one
                log.warning("zalo_oa %s: another process refreshed first", self.oa_id)
                return await self._stored()
            log.info("zalo_oa %s: token refreshed (version %s)", self.oa_id, saved.version)
            self._cached = saved
            return saved

    async def _wait_for_other(self, version: int) -> TokenRec | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.refresh_wait
        while True:
            rec = await self._stored()
            if rec.version != version:
                return rec
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def _call_oauth(self, refresh_token: str) -> tuple[str, str, datetime]:
        body = await self._post_json(
            self.oauth_url,
            headers={"secret_key": self.secret_key},
            data={
                "refresh_token": refresh_token,
                "app_id": self.app_id,
                "grant_type": "refresh_token",
            },
        )
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not access or not refresh:
            code = int(body.get("error") or 0)
            message = str(
                body.get("error_description")
                or body.get("error_name")
                or body.get("message")
                or body
            )
            raise ZaloOAError(code, message)
        try:
            seconds = float(str(body.get("expires_in", "90000")))
        except ValueError:
            seconds = 90000.0
        return str(access), str(refresh), self.clock() + timedelta(seconds=seconds)

    # -- API calls --------------------------------------------------------------------------

    async def _api(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api_base_url}{path}"
        for attempt in (1, 2):
            rec = await self._token()
            body = await self._post_json(
                url, json=payload, headers={"access_token": rec.access_token}
            )
            code = int(body.get("error") or 0)
            if code == 0:
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            message = str(body.get("message") or "")
            if code in EXPIRED_CODES and attempt == 1:
                log.info("zalo_oa %s: token refused (%s %s); refreshing", self.oa_id, code, message)
                await self._refresh(rec)
                continue
            raise ZaloOAError(
                code,
                message,
                transient=code in RATE_LIMIT_CODES,
                token=code in EXPIRED_CODES,
            )
        raise AssertionError("unreachable")

    async def send_group_text(self, group_id: str, text: str) -> dict[str, Any]:
        return await self.send_message(group_id, {"text": text})

    async def send_cs_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self.send_message(f"{USER_PREFIX}{user_id}", {"text": text})

    async def send_message(self, chat_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """One message to a group id or to ``user:<id>`` (a resident, consulting endpoint)."""
        if chat_id.startswith(USER_PREFIX):
            recipient, path = {"user_id": chat_id[len(USER_PREFIX) :]}, "/v3.0/oa/message/cs"
        else:
            recipient, path = {"group_id": chat_id}, "/v3.0/oa/group/message"
        return await self._api(path, {"recipient": recipient, "message": message})

    # -- delivery ---------------------------------------------------------------------------

    def sender(self) -> Sender:
        async def send(chat_id: str, reply: Reply) -> Sent | str | None:
            return await _OASend(self, chat_id).reply(reply)

        return send

    def _delivery_error(self, chat_id: str, exc: ZaloOAError) -> DeliveryError:
        if exc.transient or exc.token:
            log.warning("zalo_oa send to %s: will retry (%s %s)", chat_id, exc.code, exc.message)
            return DeliveryError("retry", str(exc))
        blocked = exc.code in BLOCKED_CODES or bool(_BLOCKED_TEXT.search(exc.message))
        log.warning(
            "zalo_oa send to %s %s: %s %s",
            chat_id,
            "blocked" if blocked else "rejected",
            exc.code,
            exc.message,
        )
        return DeliveryError("blocked" if blocked else "rejected", str(exc))

    # -- webhook ----------------------------------------------------------------------------

    def webhook_handler(
        self, on_event: EventCallback
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """An aiohttp handler: checks X-ZEvent-Signature, answers at once (Zalo waits 2 s),
        and passes the event to `on_event` in the background."""

        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            try:
                event = json.loads(raw)
            except ValueError:
                return web.Response(status=400, text="bad json")
            if not isinstance(event, dict):
                return web.Response(status=400, text="bad event")
            timestamp = str(event.get("timestamp", ""))
            header = request.headers.get("X-ZEvent-Signature")
            if not verify_signature(self.app_id, raw, timestamp, self.secret_key, header):
                log.warning("zalo_oa webhook: bad signature from %s", request.remote)
                return web.Response(status=401, text="bad signature")
            task = asyncio.create_task(self._dispatch(on_event, event))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return web.Response(status=200, text="ok")

        return handle

    async def _dispatch(self, on_event: EventCallback, event: dict[str, Any]) -> None:
        try:
            await on_event(event)
        except Exception:
            log.exception("zalo_oa webhook: handling %s failed", event.get("event_name"))


def image_message(url: str, text: str = "") -> dict[str, Any]:
    """An OA message showing the picture at `url`, with `text` under it."""
    message: dict[str, Any] = {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "media",
                "elements": [{"media_type": "image", "url": url}],
            },
        }
    }
    if text:
        message["text"] = text
    return message


def _too_long(exc: ZaloOAError) -> bool:
    if exc.transient or exc.token:
        return False
    return exc.code == TOO_LONG_CODE or bool(_TOO_LONG_TEXT.search(exc.message))


class _OASend:
    """Sends one Reply to one chat (see the module's notes)."""

    def __init__(self, client: ZaloOAClient, chat_id: str):
        self.client, self.chat_id = client, chat_id

    async def reply(self, reply: Reply) -> Sent:
        from bot.channels.zalo import render_texts

        media = await reply_media(reply, self.client.files, self.client.fetch_ref)
        if media is not None and media.dropped:
            log.warning(
                "zalo_oa: %s %r not sent to %s (%s)",
                media.kind,
                media.name,
                self.chat_id,
                media.dropped,
            )
        parts = render_texts(reply, "vi", media)
        if media is None or media.url is None or media.kind != "photo":
            await self._texts(parts)
            return Sent(attachment_dropped=media.dropped if media is not None else None)
        caption = parts.pop() if parts else ""
        await self._texts(parts, total=len(parts) + 1)
        try:
            await self.client.send_message(self.chat_id, image_message(media.url, caption))
        except ZaloOAError as exc:
            if exc.transient or exc.token or self._blocked(exc):
                raise self.client._delivery_error(self.chat_id, exc) from exc
            # the OA could not take the picture (e.g. could not fetch it): the text still goes
            log.warning("zalo_oa: image to %s refused (%s); sending the text", self.chat_id, exc)
            missing = Media(media.kind, media.name, dropped=f"image refused: {exc}")
            await self._texts(render_texts(Reply(caption), "vi", missing))
            return Sent(attachment_dropped=missing.dropped)
        return Sent()

    @staticmethod
    def _blocked(exc: ZaloOAError) -> bool:
        return exc.code in BLOCKED_CODES or bool(_BLOCKED_TEXT.search(exc.message))

    async def _texts(self, parts: list[str], total: int | None = None) -> None:
        for index, part in enumerate(parts, 1):
            try:
                await self.client.send_message(self.chat_id, {"text": part})
            except ZaloOAError as exc:
                if _too_long(exc):
                    detail = (
                        f"part {index}/{total or len(parts)} refused for length "
                        f"({len(part)} characters, {utf16_len(part)} UTF-16 units; limit "
                        f"{MAX_TEXT}): {exc}"
                    )
                    log.error("zalo_oa send to %s: %s", self.chat_id, detail)
                    raise DeliveryError("rejected", detail) from exc
                raise self.client._delivery_error(self.chat_id, exc) from exc
