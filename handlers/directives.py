"""Admins load a directive: the bot shows the tasks it read, per department, to confirm.

Until confirmed nothing is stored. In the preview an admin can move a task to another
department (/sua N CODE), change its deadline (/sua N 30/12/2025 or any deadline phrase),
drop it (/bo N), confirm or discard. On a phone the same is done with the buttons under the
preview (numbered choices on Zalo): "Fix N" asks what to fix (a department button, or a
code or deadline typed), "Drop N" drops it. A dropped task keeps its number, marked
dropped, so the numbers an admin reads never shift. On confirm the directive becomes the
latest, each department's group chat is told what it was given (through the outbox), and
score figures quoted in the directive are offered for storing.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from handlers import score_import
from handlers.context import Ctx
from handlers.departments import resolve_department
from handlers.labels import document_kind
from handlers.pages import (
    current_page,
    page_buttons,
    page_choices,
    page_count,
    page_heading,
    page_hint,
    page_items,
)
from handlers.permissions import check
from handlers.protocol import Button, InboundFile, Reply, literal
from handlers.reading import ReadRefused, read_document, refusal_text
from handlers.tasks import recurrence_text, short
from ingest.deadlines import parse_deadline
from ingest.directive import Unit, parse_directive, to_json
from ingest.documents import MAX_UNPACKED_BYTES
from ingest.snapshot_draft import draft_from_dict
from locales import Translator
from store.keys import directive_notice_key
from store.outbox import OutboxItem
from store.records import ChatRec, DirectiveRec, TaskRec, WardRec
from store.tasks import NewDirective, NewTask, NewUnit

CONFIRM_KIND = "confirm_directive"
FIX_KIND = "fix_directive_task"  # "Fix N" pressed: which department or deadline
FIX_CHOICE, DROP_CHOICE, DEPT_CHOICE, BACK_CHOICE = "fix:", "drop:", "dept:", "back"
PENDING_TTL = timedelta(hours=24)
DOCUMENT_ERRORS = {
    "unsupported_file": "unsupported_document",
    "unreadable_file": "unreadable_file",
    "scanned_pdf": "scanned_pdf",
    "empty_document": "empty_document",
}


def units_of(ward: WardRec) -> list[Unit]:
    return [Unit(d.code, d.name, d.aliases, d.professional) for d in ward.departments]


def read(ward: WardRec, text: str, today: date) -> dict[str, Any]:
    """Parses a directive's text into the pending form: tasks with their units grouped."""
    parsed = parse_directive(text, units=units_of(ward), reference=today)
    data = to_json(parsed, with_codes=True)
    tasks: list[dict[str, Any]] = []
    index: dict[tuple[str, int | None], dict[str, Any]] = {}
    for entry in data.get("tasks", []):
        key = (entry["task"], entry.get("source_line"))
        task = index.get(key)
        if task is None:
            task = {
                "text": entry["task"],
                "deadline": entry.get("deadline"),
                "recurrence": entry.get("recurrence"),
                "deadline_text": entry.get("deadline_text") or "",
                "source_line": entry.get("source_line"),
                "section": entry.get("section") or "",
                "units": [],
            }
            index[key] = task
            tasks.append(task)
        code = entry.get("department_code")
        dept = ward.department(code) if code else None
        if not entry.get("department"):
            continue  # the document names no unit for this task: it has none yet
        task["units"].append(
            {
                "role": entry.get("role") or "lead",
                "department": dept.code if dept else None,
                "name": dept.name if dept else entry.get("department") or "",
            }
        )
    header = {
        k: data.get(k)
        for k in ("kind", "number", "date", "subject", "issuer", "signer", "signer_title")
    }
    return {
        "header": header,
        "tasks": tasks,
        "snapshot": data.get("snapshot"),
        "unknown_units": data.get("unknown_units") or [],
    }


