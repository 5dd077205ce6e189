"""Read a ward's 766 score report from text, as ward documents write it.

`read_score_text` finds the six group scores ("Tiến độ giải quyết: 19,93/20 điểm"), the total
("đạt 94,72 điểm", "Chỉ số tổng hợp 87,09/100 điểm", "Tổng điểm: 69,93"), the rank ("xếp hạng
80/114", "đứng thứ 05/65"), table rows ("2 Tiến độ giải quyết 20 12,53 96"), the period
("Số liệu tháng 11/2025", "Lũy kế năm 2025", "quý IV/2025", "6 tháng đầu năm 2025") and the
date of the figures ("tính đến ngày 15/11/2025"), and returns one `SnapshotDraft` per period.

How it reads:
- The text is folded (lower case, no diacritics) into one line ("flow") with a map back to
  the original characters, so a phrase broken across lines anywhere still matches.
- Dates, period labels, ranks and "còn 04 nhóm chưa đạt điểm tối đa" are found first and
  blanked out, so their numbers are never taken for scores.
- Table rows are read line by line (a row lives on one line), then blanked.
- Every remaining "x/y điểm", "x điểm" or "label: x" is classified by the words just before
  it (the clause after the last ; . : ( ) ): a group name (longest alias, the one ending last),
  a total label, or "đạt" with no group named (a total).
- Items belong to the period whose label comes last before them (items before any label
  belong to the first one). A total stated in a text with several periods goes to the period
  whose group sum matches it.

All Vietnamese vocabulary is data in the block below (folded forms). No user-facing text is
produced here: problems carry a code and plain params (PROBLEM_CODES).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from ingest.index_groups import BY_CODE, GROUP_CODES, GROUPS, TOTAL_MAX
from ingest.snapshot_draft import GroupScore, PeriodKind, Problem, ScoreReadError, SnapshotDraft
from ingest.textnorm import fold, nfc

# =============================================================================================
# Vocabulary (folded: lower case, no diacritics, đ -> d). Phrases use single spaces.
# =============================================================================================

POINT_WORDS = ("diem", "d")  # "19,93/20 điểm", "18/18đ"
# Words between a name and its score: "Tiến độ giải quyết đạt 19,93 điểm".
LINK_WORDS = ("dat duoc", "dat", "la", "duoc", "bang", "co", "voi", "ty le", "chiem")
# A verb that makes "x điểm" a total when no group is named: "phường X đạt 94,72 điểm".
TOTAL_VERBS = ("dat duoc", "dat")
# Labels of the total, matched at the end of the name clause.
TOTAL_LABELS = (
    "chi so tong hop",
    "diem tong hop",
    "tong so diem",
    "tong diem",
    "diem tong",
    "tong cong",
    "tong chi so",
    "diem chung",
    "ket qua chung",
    "tong hop",
)
# Names that mean the total only when they are the whole clause ("Điểm: 87,09/100").
TOTAL_WHOLE_NAMES = ("diem", "diem so", "ket qua", "tong", "cong", "tong so")
RANK_LABELS = (
    "xep hang thu",
    "xep hang",
    "xep thu",
    "dung hang thu",
    "dung hang",
    "dung thu",
    "thu hang",
    "hang thu",
    "vi tri thu",
)
RANK_LABELS_NEED_OF = ("hang", "vi tri")  # only with "x/y": "hạng 80/114"
RANK_OF_LINKS = ("tren tong so", "trong tong so", "trong so", "tren", "trong", "/")
# Just before a number, these mean it is not a score: "tăng 2,5 điểm", "từ 90 điểm".
NOT_SCORE_BEFORE = (
    "tang",
    "tang them",
    "giam",
    "mat",
    "thieu",
    "bi tru",
    "tru",
    "hon",
    "chenh lech",
    "duoi",
    "tren",
    "den",
    "khoang",
    "gan",
    "toi da",
    "toi thieu",
    "it nhat",
    "so voi",
    "them",
)
NOT_SCORE_AFTER = ("so voi", "tro len", "tro xuong", "tro lai")
# Anywhere in the clause: a target or estimate, not a result.
TARGET_WORDS = (
    "phan dau",
    "muc tieu",
    "du kien",
    "ke hoach",
    "can dat",
    "phai dat",
    "nham dat",
    "de dat",
    "uoc dat",
    "uoc tinh",
    "chi tieu giao",
)
# After "x/y" with no "điểm": counts of something else ("12/15 hồ sơ").
UNIT_WORDS = (
    "thu tuc",
    "tthc",
    "ho so",
    "don vi",
    "xa",
    "phuong",
    "nguoi",
    "luot",
    "trieu",
    "ty",
    "dong",
    "van ban",
    "ngay",
    "thang",
    "nam",
    "lan",
    "phan tram",
    "truong hop",
    "cuoc",
    "phan anh",
    "kien nghi",
    "giay",
    "ban",
)
# Words that may stand before a group name without changing it ("Chỉ số về số hóa hồ sơ").
NAME_FILLERS = (
    "nhom chi tieu",
    "nhom chi so",
    "nhom tieu chi",
    "chi so ve",
    "chi so",
    "chi tieu",
    "tieu chi",
    "nhom",
    "ve",
    "diem",
)
# In a "name: x điểm" clause with no group named, these make x the total ("Kết quả Bộ chỉ số").
TOTAL_HINT_WORDS = ("bo chi so", "chi so", "ket qua", "diem so", "tong")
# Names of sub-criteria (DOMAIN.md), listed under a group in detailed reports: a "name: x/y
# điểm" with these words before the group name, or with them and a maximum that is not the
# group's, is a sub-criterion and is skipped; with no group name it is skipped, not unknown.
SUBCRITERION_WORDS = (
    "ho so",
    "tthc",
    "thu tuc",
    "ty le",
    "cong bo",
    "cap nhat",
    "dong bo",
    "chung thuc",
    "tai su dung",
    "csdl",
    "co so du lieu",
    "kho du lieu",
    "phan anh",
    "kien nghi",
    "pakn",
    "ket qua dien tu",
    "thanh phan",
    "phat sinh",
    "dung han",
    "tiep nhan",
)
# Table rows whose name is one of these are the total row.
TOTAL_ROW_LABELS = (*TOTAL_LABELS, *TOTAL_WHOLE_NAMES, "tong diem dat", "tong cong diem")

# Periods.
MONTH_WORD = "thang"
MONTH_SHORT = "t"  # "T11/2025"
QUARTER_WORD = "quy"
YEAR_WORD = "nam"
ROMAN_NUMERALS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
HALF_PHRASES = {
    "6 thang dau nam": 1,
    "sau thang dau nam": 1,
    "nua dau nam": 1,
    "6 thang nam": 1,
    "6 thang cuoi nam": 2,
    "sau thang cuoi nam": 2,
    "nua cuoi nam": 2,
}
RUNNING_TOTAL_WORDS = ("luy ke tu dau nam", "luy ke", "tu dau nam den nay", "tu dau nam")
YEAR_RESULT_WORDS = ("ket qua ca nam", "ket qua nam", "so lieu nam", "ca nam")
UNTIL_WORDS = ("tinh den het", "tinh den", "den het", "den", "toi")
# A period mentioned after these is a comparison or a deadline, not the report's period.
PERIOD_SKIP_BEFORE = (
    "so voi",
    "so voi cung ky",
    "cung ky",
    "hoan thanh trong",
    "hoan thanh truoc",
    "hoan thanh",
    "truoc",
    "cham nhat",
    "trong thoi han",
    "han",
    "ke tu",
)

# Dates of the figures: label -> strength (2 = says the data date; 1 = plausible).
DATE_WORD = "ngay"
AS_OF_LABELS = {
    "so lieu tinh den het": 2,
    "so lieu tinh den": 2,
    "so lieu den het": 2,
    "so lieu den": 2,
    "so lieu": 2,
    "tinh den het": 2,
    "tinh den": 2,
    "trich xuat": 2,
    "truy xuat": 2,
    "cap nhat den": 2,
    "cap nhat": 2,
    "thoi diem": 2,
    "den het": 1,
    "den": 1,
    "tai": 1,
    "vao": 1,
}
DEADLINE_WORDS = (
    "hoan thanh",
    "cham nhat",
    "truoc",
    "thoi han",
    "han chot",
    "han",
    "ke tu",
    "hieu luc",
    "tu",
)
DOC_WORDS = (
    "quyet dinh",
    "cong van",
    "ke hoach",
    "chi thi",
    "thong bao",
    "nghi quyet",
    "nghi dinh",
    "thong tu",
    "van ban",
    "to trinh",
    "bao cao so",
    "ban hanh",
)

# "vẫn còn 04 nhóm chỉ tiêu chưa đạt điểm tối đa", "các nhóm còn lại đạt điểm tối đa".
COUNT_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6}
GROUP_NOUNS = ("nhom chi tieu", "nhom chi so", "nhom tieu chi", "nhom noi dung", "nhom")
BELOW_MAX_PHRASES = (
    "chua dat diem toi da",
    "chua dat toi da",
    "chua dat diem tuyet doi",
    "chua dat tuyet doi",
    "khong dat diem toi da",
    "khong dat toi da",
    "bi tru diem",
    "bi mat diem",
    "mat diem",
)
AT_MAX_PHRASES = ("dat diem toi da", "dat toi da", "dat diem tuyet doi", "dat tuyet doi")
STILL_WORDS = ("van con", "van", "con", "deu")
REST_WORDS = ("con lai", "khac")
REST_NOUNS = (*GROUP_NOUNS, "chi tieu", "chi so", "tieu chi")

# =============================================================================================
# Problems
# =============================================================================================

PROBLEM_CODES: dict[str, str] = {
    "no_scores_found": "no params: no group score, total or rank could be read",
    "unknown_group": "name (as written): a '<name>: x/y điểm' line or table row names no group",
    "score_above_max": "group (code), score, max (the table's max for that group)",
    "negative_score": "group (code, or 'total'), score",
    "wrong_group_max": "group (code), max (as stated), expected (the table's max)",
    "total_mismatch": "total (stated), computed (sum of the groups), period (period label)",
    "total_above_max": "total, max ('100')",
    "rank_out_of_range": "rank, rank_of ('' if unknown), group (code, '' for the overall rank)",
    "missing_groups": "groups (comma-joined codes not known), period (period label)",
    "unsupported_file": "name (file name): the extension is not .txt/.md/.csv/.xlsx",
    "unreadable_file": "name (file name): the file is corrupt or cannot be decoded",
    "missing_column": "column (canonical column name: period, cong_khai, ...)",
    "unknown_column": "column (the header as written): a column the index does not have",
    "bad_value": "row (1-based row number in the file), column (header as written), value",
    "period_out_of_range": "period (period label), first, last (the years allowed)",
    "date_out_of_range": "date (dd/mm/yyyy, the as-of date), first, last (the years allowed)",
    "too_many_rows": "rows (snapshots in the file), max (the setting max_import_rows)",
    "unpacked_too_large": "name (file name), limit_mb (megabytes): a zip that unpacks to too much",
}

TOTAL_TOLERANCE = Decimal("0.02")

# =============================================================================================
# Helpers built from the vocabulary
# =============================================================================================

_F = re.ASCII


def _alt(words: tuple[str, ...] | list[str]) -> str:
    """Regex alternation, longest first, any run of spaces where a phrase has one."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@lru_cache(maxsize=64)
