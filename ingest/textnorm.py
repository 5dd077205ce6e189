"""Text normalisation shared by every reader and matcher of Vietnamese input.

`fold("Điểm hiện tại?")` == "diem hien tai?": lower case, no diacritics, đ→d, dashes unified,
white space collapsed. Matching always happens on folded text, so "diem hien tai" and
"điểm hiện tại" are the same question, and "Văn hóa –Xã hội" equals "van hoa - xa hoi".
"""

from __future__ import annotations

import re
import unicodedata

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_SPACES = re.compile(r"\s+")
_DASH_SPACING = re.compile(r"\s*-\s*")


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Lower case, no diacritics, unified dashes and single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_DASHES).replace("\u00a0", " ")
    text = strip_diacritics(text).lower()
    return _SPACES.sub(" ", text).strip()


def fold_name(text: str) -> str:
    """Like fold, for names of units: "Văn hóa –Xã hội" -> "van hoa - xa hoi"."""
    return _DASH_SPACING.sub(" - ", fold(text))


def nfc(text: str) -> str:
    """Canonical composed form: Word files mix composed and decomposed Vietnamese."""
    return unicodedata.normalize("NFC", text)
