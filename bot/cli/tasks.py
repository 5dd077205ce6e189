"""`chiso tasks reschedule N DATE`: change a task's deadline, as /doihan does in a chat."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import _, add_ward_option, err, one_ward, out

if TYPE_CHECKING:
    from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tasks = sub.add_parser("tasks", help=_("tasks from directives"))
    tasks_sub = tasks.add_subparsers(dest="what", required=True)
    resched = tasks_sub.add_parser("reschedule", help=_("change a task's deadline"))
    resched.add_argument("number", type=int, help=_("the task's number"))
    resched.add_argument("date", help=_("the new deadline, e.g. 15/12/2025"))
    resched.add_argument("--reason", default="", help=_("why, for the record and the chats"))
    add_ward_option(resched)
    resched.set_defaults(
        run=lambda settings, args: cmd_tasks_reschedule(
            settings, args.number, args.date, args.reason, args.ward
        )
    )


async def cmd_tasks_reschedule(
    settings: Settings, number: int, day_text: str, why: str, ward_name: str | None
) -> int:
    """`chiso tasks reschedule N DATE [--reason TEXT]`: as /doihan, by the console's user."""
    import os

    from bot.app import App
    from handlers.reschedule import change_deadline, outcome_text, read_date

    app = await App.open(settings, charts=False)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        new = read_date(day_text, app.services.clock.now().date())
        if new is None:
            err(
                _(
                    "“{text}” is not a date I understand; write it as DD/MM/YYYY (or DD/MM), "
                    "e.g. 15/12/2025. Nothing was changed.",
                    text=day_text,
                )
            )
            return 2
        who = os.environ.get("USER") or "console"
        result, told = await change_deadline(app.services, ward.id, number, new, who, why)
    finally:
        await app.close()
    text = outcome_text(result, number, new, told, _).replace("**", "")
    if result.outcome != "changed":
        err(text)
        return 2
    out(text)
    return 0
