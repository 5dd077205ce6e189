"""What a score reader produces before anything is stored: one or more snapshot drafts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

PeriodKind = Literal["month", "quarter", "half", "year"]
# "year" is the year's running total (lũy kế năm) up to as_of.


@dataclass
class GroupScore:
    code: str  # a code from ingest.index_groups
    score: Decimal
    max_score: Decimal
    rank: int | None = None
    stated: bool = True  # False when filled in because the text says the group is at max


@dataclass
class SnapshotDraft:
    period_kind: PeriodKind
    year: int
    period: int | None  # month 1-12, quarter 1-4, half 1-2; None for "year"
    as_of: date | None
    total: Decimal | None
    rank: int | None = None
    rank_of: int | None = None
    groups: dict[str, GroupScore] = field(default_factory=dict)
    source: str = "text"  # text | csv | xlsx | chat

    def computed_total(self) -> Decimal:
        return sum((g.score for g in self.groups.values()), Decimal("0"))


@dataclass(frozen=True)
class Problem:
    """Why a draft cannot be stored. `code` selects a catalog message; params fill it in."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)


class ScoreReadError(Exception):
    """Nothing usable was read; carries the problems found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems
