"""A fake Zalo Official Account API (v3) and OAuth (v4) server for tests.

`FakeZaloOA` is an aiohttp server on 127.0.0.1::

    oa = FakeZaloOA(app_id="app", secret_key="secret")
    await oa.start()
    client = ZaloOAClient(tokens, "app", "secret", "oa1",
                          api_base_url=oa.base_url, oauth_url=oa.oauth_url)
    ...
    await oa.stop()

It answers ``POST /v3.0/oa/group/message`` and ``POST /v3.0/oa/message/cs`` (recorded in
`messages`: a text, or an image message whose ``attachment`` is a "media" template with the
image's URL, with an optional text) only with the current access token in the
``access_token`` header; anything else gets HTTP 200
``{"error": -216, "message": "Access token is invalid"}``, as Zalo does.
``POST /v4/oa/access_token`` (form: refresh_token, app_id, grant_type=refresh_token; header
secret_key) issues a new pair, which replaces the old one (the old access token stops working)
and marks the refresh token used: a refresh token used twice is refused with
``{"error": -14014, "error_name": "Invalid refresh token", ...}``. The refresh token is marked
used when the request arrives, before `refresh_delay` (to let concurrent callers pile up).

A text over `max_text` (2,000) UTF-16 code units (Zalo's count: an emoji counts 2) is refused with
``{"error": -210, "message": "Text is too long"}``.

Knobs: `expire_access_token()`, `refresh_delay`, `refresh_calls`, `groups` / `users` (when
set, other recipients are refused with a "not found" error), `fail_next` (answers to give
before the normal ones: an int is an HTTP status, a dict a JSON body), `on_message` (an async
hook called with each accepted message before it is recorded).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

JSON = dict[str, Any]


@dataclass(frozen=True)
class OAMessage:
    kind: str  # group | cs
    recipient: str  # group_id or user_id
    text: str
    access_token: str
    attachment: JSON | None = None  # an image message's attachment
    image_url: str | None = None  # its image's URL


def zalo_length(text: str) -> int:
    """Length as Zalo counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _media_url(attachment: Any) -> str | None:
    """The image URL of a media-template attachment, or None when it is malformed."""
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return None
    payload = attachment.get("payload") or {}
    if not isinstance(payload, dict) or payload.get("template_type") != "media":
        return None
    elements = payload.get("elements") or []
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        return None
    element = elements[0]
    url = element.get("url")
    if element.get("media_type") != "image" or not isinstance(url, str):
        return None
    return url if url.startswith(("http://", "https://")) else None


class FakeZaloOA:
    def __init__(self, app_id: str = "app-1", secret_key: str = "secret-1"):
        self.app_id, self.secret_key = app_id, secret_key
        self._serial = itertools.count(1)
        self.access_token = ""
        self.refresh_token = ""
        self.used_refresh_tokens: set[str] = set()
        self.refresh_calls = 0
        self.refresh_rejections = 0
        self.refresh_delay = 0.0
        self.expires_in = "90000"
        self.messages: list[OAMessage] = []
        self.max_text = 2000  # Zalo's limit, in UTF-16 code units
        self.invalid_token_answers = 0
        self.groups: set[str] | None = None
        self.users: set[str] | None = None
        self.fail_next: list[int | JSON] = []
        self.on_message: Callable[[OAMessage], Awaitable[None]] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.issue()

    # -- setup ------------------------------------------------------------------------------

    def issue(self) -> tuple[str, str]:
        """A new current pair (what an admin's authorisation gives); returns it."""
        n = next(self._serial)
        self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"
        return self.access_token, self.refresh_token

    def expire_access_token(self) -> None:
        self.access_token = f"expired-{self.access_token}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/v4/oa/access_token"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3.0/oa/group/message", self._group)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- handlers ---------------------------------------------------------------------------

    def _injected(self) -> web.Response | None:
        if not self.fail_next:
            return None
        answer = self.fail_next.pop(0)
        if isinstance(answer, int):
            return web.Response(status=answer, text="injected failure")
        return web.json_response(answer)

    async def _message(self, request: web.Request, kind: str) -> web.Response:
        injected = self._injected()
        if injected is not None:
            return injected
        token = request.headers.get("access_token", "")
        if not token or token != self.access_token:
            self.invalid_token_answers += 1
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        key = "group_id" if kind == "group" else "user_id"
        recipient = str((body.get("recipient") or {}).get(key) or "")
        message_body = body.get("message") or {}
        text = message_body.get("text")
        attachment = message_body.get("attachment")
        image_url = _media_url(attachment) if attachment is not None else None
        if attachment is not None and image_url is None:
            return web.json_response({"error": -201, "message": "Attachment is invalid"})
        if attachment is not None and text is None:
            text = ""
        if not recipient or not isinstance(text, str) or not (text or image_url):
            return web.json_response({"error": -201, "message": "Parameters are invalid"})
        if zalo_length(text) > self.max_text:
            return web.json_response({"error": -210, "message": "Text is too long"})
        known = self.groups if kind == "group" else self.users
        if known is not None and recipient not in known:
            what = "Group" if kind == "group" else "User"
            return web.json_response({"error": -230, "message": f"{what} not found"})
        message = OAMessage(kind, recipient, text, token, attachment, image_url)
        if self.on_message is not None:
            await self.on_message(message)
        self.messages.append(message)
        n = len(self.messages)
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": f"m{n}", key: recipient}}
        )

    async def _group(self, request: web.Request) -> web.Response:
        return await self._message(request, "group")

    async def _cs(self, request: web.Request) -> web.Response:
        return await self._message(request, "cs")

    async def _refresh(self, request: web.Request) -> web.Response:
        self.refresh_calls += 1
        form = await request.post()
        if request.headers.get("secret_key") != self.secret_key:
            return web.json_response({"error": -14002, "error_name": "Invalid secret key"})
        if form.get("app_id") != self.app_id or form.get("grant_type") != "refresh_token":
            return web.json_response({"error": -14001, "error_name": "Invalid parameter"})
        given = str(form.get("refresh_token") or "")
        if given in self.used_refresh_tokens or given != self.refresh_token:
            self.refresh_rejections += 1
            return web.json_response(
                {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_description": "Refresh token is invalid or has been used",
                }
            )
        self.used_refresh_tokens.add(given)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        access, refresh = self.issue()
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in}
        )
