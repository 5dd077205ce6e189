"""An in-process stand-in for the Bot API: PTB's request layer answered without any network.

Used by the benchmarks, so that what is measured is the bot (PTB + ChiSo's handlers + the
store), not sockets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 123


class InProcessBotAPI(BaseRequest):
    def __init__(self, on_call: Callable[[str, dict[str, Any]], None] | None = None):
        self.on_call = on_call
        self.calls = 0
        self._message_id = 0
        self._file_id = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        self._message_id += 1
        chat_id = int(params.get("chat_id", 0))
        return {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if chat_id > 0 else "supergroup",
                "title": "bench",
            },
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "ChiSo", "username": "bench_bot"},
            **extra,
        }

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        self.calls += 1
        result: Any = True
        if name == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "ChiSo", "username": "bench_bot"}
        elif name == "getUpdates":
            result = []
        elif name == "sendMessage":
            result = self._message(params, text=str(params.get("text", "")))
        elif name == "sendPhoto":
            self._file_id += 1
            photo = params.get("photo")
            file_id = photo if isinstance(photo, str) else f"photo-{self._file_id}"
            result = self._message(
                params,
                photo=[
                    {"file_id": file_id, "file_unique_id": file_id, "width": 900, "height": 480}
                ],
            )
        if self.on_call is not None:
            self.on_call(name, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()
