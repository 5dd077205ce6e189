"""`chiso import metrics FILE [--ward NAME] [--yes] [--dry-run]`: store sub-criterion figures
(numerator / denominator) read from a .csv, .xlsx or .txt file, as a paste in a chat would:
the same reader (worker process, limits), the same refusals, the same preview (each figure
with its points, and per group whether the figures reproduce the stored group score), then
[c/K] at a terminal. Exit codes: 0 stored (or --dry-run), 1 not confirmed, 2 refused."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

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


def register_into(imp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    metrics = imp_sub.add_parser(
        "metrics",
        help=_("import sub-criterion figures, numerator/denominator (.csv, .xlsx, .txt)"),
    )
    metrics.add_argument("file", type=Path)
    metrics.add_argument("--yes", action="store_true", help=_("store without asking"))
    metrics.add_argument(
        "--dry-run", action="store_true", help=_("show what would be stored, store nothing")
    )
    add_ward_option(metrics)
    metrics.set_defaults(
        run=lambda settings, args: cmd_import_metrics(
            settings, args.file, args.yes, args.dry_run, args.ward, "chiso import"
        )
    )


async def cmd_import_metrics(
    settings: Settings, path: Path, yes: bool, dry_run: bool, ward_name: str | None, by: str
) -> int:
    from handlers.metric_import import preview_lines, refusal_lines, settle, stored_text
    from handlers.reading import ReadRefused, refusal_text
    from ingest.metric_text import read_metrics_job
    from ingest.snapshot_draft import Problem
    from store.metrics import MetricStore

    data = read_file(path)
    if data is None:
        return 2
    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        today = app.services.clock.now().date()
        table = app.services.criteria
        reader = app.services.reader
        assert reader is not None  # App.open gives every app its pool
        limits = reader.limits
        try:
            reader.check_size(len(data))
            drafts, problems = await reader.run(
                read_metrics_job,
                path.name,
                data,
                table,
                today,
                limits.max_import_rows,
                limits.max_unpacked_bytes,
            )
        except ReadRefused as exc:
            err(refusal_text(exc, path.name, _))
            return 2
        if problems is not None or not drafts:
            lines = refusal_lines(problems or [Problem("no_figures_found")], table, _)
            err(lines[0])
            for line in lines[1:]:
                err("  " + line)
            return 2
        notes = settle(drafts, today, _)
        metrics = MetricStore(app.repo.sessions)
        out(_("{ward}: I read these sub-criterion figures:", ward=ward.name))
        out()
        for line in await preview_lines(app.repo, metrics, ward.id, drafts, table, _):
            out(line.replace("**", ""))
        for note in notes:
            out(note)
        out()
        if dry_run:
            out(_("Dry run: nothing was stored."))
            return 0
        if not yes and not confirmed(
            _("Store these figures? [y/N] "),
            _("Not stored: confirm with --yes when not at a terminal."),
            _("Cancelled; nothing was stored."),
        ):
            return 1
        # one transaction: killed midway, nothing of the file is stored
        count = await metrics.save(ward.id, drafts, by, app.services.clock.now())
        out(stored_text(drafts, count, _))
        return 0
    finally:
        await app.close()
