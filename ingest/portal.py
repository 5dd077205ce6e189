"""The national portal's older report service, read: request parameters, rows, checks, ranks.

Pure (no HTTP, no database): `bot/portal.py` posts what `request_params` builds and hands the
JSON it got back to `parse_rows`; the store keeps what `ward_draft` and the rows make.

The service (``report_tinh_766_service``, POST form field ``params`` to ``/jsp/rest.jsp``)
answers a bare JSON list of row objects: ``ID`` (a string), ``TEN`` (the commune's name as the
portal writes it), ``ROW_STT`` (the row's place in the ordered list), the six group fields
(`ingest.index_groups.PORTAL_FIELDS`) and ``TONG_SCORE``, scores as strings with a dot
("19.41"). A page shorter than ``pageSize`` is the last.

Period encodings (decided here, the one place; public scrapers send the year as a string and
the rest as numbers, ``"type": "ref"``, ``loaichitieu`` 0):

====================  ========  ======  ==========
period                p_thang   p_quy   p_6thang
====================  ========  ======  ==========
month 11/2025         11        0       0
quarter IV/2025       0         4       0
first half of 2025    0         0       1
year-to-date 2025     0         0       0
====================  ========  ======  ==========

``p_loaidonvi`` is the ward's ``unit_level`` (ward.toml [portal], default "2": communes and
wards); ``loaichitieu``'s meaning is not known, so it is a setting (``CHISO_PORTAL_LOAICHITIEU``,
default "0", what every public scraper sends).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.index_groups import BY_CODE, GROUP_CODES, PORTAL_FIELDS, TOTAL_MAX
from ingest.snapshot_draft import GroupScore, PeriodKind, SnapshotDraft
from ingest.textnorm import fold_name
from locales import N_

SERVICE = "report_tinh_766_service"
PATH = "/jsp/rest.jsp"
REFERER_PATH = "/p/home/dvc-index-tinhthanhpho-tonghop.html"
ID, NAME, POSITION, TOTAL = "ID", "TEN", "ROW_STT", "TONG_SCORE"
RANK_FIELDS = ("XEP_HANG", "XEPHANG", "RANK")  # a rank the portal may give; else computed
REQUIRED = (ID, NAME, *PORTAL_FIELDS, TOTAL)
TOLERANCE = Decimal("0.05")  # the total may differ from the groups' sum by rounding only
CENT = Decimal("0.01")
# "Phường", "Xã", "Đặc khu", "Thị trấn" before a name, folded: a unit_name given without it
UNIT_PREFIX = re.compile(r"^(phuong|xa|dac khu|thi tran)\s+")
# why a fetch failed: the code stored in PortalRun.reason -> the sentence people read
REASONS: dict[str, str] = {
    "html": N_("the portal answered with a web page instead of figures (it may be down)"),
    "waf": N_("the portal's firewall refused the request"),
    "timeout": N_("the portal did not answer in time"),
    "empty": N_("the portal's list for the period is empty"),
    "fields": N_("the portal's answer has changed shape (a field is missing or renamed)"),
    "server": N_("the portal had a server error"),
    "network": N_("the portal could not be reached"),
    "ward_missing": N_(
        "the ward or commune is not in the portal's list (check unit_id or unit_name)"
    ),
    "invalid": N_("no row of the portal's list passed the checks"),
    "error": N_("an unexpected error in the bot (see its log)"),
}


@dataclass(frozen=True, order=True)
class PortalPeriod:
    """One of the portal's periods: a month, quarter, half or the year's running total."""

    year: int
    kind: PeriodKind
    period: int = 0  # month 1-12, quarter 1-4, half 1-2; 0 for "year"

    @property
    def label(self) -> str:
        """ "2025-11", "2025-Q4", "2025-H1", "2025" (what `chiso portal fetch --period` takes)."""
        if self.kind == "month":
            return f"{self.year}-{self.period:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.period}"
        if self.kind == "half":
            return f"{self.year}-H{self.period}"
        return str(self.year)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])|[Hh]([12])))?$")


def parse_period(text: str) -> PortalPeriod | None:
    """ "2025-11", "2025-Q4", "2025-H1" or "2025" (year-to-date); None for anything else."""
    found = _PERIOD.match(text.strip())
    if not found:
        return None
    year = int(found.group(1))
    if not 2000 <= year <= 2100:
        return None
    month, quarter, half = found.group(2), found.group(3), found.group(4)
    if month is not None:
        return PortalPeriod(year, "month", int(month)) if 1 <= int(month) <= 12 else None
    if quarter is not None:
        return PortalPeriod(year, "quarter", int(quarter))
    if half is not None:
        return PortalPeriod(year, "half", int(half))
    return PortalPeriod(year, "year", 0)


def current_periods(kinds: list[str], day: date) -> list[PortalPeriod]:
    """The periods a daily fetch on `day` asks for: this month, quarter, half, year."""
    result = []
    for kind in kinds:
        if kind == "month":
            result.append(PortalPeriod(day.year, "month", day.month))
        elif kind == "quarter":
            result.append(PortalPeriod(day.year, "quarter", (day.month - 1) // 3 + 1))
        elif kind == "half":
            result.append(PortalPeriod(day.year, "half", 1 if day.month <= 6 else 2))
        elif kind == "year":
            result.append(PortalPeriod(day.year, "year", 0))
    return result


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def request_params(
    period: PortalPeriod,
    province_id: str,
    unit_level: str,
    page_index: int,
    page_size: int,
    loaichitieu: str = "0",
) -> dict[str, Any]:
    """The JSON object sent as the form field ``params`` for one page of one list."""
    return {
        "type": "ref",
        "service": SERVICE,
        "p_nam": str(period.year),
        "p_thang": period.period if period.kind == "month" else 0,
        "p_quy": period.period if period.kind == "quarter" else 0,
        "p_6thang": period.period if period.kind == "half" else 0,
        "p_tinh_id": str(province_id),
        "p_loaidonvi": _number(str(unit_level)),
        "loaichitieu": _number(str(loaichitieu)),
        "pageIndex": page_index,
        "pageSize": page_size,
    }


def form_body(params: dict[str, Any]) -> dict[str, str]:
    """The form the service reads: one field, ``params``, holding the JSON."""
    return {"params": json.dumps(params, ensure_ascii=False, separators=(",", ":"))}


@dataclass(frozen=True)
class CommuneRow:
    """One commune in a province's list, checked."""

    unit_id: str
    name: str
    position: int | None  # ROW_STT
    rank: int | None  # given by the portal, or computed by `rank_rows`
    total: Decimal
    groups: dict[str, Decimal]  # group code -> score


