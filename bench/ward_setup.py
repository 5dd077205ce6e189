"""`chiso setup` of a very large ward.toml: 100,000 people in a few departments.

Writes a ward.toml (people with Telegram and Zalo ids, one or two departments each), then in
this process: reads and checks it (`load_ward_config`), applies it to a fresh SQLite database
(real schema through store.migrate.upgrade) and applies it a second time with one person in
ten changed and one in a hundred removed (the update path). Prints the time of each step and
the peak memory of the process (ru_maxrss) before and after each setup.

    python bench/ward_setup.py [--people 100000] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.ward_config import load_ward_config
from store.db import create_engine, session_factory
from store.migrate import upgrade
from store.setup import apply_ward_config

DEPARTMENTS = ("VP", "VHXH", "KT", "TTPVHCC", "CA")


def ward_toml(people: int, *, changed_every: int = 0, removed_every: int = 0) -> str:
    lines = ['[ward]\nname = "Phường Bench"\nprovince = "Thành phố Đà Nẵng"\n']
    for code in DEPARTMENTS:
        lines.append(f'[[departments]]\ncode = "{code}"\nname = "Phòng {code}"\n')
    for i in range(people):
        if removed_every and i % removed_every == 0:
            continue
        role = "admin" if i < 3 else "staff"
        if changed_every and i % changed_every == 0:
            role = "digital_team"
        depts = [DEPARTMENTS[i % len(DEPARTMENTS)]]
        if i % 7 == 0:
            depts.append(DEPARTMENTS[(i + 1) % len(DEPARTMENTS)])
        dept_list = ", ".join(f'"{d}"' for d in depts)
        lines.append(
            f'[[people]]\nname = "Cán bộ {i:06d}"\nrole = "{role}"\n'
            f"departments = [{dept_list}]\n"
            f'telegram_id = "{100000000 + i}"\nzalo_id = "z{i}"\n'
        )
    return "\n".join(lines)


async def apply(url: str, text: str) -> tuple[float, float, dict[str, int]]:
    t0 = time.perf_counter()
    cfg = load_ward_config(text)
    t1 = time.perf_counter()
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as s:
            summary = await apply_ward_config(s, cfg, datetime(2025, 11, 20, tzinfo=UTC))
    finally:
        await engine.dispose()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, {**summary.added, **{f"-{k}": v for k, v in summary.removed.items()}}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.sqlite3"
        url = f"sqlite:///{db}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        first = ward_toml(args.people)
        second = ward_toml(args.people, changed_every=10, removed_every=100)
        print(f"ward.toml: {args.people:,} people, {len(first) / 1e6:.1f} MB")
        rss0 = _rss_mb()
        read, write, counts = await apply(url, first)
        rss1 = _rss_mb()
        print(f"first setup:  read+check {read:6.2f} s, write {write:6.2f} s  {counts}")
        read2, write2, counts2 = await apply(url, second)
        print(f"second setup: read+check {read2:6.2f} s, write {write2:6.2f} s  {counts2}")
        print(
            f"peak memory (max RSS): {rss0:.0f} MB before, {rss1:.0f} MB after the first "
            f"setup, {_rss_mb():.0f} MB after the second"
        )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    asyncio.run(main())
