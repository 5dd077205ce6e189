"""The parts of an administrative document around its body: header, recipients, signature.

Header (top of the document, in any order; a two-column header flattened onto one line, e.g.
"Số: 12/UBND-VP      Hòa Phong, ngày 15 tháng 11 năm 2025", is read piece by piece: the motto is
taken out, then the number, then the place and date):
- issuer: the upper-case lines above the number ("ỦY BAN NHÂN DÂN" / "PHƯỜNG HÒA THẮNG" ->
  "UBND phường Hòa Thắng"; "UBND TỈNH LÀO CAI" / "VĂN PHÒNG" -> "Văn phòng UBND tỉnh Lào Cai");
- number: "Số: 4085/UBND-ĐT" -> "4085/UBND-ĐT"; a draft's "Số:    /UBND" -> "/UBND";
- place and date: "Hòa Thắng, ngày 15 tháng 11 năm 2025"; blanks ("ngày    tháng 8 năm 2025")
  give no date but the text is kept;
- subject: the "V/v ..." line (wrapped lines joined) or the title block under the kind's title
  ("CHỈ THỊ" / "Về việc ..."); kind: the title, else the number's symbol ("/KH-" -> ke_hoach),
  else "V/v" (công văn), else the document's words about itself ("công văn này");
- addressees: the "Kính gửi:" list.
"Nơi nhận" and the signature are read by directive_foot.

`clean_lines` is the first step for every part of the directive reader: markdown marks removed,
tabs turned into " | " column separators, line numbers kept. Vocabulary is in the block below.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ingest.textnorm import fold, nfc

# =============================================================================================
# Vocabulary (folded)
# =============================================================================================

KIND_TITLES = {
    "chi thi": "chi_thi",
    "cong van": "cong_van",
    "ke hoach": "ke_hoach",
    "thong bao": "thong_bao",
    "thong bao ket luan": "thong_bao_ket_luan",
    "ket luan": "ket_luan",
    "quyet dinh": "quyet_dinh",
    "bao cao": "bao_cao",
    "to trinh": "to_trinh",
    "giay moi": "giay_moi",
    "huong dan": "huong_dan",
    "chuong trinh": "chuong_trinh",
    "nghi quyet": "nghi_quyet",
    "phuong an": "phuong_an",
    "de an": "de_an",
    "quy che": "quy_che",
    "cong dien": "cong_dien",
    "phu luc": "phu_luc",
}
# The symbol after the number: "308/KH-UBND" -> ke_hoach; "4085/UBND-ĐT" -> cong_van.
SYMBOL_KINDS = {
    "ct": "chi_thi",
    "kh": "ke_hoach",
    "tb": "thong_bao",
    "qd": "quyet_dinh",
    "bc": "bao_cao",
    "ttr": "to_trinh",
    "gm": "giay_moi",
    "hd": "huong_dan",
    "ctr": "chuong_trinh",
    "nq": "nghi_quyet",
    "kl": "ket_luan",
    "cd": "cong_dien",
    "ubnd": "cong_van",
    "vp": "cong_van",
}
SELF_REFERENCE = ("nay", "chi dao")  # "thực hiện nghiêm túc Chỉ thị này", "công văn chỉ đạo"
MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc")
SUBJECT_PREFIX = re.compile(r"^\s*(?:V/v|V/V|v/v|Về việc|VỀ VIỆC)\b", re.UNICODE)
ADDRESSEE_LABEL = "kinh gui"
COPIES_LABEL = "noi nhan"
# "Nơi nhận" entries that are not recipients: "Như trên", "Lưu: VT".
NOT_RECIPIENTS = ("nhu tren", "nhu kinh gui", "nhu dieu", "nhu muc", "luu", "luu tru")
# Lines that start the body: the title block and the subject end before them.
BODY_OPENERS = (
    "can cu",
    "thuc hien",
    "theo",
    "xet",
    "de",
    "nham",
    "ngay",
    "thoi gian qua",
    "trong thoi gian",
    "vua qua",
    "hien nay",
    "sau khi",
    "tiep theo",
    "tren co so",
    "nhan duoc",
    "qua",
    "nhu",
    "ubnd",
    "uy ban nhan dan",
    "chu tich",
    "van phong",
)
# Signature capacities (upper case in the document).
SIGN_PREFIX = re.compile(r"^(?:TM|KT|TL|TUQ|Q|Q\.)\s*\.\s*\S")
# Administrative words kept in lower case when an upper-case issuer is rewritten.
ADMIN_WORDS = (
    "thanh pho",
    "thi xa",
    "thi tran",
    "dac khu",
    "phuong",
    "xa",
    "tinh",
    "huyen",
    "quan",
)
PLACE_INNER_WORDS = ("pho", "xa", "tran", "khu")  # "Thành phố Hồ Chí Minh, ngày ..."
PROPER_PLACES = {"thanh pho ho chi minh": "Thành phố Hồ Chí Minh"}
BODY_NAMES = ("van phong", "so", "phong", "ban", "trung tam")  # "VĂN PHÒNG" under "UBND TỈNH"
MAX_HEADER_LINES = 40

# =============================================================================================


@dataclass(frozen=True)
class Line:
    no: int  # 1-based line number in the input
    text: str


@dataclass
class Header:
    issuer: str | None = None
    kind: str | None = None
    number: str | None = None
    date: dt.date | None = None
    date_text: str | None = None
    place: str | None = None
    subject: str | None = None
    addressees: list[str] = field(default_factory=list)
    end: int = 0  # index into the lines where the body starts


_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff\u00ad]")


def clean_lines(text: str) -> list[Line]:
    """Lines without markdown marks; tabs between columns become " | "."""
    text = _ZERO_WIDTH.sub("", nfc(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[Line] = []
    for no, raw in enumerate(text.split("\n"), start=1):
        s = raw.replace("\u00a0", " ").replace("\u3000", " ")
        s = re.sub(r"<br\s*/?>", " ", s, flags=re.IGNORECASE)
        if _MD_TABLE_RULE.match(s) and "-" in s:
            lines.append(Line(no, ""))
            continue
        s = s.strip()
        s = re.sub(r"^#{1,6}\s+", "", s)
        s = s.replace("**", "").replace("__", "")
        s = re.sub(r"^\*(\S(?:.*\S)?)\*$", r"\1", s)
        s = re.sub(r"\\([-.*_#+()\[\]>|])", r"\1", s)
        s = re.sub(r"^>\s*", "", s)
        if s.startswith("|") and s.endswith("|") and s.count("|") >= 3:
            s = s[1:-1]
        s = re.sub(r" *\t *", " | ", s.strip())  # one separator per tab: empty cells stay
        s = re.sub(r"^\|\s*|\s*\|$", "", s)
        lines.append(Line(no, s.strip()))
    return lines


def _segments(text: str) -> list[str]:
    """Columns of a flattened header line."""
    parts = re.split(r"\s+\|\s+", text)
    out: list[str] = []
    for part in parts:
        rest = part
        for motto in MOTTO:
            rest = _remove_folded(rest, motto)
        rest = rest.strip(" -|")
        if rest:
            out.append(rest)
    return out


def _remove_folded(text: str, phrase: str) -> str:
    """Removes a phrase matched on folded text (same length, so positions carry over)."""
    f = _fold_same_length(text)
    words = phrase.replace("-", " - ").split()
    m = re.search(r"\s*".join(re.escape(w) for w in words), f)
    if m is None:
        return text
    return (text[: m.start()] + " " + text[m.end() :]).strip()


def _fold_same_length(text: str) -> str:
    out = []
    for ch in text:
        f = fold(ch) if not ch.isspace() else " "
        out.append(f[:1] if f else " ")
    return "".join(out)


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


_DATE = re.compile(
    r"(?P<lead>,\s*|^\s*)ngày\s*(?P<d>\d{1,2}|[\s.…_]*?)\s*tháng\s*(?P<m>\d{1,2}|[\s.…_]*?)\s*"
    r"năm\s*(?P<y>\d{4}|[\s.…_]*)",
    re.IGNORECASE,
)


_NUMBER = re.compile(r"^Số\s*[:.]?\s*(?P<rest>.*)$")


_NUMBER_TOKEN = re.compile(r"[\w.&…\-]*/\s*[\w.&/\-]+|[\w.&\-]*\d[\w.&/\-]*", re.UNICODE)


def _read_number(rest: str) -> tuple[str | None, str]:
    rest = re.sub(r"(?<=\S)\s+/\s*|\s*/\s+(?=\S)", "/", rest.strip())  # "1207 /UBND-VP"
    m = _NUMBER_TOKEN.search(rest)
    if m is None or m.start() > 12:
        return None, rest
    token = re.sub(r"\s+", "", m.group()).lstrip(".…_")
    return (token or None), rest[m.end() :]


def _read_date(segment: str) -> tuple[str | None, dt.date | None, str | None] | None:
    """(place, date, text) from "Hòa Thắng, ngày 15 tháng 11 năm 2025"."""
    m = _DATE.search(segment)
    if m is None:
        return None
    before = segment[: m.start()].rstrip()
    words = before.split()
    place_words: list[str] = []
    for word in reversed(words):
        inner = place_words and fold(word) in PLACE_INNER_WORDS
        if not (word[:1].isupper() or inner) or "/" in word or ":" in word:
            break
        place_words.insert(0, word)
        if len(place_words) >= 6:
            break
    place = " ".join(place_words) or None
    if m.group("lead").strip() == "," and place is None:
        return None
    when: dt.date | None = None
    d, mo, y = m.group("d").strip(), m.group("m").strip(), m.group("y").strip()
    if d.isdigit() and mo.isdigit() and y.isdigit():
        try:
            when = dt.date(int(y), int(mo), int(d))
        except ValueError:
            when = None
    start = m.start() if place is None else segment.rfind(place_words[0], 0, m.start())
    text = re.sub(r"[ \t]+$", "", segment[start : m.end()]).strip()
    return place, when, text


def _title_case(text: str) -> str:
    folded = fold(text)
    if folded in PROPER_PLACES:
        return PROPER_PLACES[folded]
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = fold(" ".join(words[i : i + 2]))
        if i + 1 < len(words) and pair in ADMIN_WORDS:
            out.append(" ".join(words[i : i + 2]).lower())
            i += 2
            continue
        if fold(words[i]) in ADMIN_WORDS:
            out.append(words[i].lower())
        else:
            out.append(words[i].capitalize())
        i += 1
    return " ".join(out)


def _issuer_part(text: str) -> str:
    """'ỦY BAN NHÂN DÂN' -> 'UBND'; 'PHƯỜNG HÒA THẮNG' -> 'phường Hòa Thắng'."""
    if not is_upper(text):
        return text
    words = text.split()
    f = fold(text)
    for long, short in (("uy ban nhan dan", "UBND"), ("hoi dong nhan dan", "HĐND")):
        for written in (long, fold(short)):
            if f == written or f.startswith(written + " "):
                rest = words[len(written.split()) :]
                return short + (" " + _title_case(" ".join(rest)) if rest else "")
    if f.split()[0] in {b.split()[0] for b in BODY_NAMES}:
        return text[:1] + text[1:].lower()  # "VĂN PHÒNG" -> "Văn phòng"
    return _title_case(text)


def _issuer(lines: list[str]) -> str | None:
    parts = [_issuer_part(re.sub(r"\s+", " ", line).strip(" -_")) for line in lines]
    parts = [p for p in parts if p]
    if len(parts) >= 2 and any(fold(parts[-1]).startswith(b) for b in BODY_NAMES):
        return parts[-1] + " " + " ".join(parts[:-1])  # "Văn phòng UBND tỉnh Lào Cai"
    return " ".join(parts) or None


def kind_from_number(number: str | None) -> str | None:
    if not number or "/" not in number:
        return None
    symbol = number.split("/")[-1]  # "308/KH-UBND" -> "KH-UBND"; "61/2018/NĐ-CP" -> "NĐ-CP"
    first = fold(re.split(r"[-–]", symbol)[0]).strip()
    return SYMBOL_KINDS.get(first)


def kind_from_self_reference(text: str) -> str | None:
    f = fold(text)
    best: tuple[int, str] | None = None
    for words, code in KIND_TITLES.items():
        for tail in SELF_REFERENCE:
            for m in re.finditer(rf"\b{words} {tail}\b", f):
                if best is None or m.start() > best[0]:
                    best = (m.start(), code)
    return best[1] if best else None


def _opener(text: str) -> bool:
    f = fold(text)
    return any(f == o or f.startswith(o + " ") or f.startswith(o + ",") for o in BODY_OPENERS)


_MARKER = re.compile(r"^(?:[IVX]{1,5}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])\s*[.)]\s|^[-–—•+*]\s")


def parse_header(lines: list[Line]) -> Header:
    head = Header()
    issuer_lines: list[str] = []
    i = 0
    n = min(len(lines), MAX_HEADER_LINES)
    last_header = -1
    while i < n:
        text = lines[i].text
        if not text or re.fullmatch(r"[-_=.…*\s]+", text):
            i += 1
            continue
        segments = _segments(text)
        if not segments:  # only the motto
            last_header = i
            i += 1
            continue
        header_line = True
        jump = i + 1
        for seg in segments:
            number = _NUMBER.match(seg)
            if number and head.number is None:
                head.number, seg = _read_number(number.group("rest"))
                seg = seg.strip(" |")
                if not seg:
                    continue
            got = _read_date(seg)
            if got and head.date_text is None and (got[0] or fold(seg).startswith("ngay")):
                head.place, head.date, head.date_text = got
                found = got[2] or ""
                seg = seg[: seg.find(found)].strip(" |") if found and found in seg else ""
                if not seg:
                    continue
            seg = re.sub(r"\s{3,}", "  ", seg)
            f = fold(seg)
            if SUBJECT_PREFIX.match(seg) and head.subject is None and f.startswith("v/v"):
                jump = _subject(lines, i, seg, head)
                continue
            if f.rstrip(" :").startswith(ADDRESSEE_LABEL):
                jump = _addressees(lines, i, seg, head)
                continue
            title = f.rstrip(" :")
            if title in KIND_TITLES and (is_upper(seg) or len(segments) == 1) and head.kind is None:
                head.kind = KIND_TITLES[title]
                jump = _title_block(lines, i + 1, head)
                continue
            if (
                is_upper(seg)
                and head.number is None
                and head.date_text is None
                and head.kind is None
                and len(seg) <= 80
            ):
                issuer_lines.append(seg)
                continue
            header_line = False
            break
        if not header_line:
            break
        last_header = max(last_header, jump - 1)
        i = jump
    head.end = last_header + 1
    head.issuer = _issuer(issuer_lines)
    if head.kind == "thong_bao" and head.subject and fold(head.subject).startswith("ket luan"):
        head.kind = "thong_bao_ket_luan"
    if head.kind is None:
        head.kind = kind_from_number(head.number)
    if head.kind is None and head.subject and fold(head.subject).startswith("v/v"):
        head.kind = "cong_van"
    return head


def _subject(lines: list[Line], i: int, first: str, head: Header) -> int:
    parts = [first.strip()]
    j = i + 1
    while j < len(lines) and len(parts) < 4:
        text = lines[j].text
        if not text and j + 1 < len(lines) and lines[j + 1].text[:1].islower():
            j += 1  # a blank line between wrapped lines, the next going on in lower case
            continue
        if not text or len(text) > 160 or _stops_subject(text):
            break
        if re.search(r"[.:;]$", parts[-1]):
            break
        parts.append(text)
        j += 1
    head.subject = re.sub(r"\s+", " ", " ".join(parts)).strip()
    return j


def _stops_subject(text: str) -> bool:
    f = fold(text)
    return bool(
        _NUMBER.match(text)
        or _read_date(text)
        or f.startswith(ADDRESSEE_LABEL)
        or f.rstrip(" :") in KIND_TITLES
        or any(m in f for m in MOTTO)
        or _opener(text)
        or _MARKER.match(text)
        or " | " in text
    )


def _addressees(lines: list[Line], i: int, seg: str, head: Header) -> int:
    inline = seg.split(":", 1)[1] if ":" in seg else seg[len("Kính gửi") :]
    inline = inline.strip()
    if inline:
        for part in re.split(r"\s*;\s*", inline):
            add_recipient(head.addressees, part)
    j = i + 1
    last = ""
    while j < len(lines):
        text = lines[j].text
        if not text:
            nxt = lines[j + 1].text if j + 1 < len(lines) else ""
            if re.match(r"^[-–+•]\s*", nxt) or (head.addressees and _goes_on(last, nxt)):
                j += 1
                continue
            break
        if not re.match(r"^[-–+•]\s*", text):
            if head.addressees and _goes_on(last, text):
                head.addressees[-1] = _clean_item(head.addressees[-1] + " " + text)
                last = text
                j += 1
                continue
            break
        add_recipient(head.addressees, text)
        last = text
        j += 1
    return j


def _goes_on(prev: str, text: str) -> bool:
    """A wrapped list item: the previous line has no ";" or "." and this one is short."""
    if not prev or not text or re.search(r"[;.:]\s*$", prev) or len(text) > 80:
        return False
    if _NUMBER.match(text) or _read_date(text) or fold(text).startswith(ADDRESSEE_LABEL):
        return False
    return text[:1].islower() or len(prev) >= 50


def _clean_item(text: str) -> str:
    item = re.sub(r"^[-–+•]\s*", "", text).strip()
    item = re.sub(r"\s*[;,.]+$", "", item).strip()
    return re.sub(r"\s+", " ", item)


def add_recipient(out: list[str], text: str) -> None:
    item = _clean_item(text)
    if not item:
        return
    f = fold(item)
    if any(f == w or f.startswith(w + " ") or f.startswith(w + ":") for w in NOT_RECIPIENTS):
        return
    if item not in out:
        out.append(item)


def _title_block(lines: list[Line], j: int, head: Header) -> int:
    parts: list[str] = []
    upper: bool | None = None
    last = j
    while j < len(lines) and len(parts) < 6:
        text = lines[j].text
        if not text:
            j += 1
            continue
        if len(text) > 250 or _stops_subject(text) or SIGN_PREFIX.match(text):
            break
        if upper is None:
            upper = is_upper(text)
        elif is_upper(text) != upper:
            break
        if parts and re.search(r"[.;]$", parts[-1]):
            break
        parts.append(text)
        j += 1
        last = j
    if parts:
        head.subject = re.sub(r"\s+", " ", " ".join(parts)).strip()
    return last
