"""A fault-injection proxy between the bot and the fake Bot API (or any HTTP server).

`FaultProxy` is an aiohttp server on 127.0.0.1 that forwards every request to `upstream`
(e.g. `FakeTelegram.url`) and answers with what the upstream answered, unless a fault is due
for that request::

    proxy = FaultProxy(tg.url)
    await proxy.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=proxy.url)
    proxy.inject("sendMessage", Fault.SERVER_ERROR, times=3)  # the next 3 sends: a 5xx burst
    proxy.every(4, Fault.ANSWER_LOST, method="sendMessage")   # and every 4th send from now on
    ...
    proxy.count(Fault.ANSWER_LOST)  # how many sends were accepted and their answer dropped

The faults, as a network or a reverse proxy in front of Telegram produces them:

* `SERVER_ERROR`: a JSON 500 answer, not forwarded (Telegram surely did not act on it);
* `HTML_502`: a 502 with an HTML page (nginx's), not forwarded;
* `DROP`: the connection is closed before the request is forwarded (the client cannot tell
  whether it took effect: it did not);
* `ANSWER_LOST`: the request is forwarded, the upstream accepts it (a message is delivered),
  then the connection is closed without an answer (the client cannot tell: it did);
* `SLOW`: the request is forwarded and its answer held back `slow_seconds` before it is
  sent (within the client's timeout: only slow).

Faults given with `inject` (per method, in order) come before the `every` rules. Each fault
applied is recorded in `applied` as (method, fault); `forwarded` lists the methods that
reached the upstream.
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter, deque
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
)


class Fault(enum.Enum):
    SERVER_ERROR = "5xx"
    HTML_502 = "html502"
    DROP = "drop"
    ANSWER_LOST = "answer_lost"
    SLOW = "slow"


@dataclass
class _Every:
    n: int
    fault: Fault
    method: str | None  # None: every method
    seen: int = 0
    left: int | None = None  # how many more times (None: without end)


@dataclass
class FaultProxy:
    upstream: str
    port: int = 0  # 0: a free port
    slow_seconds: float = 0.3
    applied: list[tuple[str, Fault]] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    url: str = ""
    _queued: dict[str, deque[Fault]] = field(default_factory=dict)
    _rules: list[_Every] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    # ----------------------------------------------------------------------------------------
    # Programming it

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """The next `times` requests of `method` (a Bot API method name) get `fault`."""
        queue = self._queued.setdefault(method.lower(), deque())
        queue.extend([fault] * times)

    def every(
        self, n: int, fault: Fault, method: str | None = None, times: int | None = None
    ) -> None:
        """Every `n`th request (of `method`; None: of any method) from now on gets `fault`,
        `times` times at most (None: until `clear`)."""
        self._rules.append(_Every(n, fault, method.lower() if method else None, left=times))

    def clear(self) -> None:
        """No more faults: everything is forwarded as it is."""
        self._queued.clear()
        self._rules.clear()

    def count(self, fault: Fault, method: str | None = None) -> int:
        """How many requests (of `method`) got `fault`."""
        return sum(
            1
            for name, applied in self.applied
            if applied is fault and (method is None or name.lower() == method.lower())
        )

    @property
    def counts(self) -> Counter[Fault]:
        return Counter(fault for _method, fault in self.applied)

    @property
    def pending(self) -> int:
        """Faults injected with `inject` and not applied yet."""
        return sum(len(q) for q in self._queued.values())

    def _fault_for(self, method: str) -> Fault | None:
        queue = self._queued.get(method.lower())
        if queue:
            return queue.popleft()
        for rule in self._rules:
            if rule.method is not None and rule.method != method.lower():
                continue
            if rule.left is not None and rule.left <= 0:
                continue
            rule.seen += 1
            if rule.seen % rule.n == 0:
                if rule.left is not None:
                    rule.left -= 1
                return rule.fault
        return None

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        self._runner = runner
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        self.port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------------------
    # HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.path.rsplit("/", 1)[-1]
        body = await request.read()
        fault = self._fault_for(method)
        if fault is not None:
            self.applied.append((method, fault))
        if fault is Fault.SERVER_ERROR:
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        if fault is Fault.HTML_502:
            return web.Response(status=502, text=HTML_502, content_type="text/html")
        if fault is Fault.DROP:
            return self._drop(request)
        status, headers, content = await self._forward(request, body)
        self.forwarded.append(method)
        if fault is Fault.ANSWER_LOST:  # the upstream acted on it; the client never learns
            return self._drop(request)
        if fault is Fault.SLOW:
            await asyncio.sleep(self.slow_seconds)
        return web.Response(status=status, body=content, headers=headers)

    async def _forward(
        self, request: web.Request, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            data=body,
            headers=headers,
            allow_redirects=False,
        ) as answer:
            content = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return answer.status, out, content

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Closes the connection without a word; the client sees it dropped."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise ConnectionResetError("dropped by the fault proxy")
