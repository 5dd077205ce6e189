"""The body of a directive: sections, the units they address, and the tasks under them.

Steps:
1. Lines are joined into items. An item starts at a marker ("1.", "1.1.", "II.", "a)", "(1)",
   "-", "–", "•", "+", "Điều 2.") or after a line that ends a sentence and is followed by a
   capital; a line that goes on in lower case, after a comma or a hyphen, after a function word
   ("của", "và" ...), or after a line that reaches the document's wrap width (PDF and Word hard
   wraps, blank lines between wrapped lines) continues the item. Table rows are never joined.
2. Items are nested by marker type (the first type seen is the outermost). A heading names
   units ("3. Phòng Văn hóa - Xã hội", "1.1. Giao Sở Xây dựng", "2. Công chức Văn phòng Đảng
   ủy- Nội vụ: <task on the same line>"), a topic ("1. Về dữ liệu"), or a part that holds no
   tasks ("I. MỤC ĐÍCH, YÊU CẦU", "I. ĐÁNH GIÁ CHUNG", "I. KẾT QUẢ ...").
3. Every other item in a task part is a task: bullets, lettered items, numbered sentences,
   paragraphs under a unit. Not tasks: the preamble (before the first marker), introductions
   ending with ":" ("... thực hiện tốt các nội dung sau:"), the closing ("./.", "chịu trách
   nhiệm trước Chủ tịch", "nghiêm túc triển khai"), "Nơi nhận" and the signature.
4. Each task's lead: "Giao X ..." or "X chủ trì" in its sentence, else the units of its section,
   else a unit at the start of its sentence ("Ban Quản lý ... báo cáo ..."), else the units the
   preamble addresses ("yêu cầu các phòng, đơn vị ..."). Support: "chủ trì, phối hợp (với) Y, Z"
   and a task that begins with "Phối hợp với Y". "Các phòng, đơn vị chuyên môn" means every
   professional department (minus a department the task names as support).
5. Deadlines come from ingest.deadlines. A paragraph that only gives a time ("Thời gian hoàn
   thành trước ngày 31 tháng 12 năm 2025.", "Báo cáo của các cơ quan, đơn vị gửi về ... trước
   ngày 12/6/2026 ...") sets it for the tasks before it in its section; fields ("a) Nhiệm vụ:",
   "- Đơn vị chủ trì:", "c) Thời gian thực hiện:") set the task, lead, support and time of their
   block; task tables give them per row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.deadlines import Deadline, parse_deadline
from ingest.directive_header import Line
from ingest.directive_tables import Table, read_table, split_row
from ingest.directive_units import (
    Assignee,
    Tok,
    UnitResolver,
    is_professional_group,
    is_vague,
    read_units,
    span_text,
    stop_at,
    tokenize,
    vn_lower,
)
from ingest.textnorm import fold

# =============================================================================================
# Vocabulary (folded unless said otherwise)
# =============================================================================================

# Headings of parts that hold no tasks.
NONTASK_HEADINGS = (
    "muc dich",
    "yeu cau",
    "muc tieu",
    "doi tuong",
    "pham vi",
    "danh gia chung",
    "danh gia ket qua",
    "ket qua",
    "tinh hinh",
    "thuc trang",
    "quan diem",
    "nguyen tac",
    "can cu",
    "boi canh",
    "su can thiet",
    "chi tieu",
    "ton tai",
    "han che",
    "nguyen nhan",
    "bai hoc",
    "thong tin chung",
)
# Headings of parts that hold tasks (they override a non-task parent).
TASK_HEADINGS = ("nhiem vu", "giai phap", "to chuc thuc hien", "phan cong", "trach nhiem")
# Words before the units of a heading: "Giao Sở Xây dựng", "Đề nghị: Hội Nông dân tỉnh".
HEADING_PREFIXES = (
    "giao",
    "de nghi",
    "doi voi",
    "trach nhiem cua",
    "nhiem vu cua",
    "yeu cau",
    "phan cong",
)
# What may follow the units of a heading: "Sở Nội vụ có trách nhiệm:", "... thực hiện:".
HEADING_TAIL = re.compile(
    r"^(?:(?:co|chiu) trach nhiem|chu tri|thuc hien|trien khai|tap trung|to chuc(?: thuc hien)?)?"
    r"(?: thuc hien)?(?: (?:cac|nhung|mot so) (?:nhiem vu|noi dung|cong viec)"
    r"(?: (?:trong tam|cu the|chu yeu))?(?: (?:sau|nhu sau))?)?$"
)
# Fields of a structured block (doc: "a) Nhiệm vụ: ...", "- Đơn vị chủ trì: ...").
FIELDS = {
    "nhiem vu": "task",
    "noi dung": "task",
    "noi dung nhiem vu": "task",
    "noi dung cong viec": "task",
    "don vi chu tri": "lead",
    "co quan chu tri": "lead",
    "chu tri": "lead",
    "don vi thuc hien": "lead",
    "co quan thuc hien": "lead",
    "bo phan thuc hien": "lead",
    "don vi phu trach": "lead",
    "don vi phoi hop": "support",
    "co quan phoi hop": "support",
    "phoi hop": "support",
    "thoi gian thuc hien": "deadline",
    "thoi gian hoan thanh": "deadline",
    "thoi han hoan thanh": "deadline",
    "thoi han": "deadline",
    "thoi gian": "deadline",
    "tien do": "deadline",
    "tien do thuc hien": "deadline",
    "san pham": "note",
    "ket qua": "note",
    "kinh phi": "note",
}
# A paragraph that only sets the time of the tasks before it.
DEADLINE_PARAGRAPHS = (
    "thoi gian hoan thanh",
    "thoi gian thuc hien",
    "thoi han",
    "han hoan thanh",
    "tien do",
    "hoan thanh truoc",
    "hoan thanh trong",
    "bao cao cua",
    "bao cao gui",
    "bao cao ket qua",
    "van ban gui",
    "ket qua thuc hien gui",
    "cac co quan, don vi gui",
    "cac don vi gui",
    "cac phong, don vi gui",
    "thoi gian bao cao",
)
# The closing paragraph (not a task): how it starts, or words anywhere in it.
CLOSING_START = (
    "trong qua trinh thuc hien",
    "trong qua trinh to chuc thuc hien",
    "trong qua trinh trien khai",
    "qua trinh thuc hien",
    "tren day la",
    "neu co kho khan",
    "neu co vuong mac",
    "yeu cau thu truong",
    "yeu cau lanh dao",
    "de nghi thu truong",
    "de nghi lanh dao",
)
CLOSING_ANY = (
    "chiu trach nhiem truoc",
    "neu cao tinh than trach nhiem",
    "nghiem tuc trien khai thuc hien",
    "nghiem tuc to chuc trien khai",
    "nghiem tuc to chuc thuc hien",
    "trien khai thuc hien nghiem tuc cac noi dung",
    "to chuc quan triet",
)
CLOSING_END = re.compile(r"[./]\s*/\s*\.?\s*[\"”*)]*\s*$")  # "./." at the end
# Verbs that give a task to the units after them at the start of a sentence: "Giao X chủ trì".
ASSIGN_VERBS = ("giao", "de nghi", "yeu cau")
# Verbs after which a preamble or introduction names the units it addresses.
ADDRESS_VERBS = ("yeu cau", "de nghi", "giao", "chi dao")
SUPPORT_LINKS = ("chat che voi", "chat che cung", "voi", "cung", "chat che")
# Words allowed before "Phối hợp với Y" or "Chủ trì" at the start of a clause.
ADVERBS = frozenset(
    (
        "tiep",
        "tuc",
        "chu",
        "dong",
        "khan",
        "truong",
        "thuong",
        "xuyen",
        "tich",
        "cuc",
        "thoi",
        "kip",
        "chat",
        "che",
        "truc",
        "va",
    )
)

# How the preamble's paragraphs start ("Căn cứ Luật ...", "Theo đề nghị của ...").
PREAMBLE_OPENERS = ("can cu", "theo de nghi", "xet de nghi", "xet", "thuc hien", "theo")
# Words that open a sentence before its subject: "Đồng thời, Phòng X phối hợp ...".
SENTENCE_OPENERS = ("dong thoi", "ben canh do", "ngoai ra", "mat khac", "sau do", "truoc mat")
# Paragraphs that are never tasks, wherever they are.
NOT_TASK_OPENERS = ("can cu", "tren day la", "noi nhan")
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
MAX_HEADING_WORDS = 22
WRAP_PERCENTILE = 0.75
WRAP_SHARE = 0.4
WRAP_MAX = 140
WRAP_FULL = 0.8
WRAP_EVIDENCE_MIN = 50
SHORT_TAIL_AFTER = 40  # a line of one or two words after a long unfinished line is its tail

# =============================================================================================

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


@dataclass(frozen=True)
class Task:
    text: str
    lead: tuple[Assignee, ...]
    support: tuple[Assignee, ...]
    deadline: dt.date | None
    recurrence: str | None
    deadline_text: str | None
    deadline_kind: str | None
    source_line: int
    section: str | None


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


@dataclass
class _Draft:
    text: str
    lead: list[Assignee]
    lead_explicit: bool
    support: list[Assignee]
    deadline: Deadline | None
    source_line: int
    section: str | None


@dataclass
class _Frame:
    mtype: str | None
    item: Item | None
    heading: bool
    units: list[str] | None = None  # phrases as written
    nontask: bool = False
    label: str | None = None
    drafts: list[_Draft] = field(default_factory=list)
    field_lead: list[str] | None = None
    field_support: list[str] | None = None
    field_deadline: Deadline | None = None
    is_field: bool = False


# --- joining lines into items -----------------------------------------------------------------


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


def _is_upper(text: str) -> bool:
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
    if _is_upper(p) or _is_upper(nxt):
        return False
    last = vn_lower(p.split()[-1]) if p.split() else ""
    if last in CONNECTORS:
        return True
    if len(p) >= SHORT_TAIL_AFTER and len(nxt.split()) <= 2 and not _is_upper(nxt):
        return True  # "... phối hợp với Trung tâm" / "PVHCC:"
    if width is None:
        return False
    return len(p) >= width


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
    i = start
    while i < stop:
        text = lines[i].text
        if not text or PAGE_NUMBER.match(text):
            i += 1
            continue
        if split_row(text) is not None:
            table = read_table(list(lines), i)
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
    for item in items:
        item.text = re.sub(r"\s+", " ", item.text).strip()
    return items


# --- reading units and roles in a sentence --------------------------------------------------


@dataclass
class _Roles:
    explicit: list[str] = field(default_factory=list)  # "Giao X", "X chủ trì"
    subject: list[str] = field(default_factory=list)  # "X báo cáo ..." at the start
    support: list[str] = field(default_factory=list)


def _clause_start(toks: Sequence[Tok], k: int) -> int:
    b = k
    while b > 0 and not re.search(r"[,;:.(]", toks[b].gap):
        b -= 1
    return b


def _units_ending_at(text: str, toks: Sequence[Tok], k: int, resolver: UnitResolver) -> list[str]:
    """Units written just before token k ("Sở Xây dựng chủ trì"), with commas inside names."""
    tried = 0
    b = k - 1
    while b >= 0 and tried < 4:
        if b == 0 or re.search(r"[,;:.(]", toks[b].gap):
            tried += 1
            spans, end = read_units(toks, b, resolver)
            if spans and end == k:
                return _spans_text(text, toks, spans)
            if re.search(r"[;:.(]", toks[b].gap):
                break
        b -= 1
    return []


def _only_adverbs(toks: Sequence[Tok], a: int, b: int) -> bool:
    return all(t.f in ADVERBS for t in toks[a:b])


def _phrase_is(toks: Sequence[Tok], k: int, phrase: str) -> bool:
    words = phrase.split()
    return k + len(words) <= len(toks) and all(toks[k + i].f == w for i, w in enumerate(words))


def _spans_text(text: str, toks: Sequence[Tok], spans: list[tuple[int, int]]) -> list[str]:
    return [span_text(text, toks, s) for s in spans]


def read_roles(text: str, resolver: UnitResolver) -> _Roles:
    roles = _Roles()
    toks = tokenize(text)
    n = len(toks)
    # "Giao X ...", "Đề nghị X ..." at the start of the item or of a sentence
    for k, tok in enumerate(toks):
        verb = next((v for v in ASSIGN_VERBS if _phrase_is(toks, k, v)), None)
        if verb is None or not (k == 0 or re.search(r"[.;:]", tok.gap)):
            continue
        if k > 0 and not tok.word[:1].isupper() and ":" not in tok.gap:
            continue
        spans, _end = read_units(toks, k + len(verb.split()), resolver)
        if spans:
            roles.explicit = _spans_text(text, toks, spans)
            break
    for k in range(n):
        if not _phrase_is(toks, k, "chu tri"):
            continue
        b = _clause_start(toks, k)
        if not roles.explicit and b < k and not _only_adverbs(toks, b, k):
            roles.explicit = _units_ending_at(text, toks, k, resolver)
        after = k + 2
        if _phrase_is(toks, after, "phoi hop"):
            roles.support += _support_after(text, toks, after + 2, resolver)
        break
    # "Phối hợp (chặt chẽ) với Y" at the start of a clause; "X chủ trì, Y phối hợp"
    for k in range(n):
        if not _phrase_is(toks, k, "phoi hop"):
            continue
        b = _clause_start(toks, k)
        if k > 0 and _phrase_is(toks, max(0, k - 2), "chu tri"):
            continue
        if _only_adverbs(toks, b, k):
            roles.support += _support_after(text, toks, k + 2, resolver)
        elif roles.explicit and b < k:
            roles.support += _units_ending_at(text, toks, k, resolver)
    # "X báo cáo ..." : units at the very start (after "Đồng thời," & co.), followed by a verb
    first = 0
    for opener in SENTENCE_OPENERS:
        n_words = len(opener.split())
        if _phrase_is(toks, 0, opener) and n_words < n and "," in toks[n_words].gap:
            first = n_words
            break
    spans, end = read_units(toks, first, resolver)
    if spans and end < n and stop_at(toks, end):
        roles.subject = _spans_text(text, toks, spans)
    roles.support = list(dict.fromkeys(roles.support))
    return roles


def _support_after(text: str, toks: Sequence[Tok], k: int, resolver: UnitResolver) -> list[str]:
    for link in SUPPORT_LINKS:
        if _phrase_is(toks, k, link):
            k += len(link.split())
            break
    spans, _end = read_units(toks, k, resolver)
    return _spans_text(text, toks, spans)


def heading_units(text: str, resolver: UnitResolver) -> tuple[list[str], str] | None:
    """(units, task on the same line) when an item's text names units as a heading."""
    toks = tokenize(text)
    if not toks:
        return None
    k = 0
    for prefix in sorted(HEADING_PREFIXES, key=lambda p: -len(p.split())):
        if _phrase_is(toks, 0, prefix):
            k = len(prefix.split())
            break
    spans, end = read_units(toks, k, resolver)
    if not spans:
        return None
    units = _spans_text(text, toks, spans)
    rest = text[toks[end - 1].end :]
    m = re.match(r"^\s*[:.]\s*(.*)$", rest, re.DOTALL)
    if m and m.group(1).strip() and ":" in rest[: rest.find(m.group(1)) + 1]:
        return units, m.group(1).strip()
    tail = re.sub(r"[^a-z0-9 ]+", " ", fold(rest))
    tail = re.sub(r"\s+", " ", tail).strip()
    if HEADING_TAIL.match(tail):
        return units, ""
    return None


