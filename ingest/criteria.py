"""The sub-criteria of the 766 index as data, and the arithmetic of what-if answers.

The table is `criteria.toml` beside this module (the shipped default); a ward corrects it with
its own copy named in the setting CHISO_CRITERIA_FILE, checked here with every problem on its
line (the same `ConfigProblem`s as ward.toml), so a mistake is refused before the bot uses it.

The functions below are pure: the score of a sub-criterion from its numerator and
denominator, a group's score from its sub-criteria, what is missing to reach the threshold at
the current volume, and what adding k to the numerator would give.

"At the current volume" means the denominator stays as it is: 412 of 1.030 dossiers were
submitted online; converting 103 more of those 1.030 to online ones reaches 50 %. Adding to
the numerator never goes past the denominator (every dossier is already counted once).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ingest.index_groups import BY_CODE, GROUP_CODES
from ingest.snapshot_draft import Problem
from ingest.textnorm import fold
from ingest.ward_config import (
    MAX_NESTING,
    ConfigProblem,
    _Lines,
    _too_deep_line,
    toml_problem,
)

TABLE_FILE = "criteria.toml"
SECTION = "criteria"
FORMULAS = ("rate", "rate_full_if_none")
UNITS = ("dossier", "procedure", "service", "feedback", "rating", "copy")
KEYS = frozenset(
    {"group", "code", "name_vi", "name_en", "max", "threshold", "formula", "unit", "aliases"}
    | {"owner"}
)
REQUIRED = ("group", "code", "name_vi", "name_en", "max", "threshold", "formula", "unit")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def norm(text: str) -> str:
    """Folded, every run of non-alphanumerics one space: how names and aliases are compared
    ("Số hóa - Kết quả điện tử:" -> "so hoa ket qua dien tu")."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


@dataclass(frozen=True)
class Criterion:
    code: str
    group: str  # an ingest.index_groups code
    name_vi: str
    name_en: str
    max_score: Decimal
    threshold: Decimal  # the rate at which it is full (1 = proportional)
    formula: str  # one of FORMULAS
    unit: str  # one of UNITS: what the numerator counts
    aliases: tuple[str, ...] = ()
    owner: str | None = None  # a department code; None: the group's owner

    def names(self) -> tuple[str, ...]:
        """Every way to name it, normalised: code, names, aliases."""
        every = (self.code.replace("_", " "), self.name_vi, self.name_en, *self.aliases)
        return tuple(dict.fromkeys(n for n in map(norm, every) if n))


@dataclass(frozen=True)
class CriteriaTable:
    criteria: tuple[Criterion, ...]
    source: str = "default"  # "default" or the path of the ward's file

    def by_code(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)

    def of_group(self, group: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.group == group)

    def find(self, text: str) -> Criterion | None:
        """The sub-criterion a text names (its longest name or alias in the text), or None
        when it names none or two equally well."""
        found = self.candidates(text)
        return found[0] if len(found) == 1 else None

    def candidates(self, text: str) -> tuple[Criterion, ...]:
        """The sub-criteria whose longest name in the text is the longest of all (one,
        unless two names of that length are there), in table order; () when none."""
        padded = f" {norm(text)} "
        best = 0
        found: list[Criterion] = []
        for c in self.criteria:
            length = max((len(n) for n in c.names() if f" {n} " in padded), default=0)
            if length == 0:
                continue
            if length > best:
                best, found = length, [c]
            elif length == best:
                found.append(c)
        return tuple(found)


class CriteriaError(Exception):
    """A criteria file that cannot be used; every problem with its line."""

    def __init__(self, problems: list[ConfigProblem]):
        super().__init__("; ".join(p.problem.code for p in problems))
        self.problems = problems


# =============================================================================================
# Loading and checking
# =============================================================================================


