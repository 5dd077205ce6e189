"""One reminder tick over the whole country: 3,321 wards × 30 open tasks in SQLite.

Builds a database in a temporary directory (real schema through store.migrate.upgrade, bulk
inserts; deadlines spread over ±60 days around the tick, some recurring, some ongoing), then,
in a fresh process so that its memory is the tick's alone, measures one tick at a working
day's 07:30: `load_plan_tasks` (one query, tasks past `deadline_horizon` left out) and `plan()`
with the default 7-day lookback (the worst case: every step of the past week comes back, as
after a restart), then the same plan warm, and plans with a one-minute lookback (what a
scheduler that passes "since my last tick" does) at 07:30 and 07:32. Prints the times and the
peak memory (tracemalloc peak of a second, traced run, and ru_maxrss of the process).

    python bench/reminders.py [--wards 3321] [--tasks 30] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ
from reminders.planner import Policy, deadline_horizon, plan
from store import models as m
from store.db import create_engine, session_factory
from store.migrate import upgrade
from store.plan_source import load_plan_tasks

AT = datetime(2026, 3, 10, 7, 30, tzinfo=VN_TZ)  # a Tuesday morning
DEPARTMENTS = ("VP", "VHXH", "KT", "TTPVHCC", "CAP", "QS", "TP", "NV")
RHYTHMS = ("weekly:MON", "weekly:FRI", "monthly:15", "monthly", "quarterly", "yearly", "weekly")
CHUNK = 20_000


async def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[i : i + CHUNK])


async def build(url: str, wards: int, per_ward: int) -> None:
    rnd = random.Random(766)
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    now = AT.astimezone(UTC)
    async with sessions.begin() as s:
        await _insert(
            s,
            m.Ward,
            [{"id": w, "name": f"Phường {w}", "province": "P"} for w in range(1, wards + 1)],
        )
        depts = [
            {"id": (w - 1) * len(DEPARTMENTS) + i + 1, "ward_id": w, "code": code, "name": code}
            for w in range(1, wards + 1)
            for i, code in enumerate(DEPARTMENTS)
        ]
        await _insert(s, m.Department, depts)
        await _insert(
            s,
            m.Directive,
            [
                {"id": w, "ward_id": w, "number": f"{w}/KH-UBND", "created_at": now}
                for w in range(1, wards + 1)
            ],
        )
        tasks: list[dict[str, Any]] = []
        units: list[dict[str, Any]] = []
        task_id = 0
        for w in range(1, wards + 1):
            for number in range(1, per_ward + 1):
                task_id += 1
                kind = rnd.random()
                deadline: date | None = None
                recurrence: str | None = None
                if kind < 0.75:
                    deadline = AT.date() + timedelta(days=rnd.randint(-60, 60))
                    loaded = datetime.combine(deadline, AT.timetz()) - timedelta(
                        days=rnd.randint(10, 90), hours=rnd.randint(0, 10)
                    )
                    created = min(loaded, AT - timedelta(hours=1)).astimezone(UTC)
                elif kind < 0.95:
                    recurrence = rnd.choice(RHYTHMS)
                    created = now - timedelta(days=rnd.randint(1, 200), hours=rnd.randint(0, 10))
                else:
                    recurrence = rnd.choice((None, "daily", "periodic"))
                    created = now - timedelta(days=rnd.randint(1, 200))
                tasks.append(
                    {
                        "id": task_id,
                        "ward_id": w,
                        "directive_id": w,
                        "number": number,
                        "text": f"Nhiệm vụ {number}",
                        "deadline": deadline,
                        "recurrence": recurrence,
                        "status": "open",
                        "created_at": created,
                    }
                )
                chosen = rnd.sample(range(len(DEPARTMENTS)), rnd.randint(1, 3))
                for position, i in enumerate(chosen):
                    units.append(
                        {
                            "task_id": task_id,
                            "department_id": (w - 1) * len(DEPARTMENTS) + i + 1,
                            "unit_name": DEPARTMENTS[i],
                            "role": "lead" if position == 0 else "support",
                            "position": position,
                        }
                    )
        await _insert(s, m.Task, tasks)
        await _insert(s, m.TaskUnit, units)
    await engine.dispose()


async def tick(url: str, traced: bool) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    calendar, policy = WorkCalendar(), Policy()
    async with sessions() as s:  # connect before timing
        await s.execute(select(1))
    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    async with sessions() as s:
        tasks = await load_plan_tasks(s, deadline_before=deadline_horizon(policy, calendar, AT))
    t1 = time.perf_counter()
    due = plan(tasks, policy, calendar, AT)
    t2 = time.perf_counter()
    result: dict[str, Any] = {"tasks": len(tasks), "due": len(due), "load": t1 - t0}
    result["plan"], result["total"] = t2 - t1, t2 - t0
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if traced:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        kinds: dict[str, int] = {}
        for d in due:
            step = "overdue" if d.step.startswith("overdue-") else d.step
            kinds[step] = kinds.get(step, 0) + 1
        result["steps"] = dict(sorted(kinds.items()))
        t3 = time.perf_counter()
        again = plan(tasks, policy, calendar, AT)  # the same tick again (a second replica)
        t4 = time.perf_counter()
        result["warm"], result["due_again"] = t4 - t3, len(again)
        del due, again
        today = plan(tasks, policy, calendar, AT, lookback=timedelta(minutes=1))
        t5 = time.perf_counter()
        later = plan(
            tasks, policy, calendar, AT + timedelta(minutes=2), lookback=timedelta(minutes=1)
        )
        t6 = time.perf_counter()
        result["today"], result["due_today"] = t5 - t4, len(today)
        result["minute"], result["due_minute"] = t6 - t5, len(later)
        del tasks, today, later
        t7 = time.perf_counter()
        async with sessions() as s:
            every = await load_plan_tasks(s)  # without the deadline horizon
        result["load_all"], result["tasks_all"] = time.perf_counter() - t7, len(every)
    await engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3321)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--db", help="an existing database to tick (skips the build)")
    parser.add_argument("--measure", choices=["timed", "traced"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = asyncio.run(tick(f"sqlite:///{args.db}", args.measure == "traced"))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "bench.sqlite3")
        if not args.db:
            started = time.perf_counter()
            asyncio.run(build(f"sqlite:///{db}", args.wards, args.tasks))
            print(
                f"built {args.wards} wards × {args.tasks} tasks in "
                f"{time.perf_counter() - started:.1f} s ({Path(db).stat().st_size / 2**20:.0f} MB)"
            )
        runs = {}
        for mode in ("timed", "traced"):
            out = subprocess.run(
                [sys.executable, __file__, "--db", db, "--measure", mode],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs[mode] = json.loads(out.strip().splitlines()[-1])
    timed, traced = runs["timed"], runs["traced"]
    print(
        f"tick at {AT.isoformat()}: {timed['tasks']} open tasks loaded (of {timed['tasks_all']}; "
        f"the rest can have no step due yet), {timed['due']} steps due"
    )
    print(f"  steps: {timed['steps']}")
    print(
        f"  load {timed['load'] * 1000:.0f} ms, plan {timed['plan'] * 1000:.0f} ms, "
        f"total {timed['total'] * 1000:.0f} ms (loading all open tasks instead: "
        f"{timed['load_all'] * 1000:.0f} ms)"
    )
    print(f"  plan again (warm) {timed['warm'] * 1000:.0f} ms, {timed['due_again']} steps")
    print(
        f"  with lookback = 1 min (the scheduler's lookback since its last tick): 07:30 tick "
        f"{timed['today'] * 1000:.0f} ms, {timed['due_today']} steps; 07:32 tick "
        f"{timed['minute'] * 1000:.2f} ms, {timed['due_minute']} steps"
    )
    print(
        f"  memory: tracemalloc peak {traced['peak'] / 2**20:.0f} MB "
        f"(traced run: load {traced['load'] * 1000:.0f} ms, plan {traced['plan'] * 1000:.0f} ms), "
        f"ru_maxrss after the tick {timed['maxrss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
