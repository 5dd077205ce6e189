"""Alembic, driven from code: `chiso db upgrade` and every start run `upgrade(engine)`."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


# pg_advisory_xact_lock's key for migrations ("chiso" in ASCII): one upgrade at a time
MIGRATION_LOCK = 0x636869736F


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrades the schema in one transaction. On PostgreSQL under an advisory lock, so that
    two processes starting at once (replicas, `chiso db upgrade` beside a running bot) never
    race: the second waits for the first to commit, then finds nothing left to do."""

    def _run(connection: Connection) -> None:
        from alembic.runtime.migration import MigrationContext

        current = MigrationContext.configure(connection).get_current_revision()
        if not known_revision(current):
            # newer code upgraded the database (a rolling deployment: `chiso db upgrade` of
            # the next version while this one's replicas run and restart): migrations only
            # add what older code can ignore, so this process runs on the schema it finds
            log.warning(
                "database schema %s is newer than this code's %s: not upgrading",
                current,
                head_revision(),
            )
            return
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_run)


def known_revision(revision: str | None) -> bool:
    """Whether this code has the migration `revision` (False: newer code upgraded the
    database past this code's head)."""
    if revision is None:
        return True
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def head_revision() -> str | None:
    """The newest migration this code has."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _get(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_get)
