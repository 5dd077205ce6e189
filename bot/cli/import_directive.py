"""`chiso import directive FILE [--yes]`: load a directive as an admin does in a chat.

The same reader (worker process, limits), the same preview (`handlers.directives.describe`),
and on confirm the same storing, notices to the department chats and offer of quoted
figures (`handlers.directives.on_choice`), acting as the ward's first admin.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import (
    _,
    add_ward_option,
    confirmed,
    err,
    one_ward,
    open_app,
    out,
    read_file,
)

if TYPE_CHECKING:
    from bot.config import Settings


def register_into(imp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    directive = imp_sub.add_parser(
        "directive", help=_("load a directive's tasks (.docx, .pdf, .txt)")
    )
    directive.add_argument("file", type=Path)
    directive.add_argument("--yes", action="store_true", help=_("store without asking"))
    add_ward_option(directive)
    directive.set_defaults(
        run=lambda settings, args: cmd_import_directive(settings, args.file, args.yes, args.ward)
    )


def preview_lines(data: dict[str, Any], ward: Any) -> list[str]:
    """The chat's preview, every page: the first in full, the next ones from their heading."""
    from handlers.directives import TASKS_PER_PAGE, describe, pages_of
    from handlers.pages import page_heading, page_items

    pages = pages_of(data)
    lines = describe(data, ward, _, 1)
    for page in range(2, pages + 1):
        shown = page_items(data["tasks"], page, TASKS_PER_PAGE)
        more = describe(data, ward, _, page)
        heading = page_heading(page, pages, shown[0][0], shown[-1][0], _)
        lines += ["", *more[more.index(heading) :]]
    return [line.replace("**", "") for line in lines]


async def cmd_import_directive(
    settings: Settings, path: Path, yes: bool, ward_name: str | None
) -> int:
    from handlers.context import Ctx
    from handlers.directives import CONFIRM_KIND, PENDING_TTL, document_problem, on_choice
    from handlers.protocol import Inbound
    from handlers.reading import ReadRefused, read_document, refusal_text

    data = read_file(path)
    if data is None:
        return 2
    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        admin = next((p for p in await app.repo.people(ward.id) if p.role == "admin"), None)
        if admin is None:
            err(
                _(
                    "{ward} has no admin in ward.toml; add one and run `chiso setup`.",
                    ward=ward.name,
                )
            )
            return 2
        reader = app.services.reader
        assert reader is not None  # App.open gives every app its pool
        today = app.services.clock.now().date()
        try:
            reader.check_size(len(data))
            got = await reader.run(
                read_document, path.name, data, ward, today, reader.limits, False
            )
        except ReadRefused as exc:
            err(refusal_text(exc, path.name, _))
            return 2
        if got.error is not None:
            err(document_problem(got.error, path.name, _, got.limit))
            return 2
        directive = got.directive
        if directive is None or not directive["tasks"]:
            err(
                _(
                    "I found no tasks for the ward's departments in this document; "
                    "nothing was stored."
                )
            )
            return 2
        directive["source_name"] = path.name
        for line in preview_lines(directive, ward):
            out(line)
        out()
        if not yes and not confirmed(
            _("Store this directive? [y/N] "),
            _("Not stored: confirm with --yes when not at a terminal."),
            _("Cancelled; nothing was stored."),
        ):
            return 1
        # as the admin would in the console: a question, answered "confirm"
        inbound = Inbound(
            channel="console",
            chat_id=f"console:{admin.id}",
            chat_kind="private",
            user_id=f"person:{admin.id}",
            user_name=admin.name,
            text="",
        )
        ctx = Ctx(app.services, inbound, person=admin, ward=ward)
        pending_id = await ctx.ask(CONFIRM_KIND, directive, ["confirm", "discard"], PENDING_TTL)
        reply = await on_choice(ctx, pending_id, directive, "confirm")
        from bot.render import to_plain

        out(to_plain(reply.text))
        if reply.buttons:  # the figures the directive quotes: a question left for the chat
            out(
                _(
                    'Answer this question in `chiso chat --as "{name}"`.',
                    name=admin.name,
                )
            )
        return 0
    finally:
        await app.close()
