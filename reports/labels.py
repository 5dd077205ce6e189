"""Words the briefing's documents share (`reports.docx`, `reports.xlsx`): section titles, task
columns, department names. Message ids are English; the Vietnamese is in the catalog."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ingest.index_groups import BY_CODE, TOTAL_MAX
from locales import N_, Translator
from reports.record import DepartmentTasks, GroupLine, ScoreLine, TaskLine, WeeklyBriefing

# The report's sections, in order (docx headings "I. …", xlsx sheets after the summary).
SECTION_SCORE = N_("Score results")
SECTION_GROUPS = N_("Scores by index group")
SECTION_TASKS = N_("Task progress by unit")
SECTION_MISSED = N_("Periodic reports not yet made")
SECTION_OUTREACH = N_("Outreach by the community digital team")

# The same ids as handlers/labels.py (reports/ stays free of handlers/: the scheduler renders
# the briefing too, and reminders/ never imports handlers/).
BAND_NAMES = {
    "xuat_sac": N_("Excellent"),
    "tot": N_("Good"),
    "kha": N_("Fair"),
    "trung_binh": N_("Average"),
    "yeu": N_("Weak"),
}

# The four task columns of a department, in the order of DepartmentTasks' fields.
TASK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("done", N_("Done this week")),
    ("on_track", N_("On track")),
    ("due_this_week", N_("Due this week")),
    ("overdue", N_("Overdue")),
)

TEXT_LIMIT = 300  # a task's words in a document; longer ones are cut with "…"


def department_names(briefing: WeeklyBriefing) -> dict[str, str]:
    """Department code -> name, from what the record carries."""
    names = {d.code: d.name for d in briefing.departments if d.code}
    for g in briefing.groups:
        if g.owner and g.owner_name:
            names.setdefault(g.owner, g.owner_name)
    return names


def department_name(code: str | None, names: dict[str, str], _: Translator) -> str:
    if not code:
        return _("Unit not in the ward")
    return names.get(code, code)


def owner_name(group: GroupLine, names: dict[str, str]) -> str:
    if not group.owner:
        return ""
    return group.owner_name or names.get(group.owner, group.owner)


def department_label(dept: DepartmentTasks, _: Translator) -> str:
    return dept.name or (dept.code if dept.code else _("Unit not in the ward"))


def tasks_of(dept: DepartmentTasks, column: str) -> tuple[TaskLine, ...]:
    tasks: tuple[TaskLine, ...] = getattr(dept, column)
    return tasks


def band_label(score: ScoreLine, _: Translator) -> str:
    return _(BAND_NAMES.get(score.band, score.band))


def period_text(score: ScoreLine, _: Translator) -> str:
    """The period of the figures ("tháng 11/2025", "quý 4/2025"…)."""
    return period_words(score.period_kind, score.year, score.period, _)


def period_words(kind: str, year: int, period: int, _: Translator) -> str:
    """The ids of handlers/labels.period_label."""
    if kind == "month":
        return _("month {month}/{year}", month=period, year=year)
    if kind == "quarter":
        return _("quarter {quarter}/{year}", quarter=period, year=year)
    if kind == "half":
        if period == 1:
            return _("first half of {year}", year=year)
        return _("second half of {year}", year=year)
    return _("year-to-date {year}", year=year)


def group_label(code: str, _: Translator) -> str:
    """The group's name exactly as the portal writes it (ingest/index_groups.py)."""
    group = BY_CODE.get(code)
    if group is None:
        return code
    return group.name_vi if _.lang == "vi" else group.name_en


def cut(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def week_text(briefing: WeeklyBriefing, _: Translator) -> str:
    return _(
        "from {start} to {end}",
        start=_.date(briefing.week_start),
        end=_.date(briefing.week_end),
    )


def file_name(briefing: WeeklyBriefing, extension: str) -> str:
    """The default name of the briefing's file: bao-cao-tuan-2025-11-17.docx (ASCII, so every
    channel and file system keeps it)."""
    return f"bao-cao-tuan-{briefing.week_start.isoformat()}.{extension}"


def report_day(briefing: WeeklyBriefing) -> date:
    """The document's date: the day it was made, in the ward's time zone."""
    from locales import LOCAL_TZ

    made = briefing.made_at
    return made.astimezone(LOCAL_TZ).date() if made.tzinfo else made.date()


def group_totals(briefing: WeeklyBriefing) -> tuple[Decimal, Decimal]:
    """The groups' total score and maximum. The official total when the record has it: the
    portal rounds the total from unrounded group scores, so the sum of the rounded groups can
    be a hundredth off, and a report must show the published figure."""
    top = sum((g.max_score for g in briefing.groups), Decimal(0))
    if briefing.score is not None and top == TOTAL_MAX:
        return briefing.score.total, top
    return sum((g.score for g in briefing.groups), Decimal(0)), top
