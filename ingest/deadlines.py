"""Vietnamese deadline and rhythm phrases: the one place they are read.

`parse_deadline("... hoàn thành trước ngày 30/11/2025.", reference=date(2025, 11, 15))`
returns `Deadline(date(2025, 11, 30), None, "date", "hoàn thành trước ngày 30/11/2025")`.

Kinds:
- "date": a day ("trước ngày 30/11/2025", "chậm nhất đến ngày 01 tháng 7 năm 2028", "trước 20/12")
- "period_end": the last day of a period ("trong tháng 12/2025", "trong quý IV/2025",
  "cuối năm 2025", "6 tháng đầu năm", "ngay trong năm 2022")
- "recurring": a rhythm, no date ("vào thứ Hai hằng tuần" -> weekly:MON, "trước ngày 15 hằng
  tháng" -> monthly:15 (by the 15th), "vào ngày 20 hằng tháng" or "ngày 20 hằng tháng" ->
  monthly:on-20 (on the 20th), "hằng quý" -> quarterly, "định kỳ" alone -> periodic, "trước
  ngày 01/6 và 15/11 hằng năm" -> yearly:06-01,11-15)
- "same_day": "xử lý ngay trong ngày" (recurrence "daily", no date)
- "ongoing": "thường xuyên", "liên tục", "kịp thời" (no date)

How it reads:
- The text is folded (lower case, no diacritics) with a map back to the original characters, so
  `Deadline.text` is always the phrase exactly as written in the input.
- Every pattern is matched; overlapping matches keep the longest (a reference date such as
  "Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018" still hides the "tháng 4 năm 2018"
  inside it).
- A date counts only with a deadline word just before it ("trước", "chậm nhất", "hoàn thành",
  "đến", "hạn", "thời hạn" ...). Dates after a document number or a document word
  ("Quyết định số 766/QĐ-TTg ngày ...", "Công văn ngày ...") and starts or cut-offs ("từ ngày",
  "tính đến ngày") are never deadlines. A bare date or period is taken only when it is (almost)
  the whole input, as in a table cell or "Thời hạn: 30/11/2025".
- The strongest match wins: a date or period tied to the task ("hoàn thành ...", "trước ngày",
  "chậm nhất") beats a rhythm, which beats a same-day rule, which beats an ongoing duty.
- Year-less dates and periods take the reference's year; a day/month more than two months
  before the reference rolls over to the next year ("trước 15/01" in a December directive).
  Without a reference they stay unresolved (date None, kind kept).

All vocabulary is data in the block below (folded forms).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from ingest.textnorm import strip_diacritics

# =============================================================================================
# Vocabulary (folded: lower case, no diacritics, đ -> d). Phrases use single spaces.
# =============================================================================================

WEEKDAYS = {
    "hai": "MON",
    "2": "MON",
    "ba": "TUE",
    "3": "TUE",
    "tu": "WED",
    "4": "WED",
    "nam": "THU",
    "5": "THU",
    "sau": "FRI",
    "6": "FRI",
    "bay": "SAT",
    "7": "SAT",
    "chu nhat": "SUN",
}
EVERY = ("hang", "moi")  # "hằng/hàng tuần", "mỗi tháng"
RHYTHM_UNITS = {
    "ngay": "daily",
    "tuan": "weekly",
    "thang": "monthly",
    "quy": "quarterly",
    "qui": "quarterly",
    "nam": "yearly",
}
# "định kỳ 6 tháng", "6 tháng một lần": a rhythm counted in months.
MONTH_COUNT_RHYTHMS = {1: "monthly", 3: "quarterly", 6: "half_yearly", 12: "yearly"}
NUMBER_WORDS = {"mot": 1, "ba": 3, "sau": 6, "muoi hai": 12}
PERIODIC = "dinh ky"
SAME_DAY = (
    "ngay trong ngay",
    "trong ngay lam viec",
    "trong ngay",
    "trong vong 24 gio",
    "trong vong 01 ngay",
    "trong vong 1 ngay",
)
ONGOING = ("thuong xuyen", "lien tuc", "kip thoi")
ONGOING_WEAK = ("kip thoi",)  # an adverb more often than a duty: loses to anything else

# Words just before a date that make it a deadline (strong), and the weaker "vào".
DATE_CUES = (
    "cham nhat la",
    "cham nhat den",
    "cham nhat vao",
    "cham nhat",
    "truoc",
    "den het",
    "den",
    "han chot",
    "han cuoi",
    "thoi han la",
    "thoi han",
    "han",
    "xong",
    "ket thuc",
    "hoan thanh",
    "han hoan thanh",
    "thoi gian hoan thanh",
    "thoi gian thuc hien",
    "tien do",
)
DATE_WEAK_CUES = ("vao", "trong")
# A time of day between the cue and the date: "trước 17 giờ 00 ngày 30/11/2025".
TIME_OF_DAY = re.compile(r"\d{1,2}\s*(?:gio|h)(?:\s*\d{1,2}\s*(?:phut|')?)?\s*,?\s*$")
# Before a period ("trong tháng 12/2025", "trước quý I/2026", "ngay trong năm 2022").
PERIOD_CUES = (
    "ngay trong",
    "trong",
    "truoc",
    "cham nhat trong",
    "cham nhat la",
    "cham nhat",
    "den het",
    "het",
    "cuoi",
    "vao cuoi",
    "xong trong",
    "xong",
    "hoan thanh",
    "hoan thanh trong",
)
# Words before the cue that belong to the phrase ("hoàn thành trước ngày ...").
LEAD_VERBS = (
    "hoan thanh xong",
    "hoan thanh",
    "thoi gian hoan thanh",
    "thoi gian thuc hien",
    "thoi gian hoan thanh xong",
    "thoi gian thuc hien hoan thanh xong",
    "thoi gian thuc hien hoan thanh",
    "thoi gian",
    "xong",
    "ket thuc",
)
# Before a date: a start or a cut-off, never a deadline.
NOT_DEADLINE = (
    "tinh den",
    "tinh tu",
    "ke tu",
    "bat dau tu",
    "tu",
    "trich xuat",
    "ban hanh",
    "duoc ky",
    "da ky",
    "so lieu den",
    "cap nhat den",
    "luy ke den",
    "den nay",
    "hieu luc tu",
)
# Names of documents: "Quyết định số 766/QĐ-TTg ngày 23/6/2022" is a reference.
DOC_WORDS = (
    "quyet dinh",
    "cong van",
    "ke hoach",
    "nghi dinh",
    "nghi quyet",
    "thong tu",
    "chi thi",
    "thong bao",
    "to trinh",
    "bao cao",
    "van ban",
    "luat",
    "chuong trinh",
    "huong dan",
    "ket luan",
    "giay moi",
    "de an",
    "quy che",
    "quy dinh",
    "bien ban",
    "hop dong",
    "phap lenh",
)
# Words that may surround a bare date or period in a short input ("Thời hạn: Quý IV/2025").
LABEL_WORDS = frozenset(
    " ".join(
        (
            "thoi gian han hoan thanh thuc hien xong tien do truoc trong ngay nam chot la",
            "dinh ky cuoi vao den het ket thuc",
        )
    ).split(" ")
)
# Before a rhythm, words that tie it to the task ("định kỳ hằng tháng", "báo cáo hằng tuần").
RHYTHM_CUES = ("dinh ky", "vao", "truoc", "bao cao", "thuc hien", "to chuc", "tong hop", "gui")
# Kept in the phrase: "vào thứ Hai hằng tuần", "định kỳ trước ngày 01/6 và 15/11 hằng năm".
RHYTHM_PHRASE_CUES = (
    "dinh ky truoc ngay",
    "dinh ky vao ngay",
    "dinh ky truoc",
    "dinh ky vao",
    "dinh ky",
    "truoc ngay",
    "vao ngay",
    "vao",
    "truoc",
)

# A day of the month is a limit ("by the 15th": monthly:15) after one of these words
# ("trước ngày 15 hằng tháng", "chậm nhất ngày 15 hằng tháng", "hạn ngày 15 hằng tháng",
# "hằng tháng, hạn ngày 15"); otherwise ("vào ngày 20 hằng tháng", "ngày 20 hằng tháng") the
# duty is on that day (monthly:on-20).
MONTH_DAY_BY_CUES = (
    "truoc",
    "cham nhat",
    "cham nhat la",
    "cham nhat vao",
    "cham nhat den",
    "han",
    "han chot",
    "han cuoi",
    "thoi han",
    "thoi han la",
    "den",
    "den het",
    "khong qua",
    "khong muon hon",
)
# Between "hằng tháng" and "ngày N" ("hằng tháng (trước ngày 25)", "hằng tháng vào ngày 20").
MONTH_DAY_AFTER_CUES = ("truoc", "vao", "cham nhat", "cham nhat vao", "han", "thoi han")
MONTHLY_ON = "on-"  # the recurrence of an "on the day" monthly rhythm: "monthly:on-20"

# Strengths: which phrase wins when a sentence holds several.
SCORE_DATE = 100
SCORE_DATE_WEAK = 60
SCORE_PERIOD = 90
SCORE_PERIOD_OWN_CUE = 85  # "cuối năm 2025", "6 tháng cuối năm 2025": the cue is the phrase
SCORE_BARE = 50  # only in a short input
SCORE_LEAD_VERB_BONUS = 10  # "hoàn thành trước ngày ..."
SCORE_RHYTHM = 80
SCORE_RHYTHM_DAYS = 105  # "trước ngày 01/6 và 15/11 hằng năm": more than the dates inside
SCORE_SAME_DAY = 70
SCORE_PERIODIC = 45
SCORE_ONGOING = 30
SCORE_RHYTHM_WEAK = 28  # "... hằng tháng." at a clause end with no cue
SCORE_ONGOING_WEAK = 26

KINDS = ("date", "period_end", "recurring", "same_day", "ongoing")
MIN_YEAR, MAX_YEAR = 1900, 2200
ROLLOVER_DAYS = 60

# =============================================================================================


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None
    recurrence: str | None
    kind: str  # one of KINDS
    text: str  # the phrase exactly as written in the input


@dataclass(frozen=True)
class _Match:
    start: int  # folded positions, cue included
    end: int
    core_start: int
    score: int
    deadline: Deadline | None  # None: a reference or a start date, which only hides others


class _Folded:
    """Folded text with a map from each folded character back to the original."""

    def __init__(self, text: str) -> None:
        self.raw = text
        chars: list[str] = []
        pos: list[int] = []
        for i, ch in enumerate(text):
            if unicodedata.category(ch) == "Mn":
                continue
            if ch.isspace():
                folded = " "
            elif ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
                folded = "-"
            else:
                folded = strip_diacritics(ch).lower()
                if len(folded) != 1:
                    folded = folded[:1] or " "
            chars.append(folded)
            pos.append(i)
        self.s = "".join(chars)
        self.pos = pos

    def original(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        a = self.pos[start]
        b = self.pos[end - 1] + 1
        while b < len(self.raw) and unicodedata.category(self.raw[b]) == "Mn":
            b += 1
        return self.raw[a:b]


def _alt(words: tuple[str, ...] | list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


_B = r"(?<![a-z0-9])"  # start of a word
_E = r"(?![a-z0-9])"  # end of a word
_EVERY = _alt(EVERY)
_WEEKDAY = _alt(list(WEEKDAYS))
_RHYTHM_UNIT = _alt(list(RHYTHM_UNITS))

_FULL_DATE = re.compile(
    r"(?<![\d/.,])(?P<d>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})(?!\d)"
)
_LONG_DATE = re.compile(
    _B + r"ngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})(?:\s*,?\s*nam\s+(?P<y>\d{4}))?(?![\d/])"
)
_SHORT_DATE = re.compile(r"(?<![\d/.,])(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})(?![\d/])")
_MONTH = re.compile(
    _B + r"thang\s+(?P<m>\d{1,2})(?:\s*(?:/|-|nam)\s*(?P<y>\d{4}))?(?![\d/])(?!\s+nam\s+\d)"
)
_QUARTER = re.compile(
    _B + r"qu[yi]\s+(?P<q>iv|i{1,3}|[1-4])" + _E + r"(?:\s*(?:/|-|nam)\s*(?P<y>\d{4}))?"
)
_HALF = re.compile(
    _B
    + r"(?:(?:0?6|sau)\s+thang|nua)\s+(?P<h>dau|cuoi)\s+nam"
    + _E
    + r"(?:\s*(?:/|-)?\s*(?P<y>\d{4}))?"
)
_YEAR_END = re.compile(_B + r"cuoi\s+nam" + _E + r"(?:\s*(?:/|-)?\s*(?P<y>\d{4}))?")
_YEAR = re.compile(_B + r"nam\s+(?P<y>\d{4})(?!\d)")
_DAY_NAME = (
    r"(?:thu\s+(?P<wd>" + _alt([w for w in WEEKDAYS if w != "chu nhat"]) + r")|(?P<sun>chu\s+nhat))"
)
_OTHER_DAY = r"(?:thu\s+)?(?:" + _WEEKDAY + r")"
_WEEKLY = re.compile(
    _B
    + r"(?:(?:sang|chieu|toi)\s+)?"
    + _DAY_NAME
    + _E
    + r"(?:\s*(?:,|va)\s*"
    + _OTHER_DAY
    + _E
    + r")*\s+(?:"
    + _EVERY
    + r")\s+tuan"
    + _E
)
_WEEKLY_AFTER = re.compile(
    _B
    + r"(?:"
    + _EVERY
    + r")\s+tuan\s*,?\s*(?:vao\s+)?(?:(?:sang|chieu|toi)\s+)?(?:ngay\s+)?"
    + _DAY_NAME
    + _E
)
_MONTH_DAY = re.compile(_B + r"ngay\s+(?P<d>\d{1,2})\s+(?:cua\s+)?(?:" + _EVERY + r")\s+thang" + _E)
_MONTH_DAY_AFTER = re.compile(
    _B
    + r"(?:"
    + _EVERY
    + r")\s+thang\s*[,(]?\s*(?P<cue>"
    + _alt(MONTH_DAY_AFTER_CUES)
    + r")\s+ngay\s+(?P<d>\d{1,2})(?![\d/]|\s*thang)"
)
_YEAR_DAYS = re.compile(
    r"(?<![\d/.,])(?P<dates>\d{1,2}\s*/\s*\d{1,2}(?:\s*(?:,|va)\s*(?:ngay\s+)?\d{1,2}\s*/\s*\d{1,2})*)"
    r"\s+(?:" + _EVERY + r")\s+nam" + _E
)
_EVERY_UNIT = re.compile(_B + r"(?:" + _EVERY + r")\s+(?P<u>" + _RHYTHM_UNIT + r")" + _E)
_MONTH_COUNT = re.compile(
    _B
    + r"(?:dinh\s+ky\s+(?P<n1>\d{1,2}|"
    + _alt(list(NUMBER_WORDS))
    + r")\s+thang|(?P<n2>\d{1,2}|"
    + _alt(list(NUMBER_WORDS))
    + r")\s+thang\s+(?:mot|1)\s+lan)"
    + _E
)
_PERIODIC = re.compile(_B + _alt((PERIODIC,)) + _E)
_SAME_DAY = re.compile(
    _B + r"(?:" + _alt(SAME_DAY) + r")" + _E + r"(?!\s*(?:\d|le|nghi|tet|thu\b|cuoi|dau))"
)
_ONGOING = re.compile(_B + r"(?:" + _alt(ONGOING) + r")" + _E)

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_CLAUSE_END = re.compile(r"^\s*(?:$|[,;:.)]|\(|\bva\s+(?:bao cao|gui))")


def _ends_with(fs: str, pos: int, phrases: tuple[str, ...]) -> int | None:
    """Start of the longest phrase that ends at pos (spaces and a colon may sit between)."""
    window = fs[max(0, pos - 60) : pos]
    m = re.search(r"(?<![a-z0-9])(?:" + _alt(phrases) + r")[\s:]*$", window)
    if m is None:
        return None
    return pos - len(window) + m.start()


def _is_doc_reference(fs: str, pos: int) -> bool:
    """Just after a document number or a document's name: a reference, not a deadline."""
    window = fs[max(0, pos - 80) : pos].rstrip(" ,(")
    tokens = window.split()
    tail = "".join(tokens[-2:]) if tokens else ""
    last = tokens[-1] if tokens else ""
    if "/" in last and re.search(r"\d", last):
        return True
    if "/" in tail and re.search(r"\d", tail) and not re.search(r"[a-z]{4,}", last):
        return True
    return bool(re.search(r"(?:" + _alt(DOC_WORDS) + r")(?:\s+so)?\s*$", window))


