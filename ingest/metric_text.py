"""Read sub-criterion figures (numerator / denominator) from pasted text or a CSV/XLSX file.

Pasted text, one figure a line, as wards write them:

    Số liệu tháng 11/2025 (tính đến ngày 15/11/2025)
    Hồ sơ nộp trực tuyến: 412/1.030
    Số hóa - kết quả điện tử 350 / 400 hồ sơ

A line names a sub-criterion of the criteria table (any of its names or aliases, any
diacritics) and gives "n/d" ("412/1.030", "412 trên 1.030"; dots or commas group thousands).
A line with no sub-criterion may give the period ("Tháng 11/2025", "Lũy kế năm 2025", read by
`ingest.score_text.parse_period`) or the date of the figures ("tính đến ngày 15/11/2025");
figures belong to the period named last before them. Anything else (headings, prose) is
skipped, except a line that gives "n/d" under a name the table does not know: that one is a
problem, so no figure is silently dropped.

A file has one figure a row: a column naming the sub-criterion (its code or name), the
numerator and the denominator, and optionally the period and the date (docs: `chiso import
metrics`). The CSV/XLSX readers of `ingest.score_files` are reused.

Nothing here talks to a chat or the database; problems carry a code and plain params.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from ingest.criteria import CriteriaTable, Criterion, norm
from ingest.documents import MAX_UNPACKED_BYTES
from ingest.score_files import (
    COLUMN_NAMES,
    MAX_ROWS,
    NON_FIGURE_COLUMNS,
    TEXT_EXTENSIONS,
    Cell,
    _Bad,
    _date,
    _period,
    _present,
    decode_text,
    sheet_rows,
)
from ingest.score_text import (
    FIRST_YEAR,
    RUNNING_TOTAL_WORDS,
    PeriodKey,
    match_group,
    parse_period,
)
from ingest.snapshot_draft import PeriodKind, Problem
from ingest.textnorm import fold

PROBLEM_CODES: dict[str, str] = {
    "no_figures_found": "no params: no line names a sub-criterion with n/d",
    "unknown_criterion": "line, name (as written): n/d under a name the table does not know",
    "ambiguous_criterion": "line, name, options (comma-joined codes)",
    "bad_figure": "line, name (code), value (as written): not a whole number, or no n/d",
    "negative_figure": "line, name (code), value",
    "numerator_above_denominator": "line, name (code), numerator, denominator",
    "duplicate_figure": "line, name (code), other_line: given twice with other counts",
    "period_out_of_range": "period (label), first, last",
    "date_out_of_range": "date (dd/mm/yyyy), first, last: the figures' date",
    # files: the codes of ingest.score_text.PROBLEM_CODES (unsupported_file, unreadable_file,
    # missing_column, unknown_column, bad_value, too_many_rows, unpacked_too_large)
}

# "412/1.030", "412 / 1 030" is not read (a space never groups digits here), "412 trên 1.030"
_NUM = r"-?[0-9]+(?:[.,][0-9]+)*"
_FRACTION_RE = re.compile(
    r"(?<![0-9.,/-])(" + _NUM + r")\s*(?:/|\btren\b|\bof\b)\s*(" + _NUM + r")(?![0-9/])",
)
_DATE_RE = re.compile(r"(?<![0-9/])([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?![0-9])")
_ISO_DATE_RE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
_MONTH_YEAR_WORDS_RE = re.compile(r"\b([0-9]{1,2})\s+nam\s+([0-9]{4})\b")
_BULLET_RE = re.compile(r"^\s*(?:[-+*•·●▪–—]+|\(?[0-9]{1,2}[.)]|\(?[a-zđ][.)])\s+", re.I)
_DIGIT_RE = re.compile(r"[0-9]")
MAX_LINE_WORDS = 40  # a line longer than this is prose, never a figure or a period


@dataclass
class FigureDraft:
    code: str  # the sub-criterion's code
    group: str  # its index group
    numerator: Decimal
    denominator: Decimal
    line: int = 0  # 1-based line (text) or row (file)
    written: str = ""  # the name as written


@dataclass
class MetricDraft:
    """The figures of one period as of one date. period_kind None: the text names none (the
    caller chooses, and says so); as_of None: not given."""

    period_kind: PeriodKind | None
    year: int | None
    period: int | None
    as_of: date | None
    figures: list[FigureDraft] = field(default_factory=list)
    source: str = "text"  # text | csv | xlsx


class MetricReadError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems


def key_label(kind: str, year: int, period: int | None) -> str:
    """ "11/2025", "Q4/2025", "H1/2025" or "2025" (as score problems name periods)."""
    if kind == "month":
        return f"{period}/{year}"
    if kind == "quarter":
        return f"Q{period}/{year}"
    if kind == "half":
        return f"H{period}/{year}"
    return str(year)


# =============================================================================================
# Numbers
# =============================================================================================


def parse_count(text: str) -> Decimal | None:
    """A whole count as wards write it: "1030", "1.030", "1,030", "1.030.500", "-5"; None
    when it is not a whole number ("12,5", "1.5")."""
    raw = text.strip()
    sign = -1 if raw.startswith("-") else 1
    digits = raw.lstrip("-")
    if digits.isdigit():
        return Decimal(sign * int(digits))
    if _THOUSANDS_RE.fullmatch(digits):
        return Decimal(sign * int(re.sub(r"[.,]", "", digits)))
    return None


# =============================================================================================
# Pasted text
# =============================================================================================


def _line_dates(folded: str) -> tuple[str, date | None]:
    """The line with its dates blanked, and the first valid one."""
    found: date | None = None

    def take(m: re.Match[str], y: int, mo: int, d: int) -> str:
        nonlocal found
        try:
            value = date(y, mo, d)
        except ValueError:
            value = None
        if found is None and value is not None:
            found = value
        return " " * len(m.group(0))

    folded = _DATE_RE.sub(lambda m: take(m, int(m[3]), int(m[2]), int(m[1])), folded)
    folded = _ISO_DATE_RE.sub(lambda m: take(m, int(m[1]), int(m[2]), int(m[3])), folded)
    return folded, found


def line_period(folded: str) -> PeriodKey | None:
    """The period a line names ("số liệu tháng 11/2025", "lũy kế năm 2025", "quý IV/2025"),
    or None. Dates are blanked before (they are not periods)."""
    text = _MONTH_YEAR_WORDS_RE.sub(r"\1/\2", folded)  # "tháng 11 năm 2025"
    words = text.replace(":", " ").replace("(", " ").replace(")", " ").split()
    if not words or len(words) > MAX_LINE_WORDS:
        return None
    padded = " " + " ".join(words) + " "
    if any(f" {w} " in padded for w in RUNNING_TOTAL_WORDS):
        years = re.findall(r"(?<![0-9])(20[0-9]{2})(?![0-9])", text)
        if years:
            return ("year", int(years[0]), None)
    for i in range(len(words)):
        for j in range(len(words), i, -1):
            key = parse_period(" ".join(words[i:j]))
            if key is not None:
                return key
    return None


def _strip_bullet(line: str) -> str:
    return _BULLET_RE.sub("", line, count=1)


def _figure_fractions(folded: str) -> list[re.Match[str]]:
    """The n/d of a line (dates blanked), without a month or quarter written as "11/2025"
    right after "tháng", "quý" or "T"."""
    found = []
    for m in _FRACTION_RE.finditer(folded):
        before = folded[max(0, m.start() - 6) : m.start()].rstrip()
        if re.search(r"(?:\bthang|\bquy|\bky|\bt)$", before):
            continue
        found.append(m)
    return found


@dataclass
class _Section:
    key: PeriodKey | None
    as_of: date | None
    figures: list[FigureDraft] = field(default_factory=list)


def read_metric_text(text: str, table: CriteriaTable, *, today: date) -> list[MetricDraft]:
    """The figures in pasted text, one draft per period; MetricReadError with every problem
    (only "no_figures_found" when no line names a sub-criterion: not meant as figures)."""
    sections: list[_Section] = [_Section(None, None)]
    problems: list[Problem] = []
    unknown: list[Problem] = []
    known_lines = 0
    as_of: date | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_bullet(raw).strip()
        if not line or not _DIGIT_RE.search(line):
            continue
        folded, day = _line_dates(fold(line))
        if len(folded.split()) > MAX_LINE_WORDS:
            continue
        fractions = _figure_fractions(folded)
        name_part = folded[: fractions[0].start()] if fractions else folded
        name_part = _FRACTION_RE.sub(" ", name_part)
        options = table.candidates(name_part) if norm(name_part) else ()
        if not options:
            key = line_period(folded)
            if key is None and fractions and re.search(r"[a-z]", name_part):
                if match_group(name_part) is None:  # a group's score is not a figure
                    name = _written_name(line)
                    unknown.append(Problem("unknown_criterion", {"line": number, "name": name}))
                continue
            if day is not None:
                as_of = day
            if key is not None:
                current = sections[-1]
                if current.key is None and not current.figures:
                    current.key = key
                    current.as_of = as_of
                else:
                    sections.append(_Section(key, as_of))
            elif day is not None and sections[-1].as_of is None:
                sections[-1].as_of = day
            continue
        known_lines += 1
        written = _written_name(line)
        if len(options) > 1:
            problems.append(
                Problem(
                    "ambiguous_criterion",
                    {
                        "line": number,
                        "name": written,
                        "options": ",".join(c.code for c in options),
                    },
                )
            )
            continue
        criterion = options[0]
        if len(fractions) != 1:
            first_digit = _DIGIT_RE.search(line)
            value = line[first_digit.start() :] if first_digit else line
            problems.append(
                Problem("bad_figure", {"line": number, "name": criterion.code, "value": value})
            )
            continue
        m = fractions[0]
        figure = _figure(number, criterion.code, m.group(1), m.group(2), problems)
        if figure is None:
            continue
        sections[-1].figures.append(
            FigureDraft(
                criterion.code,
                criterion.group,
                figure[0],
                figure[1],
                number,
                written,
            )
        )
    if known_lines == 0:
        raise MetricReadError([Problem("no_figures_found")])
    problems = sorted(unknown + problems, key=lambda p: int(p.params.get("line", 0)))
    drafts = _drafts(sections, "text", problems, today)
    if problems:
        raise MetricReadError(problems)
    return drafts


def figure_share(text: str, table: CriteriaTable) -> tuple[int, int, int]:
    """(lines giving a known sub-criterion's n/d, other lines shaped "name n/d", lines that
    say something else); period lines, date lines and blank lines count for none. A text of
    figures has few of the third."""
    known = shaped = other = 0
    for raw in text.splitlines():
        line = _strip_bullet(raw).strip()
        if not line:
            continue
        folded, day = _line_dates(fold(line))
        if line_period(folded) is not None or (day is not None and not _DIGIT_RE.search(folded)):
            continue
        fractions = _figure_fractions(folded)
        name_part = _FRACTION_RE.sub(" ", folded[: fractions[0].start()] if fractions else folded)
        if fractions and norm(name_part) and table.candidates(name_part):
            known += 1
        elif fractions and re.search(r"[a-z]", name_part):
            shaped += 1
        else:
            other += 1
    return known, shaped, other


def _written_name(line: str) -> str:
    """The name part of a line as written: up to its first digit, without separators."""
    m = _DIGIT_RE.search(line)
    head = line[: m.start()] if m else line
    return head.strip(" :=-–—\t(")


def _figure(
    number: int, code: str, num_text: str, den_text: str, problems: list[Problem]
) -> tuple[Decimal, Decimal] | None:
    numerator, denominator = parse_count(num_text), parse_count(den_text)
    for value, written in ((numerator, num_text), (denominator, den_text)):
        if value is None:
            problems.append(Problem("bad_figure", {"line": number, "name": code, "value": written}))
            return None
    assert numerator is not None and denominator is not None
    for value, written in ((numerator, num_text), (denominator, den_text)):
        if value < 0:
            problems.append(
                Problem("negative_figure", {"line": number, "name": code, "value": written})
            )
            return None
    if numerator > denominator:
        problems.append(
            Problem(
                "numerator_above_denominator",
                {
                    "line": number,
                    "name": code,
                    "numerator": str(numerator),
                    "denominator": str(denominator),
                },
            )
        )
        return None
    return numerator, denominator


def _drafts(
    sections: Sequence[_Section], source: str, problems: list[Problem], today: date
) -> list[MetricDraft]:
    """One draft per period key and date (figures of a key named twice are merged); a
    sub-criterion given twice in one period with other counts is a problem."""
    merged: dict[tuple[PeriodKey | None, date | None], MetricDraft] = {}
    seen: dict[tuple[PeriodKey | None, date | None, str], FigureDraft] = {}
    last = today.year + 1
    for sec in sections:
        if not sec.figures:
            continue
        if sec.key is not None and not FIRST_YEAR <= sec.key[1] <= last:
            problems.append(
                Problem(
                    "period_out_of_range",
                    {"period": key_label(*sec.key), "first": FIRST_YEAR, "last": last},
                )
            )
            continue
        if sec.as_of is not None and not FIRST_YEAR <= sec.as_of.year <= last:
            problems.append(
                Problem(
                    "date_out_of_range",
                    {"date": sec.as_of.strftime("%d/%m/%Y"), "first": FIRST_YEAR, "last": last},
                )
            )
            continue
        draft = merged.get((sec.key, sec.as_of))
        if draft is None:
            kind, year, period = sec.key if sec.key is not None else (None, None, None)
            draft = MetricDraft(kind, year, period, sec.as_of, source=source)
            merged[(sec.key, sec.as_of)] = draft
        for f in sec.figures:
            first = seen.get((sec.key, sec.as_of, f.code))
            if first is None:
                seen[(sec.key, sec.as_of, f.code)] = f
                draft.figures.append(f)
            elif (first.numerator, first.denominator) != (f.numerator, f.denominator):
                problems.append(
                    Problem(
                        "duplicate_figure",
                        {"line": f.line, "name": f.code, "other_line": first.line},
                    )
                )
    return list(merged.values())


# =============================================================================================
# Files
# =============================================================================================

# Header spellings, folded, punctuation and "_" as spaces (besides score_files' period, as_of).
METRIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "criterion": (
        "code",
        "ma",
        "ma tieu chi",
        "ma chi tieu",
        "name",
        "ten",
        "ten tieu chi",
        "ten chi tieu",
        "tieu chi",
        "tieu chi thanh phan",
        "chi tieu",
        "chi tieu thanh phan",
        "noi dung",
        "criterion",
        "metric",
    ),
    "numerator": ("numerator", "tu so", "tu", "so dat", "dat", "so luong dat", "so da thuc hien"),
    "denominator": ("denominator", "mau so", "mau", "tong so", "so phai thuc hien"),
    "period": COLUMN_NAMES["period"],
    "as_of": COLUMN_NAMES["as_of"],
    "group": ("group", "nhom", "nhom chi so", "nhom chi tieu", "linh vuc"),
}
# columns a portal export carries that are worked out here, not read: ratio, score, maximum
DERIVED_COLUMNS = frozenset(
    {"ratio", "ty le", "score", "diem", "diem dat", "max score", "maxscore", "diem toi da", "max"}
)


def _header_key(cell: Cell) -> str | None:
    if not _present(cell):
        return None
    text = norm(re.sub(r"\([^)]*\)", " ", str(cell)).replace("_", " "))
    for key, names in METRIC_COLUMNS.items():
        if text in names:
            return key
    return None


def _find_header(
    rows: Sequence[tuple[int, Sequence[Cell]]],
) -> tuple[int, dict[str, int], list[str]] | None:
    """(row number, key -> column, unknown headers) of the first of the first ten non-empty
    rows that names the criterion, numerator and denominator columns."""
    seen = 0
    for row_no, row in rows:
        if not any(_present(c) for c in row):
            continue
        columns: dict[str, int] = {}
        unknown: list[str] = []
        for i, cell in enumerate(row):
            key = _header_key(cell)
            if key == "criterion" and key in columns:
                key = "criterion_name"  # a code and a name column: both name it
            if key is not None and key not in columns:
                columns[key] = i
            elif _present(cell):
                text = norm(re.sub(r"\([^)]*\)", " ", str(cell)).replace("_", " "))
                if text and text not in NON_FIGURE_COLUMNS and text not in DERIVED_COLUMNS:
                    unknown.append(str(cell).strip())
        if {"criterion", "numerator", "denominator"} <= set(columns):
            return row_no, columns, unknown
        seen += 1
        if seen >= 10:
            break
    return None


def _count_cell(cell: Cell) -> Decimal | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(int(cell)) if cell.is_integer() else None
    return parse_count(str(cell))


def read_metric_file(
    name: str,
    data: bytes,
    table: CriteriaTable,
    *,
    today: date,
    max_rows: int = MAX_ROWS,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> list[MetricDraft]:
    """Figures from a .txt/.md (as pasted text), .csv or .xlsx; MetricReadError otherwise."""
    ext = PurePath(name).suffix.lower()
    if ext in TEXT_EXTENSIONS:
        text = decode_text(data)
        if text is None:
            raise MetricReadError([Problem("unreadable_file", {"name": name})])
        return read_metric_text(text, table, today=today)
    found = sheet_rows(name, data, max_rows, max_unpacked)
    if isinstance(found, Problem):
        raise MetricReadError([found])
    rows, source, filled = found
    if filled - 1 > max_rows:
        raise MetricReadError([Problem("too_many_rows", {"rows": filled - 1, "max": max_rows})])
    return _read_table(rows, table, source, today)


def _read_table(
    rows: list[tuple[int, list[Cell]]], table: CriteriaTable, source: str, today: date
) -> list[MetricDraft]:
    header = _find_header(rows)
    if header is None:
        raise MetricReadError(
            [
                Problem("missing_column", {"column": column})
                for column in ("criterion", "numerator", "denominator")
            ]
        )
    header_row, columns, unknown = header
    if unknown:
        raise MetricReadError([Problem("unknown_column", {"column": c}) for c in unknown])
    names = {key: str(rows_cell(rows, header_row, i)).strip() for key, i in columns.items()}
    problems: list[Problem] = []
    sections: dict[tuple[PeriodKey | None, date | None], _Section] = {}
    for row_no, row in rows:
        if row_no <= header_row:
            continue
        cells = {k: row[i] if i < len(row) else None for k, i in columns.items()}
        if not any(_present(v) for v in cells.values()):
            continue

        def bad(key: str, row_no: int = row_no, cells: dict[str, Any] = cells) -> None:
            value = cells.get(key)
            problems.append(
                Problem(
                    "bad_value",
                    {
                        "row": row_no,
                        "column": names.get(key, key),
                        "value": "" if value is None else str(value).strip(),
                    },
                )
            )

        key: PeriodKey | None = None
        as_of: date | None = None
        try:
            if _present(cells.get("period")):
                key = _period(cells["period"])
        except _Bad:
            bad("period")
            continue
        try:
            if _present(cells.get("as_of")):
                as_of = _date(cells["as_of"])
        except _Bad:
            bad("as_of")
            continue
        if key is None and as_of is not None and "period" not in columns:
            key = ("month", as_of.year, as_of.month)
        written = str(cells.get("criterion") or "").strip()
        options: tuple[Criterion, ...] = ()
        for column in ("criterion", "criterion_name"):
            cell = str(cells.get(column) or "").strip()
            exact = table.by_code(cell)
            options = (exact,) if exact is not None else table.candidates(cell) if cell else ()
            if options:
                written = cell
                break
        if not options:
            problems.append(Problem("unknown_criterion", {"line": row_no, "name": written}))
            continue
        if len(options) > 1:
            problems.append(
                Problem(
                    "ambiguous_criterion",
                    {"line": row_no, "name": written, "options": ",".join(c.code for c in options)},
                )
            )
            continue
        criterion = options[0]
        numerator = _count_cell(cells.get("numerator"))
        denominator = _count_cell(cells.get("denominator"))
        if numerator is None:
            bad("numerator")
            continue
        if denominator is None:
            bad("denominator")
            continue
        figure = _figure(row_no, criterion.code, str(numerator), str(denominator), problems)
        if figure is None:
            continue
        sec = sections.setdefault((key, as_of), _Section(key, as_of))
        sec.figures.append(
            FigureDraft(criterion.code, criterion.group, figure[0], figure[1], row_no, written)
        )
    drafts = _drafts(list(sections.values()), source, problems, today)
    if not drafts and not problems:
        problems.append(Problem("no_figures_found"))
    if problems:
        raise MetricReadError(problems)
    return drafts


def rows_cell(rows: Sequence[tuple[int, Sequence[Cell]]], row_no: int, index: int) -> Cell:
    row = next((r for n, r in rows if n == row_no), ())
    return row[index] if index < len(row) else ""


# =============================================================================================
# Worker job and JSON form
# =============================================================================================


def read_metrics_job(
    name: str | None,
    payload: bytes | str,
    table: CriteriaTable,
    today: date,
    max_rows: int,
    max_unpacked: int,
) -> tuple[list[MetricDraft] | None, list[Problem] | None]:
    """For a worker process (handlers.reading.ReadingPool.run): a file (name given) or pasted
    text; (drafts, None) or (None, problems), never raising a reader's error."""
    try:
        if name is None:
            assert isinstance(payload, str)
            return read_metric_text(payload, table, today=today), None
        assert isinstance(payload, bytes)
        drafts = read_metric_file(
            name, payload, table, today=today, max_rows=max_rows, max_unpacked=max_unpacked
        )
        return drafts, None
    except MetricReadError as exc:
        return None, exc.problems


def draft_to_dict(d: MetricDraft) -> dict[str, Any]:
    return {
        "period_kind": d.period_kind,
        "year": d.year,
        "period": d.period,
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "source": d.source,
        "figures": [
            [f.code, f.group, str(f.numerator), str(f.denominator), f.line, f.written]
            for f in d.figures
        ],
    }


def draft_from_dict(data: dict[str, Any]) -> MetricDraft:
    as_of = data.get("as_of")
    return MetricDraft(
        period_kind=data.get("period_kind"),
        year=data.get("year"),
        period=data.get("period"),
        as_of=date.fromisoformat(as_of) if isinstance(as_of, str) else None,
        source=str(data.get("source") or "text"),
        figures=[
            FigureDraft(code, group, Decimal(n), Decimal(d), int(line), str(written))
            for code, group, n, d, line, written in data.get("figures", [])
        ],
    )
