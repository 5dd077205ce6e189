"""Read score snapshots from an uploaded file: .txt/.md (a report's text), .csv or .xlsx.

The spreadsheet layout (one row per snapshot, a header row) is documented in
docs/SCORE_FILES.md. Headers are matched on folded text: the canonical names (as_of, period,
total, rank, rank_of, the group codes, `<code>_rank`), the portal's field names (CKMB, TDGQ,
TTTT, CLGQ, MDHL, MDSH, TONG_SCORE; mapped through index_groups.PORTAL_FIELDS, the one place
that guesses TTTT/CLGQ) and Vietnamese headers ("Tổng điểm", "Xếp hạng", "Ngày", group names).

Problems use the codes of ingest.score_text.PROBLEM_CODES (re-exported here). A file with more
snapshots than a ward could have (`max_rows`) is refused with its count ("too_many_rows")
before its rows are read; an .xlsx that unpacks to more than `max_unpacked` bytes is refused
before it is opened ("unpacked_too_large").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import openpyxl

from ingest.documents import MAX_UNPACKED_BYTES, decode_plain, unpacked_size
from ingest.index_groups import BY_CODE, GROUP_CODES, GROUPS, PORTAL_FIELDS
from ingest.score_text import (
    NAME_FILLERS,
    PROBLEM_CODES,
    PeriodKey,
    parse_period,
    read_score_text,
    validate,
)
from ingest.snapshot_draft import GroupScore, Problem, ScoreReadError, SnapshotDraft
from ingest.textnorm import fold

__all__ = ["PROBLEM_CODES", "decode_text", "read_score_file"]

TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".text")
CSV_EXTENSIONS = (".csv",)
XLSX_EXTENSIONS = (".xlsx", ".xlsm")

# Header spellings (compared after folding and turning punctuation and "_" into spaces).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "as_of": (
        "as of",
        "asof",
        "date",
        "ngay",
        "ngay so lieu",
        "so lieu ngay",
        "tinh den ngay",
        "ngay trich xuat",
        "ngay cap nhat",
        "ngay du lieu",
    ),
    "period": (
        "period",
        "ky",
        "ky so lieu",
        "ky bao cao",
        "ky danh gia",
        "thoi ky",
        "thoi gian",
        "giai doan",
        "thang",
    ),
    "total": (
        "total",
        "tong score",
        "tong",
        "tong diem",
        "tong so diem",
        "diem tong",
        "diem tong hop",
        "chi so tong hop",
        "diem",
    ),
    "rank": ("rank", "xep hang", "thu hang", "hang", "xep thu"),
    "rank_of": (
        "rank of",
        "tren",
        "tren tong so",
        "trong so",
        "tong so don vi",
        "so don vi",
        "so xa phuong",
        "xep hang tren",
    ),
}
RANK_SUFFIXES = ("rank", "xep hang", "hang", "thu hang")  # "<group> rank", "xếp hạng <group>"

_SCALARS = ("as_of", "period", "total", "rank", "rank_of")


MAX_ROWS = 5000  # snapshots in one file: more than a ward could ever have


def sheet_rows(
    name: str, data: bytes, max_rows: int, max_unpacked: int
) -> tuple[list[tuple[int, list[Cell]]], str, int] | Problem:
    """The numbered rows of a .csv or .xlsx file, its kind ("csv", "xlsx") and how many rows
    hold something; or why it cannot be read (unsupported, unreadable, unpacks too large).
    Shared by the score and the sub-criterion figure files."""
    ext = PurePath(name).suffix.lower()
    rows: list[tuple[int, list[Cell]]] | None
    if ext in CSV_EXTENSIONS:
        text = decode_text(data)
        rows = _csv_rows(text) if text is not None else None
        source = "csv"
    elif ext in XLSX_EXTENSIONS:
        size = unpacked_size(data)
        if size is None:
            return Problem("unreadable_file", {"name": name})
        if size > max_unpacked:
            return Problem("unpacked_too_large", {"name": name, "limit_mb": max_unpacked // 2**20})
        rows = _xlsx_rows(data, max_rows)
        source = "xlsx"
    else:
        return Problem("unsupported_file", {"name": name})
    if rows is None:
        return Problem("unreadable_file", {"name": name})
    return rows, source, sum(1 for _n, row in rows if any(_present(c) for c in row))


def read_score_file(
    name: str,
    data: bytes,
    *,
    today: date,
    max_rows: int = MAX_ROWS,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> list[SnapshotDraft]:
    """Snapshot drafts from an uploaded file; ScoreReadError with every problem found."""
    ext = PurePath(name).suffix.lower()
    if ext in TEXT_EXTENSIONS:
        text = decode_text(data)
        if text is None:
            raise ScoreReadError([Problem("unreadable_file", {"name": name})])
        drafts = read_score_text(text, today=today)
        _check_rows(len(drafts), max_rows)
        return drafts
    found = sheet_rows(name, data, max_rows, max_unpacked)
    if isinstance(found, Problem):
        raise ScoreReadError([found])
    rows, source, filled = found
    _check_rows(filled - 1, max_rows)  # the header row is not a snapshot
    drafts, problems = _read_table(rows, source=source, today=today)
    for draft in drafts:
        problems.extend(validate(draft, today=today))
    if not drafts and not problems:
        problems.append(Problem("no_scores_found"))
    if problems:
        raise ScoreReadError(problems)
    return drafts


def _check_rows(count: int, max_rows: int) -> None:
    if count > max_rows:
        raise ScoreReadError([Problem("too_many_rows", {"rows": count, "max": max_rows})])


# --- decoding --------------------------------------------------------------------------------


def decode_text(data: bytes) -> str | None:
    """Text of an uploaded file: UTF-16 with BOM, UTF-8 (with or without BOM), then the
    Windows Vietnamese code page (cp1258). None for bytes that are not text."""
    return decode_plain(data)


# --- rows ------------------------------------------------------------------------------------

Cell = Any  # str | int | float | datetime | date | None, as csv/openpyxl give them


def _csv_rows(text: str) -> list[tuple[int, list[Cell]]] | None:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(i, list(row)) for i, row in enumerate(reader, start=1)]
    except csv.Error:
        return None


def _xlsx_rows(data: bytes, max_rows: int = MAX_ROWS) -> list[tuple[int, list[Cell]]] | None:
    """Rows of the first sheet with a known header; a sheet far longer than max_rows keeps
    only its first rows' values and empty rows for the rest (enough to count them)."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # corrupt zip, not a workbook, bad XML: all mean unreadable
        return None
    try:
        sheets: list[list[tuple[int, list[Cell]]]] = []
        for ws in wb.worksheets:
            rows: list[tuple[int, list[Cell]]] = []
            keep = max_rows + 20  # the header may follow a few title rows
            filled = 0
            for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if any(_present(c) for c in row):
                    filled += 1
                    rows.append((i, list(row) if filled <= keep else ["x"]))
            sheets.append(rows)
    except Exception:
        return None
    finally:
        wb.close()
    for rows in sheets:  # the first sheet that has a header we know
        if _find_header(rows) is not None:
            return rows
    return sheets[0] if sheets else []


