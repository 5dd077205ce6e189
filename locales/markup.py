"""The markup of every message the bot writes (a `Reply`'s text, an outbox row's text):
`**bold**`, `` `code` `` and `@[Name](user:ID)` mentions, with a backslash making the next
mark literal. `literal` is how user text goes into such a message; `bot/render.py` turns the
markup into each channel's format."""

from __future__ import annotations

# a backslash before one of these makes it literal text in a message (see `literal`)
ESCAPABLE = frozenset("\\*`@")


def literal(text: str) -> str:
    """User text (a task, a broadcast, a name, a chat title) made safe to put into a Reply:
    `**`, backticks and `@[x](user:1)` typed by a person are shown as typed, never read as
    the bot's own marks. Every piece of user text goes into a Reply through this once."""
    out: list[str] = []
    for index, ch in enumerate(text):
        following = text[index + 1 : index + 2]
        if ch in "*`":
            out.append("\\" + ch)
        elif ch == "\\" and (following == "" or following in ESCAPABLE):
            out.append("\\\\")
        elif ch == "@" and following == "[":
            out.append("\\@")
        else:
            out.append(ch)
    return "".join(out)


__all__ = ["ESCAPABLE", "literal"]
