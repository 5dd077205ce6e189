"""Tasks from directives: list them, close them with evidence, reopen, and the overview.

Who sees what: "việc của tôi" lists the tasks of the asker's departments (admins without a
department see the whole ward; the chairman and vice chairmen get the overview by department);
naming a department ("việc phòng VH-XH") lists that department's. A task given to several
departments is stored once per department (same directive and text): a department sees its
own part, the chairman and admins one line with the departments' progress ("3/7 phòng đã xong;
chưa: VP, …"). Only a member of a department the task names, or an admin, closes a task; only
admins reopen one (its evidence leaves the current state; the task events keep it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.context import Ctx
from handlers.departments import find_department
from handlers.permissions import allowed, check
from handlers.protocol import Button, Inbound, Reply, literal
from locales import Translator
from reminders.clock import VN_TZ
from reminders.planner import PlanTask, occurrence_to_close
from reminders.wording import (  # the words about tasks, shared with the reminders
    day_text,
    directive_title,
    recurrence_text,
    short,
    task_button,
    units_text,
)
from store.keys import task_prefix
from store.records import LEADER_ROLES, PendingRec, TaskRec, WardRec

EVIDENCE_KIND = "await_evidence"
EVIDENCE_TTL = timedelta(hours=24)
DUE_SOON_WORKING_DAYS = 3
MAX_LISTED = 30
MAX_NAMED_PENDING = 6  # departments named as not done yet in a shared task's line
MAX_SHARED_IN_PROGRESS = 10  # shared tasks listed under the overview


@dataclass(frozen=True)
class TaskState:
    status: str  # done | overdue | due_soon | on_track | ongoing
    days_left: int | None = None
    working_days_left: int | None = None


def state_of(task: TaskRec, ctx: Ctx, today: date) -> TaskState:
    if task.status == "done":
        return TaskState("done")
    if task.deadline is None:
        return TaskState("ongoing")
    days = (task.deadline - today).days
    working = ctx.services.calendar.working_days_until(today, task.deadline)
    if days < 0:
        return TaskState("overdue", days, working)
    if working <= DUE_SOON_WORKING_DAYS:
        return TaskState("due_soon", days, working)
    return TaskState("on_track", days, working)


STATUS_MARK = {"done": "✅", "overdue": "🔴", "due_soon": "🟠", "on_track": "🟢", "ongoing": "🔁"}


def deadline_text(task: TaskRec, ctx: Ctx, today: date) -> str:
    _ = ctx._
    rhythm = recurrence_text(task.recurrence, _)
    if task.deadline is None:
        return rhythm or _("ongoing, no deadline")
    state = state_of(task, ctx, today)
    text = day_text(task.deadline, _)
    day_off = not ctx.services.calendar.is_working_day(task.deadline)
    if day_off:
        text += _(", a day off")
    if task.status == "done":
        pass
    elif state.days_left == 0:
        text += _(", due today")
    elif (
        day_off
        and state.days_left is not None
        and state.days_left > 0
        and not state.working_days_left
        and ctx.services.calendar.is_working_day(today)
    ):
        text += _(": finish it today")  # the last working day before a deadline on a day off
    elif state.days_left is not None and state.days_left > 0:
        text += _(
            ", {days} days left ({working} working days)",
            days=state.days_left,
            working=state.working_days_left,
        )
    elif state.days_left is not None:
        text += _(", {days} days overdue", days=-state.days_left)
    if rhythm:
        text += f"; {rhythm}"
    return text


def render_task(task: TaskRec, ctx: Ctx, today: date, with_units: bool = True) -> list[str]:
    _ = ctx._
    state = state_of(task, ctx, today)
    lines = [f"{STATUS_MARK[state.status]} **#{task.number}** {short(task.text)}"]
    lines.append("    " + _("Deadline: {deadline}", deadline=deadline_text(task, ctx, today)))
    if with_units:
        lines.append("    " + units_text(task, _))
    if task.status == "done" and task.closed_at is not None:
        lines.append(
            "    "
            + _(
                "Done by {who} on {date}",
                who=literal(task.closed_by or "?"),
                date=_.date(task.closed_at.astimezone(ctx.clock.now().tzinfo).date()),
            )
        )
    return lines


@dataclass(frozen=True)
class Scope:
    departments: list[str] | None  # None: the whole ward
    who: str  # how the answer names them
    named: bool  # the text named a department ("việc phòng VH-XH")


def _scope(ctx: Ctx, text: str) -> Scope:
    """Which departments to list, and how to name them in the answer."""
    assert ctx.person is not None and ctx.ward is not None
    named = find_department(ctx.ward, text)
    if named is not None:
        return Scope([named.code], literal(named.name), True)
    if ctx.person.departments:
        names = [literal(d.name) for d in ctx.ward.departments if d.code in ctx.person.departments]
        return Scope(list(ctx.person.departments), ", ".join(names), False)
    return Scope(None, literal(ctx.ward.name), False)


def unknown_department_reply(ctx: Ctx, text: str) -> Reply | None:
    """ "việc phòng ABC" naming no department of the ward: say so and list the ward's."""
    from handlers.task_search import unknown_department

    assert ctx.ward is not None
    name = unknown_department(ctx.ward, text)
    if name is None:
        return None
    _ = ctx._
    lines = [_("The ward has no department “{name}”. Its departments:", name=literal(name))]
    lines += [f"• {literal(d.code)} — {literal(d.name)}" for d in ctx.ward.departments]
    if ctx.ward.departments:
        code = literal(ctx.ward.departments[0].code)
        lines += ["", _("Ask e.g. “việc phòng {code}”.", code=code)]
    return Reply("\n".join(lines))