async def from_file(ctx: Ctx, file: InboundFile, *, scores_if_no_tasks: bool = False) -> Reply:
    """An uploaded directive, read in a worker process (handlers.reading) within the size and
    time limits; with scores_if_no_tasks a .txt/.md with no tasks is taken as a score report."""
    _ = ctx._
    refusal = check(ctx, "load_directive")
    if refusal:
        return refusal
    assert ctx.ward is not None
    try:
        ctx.reader.check_size(file.size)
    except ReadRefused as exc:
        return Reply(refusal_text(exc, file.name, _))
    try:
        data = await file.fetch()
    except Exception:  # the channel failed to hand us the file; say so, store nothing
        return Reply(_("I could not download the file; please send it again."))
    reader = ctx.reader
    try:
        reader.check_size(len(data))
        got = await reader.run(
            read_document,
            file.name,
            data,
            ctx.ward,
            ctx.clock.now().date(),
            reader.limits,
            scores_if_no_tasks,
        )
    except ReadRefused as exc:
        return Reply(refusal_text(exc, file.name, _))
    if got.error is not None:
        return Reply(document_problem(got.error, file.name, _, got.limit))
    if got.directive is None:
        nothing = not got.drafts and all(p.code == "no_scores_found" for p in got.problems or ())
        if nothing:  # a text with neither tasks nor figures: say both
            return Reply(
                _(
                    "I found no tasks and no score figures in “{name}”; nothing was stored.",
                    name=file.name,
                )
            )
        return await score_import.from_read(ctx, got.drafts, got.problems)
    return await _from_read(ctx, got.directive, file.name)


def document_problem(code: str, name: str, _: Translator, limit: int | None = None) -> str:
    if code == "scanned_pdf":
        return _(
            "“{name}” is a scanned PDF with no text layer, so I cannot read it. Please "
            "send the .docx file (or a PDF exported from Word).",
            name=name,
        )
    if code == "empty_document":
        return _("“{name}” has no text; nothing was stored.", name=name)
    if code == "unreadable_file":
        return _("The file “{name}” cannot be read; it may be damaged.", name=name)
    if code == "unpacked_too_large":
        return _(
            "“{name}” unpacks to more than {limit} MB, so I did not open it; nothing was stored.",
            name=name,
            limit=(limit or MAX_UNPACKED_BYTES) // (1024 * 1024),
        )
    return _("I cannot read “{name}”: send the directive as .docx, .pdf, .txt or .md.", name=name)


async def from_text(ctx: Ctx, text: str, source_name: str = "") -> Reply:
    _ = ctx._
    refusal = check(ctx, "load_directive")
    if refusal:
        return refusal
    assert ctx.ward is not None
    return await _from_read(ctx, read(ctx.ward, text, ctx.clock.now().date()), source_name)


async def _from_read(ctx: Ctx, data: dict[str, Any], source_name: str) -> Reply:
    _ = ctx._
    if not data["tasks"]:
        return Reply(
            _("I found no tasks for the ward's departments in this document; nothing was stored.")
        )
    data["source_name"] = source_name
    return await _preview(ctx, data)


def looks_like_directive(ward: WardRec, text: str, today: date) -> bool:
    return bool(read(ward, text, today)["tasks"])


def _deadline_label(task: dict[str, Any], _: Translator) -> str:
    parts = []
    if task.get("deadline"):
        parts.append(_.date(date.fromisoformat(task["deadline"])))
    rhythm = recurrence_text(task.get("recurrence"), _)
    if rhythm:
        parts.append(rhythm)
    return ", ".join(parts) or _("no deadline")


def _group_name(task: dict[str, Any], ward: WardRec, _: Translator) -> str:
    leads = [u for u in task["units"] if u["role"] == "lead"] or task["units"]
    codes = {u["department"] for u in leads if u["department"]}
    professional = {d.code for d in ward.departments if d.professional}
    if len(professional) > 1 and codes == professional and len(leads) == len(codes):
        return _("All professional departments")
    names = ", ".join(literal(u["name"]) for u in leads if u["name"])
    return names or _("⚠ Department unclear: which department does it? (/sua N CODE)")


