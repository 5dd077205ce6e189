"""Names of units (departments, agencies) in a directive's sentences, and the ward's codes for them.

`read_units(tokens, k, resolver)` reads a list of unit names starting at token k:
"Sở Xây dựng, Trung tâm Chuyển đổi số Thành phố, Ủy ban nhân dân các phường, xã, đặc khu cùng
..." -> three names. A name starts with a word that begins a unit ("Phòng", "Sở", "Trung tâm",
"Văn phòng", "Công an", "Ủy ban nhân dân", "các phòng" ...) or with one of the ward's own names
(codes, names, aliases); it runs until a verb or a preposition written in lower case ("chủ trì",
"báo cáo", "để", "theo" ...), a full stop, colon or bracket, or a comma/"và" followed by another
unit. Short pieces after a comma or "và" stay in the name: "Phòng Kinh tế, Hạ tầng và Đô thị",
"Các sở, ban, ngành tỉnh".

`UnitResolver.resolve(name)` finds the ward's code: both sides are folded, prefixes ("Phòng",
"Công chức", "Bộ phận", "Trung tâm") and a trailing "phường/xã/UBND phường" are tolerated, and
the words may come in another order ("Văn phòng UBND và HĐND" = "Văn phòng HĐND và UBND").
`is_professional_group` recognises "các phòng, đơn vị chuyên môn" and its spellings, which mean
every professional department at once.

The vocabulary is data in the block below: folded forms, except where folding would be ambiguous:
the short head words ("sở"/"số", "tổ"/"tờ", "đội"/"đối") and the stop words ("thì"/"thị",
"để"/"đề", "lập"/"lấp") are checked as written (lower case, one tone placement: "hoá" = "hóa").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.textnorm import fold, fold_name, nfc

# =============================================================================================
# Vocabulary
# =============================================================================================

ANY, CAP = "any", "cap"
# A head word alone is no name ("Phòng", "Trung tâm" refer back to a unit named before).
BARE_HEADS = (
    "phong",
    "trung tam",
    "so",
    "ban",
    "bo phan",
    "van phong",
    "co quan",
    "don vi",
    "to",
    "doi",
    "hoi",
)
# Words that begin a unit's name: folded head -> (rule for the next word, forms as written
# (lower case) when the folded form is ambiguous, lower-case next words that are also allowed,
# next words that exclude it).
UNIT_HEADS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "uy ban nhan dan": (ANY, (), (), ()),
    "ubnd": (ANY, (), (), ()),
    "hdnd": (ANY, (), (), ()),
    "hoi dong nhan dan": (ANY, (), (), ()),
    "ubmttq": (ANY, (), (), ()),
    "uy ban mat tran to quoc": (ANY, (), (), ()),
    "mat tran to quoc": (ANY, (), (), ()),
    "trung tam": (ANY, (), (), ()),
    "van phong": (ANY, (), (), ()),
    "cong an": (ANY, (), (), ()),
    "bo phan": (ANY, (), (), ()),
    "co quan": (ANY, (), (), ()),
    "don vi": (ANY, (), (), ()),
    "ban chi huy": (ANY, (), (), ()),
    "ban quan ly": (ANY, (), (), ()),
    "ban chi dao": (ANY, (), (), ()),
    "phong": (
        ANY,
        ("phòng",),
        (),
        ("chong", "ngua", "chay", "tranh", "hop", "lam", "dich", "benh"),
    ),
    "so": (CAP, ("sở",), ("ban",), ()),
    "ban": (CAP, ("ban",), (), ("hanh",)),
    "bo": (CAP, ("bộ",), (), ()),
    "cuc": (CAP, ("cục",), (), ()),
    "chi cuc": (CAP, (), (), ()),
    "to": (CAP, ("tổ",), ("cong", "dan", "truong", "giup", "chuyen", "thuong", "tu"), ("chuc",)),
    "doi": (CAP, ("đội",), ("quan", "kiem", "thanh", "cong", "trat", "dan"), ()),
    "hoi": (CAP, ("hội",), ("dong",), ("nghi", "thao", "nhap")),
    "doan": (CAP, ("đoàn",), (), ()),
    "hiep hoi": (CAP, (), (), ()),
    "lien minh": (CAP, (), (), ()),
    "lien doan": (CAP, (), (), ()),
    "kho bac": (CAP, (), (), ()),
    "chi nhanh": (CAP, (), (), ()),
    "cong ty": (CAP, (), (), ()),
    "ngan hang": (CAP, (), (), ()),
    "bao hiem xa hoi": (ANY, (), (), ()),
    "benh vien": (CAP, (), (), ()),
    "truong": (CAP, ("trường",), (), ()),
    "tram": (CAP, ("trạm",), (), ()),
    "dai": (CAP, ("đài",), (), ()),
    "bao": (CAP, ("báo",), (), ()),
    "thanh tra": (CAP, (), (), ()),
    "dang uy": (ANY, (), (), ()),
    "chi bo": (CAP, (), (), ()),
    "cong chuc": (CAP, (), ("chuyen", "phu", "dia", "lam"), ()),
    "can bo": (CAP, (), ("chuyen", "phu"), ()),
}
# After "các ...", lower-case kinds listed with commas stay in one name: "các phòng, đơn vị
# chuyên môn", "các sở, ban, ngành, đoàn thể tỉnh" (as written, lower case).
GROUP_NOUNS = frozenset(
    (
        "phòng",
        "ban",
        "ngành",
        "đơn",
        "bộ",
        "cơ",
        "đoàn",
        "địa",
        "sở",
        "tổ",
        "hội",
        "xã",
        "phường",
        "đặc",
        "thị",
    )
)

# "các" begins a unit when the next word (as written, lower case) is one of these.
CAC_NEXT = frozenset(
    " ".join(
        (
            "phòng sở ban đơn cơ bộ tổ hội đoàn ngành xã phường trường trạm chi cục công trung",
            "văn ủy uỷ ubnd thôn khu tiểu hiệp",
        )
    ).split(" ")
)
# Titles of the head of a unit: "Thủ trưởng các sở", "Chủ tịch UBND các xã".
HEAD_TITLES = (
    "thu truong",
    "nguoi dung dau",
    "chu tich",
    "pho chu tich",
    "giam doc",
    "lanh dao",
    "truong phong",
    "truong ban",
    "chanh van phong",
)
# Lower-case words that end a unit's name (verbs, prepositions), as written: folded, many of
# them would be ambiguous ("thì"/"thị", "để"/"đề", "lập"/"lâp", "tư"/"từ").
STOP_WORDS = tuple(
    """báo cáo|chủ trì|phối hợp|theo dõi|tổ chức|thực hiện|triển khai|có trách nhiệm|
    chịu trách nhiệm|tham mưu|hướng dẫn|đôn đốc|rà soát|khẩn trương|tiếp tục|tập trung|
    đẩy nhanh|đẩy mạnh|cập nhật|là|căn cứ|chỉ đạo|nghiên cứu|chủ động|tăng cường|bảo đảm|
    đảm bảo|kịp thời|thường xuyên|định kỳ|lập|gửi|cung cấp|tuyên truyền|phổ biến|hoàn thành|
    xem xét|trên cơ sở|theo chức năng|nâng cao|tích cực|quán triệt|xử lý|giải quyết|tiếp nhận|
    phân công|cử|ban hành|công khai|niêm yết|tổng hợp|đề xuất|vận động|phát động|liên hệ|
    kết nối|chia sẻ|khảo sát|đánh giá|kiểm soát|duy trì|hỗ trợ|thực thi|xác định|xây dựng|
    kiểm tra|trình|thông báo|số hóa|đăng ký|cải thiện|rút ngắn|đào tạo|mời|phản ánh|phát huy|
    giám sát|ưu tiên|soạn thảo|chuẩn bị|bố trí|tạo điều kiện|nắm|làm|trả lời|khắc phục|
    để|nhằm|theo|tại|đối với|khi|cùng|trong|về|trên|nếu|thì|với|được|đã|đang|sẽ|cần|phải|
    ngay|này|vào|từ|đến|trước|sau khi|như|bằng|qua|tránh|không|chưa|nhưng|gồm|bao gồm|
    mở|tuyệt đối|nghiêm túc|quyết liệt|sớm|kịp|tiếp|giao|yêu cầu|đề nghị|có ý kiến|
    kết luận|thống nhất|ghi nhận|đánh giá cao""".replace("\n", "").split("|")
)
# Lower-case phrases inside names that contain a stop word: "Trung tâm dịch vụ tổng hợp".
PROTECTED = ("dịch vụ tổng hợp", "đầu tư xây dựng", "tổ công tác", "công nghệ số", "công lập")
JOINERS = ("va", "hoac")  # inside a list: "Sở A và Sở B"
LIST_SEPARATORS = ("va", "hoac", "voi", "cung", "cung voi")
HDND_UBND = ("ubnd", "hdnd")  # "Văn phòng UBND và HĐND": "và" joins these inside one name
# Tolerated around the ward's own names when resolving.
PREFIXES = ("cong chuc", "can bo", "bo phan", "phong", "trung tam", "cac")
SUFFIXES = (
    "thuoc uy ban nhan dan phuong",
    "thuoc uy ban nhan dan xa",
    "thuoc ubnd phuong",
    "thuoc ubnd xa",
    "uy ban nhan dan phuong",
    "ubnd phuong",
    "ubnd xa",
    "cua phuong",
    "cua xa",
    "cap phuong",
    "cap xa",
    "thi tran",
    "phuong",
    "xa",
)
SUFFIX_PLACE_WORDS = ("phuong", "xa", "thi tran")  # "phường Hòa Phong": a place after the name
# Every professional department at once ("các phòng, đơn vị chuyên môn").
PROFESSIONAL_GROUP = re.compile(
    r"^(?:cac )?(?:phong|bo phan|don vi|cong chuc|can bo|co quan)"
    r"(?: (?:phong|ban|bo phan|don vi|nganh|co quan))* (?:chuyen mon|chuc nang)"
    r"(?:(?: (?:thuoc|cua|truc thuoc))?(?: (?:ubnd|uy ban nhan dan|hdnd va ubnd))"
    r"(?: (?:phuong|xa))?)?"
    r"(?: (?:phuong|xa))?$"
    r"|^cac phong(?: (?:ban|don vi|bo phan|nganh))+(?: (?:thuoc|cua) .{0,30})?$"
)
# A province's "cơ quan chuyên môn" are its departments, not the ward's.
PROVINCE_WORDS = ("tinh", "thanh pho", "trung uong")
# Names that point at nobody in particular.
VAGUE_WORDS = frozenset(
    (
        "cac",
        "co",
        "quan",
        "don",
        "vi",
        "dia",
        "phuong",
        "to",
        "chuc",
        "ca",
        "nhan",
        "chinh",
        "quyen",
        "va",
    )
)

VAGUE_PHRASES = ("lien quan",)

# =============================================================================================


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    professional: bool = True


@dataclass(frozen=True)
class Assignee:
    """A unit a task is given to: the ward's code when it resolves, and the name as written."""

    written: str
    code: str | None = None

    @property
    def department(self) -> str:
        return self.code or self.written


