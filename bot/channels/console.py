"""The console channel: the bot on a terminal or in a pipe, with no messenger.

One message per line; a block between two lines of three double quotes is one message
(to paste a report); `:file PATH` sends a file; buttons show as numbered choices answered
with the number. At a terminal each message's replies are printed as one block followed by
a blank line; in a pipe each block ends with a line holding only SEPARATOR, for a script to
split on (a reply may hold blank lines of its own).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.render import to_plain
from handlers.protocol import Inbound, InboundFile, Reply
from handlers.router import Router
from locales import translator
from store.records import PersonRec

PASTE_MARK = '"""'
FILE_PREFIX = ":file "
SEPARATOR = "%%"  # ends each reply block in a pipe; never a whole line of a reply


def render(reply: Reply, language: str) -> str:
    _ = translator(language)
    lines = [to_plain(reply.text)] if reply.text else []
    choices = [b for row in reply.buttons for b in row]
    for number, button in enumerate(choices, start=1):
        lines.append(f"  {number}. {button.label}")
    if choices:
        lines.append(_("(answer with the number of your choice)"))
    return "\n".join(lines)


def _file_inbound(base: Inbound, path: Path) -> Inbound:
    async def fetch() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    size = path.stat().st_size if path.exists() else None
    return Inbound(
        **{
            **base.__dict__,
            "text": "",
            "event": "message",
            "file": InboundFile(path.name, size, None, fetch),
        }
    )


class Console:
    def __init__(
        self,
        router: Router,
        person: PersonRec,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ):
        self.router, self.person, self.stdin, self.stdout = router, person, stdin, stdout
        self.interactive = stdin.isatty()
        self.language = person.language or "vi"

    def _base(self, text: str) -> Inbound:
        return Inbound(
            channel="console",
            chat_id=f"console:{self.person.id}",
            chat_kind="private",
            user_id=f"person:{self.person.id}",
            user_name=self.person.name,
            text=text,
            language=self.language,
        )

    async def _readline(self) -> str | None:
        if self.interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\n")

    async def messages(self) -> AsyncIterator[Inbound]:
        while (line := await self._readline()) is not None:
            if line.strip() == PASTE_MARK:
                block: list[str] = []
                while (more := await self._readline()) is not None and more.strip() != PASTE_MARK:
                    block.append(more)
                yield self._base("\n".join(block))
            elif line.startswith(FILE_PREFIX):
                path = Path(line[len(FILE_PREFIX) :].strip()).expanduser()
                if not path.is_file():
                    _ = translator(self.language)
                    self._print(_("No such file: {path}", path=str(path)))
                    continue
                yield _file_inbound(self._base(""), path)
            elif line.strip():
                yield self._base(line)

    def _print(self, block: str) -> None:
        end = "\n\n" if self.interactive else "\n" + SEPARATOR + "\n"
        self.stdout.write(block.rstrip("\n") + end)
        self.stdout.flush()

    async def run(self) -> None:
        if self.interactive:
            _ = translator(self.language)
            self._print(
                _(
                    "ChiSo Bot console — speaking as {name}. Type a question "
                    "(e.g. “điểm hiện tại?”), "
                    '/help for help, a line with """ to start and end a pasted text, '
                    ":file PATH to send a file, Ctrl-D to quit.",
                    name=self.person.name,
                )
            )
        async for inbound in self.messages():
            replies = await self.router.handle(inbound)
            texts = [render(r, self.language) for r in replies]
            self._print("\n\n".join(t for t in texts if t) or "…")
