"""`chiso db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import _, out

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help=_("database maintenance"))
    db_sub = db.add_subparsers(dest="what", required=True)
    upgrade = db_sub.add_parser("upgrade", help=_("apply database migrations"))
    upgrade.set_defaults(run=lambda settings, args: cmd_db_upgrade(settings))


async def cmd_db_upgrade(settings: Settings) -> int:
    from store.db import create_engine
    from store.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    out(_("The database is up to date."))
    return 0
