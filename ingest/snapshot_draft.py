"""What a score reader produces before anything is stored: one or more snapshot drafts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

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


def draft_to_dict(d: SnapshotDraft) -> dict[str, object]:
    """JSON-safe form, to keep a draft in a pending question until the admin confirms."""
    return {
        "period_kind": d.period_kind,
        "year": d.year,
        "period": d.period,
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "total": str(d.total) if d.total is not None else None,
        "rank": d.rank,
        "rank_of": d.rank_of,
        "source": d.source,
        "groups": {
            code: [str(g.score), str(g.max_score), g.rank, g.stated] for code, g in d.groups.items()
        },
    }


def draft_from_dict(data: dict[str, object]) -> SnapshotDraft:
    groups_raw = data.get("groups") or {}
    assert isinstance(groups_raw, dict)
    as_of = data.get("as_of")
    total = data.get("total")
    if isinstance(total, int | float):
        total = str(total)  # chiso parse directive --json writes numbers
    return SnapshotDraft(
        period_kind=data["period_kind"],  # type: ignore[arg-type]
        year=int(data["year"]),  # type: ignore[call-overload]
        period=data.get("period"),  # type: ignore[arg-type]
        as_of=date.fromisoformat(as_of) if isinstance(as_of, str) else None,
        total=Decimal(total) if isinstance(total, str) else None,
        rank=data.get("rank"),  # type: ignore[arg-type]
        rank_of=data.get("rank_of"),  # type: ignore[arg-type]
        source=str(data.get("source") or "text"),
        groups={code: _group_from(code, v) for code, v in groups_raw.items()},
    )


def _group_from(code: str, v: Any) -> GroupScore:
    if isinstance(v, dict):  # {"score": 19.93, "max": 20, "rank": 96, "stated": true}
        stated = bool(v.get("stated", True))
        return GroupScore(
            code, Decimal(str(v["score"])), Decimal(str(v["max"])), v.get("rank"), stated
        )
    return GroupScore(code, Decimal(v[0]), Decimal(v[1]), v[2], bool(v[3]))


CENT = Decimal("0.01")


def round_draft(d: SnapshotDraft) -> SnapshotDraft:
    """Scores are kept to 0,01 (as the portal publishes them), rounded half up."""
    from decimal import ROUND_HALF_UP

    for g in d.groups.values():
        g.score = g.score.quantize(CENT, ROUND_HALF_UP)
    if d.total is not None:
        d.total = d.total.quantize(CENT, ROUND_HALF_UP)
    return d
