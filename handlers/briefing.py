"""The weekly briefing on demand: "báo cáo tuần", "tóm tắt tuần", "bc tuan", /baocao give
the current week's; "báo cáo tuần trước" last week's; "báo cáo tuần 17/11" (or
/baocao 17/11/2025) the week holding that day. "gửi file báo cáo tuần", /filebaocao and the
button under the briefing send it as a Word file (`reports.docx`); "gửi file excel báo cáo
tuần" or /filebaocao excel as a workbook (`reports.xlsx`).

Who: the chairman, the vice chairmen and administrators (action "see_briefing"): it is the
leadership's report, naming each department's overdue tasks; staff keep /tinhhinh and their
own lists. What it says is `reports/text.py`, the same text the Monday job sends.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date

from handlers.context import Ctx
from handlers.intents import IntentMatch
from handlers.protocol import Attachment, Button, Image, Reply
from handlers.vocabulary import names_last_week, names_spreadsheet
from reminders.clock import VN_TZ
from reports.record import WeeklyBriefing
from reports.text import FILE_PREFIX, file_button, parse_file_button, render
from reports.weekly import build_weekly, last_week, this_week, week_of

log = logging.getLogger(__name__)
_DATE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2}|\d{4}))?(?![\d/])")

__all__ = ["FILE_PREFIX", "file_button_pressed", "send_file", "show"]


def which_week(ctx: Ctx, text: str) -> date | Reply:
    """The Monday of the week the text names (a date in it, "tuần trước", else this week), or
    the reply saying why it names none."""
    _ = ctx._
    now = ctx.clock.now()
    current = this_week(now)
    found = _DATE.search(text)
    if found is None:
        return last_week(now) if names_last_week(text) else current
    day_n, month_n, year_text = int(found.group(1)), int(found.group(2)), found.group(3)
    year = int(year_text) if year_text else now.astimezone(VN_TZ).date().year
    if year_text and len(year_text) == 2:
        year += 2000
    try:
        day = date(year, month_n, day_n)
    except ValueError:
        return Reply(
            _(
                "“{text}” is not a date. Type the week's day as DD/MM or DD/MM/YYYY, "
                "e.g. /baocao 17/11/2025.",
                text=found.group(0),
            )
        )
    if week_of(day) > current and not year_text:
        day = _year_earlier(day)  # "tuần 29/12" typed in January: last December
    if week_of(day) > current:
        return Reply(
            _(
                "The week of {date} has not begun yet; the current week starts on {start}.",
                date=_.date(day),
                start=_.date(current),
            )
        )
    return week_of(day)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


async def _build(ctx: Ctx, week: date) -> WeeklyBriefing:
    assert ctx.ward is not None
    return await build_weekly(
        ctx.repo, ctx.ward, week, ctx.clock.now(), calendar=ctx.services.calendar
    )


async def _chart(ctx: Ctx, briefing: WeeklyBriefing) -> Image | None:
    """The six-month chart the briefing names (`chart_key`), when charts are on."""
    charts = ctx.services.charts
    if charts is None or not briefing.chart_key or ctx.ward is None:
        return None
    return await charts.image_of_key(ctx.ward, briefing.chart_key, ctx.language)


async def show(ctx: Ctx, text: str) -> Reply:
    """The briefing of the week the text names, with the button for its Word file."""
    week = which_week(ctx, text)
    if isinstance(week, Reply):
        return week
    briefing = await _build(ctx, week)
    label, data = file_button(briefing, ctx.language)
    return Reply(
        render(briefing, ctx.language),
        buttons=[[Button(label, data)]],
        image=await _chart(ctx, briefing),
    )


async def _file(ctx: Ctx, week: date, spreadsheet: bool = False) -> Reply:
    """The week's briefing as a Word file (with the six-month chart), or as a workbook."""
    _ = ctx._
    try:
        from reports.docx import render as render_docx
        from reports.labels import file_name
        from reports.xlsx import render as render_xlsx
    except ImportError:  # the documents are an optional part of a deployment
        return Reply(_("The briefing cannot be made as a file on this server yet."))
    briefing = await _build(ctx, week)
    if spreadsheet:
        data = await asyncio.to_thread(render_xlsx, briefing, ctx.language)
        return Reply(
            _(
                "📊 The weekly briefing of {ward}, week from {start} to {end} (Excel file).",
                ward=briefing.ward_name,
                start=_.date(briefing.week_start),
                end=_.date(briefing.week_end),
            ),
            attachment=Attachment("document", file_name(briefing, "xlsx"), data=data),
        )
    chart = None
    try:
        image = await _chart(ctx, briefing)
        chart = await image.source.png() if image is not None else None
    except Exception:  # the report goes without its chart rather than not at all
        log.exception("the six-month chart of ward %s could not be drawn", briefing.ward_id)
    data = await asyncio.to_thread(render_docx, briefing, ctx.language, chart)
    return Reply(
        _(
            "📄 The weekly briefing of {ward}, week from {start} to {end} (Word file).",
            ward=briefing.ward_name,
            start=_.date(briefing.week_start),
            end=_.date(briefing.week_end),
        ),
        attachment=Attachment("document", file_name(briefing, "docx"), data=data),
    )


async def send_file(ctx: Ctx, text: str) -> Reply:
    """ "gửi file báo cáo tuần (trước)", /filebaocao [DD/MM]: the Word file; "gửi file excel
    báo cáo tuần", /filebaocao excel: the workbook."""
    week = which_week(ctx, text)
    if isinstance(week, Reply):
        return week
    return await _file(ctx, week, spreadsheet=names_spreadsheet(text))


async def file_button_pressed(ctx: Ctx, arg: str) -> Reply:
    """The button under a briefing ("bcfile:2025-11-24"): that week's Word file."""
    week = parse_file_button(arg)
    if week is None or week_of(week) > this_week(ctx.clock.now()):
        return Reply(ctx._("This question has expired; please start again."))
    return await _file(ctx, week_of(week))


async def run_show(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await show(ctx, arg)


async def run_file(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await send_file(ctx, arg)
