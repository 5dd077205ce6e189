"""A stand-in for the national portal's older report service, for tests.

`FakePortal` is an aiohttp server on 127.0.0.1 serving ``POST /jsp/rest.jsp`` as public
scrapers read the real one: a form field ``params`` holding JSON (service
``report_tinh_766_service``, p_nam, p_thang, p_quy, p_6thang, p_tinh_id, p_loaidonvi,
loaichitieu, pageIndex, pageSize) answered with a bare JSON list of row objects (``ID`` a
string, ``TEN``, ``ROW_STT``, the six group fields and ``TONG_SCORE`` as strings with a dot),
one page of ``pageSize`` rows; a page shorter than that is the last::

    portal = FakePortal()
    await portal.start()
    client = PortalClient(timeout=0.5)
    rows = await client.fetch(portal.base_url, PROVINCE, "2", PortalPeriod(2025, "month", 11))
    await portal.stop()

The province (`PROVINCE`) has 114 communes with deterministic figures; "Phường Thiên Hương"
is 80th in both lists DOMAIN.md quotes: month 11/2025 91,68 (Tiến độ 19,93; DVC 8,07; Thanh
toán 8,79; Số hóa 18,89; the other groups at max) and year-to-date 2025 94,72 (19,78; 8,1;
9,16; 21,68). Another province id gets an empty list.

Modes (`mode`, or one-shot answers queued in `fail_next`): "ok"; "html" (200 with an HTML
error page); "waf" (403 with a challenge page); "timeout" (no answer until the server stops:
use a short client timeout); "empty" (``[]``); "renamed" (``TONG_SCORE`` renamed
``TONG_DIEM``); "server" (500). `set_score` changes a commune's figure (its total follows);
`break_row` makes a row fail the checks (a group over its maximum). `requests` records each
request's params and headers; `max_in_flight` the most requests answered at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from ingest.index_groups import GROUPS

PROVINCE = "31"  # the fake province (Hải Phòng's communes, made up)
UNIT_LEVEL = "2"
WARD = "Phường Thiên Hương"
WARD_ID = "31900"
COMMUNES = 114
WARD_RANK = 80
# DOMAIN.md's published figures for Thiên Hương, in index order (ingest.index_groups.GROUPS)
WARD_MONTH = ("18", "19.93", "8.07", "8.79", "18", "18.89")  # 91.68
WARD_YEAR = ("18", "19.78", "8.10", "9.16", "18", "21.68")  # 94.72
MODES = ("ok", "html", "waf", "timeout", "empty", "renamed", "server")

_FIRST = (
    "An",
    "Bình",
    "Cát",
    "Đông",
    "Hải",
    "Hòa",
    "Hồng",
    "Kiến",
    "Lạc",
    "Minh",
    "Ngọc",
    "Phú",
    "Quang",
    "Tân",
    "Thái",
    "Thủy",
    "Trung",
    "Vĩnh",
    "Yên",
)
_SECOND = ("Lão", "Sơn", "Thành", "Hưng", "Phong", "Lợi")  # 19 × 6 = 114 names
HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>Lỗi hệ thống</title></head>"
    "<body><h1>Hệ thống đang bảo trì</h1><p>Vui lòng quay lại sau.</p></body></html>"
)
WAF_PAGE = (
    "<html><head><title>Request Rejected</title></head><body>"
    "The requested URL was rejected. Please consult with your administrator.<br><br>"
    "Your support ID is: 1234567890123456789<br><br>"
    "<script>/* challenge */</script></body></html>"
)
SERVER_ERROR = "<html><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass
class Commune:
    unit_id: str
    name: str
    scores: list[Decimal]  # in index order


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


def _split(total_cents: int, salt: int) -> list[Decimal]:
    """Group scores (index order, within their maxima) adding up to `total_cents`."""
    maxima = [int(g.max_score * 100) for g in GROUPS]
    deficit = sum(maxima) - total_cents
    weights = [(salt * 7 + i * 13) % 5 + 1 for i in range(len(maxima))]
    lost = [min(m, deficit * w // sum(weights)) for m, w in zip(maxima, weights, strict=True)]
    left = deficit - sum(lost)
    for i in range(len(maxima)):
        more = min(left, maxima[i] - lost[i])
        lost[i] += more
        left -= more
    return [Decimal(m - lost_i) / 100 for m, lost_i in zip(maxima, lost, strict=True)]


def make_province(ward_scores: tuple[str, ...], salt: int = 0) -> list[Commune]:
    """114 communes: 79 above the ward's total, the ward 80th, 34 below (all totals apart)."""
    ward_total = sum(_cents(s) for s in ward_scores)
    above = WARD_RANK - 1
    below = COMMUNES - WARD_RANK
    step_up = (9940 - ward_total - 5) // above
    step_down = (ward_total - 20 - 6500) // (below - 1)
    totals = [ward_total + 5 + (above - 1 - i) * step_up for i in range(above)]
    totals.append(ward_total)
    totals += [ward_total - 20 - i * step_down for i in range(below)]
    names = [f"{_FIRST[i % len(_FIRST)]} {_SECOND[i // len(_FIRST)]}" for i in range(COMMUNES)]
    communes = []
    for i, total in enumerate(totals):
        if i == WARD_RANK - 1:
            communes.append(Commune(WARD_ID, WARD, [Decimal(s) for s in ward_scores]))
            continue
        name = names[(i * 37 + salt) % COMMUNES]  # 37 is prime to 114: every name once
        prefix = "Phường" if i % 3 == 0 else ("Đặc khu" if i in (7, 101) else "Xã")
        communes.append(Commune(str(31000 + i), f"{prefix} {name}", _split(total, i + salt)))
    return communes


