"""`chiso tasks [--department CODE] [--status open|done|overdue] [--json]`: the ward's tasks;
`chiso tasks reschedule N DATE`: change a task's deadline, as /doihan does in a chat."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.common import _, add_ward_option, err, one_ward, open_app, out

if TYPE_CHECKING:
    from datetime import date

    from bot.config import Settings
    from store.records import TaskRec

STATUSES = ("open", "done", "overdue")


def status_of(task: TaskRec, today: date) -> str:
    """done, overdue (open and past its deadline) or open."""
    if task.status == "done":
        return "done"
    if task.deadline is not None and task.deadline < today:
        return "overdue"
    return "open"


def task_json(task: TaskRec, today: date, department: str | None = None) -> dict[str, Any]:
    """One task as `chiso tasks --json` prints it."""
    leads = [u for u in task.units if u.role == "lead"]
    mine = next((u for u in task.units if department and u.department == department), None)
    d = task.directive
    return {
        "number": task.number,
        "directive": {
            "kind": d.kind,
            "number": d.number,
            "date": d.issued_on.isoformat() if d.issued_on else None,
            "subject": d.subject,
        },
        "departments": [u.department or u.name for u in leads],
        "role": mine.role if mine else ("lead" if leads else None),
        "units": [{"department": u.department, "name": u.name, "role": u.role} for u in task.units],
        "task": task.text,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "recurrence": task.recurrence,
        "status": status_of(task, today),
        "closed_by": task.closed_by,
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        "evidence": (
            {"text": task.evidence_text, "file": task.evidence_file}
            if task.evidence_text or task.evidence_file
            else None
        ),
    }


async def cmd_tasks_list(
    settings: Settings,
    department: str | None,
    status: str | None,
    as_json: bool,
    ward_name: str | None,
) -> int:
    """`chiso tasks`: the ward's tasks, as /viec lists them, or as JSON."""
    import json

    from bot.render import to_plain
    from handlers.context import Ctx
    from handlers.protocol import Inbound
    from handlers.tasks import render_task

    app = await open_app(settings)
    try:
        ward = await one_ward(app, ward_name)
        if ward is None:
            return 2
        code = None
        if department:
            dept = ward.department(department) or next(
                (d for d in ward.departments if d.code.casefold() == department.casefold()), None
            )
            if dept is None:
                err(
                    _(
                        "{ward} has no department “{code}”; its departments: {codes}.",
                        ward=ward.name,
                        code=department,
                        codes=", ".join(d.code for d in ward.departments),
                    )
                )
                return 2
            code = dept.code
        today = app.services.clock.now().date()
        tasks = await app.services.tasks.open_tasks(
            ward.id, [code] if code else None, include_done=status != "open"
        )
        tasks = [t for t in tasks if status is None or status_of(t, today) == status]
        tasks.sort(key=lambda t: t.number)
        if as_json:
            print(
                json.dumps([task_json(t, today, code) for t in tasks], ensure_ascii=False, indent=2)
            )
            return 0
        if not tasks:
            out(_("No tasks match."))
            return 0
        inbound = Inbound(channel="console", chat_id="cli", chat_kind="private", user_id="cli")
        ctx = Ctx(app.services, inbound, ward=ward)
        for task in tasks:
            for line in render_task(task, ctx, today):
                out(to_plain(line))
        return 0
    finally:
        await app.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tasks = sub.add_parser("tasks", help=_("tasks from directives"))
    tasks.add_argument("--department", help=_("only this department's tasks (its code)"))
    tasks.add_argument("--status", choices=STATUSES, help=_("only tasks open, done or overdue"))
    tasks.add_argument("--json", action="store_true", help=_("print JSON"))
    add_ward_option(tasks)
    tasks.set_defaults(
        run=lambda settings, args: cmd_tasks_list(
            settings, args.department, args.status, args.json, args.ward
        )
    )
    tasks_sub = tasks.add_subparsers(dest="what")
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

    from handlers.reschedule import change_deadline, outcome_text, read_date

    app = await open_app(settings)
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
