"""Turns a Reply's light markup into each channel's form, and splits long text."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from handlers.protocol import ESCAPABLE, literal

__all__ = ["ESCAPABLE", "literal", "split_for_zalo", "split_text", "to_html", "to_plain"]

# a mention of a person: @[Name](user:ID); Telegram renders a link that notifies the person
_MENTION = re.compile(r"@\[([^\]\n]+)\]\(user:(\d+)\)")


@dataclass(frozen=True)
class _Token:
    kind: str  # text | bold | code | mention
    text: str = ""
    user_id: str = ""


def _code_span(text: str, start: int) -> tuple[str, int] | None:
    """`code` starting at text[start] on one line: its content (escapes read) and the index
    after it; None when no closing backtick follows or the span is empty."""
    content: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            content.append(text[i + 1])
            i += 2
            continue
        if ch == "\n":
            return None
        if ch == "`":
            return ("".join(content), i + 1) if content else None
        content.append(ch)
        i += 1
    return None


def _tokens(text: str) -> list[_Token]:
    """The markup read left to right: escaped characters are text, `code` and mentions are
    whole tokens (nothing inside them is markup), `**` is a bold mark. Bold marks are then
    paired in order; one left without a partner is plain text."""
    tokens: list[_Token] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            tokens.append(_Token("text", "".join(buffer)))
            buffer.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            buffer.append(text[i + 1])
            i += 2
            continue
        if ch == "*" and text.startswith("**", i):
            flush()
            tokens.append(_Token("bold", "**"))
            i += 2
            continue
        if ch == "`":
            code = _code_span(text, i)
            if code is not None:
                flush()
                tokens.append(_Token("code", code[0]))
                i = code[1]
                continue
        if ch == "@":
            match = _MENTION.match(text, i)
            if match is not None:
                flush()
                tokens.append(_Token("mention", match.group(1), match.group(2)))
                i = match.end()
                continue
        buffer.append(ch)
        i += 1
    flush()
    marks = [index for index, token in enumerate(tokens) if token.kind == "bold"]
    if len(marks) % 2:  # the last mark has no partner: it is text
        tokens[marks[-1]] = _Token("text", "**")
    return tokens


def to_html(text: str) -> str:
    """Telegram HTML: user text escaped once, **bold** -> <b>, `code` -> <code>, mentions ->
    links. Tags never overlap: a code span inside bold closes the bold around it, and an
    empty bold span is left out."""
    out: list[str] = []
    bold = False  # between an opening and a closing mark
    tag_open = False  # <b> written and not yet closed

    def write(piece: str, styled: bool = True) -> None:
        nonlocal tag_open
        if not piece:
            return
        if bold and styled and not tag_open:
            out.append("<b>")
            tag_open = True
        elif tag_open and not styled:
            out.append("</b>")
            tag_open = False
        out.append(piece)

    for token in _tokens(text):
        if token.kind == "bold":
            if tag_open:
                out.append("</b>")
                tag_open = False
            bold = not bold
        elif token.kind == "code":
            write(f"<code>{html.escape(token.text, quote=False)}</code>", styled=False)
        elif token.kind == "mention":
            name = html.escape(token.text, quote=False)
            write(f'<a href="tg://user?id={token.user_id}">{name}</a>')
        else:
            write(html.escape(token.text, quote=False))
    if tag_open:
        out.append("</b>")
    return "".join(out)


def to_plain(text: str) -> str:
    """Plain text (Zalo, the console): the marks dropped, mentions as @Name, user text as
    typed."""
    out = []
    for token in _tokens(text):
        if token.kind == "mention":
            out.append("@" + token.text)
        elif token.kind != "bold":
            out.append(token.text)
    return "".join(out)


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