def _task_lines(number: int, task: dict[str, Any], _: Translator) -> list[str]:
    if task.get("dropped"):  # kept with its number, so that the numbers never shift
        return [f"{number}. " + _("(dropped)") + f" {short(task['text'], 80)}"]
    lines = [f"{number}. {short(task['text'], 200)}"]
    lines.append("    " + _("Deadline: {deadline}", deadline=_deadline_label(task, _)))
    supports = [literal(u["name"]) for u in task["units"] if u["role"] == "support"]
    if supports:
        lines.append("    " + _("support: {units}", units=", ".join(supports)))
    return lines


def describe(data: dict[str, Any], ward: WardRec, _: Translator, page: int = 1) -> list[str]:
    """The preview's text. Up to TASKS_PER_PAGE tasks are all listed by department; more are
    summarised (tasks per department) and listed one page at a time."""
    header = data["header"]
    title = document_kind(header.get("kind"), _)
    if header.get("number"):
        title += " " + _("no. {number}", number=literal(str(header["number"])))
    if header.get("date"):
        title += " " + _("of {date}", date=_.date(date.fromisoformat(header["date"])))
    lines = [f"📄 **{title}**"]
    if header.get("subject"):
        lines.append(short(str(header["subject"]), 400))
    if header.get("signer"):
        lines.append(_("Signed by {signer}", signer=literal(str(header["signer"]))))
    all_tasks = data["tasks"]
    groups: dict[str, list[int]] = {}
    for number, task in enumerate(all_tasks, start=1):
        groups.setdefault(_group_name(task, ward, _), []).append(number)
    lines += ["", _.plural("I read {n} task:", "I read {n} tasks:", len(all_tasks))]
    pages = pages_of(data)
    if pages > 1:
        for name, numbers in groups.items():
            lines.append(
                _.plural(
                    "• {department}: {n} task",
                    "• {department}: {n} tasks",
                    len(numbers),
                    department=name,
                )
            )
        shown = page_items(all_tasks, page, TASKS_PER_PAGE)
        lines += ["", page_heading(page, pages, shown[0][0], shown[-1][0], _)]
        on_page = {number for number, _task in shown}
        groups = {name: [n for n in numbers if n in on_page] for name, numbers in groups.items()}
    for name, numbers in groups.items():
        if not numbers:
            continue
        lines += ["", f"**{name}**"]
        for number in numbers:
            lines += _task_lines(number, all_tasks[number - 1], _)
    if data.get("unknown_units"):
        lines += [
            "",
            _(
                "⚠ Units this ward does not have: {units}. Move their tasks with "
                "/sua N CODE or drop them with /bo N.",
                units=", ".join(literal(u) for u in data["unknown_units"]),
            ),
        ]
    return lines


TASKS_PER_PAGE = 10  # a page of a preview fits one or two messages


def pages_of(data: dict[str, Any]) -> int:
    return page_count(len(data["tasks"]), TASKS_PER_PAGE)


