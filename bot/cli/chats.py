"""`chiso chats`: the chats the bot has seen, with their ids (to write them into ward.toml)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import _, open_app, out

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chats = sub.add_parser("chats", help=_("list the chats the bot has seen, with their ids"))
    chats.set_defaults(run=lambda settings, args: cmd_chats(settings))


async def cmd_chats(settings: Settings) -> int:

    app = await open_app(settings)
    try:
        chats = await app.repo.chats()
        wards = {w.id: w.name for w in await app.repo.wards()}
    finally:
        await app.close()
    if not chats:
        out(_("The bot has not seen any chat yet."))
        return 0
    header = f"{'channel':<9} {'chat_id':<16} {'kind':<11} {'dept':<10} {'ward':<20} title"
    out(header)
    for c in chats:
        state = "" if c.active else _(" (left)")
        out(
            f"{c.channel:<9} {c.chat_id:<16} {(c.kind or '—'):<11} {(c.department or '—'):<10} "
            f"{wards.get(c.ward_id or -1, '—'):<20} {c.title}{state}"
        )
    return 0
