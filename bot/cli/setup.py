"""`chiso setup ward.toml`: create or update the ward from its configuration file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import _, err, open_app, out, read_file

if TYPE_CHECKING:
    from bot.config import Settings
    from ingest.ward_config import WardConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = sub.add_parser("setup", help=_("create or update the ward from ward.toml"))
    setup.add_argument("file", type=Path)
    setup.set_defaults(run=lambda settings, args: cmd_setup(settings, args.file))


def problem_lines(path: Path, exc: WardConfigError) -> list[str]:
    """Each problem of a ward.toml as a sentence with its line."""
    from handlers.problems import describe

    lines = []
    for p in exc.problems:
        where = _("line {line}", line=p.line) if p.line else _("file")
        lines.append(f"  {path.name}, {where}: {describe(p.problem, _)}")
    return lines


async def cmd_setup(settings: Settings, path: Path) -> int:
    from handlers.labels import group_name
    from ingest.ward_config import WardConfigError, load_ward_config
    from store.setup import apply_ward_config

    data = read_file(path)
    if data is None:
        return 2
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        err(_("{path} is not UTF-8 text; save it as UTF-8 and try again.", path=str(path)))
        return 2
    try:
        cfg = load_ward_config(text)
    except WardConfigError as exc:
        err(_("{path} has problems; nothing was written:", path=str(path)))
        for line in problem_lines(path, exc):
            err(line)
        return 2
    app = await open_app(settings)
    try:
        async with app.repo.sessions.begin() as s:
            summary = await apply_ward_config(s, cfg, app.services.clock.now())
        app.repo.invalidate()
    finally:
        await app.close()
    verb = _("Created") if summary.created_ward else _("Updated")
    if summary.renamed_from:
        out(_("Renamed “{old}” to “{new}”.", old=summary.renamed_from, new=cfg.name))
    out(
        _(
            "{verb} {ward}: departments +{d_add}/~{d_upd}/−{d_rm}, people +{p_add}/~{p_upd}/"
            "−{p_rm}, chats +{c_add}/~{c_upd}.",
            verb=verb,
            ward=cfg.name,
            d_add=summary.added["departments"],
            d_upd=summary.updated["departments"],
            d_rm=summary.removed["departments"],
            p_add=summary.added["people"],
            p_upd=summary.updated["people"],
            p_rm=summary.removed["people"],
            c_add=summary.added["chats"],
            c_upd=summary.updated["chats"],
        )
    )
    if summary.deactivated:
        out(
            _.plural(
                "{n} chat is no longer in the file and was deactivated (it gets no notices, "
                "reminders or broadcasts): {chats}.",
                "{n} chats are no longer in the file and were deactivated (they get no notices, "
                "reminders or broadcasts): {chats}.",
                len(summary.deactivated),
                chats=", ".join(summary.deactivated),
            )
        )
    if cfg.groups_without_owner:
        out(
            _(
                "Warning: no department owns {groups} ([group_owners] in the file), so answers "
                "about these groups cannot say who is in charge.",
                groups=", ".join(group_name(g, _) for g in cfg.groups_without_owner),
            )
        )
    return 0