def _addressed(text: str, resolver: UnitResolver) -> list[str]:
    """Units an introduction addresses: "... yêu cầu các phòng, đơn vị thực hiện ...:"."""
    toks = tokenize(text)
    for k in range(len(toks)):
        for verb in ADDRESS_VERBS:
            if _phrase_is(toks, k, verb):
                spans, _end = read_units(toks, k + len(verb.split()), resolver)
                if spans:
                    return _spans_text(text, toks, spans)
    return []


def _field(text: str) -> tuple[str, str] | None:
    m = re.match(r"^([^:]{2,40}):\s*(.*)$", text, re.DOTALL)
    if m is None:
        return None
    label = re.sub(r"\s+", " ", fold(m.group(1))).strip()
    role = FIELDS.get(label)
    return (role, m.group(2).strip()) if role else None


def _preamble(text: str) -> bool:
    f = fold(text)
    return any(f == w or f.startswith(w + " ") for w in PREAMBLE_OPENERS)


def _closing(text: str) -> bool:
    f = fold(text)
    if CLOSING_END.search(text) or any(c in f for c in CLOSING_ANY):
        return True
    return any(f.startswith(c) for c in CLOSING_START)


def _deadline_paragraph(text: str, deadline: Deadline | None, resolver: UnitResolver) -> bool:
    """A paragraph that only sets the time of the tasks before it."""
    if deadline is None or deadline.kind in ("ongoing", "same_day"):
        return False
    f = fold(text)
    if any(f.startswith(w) for w in DEADLINE_PARAGRAPHS):
        return True
    # "Các đơn vị báo cáo kết quả ... trước ngày 28/11/2025": everyone, a report, a time
    toks = tokenize(text)
    spans, end = read_units(toks, 0, resolver)
    subject = _spans_text(text, toks, spans)
    return bool(subject) and all(is_vague(p) for p in subject) and _phrase_is(toks, end, "bao cao")


