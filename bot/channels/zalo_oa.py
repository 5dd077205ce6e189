"""The Zalo Official Account (API v3) channel: group and resident messages, token refresh,
webhook verification.

Sending (`ZaloOAClient.sender()` for `bot.delivery`): a chat id is an OA group id
(``/v3.0/oa/group/message``); a chat id ``user:<id>`` is a resident written to through the
consulting endpoint (``/v3.0/oa/message/cs``). Text is made plain, buttons become numbered
choices (as on the console) and long text is split at 2,000 characters. Images and
attachments are NOT sent yet (the OA needs an upload first): they are skipped with a log line
and only the text goes out.

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
from bot.render import split_text
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
    ):
        self.tokens = tokens
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
        return await self._api(
            "/v3.0/oa/group/message",
            {"recipient": {"group_id": group_id}, "message": {"text": text}},
        )

    async def send_cs_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self._api(
            "/v3.0/oa/message/cs",
            {"recipient": {"user_id": user_id}, "message": {"text": text}},
        )

    # -- delivery ---------------------------------------------------------------------------

    def sender(self) -> Sender:
        from bot.channels.console import render

        async def send(chat_id: str, reply: Reply) -> Sent | str | None:
            if reply.image is not None or reply.attachment is not None:
                log.info("zalo_oa: images/attachments are not sent yet; %s gets the text", chat_id)
            text = render(reply, "vi").strip()
            if not text:
                return None
            for part in split_text(text, MAX_TEXT):
                try:
                    if chat_id.startswith(USER_PREFIX):
                        await self.send_cs_text(chat_id[len(USER_PREFIX) :], part)
                    else:
                        await self.send_group_text(chat_id, part)
                except ZaloOAError as exc:
                    raise self._delivery_error(chat_id, exc) from exc
            return None

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
