"""The weekly briefing as a Vietnamese administrative report (.docx), laid out after Nghị định
30/2020/NĐ-CP: the issuing body and the national motto side by side, "Số: …/BC-UBND" and the
place-and-date line, the title, numbered sections with a table of groups and a table of tasks
by department, the six-month chart when given, then "Nơi nhận" and the signer's block.

A4, margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman 14 pt for the body,
13 pt in the header and tables, 12/11 pt for "Nơi nhận"; page numbers at the top centre from
the second page. Every word goes through the catalog (English ids, `locales/vi`), so the same
function writes the English version too; numbers and dates are the Translator's ("94,72",
"30/11/2025"). `render` is pure and synchronous: callers in an event loop run it in a thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ingest.index_groups import TOTAL_MAX
from ingest.textnorm import fold
from locales import LOCAL_TZ, N_, Translator, translator
from reminders.wording import recurrence_text
from reports.labels import (
    SECTION_GROUPS,
    SECTION_MISSED,
    SECTION_OUTREACH,
    SECTION_SCORE,
    SECTION_TASKS,
    TASK_COLUMNS,
    band_label,
    cut,
    department_label,
    department_name,
    department_names,
    group_label,
    group_totals,
    owner_name,
    period_text,
    period_words,
    report_day,
    tasks_of,
    week_text,
)
from reports.record import ScoreLine, TaskLine, WeeklyBriefing

FONT = "Times New Roman"
BODY_PT = 14
SMALL_PT = 13
SIGNATURE_LINES = 4
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
# The words of a ward's name that are its kind, not the place ("Phường Thiên Hương, ngày …"
# names the place only), folded (ingest.textnorm.fold).
PLACE_KINDS = ("phuong", "xa", "thi tran", "dac khu")
# Elements that follow w:pBdr in w:pPr and w:tblBorders in w:tblPr (the schema's order, which
# Word enforces).
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_AFTER_TBL_BORDERS = (
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
    "w:tblCaption",
    "w:tblDescription",
    "w:tblPrChange",
)
RECIPIENTS = (
    N_("- The Chairman and Vice Chairmen of the People's Committee;"),
    N_("- The professional departments and units;"),
    N_("- Archive: clerical office."),
)


def render(briefing: WeeklyBriefing, language: str = "vi", chart_png: bytes | None = None) -> bytes:
    """The .docx file's bytes."""
    _ = translator(language)
    doc = Document()
    _page_setup(doc)
    _styles(doc, _)
    _properties(doc, briefing, _)
    _national_header(doc, briefing, _)
    _title(doc, briefing, _)
    names = department_names(briefing)
    sections = (
        (SECTION_SCORE, lambda: _score_section(doc, briefing, _)),
        (SECTION_GROUPS, lambda: _groups_section(doc, briefing, names, _)),
        (SECTION_TASKS, lambda: _tasks_section(doc, briefing, _)),
        (SECTION_MISSED, lambda: _missed_section(doc, briefing, names, _)),
        (SECTION_OUTREACH, lambda: _outreach_section(doc, briefing, _)),
    )
    for number, (title, write) in zip(ROMAN, sections, strict=False):
        _heading(doc, f"{number}. {_(title)}")
        write()
    if chart_png:
        _chart(doc, chart_png, _)
    _closing(doc, _)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- page, styles, properties ------------------------------------------------------------------
def _page_setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    # page numbers at the top centre, from the second page (ND30)
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _styles(doc: Any, _: Translator) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN" if _.lang == "vi" else "en-US")
    rpr.append(lang)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.0
    for name in ("Header", "Table Grid"):
        if name in [s.name for s in doc.styles]:
            doc.styles[name].font.name = FONT