def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(words, key=len, reverse=True))


def _ends_with(text: str, words: tuple[str, ...]) -> str | None:
    """The longest of `words` that `text` ends with, on a word boundary."""
    for w in _longest_first(words):
        if text.endswith(w) and (len(text) == len(w) or not text[-len(w) - 1].isalnum()):
            return w
    return None


def _has_words(norm: str, words: tuple[str, ...]) -> bool:
    padded = f" {norm} "
    return any(f" {w} " in padded for w in words)


_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def _name_norm(text: str) -> str:
    """Folded, every run of non-alphanumerics a single space ("công khai, minh bạch")."""
    folded = text.lower() if text.isascii() else fold(text)  # the flow is folded already
    return _NON_ALNUM_RE.sub(" ", folded).strip()


def dec_str(value: Decimal) -> str:
    """A Decimal as a plain string with '.', no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _to_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _build_aliases() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for g in GROUPS:
        for name in (g.name_vi, *g.aliases, g.portal_field):
            norm = _name_norm(name)
            if norm and norm not in seen:
                seen[norm] = g.code
    return sorted(seen.items(), key=lambda kv: len(kv[0]), reverse=True)


_ALIASES = _build_aliases()
_ALIAS_CODE = dict(_ALIASES)
_ALIAS_RE = re.compile(r"(?<![a-z0-9])(" + _alt([a for a, _ in _ALIASES]) + r")(?![a-z0-9])", _F)


def match_group(name: str) -> str | None:
    """The group code a name refers to, or None: the alias ending last, the longest there."""
    found = _find_alias(_name_norm(name))
    return found[0] if found else None


def _find_alias(norm: str) -> tuple[str, int, int] | None:
    """(code, start, end) of the alias that ends last in `norm` (longest on ties)."""
    best: tuple[str, int, int] | None = None
    for start in range(len(norm)):
        if start and norm[start - 1] != " ":
            continue
        m = _ALIAS_RE.match(norm, start)
        if m is None:
            continue
        cand = (_ALIAS_CODE[m.group(1)], m.start(), m.end())
        if best is None or cand[2] > best[2] or (cand[2] == best[2] and cand[1] < best[1]):
            best = cand
    return best


# =============================================================================================
# Periods
# =============================================================================================

PeriodKey = tuple[PeriodKind, int, int | None]


def period_label(draft: SnapshotDraft) -> str:
    """ "11/2025", "Q4/2025", "H1/2025" or "2025" (the year's running total)."""
    return _key_label((draft.period_kind, draft.year, draft.period))


def _key_label(key: PeriodKey) -> str:
    kind, year, period = key
    if kind == "month":
        return f"{period}/{year}"
    if kind == "quarter":
        return f"Q{period}/{year}"
    if kind == "half":
        return f"H{period}/{year}"
    return str(year)


_YEAR = r"([0-9]{4})"
_SEP_YEAR = r"\s*(?:[/.-]|" + YEAR_WORD + r")\s*"
_ROMAN = r"(" + _alt(list(ROMAN_NUMERALS)) + r"|[1-4])"

_RUNNING_RE = re.compile(
    r"(?<![a-z0-9])(?:" + _alt(RUNNING_TOTAL_WORDS) + r")"
    r"(?:\s+(?:" + _alt(RUNNING_TOTAL_WORDS) + r"))?"
    r"(?:\s+(?:" + _alt(UNTIL_WORDS) + r"))?"
    r"(?:\s+(?:"
    + YEAR_WORD
    + r"\s+"
    + _YEAR
    + r"|"
    + MONTH_WORD
    + r"\s+[0-9]{1,2}"
    + _SEP_YEAR
    + _YEAR
    + r"|"
    + QUARTER_WORD
    + r"\s+"
    + _ROMAN
    + r"(?![a-z0-9])"
    + _SEP_YEAR
    + _YEAR
    + r"))?",
    _F,
)
_YEAR_RESULT_RE = re.compile(
    r"(?<![a-z0-9])(?:" + _alt(YEAR_RESULT_WORDS) + r")\s+" + _YEAR + r"(?![0-9])", _F
)
_HALF_RE = re.compile(
    r"(?<![a-z0-9])(" + _alt(list(HALF_PHRASES)) + r")(?:\s+" + _YEAR + r"(?![0-9]))?", _F
)
_QUARTER_RE = re.compile(
    r"(?<![a-z0-9])"
    + QUARTER_WORD
    + r"\s+"
    + _ROMAN
    + r"(?![a-z0-9])"
    + _SEP_YEAR
    + _YEAR
    + r"(?![0-9])",
    _F,
)
_MONTH_RE = re.compile(
    r"(?<![a-z0-9])(?:"
    + MONTH_WORD
    + r"\s+|"
    + MONTH_SHORT
    + r")([0-9]{1,2})(?:"
    + _SEP_YEAR
    + _YEAR
    + r"(?![0-9/])|\s*(?=:))",
    _F,
)
_PERIOD_SKIP_RE = re.compile(r"(?<![a-z0-9])(?:" + _alt(PERIOD_SKIP_BEFORE) + r")\s*$", _F)

_COMPACT_PERIODS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^(?:"
            + MONTH_WORD
            + r"\s*|"
            + MONTH_SHORT
            + r"\s*)?([0-9]{1,2})\s*[/.-]\s*"
            + _YEAR
            + r"$",
            _F,
        ),
        "month",
    ),
    (re.compile(r"^" + _YEAR + r"\s*[/.-]\s*([0-9]{1,2})$", _F), "month_iso"),
    (
        re.compile(
            r"^(?:q|"
            + QUARTER_WORD
            + r")?\s*"
            + _ROMAN
            + r"\s*(?:[/.-]|"
            + YEAR_WORD
            + r")\s*"
            + _YEAR
            + r"$",
            _F,
        ),
        "quarter",
    ),
    (re.compile(r"^(?:h|6t|6 thang)\s*([12])\s*[/.-]\s*" + _YEAR + r"$", _F), "half"),
    (
        re.compile(
            r"^(?:(?:"
            + _alt(RUNNING_TOTAL_WORDS + YEAR_RESULT_WORDS)
            + r")\s*)?(?:"
            + YEAR_WORD
            + r"\s*)?"
            + _YEAR
            + r"$",
            _F,
        ),
        "year",
    ),
)