def sees_shared(ctx: Ctx) -> bool:
    """The chairman, vice chairmen and admins see a task given to several departments as
    one line; a department sees its own part."""
    return is_leader(ctx)


def part_key(task: TaskRec) -> tuple[int, str, date | None, str | None]:
    """The parts of a task given to several departments share directive, text and deadline."""
    return (task.directive.id, task.text, task.deadline, task.recurrence)


@dataclass(frozen=True)
class Entry:
    """One line of a list: a task, or a task given to several departments (all its parts)."""

    task: TaskRec  # the first part shown
    parts: tuple[TaskRec, ...]  # every part (one per department), open or done

    @property
    def shared(self) -> bool:
        return len(self.parts) > 1


async def entries_of(ctx: Ctx, tasks: Sequence[TaskRec], grouped: bool) -> list[Entry]:
    """The list's lines: with `grouped`, the parts of a shared task are one entry (in the place
    of its first part listed), with all its parts for the progress."""
    if not grouped:
        return [Entry(t, (t,)) for t in tasks]
    assert ctx.ward is not None
    everything = await ctx.tasks.of_directives(ctx.ward.id, sorted({t.directive.id for t in tasks}))
    parts: dict[tuple[int, str, date | None, str | None], list[TaskRec]] = {}
    for task in everything:
        parts.setdefault(part_key(task), []).append(task)
    entries, seen = [], set()
    for task in tasks:
        key = part_key(task)
        if key in seen:
            continue
        seen.add(key)
        entries.append(Entry(task, tuple(parts.get(key) or (task,))))
    return entries


def numbers_text(numbers: Sequence[int]) -> str:
    """#12–#18 for a run, else #12, #14, #15."""
    ordered = sorted(numbers)
    if len(ordered) > 2 and ordered[-1] - ordered[0] == len(ordered) - 1:
        return f"#{ordered[0]}–#{ordered[-1]}"
    return ", ".join(f"#{n}" for n in ordered)


