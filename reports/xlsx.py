"""The weekly briefing as a workbook: one sheet per section ("Tổng hợp", "Nhóm chỉ số",
"Nhiệm vụ", "Báo cáo định kỳ", "Tuyên truyền"), built with openpyxl.

Numbers are numbers and dates are dates, so a ward can sort, filter and sum them. Number
formats are written the way the file format stores them ('0.00', 'dd/mm/yyyy'): the '.' in a
format is "the decimal separator" and Excel/LibreOffice show it in the reader's locale, so a
Vietnamese Excel shows 94,72 (and an English one 94.72) from the same cell; a format with a
literal comma would turn into a thousands separator instead. The header row of every sheet is
bold and frozen (A2) with a filter on it. Sheet names and headers go through the catalog.
`render` is pure and synchronous: callers in an event loop run it in a thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ingest.index_groups import TOTAL_MAX
from locales import LOCAL_TZ, N_, Translator, translator
from reminders.wording import recurrence_text
from reports.labels import (
    TASK_COLUMNS,
    band_label,
    department_label,
    department_name,
    department_names,
    group_label,
    group_totals,
    owner_name,
    period_text,
    tasks_of,
    week_text,
)
from reports.record import ScoreLine, WeeklyBriefing

SCORE = "0.00"  # shown as 94,72 by a Vietnamese Excel (see the module's docstring)
COUNT = "0"
SHARE = "0.0%"
DAY = "dd/mm/yyyy"
MOMENT = "dd/mm/yyyy hh:mm"
Cell = str | int | float | Decimal | date | datetime | None
Column = tuple[str, float, str | None]  # header (catalog id), width, number format

SHEET_SUMMARY = N_("Summary")
SHEET_GROUPS = N_("Index groups")
SHEET_TASKS = N_("Tasks by unit")
SHEET_MISSED = N_("Periodic reports")
SHEET_OUTREACH = N_("Outreach")


def render(briefing: WeeklyBriefing, language: str = "vi") -> bytes:
    """The .xlsx file's bytes."""
    _ = translator(language)
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    props = wb.properties
    props.creator = props.lastModifiedBy = "ChiSo Bot"
    props.title = _("Weekly report {week}", week=week_text(briefing, _))
    props.subject = briefing.ward_name
    props.language = "vi-VN" if _.lang == "vi" else "en-US"
    props.created = props.modified = _utc_naive(briefing.made_at)
    names = department_names(briefing)
    _summary(wb.create_sheet(_(SHEET_SUMMARY)), briefing, _)
    _groups(wb.create_sheet(_(SHEET_GROUPS)), briefing, names, _)
    _tasks(wb.create_sheet(_(SHEET_TASKS)), briefing, _)
    _missed(wb.create_sheet(_(SHEET_MISSED)), briefing, names, _)
    _outreach(wb.create_sheet(_(SHEET_OUTREACH)), briefing, _)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _local_naive(moment: datetime) -> datetime:
    """What the ward's clock read (Excel has no time zones)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def _sheet(
    ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], _: Translator
) -> None:
    """Header (bold, frozen, filtered), rows with each column's number format, widths."""
    ws.append([_(header) for header, _width, _fmt in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in rows:
        ws.append(list(values))
    for i, (_header, width, fmt) in enumerate(columns, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = width
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if fmt and isinstance(cell.value, int | float | Decimal | date):
                cell.number_format = fmt
            if width >= 40:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"


def _bold_last(ws: Worksheet) -> None:
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


# --- the sheets -----------------------------------------------------------------------------------
def _score_rows(score: ScoreLine | None, _: Translator) -> list[tuple[str, Cell, str | None]]:
    if score is None:
        return [(_("Total points"), None, SCORE)]
    return [
        (_("Figures for"), period_text(score, _), None),
        (_("Figures as of"), score.as_of, DAY),
        (_("Total points"), score.total, SCORE),
        (_("Maximum points"), TOTAL_MAX, SCORE),
        (_("Rating"), band_label(score, _), None),
        (_("Rank in the province"), score.rank, COUNT),
        (_("Communes and wards ranked"), score.rank_of, COUNT),
        (_("Previous figures: points"), score.previous_total, SCORE),
        (_("Previous figures: rank"), score.previous_rank, COUNT),
        (_("Same period last year: points"), score.last_year_total, SCORE),
        (_("Same period last year: rank"), score.last_year_rank, COUNT),
    ]


def _summary(ws: Worksheet, briefing: WeeklyBriefing, _: Translator) -> None:
    rows: list[tuple[str, Cell, str | None]] = [
        (_("Ward"), briefing.ward_name, None),
        (_("Province"), briefing.province, None),
        (_("Week from"), briefing.week_start, DAY),
        (_("Week to"), briefing.week_end, DAY),
        (_("Made at"), _local_naive(briefing.made_at), MOMENT),
        *_score_rows(briefing.score, _),
    ]
    year = briefing.year_score
    if year is not None:
        rows += [
            (_("Year-to-date: points"), year.total, SCORE),
            (_("Year-to-date: rank"), year.rank, COUNT),
        ]
    departments = briefing.departments
    for column, label in TASK_COLUMNS:
        rows.append(
            (
                _("Tasks: {column}", column=_(label)),
                sum(len(tasks_of(d, column)) for d in departments),
                COUNT,
            )
        )
    rows += [
        (_("Periodic reports not yet made"), len(briefing.missed_reports), COUNT),
        (_("Broadcasts of the digital team"), len(briefing.broadcasts), COUNT),
        (_("Chats the broadcasts reached"), sum(b.chats for b in briefing.broadcasts), COUNT),
    ]
    _sheet(
        ws,
        ((N_("Item"), 40, None), (N_("Value"), 36, None)),
        [(label, value) for label, value, _fmt in rows],
        _,
    )
    for row, (_label, value, fmt) in enumerate(rows, 2):
        cell = ws.cell(row=row, column=2)
        cell.alignment = Alignment(horizontal="left")
        if fmt and value is not None:
            cell.number_format = fmt


def _groups(ws: Worksheet, briefing: WeeklyBriefing, names: dict[str, str], _: Translator) -> None:
    rows: list[list[Cell]] = [
        [
            i,
            group_label(g.code, _),
            g.score,
            g.max_score,
            g.gap,
            float(g.score / g.max_score) if g.max_score else None,
            g.rank,
            owner_name(g, names),
        ]
        for i, g in enumerate(briefing.groups, 1)
    ]
    if rows:
        score, top = group_totals(briefing)
        rows.append(
            [None, _("In all"), score, top, top - score, float(score / top) if top else None]
        )
    _sheet(
        ws,
        (
            (N_("No."), 6, COUNT),
            (N_("Index group"), 28, None),
            (N_("Points"), 10, SCORE),
            (N_("Max"), 10, SCORE),
            (N_("Missing"), 12, SCORE),
            (N_("Share of the maximum"), 14, SHARE),
            (N_("Rank in the province"), 12, COUNT),
            (N_("Owner"), 36, None),
        ),
        rows,
        _,
    )
    if rows:
        _bold_last(ws)


def _tasks(ws: Worksheet, briefing: WeeklyBriefing, _: Translator) -> None:
    rows: list[list[Cell]] = []
    for d in briefing.departments:
        for column, label in TASK_COLUMNS:
            for t in tasks_of(d, column):
                rows.append(
                    [
                        department_label(d, _),
                        _(label),
                        t.number,
                        " ".join(t.text.split()),
                        t.deadline,
                        recurrence_text(t.recurrence, _) or "",
                        t.overdue_days if column == "overdue" else None,
                    ]
                )
    _sheet(
        ws,
        (
            (N_("Department"), 30, None),
            (N_("Status"), 18, None),
            (N_("Task No."), 9, COUNT),
            (N_("Task"), 60, None),
            (N_("Deadline"), 12, DAY),
            (N_("Recurrence"), 20, None),
            (N_("Working days late"), 12, COUNT),
        ),
        rows,
        _,
    )


def _missed(ws: Worksheet, briefing: WeeklyBriefing, names: dict[str, str], _: Translator) -> None:
    rows: list[list[Cell]] = [
        [
            m.number,
            " ".join(m.text.split()),
            department_name(m.department, names, _),
            m.occurrence,
        ]
        for m in briefing.missed_reports
    ]
    _sheet(
        ws,
        (
            (N_("Task No."), 9, COUNT),
            (N_("Report"), 60, None),
            (N_("Department"), 30, None),
            (N_("Due for"), 12, DAY),
        ),
        rows,
        _,
    )


def _outreach(ws: Worksheet, briefing: WeeklyBriefing, _: Translator) -> None:
    rows: list[list[Cell]] = [
        [b.id, _local_naive(b.sent_at), b.sender, b.text, b.chats, b.failed]
        for b in briefing.broadcasts
    ]
    _sheet(
        ws,
        (
            (N_("Broadcast No."), 10, COUNT),
            (N_("Sent at"), 17, MOMENT),
            (N_("Sent by"), 22, None),
            (N_("Text"), 60, None),
            (N_("Chats reached"), 12, COUNT),
            (N_("Chats not reached"), 12, COUNT),
        ),
        rows,
        _,
    )
