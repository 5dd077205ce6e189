"""The `chiso` command: run the bot, chat on the console, set up a ward, import scores.

A thin shell: each command group is a module of this package (`register` adds its
subcommands), and a command does what the chat does through the same functions
(`chiso broadcast send` passes /phatthanh's checks, yes/no are the vocabulary's words).
Modules import the database, chat and document libraries inside their commands, so that
`chiso --help` starts quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.cli import (
    broadcast,
    chats,
    db,
    import_scores,
    parse,
    portal,
    reminders,
    report,
    run,
    setup,
    tasks,
)
from bot.cli.broadcast import cmd_broadcast
from bot.cli.common import DatabaseUnreachable, _, err

GROUPS = (run, setup, import_scores, chats, parse, reminders, tasks, broadcast, db, portal, report)

__all__ = ["build_parser", "cmd_broadcast", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiso", description=_("ChiSo Bot"))
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.config import ConfigError, load_settings

    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:  # a setting that cannot work: named, before anything starts
        err(str(exc))
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in (
        "httpx",
        "httpcore",
        "aiosqlite",
        "alembic.runtime.migration",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if hasattr(args, "run_sync"):  # no database, no event loop
        result: int = args.run_sync(settings, args)
        return result
    try:
        return int(asyncio.run(args.run(settings, args)))
    except KeyboardInterrupt:
        return 130
    except DatabaseUnreachable as exc:
        err(str(exc))
        return 2
