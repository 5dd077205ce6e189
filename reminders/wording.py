"""What a task's reminder says, and the words about tasks it is made of: one module, used by
the scheduler (the text of every reminder row) and by the handlers (task lists, notices,
details), so a task reads the same wherever it appears.

A reminder reads like a note from the office: what, whose, by when, how many days left, and
the directive it came from; late ones say how late, and escalations tell the leadership.
Text is in the messages' markup (`locales/markup.py`); user text goes in through `literal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from locales import N_, Translator
from locales.markup import literal
from reminders.planner import MONTHLY_ON, Due, parse_recurrence
from store.records import TaskRec

# button data of a reminder: "<prefix>:<task number>@<ward id>" (the router reads them; the
# ward says whose task #N it is, for someone in several wards reminded in private)
DONE_PREFIX = "xong"
SNOOZE_PREFIX = "hoan"
DETAILS_PREFIX = "chitiet"


def task_button(prefix: str, task: TaskRec) -> str:
    return f"{prefix}:{task.number}@{task.ward_id}"


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
# Kinds of document the directive reader recognises (codes from ingest/directive_header.py).
DOCUMENT_KINDS = {
    "chi_thi": N_("Directive"),
    "cong_van": N_("Official letter"),
    "ke_hoach": N_("Plan"),
    "thong_bao": N_("Notice"),
    "thong_bao_ket_luan": N_("Notice of conclusions"),
    "ket_luan": N_("Conclusions"),
    "quyet_dinh": N_("Decision"),
    "bao_cao": N_("Report"),
    "to_trinh": N_("Submission"),
    "giay_moi": N_("Invitation"),
    "huong_dan": N_("Guidance"),
    "chuong_trinh": N_("Programme"),
    "nghi_quyet": N_("Resolution"),
    "phuong_an": N_("Scheme"),
    "de_an": N_("Project"),
    "quy_che": N_("Regulation"),
    "cong_dien": N_("Urgent dispatch"),
    "phu_luc": N_("Appendix"),
}


@dataclass(frozen=True)
class ReminderText:
    """A reminder as a message: its text and its button rows of (label, data)."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()

    def payload(self) -> dict[str, object]:
        """The outbox payload (what `bot/delivery.py` sends)."""
        return {
            "text": self.text,
            "buttons": [[[label, data] for label, data in row] for row in self.buttons],
        }


def document_kind(kind: str | None, _: Translator) -> str:
    return _(DOCUMENT_KINDS.get(kind or "", N_("Document")))


def recurrence_text(recurrence: str | None, _: Translator) -> str | None:
    if not recurrence:
        return None
    kind, _sep, arg = recurrence.partition(":")
    if kind == "weekly" and arg:
        days = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
        if arg in days:
            return _("every {weekday}", weekday=_(WEEKDAYS[days[arg]]))
    if kind == "monthly" and arg.startswith(MONTHLY_ON):
        return _("on day {day} of every month", day=arg[len(MONTHLY_ON) :])
    if kind == "monthly" and arg:
        return _("by day {day} of every month", day=arg)
    if kind == "yearly" and arg:
        dates = ", ".join(f"{d[3:5]}/{d[0:2]}" for d in arg.split(","))
        return _("every year on {days}", days=dates)
    names = {
        "half_yearly": _("every six months"),
        "daily": _("every day (same-day rule)"),
        "weekly": _("every week"),
        "monthly": _("every month"),
        "quarterly": _("every quarter"),
        "yearly": _("every year"),
        "periodic": _("periodically"),
    }
    return names.get(kind, _("on a regular schedule"))


def day_text(day: date, _: Translator) -> str:
    """A date with its weekday: "Chủ nhật 30/11/2025"."""
    return _("{day_name} {date}", day_name=_(WEEKDAYS[day.weekday()]), date=_.date(day))


def units_text(task: TaskRec, _: Translator) -> str:
    leads = ", ".join(literal(u.name) for u in task.leads)
    supports = ", ".join(literal(u.name) for u in task.supports)
    text = _("lead: {units}", units=leads) if leads else ""
    if supports:
        text += ("; " if text else "") + _("support: {units}", units=supports)
    return text


def short(text: str, limit: int = 220) -> str:
    """User text (a task, a subject, evidence) cut to `limit` characters and made literal
    for a Reply (`**` or backticks typed by a person stay as typed)."""
    return literal(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


def directive_title(task: TaskRec, _: Translator) -> str:
    d = task.directive
    parts = [document_kind(d.kind, _)]
    if d.number:
        parts.append(_("no. {number}", number=d.number))
    if d.issued_on:
        parts.append(_("of {date}", date=_.date(d.issued_on)))
    title = " ".join(parts)
    return f"{title} — {short(d.subject, 120)}" if d.subject else title


def reminder(due: Due, task: TaskRec, _: Translator, mentions: str = "") -> ReminderText:
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
    return ReminderText(
        "\n".join(line for line in lines if line),
        (
            (
                (_("✅ Done"), task_button(DONE_PREFIX, task)),
                (_("⏰ Tomorrow"), task_button(SNOOZE_PREFIX, task)),
                (_("ℹ️ Details"), task_button(DETAILS_PREFIX, task)),
            ),
        ),
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
