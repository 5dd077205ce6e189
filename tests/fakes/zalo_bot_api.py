"""A fake Zalo Bot API server (bot-api.zaloplatforms.com) for end-to-end tests.

`FakeZaloBot` is an aiohttp server on 127.0.0.1 answering `POST /bot<TOKEN>/<method>` with a
JSON body, the way the Zalo Bot platform does (see ../shared/DOMAIN.md, "Channels")::

    zalo = FakeZaloBot()
    await zalo.start()
    channel = ZaloBotChannel(router, zalo.token, api_base_url=zalo.url)
    await channel.start_polling(timeout=1)
    zalo.push_text(chat_id="853...", user_id="853...", text="diem hien tai")
    sent = await zalo.wait_for(lambda s: s["chat_id"] == "853...")
    ...
    await zalo.stop()

Answers are `{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description"}`.
`getUpdates` long-polls for the body's `timeout` seconds and returns ONE update as `result`
(no update_id, no offset); when nothing arrives it answers 408 "Request timeout". While a
webhook is set, getUpdates answers 409. sendMessage takes 1–2,000 characters counted as Zalo
counts them, in UTF-16 code units (an emoji counts 2: a text of 1,999 code points can be
refused); a sendPhoto caption likewise. A wrong token gets 401. Faults can be injected with
`fail_next`; chats in `blocked` answer 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
MAX_TEXT_LENGTH = 2000
SENT_METHODS = ("sendMessage", "sendPhoto")


class WaitTimeout(AssertionError):
    pass


def zalo_length(text: str) -> int:
    """Length as Zalo counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _ok(result: Any = None) -> web.Response:
    body: JSON = {"ok": True}
    if result is not None:
        body["result"] = result
    return web.json_response(body)