# --- header ----------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _strip_fillers(norm: str) -> str:
    for w in sorted(NAME_FILLERS, key=len, reverse=True):
        if norm.startswith(w + " "):
            return norm[len(w) + 1 :]
    return norm


def _group_of_header(norm: str) -> str | None:
    if not norm:
        return None
    code_form = norm.replace(" ", "_")
    if code_form in BY_CODE:
        return code_form
    upper = code_form.upper()
    if upper in PORTAL_FIELDS:
        return PORTAL_FIELDS[upper]
    for candidate in (norm, _strip_fillers(norm)):
        for g in GROUPS:
            if candidate in {_norm(a) for a in (g.name_vi, *g.aliases)}:
                return g.code
    return None


def _column_key(header: Cell) -> str | None:
    """The canonical key of a header cell: as_of, period, ..., a group code, <code>_rank."""
    if header is None:
        return None
    raw = re.sub(r"\([^)]*\)", " ", str(header))  # "Công khai (18 điểm)"
    norm = _norm(raw)
    if not norm:
        return None
    for key, names in COLUMN_NAMES.items():
        if norm in names:
            return key
    code = _group_of_header(norm)
    if code is not None:
        return code
    for suffix in RANK_SUFFIXES:
        if norm.endswith(" " + suffix):
            code = _group_of_header(norm[: -len(suffix) - 1].strip())
        elif norm.startswith(suffix + " "):
            code = _group_of_header(norm[len(suffix) + 1 :].strip())
        else:
            continue
        if code is not None:
            return f"{code}_rank"
    return None