@dataclass(frozen=True)
class RowProblem:
    """A row that failed the checks and was left out, with its values (for the log)."""

    code: str  # missing | bad_number | over_max | total_mismatch
    unit_id: str
    name: str
    values: dict[str, str]
    detail: str = ""


@dataclass
class ProvinceList:
    """One province's list for one period and unit level, as fetched."""

    province_id: str
    unit_level: str
    period: PortalPeriod
    rows: list[CommuneRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class PortalShapeError(Exception):
    """The answer is not the documented shape: `reason` is "empty" or "fields"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def check_page(raw: Any) -> list[dict[str, Any]]:
    """A decoded page: a list of row objects, else PortalShapeError("fields")."""
    if not isinstance(raw, list):
        kind = type(raw).__name__
        keys = ", ".join(sorted(raw)[:8]) if isinstance(raw, dict) else ""
        raise PortalShapeError("fields", f"not a list but {kind}" + (f" ({keys})" if keys else ""))
    if not all(isinstance(row, dict) for row in raw):
        raise PortalShapeError("fields", "a row is not an object")
    return raw


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse_rows(
    raw_rows: list[dict[str, Any]], province_id: str, unit_level: str, period: PortalPeriod
) -> ProvinceList:
    """Checks every row; a row that fails is left out and described in `problems`.

    Raises PortalShapeError: "empty" when there is no row (or every total is 0: the period
    has no figures yet); "fields" when a documented field is in no row at all (the portal
    renamed it); "invalid" when every row failed the checks.
    """
    if not raw_rows:
        raise PortalShapeError("empty", "no rows")
    missing = [f for f in REQUIRED if not any(f in row for row in raw_rows)]
    if missing:
        seen = sorted({k for row in raw_rows[:5] for k in row})
        raise PortalShapeError(
            "fields", "missing " + ", ".join(missing) + "; found " + ", ".join(seen)
        )
    result = ProvinceList(str(province_id), str(unit_level), period)
    seen_ids: set[str] = set()
    for raw in raw_rows:
        row, problem = _check_row(raw)
        if problem is not None:
            result.problems.append(problem)
        elif row is not None and row.unit_id not in seen_ids:
            seen_ids.add(row.unit_id)
            result.rows.append(row)
    if not result.rows:
        raise PortalShapeError("invalid", f"{len(result.problems)} rows, none passed the checks")
    if all(row.total == 0 for row in result.rows):
        raise PortalShapeError("empty", f"{len(result.rows)} rows, every total is 0")
    result.rows = rank_rows(result.rows)
    return result


def _check_row(raw: dict[str, Any]) -> tuple[CommuneRow | None, RowProblem | None]:
    values = {k: str(raw.get(k)) for k in (*REQUIRED, POSITION) if k in raw}
    unit_id = str(raw.get(ID) or "").strip()
    name = str(raw.get(NAME) or "").strip()

    def problem(code: str, detail: str = "") -> tuple[None, RowProblem]:
        return None, RowProblem(code, unit_id, name, values, detail)

    absent = [f for f in REQUIRED if raw.get(f) is None or str(raw.get(f)).strip() == ""]
    if absent:
        return problem("missing", ", ".join(absent))
    groups: dict[str, Decimal] = {}
    for portal_field, code in PORTAL_FIELDS.items():
        score = _decimal(raw[portal_field])
        if score is None:
            return problem("bad_number", portal_field)
        if not 0 <= score <= BY_CODE[code].max_score:
            return problem("over_max", f"{portal_field} {score} > {BY_CODE[code].max_score}")
        groups[code] = score.quantize(CENT)
    total = _decimal(raw[TOTAL])
    if total is None:
        return problem("bad_number", TOTAL)
    added = sum(groups.values(), Decimal(0))
    if not 0 <= total <= TOTAL_MAX or abs(total - added) > TOLERANCE:
        return problem("total_mismatch", f"{TOTAL} {total} != {added}")
    rank = next((r for r in (_int(raw.get(f)) for f in RANK_FIELDS if f in raw) if r), None)
    ordered = {code: groups[code] for code in GROUP_CODES}
    return CommuneRow(
        unit_id, name, _int(raw.get(POSITION)), rank, total.quantize(CENT), ordered
    ), None


def rank_rows(rows: list[CommuneRow]) -> list[CommuneRow]:
    """Rows ordered by total, highest first; a rank the portal did not give is computed
    from the totals (equal totals share a rank: 1, 2, 2, 4)."""
    ordered = sorted(rows, key=lambda r: (-r.total, r.position or 0, r.name))
    if all(r.rank is not None for r in ordered):
        return ordered
    result = []
    rank = 0
    previous: Decimal | None = None
    for i, row in enumerate(ordered, start=1):
        if row.total != previous:
            rank, previous = i, row.total
        result.append(row if row.rank is not None else _with_rank(row, rank))
    return result


def _with_rank(row: CommuneRow, rank: int) -> CommuneRow:
    return CommuneRow(row.unit_id, row.name, row.position, rank, row.total, row.groups)


def _bare(name: str) -> str:
    return UNIT_PREFIX.sub("", fold_name(name))


def find_ward_row(
    rows: list[CommuneRow], unit_id: str | None = None, unit_name: str | None = None
) -> CommuneRow | None:
    """The ward's row: by the portal's id, else by its name without diacritics or case
    ("Phường Thiên Hương" = "phuong thien huong"; "Thiên Hương" too when only one commune
    of the list has that name)."""
    if unit_id:
        found = next((r for r in rows if r.unit_id == str(unit_id).strip()), None)
        if found is not None or not unit_name:
            return found
    if not unit_name:
        return None
    wanted = fold_name(unit_name)
    exact = [r for r in rows if fold_name(r.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None  # two communes of that name: the id must say which
    bare = [r for r in rows if _bare(r.name) == _bare(unit_name)]
    return bare[0] if len(bare) == 1 else None


def ward_draft(plist: ProvinceList, row: CommuneRow, as_of: date) -> SnapshotDraft:
    """The ward's snapshot draft from its row (source "portal"; rank among the list)."""
    period = plist.period
    return SnapshotDraft(
        period_kind=period.kind,
        year=period.year,
        period=period.period or None,
        as_of=as_of,
        total=row.total,
        rank=row.rank,
        rank_of=len(plist.rows),
        groups={
            code: GroupScore(code, score, BY_CODE[code].max_score)
            for code, score in row.groups.items()
        },
        source="portal",
    )


@dataclass(frozen=True)
class Figures:
    """What is compared between two snapshots: the total, the rank and each group."""

    total: Decimal
    rank: int | None
    rank_of: int | None
    groups: dict[str, Decimal]

    @classmethod
    def of_draft(cls, d: SnapshotDraft) -> Figures:
        assert d.total is not None
        return cls(d.total, d.rank, d.rank_of, {c: g.score for c, g in d.groups.items()})


@dataclass(frozen=True)
class Change:
    """One figure that differs: `what` is "total", "rank" or a group code."""

    what: str
    old: Decimal | int | None
    new: Decimal | int | None
    old_of: int | None = None  # for "rank": out of how many
    new_of: int | None = None


def changes(old: Figures | None, new: Figures) -> list[Change]:
    """The figures of `new` that differ from `old` (every one when there is no `old`):
    each group in index order, then the total, then the rank."""
    if old is None:
        return [
            *(Change(code, None, score) for code, score in new.groups.items()),
            Change("total", None, new.total),
            Change("rank", None, new.rank, None, new.rank_of),
        ]
    found = [
        Change(code, old.groups.get(code), score)
        for code, score in new.groups.items()
        if old.groups.get(code) != score
    ]
    if old.total != new.total:
        found.append(Change("total", old.total, new.total))
    if (old.rank, old.rank_of) != (new.rank, new.rank_of):
        found.append(Change("rank", old.rank, new.rank, old.rank_of, new.rank_of))
    return found


__all__ = [
    "PATH",
    "REASONS",
    "REFERER_PATH",
    "SERVICE",
    "Change",
    "CommuneRow",
    "Figures",
    "PortalPeriod",
    "PortalShapeError",
    "ProvinceList",
    "RowProblem",
    "changes",
    "check_page",
    "current_periods",
    "find_ward_row",
    "form_body",
    "parse_period",
    "parse_rows",
    "rank_rows",
    "request_params",
    "ward_draft",
]
