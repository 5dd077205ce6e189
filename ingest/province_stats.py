"""The province's list of communes for one period, and what the bot says about it: the ward's
place, the communes just above and below, those under a threshold, the top N, and how each
index group fares across the province. Pure: the list comes from `store/province.py`.

A list is ordered as the portal ranks it: by rank (ties share one, "1, 2, 2, 4"), then by the
portal's row number, then by name. A rank the portal did not give is computed from the totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.index_groups import BY_CODE, GROUP_CODES, PORTAL_FIELDS
from ingest.portal import UNIT_PREFIX
from ingest.textnorm import fold_name

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Commune:
    """One commune's line in the province's list."""

    unit_id: str
    name: str
    total: Decimal
    rank: int | None = None
    position: int | None = None  # the portal's ROW_STT
    groups: Mapping[str, Decimal] = field(default_factory=dict)  # index group code -> score


@dataclass(frozen=True)
class ProvinceRanking:
    """The latest fetch of one province's list for one period."""

    province_id: str
    unit_level: str
    period_kind: str  # month | quarter | half | year
    year: int
    period: int
    fetched_at: datetime
    communes: tuple[Commune, ...]  # in rank order, every one with its rank

    @property
    def size(self) -> int:
        return len(self.communes)


@dataclass(frozen=True)
class Neighbours:
    """Around the ward: the nearest communes with a higher total (nearest last), those with
    the same total, and the nearest with a lower total (nearest first)."""

    above: tuple[Commune, ...]
    level: tuple[Commune, ...]
    below: tuple[Commune, ...]


@dataclass(frozen=True)
class GroupStanding:
    """One index group across the province."""

    code: str
    max_score: Decimal
    average: Decimal  # the mean score of the communes that have one
    share_of_max: Decimal  # average / max, in percent
    at_max: int  # communes at the group's maximum
    counted: int  # communes with a score for the group
    ward_score: Decimal | None = None  # the ward's own score, when the ward is in the list


def to_decimal(value: Any) -> Decimal | None:
    """A score as stored ("19.41", 19.41, Decimal); None when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def group_scores(raw: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """A stored `groups` map ({"so_hoa": "18.89"} or the portal's field names {"MDSH": ...})
    as {group code: score}, in the index's order; unknown keys and non-numbers left out."""
    scores: dict[str, Decimal] = {}
    for key, value in (raw or {}).items():
        code = key if key in BY_CODE else PORTAL_FIELDS.get(str(key).upper())
        number = to_decimal(value)
        if code is not None and number is not None:
            scores[code] = number
    return {code: scores[code] for code in GROUP_CODES if code in scores}


def ranked(communes: Iterable[Commune]) -> tuple[Commune, ...]:
    """The communes in rank order, each with a rank: the portal's when every commune has
    one, else computed from the totals (equal totals share a rank: 1, 2, 2, 4)."""
    items = list(communes)
    if not items:
        return ()
    if any(c.rank is None for c in items):
        by_total = sorted(items, key=lambda c: -c.total)
        result: list[Commune] = []
        for i, c in enumerate(by_total):
            same = result and result[-1].total == c.total
            result.append(replace(c, rank=result[-1].rank if same else i + 1))
        items = result
    big = 1 << 30
    return tuple(
        sorted(
            items,
            key=lambda c: (c.rank or big, c.position if c.position is not None else big, c.name),
        )
    )


def find_commune(
    plist: ProvinceRanking, unit_id: str | None = None, unit_name: str | None = None
) -> int | None:
    """The index of the ward's commune in the list, found as the portal fetch finds it
    (`ingest.portal.find_ward_row`): by the portal's id, else by its name without diacritics,
    case or odd spacing ("Thiên Hương" too, when only one commune has that name)."""
    communes = plist.communes
    if unit_id:
        wanted = str(unit_id).strip()
        for i, c in enumerate(communes):
            if c.unit_id == wanted:
                return i
    if not unit_name:
        return None
    folded = fold_name(unit_name)
    exact = [i for i, c in enumerate(communes) if fold_name(c.name) == folded]
    if exact:
        return exact[0] if len(exact) == 1 else None  # two of that name: the id must say
    bare = UNIT_PREFIX.sub("", folded)
    found = [i for i, c in enumerate(communes) if UNIT_PREFIX.sub("", fold_name(c.name)) == bare]
    return found[0] if len(found) == 1 else None


def neighbours(plist: ProvinceRanking, index: int, above: int = 3, below: int = 1) -> Neighbours:
    ward = plist.communes[index]
    higher = [c for c in plist.communes if c.total > ward.total]
    lower = [c for c in plist.communes if c.total < ward.total]
    level = [c for i, c in enumerate(plist.communes) if i != index and c.total == ward.total]
    return Neighbours(
        above=tuple(higher[-above:]) if above > 0 else (),
        level=tuple(level),
        below=tuple(lower[:below]),
    )


def top(plist: ProvinceRanking, n: int) -> tuple[Commune, ...]:
    """The first n communes; a commune tied with the n-th is kept too (they share a rank)."""
    if n <= 0 or not plist.communes:
        return ()
    head = list(plist.communes[:n])
    last = head[-1]
    for c in plist.communes[n:]:
        if c.rank != last.rank:
            break
        head.append(c)
    return tuple(head)


def under(plist: ProvinceRanking, threshold: Decimal) -> tuple[Commune, ...]:
    """The communes whose total is below the threshold, in rank order."""
    return tuple(c for c in plist.communes if c.total < threshold)


def group_standings(
    plist: ProvinceRanking, ward: Commune | None = None
) -> tuple[GroupStanding, ...]:
    """Each index group across the province, the weakest first: the mean score as a share of
    the group's maximum (lowest first), then fewer communes at the maximum."""
    result = []
    for code in GROUP_CODES:
        scores = [c.groups[code] for c in plist.communes if code in c.groups]
        if not scores:
            continue
        maximum = BY_CODE[code].max_score
        average = sum(scores, Decimal(0)) / len(scores)
        result.append(
            GroupStanding(
                code=code,
                max_score=maximum,
                average=average,
                share_of_max=average * HUNDRED / maximum,
                at_max=sum(1 for s in scores if s >= maximum),
                counted=len(scores),
                ward_score=ward.groups.get(code) if ward is not None else None,
            )
        )
    result.sort(key=lambda g: (g.share_of_max, g.at_max, GROUP_CODES.index(g.code)))
    return tuple(result)


def rank_of(plist: ProvinceRanking, total: Decimal) -> int:
    """The place a commune with this total would have in the list (ties share it)."""
    return 1 + sum(1 for c in plist.communes if c.total > total)
