"""What every `chiso` command shares: output, the ward a command acts on, yes/no questions.

Kept light (no database or chat libraries at import time): `chiso --help` loads only the
parser, and each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from locales import translator

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from store.records import WardRec

_ = translator("vi")
log = logging.getLogger("chiso")


def out(text: str = "") -> None:
    print(text, flush=True)


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def read_file(path: Path) -> bytes | None:
    """The file's bytes, or None after saying (in Vietnamese) why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        err(_("No such file: {path}", path=str(path)))
    except IsADirectoryError:
        err(_("{path} is a folder, not a file.", path=str(path)))
    except PermissionError:
        err(_("No permission to read {path}.", path=str(path)))
    except OSError as exc:
        err(_("Cannot read {path}: {error}", path=str(path), error=exc.strerror or str(exc)))
    return None


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


class DatabaseUnreachable(Exception):
    """The database could not be opened; the message is one sentence for the operator."""


def _database_reason(exc: BaseException) -> str:
    import socket

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return _("its host name is unknown")
        if isinstance(seen, ConnectionRefusedError):
            return _("nothing answers at that address and port")
        if isinstance(seen, TimeoutError):
            return _("it did not answer in time")
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    if "password" in text or "role" in text or "authentication" in text:
        return _("it refused the user name or password")
    if "database" in text and "does not exist" in text:
        return _("that database does not exist")
    return _("it refused the connection")


async def open_app(settings: Settings, charts: bool = False) -> App:
    """App.open, with an unreachable or refusing database as DatabaseUnreachable (one clear
    sentence, no traceback)."""
    from sqlalchemy.exc import DBAPIError

    from bot.app import App
    from bot.config import hide_password

    try:
        return await App.open(settings, charts=charts)
    except (OSError, DBAPIError) as exc:
        raise DatabaseUnreachable(
            _(
                "Cannot open the database {url}: {reason}. Check DATABASE_URL and that the "
                "database server is running.",
                url=hide_password(settings.database_url),
                reason=_database_reason(exc),
            )
        ) from exc