@dataclass(frozen=True)
class Tok:
    word: str  # as written
    low: str  # lower case, diacritics kept
    f: str  # folded
    start: int
    end: int
    gap: str  # the text between the previous token and this one


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    last = 0
    for m in re.finditer(r"\w+", text):
        word = m.group()
        toks.append(Tok(word, word.lower(), fold(word), m.start(), m.end(), text[last : m.start()]))
        last = m.end()
    return toks


def _key(text: str) -> tuple[str, ...]:
    return tuple(re.sub(r"[^a-z0-9]+", " ", fold_name(text)).split())


def _phrase_at(toks: Sequence[Tok], k: int, phrase: str) -> bool:
    words = phrase.split()
    if k + len(words) > len(toks):
        return False
    if any(toks[k + i].f != w for i, w in enumerate(words)):
        return False
    return all(
        not _hard(toks[k + i].gap) and "," not in toks[k + i].gap for i in range(1, len(words))
    )


def _hard(gap: str) -> bool:
    """Punctuation that ends any name: a full stop, colon, bracket, quote, line break."""
    return bool(re.search(r"[.:;()\[\]\"“”!?\n]", gap))


def _comma(gap: str) -> bool:
    return "," in gap and not _hard(gap)


def _longest(toks: Sequence[Tok], k: int, phrases: Sequence[str]) -> int:
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        if _phrase_at(toks, k, phrase):
            return len(phrase.split())
    return 0


