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
# Columns of a table of figures (a score table, a list of counts): a header with one of them is
# never a task table, whatever else it names ("Kết quả thực hiện" is not a lead column there).
FIGURE_COLUMNS = ("diem", "toi da", "xep hang", "thu hang", "ty le")
# Words that hold "điểm" without being a score ("Địa điểm", "Thời điểm").
NOT_FIGURE_WORDS = ("dia diem", "thoi diem", "diem moi", "diem nghen")
# Words of a column heading, for a table whose cells a PDF put one on a line ("STT Tiêu chí",
# "Điểm tối đa", "Kết quả thực hiện", "Xếp hạng trên 114 xã, phường").
HEADING_WORDS = (
    *FIGURE_COLUMNS,
    "stt",
    "tt",
    "noi dung",
    "nhom",
    "ghi chu",
    "thang",
    "quy",
    "so luong",
    "so ho so",
    "don vi tinh",
    "tang giam",
    "so sanh",
    "luy ke",
    "chi tieu",
    "tieu chi",
    "chi so",
    "ket qua",
)
MAX_HEADING_CELL_WORDS = 8
MAX_FIGURE_NAME_WORDS = 12
# a name of 12 words and eight figures fit well within this
MAX_FIGURE_ROW_CHARS = 400
MAX_HEADING_LINES = 8

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


def _words_in(text: str, words: tuple[str, ...]) -> bool:
    f = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", fold(text))).strip()
    for w in NOT_FIGURE_WORDS:
        f = f.replace(w, " ")
    return any(re.search(rf"(?<![a-z0-9]){w}(?![a-z0-9])", f) for w in words)


def header_columns(cells: list[str]) -> dict[str, int] | None:
    if any(_words_in(c, FIGURE_COLUMNS) and len(c) <= 60 for c in cells):
        return None  # a table of figures
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


# --- tables that hold figures, not tasks ------------------------------------------------------

_FIGURE = r"(?:\d{1,4}(?:[.,]\d{1,3})*%?(?:\s*/\s*\d{1,4})?|-|–|x)"
_FIGURE_ROW = re.compile(
    rf"^(?:(?:\d{{1,2}}|[IVX]{{1,4}}|[a-zđ])[.)]?\s+)?(?P<name>[^\d|]*?[^\W\d][^\d|]*?)"
    rf"(?:\s+{_FIGURE}){{2,8}}\s*$"
)


def is_figure_row(text: str) -> bool:
    """A table row of figures written without cells: "2 Tiến độ giải quyết 20 12,53 96"."""
    if len(text) > MAX_FIGURE_ROW_CHARS:  # longer than any such row (and slow to match)
        return False
    m = _FIGURE_ROW.match(text.strip())
    if m is None:
        return False
    name = m["name"].strip()
    return 0 < len(name.split()) <= MAX_FIGURE_NAME_WORDS and not re.search(r"[.;:!?]$", name)


def is_heading_cell(text: str) -> bool:
    """A short line that is a column heading of a table of figures ("Điểm tối đa")."""
    t = text.strip()
    if not t or split_row(t) is not None or re.search(r"[.;:!?]$", t):
        return False
    if len(t.split()) > MAX_HEADING_CELL_WORDS:
        return False
    return _words_in(t, HEADING_WORDS)


def _is_figure_cells(cells: list[str]) -> bool:
    """A row most of whose filled cells (after the first two) are figures."""
    filled = [c for c in cells if c]
    figures = [c for c in filled if re.fullmatch(_FIGURE, c)]
    return len(figures) >= 2 and len(figures) * 2 >= len(filled) - 1


def _is_heading_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return (
        len(filled) >= 2
        and all(len(c.split()) <= MAX_HEADING_CELL_WORDS for c in filled)
        and not any(re.fullmatch(_FIGURE, c) for c in filled)
        and not re.search(r"[.;]$", filled[-1])
    )


def figures_block(texts: list[str], i: int) -> int | None:
    """End (exclusive) of a table of figures that starts at texts[i], or None.

    With cells (" | "): a run of rows whose first row is a header that is not a task table's
    (header_columns), or whose rows are mostly figures. Without cells (a PDF's text): column
    headings on lines of their own, then rows of figures; lines between rows that are short and
    unfinished (a name cut by the cell's width) belong to the table. Blank lines are skipped.
    """
    n = len(texts)
    if split_row(texts[i]) is not None:
        j = i
        rows: list[list[str]] = []
        while j < n and (not texts[j] or split_row(texts[j]) is not None):
            cells = split_row(texts[j]) if texts[j] else None
            if cells is not None:
                rows.append(cells)
            j += 1
        while j > i and not texts[j - 1]:
            j -= 1
        first = rows[0]
        if header_columns(first) is not None:
            return None
        heading = _is_heading_row(first)
        body = rows[1:] if heading else rows
        if heading and (len(rows) >= 2 or _words_in(" ".join(first), FIGURE_COLUMNS)):
            return j
        if body and sum(_is_figure_cells(r) for r in body) * 2 >= len(body):
            return j
        return None
    j = i
    headings = 0
    while j < n and headings < MAX_HEADING_LINES and (not texts[j] or is_heading_cell(texts[j])):
        headings += bool(texts[j])
        j += 1
    rows_found = 0
    end = None
    k = j
    while k < n:
        t = texts[k]
        if not t:
            k += 1
            continue
        if is_figure_row(t):
            rows_found += 1
            k += 1
            end = k
            continue
        if rows_found and len(t.split()) <= MAX_FIGURE_NAME_WORDS and not re.search(r"[.;:!?]$", t):
            nxt = next((x for x in texts[k + 1 : k + 3] if x), "")
            if is_figure_row(nxt):
                k += 1  # a row's name cut by its cell's width
                continue
        break
    if end is None or rows_found < (1 if headings else 2):
        return None
    return end