def _valid(year: int, month: int, day: int) -> dt.date | None:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> dt.date | None:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _day_month(day: int, month: int, reference: dt.date | None) -> dt.date | None:
    if reference is None:
        return None
    value = _valid(reference.year, month, day)
    if value is not None and (reference - value).days > ROLLOVER_DAYS:
        value = _valid(reference.year + 1, month, day)
    return value


class _Reader:
    def __init__(self, text: str, reference: dt.date | None) -> None:
        self.f = _Folded(text)
        self.fs = self.f.s
        self.reference = reference
        self.matches: list[_Match] = []

    # --- helpers -----------------------------------------------------------------------------

    def add(self, start: int, end: int, core: int, score: int, deadline: Deadline | None) -> None:
        self.matches.append(_Match(start, end, core, score, deadline))

    def make(
        self, start: int, end: int, when: dt.date | None, recurrence: str | None, kind: str
    ) -> Deadline:
        return Deadline(when, recurrence, kind, self.f.original(start, end).strip(" ,;:.("))

    def lead_verb(self, start: int) -> tuple[int, int]:
        """Extends the start over "hoàn thành" & co. and returns (start, bonus)."""
        verb = _ends_with(self.fs, start, LEAD_VERBS)
        return (verb, SCORE_LEAD_VERB_BONUS) if verb is not None else (start, 0)

    def short_input(self, start: int, end: int) -> bool:
        rest = self.fs[:start] + " " + self.fs[end:]
        words = [w for w in re.findall(r"[a-z0-9]+", rest) if w not in LABEL_WORDS]
        return len(words) <= 2

    def year_or_ref(self, text: str | None) -> int | None:
        if text:
            return int(text)
        return self.reference.year if self.reference else None

    # --- dates -------------------------------------------------------------------------------

    def date_match(self, m: re.Match[str], when: dt.date | None, *, numeric: bool) -> None:
        core = m.start()
        anchor = core
        if numeric:
            day_word = _ends_with(self.fs, anchor, ("ngay",))
            if day_word is not None:
                anchor = day_word
        time = TIME_OF_DAY.search(self.fs[max(0, anchor - 20) : anchor])
        if time is not None:
            anchor -= len(self.fs[max(0, anchor - 20) : anchor]) - time.start()
        if _ends_with(self.fs, anchor, NOT_DEADLINE) is not None:
            self.add(anchor, m.end(), core, 0, None)
            return
        cue = _ends_with(self.fs, anchor, DATE_CUES)
        score = SCORE_DATE
        if cue is None and _ends_with(self.fs, anchor, DATE_WEAK_CUES) is not None:
            cue = _ends_with(self.fs, anchor, DATE_WEAK_CUES)
            score = SCORE_DATE_WEAK
        if cue is None:
            if _is_doc_reference(self.fs, anchor) or not self.short_input(anchor, m.end()):
                self.add(anchor, m.end(), core, 0, None)
                return
            cue, score = anchor, SCORE_BARE
        start, bonus = self.lead_verb(cue)
        if when is None and self.reference is not None:
            self.add(start, m.end(), core, 0, None)  # not a real date (31/02)
            return
        self.add(start, m.end(), core, score + bonus, self.make(start, m.end(), when, None, "date"))

    def dates(self) -> None:
        for m in _FULL_DATE.finditer(self.fs):
            when = _valid(int(m["y"]), int(m["m"]), int(m["d"]))
            if when is None:
                continue
            self.date_match(m, when, numeric=True)
        for m in _LONG_DATE.finditer(self.fs):
            day, month = int(m["d"]), int(m["m"])
            if m["y"]:
                when = _valid(int(m["y"]), month, day)
                if when is None:
                    continue
            else:
                if _valid(2000, month, day) is None:
                    continue
                when = _day_month(day, month, self.reference)
            self.date_match(m, when, numeric=False)
        for m in _SHORT_DATE.finditer(self.fs):
            day, month = int(m["d"]), int(m["m"])
            if _valid(2000, month, day) is None:
                continue
            anchor = _ends_with(self.fs, m.start(), ("ngay",))
            cue_at = anchor if anchor is not None else m.start()
            has_cue = (
                anchor is not None
                or _ends_with(self.fs, cue_at, DATE_CUES + DATE_WEAK_CUES) is not None
            )
            if not has_cue and not self.short_input(m.start(), m.end()):
                continue
            self.date_match(m, _day_month(day, month, self.reference), numeric=True)

    # --- periods -----------------------------------------------------------------------------

    def period(self, m: re.Match[str], when: dt.date | None, *, own_cue: bool) -> None:
        core = m.start()
        cue = _ends_with(self.fs, core, PERIOD_CUES)
        if cue is not None:
            score = SCORE_PERIOD
        elif own_cue:
            cue, score = core, SCORE_PERIOD_OWN_CUE
        elif self.short_input(core, m.end()):
            cue, score = core, SCORE_BARE
        else:
            self.add(core, m.end(), core, 0, None)
            return
        if _is_doc_reference(self.fs, cue) and cue == core and not own_cue:
            self.add(core, m.end(), core, 0, None)
            return
        start, bonus = self.lead_verb(cue)
        deadline = self.make(start, m.end(), when, None, "period_end")
        self.add(start, m.end(), core, score + bonus, deadline)

    def periods(self) -> None:
        for m in _MONTH.finditer(self.fs):
            before = self.fs[max(0, m.start() - 4) : m.start()]
            if re.search(r"\d\s*$", before):  # "6 tháng": a length of time
                continue
            year = self.year_or_ref(m["y"])
            month = int(m["m"])
            if not 1 <= month <= 12:
                continue
            self.period(m, _month_end(year, month) if year else None, own_cue=False)
        for m in _QUARTER.finditer(self.fs):
            q = _ROMAN.get(m["q"]) or int(m["q"])
            year = self.year_or_ref(m["y"])
            self.period(m, _month_end(year, q * 3) if year else None, own_cue=False)
        for m in _HALF.finditer(self.fs):
            year = self.year_or_ref(m["y"])
            month = 6 if m["h"] == "dau" else 12
            self.period(m, _month_end(year, month) if year else None, own_cue=True)
        for m in _YEAR_END.finditer(self.fs):
            year = self.year_or_ref(m["y"])
            self.period(m, _month_end(year, 12) if year else None, own_cue=True)
        for m in _YEAR.finditer(self.fs):
            whole_year = int(m["y"])
            truoc = _ends_with(self.fs, m.start(), ("truoc",))
            if truoc is not None and _ends_with(self.fs, m.start(), PERIOD_CUES) == truoc:
                when = _month_end(whole_year - 1, 12)  # "trước năm 2030": by the end of 2029
            else:
                when = _month_end(whole_year, 12)
            self.period(m, when, own_cue=False)

    # --- rhythms -----------------------------------------------------------------------------

    def rhythm(
        self,
        m: re.Match[str],
        recurrence: str,
        *,
        strong: bool,
        score: int = 0,
        start: int | None = None,
    ) -> None:
        """`start`: where the phrase starts when a cue before the match belongs to it."""
        cue = _ends_with(self.fs, m.start(), RHYTHM_CUES)
        own = _ends_with(self.fs, m.start(), RHYTHM_PHRASE_CUES)
        if start is None or (own is not None and own < start):
            start = own if own is not None else m.start()
        if not score:
            before = self.fs[: m.start()].rstrip()
            clause_start = not before or before[-1] in ",;:(.-" or before.endswith(" la")
            if strong or cue is not None or clause_start:
                score = SCORE_RHYTHM
            elif _CLAUSE_END.search(self.fs[m.end() :]):
                score = SCORE_RHYTHM_WEAK
            else:
                self.add(m.start(), m.end(), m.start(), 0, None)  # "ngân sách hằng năm và ..."
                return
        deadline = self.make(start, m.end(), None, recurrence, "recurring")
        self.add(start, m.end(), m.start(), score, deadline)

    def month_day_limit(self, pos: int) -> int | None:
        """Where the limit word before "ngày N hằng tháng" at `pos` starts ("trước ngày 15
        ...", "chậm nhất 17 giờ ngày 15 ...": "by the day"), or None ("on the day")."""
        before = self.fs[max(0, pos - 20) : pos]
        time = TIME_OF_DAY.search(before)  # "trước 17 giờ ngày 15 hằng tháng"
        if time is not None:
            pos -= len(before) - time.start()
        return _ends_with(self.fs, pos, MONTH_DAY_BY_CUES)

    def rhythms(self) -> None:
        for m in list(_WEEKLY.finditer(self.fs)) + list(_WEEKLY_AFTER.finditer(self.fs)):
            weekday = WEEKDAYS["chu nhat" if m["sun"] else m["wd"]]
            self.rhythm(m, f"weekly:{weekday}", strong=True)
        for m in _MONTH_DAY.finditer(self.fs):
            day = int(m["d"])
            if 1 <= day <= 31:
                limit = self.month_day_limit(m.start())
                on_day = "" if limit is not None else MONTHLY_ON
                self.rhythm(m, f"monthly:{on_day}{day}", strong=True, start=limit)
        for m in _MONTH_DAY_AFTER.finditer(self.fs):
            day = int(m["d"])
            if 1 <= day <= 31:
                cue = re.sub(r"\s+", " ", m["cue"])
                on_day = "" if cue in MONTH_DAY_BY_CUES else MONTHLY_ON
                self.rhythm(m, f"monthly:{on_day}{day}", strong=True)
        for m in _YEAR_DAYS.finditer(self.fs):
            days = []
            for d, mo in re.findall(r"(\d{1,2})\s*/\s*(\d{1,2})", m["dates"]):
                if _valid(2000, int(mo), int(d)) is None:
                    break
                days.append(f"{int(mo):02d}-{int(d):02d}")
            else:
                self.rhythm(m, "yearly:" + ",".join(days), strong=True, score=SCORE_RHYTHM_DAYS)
        for m in _MONTH_COUNT.finditer(self.fs):
            raw = (m["n1"] or m["n2"] or "").strip()
            count = int(raw) if raw.isdigit() else NUMBER_WORDS.get(re.sub(r"\s+", " ", raw), 0)
            if count in MONTH_COUNT_RHYTHMS:
                self.rhythm(m, MONTH_COUNT_RHYTHMS[count], strong=True)
        for m in _EVERY_UNIT.finditer(self.fs):
            self.rhythm(m, RHYTHM_UNITS[m["u"]], strong=False)
        for m in _PERIODIC.finditer(self.fs):
            deadline = self.make(m.start(), m.end(), None, "periodic", "recurring")
            self.add(m.start(), m.end(), m.start(), SCORE_PERIODIC, deadline)
        for m in _SAME_DAY.finditer(self.fs):
            deadline = self.make(m.start(), m.end(), None, "daily", "same_day")
            self.add(m.start(), m.end(), m.start(), SCORE_SAME_DAY, deadline)
        for m in _ONGOING.finditer(self.fs):
            weak = re.sub(r"\s+", " ", m.group()) in ONGOING_WEAK
            score = SCORE_ONGOING_WEAK if weak else SCORE_ONGOING
            self.add(
                m.start(), m.end(), m.start(), score, self.make(*m.span(), None, None, "ongoing")
            )

    # --- choice ------------------------------------------------------------------------------

    def best(self) -> Deadline | None:
        self.dates()
        self.periods()
        self.rhythms()
        # Overlaps keep the longest core (then the strongest); references hide what they cover.
        ordered = sorted(
            self.matches, key=lambda x: (-(x.end - x.core_start), -x.score, x.core_start)
        )
        kept: list[_Match] = []
        for match in ordered:
            if any(match.core_start < k.end and k.core_start < match.end for k in kept):
                continue
            kept.append(match)
        found = [k for k in kept if k.deadline is not None and k.score > 0]
        if not found:
            return None
        top = max(found, key=lambda x: (x.score, -x.core_start))
        return top.deadline


def parse_deadline(text: str, *, reference: dt.date | None) -> Deadline | None:
    """The deadline or rhythm a task's text sets, or None; `text` of the result is as written."""
    if not text or not text.strip():
        return None
    return _Reader(text, reference).best()
