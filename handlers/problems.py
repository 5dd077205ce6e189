"""Problems found in user input (score reports, ward.toml) as sentences in the user's language."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from handlers.labels import group_name
from ingest.snapshot_draft import Problem
from locales import N_, Translator

MESSAGES = {
    # score reports
    "no_scores_found": N_(
        "I could not find any index figures in it (lines like “Tiến độ giải quyết: 19,93/20 "
        "điểm” or “đạt 94,72 điểm, xếp hạng 80/114”)."
    ),
    "unknown_group": N_("“{name}” is not one of the six groups of the index."),
    "score_above_max": N_("{group}: {score} points is above the group's maximum of {max}."),
    "negative_score": N_("{group}: a score cannot be negative ({score})."),
    "wrong_group_max": N_("{group}: the maximum is {expected}, not {max}."),
    "total_mismatch": N_(
        "The total {total} does not match the sum of the groups, {computed} ({period})."
    ),
    "total_above_max": N_("The total {total} is above 100 points."),
    "rank_out_of_range": N_("The rank {rank}/{rank_of} is not possible."),
    "missing_groups": N_("Scores are missing for: {groups} ({period})."),
    "unsupported_file": N_(
        "I cannot read “{name}”: send a .txt, .md, .csv or .xlsx file, or paste the text."
    ),
    "unreadable_file": N_("The file “{name}” cannot be read; it may be damaged."),
    "missing_column": N_(
        "The file has no “{column}” column (see the column layout in the README)."
    ),
    "unknown_column": N_(
        "The file has a column “{column}” that the index does not have; remove or rename it "
        "(see the column layout in the README). Nothing was stored."
    ),
    "bad_value": N_("Row {row}, column “{column}”: “{value}” is not a valid value."),
    "period_out_of_range": N_(
        "{period}: the period is not possible; figures go from {first} to {last}."
    ),
    "date_out_of_range": N_(
        "The date of the figures, {date}, is not possible; figures go from {first} to {last}."
    ),
    "too_many_rows": N_(
        "The file has {rows} sets of figures, more than a ward could have (at most {max})."
    ),
    "unpacked_too_large": N_("“{name}” unpacks to more than {limit_mb} MB, so I did not open it."),
    "too_deep": N_("Values are nested more than {max} levels deep."),
    # ward.toml
    "toml_syntax": N_("The file is not valid TOML: {detail}"),
    "unknown_section": N_("Unknown section [{section}]."),
    "not_a_list": N_("[[{section}]] must be a list of tables."),
    "not_a_table": N_("[{section}] must be a table."),
    "bad_setting": N_("“{value}” is not a valid value for “{key}”."),
    "unknown_key": N_("Unknown key “{key}” in [{section}]."),
    "missing_section": N_("The [{section}] section is missing."),
    "missing_key": N_("“{key}” is required in [{section}]."),
    "duplicate_code": N_("The department code {code} is used twice."),
    "unknown_department": N_("No department has the code “{code}”."),
    "duplicate_person": N_("{name} is listed twice."),
    "duplicate_id": N_("{key} {value} is already given to {other}."),
    "bad_role": N_("“{value}” is not a role; use one of: {roles}."),
    "bad_channel": N_("“{value}” is not a channel; use one of: {channels}."),
    "bad_kind": N_("“{value}” is not a chat kind; use one of: {kinds}."),
    "toml_invalid": N_(
        "This line is not written as the file needs: check the “key = value” form, the "
        "quotes and the brackets."
    ),
    "toml_unclosed_string": N_(
        'A text is not closed: end it with a double quote (") on the same line.'
    ),
    "toml_bad_character": N_(
        "The line holds a character the file cannot contain (a control character or a stray "
        "symbol); type the line again."
    ),
    "toml_defined_twice": N_("A key or a section is written twice; keep only one."),
    "toml_unclosed_bracket": N_("A list is not closed: end it with “]”."),
    "toml_missing_equals": N_("A key has no “=”: write it as key = value."),
    "toml_bad_value": N_(
        'The value is not valid: write text in double quotes (name = "Phường Hòa Phong"), '
        "numbers without quotes, lists in [ ]."
    ),
    "empty_id": N_("{key} of {name} is empty: write the id or remove the line."),
    "not_an_integer": N_(
        "{key} of {name} must be a whole number (the id Telegram gives), not “{value}”."
    ),
    "duplicate_person_at": N_(
        "{name} is listed twice (first on line {other_line}); keep one entry."
    ),
    "duplicate_chat": N_(
        "The chat {chat_id} is listed twice (first on line {other_line}); keep one entry."
    ),
    # several ward files, province files (ingest/province_config.py, bot/cli/setup.py)
    "ward_twice": N_("The ward “{ward}” is also described by {other}; keep one file per ward."),
    "other_province": N_(
        "This file puts the ward in “{other}”, but {file} lists it for “{province}”; make "
        "them the same."
    ),
    "province_person_in_ward": N_(
        "{name} is provincial staff in {file}, so they are in this ward already; remove them "
        "from one of the two files."
    ),
    "province_id_in_ward": N_(
        "{key} {value} of {name} is the id of {other}, provincial staff in {file}; one id is "
        "one person."
    ),
    "no_ward_files": N_(
        "“{pattern}” matches no ward file (paths are relative to the province file)."
    ),
    "in_two_provinces": N_("This ward file is listed by two province files: {first} and {other}."),
    "province_person_here": N_(
        "{name} is provincial staff of this ward (set by a province file); remove them from "
        "this file, or set the wards up with the province file."
    ),
    "province_id_here": N_(
        "{key} {value} of {name} belongs to {other}, provincial staff of this ward (set by a "
        "province file); one id is one person."
    ),
}
_NUMBER_PARAMS = {"score", "max", "expected", "total", "computed"}
_GROUP_PARAMS = {"group"}


def _number(value: object, _: Translator) -> str:
    try:
        return _.number(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def describe(problem: Problem, _: Translator) -> str:
    template = MESSAGES.get(problem.code)
    params: dict[str, object] = defaultdict(str)
    for key, value in problem.params.items():
        if key in _NUMBER_PARAMS:
            params[key] = _number(value, _)
        elif key in _GROUP_PARAMS:
            params[key] = group_name(str(value), _)
        elif key == "groups":
            params[key] = ", ".join(group_name(c.strip(), _) for c in str(value).split(","))
        elif key == "period":
            params[key] = str(value)
        else:
            params[key] = value
    if template is None:
        return _("Problem: {code}", code=problem.code)
    return _(template).format_map(params)
