"""Turns a Reply's light markup into each channel's form, and splits long text."""

from __future__ import annotations

import html
import re

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


def split_text(text: str, limit: int) -> list[str]:
    """Splits at line boundaries so that no part is longer than `limit` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than the limit: cut at a space
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