def shared_progress(parts: Sequence[TaskRec], _: Translator) -> str:
    """ "3/7 departments done; not yet: KTHTDT, VP, …" """
    pending = [
        literal(u.department or u.name)
        for t in parts
        if t.status != "done"
        for u in (t.leads or t.units)[:1]
    ]
    done = len(parts) - sum(1 for t in parts if t.status != "done")
    text = _("{done}/{total} departments done", done=done, total=len(parts))
    if pending:
        names = ", ".join(pending[:MAX_NAMED_PENDING])
        if len(pending) > MAX_NAMED_PENDING:
            names += ", …"
        text += "; " + _("not yet: {names}", names=names)
    return text


def render_entry(entry: Entry, ctx: Ctx, today: date) -> list[str]:
    if not entry.shared:
        return render_task(entry.task, ctx, today)
    _ = ctx._
    task = next((t for t in entry.parts if t.status != "done"), entry.task)
    state = state_of(task, ctx, today)
    numbers = numbers_text([t.number for t in entry.parts])
    lines = [f"{STATUS_MARK[state.status]} **{numbers}** {short(task.text)}"]
    lines.append("    " + _("Deadline: {deadline}", deadline=deadline_text(task, ctx, today)))
    lines.append("    " + shared_progress(entry.parts, _))
    supports = ", ".join(literal(u.name) for u in task.supports)
    if supports:
        lines.append("    " + _("support: {units}", units=supports))
    return lines


async def list_tasks(ctx: Ctx, text: str, view: str = "all") -> Reply:
    """view: all | week | overdue."""
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    scope = _scope(ctx, text)
    if not scope.named:
        unknown = unknown_department_reply(ctx, text)
        if unknown is not None:
            return unknown
        if view == "all" and ctx.person.role in LEADER_ROLES:
            return await progress(ctx)  # the chairman's "việc của tôi": the overview
    departments, who = scope.departments, scope.who
    today = ctx.clock.now().date()
    tasks = await ctx.tasks.open_tasks(ctx.ward.id, departments)
    if view == "week":
        end = today + timedelta(days=6 - today.weekday())
        tasks = [t for t in tasks if t.deadline is not None and t.deadline <= end]
        tasks.sort(key=lambda t: t.deadline or today)
        title = _("Deadlines of {who} up to Sunday {date}:", who=who, date=_.date(end))
    elif view == "overdue":
        tasks = [t for t in tasks if t.deadline is not None and t.deadline < today]
        tasks.sort(key=lambda t: t.deadline or today)
        title = _("Overdue tasks of {who}:", who=who)
    entries = await entries_of(ctx, tasks, grouped=not scope.named and sees_shared(ctx))
    if view not in ("week", "overdue"):
        title = _.plural("{who}: {n} open task", "{who}: {n} open tasks", len(entries), who=who)
    if not tasks:
        empty = {
            "week": _("No deadlines for {who} this week.", who=who),
            "overdue": _("No overdue tasks for {who}. 👍", who=who),
        }
        if view in empty:
            return Reply(empty[view])
        latest = await ctx.tasks.latest_directive(ctx.ward.id)
        if latest is None:
            return Reply(_("No directive has been loaded yet, so there are no tasks."))
        return Reply(_("{who} has no open tasks.", who=who))
    lines = [f"📋 **{title}**"]
    current = None
    for entry in entries[:MAX_LISTED]:
        if entry.task.directive.id != current:
            current = entry.task.directive.id
            lines += ["", f"📄 {directive_title(entry.task, _)}"]
        lines += render_entry(entry, ctx, today)
    if len(entries) > MAX_LISTED:
        lines += ["", _("… and {n} more.", n=len(entries) - MAX_LISTED)]
    lines += ["", _("To close a task: /xong NUMBER (then send the evidence).")]
    buttons = [
        [Button(_("✅ Done #{number}", number=e.task.number), task_button("xong", e.task))]
        for e in entries[:8]
        if not e.shared and can_close(ctx, e.task)
    ]
    return Reply("\n".join(lines), buttons=buttons)