def _properties(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    props = doc.core_properties
    props.author = props.last_modified_by = "ChiSo Bot"
    props.title = _("Weekly report {week}", week=week_text(briefing, _))
    props.subject = briefing.ward_name
    props.language = "vi-VN" if _.lang == "vi" else "en-US"
    made = briefing.made_at.astimezone(UTC) if briefing.made_at.tzinfo else briefing.made_at
    props.created = props.modified = made.replace(tzinfo=None)
    props.revision = 1


# --- building blocks ------------------------------------------------------------------------------
def _para(
    container: Any,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: int = BODY_PT,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    after: int = 6,
    before: int = 0,
    first: bool = False,
) -> Paragraph:
    """A paragraph (the cell's first, empty one when `first`) with one run of text."""
    p: Paragraph = container.paragraphs[0] if first else container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    if indent:
        fmt.first_line_indent = Cm(1)
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
    return p


def _rule(container: Any, indent_cm: float, first: bool = False) -> None:
    """A short centred line (the rule under the issuing body and under the title)."""
    p = _para(container, align=WD_ALIGN_PARAGRAPH.CENTER, after=4, first=first)
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(indent_cm)
    fmt.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def _heading(doc: Any, text: str) -> None:
    _para(doc, text, bold=True, before=6, align=WD_ALIGN_PARAGRAPH.LEFT, indent=True)


def _body(doc: Any, text: str) -> None:
    _para(doc, text, indent=True)


def _item(doc: Any, text: str) -> None:
    _para(doc, "- " + text, indent=True)


def _no_borders(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.insert_element_before(borders, *_AFTER_TBL_BORDERS)


def _widths(table: Table, widths_cm: tuple[float, ...]) -> None:
    """Fixed column widths, in the grid (LibreOffice reads it) and in every cell (Word)."""
    table.autofit = False  # w:tblLayout fixed
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _cell(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT,
    size: int = SMALL_PT,
) -> None:
    _para(cell, text, bold=bold, align=align, size=size, after=0, first=True)


def _repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _keep_rows_whole(table: Table) -> None:
    """A row never breaks across two pages."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _grid(
    doc: Any,
    header: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    widths_cm: tuple[float, ...],
    numeric: frozenset[int],
    total: tuple[str, ...] | None = None,
) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_header(table)
    for values, bold in [*((r, False) for r in rows), *(((total, True),) if total else ())]:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.CENTER if i in numeric else WD_ALIGN_PARAGRAPH.LEFT
            _cell(cell, text, bold=bold, align=align)
    _widths(table, widths_cm)
    _keep_rows_whole(table)
    _para(doc, after=0)  # a little air after the table


# --- header and title -------------------------------------------------------------------------
def place_name(ward_name: str) -> str:
    """The place in the date line: the ward's name without its kind ("Phường Thiên Hương"
    -> "Thiên Hương")."""
    words = ward_name.split()
    for kind in PLACE_KINDS:
        n = len(kind.split())
        if len(words) > n and fold(" ".join(words[:n])) == kind:
            return " ".join(words[n:])
    return ward_name


def date_line(place: str, day: date, _: Translator) -> str:
    """ "Thiên Hương, ngày 05 tháng 01 năm 2026": a day under 10 and the months 1 and 2 take a
    leading zero (ND30)."""
    day_text = str(day.day).zfill(2)
    month_text = str(day.month).zfill(2) if day.month <= 2 else str(day.month)
    return _(
        "{place}, {day}/{month}/{year}", place=place, day=day_text, month=month_text, year=day.year
    )


def _national_header(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(left, _("PEOPLE'S COMMITTEE"), size=SMALL_PT, align=center, after=0, first=True)
    _para(left, briefing.ward_name.upper(), bold=True, size=SMALL_PT, align=center, after=0)
    _rule(left, 1.8)
    _para(left, _("No.: …/BC-UBND"), size=SMALL_PT, align=center, after=0, before=4)
    _para(
        right,
        _("SOCIALIST REPUBLIC OF VIETNAM"),
        bold=True,
        size=SMALL_PT,
        align=center,
        after=0,
        first=True,
    )
    _para(right, _("Independence - Freedom - Happiness"), bold=True, underline=True, align=center)
    _para(
        right,
        date_line(place_name(briefing.ward_name), report_day(briefing), _),
        italic=True,
        align=center,
        before=4,
        after=0,
    )
    _widths(table, (6.3, 10.2))


def _title(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, _("REPORT"), bold=True, align=center, before=18, after=0)
    _para(
        doc,
        _(
            "On carrying out the index of service to citizens and businesses in the week {week}",
            week=week_text(briefing, _),
        ),
        bold=True,
        align=center,
        after=0,
    )
    _rule(doc, 6.25)
    _para(doc, after=6)


# --- sections -----------------------------------------------------------------------------------
def _points(value: Decimal, _: Translator) -> str:
    if value > 0:
        return _("up {points} points", points=_.number(value))
    if value < 0:
        return _("down {points} points", points=_.number(-value))
    return _("the same score")


def _places(before: int | None, now: int | None, _: Translator) -> str:
    if before is None or now is None:
        return ""
    moved = before - now
    if moved > 0:
        return _.plural("up {n} place", "up {n} places", moved)
    if moved < 0:
        return _.plural("down {n} place", "down {n} places", -moved)
    return _("same rank")


def _rank(score: ScoreLine, _: Translator) -> str:
    if score.rank is None:
        return ""
    if score.rank_of:
        return _("{rank}/{of}", rank=score.rank, of=score.rank_of)
    return str(score.rank)


def score_sentences(briefing: WeeklyBriefing, _: Translator) -> list[str]:
    """Section I as sentences (also the xlsx's summary reads the same record)."""
    score = briefing.score
    if score is None:
        return [_("No score figures are stored for {ward} yet.", ward=briefing.ward_name)]
    lines = [
        _(
            "According to the figures for {period} (as of {as_of}), {ward} has {total}/{max} "
            "points, rated {band}.",
            period=period_text(score, _),
            as_of=_.date(score.as_of),
            ward=briefing.ward_name,
            total=_.number(score.total),
            max=_.number(TOTAL_MAX),
            band=band_label(score, _),
        )
    ]
    if score.rank is not None:
        lines.append(
            _(
                "Rank among the communes of {province}: {rank}.",
                province=briefing.province or _("the province"),
                rank=_rank(score, _),
            )
        )
    if score.previous_total is not None:
        change = _points(score.total - score.previous_total, _)
        places = _places(score.previous_rank, score.rank, _)
        if places:
            change += ", " + places
        total = _.number(score.previous_total)
        if score.previous_year is not None and score.period_kind != "year":
            since = period_words(
                score.period_kind, score.previous_year, score.previous_period or 0, _
            )
            lines.append(
                _(
                    "Compared with {since} ({total} points): {change}.",
                    since=since,
                    total=total,
                    change=change,
                )
            )
        elif score.previous_as_of is not None:
            since = _.date(score.previous_as_of)
            lines.append(
                _(
                    "Compared with the figures as of {since} ({total} points): {change}.",
                    since=since,
                    total=total,
                    change=change,
                )
            )
        else:
            lines.append(
                _(
                    "Compared with the previous figures ({total} points): {change}.",
                    total=total,
                    change=change,
                )
            )
    if score.last_year_total is not None:
        change = _points(score.total - score.last_year_total, _)
        places = _places(score.last_year_rank, score.rank, _)
        if places:
            change += ", " + places
        lines.append(
            _(
                "Compared with the same period last year ({total} points): {change}.",
                total=_.number(score.last_year_total),
                change=change,
            )
        )
    year = briefing.year_score
    if year is not None:
        text = _(
            "Year-to-date {year} (as of {as_of}): {total}/{max} points, rated {band}.",
            year=year.year,
            as_of=_.date(year.as_of),
            total=_.number(year.total),
            max=_.number(TOTAL_MAX),
            band=band_label(year, _),
        )
        if year.rank is not None:
            text += " " + _("Rank: {rank}.", rank=_rank(year, _))
        lines.append(text)
    if briefing.neighbours_above:
        above = "; ".join(
            _(
                "{name} (rank {rank}, {total} points)",
                name=n.name,
                rank=n.rank,
                total=_.number(n.total),
            )
            if n.rank is not None
            else _("{name} ({total} points)", name=n.name, total=_.number(n.total))
            for n in briefing.neighbours_above
        )
        lines.append(_("Just above in the province: {list}.", list=above))
    return lines


def _score_section(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    for line in score_sentences(briefing, _):
        _body(doc, line)


def _groups_section(
    doc: Any, briefing: WeeklyBriefing, names: dict[str, str], _: Translator
) -> None:
    if not briefing.groups:
        _body(doc, _("No scores by group are stored yet."))
        return
    losing = [g for g in briefing.groups if g.gap > 0]
    if losing:
        gap = sum((g.gap for g in losing), Decimal(0))
        _body(
            doc,
            _.plural(
                "{n} group is below its maximum, {gap} points missing in all:",
                "{n} groups are below their maximum, {gap} points missing in all:",
                len(losing),
                gap=_.number(gap),
            ),
        )
    else:
        _body(doc, _("Every group is at its maximum."))
    rows = [
        (
            str(i),
            group_label(g.code, _),
            _.number(g.score),
            _.number(g.max_score),
            _.number(g.gap) if g.gap > 0 else "-",
            owner_name(g, names),
        )
        for i, g in enumerate(briefing.groups, 1)
    ]
    score, top = group_totals(briefing)
    total = ("", _("In all"), _.number(score), _.number(top), _.number(top - score), "")
    _grid(
        doc,
        (_("No."), _("Index group"), _("Points"), _("Max"), _("Missing"), _("Owner")),
        rows,
        (1.4, 4.9, 1.8, 1.7, 1.9, 4.8),
        frozenset({0, 2, 3, 4}),
        total,
    )


def _task_words(task: TaskLine, _: Translator) -> str:
    return _("task {number}: {text}", number=task.number, text=cut(task.text))


def _tasks_section(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    departments = briefing.departments
    if not any(tasks_of(d, c) for d in departments for c, _label in TASK_COLUMNS):
        _body(doc, _("No tasks to follow this week."))
        return
    rows = [
        (department_label(d, _), *(str(len(tasks_of(d, c))) for c, _label in TASK_COLUMNS))
        for d in departments
    ]
    total = (
        _("In all"),
        *(str(sum(len(tasks_of(d, c)) for d in departments)) for c, _label in TASK_COLUMNS),
    )
    _grid(
        doc,
        (_("Department"), *(_(label) for _c, label in TASK_COLUMNS)),
        rows,
        (5.3, 2.8, 2.8, 2.8, 2.8),
        frozenset({1, 2, 3, 4}),
        total,
    )
    overdue = [(d, t) for d in departments for t in d.overdue]
    if overdue:
        _body(doc, _("Overdue tasks:"))
        for d, t in sorted(overdue, key=lambda dt: -dt[1].overdue_days):
            late = _.plural("{n} working day late", "{n} working days late", t.overdue_days)
            due = _("due {date}", date=_.date(t.deadline)) + ", " if t.deadline else ""
            _item(
                doc,
                _(
                    "{department}, {task} ({due}{late}).",
                    department=department_label(d, _),
                    task=_task_words(t, _),
                    due=due,
                    late=late,
                ),
            )
    else:
        _body(doc, _("No task is overdue."))
    due_week = [(d, t) for d in departments for t in d.due_this_week]
    if due_week:
        _body(doc, _("Due this week:"))
        for d, t in sorted(due_week, key=lambda dt: (dt[1].deadline or date.max, dt[1].number)):
            when = (
                _("due {date}", date=_.date(t.deadline))
                if t.deadline
                else recurrence_text(t.recurrence, _) or ""
            )
            _item(
                doc,
                _(
                    "{department}, {task} ({due}).",
                    department=department_label(d, _),
                    task=_task_words(t, _),
                    due=when,
                ),
            )


def _missed_section(
    doc: Any, briefing: WeeklyBriefing, names: dict[str, str], _: Translator
) -> None:
    if not briefing.missed_reports:
        _body(doc, _("No periodic report was missed this week."))
        return
    for m in briefing.missed_reports:
        _item(
            doc,
            _(
                "{department}, {task} (for {date}).",
                department=department_name(m.department, names, _),
                task=_("task {number}: {text}", number=m.number, text=cut(m.text)),
                date=_.date(m.occurrence),
            ),
        )


def _outreach_section(doc: Any, briefing: WeeklyBriefing, _: Translator) -> None:
    sent = briefing.broadcasts
    if not sent:
        _body(doc, _("The community digital team sent no broadcast through the bot this week."))
        return
    _body(
        doc,
        _.plural(
            "This week the community digital team sent {n} broadcast, reaching {chats} chats "
            "in all:",
            "This week the community digital team sent {n} broadcasts, reaching {chats} chats "
            "in all:",
            len(sent),
            chats=sum(b.chats for b in sent),
        ),
    )
    for b in sent:
        text = _(
            "{date}: “{text}”, {chats} chats reached",
            date=_.date(_local_day(b.sent_at)),
            text=cut(b.text, 160),
            chats=b.chats,
        )
        if b.failed:
            text += _(", {failed} could not be reached", failed=b.failed)
        _item(doc, text + ".")


def _local_day(moment: datetime) -> date:
    """The day in the ward's zone (a naive time is taken as UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).date()


def _chart(doc: Any, png: bytes, _: Translator) -> None:
    doc.add_picture(io.BytesIO(png), width=Cm(15.5))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(
        doc,
        _("Chart: the scores of the last six months"),
        italic=True,
        size=SMALL_PT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )


def _closing(doc: Any, _: Translator) -> None:
    _para(doc, after=0)
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _para(
        left,
        _("Recipients:"),
        bold=True,
        italic=True,
        size=12,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        after=0,
        first=True,
    )
    for line in RECIPIENTS:
        _para(left, _(line), size=11, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(
        right,
        _("ON BEHALF OF THE PEOPLE'S COMMITTEE"),
        bold=True,
        align=center,
        after=0,
        first=True,
    )
    _para(right, _("CHAIRMAN"), bold=True, align=center, after=0)
    for _line in range(SIGNATURE_LINES):  # room for the signature and the seal
        _para(right, align=center, after=0)
    _widths(table, (8.0, 8.5))
    _keep_rows_whole(table)