def kept(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks not dropped."""
    return [t for t in data["tasks"] if not t.get("dropped")]


def _task_choices(data: dict[str, Any], page: int) -> list[tuple[int, str, str]]:
    """(number, fix choice, drop choice) of the page's tasks still kept."""
    return [
        (number, f"{FIX_CHOICE}{number}", f"{DROP_CHOICE}{number}")
        for number, task in page_items(data["tasks"], page, TASKS_PER_PAGE)
        if not task.get("dropped")
    ]


async def _preview(ctx: Ctx, data: dict[str, Any], note: str = "") -> Reply:
    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    pages = pages_of(data)
    page = current_page(data, len(data["tasks"]), TASKS_PER_PAGE)
    data["page"] = page
    task_choices = _task_choices(data, page)
    choices = ["confirm", "discard", *page_choices(page, pages)]
    choices += [c for _n, fix, drop in task_choices for c in (fix, drop)]
    pending_id = await ctx.ask(CONFIRM_KIND, data, choices, PENDING_TTL)
    lines = ([note, ""] if note else []) + describe(data, ctx.ward, _, page)
    lines += [
        "",
        _("To fix: /sua N CODE (department), /sua N DATE (deadline), /bo N (drop)."),
    ]
    if pages > 1:
        lines.append(page_hint(pages, _))
    lines.append(_("Store this directive?"))
    buttons = [
        [
            Button(_("✅ Confirm"), f"p{pending_id}:confirm"),
            Button(_("✖ Discard"), f"p{pending_id}:discard"),
        ]
    ]
    if pages > 1:
        buttons.append(page_buttons(pending_id, page, pages, _))
    # the order of the buttons is the order of the choices (numbered choices on Zalo)
    for number, fix, drop in task_choices:
        buttons.append(
            [
                Button(_("✏ Fix {number}", number=number), f"p{pending_id}:{fix}"),
                Button(_("🗑 Drop {number}", number=number), f"p{pending_id}:{drop}"),
            ]
        )
    return Reply("\n".join(lines), buttons=buttons)


async def on_task_choice(ctx: Ctx, data: dict[str, Any], choice: str) -> Reply | None:
    """A task's button under the preview: "drop:N" drops it, "fix:N" asks what to fix."""
    _ = ctx._
    assert ctx.ward is not None
    if choice.startswith(DROP_CHOICE):
        return await edit(ctx, data, "bo", choice.removeprefix(DROP_CHOICE))
    if not choice.startswith(FIX_CHOICE):
        return None
    head = choice.removeprefix(FIX_CHOICE)
    if not head.isdigit() or not 1 <= int(head) <= len(data["tasks"]):
        return Reply(
            _(
                "There is no task {number} in this directive (1–{last}); nothing was changed.",
                number=head or "?",
                last=len(data["tasks"]),
            )
        )
    number = int(head)
    task = data["tasks"][number - 1]
    if task.get("dropped"):
        return Reply(_("Task {number} is already dropped; nothing was changed.", number=number))
    departments = list(ctx.ward.departments)
    choices = [f"{DEPT_CHOICE}{d.code}" for d in departments] + [BACK_CHOICE]
    pending_id = await ctx.ask(FIX_KIND, {"preview": data, "number": number}, choices, PENDING_TTL)
    lines = [
        _("Fixing task {number}: {text}", number=number, text=short(task["text"], 160)),
        "    " + _("Deadline: {deadline}", deadline=_deadline_label(task, _)),
        "",
        _(
            "Choose its department below, or type a department code or a new deadline "
            "(30/12/2025, “cuối tháng 12”)."
        ),
    ]
    dept_buttons = [
        Button(literal(d.code), f"p{pending_id}:{DEPT_CHOICE}{d.code}") for d in departments
    ]
    buttons = [dept_buttons[i : i + 3] for i in range(0, len(dept_buttons), 3)]
    buttons.append([Button(_("↩ Back to the preview"), f"p{pending_id}:{BACK_CHOICE}")])
    return Reply("\n".join(lines), buttons=buttons)


async def on_fix_answer(
    ctx: Ctx,
    payload: dict[str, Any],
    choice: str | None,
    text: str,
    command: tuple[str, str] | None,
) -> Reply | None:
    """The answer to "Fix N": a department button, Back, /sua or /bo, or a code or a
    deadline typed."""
    data = payload.get("preview")
    number = payload.get("number")
    if not isinstance(data, dict) or not isinstance(number, int):
        return None
    if choice == BACK_CHOICE:
        return await _preview(ctx, copy.deepcopy(data))
    if choice is not None and choice.startswith(DEPT_CHOICE):
        return await edit(ctx, data, "sua", f"{number} {choice.removeprefix(DEPT_CHOICE)}")
    if command is not None:
        if command[0] in ("sua", "bo"):
            return await edit(ctx, data, command[0], command[1])
        return None
    if choice is None and text and not text.startswith("/"):
        return await edit(ctx, data, "sua", f"{number} {text}")
    return None


async def show_page(ctx: Ctx, pending_payload: dict[str, Any], page: int) -> Reply:
    """Another page of the preview (a page button or /trang N)."""
    data = copy.deepcopy(pending_payload)
    pages = pages_of(data)
    if not 1 <= page <= pages:
        return Reply(
            ctx._(
                "There is no page {page} (1–{pages}); nothing was changed.", page=page, pages=pages
            )
        )
    data["page"] = page
    return await _preview(ctx, data)


async def edit(ctx: Ctx, pending_payload: dict[str, Any], command: str, arg: str) -> Reply:
    """/sua N CODE|DEADLINE or /bo N inside the preview."""
    _ = ctx._
    assert ctx.ward is not None
    data = copy.deepcopy(pending_payload)  # the cached question stays as it was until saved
    head, _sep, rest = arg.strip().partition(" ")
    if not head.isdigit() or not 1 <= int(head) <= len(data["tasks"]):
        return Reply(
            _(
                "There is no task {number} in this directive (1–{last}); nothing was changed.",
                number=head or "?",
                last=len(data["tasks"]),
            )
        )
    index = int(head) - 1
    task = data["tasks"][index]
    if task.get("dropped"):
        return Reply(_("Task {number} is already dropped; nothing was changed.", number=index + 1))
    if command == "bo":
        if len(kept(data)) == 1:
            return Reply(_("This is the last task; type /huy to discard the directive instead."))
        task["dropped"] = True  # it keeps its number: the others do not shift
        data["unknown_units"] = _unknown_units(data)
        return await _preview(ctx, data, _("Task {number} dropped.", number=index + 1))
    rest = rest.strip()
    dept = resolve_department(ctx.ward, rest) if rest else None
    if dept is not None:
        others = [
            u for u in task["units"] if u["role"] == "support" and u["department"] != dept.code
        ]
        task["units"] = [{"role": "lead", "department": dept.code, "name": dept.name}, *others]
        data["unknown_units"] = _unknown_units(data)
        return await _preview(
            ctx, data, _("Task {number} now belongs to {name}.", number=index + 1, name=dept.name)
        )
    deadline = parse_deadline(rest, reference=ctx.clock.now().date()) if rest else None
    if deadline is not None and (deadline.date is not None or deadline.recurrence):
        task["deadline"] = deadline.date.isoformat() if deadline.date else None
        task["recurrence"] = deadline.recurrence
        task["deadline_text"] = rest
        return await _preview(ctx, data, _("Task {number}: deadline changed.", number=index + 1))
    codes = ", ".join(d.code for d in ctx.ward.departments)
    return Reply(
        _(
            "“{value}” is neither a department code ({codes}) nor a deadline like "
            "30/12/2025; nothing was changed.",
            value=rest,
            codes=codes,
        )
    )


def _unknown_units(data: dict[str, Any]) -> list[str]:
    return sorted({u["name"] for t in kept(data) for u in t["units"] if not u["department"]})


async def on_choice(ctx: Ctx, pending_id: int, data: dict[str, Any], choice: str) -> Reply:
    _ = ctx._
    refusal = check(ctx, "load_directive")
    if refusal:
        return refusal
    if not await ctx.repo.clear_pending(pending_id):
        return Reply(_("This question has already been answered."))  # a second tap
    if choice != "confirm" or not kept(data):
        return Reply(_("Discarded; nothing was stored."))
    assert ctx.ward is not None and ctx.person is not None
    header = data["header"]
    new = NewDirective(
        kind=header.get("kind") or "",
        number=header.get("number") or "",
        issued_on=date.fromisoformat(header["date"]) if header.get("date") else None,
        subject=header.get("subject") or "",
        issuer=header.get("issuer") or "",
        signer=header.get("signer") or "",
        signer_title=header.get("signer_title") or "",
        source_name=data.get("source_name") or "",
        tasks=[
            NewTask(
                text=t["text"],
                units=[NewUnit(u["role"], u["department"], u["name"]) for u in units],
                deadline=date.fromisoformat(t["deadline"]) if t.get("deadline") else None,
                recurrence=t.get("recurrence"),
                deadline_kind=(
                    "recurring"
                    if t.get("recurrence")
                    else "date"
                    if t.get("deadline")
                    else "ongoing"
                ),
                deadline_text=t.get("deadline_text") or "",
                source_line=t.get("source_line"),
                section=t.get("section") or "",
            )
            for t in kept(data)
            for units in _per_lead(t["units"])
        ],
    )
    chats = await ctx.repo.ward_chats(ctx.ward.id, kind="department")
    told_chats: set[tuple[str, str]] = set()

    def notices(directive: DirectiveRec, tasks: list[TaskRec]) -> list[OutboxItem]:
        items = _notices(ctx, chats, directive, tasks)
        told_chats.update((i.channel, i.chat_id) for i in items)
        return items

    # the directive, its tasks and the departments' notices are stored in one transaction
    _directive, tasks = await ctx.tasks.save_directive(
        ctx.ward.id, new, ctx.person.name, ctx.clock.now(), notices=notices
    )
    if told_chats and ctx.services.on_outbox:
        ctx.services.on_outbox()
    told = len(told_chats)
    departments = {d for t in tasks for d in t.departments}
    lines = [
        _(
            "Stored: {n} tasks for {m} departments, numbered #{first}–#{last}. It is now "
            "the latest directive.",
            n=len(tasks),
            m=len(departments),
            first=tasks[0].number,
            last=tasks[-1].number,
        )
    ]
    lines.append(
        _.plural("{n} department chat will be told.", "{n} department chats will be told.", told)
    )
    reply = Reply("\n".join(lines))
    snapshot = data.get("snapshot")
    if snapshot:
        drafts = [draft_from_dict(d) for d in snapshot]
        offer = await score_import.offer(ctx, drafts, _("The directive also quotes score figures."))
        reply.text += "\n\n" + offer.text
        reply.buttons = offer.buttons
    return reply


def _per_lead(units: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A task given to several departments at once ("các phòng chuyên môn") becomes one task
    per lead department, so that each closes its own part; supporting ones stay on each."""
    leads = [u for u in units if u["role"] == "lead"]
    supports = [u for u in units if u["role"] != "lead"]
    if len(leads) <= 1:
        return [units]
    return [[lead, *supports] for lead in leads]


TASKS_PER_NOTICE = 8  # a notice stays well under a message's length limit


def _notices(
    ctx: Ctx, chats: list[ChatRec], directive: DirectiveRec, tasks: list[TaskRec]
) -> list[OutboxItem]:
    """Per registered department chat, the tasks it was given (in parts of a few tasks, each
    its own outbox row, so that a retry never repeats a part already sent)."""
    from handlers.tasks import render_task

    assert ctx.ward is not None
    _ = ctx._  # department chats read the ward's default language
    today = ctx.clock.now().date()
    items = []
    for chat in chats:
        mine = [t for t in tasks if chat.department in t.departments]
        if not mine:
            continue
        dept = ctx.ward.department(chat.department)
        parts = [mine[i : i + TASKS_PER_NOTICE] for i in range(0, len(mine), TASKS_PER_NOTICE)]
        for number, part in enumerate(parts, start=1):
            lines = []
            if number == 1:
                lines += [
                    _(
                        "📄 New directive: {title}",
                        title=literal(directive.subject or directive.number or "—"),
                    ),
                    _.plural(
                        "{department} is given {n} task:",
                        "{department} is given {n} tasks:",
                        len(mine),
                        department=literal(dept.name if dept else chat.department or ""),
                    ),
                ]
            for task in part:
                lines += render_task(task, ctx, today)
            if number == len(parts):
                lines += ["", _("To close a task: /xong NUMBER (then send the evidence).")]
            items.append(
                OutboxItem(
                    key=directive_notice_key(directive.id, chat.channel, chat.chat_id, number),
                    channel=chat.channel,
                    chat_id=chat.chat_id,
                    ward_id=ctx.ward.id,
                    lane="notice",
                    payload={"text": "\n".join(lines), "buttons": []},
                )
            )
    return items