def load_criteria(text: str, source: str = "default") -> CriteriaTable:
    """Parse and check a criteria table; CriteriaError lists every problem with its line."""
    deep = _too_deep_line(text)
    if deep is not None:
        raise CriteriaError([ConfigProblem(deep, Problem("too_deep", {"max": MAX_NESTING}))])
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise CriteriaError(
            [ConfigProblem(None, Problem("too_deep", {"max": MAX_NESTING}))]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise CriteriaError([ConfigProblem(line, Problem(toml_problem(str(exc))))]) from exc
    return _Checker(data, _Lines(text), source).check()


@lru_cache(maxsize=1)
def default_table() -> CriteriaTable:
    """The shipped table (ingest/criteria.toml)."""
    text = resources.files(__package__ or "ingest").joinpath(TABLE_FILE).read_text("utf-8")
    return load_criteria(text)


def load_criteria_file(path: str | Path | None) -> CriteriaTable:
    """The ward's table from `path` (CHISO_CRITERIA_FILE), or the shipped one when None.
    CriteriaError when it cannot be read or has problems (an unreadable file is one problem
    with no line)."""
    if not path:
        return default_table()
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise CriteriaError(
            [ConfigProblem(None, Problem("criteria_unreadable", {"path": str(p)}))]
        ) from None
    return _load_cached(str(p), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int, _size: int) -> CriteriaTable:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise CriteriaError(
            [ConfigProblem(None, Problem("criteria_unreadable", {"path": path}))]
        ) from None
    return load_criteria(text, source=path)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


class _Checker:
    def __init__(self, data: dict[str, Any], lines: _Lines, source: str):
        self.data = data
        self.lines = lines
        self.source = source
        self.problems: list[ConfigProblem] = []

    def fail(self, index: int, key: str | None, code: str, /, **params: Any) -> None:
        line = self.lines.of(SECTION, index, key)
        clean = {k: v if isinstance(v, int) else str(v) for k, v in params.items()}
        self.problems.append(ConfigProblem(line, Problem(code, clean)))

    def check(self) -> CriteriaTable:
        for key in self.data:
            if key != SECTION:
                self.problems.append(
                    ConfigProblem(self.lines.of(key), Problem("unknown_section", {"section": key}))
                )
        entries = self.data.get(SECTION, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.fail(0, None, "not_a_list", section=SECTION)
            entries = []
        criteria: list[Criterion] = []
        for index, entry in enumerate(entries):
            c = self._entry(index, entry)
            if c is not None:
                criteria.append(c)
        if not entries and not self.problems:
            self.problems.append(ConfigProblem(None, Problem("no_criteria")))
        self._across(criteria, entries)
        if self.problems:
            raise CriteriaError(self.problems)
        return CriteriaTable(tuple(criteria), self.source)

    def _entry(self, index: int, entry: dict[str, Any]) -> Criterion | None:
        before = len(self.problems)
        for key in entry:
            if key not in KEYS:
                self.fail(index, key, "unknown_key", key=key, section=SECTION)
        for key in REQUIRED:
            if key not in entry:
                self.fail(index, None, "missing_key", key=key, section=SECTION)
        group = entry.get("group")
        if "group" in entry and group not in BY_CODE:
            self.fail(
                index, "group", "unknown_group_code", value=group, codes=", ".join(GROUP_CODES)
            )
        code = entry.get("code")
        if "code" in entry and not (isinstance(code, str) and _CODE.match(code)):
            self.fail(index, "code", "bad_setting", key="code", value=code)
        names = {}
        for key in ("name_vi", "name_en"):
            value = entry.get(key)
            if key in entry and not (isinstance(value, str) and value.strip()):
                self.fail(index, key, "bad_setting", key=key, value=value)
            names[key] = value.strip() if isinstance(value, str) else ""
        max_score = _decimal(entry.get("max"))
        if "max" in entry and (max_score is None or max_score <= 0):
            self.fail(index, "max", "bad_setting", key="max", value=entry.get("max"))
        threshold = _decimal(entry.get("threshold"))
        if "threshold" in entry and (threshold is None or not ZERO < threshold <= ONE):
            self.fail(
                index, "threshold", "bad_setting", key="threshold", value=entry.get("threshold")
            )
        formula = entry.get("formula")
        if "formula" in entry and formula not in FORMULAS:
            self.fail(index, "formula", "bad_choice", value=formula, choices=", ".join(FORMULAS))
        unit = entry.get("unit")
        if "unit" in entry and unit not in UNITS:
            self.fail(index, "unit", "bad_choice", value=unit, choices=", ".join(UNITS))
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and norm(a) for a in aliases
        ):
            self.fail(index, "aliases", "bad_setting", key="aliases", value=aliases)
            aliases = []
        owner = entry.get("owner")
        if owner is not None and not (isinstance(owner, str) and owner.strip()):
            self.fail(index, "owner", "bad_setting", key="owner", value=owner)
        if len(self.problems) > before:
            return None
        assert max_score is not None and threshold is not None
        return Criterion(
            code=str(code),
            group=str(group),
            name_vi=names["name_vi"],
            name_en=names["name_en"],
            max_score=max_score,
            threshold=threshold,
            formula=str(formula),
            unit=str(unit),
            aliases=tuple(a.strip() for a in aliases),
            owner=owner.strip() if isinstance(owner, str) else None,
        )

    def _across(self, criteria: list[Criterion], entries: list[Any]) -> None:
        """Codes and names unique; each group's maxima add up to the group's maximum."""
        first_code: dict[str, int] = {}
        for i, entry in enumerate(entries):
            code = entry.get("code")
            if not isinstance(code, str):
                continue
            if code in first_code:
                other_line = self.lines.of(SECTION, first_code[code], "code") or 0
                self.fail(i, "code", "duplicate_criterion", code=code, other_line=other_line)
            else:
                first_code[code] = i
        first_name: dict[str, str] = {}
        for c in criteria:
            for name in c.names():
                other = first_name.setdefault(name, c.code)
                if other != c.code:
                    at = first_code.get(c.code, 0)
                    self.fail(
                        at, "aliases", "duplicate_alias", alias=name, code=c.code, other=other
                    )
        if self.problems:
            return  # the sums of a table with mistakes say nothing new
        for group in GROUP_CODES:
            total = sum((c.max_score for c in criteria if c.group == group), ZERO)
            if total != BY_CODE[group].max_score:
                self.problems.append(
                    ConfigProblem(
                        None,
                        Problem(
                            "group_max_mismatch",
                            {
                                "group": group,
                                "computed": str(total),
                                "max": str(BY_CODE[group].max_score),
                            },
                        ),
                    )
                )


# =============================================================================================
# Arithmetic
# =============================================================================================


@dataclass(frozen=True)
class Figure:
    """A sub-criterion's counts: numerator of denominator (412 of 1.030 dossiers)."""

    numerator: Decimal
    denominator: Decimal

    @property
    def rate(self) -> Decimal | None:
        return self.numerator / self.denominator if self.denominator else None


def sub_score(c: Criterion, f: Figure) -> Decimal:
    """max × min(1, rate ÷ threshold); with nothing counted, full for rate_full_if_none
    ("no PAKN → full") and 0 otherwise. Unrounded."""
    if f.denominator <= 0:
        return c.max_score if c.formula == "rate_full_if_none" else ZERO
    rate = f.numerator / f.denominator
    return c.max_score * min(ONE, rate / c.threshold)


def group_score(table: CriteriaTable, group: str, figures: Mapping[str, Figure]) -> Decimal | None:
    """The group's score from its sub-criteria's figures; None when one of them is missing."""
    members = table.of_group(group)
    if not members or any(c.code not in figures for c in members):
        return None
    return sum((sub_score(c, figures[c.code]) for c in members), ZERO)


def needed_at_volume(c: Criterion, f: Figure) -> int | None:
    """How many more the numerator needs, the denominator staying as it is, to reach the
    threshold: ceil(threshold × denominator) − numerator, at least 0. None when nothing was
    counted (no volume to convert; full already when the formula says so)."""
    if f.denominator <= 0:
        return None
    target = math.ceil(c.threshold * f.denominator)
    return max(0, target - math.ceil(f.numerator))


@dataclass(frozen=True)
class Gap:
    """What a sub-criterion below its maximum lacks, at the current volume."""

    criterion: Criterion
    figure: Figure
    score: Decimal
    missing: Decimal  # points
    needed: int | None  # more counted in the numerator to reach the threshold
    rate_gap: Decimal | None  # percentage points to the threshold

    @property
    def points_per_unit(self) -> Decimal | None:
        if not self.needed:
            return None
        return self.missing / self.needed


def gap(c: Criterion, f: Figure) -> Gap:
    score = sub_score(c, f)
    rate = f.rate
    rate_gap = None if rate is None else max(ZERO, (c.threshold - rate) * HUNDRED)
    return Gap(c, f, score, c.max_score - score, needed_at_volume(c, f), rate_gap)


def gaps(table: CriteriaTable, figures: Mapping[str, Figure]) -> list[Gap]:
    """Every sub-criterion with figures that is below its maximum, the most points per unit
    first (the easiest points); those with nothing counted (no volume) last."""
    found = [gap(c, figures[c.code]) for c in table.criteria if c.code in figures]
    below = [g for g in found if g.missing > 0]
    return sorted(
        below,
        key=lambda g: (
            g.points_per_unit is None,
            -(g.points_per_unit or ZERO),
            -g.missing,
        ),
    )


@dataclass(frozen=True)
class WhatIf:
    """Adding `asked` to a sub-criterion's numerator at the same volume."""

    criterion: Criterion
    before: Figure
    after: Figure
    asked: int
    added: int  # what could be added: at most denominator − numerator
    score_before: Decimal
    score_after: Decimal

    @property
    def capped(self) -> bool:
        return self.added < self.asked

    @property
    def delta(self) -> Decimal:
        return self.score_after - self.score_before


def add_to_numerator(c: Criterion, f: Figure, k: int) -> WhatIf:
    """The score with k more in the numerator and the same denominator (capped there)."""
    room = max(ZERO, f.denominator - f.numerator)
    added = int(min(Decimal(max(0, k)), room))
    after = Figure(f.numerator + added, f.denominator)
    return WhatIf(c, f, after, k, added, sub_score(c, f), sub_score(c, after))


def percent_to_count(f: Figure, points: Decimal) -> int:
    """Percentage points of the denominator as a count ("thêm 5 %" of 1.030 = 52)."""
    return math.ceil(points * f.denominator / HUNDRED)


__all__ = [
    "FORMULAS",
    "UNITS",
    "CriteriaError",
    "CriteriaTable",
    "Criterion",
    "Figure",
    "Gap",
    "WhatIf",
    "add_to_numerator",
    "default_table",
    "gap",
    "gaps",
    "group_score",
    "load_criteria",
    "load_criteria_file",
    "needed_at_volume",
    "norm",
    "percent_to_count",
    "sub_score",
]
