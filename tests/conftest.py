"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), a clock, the app."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from reminders.clock import VN_TZ, FixedClock

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE_WARD = ROOT / "examples" / "ward.toml"
PG_URL = os.environ.get("CHISO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CHISO_REQUIRE_POSTGRES") == "1"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is beside the checkout only in CI)")
    return path


async def _pg_available() -> bool:
    try:
        import asyncpg

        conn = await asyncio.wait_for(
            asyncpg.connect(PG_URL.replace("postgresql://", "postgres://")), 3
        )
    except Exception:
        return False
    await conn.close()
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL on each backend. PostgreSQL gets its own schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    async with fresh_pg_database() as url:
        yield url


@asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards; the test is skipped
    without PostgreSQL (failed when CHISO_REQUIRE_POSTGRES=1, as in CI)."""
    if not await _pg_available():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (CHISO_REQUIRE_POSTGRES=1) but {PG_URL} is down")
        pytest.skip("PostgreSQL is not reachable")
    import asyncpg

    name = f"chiso_t_{uuid.uuid4().hex[:12]}"
    admin_dsn = PG_URL.replace("postgresql://", "postgres://")
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.fixture(autouse=True)
def fresh_answers() -> None:
    """The score answers are cached in the process by snapshot id (handlers/scores.py); each
    test's database numbers its snapshots from 1 again."""
    from handlers import scores

    scores._ANSWER_CACHE.clear()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))


@pytest.fixture
async def app(sqlite_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """The app on SQLite with the example ward set up (no snapshots)."""
    application = await App.open(Settings(database_url=sqlite_url, cache_ttl=0), clock=clock)
    await setup_example_ward(application)
    yield application
    await application.close()


async def setup_example_ward(application: App) -> int:
    from ingest.ward_config import load_ward_config
    from store.setup import apply_ward_config

    cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8"))
    async with application.repo.sessions.begin() as s:
        summary = await apply_ward_config(s, cfg, application.services.clock.now())
    application.repo.invalidate()
    return summary.ward_id