def vn_lower(text: str) -> str:
    """Lower case with one tone placement: "hoá" -> "hóa", "uỷ" -> "ủy"."""
    text = nfc(text).lower()
    return _TONE_RE.sub(lambda m: _TONE_MAP[m.group()], text)


_TONE_MAP = {
    **dict(zip(("oá", "oà", "oả", "oã", "oạ"), ("óa", "òa", "ỏa", "õa", "ọa"), strict=True)),
    **dict(zip(("oé", "oè", "oẻ", "oẽ", "oẹ"), ("óe", "òe", "ỏe", "õe", "ọe"), strict=True)),
    **dict(zip(("uý", "uỳ", "uỷ", "uỹ", "uỵ"), ("úy", "ùy", "ủy", "ũy", "ụy"), strict=True)),
}
_TONE_RE = re.compile(r"(?<!q)(?:" + "|".join(_TONE_MAP) + r")(?!\w)")  # at a syllable's end
_STOPS = tuple(
    sorted({vn_lower(w.strip()) for w in STOP_WORDS if w.strip()}, key=lambda w: -len(w))
)
_PROTECTED = tuple(vn_lower(p) for p in PROTECTED)


def _low_phrase_at(toks: Sequence[Tok], k: int, phrase: str) -> bool:
    words = phrase.split()
    if k < 0 or k + len(words) > len(toks):
        return False
    if any(vn_lower(toks[k + i].word) != w for i, w in enumerate(words)):
        return False
    return all(
        not _hard(toks[k + i].gap) and "," not in toks[k + i].gap for i in range(1, len(words))
    )


