"""`chiso portal fetch` and `chiso portal status`: the national portal's fetch by hand."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import _, add_ward_option, err, one_ward, open_app, out

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    portal = sub.add_parser("portal", help=_("the national portal's daily fetch"))
    portal_sub = portal.add_subparsers(dest="what", required=True)
    fetch = portal_sub.add_parser(
        "fetch", help=_("fetch the ward's figures from the portal now and say what changed")
    )
    fetch.add_argument(
        "--period",
        help=_("one period: 2025-11 (month), 2025-Q4, 2025-H1 or 2025 (year-to-date)"),
    )
    fetch.add_argument(
        "--dry-run", action="store_true", help=_("fetch and compare, store and send nothing")
    )
    add_ward_option(fetch)
    fetch.set_defaults(
        run=lambda settings, args: cmd_fetch(settings, args.period, args.dry_run, args.ward)
    )
    status = portal_sub.add_parser(
        "status", help=_("the last fetch that worked, the last that failed and why")
    )
    add_ward_option(status)
    status.set_defaults(run=lambda settings, args: cmd_status(settings, args.ward))


async def cmd_fetch(
    settings: Settings, period_text: str | None, dry_run: bool, ward_name: str | None
) -> int:
    from bot.portal import PortalJob, describe_period, reason_text
    from ingest.portal import parse_period

    periods = None
    if period_text is not None:
        period = parse_period(period_text)
        if period is None:
            err(
                _(
                    "“{period}” is not a period: write 2025-11 (a month), 2025-Q4 (a quarter), "
                    "2025-H1 (a half year) or 2025 (the year-to-date).",
                    period=period_text,
                )
            )
            return 2
        periods = [period]
    app = await open_app(settings)
    job = PortalJob.from_settings(settings, app.repo, app.services.outbox, app.services.clock)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        if not ward.portal or not ward.portal.get("province_id"):
            err(
                _(
                    "{ward} has no [portal] in ward.toml (province_id and unit_id or unit_name); "
                    "add it and run `chiso setup ward.toml`.",
                    ward=ward.name,
                )
            )
            return 2
        now = app.services.clock.now()
        result = await job.fetch_ward(ward, now, periods=periods, dry_run=dry_run)
        out(_("{ward} — the national portal, {time}:", ward=ward.name, time=_.datetime(now)))
        for p in result.periods:
            for line in describe_period(p, dry_run, _):
                out(line)
            if p.skipped:
                out(
                    "    "
                    + _(
                        "{n} row(s) of the province list failed the checks and were left out "
                        "(see the log).",
                        n=p.skipped,
                    )
                )
        if dry_run:
            out(_("Dry run: nothing was stored or sent."))
        if not result.ok:
            err(_("The fetch failed: {reason}.", reason=reason_text(result.reason, _)))
            return 1
        return 0
    finally:
        await job.close()
        await app.close()


async def cmd_status(settings: Settings, ward_name: str | None) -> int:
    from bot.portal import fetch_at, portal_enabled, reason_text, ward_periods
    from handlers.labels import period_label
    from store.portal import PortalStore

    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        store = PortalStore(app.repo.sessions)
        out(_("{ward} — fetching from the national portal", ward=ward.name))
        if not portal_enabled(ward):
            out(_("The daily fetch is off: ward.toml has no [portal] (or enabled = false)."))
        else:
            names = ", ".join(
                period_label(p.kind, p.year, p.period or None, _)
                for p in ward_periods(ward, app.services.clock.now())
            )
            out(
                _(
                    "Daily at {time}; periods: {periods}.",
                    time=fetch_at(ward).strftime("%H:%M"),
                    periods=names,
                )
            )
        success = await store.last_run(ward.id, ok=True)
        failure = await store.last_run(ward.id, ok=False)
        if success is None:
            out(_("Last fetch that worked: none yet."))
        else:
            out(_("Last fetch that worked: {time}.", time=_.datetime(success.started_at)))
        if failure is None:
            out(_("Last fetch that failed: none."))
        else:
            out(
                _(
                    "Last fetch that failed: {time} — {reason}.",
                    time=_.datetime(failure.started_at),
                    reason=reason_text(failure.reason, _),
                )
            )
            if failure.detail:
                out("    " + failure.detail[:300])
        streak = await store.streak(ward.id)
        if streak is None:
            out(_("Failing now: no."))
        else:
            out(
                _(
                    "Failing now: {n} fetch(es) in a row since {since}.",
                    n=streak.runs,
                    since=_.datetime(streak.first.started_at),
                )
            )
        return 0
    finally:
        await app.close()
