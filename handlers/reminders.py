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
    day_text,
    directive_title,
    recurrence_text,
    render_task,
    short,
    units_text,
)
from locales import Translator
from reminders.planner import Due, parse_recurrence
from reminders.policy import policy_from
from store.keys import snooze_key
from store.outbox import OutboxItem
from store.records import TaskRec

SNOOZE_PREFIX = "hoan"
DETAILS_PREFIX = "chitiet"


def reminder(due: Due, task: TaskRec, _: Translator, mentions: str = "") -> Reply:
    """The message for one due step of one task.

    Dates go with their weekday. A deadline on a day off is said once, plainly ("hạn Chủ nhật
    30/11/2025, ngày nghỉ: hoàn thành trong hôm nay" on the working day before it), never with
    "hôm nay" next to the day off. A recurring duty keeps the directive's rhythm ("vào ngày 20
    hằng tháng", "trước ngày 15 hằng tháng") in every step, and the phrase as written when it
    says more.
    """
    if parse_recurrence(task.recurrence) is not None:
        head = _recurring_head(due, task, _)
    else:
        head = _oneoff_head(due, task, _)
    lines = [
        head,
        short(task.text, 400),
        units_text(task, _),
        _("From: {title}", title=directive_title(task, _)),
        _as_written(task, _),
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


def _oneoff_head(due: Due, task: TaskRec, _: Translator) -> str:
    step, number = due.step, task.number
    deadline = day_text(due.deadline, _)
    on_due_day = due.slot.date() == due.due
    if step in ("day", "catchup") and due.days_left >= 0 and on_due_day:
        if due.deadline_day_off:
            return _(
                "🔔 Task #{number}: due {deadline}, a day off: finish it today.",
                number=number,
                deadline=deadline,
            )
        return _("🔔 Task #{number} is due today ({deadline}).", number=number, deadline=deadline)
    if step.startswith("before-") or (step == "catchup" and due.days_left >= 0):
        catchup = step == "catchup"
        if due.deadline_day_off:
            text = (
                _(
                    "🔔 Task #{number} is due on {deadline}, a day off: finish by {due}, "
                    "{working} working days left.",
                    number=number,
                    deadline=deadline,
                    due=day_text(due.due, _),
                    working=due.working_days_left,
                )
                if catchup
                else _(
                    "🔔 Reminder: task #{number} is due on {deadline}, a day off: finish by "
                    "{due}, {working} working days left.",
                    number=number,
                    deadline=deadline,
                    due=day_text(due.due, _),
                    working=due.working_days_left,
                )
            )
            return text
        if catchup:
            return _(
                "🔔 Task #{number} is due on {deadline}, {days} days left "
                "({working} working days).",
                number=number,
                deadline=deadline,
                days=due.days_left,
                working=due.working_days_left,
            )
        return _(
            "🔔 Reminder: task #{number} is due on {deadline}, {days} days left "
            "({working} working days).",
            number=number,
            deadline=deadline,
            days=due.days_left,
            working=due.working_days_left,
        )
    if step == "escalate":
        return _(
            "⚠️ For the leadership: task #{number} is {days} days overdue (deadline {deadline}).",
            number=number,
            days=-due.days_left,
            deadline=deadline,
        )
    if step == "catchup":
        return _(
            "🔴 Task #{number} was already overdue when the directive was loaded "
            "(deadline {deadline}).",
            number=number,
            deadline=deadline,
        )
    return _(  # overdue-<date>
        "🔴 Task #{number} is overdue by {days} days (deadline {deadline}).",
        number=number,
        days=-due.days_left,
        deadline=deadline,
    )


def _recurring_head(due: Due, task: TaskRec, _: Translator) -> str:
    step, number = due.step, task.number
    rhythm = recurrence_text(task.recurrence, _) or ""
    moved = due.deadline_day_off  # the day the rhythm names is a day off: due.due is another
    nominal, when = day_text(due.occurrence, _), day_text(due.due, _)
    if step == "missed":
        return _(
            "⚠️ Task #{number} ({rhythm}): the report due {due} was not reported done.",
            number=number,
            rhythm=rhythm,
            due=when,
        )
    if step.startswith("before-"):
        if moved:
            return _(
                "🔔 Reminder: task #{number} ({rhythm}): {nominal} is a day off, so this "
                "period's report is due on {due}, {days} days left ({working} working days).",
                number=number,
                rhythm=rhythm,
                nominal=nominal,
                due=when,
                days=due.days_left,
                working=due.working_days_left,
            )
        return _(
            "🔔 Reminder: task #{number} ({rhythm}): this period's report is due on {due}, "
            "{days} days left ({working} working days).",
            number=number,
            rhythm=rhythm,
            due=when,
            days=due.days_left,
            working=due.working_days_left,
        )
    if moved:  # "day" (or a step of an older kind): due today, the working day
        return _(
            "🔔 Task #{number} ({rhythm}): {nominal} is a day off, so this period's report "
            "is due today, {due}.",
            number=number,
            rhythm=rhythm,
            nominal=nominal,
            due=when,
        )
    return _(
        "🔔 Task #{number} ({rhythm}): this period's report is due today, {due}.",
        number=number,
        rhythm=rhythm,
        due=when,
    )


def _as_written(task: TaskRec, _: Translator) -> str:
    """The deadline phrase as the directive wrote it, when it says more than the date or the
    rhythm shown ("chậm nhất ngày 15 hằng tháng", "trong quý IV/2025")."""
    written = " ".join(task.deadline_text.split())
    if not written or task.deadline_kind == "date":
        return ""
    if written.casefold() in " ".join(task.text.split()).casefold():
        return ""  # the task's own sentence, shown above, already says it
    rhythm = recurrence_text(task.recurrence, _)
    if rhythm and rhythm.casefold() in written.casefold():
        return ""
    written += ")" * (written.count("(") - written.count(")"))  # "hằng tháng (trước ngày 25"
    return _("As written: “{text}”", text=written)


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
