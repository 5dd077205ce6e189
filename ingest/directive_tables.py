"""Task tables: "STT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời hạn" and the like.

A row is a line whose cells are separated by " | " (documents.extract_text writes Word tables
so; `clean_lines` turns tabs and markdown tables into the same form). A table starts at a header
row whose cells name a task column and a lead, support or deadline column; it runs over the data
rows and the group rows between them ("I. NÂNG CAO NHẬN THỨC ..." in a single cell or on a line
of its own), and ends at the first line that is neither. This module only reads cells; turning
them into units and deadlines is the body reader's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.directive_header import Line
from ingest.textnorm import fold

# =============================================================================================
# Vocabulary (folded). Roles are tried in this order: "Thời gian thực hiện" is a deadline
# column before it is a lead ("thực hiện"); "Đơn vị phối hợp" is support before lead.
# =============================================================================================

COLUMN_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("index", ("stt", "tt", "so tt", "so thu tu", "thu tu")),
    ("note", ("ghi chu", "san pham", "ket qua dau ra", "kinh phi", "nguon kinh phi", "du toan")),
    ("deadline", ("thoi han", "thoi gian", "tien do", "han hoan thanh", "moc thoi gian", "han")),
    ("support", ("phoi hop",)),
    (
        "lead",
        (
            "chu tri",
            "thuc hien",
            "phu trach",
            "trach nhiem",
            "don vi",
            "co quan",
            "bo phan",
            "nguoi thuc hien",
            "duoc giao",
        ),
    ),
    ("task", ("noi dung", "nhiem vu", "cong viec", "giai phap", "hoat dong", "van de", "ten")),
)
EXACT_ONLY = ("index",)  # "TT" must be the whole cell
MAX_GROUP_LINE = 200  # a longer line without cells ends the table

# =============================================================================================


@dataclass(frozen=True)
class TableRow:
    index: int  # index into the lines
    line_no: int
    task: str
    lead: str | None
    support: str | None
    deadline: str | None
    group: str | None


@dataclass
class Table:
    columns: dict[str, int]
    rows: list[TableRow] = field(default_factory=list)
    end: int = 0  # index of the first line after the table


def split_row(text: str) -> list[str] | None:
    """Cells of a table row, or None when the line is not one."""
    if " | " not in text and text.count("|") < 2:
        return None
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.split(r"\s*\|\s*", text)]
    return cells if len(cells) >= 2 else None


def _role(cell: str) -> str | None:
    f = re.sub(r"[^a-z0-9 ]+", " ", fold(cell))
    f = re.sub(r"\s+", " ", f).strip()
    if not f:
        return None
    for role, words in COLUMN_ROLES:
        for w in words:
            if role in EXACT_ONLY:
                if f == w:
                    return role
            elif re.search(rf"(?<![a-z0-9]){w}(?![a-z0-9])", f):
                return role
    return None


def header_columns(cells: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for i, cell in enumerate(cells):
        role = _role(cell)
        if role and role not in columns and len(cell) <= 60:
            columns[role] = i
    if "task" not in columns or not {"lead", "support", "deadline"} & set(columns):
        return None
    return columns


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[0-9IVXivx]{1,5}[.)]?|[a-zđ][.)]", cell.strip()))


def read_table(lines: list[Line], i: int) -> Table | None:
    """The table whose header row is lines[i], or None when lines[i] is not a header row."""
    cells = split_row(lines[i].text)
    if cells is None:
        return None
    columns = header_columns(cells)
    if columns is None:
        return None
    width = len(cells)
    table = Table(columns)
    group: str | None = None
    j = i + 1
    while j < len(lines):
        text = lines[j].text
        if not text:
            j += 1
            continue
        row = split_row(text)
        if row is None:
            if len(text) > MAX_GROUP_LINE or j + 1 >= len(lines):
                break
            nxt = _next_text(lines, j + 1)
            if nxt is None or split_row(nxt) is None:
                break
            group = text  # a group heading between rows
            j += 1
            continue
        if header_columns(row) is not None and [fold(c) for c in row] == [fold(c) for c in cells]:
            j += 1  # the header repeated on a new page
            continue
        row = _fit(row, width, columns)
        if row is None:
            j += 1
            continue
        filled = [c for c in row if c]
        if len(filled) == 1 and not _is_number(filled[0]):
            group = filled[0]
            j += 1
            continue
        task = row[columns["task"]]
        if not task or re.fullmatch(r"\(?\d+\)?", task):
            j += 1  # the column numbers under a header: (1) | (2) | (3)
            continue
        table.rows.append(
            TableRow(
                j,
                lines[j].no,
                task,
                _cell(row, columns, "lead"),
                _cell(row, columns, "support"),
                _cell(row, columns, "deadline"),
                group,
            )
        )
        j += 1
    table.end = j
    return table


def _next_text(lines: list[Line], j: int) -> str | None:
    while j < len(lines):
        if lines[j].text:
            return lines[j].text
        j += 1
    return None


def _fit(row: list[str], width: int, columns: dict[str, int]) -> list[str] | None:
    if len(row) == width:
        return row
    if len(row) == width - 1 and "index" in columns and columns["index"] == 0:
        return ["", *row]  # no number in this row
    if len(row) > width:
        # a "|" inside the task's text: give the extra cells to the task column
        extra = len(row) - width
        t = columns["task"]
        return [*row[:t], " | ".join(row[t : t + extra + 1]), *row[t + extra + 1 :]]
    filled = [c for c in row if c]
    if len(filled) == 1:
        return [filled[0]] + [""] * (width - 1)
    return None


def _cell(row: list[str], columns: dict[str, int], role: str) -> str | None:
    if role not in columns:
        return None
    return row[columns[role]] or None
