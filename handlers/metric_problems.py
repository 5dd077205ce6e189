"""Problems in sub-criterion figures and in a criteria file, as sentences; names of
sub-criteria and of what they count. Other problems (a file's, a TOML's) are said by
handlers.problems."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from handlers import problems as general
from handlers.labels import group_name
from ingest.criteria import CriteriaTable, Criterion, default_table
from ingest.snapshot_draft import Problem
from ingest.ward_config import ConfigProblem
from locales import N_, Translator

MESSAGES = {
    # figures (ingest/metric_text.py)
    "no_figures_found": N_(
        "I could not find any sub-criterion figures in it (lines like “Hồ sơ nộp trực tuyến: "
        "412/1.030”)."
    ),
    "unknown_criterion": N_("Line {line}: “{name}” is not a sub-criterion of the index."),
    "ambiguous_criterion": N_(
        "Line {line}: “{name}” could be {options}; write the sub-criterion's full name."
    ),
    "bad_figure": N_(
        "Line {line}, {name}: “{value}” is not a valid figure; write whole numbers as "
        "numerator/denominator, e.g. 412/1.030."
    ),
    "negative_figure": N_("Line {line}, {name}: a figure cannot be negative ({value})."),
    "numerator_above_denominator": N_(
        "Line {line}, {name}: the numerator {numerator} is larger than the denominator "
        "{denominator}."
    ),
    "duplicate_figure": N_(
        "Line {line}, {name}: given twice with different figures (first on line {other_line})."
    ),
    "missing_column": N_(
        "The file has no “{column}” column; a figures file has the columns sub-criterion (its "
        "code or name), numerator and denominator, and may have period and date."
    ),
    # a criteria file (ingest/criteria.py)
    "criteria_unreadable": N_("Cannot read the criteria file {path} (missing, or not UTF-8)."),
    "no_criteria": N_("The file lists no [[criteria]]."),
    "unknown_group_code": N_("“{value}” is not a group code; use one of: {codes}."),
    "bad_choice": N_("“{value}” is not allowed here; use one of: {choices}."),
    "duplicate_criterion": N_("The code {code} is used twice (first on line {other_line})."),
    "duplicate_alias": N_("“{alias}” names two sub-criteria: {other} and {code}."),
    "group_max_mismatch": N_(
        "{group}: the sub-criteria add up to {computed} points, not the group's maximum of {max}."
    ),
}
COLUMN_NAMES = {
    "criterion": N_("sub-criterion"),
    "numerator": N_("numerator"),
    "denominator": N_("denominator"),
}


def criterion_name(c: Criterion, _: Translator) -> str:
    return c.name_vi if _.lang == "vi" else c.name_en


def code_name(code: str, table: CriteriaTable, _: Translator) -> str:
    c = table.by_code(code)
    return criterion_name(c, _) if c is not None else code


def unit_count(unit: str, n: int, _: Translator) -> str:
    """ "103 hồ sơ", "3 thủ tục": a count of what a sub-criterion counts."""
    number = _.number(n, 0)
    if unit == "procedure":
        return _.plural("{count} procedure", "{count} procedures", n, count=number)
    if unit == "service":
        return _.plural("{count} online service", "{count} online services", n, count=number)
    if unit == "feedback":
        return _.plural("{count} feedback item", "{count} feedback items", n, count=number)
    if unit == "rating":
        return _.plural("{count} rating", "{count} ratings", n, count=number)
    if unit == "copy":
        return _.plural("{count} certified copy", "{count} certified copies", n, count=number)
    return _.plural("{count} dossier", "{count} dossiers", n, count=number)


def unit_word(unit: str, _: Translator) -> str:
    """What one unit is called: "hồ sơ", "thủ tục" (in "điểm mỗi hồ sơ")."""
    if unit == "procedure":
        return _("procedure")
    if unit == "service":
        return _("online service")
    if unit == "feedback":
        return _("feedback item")
    if unit == "rating":
        return _("rating")
    if unit == "copy":
        return _("certified copy")
    return _("dossier")


def _number(value: object, _: Translator) -> str:
    try:
        return _.number(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def describe(problem: Problem, _: Translator, table: CriteriaTable | None = None) -> str:
    """A problem of figures or of a criteria file as a sentence (others: handlers.problems)."""
    template = MESSAGES.get(problem.code)
    if template is None:
        return general.describe(problem, _)
    table = table or default_table()
    params: dict[str, object] = defaultdict(str)
    for key, value in problem.params.items():
        if key in ("numerator", "denominator", "computed", "max"):
            params[key] = _number(value, _)
        elif key == "name" and problem.code != "unknown_criterion":
            params[key] = code_name(str(value), table, _)
        elif key == "options":
            params[key] = _(" or ").join(
                code_name(c.strip(), table, _) for c in str(value).split(",")
            )
        elif key == "group":
            params[key] = group_name(str(value), _)
        elif key == "column":
            label = COLUMN_NAMES.get(str(value))
            params[key] = _(label) if label else value
        else:
            params[key] = value
    return _(template).format_map(params)


def config_lines(path: str, problems: list[ConfigProblem], _: Translator) -> list[str]:
    """Each problem of a criteria file as a sentence with its line."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    lines = []
    for p in problems:
        where = _("line {line}", line=p.line) if p.line else _("file")
        lines.append(f"  {name}, {where}: {describe(p.problem, _)}")
    return lines