def _roman(text: str) -> int:
    return ROMAN_NUMERALS.get(text) or int(text)


def parse_period(text: str) -> PeriodKey | None:
    """A period written on its own: "11/2025", "tháng 11/2025", "Q4/2025", "IV/2025",
    "quý 3 năm 2025", "H1/2025", "6 tháng đầu năm 2025", "2025", "lũy kế 2025"."""
    folded = fold(text).strip(" :.;")
    for pattern, kind in _COMPACT_PERIODS:
        m = pattern.match(folded)
        if m is None:
            continue
        if kind == "month":
            month, year = int(m.group(1)), int(m.group(2))
            return ("month", year, month) if 1 <= month <= 12 else None
        if kind == "month_iso":
            year, month = int(m.group(1)), int(m.group(2))
            return ("month", year, month) if 1 <= month <= 12 else None
        if kind == "quarter":
            return ("quarter", int(m.group(2)), _roman(m.group(1)))
        if kind == "half":
            return ("half", int(m.group(2)), int(m.group(1)))
        return ("year", int(m.group(1)), None)
    m = _HALF_RE.fullmatch(folded)
    if m and m.group(2):
        return ("half", int(m.group(2)), HALF_PHRASES[re.sub(r"\s+", " ", m.group(1))])
    return None


# =============================================================================================
# Numbers, dates, ranks, counts
# =============================================================================================

_NUM = r"[0-9]{1,3}(?:[.,][0-9]{1,3})?"
_NUM_END = r"(?![0-9/]|[.,][0-9])"
_NUM_START = r"(?<![0-9/])(?<![0-9][.,])"
_SCORE_RE = re.compile(
    _NUM_START
    + r"("
    + _NUM
    + r")(?![0-9]|[.,][0-9])"
    + r"(?:\s*/\s*("
    + _NUM
    + r")"
    + _NUM_END
    + r")?"
    + r"(?!\s*/)"
    + r"(?:\s*("
    + _alt(POINT_WORDS)
    + r")(?![a-z0-9]))?",
    _F,
)
_DATE_DMY_RE = re.compile(
    r"(?<![0-9/.,-])([0-9]{1,2})\s?([/.-])\s?([0-9]{1,2})\s?\2\s?([0-9]{4})(?![0-9])", _F
)
_DATE_ISO_RE = re.compile(r"(?<![0-9/.,-])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])", _F)
_DATE_LONG_RE = re.compile(
    r"(?<![a-z])"
    + DATE_WORD
    + r"\s+([0-9]{1,2})\s+"
    + MONTH_WORD
    + r"\s+([0-9]{1,2})\s+"
    + YEAR_WORD
    + r"\s+([0-9]{4})(?![0-9])",
    _F,
)
_DATE_DM_RE = re.compile(
    r"(?<![a-z])" + DATE_WORD + r"\s+([0-9]{1,2})\s*/\s*([0-9]{1,2})(?![0-9/]|[.,][0-9])", _F
)
_RANK_OF = r"(?:\s*(?:" + _alt(RANK_OF_LINKS) + r")\s*([0-9]{1,4})(?![0-9]|[.,][0-9]))?"
_RANK_RE = re.compile(
    r"(?<![a-z])(?:" + _alt(RANK_LABELS) + r")\s*(?:thu\s+)?[:\-]?\s*([0-9]{1,4})"
    r"(?![0-9]|[.,][0-9])" + _RANK_OF,
    _F,
)
_RANK_NEED_OF_RE = re.compile(
    r"(?<![a-z])(?:" + _alt(RANK_LABELS_NEED_OF) + r")\s*(?:thu\s+)?[:\-]?\s*([0-9]{1,4})\s*/\s*"
    r"([0-9]{1,4})(?![0-9]|[.,][0-9])",
    _F,
)
_COUNT = r"([0-9]{1,2}|" + _alt(list(COUNT_WORDS)) + r")"
_COUNT_RE = re.compile(
    r"(?<![a-z0-9])" + _COUNT + r"\s*(?:/\s*(?:6|sau)\s*)?(?:" + _alt(GROUP_NOUNS) + r")"
    r"(?:\s+(?:"
    + _alt(STILL_WORDS)
    + r"))?\s+(?:("
    + _alt(BELOW_MAX_PHRASES)
    + r")|("
    + _alt(AT_MAX_PHRASES)
    + r"))",
    _F,
)
_REST_RE = re.compile(
    r"(?<![a-z])(?:cac\s+)?(?:" + _alt(REST_NOUNS) + r")\s+(?:" + _alt(REST_WORDS) + r")"
    r"(?:\s+(?:" + _alt(STILL_WORDS) + r"))?\s+(?:" + _alt(AT_MAX_PHRASES) + r")",
    _F,
)
_DELIM_RE = re.compile(r"[:;()!?\[\]<>]|\.(?:\s|$)|\s-\s|^-\s", _F)
_TRAIL_RE = re.compile(
    r"(?:[\s\x00:=(\-,]+|(?<![a-z0-9])(?:" + _alt(LINK_WORDS) + r")|[0-9]+(?:[.,][0-9]+)?\s*%)$",
    _F,
)
_LEAD_RE = re.compile(r"^[\s\-+*#>.,]+", _F)
_AFTER_OK_RE = re.compile(
    r"^\s*(?:$|[;,.()\[\]:+\-\x00]|(?:"
    + _alt((*RANK_LABELS, "xep loai", "ty le"))
    + r")(?![a-z]))",
    _F,
)
_UNIT_AFTER_RE = re.compile(r"^\s*(?:%|(?:" + _alt(UNIT_WORDS) + r")(?![a-z]))", _F)
_NOT_AFTER_RE = re.compile(r"^\s*(?:" + _alt(NOT_SCORE_AFTER) + r")(?![a-z])", _F)


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


