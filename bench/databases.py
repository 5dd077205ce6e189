"""Throw-away databases for the benches: SQLite in a temporary folder, or a fresh PostgreSQL
database on the test server (CHISO_TEST_POSTGRES_URL, default 127.0.0.1:5432/test, trust),
dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

PG_URL = os.environ.get("CHISO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@asynccontextmanager
async def temp_database(backend: str) -> AsyncIterator[str]:
    """A URL of an empty database of `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    import asyncpg

    name = f"chiso_bench_{uuid.uuid4().hex[:10]}"
    admin = PG_URL.replace("postgresql://", "postgres://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def pct(values: list[float], q: float) -> float:
    """The q-quantile of seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