# --- the reader --------------------------------------------------------------------------------


class BodyReader:
    def __init__(
        self,
        resolver: UnitResolver,
        reference: dt.date | None,
        addressees: Sequence[str] = (),
    ) -> None:
        self.resolver = resolver
        self.reference = reference
        self.addressees = list(addressees)
        self.tasks: list[Task] = []
        self.unknown: list[str] = []
        self.default_units: list[str] = []

    # units -> assignees

    def assignees(self, phrases: Sequence[str], *, lead: bool) -> list[Assignee]:
        out: list[Assignee] = []
        concrete = [p for p in phrases if not is_vague(p)]
        for phrase in phrases:
            if is_vague(phrase) and (not lead or concrete):
                continue
            if self.resolver.units and is_professional_group(phrase):
                out += [Assignee(u.name, u.code) for u in self.resolver.professional]
                continue
            code = self.resolver.resolve(phrase)
            unknown = code is None and lead and self.resolver.units and not is_vague(phrase)
            if unknown and phrase not in self.unknown:
                self.unknown.append(phrase)
            out.append(Assignee(phrase, code))
        return _merge(out, [])

    # segments

    def read(self, lines: Sequence[Line], start: int, stop: int) -> None:
        items = join_items(lines, start, stop, self.resolver)
        stack: list[_Frame] = [_Frame(None, None, heading=True)]
        in_body = False
        done = False
        loose: list[Item] = []  # paragraphs outside any list, for a letter without one
        for pos, item in enumerate(items):
            if item.table is not None:
                self._table(item, stack)
                continue
            if done:
                continue
            f = fold(item.text)
            if item.mtype is None and f.startswith("noi nhan"):
                done = True
                continue
            nxt_item = items[pos + 1] if pos + 1 < len(items) else None
            opener = nxt_item is not None and nxt_item.mtype is None and _preamble(nxt_item.text)
            if (
                item.mtype is None
                and not (opener and not in_body)
                and self._plain_heading(item, items, pos)
            ):
                item.mtype = "plain"  # "Phòng Văn hóa - Xã hội:" on a line of its own
            if item.mtype is None and not in_body:
                loose.append(item)
                if item.text.rstrip().endswith(":") or _addressed(item.text, self.resolver):
                    found = _addressed(item.text, self.resolver)
                    if found:
                        self.default_units = found
                continue
            if item.mtype is not None and not in_body:
                if any(f.startswith(w) for w in ("can cu", "luat ", "nghi dinh", "thong tu")):
                    continue  # a list of legal bases in the preamble
                in_body = True
            if item.mtype is None:
                if _closing(item.text):
                    loose.append(item)
                    if CLOSING_END.search(item.text):
                        done = True
                    continue
                self._paragraph(item, stack)
                continue
            self._pop_to(stack, item.mtype)
            nxt = items[pos + 1] if pos + 1 < len(items) else None
            frame = self._marker_item(item, stack, nxt)
            stack.append(frame)
            if CLOSING_END.search(item.text) and _closing(item.text):
                done = True
        if not in_body and not any(f.drafts for f in stack):
            self._letter(loose, stack[0])
        while len(stack) > 1:
            self._finish(stack.pop(), stack)
        self._finish(stack[0], [])

    def _letter(self, paragraphs: Sequence[Item], root: _Frame) -> None:
        """A letter with no list: each paragraph that gives a unit work is a task
        ("Đề nghị Phòng Văn hóa - Xã hội tuyên truyền ...; hoàn thành trước ngày 20/12./.")."""
        for item in paragraphs:
            text = CLOSING_END.sub(".", item.text).strip()
            f = fold(text)
            if _preamble(text) or any(c in f for c in CLOSING_ANY):
                continue
            if any(f.startswith(c) for c in CLOSING_START) or text.endswith(":"):
                continue
            roles = read_roles(text, self.resolver)
            addressed = [p for p in _addressed(text, self.resolver) if not is_vague(p)]
            if addressed:  # "UBND phường đề nghị Phòng X ..."
                roles.explicit = addressed
            subject = [p for p in roles.subject if not is_vague(p)]
            if roles.explicit or subject:
                self._task(text, item.line_no, [root], root, roles=roles)

    def _plain_heading(self, item: Item, items: Sequence[Item], pos: int) -> bool:
        """An unmarked line that heads the items after it: "Phòng Văn hóa - Xã hội:", or an
        introduction "... đề nghị các phòng, đơn vị thực hiện các nội dung sau:"."""
        text = item.text.rstrip()
        nxt = items[pos + 1] if pos + 1 < len(items) else None
        heading = heading_units(text, self.resolver)
        if heading is not None:
            units, inline = heading
            if inline:
                return bool(units) and len(text.split(":")[0].split()) <= MAX_HEADING_WORDS
            return nxt is not None  # a line that is only a unit's name
        if not text.endswith(":") or nxt is None or nxt.table is not None:
            return False
        return nxt.mtype is not None or bool(_addressed(text, self.resolver))

    def _pop_to(self, stack: list[_Frame], mtype: str) -> None:
        types = [f.mtype for f in stack]
        if mtype in types:
            while len(stack) > 1 and stack[-1].mtype != mtype:
                self._finish(stack.pop(), stack)
            if len(stack) > 1:
                self._finish(stack.pop(), stack)

    def _finish(self, frame: _Frame, parents: list[_Frame]) -> None:
        """A frame ends: fields of its block apply to its tasks, which pass to the parent."""
        owner = frame
        if (
            not frame.drafts
            and frame.item is not None
            and frame.heading
            and not frame.is_field
            and (frame.field_lead or frame.field_deadline)
            and not self._nontask([*parents, frame])
        ):
            # "1. Rà soát ..." with only "- Đơn vị chủ trì: ..." and "- Thời gian: ..." under it:
            # the heading is the task
            section = self._section(parents) if parents else None
            draft = self._draft(frame.item.text, [], False, [], None, frame.item.line_no, section)
            draft.deadline = parse_deadline(frame.item.text, reference=self.reference)
            frame.drafts.append(draft)
        if frame.field_lead is not None or frame.field_support is not None:
            leads = self.assignees(frame.field_lead or [], lead=True)
            support = self.assignees(frame.field_support or [], lead=False)
            for d in frame.drafts:
                if frame.field_lead and not d.lead_explicit:
                    d.lead = leads
                if support:
                    d.support = _merge(d.support, support)
        if frame.field_deadline is not None:
            for d in frame.drafts:
                if d.deadline is None:
                    d.deadline = frame.field_deadline
        if parents:
            parents[-1].drafts += owner.drafts
        else:
            for d in owner.drafts:
                self.tasks.append(self._freeze(d))

    def _freeze(self, d: _Draft) -> Task:
        dl = d.deadline
        leads = {_key(a) for a in d.lead}
        support = list({_key(s): s for s in d.support if _key(s) not in leads}.values())
        return Task(
            text=d.text,
            lead=tuple(d.lead),
            support=tuple(support),
            deadline=dl.date if dl else None,
            recurrence=dl.recurrence if dl else None,
            deadline_text=dl.text if dl else None,
            deadline_kind=dl.kind if dl else None,
            source_line=d.source_line,
            section=d.section,
        )

    # context

    def _nontask(self, stack: Sequence[_Frame]) -> bool:
        return any(f.nontask for f in stack)

    def _ctx_units(self, stack: Sequence[_Frame]) -> list[str] | None:
        """Units of the nearest section that names some ("các cơ quan, đơn vị" names none)."""
        for f in reversed(stack):
            if f.units and not all(is_vague(p) for p in f.units):
                return f.units
        return None

    def _section(self, stack: Sequence[_Frame]) -> str | None:
        for f in reversed(stack):
            if f.heading and f.label and not f.is_field:
                return f.label
        return None

    def _block(self, stack: Sequence[_Frame]) -> _Frame:
        """The frame that owns fields: the nearest heading that is not a field itself."""
        for f in reversed(stack):
            if f.heading and not f.is_field:
                return f
        return stack[0]

    # items

    def _marker_item(self, item: Item, stack: list[_Frame], nxt: Item | None) -> _Frame:
        text = item.text
        frame = _Frame(item.mtype, item, heading=False, label=item.raw)
        deeper = (
            nxt is not None
            and nxt.table is None
            and nxt.mtype is not None
            and nxt.mtype not in [f.mtype for f in stack] + [item.mtype]
        )
        has_children = deeper or (nxt is not None and nxt.table is None and nxt.mtype is None)
        fld = _field(text)
        if fld is not None:
            self._field_item(fld, item, stack, frame)
            return frame
        heading = heading_units(text, self.resolver)
        f = fold(text).strip(" :")
        short = len(text.split()) <= MAX_HEADING_WORDS and not re.search(r"[.;]$", text)
        if heading is not None:
            units, inline = heading
            frame.heading = True
            frame.units = units
            label = item.raw[: len(item.raw) - len(inline)] if inline else item.raw
            frame.label = re.sub(r"\s*:\s*$", "", label).strip()
            if inline:
                self._task(inline, item.line_no, [*stack, frame], frame)
            return frame
        if item.mtype == "plain":
            # an introduction: its subject is the issuer; only whom it addresses counts
            frame.heading = True
            frame.label = None
            frame.nontask = any(f.startswith(w) for w in NONTASK_HEADINGS)
            frame.units = _addressed(text, self.resolver) or None
            return frame
        kind_heading = item.mtype in ("roman", "upper", "article") or _is_upper(text)
        if (kind_heading or (short and has_children)) and short:
            frame.heading = True
            if any(f.startswith(w) for w in NONTASK_HEADINGS):
                frame.nontask = True
            if any(w in f for w in TASK_HEADINGS):
                frame.nontask = False
            # "3. Văn phòng ... chủ trì, phối hợp với Trung tâm PVHCC:" then the tasks
            roles = read_roles(text, self.resolver)
            intro = _addressed(text, self.resolver) if text.rstrip().endswith(":") else []
            frame.units = roles.explicit or roles.subject or intro or None
            frame.field_support = roles.support or None
            return frame
        if self._nontask(stack):
            return frame
        if item.mtype == "article" and not read_roles(text, self.resolver).explicit:
            return frame
        if text.rstrip().endswith(":") and has_children:
            # "3. Văn phòng ... chủ trì, phối hợp với Trung tâm PVHCC:" then the tasks
            frame.heading = True
            roles = read_roles(text, self.resolver)
            frame.units = roles.explicit or roles.subject or _addressed(text, self.resolver) or None
            frame.field_support = roles.support or None
            return frame
        roles = read_roles(text, self.resolver)
        self._task(text, item.line_no, stack, frame, roles=roles)
        if deeper:
            # "1. Sở X theo dõi ...;" followed by "- ...": the bullets are Sở X's as well
            ctx = self._ctx_units(stack)
            frame.units = roles.explicit or (None if ctx else roles.subject) or None
        return frame

    def _field_item(
        self, fld: tuple[str, str], item: Item, stack: list[_Frame], frame: _Frame
    ) -> None:
        role, value = fld
        frame.heading = True
        frame.is_field = True
        block = self._block(stack)
        if role == "task":
            if value:
                self._task(value, item.line_no, stack, frame)
        elif role in ("lead", "support") and value:
            phrases = _cell_units(value, self.resolver)
            if role == "lead":
                block.field_lead = (block.field_lead or []) + phrases
            else:
                block.field_support = (block.field_support or []) + phrases
        elif role == "deadline" and value:
            block.field_deadline = parse_deadline(value, reference=self.reference)

    def _paragraph(self, item: Item, stack: list[_Frame]) -> None:
        text = item.text
        if self._nontask(stack):
            return
        f = fold(text)
        if any(f.startswith(w) for w in NOT_TASK_OPENERS):
            return
        deadline = parse_deadline(text, reference=self.reference)
        if _deadline_paragraph(text, deadline, self.resolver):
            owner = stack[-1] if len(stack) > 1 else stack[0]
            for frame in reversed(stack):
                if frame.heading:
                    owner = frame
                    break
            for d in _all_drafts(stack, owner):
                if d.deadline is None:
                    d.deadline = deadline
            return
        fld = _field(text)
        if fld is not None:
            self._field_item(fld, item, stack, _Frame(None, item, heading=False))
            return
        if text.rstrip().endswith(":"):
            found = _addressed(text, self.resolver)
            if found:
                target = self._block(stack)
                if target is stack[0]:
                    self.default_units = found
                elif not target.units:
                    target.units = found
            return
        at_top = all(not fr.heading or fr is stack[0] for fr in stack)
        roles = read_roles(text, self.resolver)
        if at_top and not (roles.explicit or roles.subject):
            return
        self._task(text, item.line_no, stack, stack[-1], roles=roles)

    def _table(self, item: Item, stack: list[_Frame]) -> None:
        table = item.table
        assert table is not None
        ctx = self._ctx_units(stack)
        for row in table.rows:
            lead_cell, support_cell = _split_roles(row.lead or ""), row.support or ""
            if lead_cell[1]:
                support_cell = f"{support_cell}; {lead_cell[1]}" if support_cell else lead_cell[1]
            lead_phrases = _cell_units(lead_cell[0], self.resolver) if lead_cell[0] else []
            support_phrases = _cell_units(support_cell, self.resolver) if support_cell else []
            roles = read_roles(row.task, self.resolver)
            explicit = bool(lead_phrases or roles.explicit)
            leads = lead_phrases or roles.explicit or ctx or roles.subject or self.default_units
            deadline = None
            if row.deadline:
                deadline = parse_deadline(row.deadline, reference=self.reference)
            if deadline is None:
                deadline = parse_deadline(row.task, reference=self.reference)
            draft = self._draft(
                row.task,
                leads,
                explicit,
                support_phrases + roles.support,
                deadline,
                row.line_no,
                row.group or self._section(stack),
            )
            stack[-1].drafts.append(draft)

    def _task(
        self,
        text: str,
        line_no: int,
        stack: Sequence[_Frame],
        frame: _Frame,
        roles: _Roles | None = None,
    ) -> _Draft | None:
        if self._nontask(stack):
            return None
        roles = roles or read_roles(text, self.resolver)
        ctx = self._ctx_units(stack)
        if roles.explicit:
            leads, explicit = roles.explicit, True
        elif ctx:
            leads, explicit = ctx, False
        elif roles.subject and not all(is_vague(p) for p in roles.subject):
            leads, explicit = roles.subject, False
        else:
            leads, explicit = self._defaults(), False
        deadline = parse_deadline(text, reference=self.reference)
        draft = self._draft(
            text, leads, explicit, roles.support, deadline, line_no, self._section(stack)
        )
        frame.drafts.append(draft)
        return draft

    def _defaults(self) -> list[str]:
        """Units of a task nothing else assigns: the preamble's, else the "Kính gửi" list."""
        if self.default_units and not all(is_vague(p) for p in self.default_units):
            return self.default_units
        return self.addressees or self.default_units

    def _draft(
        self,
        text: str,
        leads: Sequence[str],
        explicit: bool,
        supports: Sequence[str],
        deadline: Deadline | None,
        line_no: int,
        section: str | None,
    ) -> _Draft:
        support = self.assignees(supports, lead=False)
        lead = self.assignees(leads, lead=True)
        fanned = len(lead) > 1 and any(is_professional_group(p) for p in leads)
        if fanned:
            named = {s.code for s in support if s.code}
            kept = [a for a in lead if a.code not in named]
            lead = kept or lead
        support = [s for s in support if _key(s) not in {_key(a) for a in lead}]
        return _Draft(
            re.sub(r"\s+", " ", text).strip(),
            lead,
            explicit,
            support,
            deadline,
            line_no,
            section,
        )