# =============================================================================================
# The document: folded flow with a map back to the original text
# =============================================================================================

_DROP = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad*`\x00")
_BLANK = "\x00"  # what found spans become in the masked flow: no regex crosses it


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold(ch)


def _fold_map(raw: str, base: int = 0) -> tuple[str, list[int]]:
    out: list[str] = []
    pos: list[int] = []
    space = True
    for i, ch in enumerate(raw):
        if ch in _DROP:
            continue
        if ch.isspace():
            if not space:
                out.append(" ")
                pos.append(base + i)
                space = True
            continue
        folded = _fold_char(ch)
        for c in folded:
            out.append(c)
            pos.append(base + i)
        if folded:
            space = False
    if out and out[-1] == " ":
        out.pop()
        pos.pop()
    return "".join(out), pos


class _Doc:
    def __init__(self, text: str) -> None:
        self.raw = nfc(text)
        self.flow, self.pos = _fold_map(self.raw)
        self.masked = list(self.flow)

    def blank(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.masked[i] = _BLANK

    def masked_text(self) -> str:
        return "".join(self.masked)

    def raw_span(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return re.sub(r"\s+", " ", self.raw[self.pos[start] : self.pos[end - 1] + 1]).strip()

    def flow_index(self, raw_index: int) -> int:
        return bisect_left(self.pos, raw_index)


# =============================================================================================
# Items found in the text
# =============================================================================================


@dataclass
class _Label:
    pos: int
    end: int
    kind: PeriodKind
    year: int | None
    period: int | None


@dataclass
class _Item:
    pos: int
    end: int
    kind: Literal["group", "total", "rank"]
    code: str = ""
    score: Decimal = Decimal("0")
    max_score: Decimal | None = None
    rank: int | None = None
    rank_of: int | None = None
    link: _Item | None = None  # a rank's group or total item


@dataclass
class _Section:
    key: PeriodKey
    order: int
    groups: dict[str, GroupScore] = field(default_factory=dict)
    totals: list[_Item] = field(default_factory=list)
    total: Decimal | None = None
    rank: int | None = None
    rank_of: int | None = None

    def known_sum(self) -> Decimal:
        return sum((g.score for g in self.groups.values()), Decimal("0"))

    def missing(self) -> list[str]:
        return [c for c in GROUP_CODES if c not in self.groups]

    def filled_sum(self) -> Decimal:
        return self.known_sum() + sum((BY_CODE[c].max_score for c in self.missing()), Decimal(0))

    def fill_at_max(self) -> None:
        for code in self.missing():
            g = BY_CODE[code]
            self.groups[code] = GroupScore(code, g.max_score, g.max_score, stated=False)


# =============================================================================================
# Passes
# =============================================================================================


def _find_dates(doc: _Doc) -> list[tuple[int, int, date | None, bool]]:
    """(start, end, date or None if invalid, day-month only) of every date; blanked."""
    found: list[tuple[int, int, date | None, bool]] = []
    text = doc.masked_text()
    for m in _DATE_LONG_RE.finditer(text):
        found.append((m.start(), m.end(), _valid_date(int(m[3]), int(m[2]), int(m[1])), False))
        doc.blank(m.start(), m.end())
    text = doc.masked_text()
    for m in _DATE_ISO_RE.finditer(text):
        found.append((m.start(), m.end(), _valid_date(int(m[1]), int(m[2]), int(m[3])), False))
        doc.blank(m.start(), m.end())
    text = doc.masked_text()
    for m in _DATE_DMY_RE.finditer(text):
        found.append((m.start(), m.end(), _valid_date(int(m[4]), int(m[3]), int(m[1])), False))
        doc.blank(m.start(), m.end())
    text = doc.masked_text()
    for m in _DATE_DM_RE.finditer(text):
        d, mo = int(m[1]), int(m[2])
        ok = 1 <= mo <= 12 and _valid_date(2024, mo, d) is not None
        found.append((m.start(1), m.end(), date(2024, mo, d) if ok else None, True))
        doc.blank(m.start(1), m.end())
    found.sort(key=lambda t: t[0])
    return found


_SENTENCE_END_RE = re.compile(r"[;:!?]|\.(?:\s|$)", _F)


SENTENCE_WINDOW = 400  # characters looked at on each side: a text with no stops stays linear


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (between . ; : ! ?) around text[start:end], at most SENTENCE_WINDOW
    characters on each side."""
    left = max(0, start - SENTENCE_WINDOW)
    for m in _SENTENCE_END_RE.finditer(text, left, start):
        left = m.end()
    stop = min(len(text), end + SENTENCE_WINDOW)
    right_m = _SENTENCE_END_RE.search(text, end, stop)
    return text[left : right_m.start() if right_m else stop]


def _find_periods(doc: _Doc) -> list[_Label]:
    labels: list[_Label] = []

    def take(m: re.Match[str], kind: PeriodKind, year: int | None, period: int | None) -> None:
        before = doc.flow[max(0, m.start() - 30) : m.start()]
        sentence = f" {_name_norm(_sentence(doc.flow, m.start(), m.end()))} "
        if not _PERIOD_SKIP_RE.search(before) and not any(
            f" {w} " in sentence for w in TARGET_WORDS
        ):
            labels.append(_Label(m.start(), m.end(), kind, year, period))
        doc.blank(m.start(), m.end())

    text = doc.masked_text()
    for m in _RUNNING_RE.finditer(text):
        years = [g for g in m.groups() if g and len(g) == 4]
        take(m, "year", int(years[0]) if years else None, None)
    text = doc.masked_text()
    for m in _YEAR_RESULT_RE.finditer(text):
        take(m, "year", int(m[1]), None)
    text = doc.masked_text()
    for m in _HALF_RE.finditer(text):
        half = HALF_PHRASES[re.sub(r"\s+", " ", m[1])]
        take(m, "half", int(m[2]) if m[2] else None, half)
    text = doc.masked_text()
    for m in _QUARTER_RE.finditer(text):
        take(m, "quarter", int(m[2]), _roman(m[1]))
    text = doc.masked_text()
    for m in _MONTH_RE.finditer(text):
        month = int(m[1])
        if not 1 <= month <= 12:
            doc.blank(m.start(), m.end())
            continue
        take(m, "month", int(m[2]) if m[2] else None, month)
    labels.sort(key=lambda lb: lb.pos)
    return labels


def _find_as_of(
    doc: _Doc, dates: list[tuple[int, int, date | None, bool]], today: date
) -> date | None:
    best: tuple[int, int, date] | None = None  # (strength, -pos, date)
    for start, _end, value, day_month in dates:
        if value is None:
            continue
        if day_month:
            value = (
                value.replace(year=today.year)
                if _valid_date(today.year, value.month, value.day)
                else None
            )
            if value is None:
                continue
            if value > today:
                prev = _valid_date(today.year - 1, value.month, value.day)
                if prev is None:
                    continue
                value = prev
        before = doc.flow[max(0, start - 60) : start].rstrip(" (,:")
        before = re.sub(r"(?<![a-z0-9])" + DATE_WORD + r"$", "", before).rstrip(" (,:")
        label = _ends_with(before, tuple(AS_OF_LABELS))
        if label is not None:
            rest = before[: len(before) - len(label)].rstrip(" (,:")
            if _ends_with(rest, DEADLINE_WORDS):
                continue
            strength = AS_OF_LABELS[label]
        else:
            # A bare "ngày dd/mm/yyyy": not a document's date, not a deadline, not future.
            has_word = doc.flow[max(0, start - 5) : start].strip().endswith(DATE_WORD)
            if not has_word or value > today or _ends_with(before, DEADLINE_WORDS):
                continue
            clause = re.split(r"[;.](?:\s|$)", before)[-1]
            if re.search(r"[0-9]\s*/\s*[a-z]", clause) or any(w in clause for w in DOC_WORDS):
                continue
            strength = 0
        cand = (strength, -start, value)
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best[2] if best else None


def _find_ranks(doc: _Doc) -> list[_Item]:
    items: list[_Item] = []
    for regex in (_RANK_RE, _RANK_NEED_OF_RE):
        text = doc.masked_text()
        for m in regex.finditer(text):
            items.append(
                _Item(
                    m.start(),
                    m.end(),
                    "rank",
                    rank=int(m[1]),
                    rank_of=int(m[2]) if m[2] else None,
                )
            )
            doc.blank(m.start(), m.end())
    return items


def _find_counts(doc: _Doc) -> tuple[int | None, bool]:
    """(number of groups below max if stated, whether "the other groups are at max")."""
    below: int | None = None
    text = doc.masked_text()
    for m in _COUNT_RE.finditer(text):
        n = int(m[1]) if m[1].isdigit() else COUNT_WORDS[m[1]]
        if 0 <= n <= len(GROUPS) and below is None:
            below = n if m[2] else len(GROUPS) - n
        doc.blank(m.start(), m.end())
    rest = False
    text = doc.masked_text()
    for m in _REST_RE.finditer(text):
        rest = True
        doc.blank(m.start(), m.end())
    return below, rest


# --- table rows ------------------------------------------------------------------------------

# Linear in the line: the lead is possessive and the name is one lazy run that cannot pass a
# digit (two lazy runs around "[a-z]" backtracked quadratically on long lines of words).
_ROW_RE = re.compile(
    r"^[\s\-+*.]*+(?:(?:[0-9]{1,2}|[ivx]{1,4})[.)]?\s+)?"
    r"((?=[^0-9:;/%=]*?[a-z])[^0-9:;/%=]*?)\s+(?=[0-9])"
    r"((?:[0-9]{1,3}(?:[.,][0-9]{1,3})?%?(?:\s*/\s*[0-9]{1,4})?\s*){2,5})$",
    _F,
)
ROW_MAX_CHARS = 300  # a table row (a name of a few words and 2-5 numbers) is never longer
_ROW_TOKEN_RE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,3})?%?(?:\s*/\s*[0-9]{1,4})?", _F)


@dataclass
class _Row:
    line_no: int
    flow_start: int
    flow_end: int
    item: _Item | None
    rank_item: _Item | None
    unknown: str | None


def _strip_fillers(norm: str) -> str:
    changed = True
    while changed:
        changed = False
        for w in sorted(NAME_FILLERS, key=len, reverse=True):
            if norm == w:
                return ""
            if norm.startswith(w + " "):
                norm = norm[len(w) + 1 :]
                changed = True
    return norm


def _row_numbers(tail: str) -> tuple[list[Decimal], int | None, int | None] | None:
    """Numbers of a row's tail (percent cells dropped) and a trailing "rank/of" if any."""
    nums: list[Decimal] = []
    rank_of: int | None = None
    tokens = [t for t in _ROW_TOKEN_RE.findall(tail) if not t.endswith("%")]
    for i, tok in enumerate(tokens):
        if "/" in tok:
            if i != len(tokens) - 1:
                return None
            a, b = (s.strip() for s in tok.split("/"))
            if not a.isdigit():
                return None
            nums.append(Decimal(a))
            rank_of = int(b)
        else:
            value = _to_decimal(tok)
            if value is None:
                return None
            nums.append(value)
    return nums, rank_of, len(tokens)


def _int_or_none(value: Decimal) -> int | None:
    return int(value) if value == value.to_integral_value() else None


def _read_rows(doc: _Doc) -> list[_Row]:
    rows: list[_Row] = []
    offset = 0
    lines = doc.raw.splitlines(keepends=True)
    next_filled: list[int] = [len(lines)] * (len(lines) + 1)  # first non-blank line after i
    for i in range(len(lines) - 1, -1, -1):
        next_filled[i] = (
            i + 1 if i + 1 < len(lines) and lines[i + 1].strip() else next_filled[i + 1]
        )
    non_blank_no = 0
    for idx, line in enumerate(lines):
        start = offset
        offset += len(line)
        cleaned = line.replace("|", " ").replace("\t", " ")
        folded, fmap = _fold_map(cleaned)
        if not folded:
            continue
        non_blank_no += 1
        if len(folded) > ROW_MAX_CHARS or (not folded[-1].isdigit() and folded[-1] != "%"):
            continue
        m = _ROW_RE.match(folded)
        if m is None:
            continue
        nxt = lines[next_filled[idx]] if next_filled[idx] < len(lines) else ""
        if re.match(r"^\s*(?:/|" + _alt(POINT_WORDS) + r"(?![a-z]))", fold(nxt), _F):
            continue  # a wrapped "name: x" whose "/y điểm" is on the next line
        parsed = _row_numbers(m[2])
        if parsed is None:
            continue
        nums, rank_of, _count = parsed
        norm = _name_norm(m[1])
        lstrip = len(line) - len(line.lstrip())
        f_start = doc.flow_index(start + lstrip)
        f_end = doc.flow_index(start + len(line.rstrip()))
        item, rank_item, unknown = _classify_row(norm, nums, rank_of, f_start, f_end)
        if item is None and unknown is None:
            continue
        if unknown is not None:
            unknown = re.sub(r"\s+", " ", line[fmap[m.start(1)] : fmap[m.end(1) - 1] + 1]).strip()
        rows.append(_Row(non_blank_no, f_start, f_end, item, rank_item, unknown))
    return rows


def _classify_row(
    norm: str, nums: list[Decimal], rank_of: int | None, f_start: int, f_end: int
) -> tuple[_Item | None, _Item | None, str | None]:
    if len(nums) > 3 or len(nums) < 2:
        return None, None, None
    found = _find_alias(norm)
    total_row = norm in TOTAL_ROW_LABELS
    if found and not total_row:
        code, a_start, a_end = found
        before = _strip_fillers(norm[:a_start].strip())
        after = norm[a_end:].strip()
        if len(before.split()) + len(after.split()) > 3 or _has_words(before, SUBCRITERION_WORDS):
            return None, None, None
        if _has_words(after, SUBCRITERION_WORDS) and BY_CODE[code].max_score not in nums[:2]:
            return None, None, None
        tmax = BY_CODE[code].max_score
        a, b = nums[0], nums[1]
        rank: int | None = None
        if len(nums) == 3:
            rank = _int_or_none(nums[2])
            if rank is None:
                return None, None, None
            score, max_score = (b, a) if a == tmax or b != tmax else (a, b)
        elif a == tmax and b <= a:
            max_score, score = a, b
        elif b == tmax and a <= b:
            score, max_score = a, b
        elif _int_or_none(b) is not None and b > tmax:
            score, max_score, rank = a, tmax, int(b)
        else:
            max_score, score = a, b
        item = _Item(f_start, f_end, "group", code, score, max_score)
        rank_item = None
        if rank is not None:
            rank_item = _Item(f_start, f_end, "rank", rank=rank, rank_of=rank_of, link=item)
        return item, rank_item, None
    if total_row:
        vals = nums[1:] if nums[0] == TOTAL_MAX and len(nums) >= 2 else nums
        if len(vals) > 2 or (len(vals) == 2 and _int_or_none(vals[1]) is None):
            return None, None, None
        item = _Item(f_start, f_end, "total", score=vals[0], max_score=TOTAL_MAX)
        rank_item = None
        if len(vals) == 2:
            rank_item = _Item(f_start, f_end, "rank", rank=int(vals[1]), rank_of=rank_of, link=item)
        return item, rank_item, None
    if 0 < len(norm.split()) <= 8 and not _has_words(norm, SUBCRITERION_WORDS):
        return None, None, norm
    return None, None, None


# --- scores in running text ------------------------------------------------------------------


@dataclass
class _Head:
    piece: str  # the name clause, folded (split at ; . : ( ) and at " - " bullets)
    wide: str  # the same without the split at " - " ("Tiến độ - kết quả giải quyết")
    start: int  # flow index where `piece` starts
    end: int
    colon: bool
    verb: bool


def _head(text: str, start: int, end: int) -> _Head:
    head = text[start:end]
    colon = verb = False
    while True:
        m = _TRAIL_RE.search(head)
        if m is None or m.start() == m.end():
            break
        stripped = m.group(0)
        if ":" in stripped or "=" in stripped:
            colon = True
        if _ends_with(_name_norm(stripped), TOTAL_VERBS):
            verb = True
        head = head[: m.start()]
    cut = wide_cut = 0
    for m in _DELIM_RE.finditer(head):
        cut = m.end()
        if "-" not in m.group(0):
            wide_cut = m.end()
    piece = head[cut:]
    lead = _LEAD_RE.match(piece)
    if lead:
        cut += lead.end()
        piece = piece[lead.end() :]
    return _Head(
        piece.strip(), head[wide_cut:].strip(), start + cut, start + len(head), colon, verb
    )


def _classify_name(head: _Head, bare: bool) -> tuple[str, str | None]:
    """What the name clause before a number names: ("group", code), ("subgroup", code) (a
    group name followed by sub-criterion words), ("total", None), ("skip", None) (not a
    score to read), ("none", None) (no name we know)."""
    norm = _name_norm(head.piece)
    total_label = _ends_with(norm, TOTAL_LABELS)
    if total_label is None and norm in TOTAL_WHOLE_NAMES:
        total_label = norm
    found = _find_alias(norm)
    if found is None:
        wide = _name_norm(head.wide)
        wide_found = _find_alias(wide)
        if wide_found is not None and wide_found[2] == len(wide):
            found = wide_found
            norm = wide
    if found is not None and total_label is not None:
        label_start = len(norm) - len(total_label)
        if found[2] == len(norm) and found[2] - found[1] > len(total_label):
            total_label = None  # the label is part of a longer group name
        elif found[2] <= label_start:
            found = None  # "Tiến độ ... tổng điểm": the label comes last
    if total_label is not None:
        return "total", None
    if found is not None:
        before = _strip_fillers(norm[: found[1]].strip())
        remainder = norm[found[2] :].strip()
        if _has_words(before, SUBCRITERION_WORDS):
            return "skip", None
        if remainder and (bare or len(remainder.split()) > 8):
            return "skip", None
        if _has_words(remainder, SUBCRITERION_WORDS):
            return "subgroup", found[0]
        return "group", found[0]
    if _has_words(norm, SUBCRITERION_WORDS):
        return "skip", None
    return "none", None


def _minus_before(text: str, pos: int) -> bool:
    """A minus sign stuck to the number at pos ("-19,78", "−19,78"; folding turns every dash
    into "-"), not a range ("18-20") or a bullet ("- 19")."""
    return pos > 0 and text[pos - 1] == "-" and (pos < 2 or not text[pos - 2].isalnum())


def _bare_group(head: _Head, after: str, score: Decimal) -> str | None:
    """The group of a number written with no "/max" and no "điểm" right after the group's
    name, in a list ("Công khai, minh bạch 13,2; Tiến độ giải quyết 19,93."): only when the
    name ends where the number starts, punctuation or the end follows, and the number fits
    the group's maximum (a table row's "18 18 38" or a year never does)."""
    if not _AFTER_OK_RE.match(after) or after.lstrip().startswith(("/", "-")):
        return None
    kind, code = _classify_name(head, True)
    if kind != "group" or code is None:
        return None
    if not 0 <= score <= BY_CODE[code].max_score:
        return None
    return code


HEAD_WINDOW = 400  # characters before a number that can name it (a clause, not a page)


def _read_flow(doc: _Doc) -> tuple[list[_Item], list[Problem]]:
    text = doc.masked_text()
    items: list[_Item] = []
    problems: list[Problem] = []
    prev_end = 0
    for m in _SCORE_RE.finditer(text):
        score_s, max_s, point = m.group(1), m.group(2), m.group(3)
        after = text[m.end() : m.end() + 40]
        if after.lstrip().startswith("%"):
            continue  # a rate, part of the next name's clause ("tỷ lệ 100% (18/18 điểm)")
        head_start, prev_end = max(prev_end, m.start() - HEAD_WINDOW), m.end()
        if not point and _UNIT_AFTER_RE.match(after):
            continue
        if _NOT_AFTER_RE.match(after):
            continue
        clause = _name_norm(re.split(r";|\.(?:\s|$)", text[head_start : m.start()])[-1])
        if any(f" {w} " in f" {clause} " for w in TARGET_WORDS):
            continue
        if _ends_with(clause, NOT_SCORE_BEFORE):
            continue
        score = _to_decimal(score_s)
        max_score = _to_decimal(max_s) if max_s else None
        if score is None:
            continue
        if _minus_before(text, m.start()):
            score = -score  # "-19,78/20": refused by validate, never stored as 19,78
        head = _head(text, head_start, m.start())
        bare = max_s is None and point is None
        if bare and not ((head.colon or head.verb) and _AFTER_OK_RE.match(after)):
            code = _bare_group(head, after, score)
            if code is not None:  # "Công khai, minh bạch 13,2;": a group named right before
                items.append(_Item(m.start(), m.end(), "group", code, score, None))
            continue
        kind, code = _classify_name(head, bare)
        if kind == "subgroup" and code is not None:
            if max_score is not None and max_score != BY_CODE[code].max_score:
                continue  # "Mức độ hài lòng trong tiếp nhận TTHC: 6/6 điểm"
            kind = "group"
        if kind == "group" and code is not None:
            items.append(_Item(m.start(), m.end(), "group", code, score, max_score))
            continue
        if kind == "total":
            if max_score is None or max_score == TOTAL_MAX:
                items.append(_Item(m.start(), m.end(), "total", score=score, max_score=max_score))
            continue
        if kind == "skip" or bare:
            continue
        words = _name_norm(head.piece).split()
        hinted = any(f" {w} " in f" {' '.join(words)} " for w in TOTAL_HINT_WORDS)
        if (max_score == TOTAL_MAX and (point or head.colon or head.verb)) or (
            (head.verb or (head.colon and hinted)) and point and max_score is None
        ):
            items.append(_Item(m.start(), m.end(), "total", score=score, max_score=max_score))
            continue
        if head.colon and point and max_score is not None and 0 < len(words) <= 10:
            name = doc.raw_span(head.start, head.end).strip(" :-–—.,;")
            problems.append(Problem("unknown_group", {"name": name}))
    return items, problems


# =============================================================================================
# Assembly
# =============================================================================================


def _infer_years(labels: list[_Label], as_of: date | None, today: date) -> None:
    ref = as_of or today
    known = [lb.year for lb in labels if lb.year is not None]
    for lb in labels:
        if lb.year is not None:
            continue
        if lb.kind == "month" and lb.period is not None:
            lb.year = ref.year - 1 if lb.period > ref.month else ref.year
        else:
            lb.year = known[0] if known else ref.year


def _section_of(pos: int, labels: list[_Label], starts: list[int] | None = None) -> int:
    """Index into labels (sorted by pos) of the label that governs a position."""
    if starts is None:
        starts = [lb.pos for lb in labels]
    return max(0, bisect_right(starts, pos) - 1)


_CLAUSE_END_RE = re.compile(r";|\.(?:\s|$)", _F)


def _link_ranks(doc: _Doc, ranks: list[_Item], items: list[_Item]) -> None:
    text = doc.masked_text()
    ordered = sorted(items, key=lambda it: it.pos)
    # the last item ending at or before a position: items sorted by pos, ends running max
    by_end = sorted(range(len(ordered)), key=lambda i: (ordered[i].end, i))
    ends = [ordered[i].end for i in by_end]
    last_upto: list[int] = []  # last_upto[k-1]: the highest index among by_end[:k]
    for i in by_end:
        last_upto.append(max(i, last_upto[-1]) if last_upto else i)
    totals = [it for it in ordered if it.kind == "total"]
    total_starts = [it.pos for it in totals]
    for r in ranks:
        if r.link is not None:
            continue
        k = bisect_right(ends, r.pos)
        if k:
            # of the items ending by r.pos, the last one in `ordered` order
            near = ordered[last_upto[k - 1]]
            between = text[near.end : r.pos]
            if r.pos - near.end <= 80 and not _CLAUSE_END_RE.search(between):
                r.link = near
                continue
        # "xếp hạng 80/114 với tổng điểm 94,72": a total just after, in the same clause.
        j = bisect_left(total_starts, r.end)
        if j < len(totals):
            nxt = totals[j]
            if nxt.pos - r.end <= 80 and not _CLAUSE_END_RE.search(text[r.end : nxt.pos]):
                r.link = nxt


def _add_group(section: _Section, item: _Item) -> None:
    table_max = BY_CODE[item.code].max_score
    max_score = item.max_score if item.max_score is not None else table_max
    old = section.groups.get(item.code)
    if old is not None and (old.max_score == table_max or max_score != table_max):
        return  # keep the first, unless only the new one has the table's max
    section.groups[item.code] = GroupScore(item.code, item.score, max_score)


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= TOTAL_TOLERANCE


class _SumIndex:
    """Sections with groups by their filled sum in cents, so that finding the periods whose
    sum matches a total does not look at every period (a text may hold thousands)."""

    def __init__(self, sections: list[_Section]) -> None:
        self.sums = {id(s): s.filled_sum() for s in sections}
        self.buckets: dict[int, list[_Section]] = {}
        for s in sections:
            self.buckets.setdefault(self._cents(self.sums[id(s)]), []).append(s)

    @staticmethod
    def _cents(value: Decimal) -> int:
        return int((value * 100).to_integral_value())

    def matches(self, section: _Section, total: Decimal) -> bool:
        value = self.sums.get(id(section))
        return value is not None and _close(value, total)

    def first_match(self, total: Decimal) -> _Section | None:
        """The first period (in order of mention) whose filled sum matches the total."""
        k = self._cents(total)
        spread = int(TOTAL_TOLERANCE * 100) + 1
        best: _Section | None = None
        for c in range(k - spread, k + spread + 1):
            for s in self.buckets.get(c, ()):  # each bucket is in order of mention
                if _close(self.sums[id(s)], total):
                    if best is None or s.order < best.order:
                        best = s
                    break
        return best


def _home_of_total(
    t: _Item, sec: _Section, with_groups: list[_Section], index: _SumIndex
) -> _Section | None:
    """The section a stated total belongs to; None when no period's groups match it."""
    if not with_groups or (sec.groups and len(with_groups) == 1):
        return sec
    if index.matches(sec, t.score):
        return sec
    first = index.first_match(t.score)
    if first is not None:
        return first
    if len(with_groups) == 1:
        return with_groups[0]
    return None


def read_score_text(text: str, *, today: date) -> list[SnapshotDraft]:
    """One draft per period found in a score report's text; ScoreReadError if none or invalid."""
    doc = _Doc(text)
    dates = _find_dates(doc)
    labels = _find_periods(doc)
    as_of = _find_as_of(doc, dates, today)
    rows = _read_rows(doc)
    for row in rows:
        doc.blank(row.flow_start, row.flow_end)
    ranks = _find_ranks(doc)
    below, rest_at_max = _find_counts(doc)
    flow_items, problems = _read_flow(doc)

    items = [*flow_items]
    known_lines = {r.line_no for r in rows if r.item is not None}
    for row in rows:
        if row.item is not None:
            items.append(row.item)
        if row.rank_item is not None:
            ranks.append(row.rank_item)
        near_known = any(row.line_no + d in known_lines for d in range(-2, 3))
        if row.unknown is not None and near_known:
            problems.append(Problem("unknown_group", {"name": row.unknown}))
    _link_ranks(doc, ranks, items)

    # Sections, one per period key, in order of first mention.
    if not labels:
        ref = as_of or today
        labels = [_Label(0, 0, "month", ref.year, ref.month)]
    _infer_years(labels, as_of, today)
    sections: dict[PeriodKey, _Section] = {}
    label_keys: list[PeriodKey] = []
    for lb in labels:
        key: PeriodKey = (lb.kind, lb.year if lb.year is not None else today.year, lb.period)
        label_keys.append(key)
        if key not in sections:
            sections[key] = _Section(key, len(sections))

    starts = [lb.pos for lb in labels]

    def section_at(pos: int) -> _Section:
        return sections[label_keys[_section_of(pos, labels, starts)]]

    for it in sorted(items, key=lambda it: it.pos):
        sec = section_at(it.pos)
        if it.kind == "group":
            _add_group(sec, it)
        else:
            sec.totals.append(it)

    # Ranks of one group.
    for r in ranks:
        if r.link is not None and r.link.kind == "group":
            sec = section_at(r.link.pos)
            g = sec.groups.get(r.link.code)
            if g is not None and g.rank is None:
                g.rank = r.rank
            if r.rank_of is not None and sec.rank_of is None:
                sec.rank_of = r.rank_of

    # Groups not stated: "còn 04 nhóm chưa đạt điểm tối đa", "các nhóm còn lại đạt tối đa".
    for sec in sections.values():
        stated = len(sec.groups)
        if stated and stated < len(GROUPS) and (rest_at_max or below == stated):
            sec.fill_at_max()

    # Totals: where they stand in a one-period text; by matching sum in a text with several.
    with_groups = [s for s in sections.values() if s.groups]
    sum_index = _SumIndex(with_groups)  # filling groups at max below keeps each filled sum
    total_home: dict[int, _Section] = {}
    for sec in list(sections.values()):
        for t in sec.totals:
            home = _home_of_total(t, sec, with_groups, sum_index)
            if home is None:
                where = sec if sec.groups else with_groups[0]
                problems.append(
                    Problem(
                        "total_mismatch",
                        {
                            "total": dec_str(t.score),
                            "computed": dec_str(where.known_sum()),
                            "period": _key_label(where.key),
                        },
                    )
                )
                continue
            total_home[id(t)] = home
            if home.total is None or (
                not _close(home.total, t.score)
                and _close(home.filled_sum(), t.score)
                and not _close(home.filled_sum(), home.total)
            ):
                home.total = t.score
            if home.groups and home.missing() and _close(home.filled_sum(), home.total):
                home.fill_at_max()

    # Overall ranks: with their total, or where they stand.
    for r in ranks:
        if r.link is not None and r.link.kind == "group":
            continue
        if r.link is not None and id(r.link) in total_home:
            sec = total_home[id(r.link)]
        elif r.link is not None and r.link.kind == "total":
            continue  # its total went nowhere
        else:
            sec = section_at(r.pos)
        if sec.rank is None:
            sec.rank = r.rank
            if r.rank_of is not None:
                sec.rank_of = r.rank_of
        elif sec.rank == r.rank and sec.rank_of is None:
            sec.rank_of = r.rank_of

    drafts: list[SnapshotDraft] = []
    for sec in sorted(sections.values(), key=lambda s: s.order):
        if not sec.groups and sec.total is None:
            continue
        total = sec.total
        if total is None and not sec.missing():
            total = sec.known_sum()
        kind, year, period = sec.key
        drafts.append(
            SnapshotDraft(
                period_kind=kind,
                year=year,
                period=period,
                as_of=as_of,
                total=total,
                rank=sec.rank,
                rank_of=sec.rank_of,
                groups={c: sec.groups[c] for c in GROUP_CODES if c in sec.groups},
                source="text",
            )
        )
    for d in drafts:
        problems.extend(validate(d, today=today))
    if not drafts and not problems:
        problems.append(Problem("no_scores_found"))
    if problems:
        raise ScoreReadError(_dedupe(problems))
    return drafts


def _dedupe(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[str, tuple[tuple[str, str | int], ...]]] = set()
    for p in problems:
        key = (p.code, tuple(sorted(p.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


# =============================================================================================
# Validation
# =============================================================================================


FIRST_YEAR = 2022  # the index has figures from 2022 on


def validate(draft: SnapshotDraft, today: date | None = None) -> list[Problem]:
    """Why a draft cannot be stored (empty when it can). With `today`, a period or as-of date
    before FIRST_YEAR or after next year is a problem too."""
    problems: list[Problem] = []
    label = period_label(draft)
    if today is not None:
        last = today.year + 1
        if not FIRST_YEAR <= draft.year <= last:
            problems.append(
                Problem("period_out_of_range", {"period": label, "first": FIRST_YEAR, "last": last})
            )
        if draft.as_of is not None and not FIRST_YEAR <= draft.as_of.year <= last:
            problems.append(
                Problem(
                    "date_out_of_range",
                    {"date": draft.as_of.strftime("%d/%m/%Y"), "first": FIRST_YEAR, "last": last},
                )
            )
    for code, g in draft.groups.items():
        table = BY_CODE.get(code)
        if table is None:
            problems.append(Problem("unknown_group", {"name": code}))
            continue
        if g.max_score != table.max_score:
            problems.append(
                Problem(
                    "wrong_group_max",
                    {
                        "group": code,
                        "max": dec_str(g.max_score),
                        "expected": dec_str(table.max_score),
                    },
                )
            )
        if g.score < 0:
            problems.append(Problem("negative_score", {"group": code, "score": dec_str(g.score)}))
        elif g.score > table.max_score:
            problems.append(
                Problem(
                    "score_above_max",
                    {"group": code, "score": dec_str(g.score), "max": dec_str(table.max_score)},
                )
            )
        problems.extend(_rank_problems(g.rank, draft.rank_of, code))
    missing = [c for c in GROUP_CODES if c not in draft.groups]
    if missing:
        problems.append(Problem("missing_groups", {"groups": ",".join(missing), "period": label}))
    if draft.total is not None:
        if draft.total < 0:
            problems.append(
                Problem("negative_score", {"group": "total", "score": dec_str(draft.total)})
            )
        if draft.total > TOTAL_MAX:
            problems.append(
                Problem(
                    "total_above_max",
                    {"total": dec_str(draft.total), "max": dec_str(TOTAL_MAX)},
                )
            )
        computed = draft.computed_total()
        if not missing and not _close(computed, draft.total):
            problems.append(
                Problem(
                    "total_mismatch",
                    {
                        "total": dec_str(draft.total),
                        "computed": dec_str(computed),
                        "period": label,
                    },
                )
            )
    problems.extend(_rank_problems(draft.rank, draft.rank_of, ""))
    if draft.rank is None and draft.rank_of is not None and draft.rank_of < 1:
        problems.append(
            Problem("rank_out_of_range", {"rank": "", "rank_of": draft.rank_of, "group": ""})
        )
    return problems


def _rank_problems(rank: int | None, rank_of: int | None, group: str) -> list[Problem]:
    if rank is None:
        return []
    if rank < 1 or (rank_of is not None and (rank_of < 1 or rank > rank_of)):
        return [
            Problem(
                "rank_out_of_range",
                {"rank": rank, "rank_of": rank_of if rank_of is not None else "", "group": group},
            )
        ]
    return []
