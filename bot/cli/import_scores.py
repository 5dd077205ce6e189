"""`chiso import scores FILE`: store score figures read from a file, as a chat upload would."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import import_directive, import_metrics
from bot.cli.common import (
    _,
    add_ward_option,
    confirmed,
    err,
    one_ward,
    open_app,
    out,
    read_file,
)

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help=_("import data"))
    imp_sub = imp.add_subparsers(dest="what", required=True)
    scores = imp_sub.add_parser("scores", help=_("import score figures (.csv, .xlsx, .txt)"))
    scores.add_argument("file", type=Path)
    scores.add_argument("--yes", action="store_true", help=_("store without asking"))
    add_ward_option(scores)
    import_directive.register_into(imp_sub)
    import_metrics.register_into(imp_sub)
    scores.set_defaults(
        run=lambda settings, args: cmd_import_scores(
            settings, args.file, args.yes, args.ward, "chiso import"
        )
    )


async def cmd_import_scores(
    settings: Settings, path: Path, yes: bool, ward_name: str | None, by: str
) -> int:
    from handlers.problems import describe
    from handlers.reading import ReadRefused, read_scores, refusal_text
    from handlers.score_import import describe_draft, replacing_lines
    from ingest.snapshot_draft import Problem, round_draft

    data = read_file(path)
    if data is None:
        return 2
    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        today = app.services.clock.now().date()
        # the same reader, limits and worker process as a file sent in a chat
        reader = app.services.reader
        assert reader is not None  # App.open gives every app its pool
        try:
            reader.check_size(len(data))
            drafts, problems = await reader.run(read_scores, path.name, data, today, reader.limits)
        except ReadRefused as exc:
            err(refusal_text(exc, path.name, _))
            return 2
        if problems is not None or not drafts:
            err(_("Nothing was stored:"))
            for p in problems or [Problem("no_scores_found")]:
                err("  • " + describe(p, _))
            return 2
        for d in drafts:
            round_draft(d)
            if d.as_of is None:
                d.as_of = today
                out(_("The text gives no as-of date, so I used today, {date}.", date=_.date(today)))
        out(_("{ward}: I read {n} set(s) of figures:", ward=ward.name, n=len(drafts)))
        for d in drafts:
            out()
            for line in describe_draft(d, _) + await replacing_lines(app.repo, ward.id, d, _):
                out(line.replace("**", ""))
        out()
        if not yes and not confirmed(
            _("Store these figures? [y/N] "),
            _("Not stored: confirm with --yes when not at a terminal."),
            _("Cancelled; nothing was stored."),
        ):
            return 1
        # one transaction: killed midway, nothing of the file is stored
        await app.repo.save_snapshots(ward.id, drafts, by, app.services.clock.now())
        out(_("Stored {n} set(s) of figures.", n=len(drafts)))
        return 0
    finally:
        await app.close()
