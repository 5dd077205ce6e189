"""What a reminder says, and its buttons: done, snooze until tomorrow, details.

A reminder reads like a note from the office: what, whose, by when, how many days left, and
the directive it came from; late ones say how late, and escalations tell the leadership.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import Ctx
from handlers.labels import document_kind
from handlers.protocol import Button, Reply
from handlers.tasks import (
    can_close,
    directive_title,
    recurrence_text,
    render_task,
    short,
    units_text,
)
from locales import Translator
from reminders.planner import Due
from reminders.policy import policy_from
from store.keys import snooze_key
from store.outbox import OutboxItem
from store.records import TaskRec

SNOOZE_PREFIX = "hoan"
DETAILS_PREFIX = "chitiet"


def reminder(due: Due, task: TaskRec, _: Translator, mentions: str = "") -> Reply:
    """The message for one due step of one task."""
    step = due.step
    deadline = _.date(due.deadline)
    if due.deadline_day_off:
        deadline += _(" (a day off)")
    rhythm = recurrence_text(task.recurrence, _)
    if step.startswith("before-"):
        head = _(
            "🔔 Reminder: task #{number} is due on {deadline}, {days} days left "
            "({working} working days).",
            number=task.number,
            deadline=deadline,
            days=due.days_left,
            working=due.working_days_left,
        )
    elif step == "day":
        head = _(
            "🔔 Task #{number} is due today ({deadline}).", number=task.number, deadline=deadline
        )
        if rhythm:
            head = _(
                "🔔 Today's task #{number} ({rhythm}), due {deadline}.",
                number=task.number,
                rhythm=rhythm,
                deadline=deadline,
            )
    elif step == "missed":
        head = _(
            "⚠️ Task #{number} ({rhythm}) due {deadline} was not reported done.",
            number=task.number,
            rhythm=rhythm or "",
            deadline=deadline,
        )
    elif step == "escalate":
        head = _(
            "⚠️ For the leadership: task #{number} is {days} days overdue (deadline {deadline}).",
            number=task.number,
            days=-due.days_left,
            deadline=deadline,
        )
    elif step == "catchup" and due.days_left < 0:
        head = _(
            "🔴 Task #{number} was already overdue when the directive was loaded "
            "(deadline {deadline}).",
            number=task.number,
            deadline=deadline,
        )
    elif step == "catchup":
        head = _(
            "🔔 Task #{number} is due on {deadline}, {days} days left ({working} working days).",
            number=task.number,
            deadline=deadline,
            days=due.days_left,
            working=due.working_days_left,
        )
    else:  # overdue-<date>
        head = _(
            "🔴 Task #{number} is overdue by {days} days (deadline {deadline}).",
            number=task.number,
            days=-due.days_left,
            deadline=deadline,
        )
    lines = [
        head,
        short(task.text, 400),
        units_text(task, _),
        _("From: {title}", title=directive_title(task, _)),
    ]
    if mentions:
        lines.append(mentions)
    return Reply(
        "\n".join(line for line in lines if line),
        buttons=[
            [
                Button(_("✅ Done"), f"xong:{task.number}"),
                Button(_("⏰ Tomorrow"), f"{SNOOZE_PREFIX}:{task.number}"),
                Button(_("ℹ️ Details"), f"{DETAILS_PREFIX}:{task.number}"),
            ]
        ],
    )


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
    if not (set(ctx.person.departments) & set(task.departments)) or not can_close(ctx, task):
        return Reply(
            _(
                "Only members of {units} can snooze task #{number}.",
                units=", ".join(u.name for u in task.units),
                number=task.number,
            )
        )
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