def stop_at(toks: Sequence[Tok], k: int) -> int:
    """Length of a lower-case stop phrase starting at token k (0 if none)."""
    if k >= len(toks) or not toks[k].word[:1].islower():
        return 0
    for phrase in _PROTECTED:
        for offset in range(1, len(phrase.split())):
            if _low_phrase_at(toks, k - offset, phrase):
                return 0
    for phrase in _STOPS:
        if _low_phrase_at(toks, k, phrase):
            return len(phrase.split())
    return 0


def _capital(tok: Tok) -> bool:
    return tok.word[:1].isupper() or tok.word[:1].isdigit()


def head_at(toks: Sequence[Tok], k: int) -> int:
    """Number of tokens of a word that begins a unit's name at k (0 if none)."""
    if k >= len(toks):
        return 0
    if toks[k].f == "cac":
        if k + 1 < len(toks) and toks[k + 1].low in CAC_NEXT and not _comma(toks[k + 1].gap):
            inner = head_at(toks, k + 1)
            return 1 + (inner or 1)
        return 0
    title = _longest(toks, k, HEAD_TITLES)
    if title and head_at(toks, k + title):
        return title + head_at(toks, k + title)
    for head in sorted(UNIT_HEADS, key=lambda h: -len(h.split())):
        if not _phrase_at(toks, k, head):
            continue
        rule, forms, allowed_next, excluded_next = UNIT_HEADS[head]
        n = len(head.split())
        if forms and " ".join(t.low for t in toks[k : k + n]) not in forms:
            continue
        nxt = toks[k + n] if k + n < len(toks) else None
        separate = nxt is not None and (_hard(nxt.gap) or _comma(nxt.gap))
        nxt_word = None if separate else nxt
        if nxt_word is not None and nxt_word.f in excluded_next:
            continue
        fits = nxt_word is not None and (_capital(nxt_word) or nxt_word.f in allowed_next)
        # "các sở, ban, ngành": a bare head followed by a comma is still a unit after "các"
        listed = nxt is not None and _comma(nxt.gap) and k > 0 and toks[k - 1].f == "cac"
        if rule == CAP and not fits and not listed:
            continue
        return n
    return 0


