"""The weekly briefing as a chat message: sent by the Monday job (`reminders/briefing.py`)
and given on demand ("báo cáo tuần", /baocao, `handlers/briefing.py`).

Polite office Vietnamese through the catalog (message ids are English), numbers "94,72",
dates "30/11/2025" with their weekday, at most one status mark per line; bold stays within a
line and sections are separated by blank lines, so a channel that splits a long message
(Telegram 4,096, Zalo 2,000 characters) splits it between lines. Long columns are cut with
"… và N việc khác"; the Word file has everything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal

from ingest.index_groups import TOTAL_MAX
from locales import LOCAL_TZ, Translator, translator
from locales.markup import literal
from reminders.wording import day_text, recurrence_text, short
from reports.labels import (
    band_label,
    department_label,
    department_name,
    department_names,
    group_label,
    owner_name,
    period_text,
)
from reports.record import ScoreLine, TaskLine, WeeklyBriefing

FILE_PREFIX = "bcfile"  # button data "bcfile:<the week's Monday, ISO>": the Word file
MAX_LISTED = 5  # overdue / due lines per department; the rest is counted
MAX_DONE = 3  # done lines per department (the file lists them all)
TASK_CHARS = 90  # a task's words in the chat; the file has them whole


def file_button_data(week_start: date) -> str:
    return f"{FILE_PREFIX}:{week_start.isoformat()}"


def parse_file_button(arg: str) -> date | None:
    """The week a file button names ("2025-11-24", the part after the prefix)."""
    try:
        return date.fromisoformat(arg.strip())
    except ValueError:
        return None


def file_button(briefing: WeeklyBriefing, language: str = "vi") -> tuple[str, str]:
    """(label, data) of the button under the briefing that sends it as a Word file."""
    _ = translator(language)
    return _("📄 Send the weekly report as a file"), file_button_data(briefing.week_start)


def render(briefing: WeeklyBriefing, language: str = "vi") -> str:
    _ = translator(language)
    as_of = (briefing.as_of or briefing.made_at).astimezone(LOCAL_TZ)
    if as_of.time() == time(0):  # a past week: as it stood at the end of its Sunday
        when = _(
            "Week from {start} to {end}; as it stood at the end of {day}.",
            start=_.date(briefing.week_start),
            end=_.date(briefing.week_end),
            day=day_text(as_of.date() - timedelta(days=1), _),
        )
    else:
        when = _(
            "Week from {start} to {end}; figures as of {at}.",
            start=_.date(briefing.week_start),
            end=_.date(briefing.week_end),
            at=_.datetime(as_of),
        )
    lines = [_("📋 **Weekly briefing — {ward}**", ward=literal(briefing.ward_name)), when]
    sections = (_score_section, _group_section, _task_section, _missed_section, _outreach)
    for number, section in enumerate(sections, 1):
        title, body = section(briefing, _)
        lines += ["", f"**{number}. {title}**", *body]
    return "\n".join(lines)


# --- 1. score ---------------------------------------------------------------------------------


def _change(
    total: Decimal, rank: int | None, before: Decimal, rank_before: int | None, _: Translator
) -> str:
    diff = total - before
    if diff > 0:
        text = _("up {points} points", points=_.number(diff))
    elif diff < 0:
        text = _("down {points} points", points=_.number(-diff))
    else:
        text = _("the same score")
    if rank is not None and rank_before is not None:
        moved = rank_before - rank
        if moved > 0:
            text += ", " + _.plural("up {n} place", "up {n} places", moved)
        elif moved < 0:
            text += ", " + _.plural("down {n} place", "down {n} places", -moved)
        else:
            text += ", " + _("same rank")
    return text


def _score_lines(score: ScoreLine, _: Translator) -> list[str]:
    lines = [
        _(
            "Figures of {period} (as of {date}): **{total}**/{max} points, rated {band}.",
            period=period_text(score, _),
            date=_.date(score.as_of),
            total=_.number(score.total),
            max=_.number(TOTAL_MAX),
            band=band_label(score, _),
        )
    ]
    if score.rank is not None and score.rank_of:
        lines.append(_("Rank in the province: **{rank}/{of}**.", rank=score.rank, of=score.rank_of))
    elif score.rank is not None:
        lines.append(_("Rank in the province: **{rank}**.", rank=score.rank))
    if score.previous_total is not None:
        since = score.previous_as_of
        previous = ScoreLine(
            score.period_kind,
            score.previous_year or score.year,
            score.previous_period if score.previous_period is not None else score.period,
            since or score.as_of,
            score.previous_total,
            score.band,
            score.previous_rank,
            None,
        )
        lines.append(
            _(
                "Since the previous figures ({period}, as of {date}): {change}.",
                period=period_text(previous, _),
                date=_.date(since) if since else "?",
                change=_change(
                    score.total, score.rank, score.previous_total, score.previous_rank, _
                ),
            )
        )
    if score.last_year_total is not None:
        then = ScoreLine(
            score.period_kind,
            score.year - 1,
            score.period,
            score.last_year_as_of or score.as_of,
            score.last_year_total,
            score.band,
            score.last_year_rank,
            None,
        )
        lines.append(
            _(
                "Since the same period last year ({period}): {change}.",
                period=period_text(then, _),
                change=_change(
                    score.total, score.rank, score.last_year_total, score.last_year_rank, _
                ),
            )
        )
    return lines


def _score_section(briefing: WeeklyBriefing, _: Translator) -> tuple[str, list[str]]:
    title = _("Score and rank")
    score = briefing.score
    if score is None:
        return title, [_("No score figures are stored for {ward} yet.", ward=briefing.ward_name)]
    lines = _score_lines(score, _)
    year = briefing.year_score
    if year is not None:
        lines += _score_lines(year, _)[:2]
    if briefing.neighbours_above:
        names = "; ".join(
            _(
                "{name} ({total} points, rank {rank})",
                name=literal(n.name),
                total=_.number(n.total),
                rank=n.rank if n.rank is not None else "?",
            )
            for n in briefing.neighbours_above
        )
        lines.append(_("Just above in the province: {names}.", names=names))
    return title, lines


# --- 2. groups --------------------------------------------------------------------------------


def _group_section(briefing: WeeklyBriefing, _: Translator) -> tuple[str, list[str]]:
    title = _("Index groups missing points")
    if not briefing.groups:
        return title, [_("The stored figures have no group scores.")]
    losing = sorted((g for g in briefing.groups if g.gap > 0), key=lambda g: -g.gap)
    if not losing:
        return title, [_("🏆 Every group is at its maximum.")]
    names = department_names(briefing)
    lines = []
    for g in losing:
        line = _(
            "▫️ {name}: {score}/{max} (missing {missing}){rank}",
            name=group_label(g.code, _),
            score=_.number(g.score),
            max=_.number(g.max_score),
            missing=_.number(g.gap),
            rank="",
        )
        owner = owner_name(g, names)
        if owner:
            line += _(" — owner: {owner}", owner=literal(owner))
        lines.append(line)
    return title, lines


# --- 3. tasks ---------------------------------------------------------------------------------


def _task_text(task: TaskLine) -> str:
    return f"#{task.number} {short(task.text, TASK_CHARS)}"


def _listed(
    tasks: tuple[TaskLine, ...],
    line: Callable[[TaskLine], str],
    _: Translator,
    limit: int = MAX_LISTED,
) -> list[str]:
    shown = [line(t) for t in tasks[:limit]]
    if len(tasks) > limit:
        shown.append("    " + _("… and {n} more.", n=len(tasks) - limit))
    return shown


def _task_section(briefing: WeeklyBriefing, _: Translator) -> tuple[str, list[str]]:
    title = _("Tasks by department")
    if not briefing.departments:
        if "no_tasks" in briefing.notes:
            return title, [_("No directive has been loaded yet, so there are no tasks.")]
        return title, [_("No task is open, due or done this week.")]
    lines: list[str] = []

    def overdue(t: TaskLine) -> str:
        if t.overdue_days > 0:
            return "    " + _(
                "🔴 {task}: {days} working days overdue (deadline {deadline})",
                task=_task_text(t),
                days=t.overdue_days,
                deadline=_.date(t.deadline) if t.deadline else "?",
            )
        return "    " + _(
            "🔴 {task}: overdue (deadline {deadline})",
            task=_task_text(t),
            deadline=_.date(t.deadline) if t.deadline else "?",
        )

    def due(t: TaskLine) -> str:
        rhythm = recurrence_text(t.recurrence, _)
        when = day_text(t.deadline, _) if t.deadline else "?"
        if rhythm:
            when += f" ({rhythm})"
        return "    " + _("🟠 {task}: due {deadline}", task=_task_text(t), deadline=when)

    def done(t: TaskLine) -> str:
        return "    " + _("✅ {task}", task=_task_text(t))

    for dept in briefing.departments:
        counts = []
        if dept.done:
            counts.append(_("{n} done", n=len(dept.done)))
        if dept.on_track:
            counts.append(_("{n} on track", n=len(dept.on_track)))
        if dept.due_this_week:
            counts.append(_("{n} due this week", n=len(dept.due_this_week)))
        if dept.overdue:
            counts.append(_("{n} overdue", n=len(dept.overdue)))
        name = literal(department_label(dept, _))
        lines.append(_("**{department}**: {counts}.", department=name, counts=", ".join(counts)))
        lines += _listed(dept.overdue, overdue, _)
        lines += _listed(dept.due_this_week, due, _)
        lines += _listed(dept.done, done, _, MAX_DONE)
    return title, lines


# --- 4. missed reports ------------------------------------------------------------------------


def _missed_section(briefing: WeeklyBriefing, _: Translator) -> tuple[str, list[str]]:
    title = _("Periodic reports not made")
    if not briefing.missed_reports:
        return title, [_("No periodic report was missed in these seven days.")]
    names = department_names(briefing)
    lines = []
    for missed in briefing.missed_reports:
        lines.append(
            _(
                "⚠️ #{number} {text} ({department}): the report due {date} was not made.",
                number=missed.number,
                text=short(missed.text, TASK_CHARS),
                department=literal(department_name(missed.department, names, _)),
                date=day_text(missed.occurrence, _),
            )
        )
    return title, lines


# --- 5. outreach ------------------------------------------------------------------------------


def _outreach(briefing: WeeklyBriefing, _: Translator) -> tuple[str, list[str]]:
    title = _("Broadcasts by the community digital team")
    if not briefing.broadcasts:
        return title, [_("No broadcast went out in these seven days.")]
    lines = []
    for b in briefing.broadcasts:
        line = _(
            "📣 {date} {sender}: “{text}” — {reached}",
            date=_.date(b.sent_at.astimezone(LOCAL_TZ).date()),
            sender=literal(b.sender),
            text=short(b.text, 80),
            reached=_.plural("reached {n} chat", "reached {n} chats", b.chats),
        )
        if b.failed:
            line += _(" ({n} could not be reached)", n=b.failed)
        lines.append(line)
    total = sum(b.chats for b in briefing.broadcasts)
    lines.append(
        _.plural(
            "In all: {n} broadcast, {chats} chats reached.",
            "In all: {n} broadcasts, {chats} chats reached.",
            len(briefing.broadcasts),
            chats=total,
        )
    )
    return title, lines


__all__ = ["FILE_PREFIX", "file_button", "file_button_data", "parse_file_button", "render"]
