"""Change a stored task's deadline: `/doihan N DD/MM/YYYY [lý do]` and `chiso tasks reschedule`.

Administrators and the chairman may change it. The change is recorded (who, when, why), the
department chats of the task are told through the outbox in the same transaction, and the
reminders follow the new date from then on (the old date gets no overdue or escalation).
A recurring duty has no single deadline and is refused, as are a done task, an unknown
number, a date that is not a date, and a date already past: each says so and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from handlers.context import Ctx, Services
from handlers.permissions import check
from handlers.protocol import Reply
from handlers.tasks import directive_title, recurrence_text, short, units_text
from ingest.deadlines import parse_deadline
from locales import Translator, translator
from store.keys import deadline_change_key
from store.outbox import OutboxItem
from store.records import ChatRec, TaskRec
from store.tasks import Rescheduled


def read_date(text: str, today: date) -> date | None:
    """A day as people type it: "15/12/2025", "15/12" (the coming one), or ISO 2025-12-15."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = parse_deadline(text, reference=today)
    if found is None or found.date is None or found.recurrence or found.text != text:
        return None
    return found.date


def parse_args(arg: str) -> tuple[int | None, str, str]:
    """ "3 15/12/2025 chờ hướng dẫn" -> (3, "15/12/2025", "chờ hướng dẫn")."""
    parts = arg.strip().split(maxsplit=2)
    number = parts[0].lstrip("#") if parts else ""
    day = parts[1] if len(parts) > 1 else ""
    why = parts[2].strip() if len(parts) > 2 else ""
    return (int(number) if number.isdigit() else None), day, why


def _day(value: date | None, _: Translator) -> str:
    return _.date(value) if value is not None else _("no deadline")


def notice(task: TaskRec, old: date | None, who: str, why: str, _: Translator) -> str:
    """What the department chats read when the deadline of their task changes."""
    lines = [
        _(
            "📅 Task #{number}: the deadline is changed from {old} to {new} by {who}.",
            number=task.number,
            old=_day(old, _),
            new=_day(task.deadline, _),
            who=who,
        ),
        _("Reason: {why}", why=why) if why else "",
        short(task.text, 400),
        units_text(task, _),
        _("From: {title}", title=directive_title(task, _)),
        _("Reminders now follow the new date."),
    ]
    return "\n".join(line for line in lines if line)


Notices = Callable[[TaskRec, date | None, int], list[OutboxItem]]


def notices_for(chats: list[ChatRec], who: str, why: str) -> Notices:
    """The notices of a change to the task's department chats (TaskStore.reschedule calls
    this inside its transaction, with the task as changed, the old deadline and the change's
    number)."""

    def make(task: TaskRec, old: date | None, change: int) -> list[OutboxItem]:
        _ = translator("vi")
        text = notice(task, old, who, why, _)
        departments = set(task.departments)
        return [
            OutboxItem(
                key=deadline_change_key(task.id, change, c.channel, c.chat_id),
                channel=c.channel,
                chat_id=c.chat_id,
                payload={"text": text, "buttons": []},
                ward_id=task.ward_id,
                lane="notice",
            )
            for c in chats
            if c.kind == "department" and c.department in departments
        ]

    return make


async def change_deadline(
    services: Services, ward_id: int, number: int, new: date, who: str, why: str
) -> tuple[Rescheduled, int]:
    """Changes the deadline and tells the department chats; (the result, chats told)."""
    now = services.clock.now()
    make = notices_for(await services.repo.ward_chats(ward_id, kind="department"), who, why)
    told = 0

    def counted(task: TaskRec, old: date | None, change: int) -> list[OutboxItem]:
        nonlocal told
        items = make(task, old, change)
        told = len(items)
        return items

    result = await services.tasks.reschedule(
        ward_id, number, new, who, why, now, now.date(), notices=counted
    )
    if result.outcome == "changed" and told and services.on_outbox:
        services.on_outbox()
    return result, told


def outcome_text(result: Rescheduled, number: int, new: date, told: int, _: Translator) -> str:
    """The answer to whoever asked for the change."""
    task = result.task
    if result.outcome == "no_task" or task is None:
        return _("There is no task #{number}.", number=number)
    if result.outcome == "closed":
        return _("Task #{number} is already done; its deadline was not changed.", number=number)
    if result.outcome == "recurring":
        return _(
            "Task #{number} is a recurring duty ({rhythm}): it has no single deadline to "
            "change. Nothing was changed.",
            number=number,
            rhythm=recurrence_text(task.recurrence, _) or "",
        )
    if result.outcome == "past":
        return _(
            "{date} is already past; choose today or a later day. Nothing was changed.",
            date=_.date(new),
        )
    if result.outcome == "same":
        return _(
            "Task #{number} is already due on {date}; nothing was changed.",
            number=number,
            date=_.date(new),
        )
    head = _(
        "📅 Task #{number}: the deadline is now {new} (it was {old}); reminders follow the "
        "new date.",
        number=number,
        new=_.date(new),
        old=_day(result.old, _),
    )
    if not told:
        return "\n".join([head, _("No department chat of this task is registered to tell.")])
    return "\n".join(
        [
            head,
            _.plural(
                "{n} department chat is told.",
                "{n} department chats are told.",
                told,
            ),
        ]
    )


def usage(_: Translator) -> str:
    return _(
        "Which task and which day? Type /doihan NUMBER DD/MM/YYYY and the reason, "
        "e.g. /doihan 3 15/12/2025 waiting for the department's guidance."
    )


async def change(ctx: Ctx, arg: str) -> Reply:
    """/doihan N DD/MM/YYYY [lý do]."""
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    refusal = check(ctx, "reschedule_task")
    if refusal:
        return refusal
    number, day_text, why = parse_args(arg)
    if number is None or not day_text:
        return Reply(usage(_))
    today = ctx.clock.now().date()
    new = read_date(day_text, today)
    if new is None:
        return Reply(
            _(
                "“{text}” is not a date I understand; write it as DD/MM/YYYY (or DD/MM), "
                "e.g. 15/12/2025. Nothing was changed.",
                text=day_text,
            )
        )
    result, told = await change_deadline(
        ctx.services, ctx.ward.id, number, new, ctx.person.name, why
    )
    return Reply(outcome_text(result, number, new, told, _))