@dataclass
class _Header:
    row_no: int
    columns: dict[str, int]  # key -> column index
    names: dict[str, str]  # key -> header as written


def _header_of(row_no: int, row: Sequence[Cell]) -> _Header:
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for idx, cell in enumerate(row):
        key = _column_key(cell)
        if key is not None and key not in columns:
            columns[key] = idx
            names[key] = str(cell).strip()
    return _Header(row_no, columns, names)


def _find_header(rows: Sequence[tuple[int, Sequence[Cell]]]) -> _Header | None:
    """The first of the first ten non-empty rows that names at least two known columns."""
    seen = 0
    for row_no, row in rows:
        if not any(_present(c) for c in row):
            continue
        header = _header_of(row_no, row)
        if len(header.columns) >= 2:
            return header
        seen += 1
        if seen >= 10:
            break
    return None


# columns of a table that carry no figure: a row number, notes, where the figures came from
NON_FIGURE_COLUMNS = frozenset(
    {"stt", "tt", "so tt", "no", "ghi chu", "note", "notes", "nguon", "source", "don vi"}
)


def _unknown_columns(rows: Sequence[tuple[int, Sequence[Cell]]], header: _Header) -> list[str]:
    """Header cells, as written, that name no column of the index (and no row number or note)."""
    row = next((r for n, r in rows if n == header.row_no), ())
    unknown = []
    for idx, cell in enumerate(row):
        if idx in header.columns.values() or not _present(cell) or _column_key(cell):
            continue
        norm = _norm(re.sub(r"\([^)]*\)", " ", str(cell)))
        if norm and norm not in NON_FIGURE_COLUMNS:
            unknown.append(str(cell).strip())
    return unknown


# --- values ----------------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _present(cell: Cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _decimal(cell: Cell) -> tuple[Decimal, Decimal | None]:
    """A score, and a max when written "x/y"."""
    if isinstance(cell, bool):
        raise _Bad
    if isinstance(cell, int):
        return Decimal(cell), None
    if isinstance(cell, float):
        if cell != cell or cell in (float("inf"), float("-inf")):
            raise _Bad
        return Decimal(repr(cell)), None
    text = str(cell).strip().replace(" ", "")
    m = re.fullmatch(r"(-?[0-9]+(?:[.,][0-9]+)?)(?:/([0-9]+(?:[.,][0-9]+)?))?", text)
    if m is None:
        raise _Bad
    value = Decimal(m[1].replace(",", "."))
    return value, Decimal(m[2].replace(",", ".")) if m[2] else None


def _int(cell: Cell) -> tuple[int, int | None]:
    """A rank, and a rank_of when written "x/y"."""
    if isinstance(cell, bool):
        raise _Bad
    if isinstance(cell, int):
        return cell, None
    if isinstance(cell, float):
        if cell != cell or not cell.is_integer():
            raise _Bad
        return int(cell), None
    text = str(cell).strip().replace(" ", "")
    m = re.fullmatch(r"([0-9]{1,5})(?:\.0+)?(?:/([0-9]{1,5}))?", text)
    if m is None:
        raise _Bad
    return int(m[1]), int(m[2]) if m[2] else None


def _date(cell: Cell) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell).strip()
    m = re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?:\s.*)?", text)
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T\s].*)?", text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise _Bad


