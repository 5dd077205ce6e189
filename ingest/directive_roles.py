"""Who a sentence gives work to, and what kind of paragraph it is.

- `read_roles`: the lead named in the sentence ("Giao X ...", "Đề nghị X ...", "X chủ trì"),
  the supporting units ("chủ trì, phối hợp (với) Y, Z", "Phối hợp với Y ..." at the start of a
  clause, "X chủ trì, Y phối hợp"), and the units the sentence starts with ("Ban Quản lý ...
  báo cáo ...", also after "Đồng thời,").
- `heading_units`: an item that is a unit heading ("1.1. Giao Sở Xây dựng", "6. Đề nghị: Hội
  Nông dân tỉnh", "2. Công chức Văn phòng Đảng ủy- Nội vụ: <task on the same line>").
- `addressed`: whom an introduction addresses ("... yêu cầu các phòng, đơn vị thực hiện ...:").
- `field_of`: fields of a structured block ("a) Nhiệm vụ:", "- Đơn vị chủ trì:", "c) Thời gian
  thực hiện:"); `split_roles` / `cell_units`: units in a table cell or a field.
- `is_closing`, `is_preamble`, `is_deadline_paragraph`: paragraphs that are not tasks.

Vocabulary is in the block below (folded).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.deadlines import Deadline
from ingest.directive_units import (
    Tok,
    UnitResolver,
    is_vague,
    read_units,
    span_text,
    stop_at,
    tokenize,
)
from ingest.textnorm import fold

# =============================================================================================
# Vocabulary (folded unless said otherwise)
# =============================================================================================

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

# =============================================================================================


@dataclass
class Roles:
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


def phrase_is(toks: Sequence[Tok], k: int, phrase: str) -> bool:
    words = phrase.split()
    return k + len(words) <= len(toks) and all(toks[k + i].f == w for i, w in enumerate(words))


def _spans_text(text: str, toks: Sequence[Tok], spans: list[tuple[int, int]]) -> list[str]:
    return [span_text(text, toks, s) for s in spans]


def read_roles(text: str, resolver: UnitResolver) -> Roles:
    roles = Roles()
    toks = tokenize(text)
    n = len(toks)
    # "Giao X ...", "Đề nghị X ..." at the start of the item or of a sentence
    for k, tok in enumerate(toks):
        verb = next((v for v in ASSIGN_VERBS if phrase_is(toks, k, v)), None)
        if verb is None or not (k == 0 or re.search(r"[.;:]", tok.gap)):
            continue
        if k > 0 and not tok.word[:1].isupper() and ":" not in tok.gap:
            continue
        spans, end = read_units(toks, k + len(verb.split()), resolver)
        if spans:
            roles.explicit = _spans_text(text, toks, spans)
            if phrase_is(toks, end, "phoi hop"):  # "Giao VH-XH phối hợp Công an phường ..."
                roles.support += _support_after(text, toks, end + 2, resolver)
            break
    for k in range(n):
        if not phrase_is(toks, k, "chu tri"):
            continue
        b = _clause_start(toks, k)
        if not roles.explicit and b < k and not _only_adverbs(toks, b, k):
            roles.explicit = _units_ending_at(text, toks, k, resolver)
        after = k + 2
        if phrase_is(toks, after, "phoi hop"):
            roles.support += _support_after(text, toks, after + 2, resolver)
        break
    # "Phối hợp (chặt chẽ) với Y" at the start of a clause; "X chủ trì, Y phối hợp"
    for k in range(n):
        if not phrase_is(toks, k, "phoi hop"):
            continue
        b = _clause_start(toks, k)
        if k > 0 and phrase_is(toks, max(0, k - 2), "chu tri"):
            continue
        if _only_adverbs(toks, b, k):
            roles.support += _support_after(text, toks, k + 2, resolver)
        elif roles.explicit and b < k:
            roles.support += _units_ending_at(text, toks, k, resolver)
    # "X báo cáo ..." : units at the very start (after "Đồng thời," & co.), followed by a verb
    first = 0
    for opener in SENTENCE_OPENERS:
        n_words = len(opener.split())
        if phrase_is(toks, 0, opener) and n_words < n and "," in toks[n_words].gap:
            first = n_words
            break
    spans, end = read_units(toks, first, resolver)
    if spans and end < n and stop_at(toks, end):
        roles.subject = _spans_text(text, toks, spans)
    roles.support = list(dict.fromkeys(roles.support))
    return roles


def _support_after(text: str, toks: Sequence[Tok], k: int, resolver: UnitResolver) -> list[str]:
    for link in SUPPORT_LINKS:
        if phrase_is(toks, k, link):
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
        if phrase_is(toks, 0, prefix):
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


def addressed(text: str, resolver: UnitResolver) -> list[str]:
    """Units an introduction addresses: "... yêu cầu các phòng, đơn vị thực hiện ...:"."""
    toks = tokenize(text)
    for k in range(len(toks)):
        for verb in ADDRESS_VERBS:
            if phrase_is(toks, k, verb):
                spans, _end = read_units(toks, k + len(verb.split()), resolver)
                if spans:
                    return _spans_text(text, toks, spans)
    return []


def field_of(text: str) -> tuple[str, str] | None:
    m = re.match(r"^([^:]{2,40}):\s*(.*)$", text, re.DOTALL)
    if m is None:
        return None
    label = re.sub(r"\s+", " ", fold(m.group(1))).strip()
    role = FIELDS.get(label)
    return (role, m.group(2).strip()) if role else None


def is_preamble(text: str) -> bool:
    f = fold(text)
    return any(f == w or f.startswith(w + " ") for w in PREAMBLE_OPENERS)


def is_closing(text: str) -> bool:
    f = fold(text)
    if CLOSING_END.search(text) or any(c in f for c in CLOSING_ANY):
        return True
    return any(f.startswith(c) for c in CLOSING_START)


def is_deadline_paragraph(text: str, deadline: Deadline | None, resolver: UnitResolver) -> bool:
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
    return bool(subject) and all(is_vague(p) for p in subject) and phrase_is(toks, end, "bao cao")


def split_roles(cell: str) -> tuple[str, str]:
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


def cell_units(text: str, resolver: UnitResolver) -> list[str]:
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