def _key(a: Assignee) -> str:
    return a.code or fold(a.written)


def _merge(a: Sequence[Assignee], b: Sequence[Assignee]) -> list[Assignee]:
    out = {_key(x): x for x in a}
    for x in b:
        out.setdefault(_key(x), x)
    return list(out.values())


def _all_drafts(stack: Sequence[_Frame], owner: _Frame) -> list[_Draft]:
    """Drafts collected so far in owner and the frames open below it."""
    out: list[_Draft] = []
    seen = False
    for frame in stack:
        if frame is owner:
            seen = True
        if seen:
            out += frame.drafts
    return out


def _split_roles(cell: str) -> tuple[str, str]:
    """'Chủ trì: VHXH; Phối hợp: TTPVHCC' or 'VHXH (chủ trì), TTPVHCC' -> ('VHXH', 'TTPVHCC')."""
    pieces = re.split(r"\s*[,;\n]\s*(?![^()]*\))", cell)
    marked = [p for p in pieces if re.search(r"\(\s*(?:chủ trì|chu tri)\s*\)", p, re.I)]
    if marked and len(pieces) > 1:
        rest = [p for p in pieces if p not in marked]
        return "; ".join(marked), "; ".join(rest)
    f = fold(cell)
    m = re.search(r"(?:^|[;,.\n]\s*)(?:don vi |co quan )?phoi hop\s*[:\-]", f)
    if m is None:
        return re.sub(r"(?i)^\s*(?:chủ trì|chu tri)\s*[:\-]\s*", "", cell).strip(), ""
    lead = cell[: m.start()]
    lead = re.sub(r"(?i)^\s*(?:(?:đơn vị|cơ quan) )?(?:chủ trì|chu tri)\s*[:\-]\s*", "", lead)
    return lead.strip(" ;,."), cell[m.end() :].strip(" ;,.")


def _cell_units(text: str, resolver: UnitResolver) -> list[str]:
    """Units listed in a table cell or a field: every piece is a unit even without a head word."""
    out: list[str] = []
    text = re.sub(r"\([^()]*\)", " ", text)  # "VHXH (chủ trì)"
    for piece in re.split(r"\s*[;\n]\s*|\s+\|\s+", text):
        piece = piece.strip(" .,-–")
        if not piece:
            continue
        toks = tokenize(piece)
        spans, end = read_units(toks, 0, resolver)
        out += _spans_text(piece, toks, spans)
        rest = piece[toks[end - 1].end :] if spans and end > 0 else piece
        if spans and end >= len(toks):
            continue
        for part in re.split(r"\s*,\s*", rest):
            part = part.strip(" .,-–")
            if part and re.search(r"\w", part):
                out.append(part)
    return [p for p in dict.fromkeys(out) if p]