def _period(cell: Cell) -> PeriodKey:
    if isinstance(cell, datetime | date):
        return ("month", cell.year, cell.month)  # Excel turns "11/2025" into a date
    if isinstance(cell, bool):
        raise _Bad
    if isinstance(cell, int) or (isinstance(cell, float) and cell.is_integer()):
        text = str(int(cell))
    elif isinstance(cell, float):
        text = repr(cell)  # 11.2025
    else:
        text = str(cell)
    key = parse_period(text)
    if key is None:
        raise _Bad
    return key


# --- table -> drafts -------------------------------------------------------------------------


def _read_table(
    rows: list[tuple[int, list[Cell]]], *, source: str, today: date
) -> tuple[list[SnapshotDraft], list[Problem]]:
    header = _find_header(rows)
    if header is None:
        first = next(((n, r) for n, r in rows if any(_present(c) for c in r)), None)
        if first is None:
            return [], []
        header = _header_of(*first)
    unknown = _unknown_columns(rows, header) if len(header.columns) >= 2 else []
    if unknown:  # a figure the index does not have is never silently dropped
        return [], [Problem("unknown_column", {"column": name}) for name in unknown]
    missing = [c for c in GROUP_CODES if c not in header.columns]
    if "period" not in header.columns and "as_of" not in header.columns:
        missing.insert(0, "period")
    if missing:
        return [], [Problem("missing_column", {"column": c}) for c in missing]

    drafts: list[SnapshotDraft] = []
    problems: list[Problem] = []
    for row_no, row in rows:
        if row_no <= header.row_no:
            continue
        cells = {k: row[i] if i < len(row) else None for k, i in header.columns.items()}
        if not any(_present(v) for v in cells.values()):
            continue
        draft, row_problems = _row_draft(row_no, cells, header, source)
        problems.extend(row_problems)
        if draft is not None:
            drafts.append(draft)
    return drafts, problems


def _row_draft(
    row_no: int, cells: dict[str, Cell], header: _Header, source: str
) -> tuple[SnapshotDraft | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(key: str) -> None:
        value = cells.get(key)
        problems.append(
            Problem(
                "bad_value",
                {
                    "row": row_no,
                    "column": header.names.get(key, key),
                    "value": "" if value is None else str(value).strip(),
                },
            )
        )

    as_of: date | None = None
    if _present(cells.get("as_of")):
        try:
            as_of = _date(cells["as_of"])
        except _Bad:
            bad("as_of")
    key: PeriodKey | None = None
    if _present(cells.get("period")):
        try:
            key = _period(cells["period"])
        except _Bad:
            bad("period")
    elif as_of is not None:
        key = ("month", as_of.year, as_of.month)
    elif not _present(cells.get("as_of")):
        bad("period" if "period" in header.columns else "as_of")

    groups: dict[str, GroupScore] = {}
    for code in GROUP_CODES:
        cell = cells.get(code)
        if not _present(cell):
            continue
        try:
            score, max_score = _decimal(cell)
        except _Bad:
            bad(code)
            continue
        groups[code] = GroupScore(code, score, max_score or BY_CODE[code].max_score)
        rank_cell = cells.get(f"{code}_rank")
        if _present(rank_cell):
            try:
                groups[code].rank = _int(rank_cell)[0]
            except _Bad:
                bad(f"{code}_rank")

    total: Decimal | None = None
    if _present(cells.get("total")):
        try:
            total = _decimal(cells["total"])[0]
        except _Bad:
            bad("total")
    rank = rank_of = None
    if _present(cells.get("rank")):
        try:
            rank, rank_of = _int(cells["rank"])
        except _Bad:
            bad("rank")
    if _present(cells.get("rank_of")):
        try:
            rank_of = _int(cells["rank_of"])[0]
        except _Bad:
            bad("rank_of")

    if problems or key is None:
        return None, problems
    if total is None and len(groups) == len(GROUP_CODES):
        total = sum((g.score for g in groups.values()), Decimal("0"))
    kind, year, period = key
    draft = SnapshotDraft(
        period_kind=kind,
        year=year,
        period=period,
        as_of=as_of,
        total=total,
        rank=rank,
        rank_of=rank_of,
        groups=groups,
        source=source,
    )
    return draft, []