async def _open_occurrence(ctx: Ctx, task: TaskRec) -> date | None:
    """For a recurring task, the period a report made today closes; None otherwise."""
    if not task.recurrence:
        return None
    loaded_at, done = await ctx.tasks.occurrence_state(task.id)
    now = ctx.clock.now()
    plan_task = PlanTask(
        id=task.id,
        number=task.number,
        deadline=task.deadline,
        recurrence=task.recurrence,
        status=task.status,
        created_at=loaded_at or now,  # occurrences due before the task was loaded do not exist
        closed_at=None,
        departments=task.departments,
        done_occurrences=done,
    )
    return occurrence_to_close(plan_task, ctx.services.calendar, now.date(), tz=now.tzinfo or VN_TZ)


def can_close(ctx: Ctx, task: TaskRec) -> bool:
    return allowed(ctx.person, "close_task", departments=task.departments)


def _close_refusal(ctx: Ctx, task: TaskRec) -> Reply | None:
    units = ", ".join(literal(u.name) for u in task.units) or "?"
    return check(ctx, "close_task", departments=task.departments, units=units)


def _parse_number(arg: str) -> int | None:
    arg = arg.strip().lstrip("#")
    head = arg.split(maxsplit=1)[0] if arg else ""
    return int(head) if head.isdigit() else None


async def start_close(ctx: Ctx, arg: str) -> Reply:
    """/xong N [evidence]: close now with the evidence given, or ask for it."""
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    number = _parse_number(arg)
    if number is None:
        return Reply(_("Which task? Type /xong followed by its number, e.g. /xong 3."))
    task = await ctx.tasks.task(ctx.ward.id, number)
    if task is None:
        return Reply(_("There is no task #{number}.", number=number))
    if task.status == "done":
        return Reply(_("Task #{number} is already done.", number=number))
    refusal = _close_refusal(ctx, task)
    if refusal:
        return refusal
    evidence = arg.strip().lstrip("#")[len(str(number)) :].strip()
    if evidence:
        return await _close(ctx, number, evidence, None, None)
    await ctx.ask(EVIDENCE_KIND, {"number": number}, [], EVIDENCE_TTL)
    return Reply(
        "\n".join(
            [
                _("Closing task #{number}: {text}", number=number, text=short(task.text, 160)),
                _(
                    "Please send the evidence (tài liệu kiểm chứng): a file, a link or a sentence. "
                    "Type /huy to stop."
                ),
            ]
        )
    )


async def receive_evidence(ctx: Ctx, pending: PendingRec, inbound: Inbound) -> Reply | None:
    """The message after /xong N: its text, link or file is the evidence."""
    number = int(pending.payload.get("number", 0))
    text = inbound.text.strip()
    if inbound.file is None and (not text or text.startswith("/")):
        return None
    await ctx.repo.clear_pending(pending.id)
    file_name = inbound.file.name if inbound.file else None
    file_ref = inbound.file.ref if inbound.file else None
    return await _close(ctx, number, text or None, file_name, file_ref)


async def _close(
    ctx: Ctx, number: int, text: str | None, file_name: str | None, file_ref: str | None
) -> Reply:
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    task = await ctx.tasks.task(ctx.ward.id, number)
    if task is None:
        return Reply(_("There is no task #{number}.", number=number))
    refusal = _close_refusal(ctx, task)  # asked again: the person or the task may have changed
    if refusal:
        return refusal
    occurrence = await _open_occurrence(ctx, task)
    if occurrence is not None:  # a recurring duty: this period is done, the duty goes on
        await ctx.tasks.close_occurrence(
            ctx.ward.id,
            number,
            occurrence,
            ctx.person.name,
            ctx.clock.now(),
            text,
            file_name,
            file_ref,
        )
        return Reply(
            _(
                "✅ Task #{number}: the report for {date} is recorded; the duty goes on "
                "({rhythm}).",
                number=number,
                date=_.date(occurrence),
                rhythm=recurrence_text(task.recurrence, _) or "",
            )
        )
    done = await ctx.tasks.close(
        ctx.ward.id, number, ctx.person.name, ctx.clock.now(), text, file_name, file_ref
    )
    if done is None:
        return Reply(_("Task #{number} is already done.", number=number))
    await ctx.services.outbox.skip_prefix(task_prefix(done.id))  # queued reminders are moot
    evidence = file_name or text or ""
    return Reply(
        _(
            "✅ Task #{number} is done. Evidence recorded: {evidence}",
            number=number,
            evidence=short(evidence, 200),
        )
    )


