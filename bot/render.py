"""Turns a Reply's light markup into each channel's form, and splits long text."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
# a mention of a person: @[Name](user:ID); Telegram renders a link that notifies the person
_MENTION = re.compile(r"@\[([^\]\n]+)\]\(user:(\d+)\)")
_CODE = re.compile(r"`([^`\n]+)`")


def to_html(text: str) -> str:
    """Telegram HTML: escape, then **bold** -> <b>, `code` -> <code>."""
    escaped = html.escape(text, quote=False)
    escaped = _MENTION.sub(r'<a href="tg://user?id=\2">\1</a>', escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _CODE.sub(r"<code>\1</code>", escaped)


def to_plain(text: str) -> str:
    return _MENTION.sub(r"@\1", _CODE.sub(r"\1", _BOLD.sub(r"\1", text)))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript (and Zalo) counts it: a character outside
    the Basic Multilingual Plane (most emoji) counts 2."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


ZALO_LIMIT = 2000  # Zalo's text limit, in UTF-16 code units


def zalo_len(text: str) -> int:
    """The larger of the two counts (code points, UTF-16 units): always the UTF-16 one."""
    return max(len(text), utf16_len(text))


def _joins_previous(ch: str) -> bool:
    """A character that belongs to the one before it (never cut right before it)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")  # combining marks (NFD Vietnamese)
        or code == 0x200D  # zero-width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (✅️ ⚠️)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or code == 0x20E3  # keycap
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def safe_cut(text: str, index: int) -> int:
    """`index` moved back, if need be, so that text[:index] ends between two grapheme-ish
    clusters: not inside an emoji sequence (ZWJ, skin tone, variation selector, keycap, flag)
    or before a combining mark. 0 when no such cut exists before `index`."""
    index = max(0, min(index, len(text)))
    while 0 < index < len(text):
        if _joins_previous(text[index]) or text[index - 1] == "\u200d":
            index -= 1
            continue
        if _is_regional(text[index]) and _is_regional(text[index - 1]):
            run = 0  # regional indicators pair up into flags from the start of their run
            while index - run - 1 >= 0 and _is_regional(text[index - run - 1]):
                run += 1
            if run % 2:
                index -= 1
                continue
        break
    return index


def _longest_fit(line: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest k such that measure(line[:k]) <= limit (measure grows with k)."""
    low, high = 0, len(line)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(line[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Splits at line boundaries (then at spaces) so that no part measures more than `limit`
    (`measure`: characters by default; `zalo_len` counts as Zalo does). A cut never falls
    inside an emoji sequence or before a combining mark."""
    if measure(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while measure(line) > limit:  # a single line longer than the limit: cut at a space
            fit = _longest_fit(line, limit, measure)
            cut = line.rfind(" ", 0, fit + 1)
            if cut <= 0:
                cut = safe_cut(line, fit) or max(1, fit)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def split_for_zalo(text: str, limit: int = ZALO_LIMIT) -> list[str]:
    """Parts within Zalo's limit in both code points and UTF-16 code units, never empty."""
    return [part for part in split_text(text, limit, zalo_len) if part.strip()]
