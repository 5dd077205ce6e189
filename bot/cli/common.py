"""What every `chiso` command shares: output, the ward a command acts on, yes/no questions.

Kept light (no database or chat libraries at import time): `chiso --help` loads only the
parser, and each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from locales import translator

if TYPE_CHECKING:
    from bot.app import App
    from store.records import WardRec

_ = translator("vi")
log = logging.getLogger("chiso")


def out(text: str = "") -> None:
    print(text, flush=True)


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def confirmed(question: str, not_a_terminal: str, cancelled: str) -> bool:
    """Asks `question` at a terminal; yes and no are the words of `handlers/vocabulary.toml`
    (as in a chat). Not at a terminal, says `not_a_terminal` (confirm with --yes) and
    returns False; anything but yes says `cancelled`."""
    from handlers.vocabulary import yes_no

    if not sys.stdin.isatty():
        err(not_a_terminal)
        return False
    if yes_no(input(question)) is True:
        return True
    out(cancelled)
    return False


async def one_ward(app: App, ward_name: str | None) -> WardRec | None:
    """The ward a command acts on: the only one, or the one named with --ward."""
    every = await app.repo.wards()
    wards = [w for w in every if w.name == ward_name] if ward_name else every
    if len(wards) == 1:
        return wards[0]
    if wards:  # several and none named
        err(
            _("Name the ward with --ward (known: {names}).", names=", ".join(w.name for w in every))
        )
    else:
        err(_("No such ward; run `chiso setup ward.toml` first."))
    return None


def add_ward_option(parser: argparse.ArgumentParser) -> None:
    """--ward, for the commands that act on one ward."""
    parser.add_argument("--ward", help=_("the ward's name, when the database has several"))
