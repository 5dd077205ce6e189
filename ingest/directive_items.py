"""Lines of a directive joined into items: one list item or paragraph each.

An item starts at a marker ("1.", "1.1.", "II.", "A.", "a)", "(1)", "1/", "-", "–", "•", "+",
"Điều 2.") or after a line that ends a sentence and is followed by a capital. A line goes on
with the item when it starts in lower case or with a digit, when the line before ends with a
comma, a hyphen ("NĐ-" / "CP"), an open bracket or quote, an enumerator ("... ; (2)"), or a
function word ("của", "và", "quý" ...), and when the line before reached the document's wrap
width (PDF and Word hard wraps; blank lines between wrapped lines are ignored). A line that is a
whole unit heading ("3. Phòng Văn hóa - Xã hội") is not run on into the paragraph under it.
Table rows are never joined; a task table becomes one item. Page numbers are dropped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.directive_header import Line
from ingest.directive_roles import CLOSING_END, heading_units
from ingest.directive_tables import (
    Table,
    figures_block,
    is_figure_row,
    is_heading_cell,
    read_table,
    split_row,
)
from ingest.directive_units import UnitResolver, vn_lower

# =============================================================================================
# Vocabulary (folded unless said otherwise)
# =============================================================================================

# Last words of a line after which the sentence goes on (as written, lower case).
CONNECTORS = frozenset(
    " ".join(
        (
            "và của với các những theo tại về trên trong để đến từ là được cho có thuộc hoặc số",
            "ngày tháng năm bằng như đối vào sau trước khi nếu thì mà do bởi tới qua giữa cùng",
            "nhằm phục việc một hai ba nhiều đã đang sẽ cần phải quý tịch trưởng đốc",
        )
    ).split(" ")
)
PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:Trang\s+)?\d{1,3}(?:\s*-)?(?:\s*/\s*\d{1,3})?$")
WRAP_PERCENTILE = 0.75
WRAP_SHARE = 0.4
WRAP_MAX = 140
WRAP_FULL = 0.8
WRAP_EVIDENCE_MIN = 50
SHORT_TAIL_AFTER = 40  # a line of one or two words after a long unfinished line is its tail
FRAGMENT_WORDS = 2  # an unmarked line of at most this many words that ends a sentence ...
FRAGMENT_AFTER = 20  # ... after a line at least this long is the tail of that line's sentence

# =============================================================================================


FIGURES = "figures"  # the type of an item that is a table of figures (never a task)

_ROMAN_RE = re.compile(r"^(?=[IVX])X{0,2}(?:IX|IV|V?I{0,3})$")


_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("article", re.compile(r"^(?:Điều|ĐIỀU)\s+(\d{1,3})\s*[.:]\s*")),
    ("roman", re.compile(r"^([IVX]{1,5})\s*[.)]\s*(?=\S)")),
    ("upper", re.compile(r"^([A-H])\s*[.)]\s+(?=\S)")),
    ("num", re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\s*[.)]\s*(?=[^\d\s])")),
    ("num", re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})\s+(?=\S)")),
    ("num", re.compile(r"^(\d{1,2})\s*/\s+(?=\D)")),
    ("letter", re.compile(r"^([a-zđ])\s*[).]\s+(?=\S)")),
    ("paren", re.compile(r"^\((\d{1,2}|[a-zđ])\)\s*(?=\S)")),
    ("bullet", re.compile("^([-–—−•●▪■◦∙·*➢✓✔\uf0b7\uf0a7\uf076\uf0d8\uf0fc])\\s*(?=\\S)")),
    ("plus", re.compile(r"^(\+)\s*(?=\S)")),
)


@dataclass
class Item:
    index: int  # index into the lines
    line_no: int
    mtype: str | None
    marker: str
    text: str  # without the marker
    table: Table | None = None

    @property
    def raw(self) -> str:
        return f"{self.marker} {self.text}".strip()


def marker_of(text: str) -> tuple[str | None, str, str]:
    """(type, marker, rest) of a line; type None for a plain line."""
    for mtype, regex in _MARKERS:
        m = regex.match(text)
        if m is None:
            continue
        if mtype == "roman" and not _ROMAN_RE.match(m.group(1)):
            continue
        if mtype == "num":
            depth = m.group(1).count(".") + 1
            mtype = "num" if depth == 1 else f"num{depth}"
        return mtype, text[: m.end()].strip(), text[m.end() :].strip()
    return None, "", text.strip()


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def full_line(lines: Sequence[Line]) -> int | None:
    """How long a line of a hard-wrapped document is when it was cut mid-sentence (None: the
    lines are paragraphs). Found from the width most lines share, or from lines that stop
    without punctuation and go on in lower case on the next line."""
    texts = [line.text for line in lines if line.text and split_row(line.text) is None]
    lengths = sorted(len(t) for t in texts if len(t) >= 20)
    if len(lengths) >= 6:
        width = lengths[int(len(lengths) * WRAP_PERCENTILE)]
        near = sum(1 for n in lengths if 0.85 * width <= n <= 1.15 * width)
        if width <= WRAP_MAX and near >= WRAP_SHARE * len(lengths):
            return int(WRAP_FULL * width)
    evidence = sum(
        1
        for a, b in itertools.pairwise(texts)
        if len(a) >= WRAP_EVIDENCE_MIN
        and not re.search(r"[.;:!?…]\W*$", a)
        and b[:1].islower()
        and marker_of(b)[0] is None
    )
    return WRAP_EVIDENCE_MIN if evidence >= 2 else None


def _continues(prev_line: str, item: Item, nxt: str, width: int | None) -> bool:
    """Whether line `nxt` goes on with the item whose last line is `prev_line`."""
    p = prev_line.rstrip()
    if not p or not nxt:
        return False
    if p.endswith("-") and not p.endswith(" -") and nxt[:1].isalnum():
        return True  # "NĐ-" / "CP"
    if split_row(nxt) is not None or split_row(p) is not None:
        return False
    mtype = marker_of(nxt)[0]
    enum = re.match(r"^\((?:\d{1,2}|[a-zđ])\)", nxt)
    if enum and item.mtype != "paren" and not re.search(r"[.:][\"”)*]*$", p):
        return True  # "... theo các nhóm sau: (1) ...; (2)" cut before "(3)"
    if mtype not in (None, "bullet", "plus") and item.text.count("(") > item.text.count(")"):
        return True  # inside brackets: "(Phòng X chủ trì, Trung tâm" / "PVHCC phối hợp)"
    if mtype is not None:
        return False
    first = nxt[:1]
    if CLOSING_END.search(p):
        return False
    if re.search(r"[.;:!?][\"”)*]*$", p) or re.search(r"[^,]…$", p):
        return first.islower()
    if p.endswith((",", "(", "/", "&", "-", "–")) or re.search(r"\((?:\d{1,2}|[a-zđ])\)$", p):
        return True  # "... minh bạch; (2)" / "Chỉ số về tiến độ"
    if first.islower() or first.isdigit() or first in "(\"“'":
        return True
    if item.text.count("(") > item.text.count(")") or item.text.count("“") > item.text.count("”"):
        return True
    if is_fragment(nxt) and len(p) >= FRAGMENT_AFTER and not re.search(r"[.;:!?][\"”)*]*$", p):
        return True  # "... phối hợp với Trung tâm" / "PVHCC."
    if is_upper(p) or is_upper(nxt):
        return False
    last = vn_lower(p.split()[-1]) if p.split() else ""
    if last in CONNECTORS:
        return True
    if len(p) >= SHORT_TAIL_AFTER and len(nxt.split()) <= 2 and not is_upper(nxt):
        return True  # "... phối hợp với Trung tâm" / "PVHCC:"
    if width is None:
        return False
    return len(p) >= width


def is_fragment(text: str) -> bool:
    """A line that can only be the tail of a sentence: "PVHCC.", "hạn;", "năm 2025."."""
    t = text.strip()
    if not t or marker_of(t)[0] is not None or split_row(t) is not None:
        return False
    return len(t.split()) <= FRAGMENT_WORDS and bool(re.search(r"[.;,][\"”)]*$", t))


def _unit_heading_line(item: Item, resolver: UnitResolver) -> bool:
    """A numbered line that is a whole unit heading: the next capitalised line is not its tail."""
    if item.mtype is None:
        return False
    heading = heading_units(item.text.strip(), resolver)
    return heading is not None and not heading[1]


def join_items(
    lines: Sequence[Line], start: int, stop: int, resolver: UnitResolver | None = None
) -> list[Item]:
    """Lines start..stop joined into items (see the module's docstring)."""
    width = full_line(lines)
    resolver = resolver or UnitResolver(None)
    single = False  # the current item is one line so far
    items: list[Item] = []
    current: Item | None = None
    last_line = ""
    texts = ["" if PAGE_NUMBER.match(line.text) else line.text for line in lines[:stop]]
    i = start
    while i < stop:
        text = lines[i].text
        if not text or PAGE_NUMBER.match(text):
            i += 1
            continue
        piped = split_row(text) is not None
        table = read_table(list(lines), i) if piped else None
        if table is None and (piped or is_heading_cell(text) or is_figure_row(text)):
            end = figures_block(texts, i)
            if end is not None:  # a score table or a list of figures: never tasks
                block = " / ".join(t for t in texts[i:end] if t)
                items.append(Item(i, lines[i].no, FIGURES, "", block))
                current = None
                last_line = ""
                i = end
                continue
        if piped:
            current = None
            if table is not None and table.rows:
                items.append(Item(i, lines[i].no, "table", "", text, table))
                i = min(table.end, stop)
                continue
            items.append(Item(i, lines[i].no, None, "", text))
            last_line = text
            i += 1
            continue
        if (
            current is not None
            and not (
                single
                and text[:1].isupper()
                and len(text.split()) >= 4
                and _unit_heading_line(current, resolver)
            )
            and _continues(last_line, current, text, width)
        ):
            single = False
            sep = "" if last_line.rstrip().endswith("-") and not last_line.endswith(" -") else " "
            current.text = (current.text.rstrip() + sep + text.strip()).strip()
            last_line = text
            i += 1
            continue
        mtype, marker, rest = marker_of(text)
        current = Item(i, lines[i].no, mtype, marker, rest)
        single = True
        items.append(current)
        last_line = text
        i += 1
    kept: list[Item] = []
    for item in items:
        item.text = re.sub(r"\s+", " ", item.text).strip()
        prev = kept[-1] if kept else None
        if (
            prev is not None
            and item.mtype is None
            and prev.mtype != FIGURES
            and prev.table is None
            and is_fragment(item.text)
            and not CLOSING_END.fullmatch(item.text)
        ):
            prev.text = f"{prev.text} {item.text}"  # a sentence's tail on a line of its own
            continue
        kept.append(item)
    return kept