def _error(code: int, description: str, parameters: JSON | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


class FakeZaloBot:
    def __init__(self, token: str = "zalo-test-token", bot_id: str = "9000000000000000001"):
        self.token = token
        self.bot_id = bot_id
        self.display_name = "ChiSo Bot"
        self.url = ""
        self.sent: list[JSON] = []  # sendMessage / sendPhoto: method, chat_id, text, ...
        self.calls: list[tuple[str, JSON]] = []  # every call with a valid token
        self.webhook: JSON | None = None
        self.blocked: set[str] = set()
        self._failures: deque[tuple[str, int, str, JSON | None]] = deque()
        self._updates: deque[JSON] = deque()
        self._arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeZaloBot already started")
        self._closing = False
        app = web.Application()
        app.router.add_post("/{bot_token}/{method}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Release waiting long polls and close the server."""
        self._closing = True
        self._arrived.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await asyncio.sleep(0)
            await runner.cleanup()

    # -- what tests do ---------------------------------------------------------------------

    def push_text(
        self,
        chat_id: str,
        user_id: str,
        text: str,
        chat_type: str = "PRIVATE",
        display_name: str = "Lan",
        is_bot: bool = False,
    ) -> JSON:
        """Queues a message.text.received update for getUpdates; returns it."""
        update = self.text_update(chat_id, user_id, text, chat_type, display_name, is_bot)
        self._updates.append(update)
        self._arrived.set()
        return update

    def push_update(self, update: JSON) -> None:
        self._updates.append(update)
        self._arrived.set()

    @staticmethod
    def text_update(
        chat_id: str,
        user_id: str,
        text: str,
        chat_type: str = "PRIVATE",
        display_name: str = "Lan",
        is_bot: bool = False,
    ) -> JSON:
        return {
            "event_name": "message.text.received",
            "message": {
                "chat": {"id": str(chat_id), "chat_type": chat_type},
                "text": text,
                "message_id": secrets.token_hex(16),
                "date": int(time.time() * 1000),
                "from": {"id": str(user_id), "display_name": display_name, "is_bot": is_bot},
            },
        }

    def fail_next(
        self, method: str, code: int, description: str, parameters: JSON | None = None
    ) -> None:
        """The next call of `method` fails with this error."""
        self._failures.append((method, code, description, parameters))

    @property
    def cursor(self) -> int:
        """len(sent): pass as `since=` to wait only for messages sent from now on."""
        return len(self.sent)

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> JSON:
        """The first of `sent[since:]` matching `predicate`, waiting up to `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        index = since
        while True:
            while index < len(self.sent):
                candidate = self.sent[index]
                index += 1
                if predicate is None or predicate(candidate):
                    return candidate
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                seen = "\n  ".join(repr(s) for s in self.sent[since:][-10:]) or "(nothing)"
                raise WaitTimeout(f"no matching message within {timeout}s; sent:\n  {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=left)

    # -- the server ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["bot_token"] != f"bot{self.token}":
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "Bad Request: body is not JSON")
        if not isinstance(params, dict):
            return _error(400, "Bad Request: body must be a JSON object")
        self.calls.append((method, params))
        for index, (name, code, description, parameters) in enumerate(self._failures):
            if name == method:
                del self._failures[index]
                return _error(code, description, parameters)
        handler = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
        }.get(method)
        if handler is None:
            return _error(404, f"Not Found: method {method} not found")
        return await handler(params)

    async def _get_me(self, params: JSON) -> web.Response:
        return _ok(
            {
                "id": self.bot_id,
                "account_name": "bot.chiso",
                "account_type": "BASIC",
                "can_join_groups": True,
                "display_name": self.display_name,
            }
        )

    async def _get_updates(self, params: JSON) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: webhook is active; delete it to use getUpdates")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return _error(400, "Bad Request: timeout must be a number")
        deadline = asyncio.get_running_loop().time() + max(0.0, timeout)
        while not self._updates and not self._closing:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=left)
        if self._updates and not self._closing:
            return _ok(self._updates.popleft())
        return _error(408, "Request timeout")

    async def _set_webhook(self, params: JSON) -> web.Response:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return _error(400, "Bad Request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _error(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        self._arrived.set()  # waiting long polls now conflict
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _delete_webhook(self, params: JSON) -> web.Response:
        url = self.webhook["url"] if self.webhook else ""
        self.webhook = None
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _get_webhook_info(self, params: JSON) -> web.Response:
        url = self.webhook["url"] if self.webhook else ""
        return _ok({"url": url, "updated_at": int(time.time() * 1000)})

    def _check_chat(self, params: JSON) -> web.Response | None:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(400, "Bad Request: chat_id is required")
        if chat_id in self.blocked:
            return _error(403, "Forbidden: the user has blocked the bot")
        return None

    def _record(self, method: str, params: JSON, **extra: Any) -> web.Response:
        message_id = secrets.token_hex(16)
        self.sent.append(
            {
                "method": method,
                "chat_id": params["chat_id"],
                "text": params.get("text"),
                "message_id": message_id,
                **extra,
            }
        )
        self._changed.set()
        return _ok({"message_id": message_id, "date": int(time.time() * 1000)})

    async def _send_message(self, params: JSON) -> web.Response:
        problem = self._check_chat(params)
        if problem is not None:
            return problem
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= zalo_length(text) <= MAX_TEXT_LENGTH:
            return _error(400, "Bad Request: text must be 1-2000 characters")
        return self._record("sendMessage", params)

    async def _send_photo(self, params: JSON) -> web.Response:
        problem = self._check_chat(params)
        if problem is not None:
            return problem
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo:
            return _error(400, "Bad Request: photo must be a URL or an id")
        caption = params.get("caption")
        if caption is not None and (
            not isinstance(caption, str) or zalo_length(caption) > MAX_TEXT_LENGTH
        ):
            return _error(400, "Bad Request: caption must be at most 2000 characters")
        return self._record("sendPhoto", params, photo=photo, caption=caption)

    async def _send_chat_action(self, params: JSON) -> web.Response:
        problem = self._check_chat(params)
        if problem is not None:
            return problem
        if params.get("action") not in ("typing", "upload_photo"):
            return _error(400, "Bad Request: unknown action")
        return _ok(True)