class UnitResolver:
    """The ward's departments by every way of writing them."""

    def __init__(self, units: Sequence[Unit] | None) -> None:
        self.units = tuple(units or ())
        self.professional = tuple(u for u in self.units if u.professional)
        self.codes = {u.code for u in self.units}
        self._keys: dict[tuple[str, ...], str | None] = {}
        self._forms: list[tuple[tuple[str, ...], str]] = []
        for unit in self.units:
            for form in (unit.code, unit.name, *unit.aliases):
                key = _key(form)
                if not key:
                    continue
                self._forms.append((key, unit.code))
                for variant in _variants(key):
                    for k in (variant, _bag(variant), _squash(variant)):
                        if k in self._keys and self._keys[k] != unit.code:
                            self._keys[k] = None  # ambiguous
                        else:
                            self._keys[k] = unit.code
        # Longest first, each also without a prefix word.
        expanded: list[tuple[tuple[str, ...], str]] = []
        for key, code in self._forms:
            expanded.append((key, code))
            stripped = _strip_prefix(key)
            if stripped != key and len(stripped) >= 1:
                expanded.append((stripped, code))
        self._forms = sorted(set(expanded), key=lambda kc: -len(kc[0]))

    def resolve(self, written: str) -> str | None:
        if not self.units:
            return None
        key = _key(written)
        key = _strip_head_title(key)
        for variant in _variants(key):
            for k in (variant, _bag(variant), _squash(variant)):
                code = self._keys.get(k)
                if code is not None:
                    return code
        return None

    def alias_end(self, toks: Sequence[Tok], k: int) -> int | None:
        """End token of one of the ward's names written at k, with its place suffix."""
        if not self.units:
            return None
        starts = [k]
        pre = _longest(toks, k, PREFIXES)
        if pre:
            starts.append(k + pre)
        best: int | None = None
        for s in starts:
            for key, _code in self._forms:
                n = len(key)
                if s + n > len(toks) or any(toks[s + i].f != key[i] for i in range(n)):
                    continue
                if any(_hard(toks[s + i].gap) or _comma(toks[s + i].gap) for i in range(1, n)):
                    continue
                end = self._suffix_end(toks, s + n)
                if self._boundary(toks, end) and (best is None or end > best):
                    best = end
                break  # the longest form matching at s
        return best

    def _suffix_end(self, toks: Sequence[Tok], j: int) -> int:
        if j >= len(toks) or _hard(toks[j].gap) or _comma(toks[j].gap):
            return j
        n = _longest(toks, j, SUFFIXES)
        if not n:
            return j
        end = j + n
        if " ".join(t.f for t in toks[j:end]) in SUFFIX_PLACE_WORDS:
            while end < len(toks) and end - j <= 4 and _capital(toks[end]):
                if _hard(toks[end].gap) or _comma(toks[end].gap):
                    break
                end += 1
        return end

    def _boundary(self, toks: Sequence[Tok], j: int) -> bool:
        if j >= len(toks):
            return True
        t = toks[j]
        if _hard(t.gap) or _comma(t.gap) or t.gap.strip() in ("-", "–"):
            return True
        return t.f in LIST_SEPARATORS or bool(stop_at(toks, j))


def _strip_prefix(key: tuple[str, ...]) -> tuple[str, ...]:
    for prefix in sorted(PREFIXES, key=lambda p: -len(p.split())):
        words = tuple(prefix.split())
        if key[: len(words)] == words and len(key) > len(words):
            return key[len(words) :]
    return key


def _strip_head_title(key: tuple[str, ...]) -> tuple[str, ...]:
    for title in ("thu truong", "nguoi dung dau", "lanh dao"):
        words = tuple(title.split())
        if key[: len(words)] == words and len(key) > len(words):
            return key[len(words) :]
    return key


def _strip_suffix(key: tuple[str, ...]) -> tuple[str, ...]:
    for suffix in sorted(SUFFIXES, key=lambda s: -len(s.split())):
        words = tuple(suffix.split())
        if len(key) > len(words) and key[-len(words) :] == words:
            return key[: -len(words)]
    # "phường Hòa Phong" at the end: a place
    for i in range(len(key) - 1, max(0, len(key) - 5), -1):
        if key[i] in ("phuong", "xa") and i > 0:
            return key[:i]
    return key


