"""The end of a directive: the "Nơi nhận" list and the signature block.

"Nơi nhận:" and the entries after it are the copies ("Như trên", "Như Điều 3" and "Lưu: VT"
are left out). The signature block is the run of capacities ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ
TỊCH", "PHÓ CHỦ TỊCH", "CHÁNH VĂN PHÒNG" ...) and the signer's name after them. Either may come
first, and a flattened two-column layout puts them on the same lines ("- Như trên; | KT. CHỦ
TỊCH", "- Lưu: VT.        Trần Văn Minh"): capacities are taken from any column, list entries
from the "Nơi nhận" column. `Foot.stop` is where the body ends; `Foot.resume` is where an
appendix or an attached plan may begin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.directive_header import COPIES_LABEL, SIGN_PREFIX, Line, add_recipient, is_upper
from ingest.textnorm import fold

# =============================================================================================
# Vocabulary (folded)
# =============================================================================================

CAPACITIES = (
    "chu tich",
    "pho chu tich",
    "chanh van phong",
    "pho chanh van phong",
    "giam doc",
    "pho giam doc",
    "truong phong",
    "pho truong phong",
    "truong ban",
    "pho truong ban",
    "bi thu",
    "pho bi thu",
    "thu truong",
    "chu tich ubnd",
    "pho chu tich ubnd",
    "uy ban nhan dan",
    "van phong",
)
SIGNATURE_NOISE = ("da ky", "ky", "ky ten", "ky, ghi ro ho ten", "ky ten, dong dau", "chu ky")

# =============================================================================================


@dataclass
class Foot:
    copies: list[str] = field(default_factory=list)
    signer: str | None = None
    signer_title: str | None = None
    stop: int | None = None  # index of the first line of "Nơi nhận" or the signature
    resume: int | None = None  # index after the signature (an appendix may follow)


def _capacity(text: str) -> bool:
    text = text.strip()
    if not text or not is_upper(text):
        return False
    if SIGN_PREFIX.match(text):
        return True
    return fold(text).rstrip(" :") in CAPACITIES


def _split_capacity(text: str) -> tuple[str, str | None]:
    """'- Như trên; KT. CHỦ TỊCH' -> ('- Như trên;', 'KT. CHỦ TỊCH')."""
    m = re.search(r"(?:^|\s)((?:TM|KT|TL|TUQ)\s*\.\s*[^\s].*)$", text)
    if m and is_upper(m.group(1)):
        return text[: m.start(1)].rstrip(" |"), m.group(1).strip()
    for seg in reversed(re.split(r"\s+\|\s+|\s{3,}", text)):
        if seg is not text and _capacity(seg) and seg != text:
            return text[: text.rfind(seg)].rstrip(" |"), seg
    return text, None


def _name_like(text: str) -> bool:
    text = text.strip()
    words = text.split()
    if not 2 <= len(words) <= 7 or len(text) > 50:
        return False
    if any(ch.isdigit() for ch in text) or re.search(r"[:;/()\[\]]", text):
        return False
    if _capacity(text):
        return False
    return all(w[:1].isupper() for w in words)


_LIST_ITEM = re.compile(r"^[-–+•]\s*")


def parse_foot(lines: list[Line], start: int) -> Foot:
    """Nơi nhận and the signature, looked for from line index `start`.

    Either may come first, and in a flattened two-column layout they share lines
    ("- Như trên; | KT. CHỦ TỊCH"): capacities are taken from any column, list items from
    the "Nơi nhận" column, and the name is the first name-like line after the capacities.
    """
    foot = Foot()
    titles: list[str] = []
    in_copies = False
    i = start
    n = len(lines)
    gap = 0
    while i < n:
        text = lines[i].text
        if not text:
            i += 1
            gap += 1
            if titles and gap > 14:
                break
            continue
        gap = 0
        rest, cap = ("", text) if _capacity(text) else _split_capacity(text)
        rest = rest.strip(" |")
        columns = re.split(r"\s+\|\s+|\s{3,}", rest)
        if titles and len(columns) > 1 and _name_like(columns[-1]):
            # "- Lưu: VT.            Trần Văn Minh": the name beside the last list item
            if in_copies and _LIST_ITEM.match(columns[0]):
                add_recipient(foot.copies, columns[0])
            foot.signer = re.sub(r"\s+", " ", columns[-1]).strip()
            foot.resume = i + 1
            break
        f = fold(rest)
        if f.startswith(COPIES_LABEL):
            foot.stop = i if foot.stop is None else min(foot.stop, i)
            in_copies = True
            inline = re.sub(r"\(.*?\)", "", rest.split(":", 1)[1] if ":" in rest else "")
            if inline.strip():
                add_recipient(foot.copies, inline)
        elif rest and in_copies and _LIST_ITEM.match(rest):
            add_recipient(foot.copies, rest)
        elif rest and titles and not cap:
            if f.strip("()[] .") in SIGNATURE_NOISE:
                pass
            elif _name_like(rest):
                foot.signer = re.sub(r"\s+", " ", rest).strip()
                foot.resume = i + 1
                break
            elif not in_copies or not _LIST_ITEM.match(rest):
                foot.resume = i
                break
        elif rest:
            in_copies = False
        if cap is not None:
            titles.append(re.sub(r"\s+", " ", cap).strip())
            foot.stop = i if foot.stop is None else min(foot.stop, i)
        i += 1
    foot.signer_title = " / ".join(titles) or None
    if foot.stop is not None and foot.resume is None:
        foot.resume = i
    # a "Nơi nhận" list written after the signature
    k = foot.resume if foot.resume is not None else n
    while k < n and not lines[k].text:
        k += 1
    if k < n and fold(lines[k].text).startswith(COPIES_LABEL):
        foot.resume = _copies(lines, k, foot)
    return foot


def _copies(lines: list[Line], i: int, foot: Foot) -> int:
    text = lines[i].text
    rest, _cap = _split_capacity(text)
    inline = rest.split(":", 1)[1] if ":" in rest else ""
    inline = re.sub(r"\(.*?\)", "", inline).strip()
    if inline:
        add_recipient(foot.copies, inline)
    j = i + 1
    while j < len(lines):
        t = lines[j].text
        if not t:
            if j + 1 < len(lines) and _LIST_ITEM.match(lines[j + 1].text):
                j += 1
                continue
            break
        if not _LIST_ITEM.match(t):
            break
        item, _cap = _split_capacity(t)
        add_recipient(foot.copies, item)
        j += 1
    return j
