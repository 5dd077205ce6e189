"""Real `chiso run --webhook` replicas on PostgreSQL against the fake Bot API, for
tests/test_two_replicas.py and bench/replicas.py: many wards built with bulk inserts, the
replicas' environment, their webhooks, and Telegram updates to post to them."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from bot.app import App
from bot.config import Settings
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from tests.conftest import ROOT, setup_example_ward
from tests.fakes.telegram_api import FakeTelegram

SECRET = "replica-secret-123"
START = "2025-11-24T07:31:00+07:00"  # Monday: each task's "due today" reminder is due
LOADED = datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ)  # when the tasks were loaded
DEADLINE = date(2025, 11, 24)
DEPARTMENTS = ("TTPVHCC", "VHXH", "VP")
FIRST_GROUP = -3_000_000_000  # ward w's department d: FIRST_GROUP - 10 * w - d
HANG = 120.0  # seconds: only guards against a hang


def group_of(ward: int, dept: int) -> int:
    return FIRST_GROUP - 10 * ward - dept


def is_ward_group(chat_id: int | None) -> bool:
    """A department group of the wards `build` made (up to 100,000 wards)."""
    return chat_id is not None and FIRST_GROUP - 1_000_000 < chat_id <= FIRST_GROUP


async def build(url: str, wards: int, tasks: int) -> int:
    """The example ward (people, chats; no tasks), then `wards` wards of three departments,
    each with a department group, and `tasks` tasks spread over them, each led by one
    department and due on DEADLINE: one reminder each at START. Bulk inserts (not one
    `chiso setup` per ward). Returns the example ward's id."""
    app = await App.open(Settings(database_url=url), clock=FixedClock(LOADED), charts=False)
    try:
        example = await setup_example_ward(app)
        async with app.engine.begin() as conn:
            ward_ids = (
                (
                    await conn.execute(
                        insert(m.Ward).returning(m.Ward.id, sort_by_parameter_order=True),
                        [
                            {
                                "name": f"Phường Thử {w:03d}",
                                "province": "Thành phố Đà Nẵng",
                                "timezone": "Asia/Ho_Chi_Minh",
                                "group_owners": {},
                                "reminder_policy": {},
                                "templates": [],
                                "briefing": {},
                                "portal": {},
                            }
                            for w in range(wards)
                        ],
                    )
                )
                .scalars()
                .all()
            )
            dept_rows = [
                {"ward_id": ward_ids[w], "code": code, "name": f"Phòng {code}", "aliases": []}
                for w in range(wards)
                for code in DEPARTMENTS
            ]
            dept_ids = (
                (
                    await conn.execute(
                        insert(m.Department).returning(
                            m.Department.id, sort_by_parameter_order=True
                        ),
                        dept_rows,
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                insert(m.Chat),
                [
                    {
                        "channel": "telegram",
                        "chat_id": str(group_of(w, d)),
                        "title": f"{DEPARTMENTS[d]} phường {w:03d}",
                        "is_group": True,
                        "ward_id": ward_ids[w],
                        "kind": "department",
                        "department_id": dept_ids[w * len(DEPARTMENTS) + d],
                        "tags": [],
                        "source": "file",
                        "active": True,
                        "first_seen": LOADED,
                        "last_seen": LOADED,
                    }
                    for w in range(wards)
                    for d in range(len(DEPARTMENTS))
                ],
            )
            directive_ids = (
                (
                    await conn.execute(
                        insert(m.Directive).returning(m.Directive.id, sort_by_parameter_order=True),
                        [
                            {
                                "ward_id": ward_ids[w],
                                "kind": "ke_hoach",
                                "number": f"{w + 1}/KH-UBND",
                                "subject": "Nâng cao Chỉ số 766",
                                "created_at": LOADED,
                                "created_by": "rig",
                            }
                            for w in range(wards)
                        ],
                    )
                )
                .scalars()
                .all()
            )
            task_rows = []
            leads = []
            for i in range(tasks):
                w, number = i % wards, i // wards + 1
                d = number % len(DEPARTMENTS)
                task_rows.append(
                    {
                        "ward_id": ward_ids[w],
                        "directive_id": directive_ids[w],
                        "number": number,
                        "text": f"Việc số {number} của phường {w:03d}",
                        "deadline": DEADLINE,
                        "deadline_text": "trước ngày 24/11/2025",
                        "status": "open",
                        "created_at": LOADED,
                    }
                )
                leads.append(dept_ids[w * len(DEPARTMENTS) + d])
            task_ids = (
                (
                    await conn.execute(
                        insert(m.Task).returning(m.Task.id, sort_by_parameter_order=True), task_rows
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                insert(m.TaskUnit),
                [
                    {
                        "task_id": t,
                        "department_id": d,
                        "unit_name": "",
                        "role": "lead",
                        "position": 0,
                    }
                    for t, d in zip(task_ids, leads, strict=True)
                ],
            )
        return example
    finally:
        await app.close()


async def skip_disk_waits(url: str) -> None:
    """The database's commits no longer wait for the disk (synchronous_commit off, for the
    connections opened from now on): what these runs measure is who sends what, not the
    test machine's fsync (PostgreSQL stays crash-safe; only the last commits could be lost
    if the server itself crashed)."""
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def replica_env(url: str, tg: FakeTelegram, port: int, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "CHISO_START_AT": START,
        "CHISO_OUTBOX_LEASE": "8",  # generous: a loaded machine may stall a replica
        "CHISO_GROUP_INTERVAL": "0",
        "TELEGRAM_RATE": "100000",  # the fake's flood limits are lifted: so are the bot's
        "CHISO_PORTAL_FETCH": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


async def start_replica(name: str, url: str, tg: FakeTelegram, logs: Path, **extra: str) -> Replica:
    port = free_port()
    log = logs / f"replica-{name}-{port}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--webhook",
            cwd=ROOT,
            env=replica_env(url, tg, port, **extra),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=sink,
        )
    return Replica(name, port, process, log)


async def wait_ready(replica: Replica, timeout: float = HANG) -> None:
    """Until the replica answers /ready with 200 (database reachable, migrations at head)."""
    end = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            if replica.process.returncode is not None:
                raise AssertionError(f"replica {replica.name} exited:\n{replica.stderr()}")
            try:
                async with http.get(f"{replica.url}/ready") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > end:
                raise AssertionError(f"replica {replica.name} not ready:\n{replica.stderr()}")
            await asyncio.sleep(0.1)


async def stop_replica(replica: Replica, timeout: float = HANG) -> int | None:
    if replica.process.returncode is None:
        replica.process.terminate()
    await asyncio.wait_for(replica.process.wait(), timeout)
    return replica.process.returncode


@dataclass
class Updates:
    """Telegram updates as the Bot API would post them to a webhook."""

    next_id: int = 1
    message_ids: dict[int, int] = field(default_factory=dict)

    def message(
        self, chat_id: int, user_id: int, text: str, first_name: str = "An"
    ) -> dict[str, Any]:
        update_id = self.next_id
        self.next_id += 1
        message_id = self.message_ids.get(chat_id, 100) + 1
        self.message_ids[chat_id] = message_id
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}
        return {
            "update_id": update_id,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": first_name,
                    "language_code": "vi",
                },
                "text": text,
            },
        }


async def post(http: aiohttp.ClientSession, replica: Replica, update: dict[str, Any]) -> None:
    """Posts an update to the replica's Telegram webhook, as Telegram would."""
    async with http.post(
        f"{replica.url}/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    ) as answer:
        assert answer.status == 200, answer.status


async def until(
    condition: Callable[[], Any], what: str, timeout: float = HANG, every: float = 0.05
) -> None:
    """Until `condition()` (a value or an awaitable) is true, checked every `every` s."""
    end = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > end:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        await asyncio.sleep(every)
