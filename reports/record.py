"""What the weekly briefing says, as plain frozen data: built by `reports.weekly`, rendered by
`reports.text`, `reports.docx` and `reports.xlsx`. Nothing here reads the store or formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class ScoreLine:
    """The ward's total for one period with the comparisons the chairman asks for."""

    period_kind: str  # month | quarter | half | year
    year: int
    period: int  # month/quarter/half; 0 for year
    as_of: date
    total: Decimal
    band: str  # ingest.index_groups band code: xuat_sac | tot | kha | trung_binh | yeu
    rank: int | None
    rank_of: int | None
    previous_total: Decimal | None = None  # the snapshot before this one (same period kind)
    previous_rank: int | None = None
    last_year_total: Decimal | None = None  # the same period a year earlier
    last_year_rank: int | None = None
    # which figures `previous_*` and `last_year_*` are (to say "since month 10/2025")
    previous_year: int | None = None
    previous_period: int | None = None
    previous_as_of: date | None = None
    last_year_as_of: date | None = None


@dataclass(frozen=True)
class GroupLine:
    """One index group: score against max, the gap, and the department that owns it."""

    code: str  # ingest.index_groups code
    score: Decimal
    max_score: Decimal
    rank: int | None = None
    owner: str | None = None  # department code from [group_owners]; None when nobody owns it
    owner_name: str | None = None  # that department's name (renderers fall back to the code)

    @property
    def gap(self) -> Decimal:
        return self.max_score - self.score


@dataclass(frozen=True)
class TaskLine:
    number: int
    text: str
    deadline: date | None
    recurrence: str | None = None
    overdue_days: int = 0  # working days past the deadline (overdue tasks only)


@dataclass(frozen=True)
class DepartmentTasks:
    """A department's tasks in the week: done this week, on track, due this week, overdue."""

    code: str  # department code ("" for tasks whose unit the ward does not have)
    name: str
    done: tuple[TaskLine, ...] = ()
    on_track: tuple[TaskLine, ...] = ()
    due_this_week: tuple[TaskLine, ...] = ()
    overdue: tuple[TaskLine, ...] = ()


@dataclass(frozen=True)
class MissedReport:
    """A recurring report whose occurrence passed without being reported done."""

    number: int
    text: str
    department: str  # department code
    occurrence: date


@dataclass(frozen=True)
class BroadcastLine:
    id: int
    sent_at: datetime
    sender: str
    text: str  # the first line, as the digital team wrote it
    chats: int  # chats it reached
    failed: int = 0


@dataclass(frozen=True)
class Neighbour:
    """A commune just above (or below) the ward in the province's list."""

    name: str
    rank: int | None
    total: Decimal


@dataclass(frozen=True)
class WeeklyBriefing:
    ward_id: int
    ward_name: str
    province: str
    week_start: date  # the Monday of the week reported
    week_end: date  # its Sunday
    made_at: datetime  # when it was built (aware)
    score: ScoreLine | None  # None: no figures stored yet
    year_score: ScoreLine | None = None  # the year's running total, when stored
    groups: tuple[GroupLine, ...] = ()
    departments: tuple[DepartmentTasks, ...] = ()
    missed_reports: tuple[MissedReport, ...] = ()
    broadcasts: tuple[BroadcastLine, ...] = ()
    neighbours_above: tuple[Neighbour, ...] = ()  # from the portal's province list, if any
    chart_key: str = ""  # the six-month chart's key (bot.charts), "" when there is no history
    notes: tuple[str, ...] = field(default=())  # codes of what is missing: "no_scores", ...
    # The moment the briefing describes (`made_at`, or the end of a past week), and the start
    # of the seven days before it whose closed tasks ("done"), missed reports and broadcasts
    # it counts: for the Monday briefing the week just past, for a past week that week.
    as_of: datetime | None = None
    since: datetime | None = None
