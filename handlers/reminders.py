"""A reminder's buttons: snooze until tomorrow, details ("done" is /xong in handlers/tasks.py).

What a reminder says is `reminders/wording.py` (the scheduler writes it into the outbox).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import Ctx
from handlers.labels import document_kind
from handlers.permissions import check
from handlers.protocol import Reply, literal
from handlers.tasks import render_task
from reminders.policy import policy_from
from reminders.wording import DETAILS_PREFIX, SNOOZE_PREFIX
from store.keys import snooze_key
from store.outbox import OutboxItem

__all__ = ["DETAILS_PREFIX", "SNOOZE_PREFIX", "details", "snooze"]


async def details(ctx: Ctx, arg: str) -> Reply:
    _ = ctx._
    assert ctx.ward is not None
    if not arg.isdigit():
        return Reply(_("Which task? Type /xong followed by its number, e.g. /xong 3."))
    task = await ctx.tasks.task(ctx.ward.id, int(arg))
    if task is None:
        return Reply(_("There is no task #{number}.", number=arg))
    today = ctx.clock.now().date()
    lines = render_task(task, ctx, today)
    lines.insert(1, task.text if len(task.text) > 220 else "")
    d = task.directive
    lines.append(
        "    " + _("From: {title}", title=f"{document_kind(d.kind, _)} {d.number}".strip())
    )
    if task.deadline_text:
        lines.append("    " + _("As written: “{text}”", text=task.deadline_text))
    return Reply("\n".join(line for line in lines if line))


async def snooze(ctx: Ctx, arg: str) -> Reply:
    """Snooze until tomorrow: only for members of the task's departments."""
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    if not arg.isdigit():
        return Reply(_("Which task? Type /xong followed by its number, e.g. /xong 3."))
    task = await ctx.tasks.task(ctx.ward.id, int(arg))
    if task is None:
        return Reply(_("There is no task #{number}.", number=arg))
    if task.status == "done":
        return Reply(_("Task #{number} is already done.", number=task.number))
    units = ", ".join(literal(u.name) for u in task.units) or "?"
    refusal = check(ctx, "snooze_task", departments=task.departments, units=units)
    if refusal:
        return refusal
    now = ctx.clock.now()
    until = ctx.services.calendar.next_working_day(now.date() + timedelta(days=1))
    await ctx.tasks.snooze(ctx.ward.id, task.number, until, ctx.person.name, now)
    # the reminder comes back on the next working day's morning, through the outbox
    office = policy_from(ctx.ward.reminder_policy).office_time
    at = datetime.combine(until, office, tzinfo=now.tzinfo)
    lines = [
        _("🔔 Reminder, as asked yesterday: task #{number}.", number=task.number),
        *render_task(task, ctx, until),
    ]
    chats = await ctx.repo.ward_chats(ctx.ward.id, kind="department")
    items = [
        OutboxItem(
            key=snooze_key(task.id, until, c.channel, c.chat_id),
            channel=c.channel,
            chat_id=c.chat_id,
            ward_id=ctx.ward.id,
            lane="reminder",
            payload={"text": "\n".join(lines), "buttons": []},
            not_before=at,
        )
        for c in chats
        if c.department in task.departments
    ]
    await ctx.services.outbox.enqueue(items, now)
    return Reply(
        _(
            "Task #{number}: no more reminders today; I will remind again on {date}.",
            number=task.number,
            date=_.date(until),
        )
    )