async def reopen(ctx: Ctx, arg: str) -> Reply:
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    refusal = check(ctx, "reopen_task")
    if refusal:
        return refusal
    number = _parse_number(arg)
    if number is None:
        return Reply(_("Which task? Type /molai followed by its number, e.g. /molai 3."))
    task = await ctx.tasks.reopen(ctx.ward.id, number, ctx.person.name, ctx.clock.now())
    if task is None:
        return Reply(
            _("Task #{number} does not exist or is not done; nothing was changed.", number=number)
        )
    return Reply(_("Task #{number} is open again.", number=number))


async def progress(ctx: Ctx) -> Reply:
    """Per department: done, on track, due soon, overdue, ongoing; the slowest first."""
    _ = ctx._
    assert ctx.ward is not None
    ward: WardRec = ctx.ward
    today = ctx.clock.now().date()
    tasks = await ctx.tasks.open_tasks(ward.id, include_done=True)
    if not tasks:
        return Reply(_("No directive has been loaded yet, so there are no tasks."))
    counts: dict[str, dict[str, int]] = {}
    for task in tasks:
        state = state_of(task, ctx, today).status
        for unit in task.leads or task.units:
            name = unit.name
            counts.setdefault(name, dict.fromkeys(STATUS_MARK, 0))[state] += 1
    order = sorted(counts.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["due_soon"], kv[0]))
    title = _("Progress of tasks by lead department, {date}", date=_.date(today))
    lines = [f"📊 **{title}**"]
    labels = {
        "done": _("✅ {n} done"),
        "on_track": _("🟢 {n} on track"),
        "due_soon": _("🟠 {n} due soon"),
        "overdue": _("🔴 {n} overdue"),
        "ongoing": _("🔁 {n} ongoing"),
    }
    for name, c in order:
        parts = [labels[k].format(n=c[k]) for k in labels if c[k]]
        lines.append(f"{name}: " + " · ".join(parts))
    late = [name for name, c in order if c["overdue"]]
    lines.append("")
    if late:
        lines.append(_("Behind: {names}.", names=", ".join(late)))
    else:
        lines.append(_("No department has overdue tasks."))
    shared = [e for e in await entries_of(ctx, tasks, grouped=True) if e.shared]
    unfinished = [e for e in shared if any(t.status != "done" for t in e.parts)]
    if unfinished:
        lines += ["", "**" + _("Tasks given to several departments:") + "**"]
        for entry in unfinished[:MAX_SHARED_IN_PROGRESS]:
            task = next(t for t in entry.parts if t.status != "done")
            mark = STATUS_MARK[state_of(task, ctx, today).status]
            numbers = numbers_text([t.number for t in entry.parts])
            lines.append(
                f"{mark} {numbers} {short(task.text, 80)}: {shared_progress(entry.parts, _)}"
            )
        if len(unfinished) > MAX_SHARED_IN_PROGRESS:
            lines.append(_("… and {n} more.", n=len(unfinished) - MAX_SHARED_IN_PROGRESS))
    return Reply("\n".join(lines))


def is_leader(ctx: Ctx) -> bool:
    return bool(ctx.person and (ctx.person.role in LEADER_ROLES or ctx.person.is_admin))
