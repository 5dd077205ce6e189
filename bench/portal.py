"""The province list at national scale: store a 3,321-commune national list (34 provinces,
one of them 114 communes) with the portal fetch's own writer (`store/portal.py`
`PortalStore.save_lists`, one transaction), store it again with every figure changed (the
next day's fetch: an upsert of every row), then answer "xếp hạng toàn tỉnh" for a ward of the
114-commune province through the router, as its staff would ask, on SQLite and PostgreSQL.

Prints the store times, and the answer's p50/p99 both with the list read from the database
on every question and with the province store's 5-second read cache (the default); the
other reads (who is asking, the ward) are cached as in production.

    python bench/portal.py [--communes 3321] [--questions 400] [--backend both|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update

from bench.databases import pct, temp_database
from bot.app import App
from bot.config import Settings
from handlers.protocol import Inbound
from ingest.index_groups import GROUPS
from ingest.portal import CommuneRow, PortalPeriod, ProvinceList, rank_rows
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.portal import PortalStore
from store.province import ProvinceStore
from tests.conftest import setup_example_ward

PROVINCES = 34
NATIONAL = 3321
BIG = "31"  # the 114-commune province the ward is in
BIG_SIZE = 114
WARD_PLACE = 80  # the ward's place in it
STAFF = "700000004"  # a staff member of the example ward
PERIOD = PortalPeriod(2025, "month", 11)
FETCHED = datetime(2025, 11, 16, 6, 30, tzinfo=VN_TZ).astimezone(UTC)
QUESTION = "xếp hạng toàn tỉnh"


def province_sizes(total: int, provinces: int = PROVINCES, big: int = BIG_SIZE) -> list[int]:
    """How many communes each province has: the first `big`, the rest near the mean."""
    if total <= big or provinces < 2:
        return [total]
    rest = total - big
    base, extra = divmod(rest, provinces - 1)
    sizes = [big, *(base + (1 if i < extra else 0) for i in range(provinces - 1))]
    return [size for size in sizes if size]


def province_code(index: int) -> str:
    """The id of the index-th province: the 114-commune one first, then 41, 42 ... (never 31)."""
    return BIG if index == 0 else f"{index + 40:02d}"


def _groups(rnd: random.Random) -> dict[str, Decimal]:
    """Group scores within their maxima (between 55 % and the maximum)."""
    scores = {}
    for g in GROUPS:
        share = Decimal(rnd.randint(5500, 10000)) / 10000
        scores[g.code] = (g.max_score * share).quantize(Decimal("0.01"))
    return scores


def national_lists(
    communes: int = NATIONAL, day: int = 0, period: PortalPeriod = PERIOD
) -> list[ProvinceList]:
    """The national list as the fetch parses it: one list per province, ranked. Province
    p's communes are `<province id><i:03d>` (i from 0, in the order of `province_sizes`)."""
    rnd = random.Random(766 + day)
    lists = []
    for p, size in enumerate(province_sizes(communes)):
        province_id = province_code(p)
        rows = []
        for i in range(size):
            groups = _groups(rnd)
            rows.append(
                CommuneRow(
                    unit_id=f"{province_id}{i:03d}",
                    name=f"{'Phường' if i % 3 == 0 else 'Xã'} {province_id}-{i:03d}",
                    position=None,
                    rank=None,
                    total=sum(groups.values(), Decimal(0)),
                    groups=groups,
                )
            )
        ranked = rank_rows(rows)
        ranked = [
            CommuneRow(r.unit_id, r.name, i, r.rank, r.total, r.groups)
            for i, r in enumerate(ranked, start=1)
        ]
        lists.append(ProvinceList(province_id, "2", period, ranked))
    return lists


async def measure(url: str, communes: int, questions: int) -> dict[str, Any]:
    result: dict[str, Any] = {"backend": url.split(":", 1)[0]}
    clock = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=url), clock=clock, charts=False)
    try:
        await setup_example_ward(app)
        store = PortalStore(app.repo.sessions)
        first, second = national_lists(communes), national_lists(communes, day=1)
        t0 = time.perf_counter()
        result["rows"] = await store.save_lists(first, FETCHED)
        result["provinces"] = len(first)
        result["store_first"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await store.save_lists(second, FETCHED + timedelta(days=1))
        result["store_again"] = time.perf_counter() - t0

        big = second[0]
        ward_row = big.rows[min(WARD_PLACE, len(big.rows)) - 1]
        async with app.repo.sessions.begin() as s:
            await s.execute(
                update(m.Ward).values(
                    portal={
                        "province_id": big.province_id,
                        "unit_level": "2",
                        "unit_id": ward_row.unit_id,
                    }
                )
            )
        app.repo.invalidate()
        result["province_size"] = len(big.rows)
        result["ward_rank"] = ward_row.rank
        ask = Inbound(
            channel="telegram", chat_id=STAFF, chat_kind="private", user_id=STAFF, text=QUESTION
        )
        replies = await app.router.handle(ask)  # warm up (and check the answer)
        text = replies[0].text
        assert f"**{ward_row.rank}/{len(big.rows)}**" in text, text
        provinces = ProvinceStore.for_sessions(app.repo.sessions)  # the handler's store
        for ttl, key in ((0.0, "uncached"), (5.0, "cached")):
            provinces.cache_ttl = ttl
            provinces.invalidate()
            times = []
            for _ in range(questions):
                t0 = time.perf_counter()
                await app.router.handle(ask)
                times.append(time.perf_counter() - t0)
            result[key] = (pct(times, 0.5), pct(times, 0.99))
    finally:
        await app.close()
    return result


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=NATIONAL)
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        async with temp_database(backend) as url:
            r = await measure(url, args.communes, args.questions)
        print(
            f"{backend}: stored {r['rows']:,} rows ({r['provinces']} provinces) in "
            f"{r['store_first'] * 1000:.0f} ms; the next day's fetch (every row "
            f"changed) in {r['store_again'] * 1000:.0f} ms"
        )
        print(
            f"  “{QUESTION}” for the ward ranked {r['ward_rank']}/{r['province_size']}, "
            f"{args.questions} questions through the router: "
            f"p50 {r['uncached'][0]:.2f} ms, p99 {r['uncached'][1]:.2f} ms (list read every "
            f"time); p50 {r['cached'][0]:.2f} ms, p99 {r['cached'][1]:.2f} ms (5 s list cache)"
        )


if __name__ == "__main__":
    asyncio.run(main())