def row_of(commune: Commune, position: int) -> dict[str, Any]:
    row: dict[str, Any] = {"ID": commune.unit_id, "TEN": commune.name, "ROW_STT": str(position)}
    for group, score in zip(GROUPS, commune.scores, strict=True):
        row[group.portal_field] = f"{score:.2f}"
    row["TONG_SCORE"] = f"{sum(commune.scores, Decimal(0)):.2f}"
    return row


class FakePortal:
    def __init__(self, province_id: str = PROVINCE) -> None:
        self.province_id = province_id
        # (p_thang, p_quy, p_6thang) -> the list; the year's running total is (0, 0, 0)
        self.lists: dict[tuple[int, int, int], list[Commune]] = {}
        self.mode = "ok"
        self.fail_next: list[str] = []  # modes for the next requests, before `mode`
        self.broken: set[str] = set()  # unit ids whose row fails the checks
        self.requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def communes(self, p_thang: int = 0, p_quy: int = 0, p_6thang: int = 0) -> list[Commune]:
        key = (p_thang, p_quy, p_6thang)
        if key not in self.lists:
            monthly = p_thang > 0
            scores = WARD_MONTH if monthly else WARD_YEAR
            self.lists[key] = make_province(scores, salt=p_thang + 13 * p_quy + 29 * p_6thang)
        return self.lists[key]

    def set_score(
        self, name_or_id: str, portal_field: str, value: str, p_thang: int = 0, p_quy: int = 0
    ) -> None:
        """A commune's group score changes (the total follows); p_thang 0: the year's list."""
        index = next(i for i, g in enumerate(GROUPS) if g.portal_field == portal_field)
        for commune in self.communes(p_thang, p_quy):
            if name_or_id in (commune.unit_id, commune.name):
                commune.scores[index] = Decimal(value)
                return
        raise KeyError(name_or_id)

    def break_row(self, name_or_id: str) -> None:
        for communes in self.lists.values():
            for c in communes:
                if name_or_id in (c.unit_id, c.name):
                    self.broken.add(c.unit_id)
        if not self.lists:  # lists are made on first use: remember the id or name
            self.broken.add(name_or_id)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/jsp/rest.jsp", self._rest)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        params = json.loads(str(form.get("params") or "{}"))
        self.requests.append((params, dict(request.headers)))
        mode = self.fail_next.pop(0) if self.fail_next else self.mode
        if mode == "timeout":  # never answered: the client gives up and closes it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), 30)
            return web.json_response([])
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)  # requests sent at once would overlap here
            return await self._answer(mode, params)
        finally:
            self.in_flight -= 1

    async def _answer(self, mode: str, params: dict[str, Any]) -> web.StreamResponse:
        if mode == "html":
            return web.Response(text=HTML_ERROR, content_type="text/html")
        if mode == "waf":
            return web.Response(status=403, text=WAF_PAGE, content_type="text/html")
        if mode == "server":
            return web.Response(status=500, text=SERVER_ERROR, content_type="text/html")
        if mode == "empty" or params.get("service") != "report_tinh_766_service":
            return web.json_response([])
        if str(params.get("p_tinh_id")) != self.province_id:
            return web.json_response([])
        communes = self.communes(
            int(params.get("p_thang") or 0),
            int(params.get("p_quy") or 0),
            int(params.get("p_6thang") or 0),
        )
        ordered = sorted(communes, key=lambda c: -sum(c.scores, Decimal(0)))
        rows = [row_of(c, i) for i, c in enumerate(ordered, start=1)]
        for row in rows:
            if row["ID"] in self.broken or row["TEN"] in self.broken:
                row["TDGQ"] = "25.00"  # over its maximum of 20
        if mode == "renamed":
            for row in rows:
                row["TONG_DIEM"] = row.pop("TONG_SCORE")
        size = int(params.get("pageSize") or 10)
        page = int(params.get("pageIndex") or 1)
        return web.json_response(rows[(page - 1) * size : page * size])


class PortalThread:
    """The stand-in on its own event loop in a thread, for code that runs its own loop
    (`chiso` driven in the test's process with `asyncio.run`)::

        with PortalThread() as portal:
            portal.mode = "waf"
            main(["portal", "fetch"])
    """

    def __init__(self) -> None:
        self.portal = FakePortal()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakePortal:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.portal.start(), self._loop).result(10)
        return self.portal

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.portal.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


__all__ = [
    "COMMUNES",
    "MODES",
    "PROVINCE",
    "UNIT_LEVEL",
    "WARD",
    "WARD_ID",
    "WARD_MONTH",
    "WARD_RANK",
    "WARD_YEAR",
    "FakePortal",
    "PortalThread",
    "make_province",
]
