"""`chiso report weekly [--at DATE] [--format text|docx|xlsx] [--output PATH]`: the weekly
briefing on the console, or as the documents a ward files.

`--at DATE` (dd/mm/yyyy or yyyy-mm-dd) is the week holding DATE as it stood at the end of that
day (today or later this week: now, by the bot's clock; a week not begun yet is refused).
Text goes to standard output (or to --output); a .docx or .xlsx goes to --output, else to
`bao-cao-tuan-<Monday>.<ext>` in the current folder, and the command says where. A bad date
or format is refused in Vietnamese with exit code 2, before anything is read or written.
"""

from __future__ import annotations

import argparse
import logging
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import _, add_ward_option, err, one_ward, open_app, out

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
FORMATS = ("text", "docx", "xlsx")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help=_("the weekly briefing as text or a document"))
    report_sub = report.add_subparsers(dest="what", required=True)
    weekly = report_sub.add_parser("weekly", help=_("the weekly briefing of one week"))
    weekly.add_argument(
        "--at",
        metavar="DATE",
        help=_("a day of the week to report, dd/mm/yyyy or yyyy-mm-dd (default: today)"),
    )
    # checked by the command, not by argparse, so that a wrong value is refused in Vietnamese
    weekly.add_argument(
        "--format", default="text", metavar="FORMAT", help=_("text, docx or xlsx (default: text)")
    )
    weekly.add_argument("--output", type=Path, metavar="PATH", help=_("the file to write"))
    add_ward_option(weekly)
    weekly.set_defaults(
        run=lambda settings, args: cmd_report_weekly(
            settings, args.at, args.format, args.output, args.ward
        )
    )


def read_day(text: str) -> date | None:
    """dd/mm/yyyy (or d/m/yyyy) or yyyy-mm-dd; None when it is not a real day."""
    text = text.strip()
    if m := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


async def cmd_report_weekly(
    settings: Settings,
    at_text: str | None,
    fmt: str,
    output: Path | None,
    ward_name: str | None,
) -> int:
    fmt = fmt.strip().lower().lstrip(".")
    if fmt not in FORMATS:
        err(_("“{value}” is not a format I can write; choose text, docx or xlsx.", value=fmt))
        return 2
    day = None
    if at_text is not None:
        day = read_day(at_text)
        if day is None:
            err(
                _(
                    "“{text}” is not a date I understand; write it as dd/mm/yyyy or yyyy-mm-dd.",
                    text=at_text,
                )
            )
            return 2

    from bot.charts import ChartService
    from bot.render import to_plain
    from reminders.clock import VN_TZ
    from reports import docx, text, xlsx
    from reports.labels import file_name
    from reports.trend import six_month_set
    from reports.weekly import build_weekly, week_of

    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        now = app.services.clock.now().astimezone(VN_TZ)
        if day is not None and week_of(day) > week_of(now.date()):
            err(
                _(
                    "The week of {date} has not begun yet; the current week starts on {start}.",
                    date=_.date(day),
                    start=_.date(week_of(now.date())),
                )
            )
            return 2
        if day is None or day >= now.date():  # today, or later this week: as it stands now
            moment = now
        else:  # as it stood at the end of that day
            moment = datetime.combine(day, time(23, 59, 59), tzinfo=VN_TZ)
        briefing = await build_weekly(
            app.repo, ward, week_of(moment.date()), moment, app.services.calendar
        )
        if fmt == "text":
            content = to_plain(text.render(briefing, "vi"))
            if output is None:
                out(content)
                return 0
            data = (content + "\n").encode("utf-8")
        elif fmt == "xlsx":
            data = xlsx.render(briefing, "vi")
        else:
            as_of = (briefing.as_of or moment).astimezone(VN_TZ).date()
            history = await app.repo.snapshot_history(ward.id, "month", limit=24)
            chart = ChartService(app.repo).six_months(ward, six_month_set(history, as_of), "vi")
            try:
                png = await chart.png() if chart is not None else None
            except Exception:  # the report is written without its chart rather than not at all
                log.exception("the six-month chart could not be drawn")
                png = None
            data = docx.render(briefing, "vi", chart_png=png)
    finally:
        await app.close()
    name = file_name(briefing, "txt" if fmt == "text" else fmt)
    path = output if output is not None else Path(name)
    if path.is_dir():
        path = path / name
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        err(_("No such folder: {path}", path=str(path.parent)))
        return 2
    except PermissionError:
        err(_("No permission to write {path}.", path=str(path)))
        return 2
    except OSError as exc:
        err(_("Cannot write {path}: {error}", path=str(path), error=exc.strerror or str(exc)))
        return 2
    out(
        _(
            "Wrote the weekly report of {ward} ({week}) to {path}",
            ward=ward.name,
            week=_(
                "from {start} to {end}",
                start=_.date(briefing.week_start),
                end=_.date(briefing.week_end),
            ),
            path=str(path.resolve()),
        )
    )
    return 0