def _variants(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    out = [key]
    for f in (_strip_prefix, _strip_suffix):
        for v in list(out):
            w = f(v)
            if w and w not in out:
                out.append(w)
    s = _strip_prefix(_strip_suffix(key))
    if s and s not in out:
        out.append(s)
    return out


def _bag(key: tuple[str, ...]) -> tuple[str, ...]:
    return ("#bag", *sorted(w for w in key if w != "va"))


def _squash(key: tuple[str, ...]) -> tuple[str, ...]:
    return ("#squash", "".join(key))


def is_professional_group(written: str) -> bool:
    key = " ".join(_key(written))
    if not PROFESSIONAL_GROUP.match(key):
        return False
    return not any(re.search(rf"\b{w}\b", key) for w in PROVINCE_WORDS)


def is_vague(written: str) -> bool:
    key = _key(written)
    if any(p in " ".join(key) for p in VAGUE_PHRASES):
        return True
    return bool(key) and set(key) <= VAGUE_WORDS


def _generic_end(toks: Sequence[Tok], k: int, head: int, resolver: UnitResolver) -> int:
    j = k + head
    n = len(toks)
    listed = False  # a comma piece was taken in: "các xã, phường và đặc khu"
    while j < n and j - k < 16:
        t = toks[j]
        if _hard(t.gap):
            break
        if _comma(t.gap):
            kind = t.word[:1].islower() and vn_lower(t.word) in GROUP_NOUNS
            if kind and (toks[k].f == "cac" or not starts_unit(toks, j, resolver)):
                j, listed = j + 1, True  # "các xã, phường có ...", "các phòng, đơn vị ..."
                continue
            if starts_unit(toks, j, resolver) or stop_at(toks, j):
                break
            piece = _piece_end(toks, j)
            if piece - j <= 4 and _capital(t):
                j, listed = piece, True  # "Phòng Kinh tế, Hạ tầng và Đô thị"
                continue
            break
        if t.f in JOINERS:
            if toks[j - 1].f in HDND_UBND and j + 1 < n and toks[j + 1].f in HDND_UBND:
                j += 2
                continue
            if j + 1 >= n or starts_unit(toks, j + 1, resolver) or stop_at(toks, j + 1):
                break
            piece = _piece_end(toks, j + 1)
            if piece - (j + 1) <= 3 and (_capital(toks[j + 1]) or (listed and piece - j <= 3)):
                j = piece
                continue
            break
        if stop_at(toks, j):
            break
        j += 1
    return j


def _piece_end(toks: Sequence[Tok], j: int) -> int:
    """End of the piece starting at j: up to the next comma, hard stop, "và" or stop word."""
    e = j + 1
    while e < len(toks):
        t = toks[e]
        if _hard(t.gap) or _comma(t.gap) or t.f in JOINERS or stop_at(toks, e):
            break
        e += 1
    return e


def starts_unit(toks: Sequence[Tok], k: int, resolver: UnitResolver) -> bool:
    """Whether a unit's name starts at k (without reading to its end)."""
    return k < len(toks) and (resolver.alias_end(toks, k) is not None or head_at(toks, k) > 0)


def unit_at(toks: Sequence[Tok], k: int, resolver: UnitResolver) -> int | None:
    """End token of one unit's name starting at k, or None."""
    if k >= len(toks):
        return None
    end = resolver.alias_end(toks, k)
    if end is not None:
        return end
    head = head_at(toks, k)
    if not head:
        return None
    end = _generic_end(toks, k, head, resolver)
    if end == k + head and " ".join(t.f for t in toks[k:end]) in BARE_HEADS:
        return None  # "Trung tâm có trách nhiệm ...": the unit named before, not a name
    return end


def read_units(
    toks: Sequence[Tok], k: int, resolver: UnitResolver
) -> tuple[list[tuple[int, int]], int]:
    """Unit names (token spans) listed from k, and the token where the list ends."""
    spans: list[tuple[int, int]] = []
    n = len(toks)
    while k < n:
        end = unit_at(toks, k, resolver)
        if end is None or end <= k:
            break
        spans.append((k, end))
        k = end
        if k >= n or (_hard(toks[k].gap) and ";" not in toks[k].gap):
            break
        nxt = k
        sep = _longest(toks, k, LIST_SEPARATORS)
        if sep and not _comma(toks[k].gap):
            nxt = k + sep
        elif not (_comma(toks[k].gap) or ";" in toks[k].gap):
            break
        if unit_at(toks, nxt, resolver) is None:
            break
        k = nxt
    return spans, k


def span_text(text: str, toks: Sequence[Tok], span: tuple[int, int]) -> str:
    a, b = span
    return re.sub(r"\s+", " ", text[toks[a].start : toks[b - 1].end]).strip()
