"""Reads and checks a province file (`province.toml`): the province's name, its wards' files,
and its provincial staff, who belong to every ward of the province with the role `province`.

    [province]
    name = "Thành phố Hải Phòng"
    wards = ["wards/*.toml"]          # paths or patterns, relative to this file

    [[people]]
    name = "Đỗ Thị Tỉnh"
    telegram_id = 710000001          # role = "province" may be written; no other role

Every problem names its line, as in `ingest/ward_config.py`; with any problem nothing is
returned. Finding the ward files on disk and checking them together (`cross_check`) is for
the caller: this module only reads text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.snapshot_draft import Problem
from ingest.textnorm import fold_name
from ingest.ward_config import (
    ID_KEYS,
    ConfigProblem,
    PersonCfg,
    WardConfig,
    WardConfigError,
    _Lines,
    _text,
    parse_toml,
    person_contact,
)
from store.records import PROVINCE_ROLE

SECTIONS = {
    "province": {"name", "wards"},
    "people": {"name", "role", "telegram_id", "zalo_id", "zalo_oa_id", "language"},
}
_HEADER = re.compile(r"^\s*\[\s*province\s*\]", re.MULTILINE)


def is_province_file(text: str) -> bool:
    """A province file has a [province] table (a ward file has [ward])."""
    return _HEADER.search(text) is not None


@dataclass(frozen=True)
class ProvinceConfig:
    name: str
    wards: tuple[str, ...]  # paths or glob patterns, relative to the province file
    people: tuple[PersonCfg, ...]  # every one with role "province"
    wards_line: int | None = None  # the line of `wards`, for "matches no file"


def load_province_config(text: str) -> ProvinceConfig:
    """Parse and check; raises WardConfigError listing every problem with its line."""
    return _Checker(parse_toml(text), _Lines(text)).check()


class _Checker:
    def __init__(self, data: dict[str, Any], lines: _Lines):
        self.data = data
        self.lines = lines
        self.problems: list[ConfigProblem] = []

    def fail(self, section: str, index: int, key: str | None, code: str, /, **params: Any) -> None:
        clean = {k: v if isinstance(v, int) else str(v) for k, v in params.items()}
        self.problems.append(
            ConfigProblem(self.lines.of(section, index, key), Problem(code, clean))
        )

    def check(self) -> ProvinceConfig:
        for key in self.data:
            if key not in SECTIONS:
                self.fail(key, 0, None, "unknown_section", section=key)
        province = self.data.get("province")
        if not isinstance(province, dict):
            self.fail("province", 0, None, "missing_section", section="province")
            province = {}
        people = self.data.get("people", [])
        if not isinstance(people, list) or not all(isinstance(e, dict) for e in people):
            self.fail("people", 0, None, "not_a_list", section="people")
            people = []
        for section, entries in (("province", [province]), ("people", people)):
            for index, entry in enumerate(entries):
                for key in entry:
                    if key not in SECTIONS[section]:
                        self.fail(section, index, key, "unknown_key", key=key, section=section)
        name = _text(province.get("name"))
        if not name:
            self.fail("province", 0, "name", "missing_key", key="name", section="province")
        wards = province.get("wards")
        if isinstance(wards, str):
            wards = [wards]
        if wards is None:
            self.fail("province", 0, None, "missing_key", key="wards", section="province")
            wards = []
        elif (
            not isinstance(wards, list)
            or not wards
            or not all(isinstance(w, str) and w.strip() for w in wards)
        ):
            self.fail("province", 0, "wards", "bad_setting", key="wards", value=wards)
            wards = []
        staff = self._people(people)
        if self.problems:
            raise WardConfigError(self.problems)
        return ProvinceConfig(
            name or "",
            tuple(w.strip() for w in wards),
            staff,
            self.lines.of("province", 0, "wards"),
        )

    def _people(self, entries: list[dict[str, Any]]) -> tuple[PersonCfg, ...]:
        result = []
        names: dict[str, int] = {}
        ids: dict[tuple[str, str], str] = {}
        for i, entry in enumerate(entries):
            name = _text(entry.get("name"))
            if not name:
                self.fail("people", i, "name", "missing_key", key="name", section="people")
                continue
            if name in names:
                first = self.lines.of("people", names[name], "name")
                self.fail(
                    "people", i, "name", "duplicate_person_at", name=name, other_line=first or 0
                )
            else:
                names[name] = i
            role = entry.get("role", PROVINCE_ROLE)
            if role != PROVINCE_ROLE:
                self.fail("people", i, "role", "bad_role", value=role, roles=PROVINCE_ROLE)
            contact, language = person_contact(self.fail, i, entry, name, ids)
            result.append(
                PersonCfg(
                    name,
                    PROVINCE_ROLE,
                    (),
                    contact["telegram_id"],
                    contact["zalo_id"],
                    language,
                    contact["zalo_oa_id"],
                )
            )
        return tuple(result)


@dataclass(frozen=True)
class WardFile:
    """A ward file read for `chiso setup`: its label (the path as shown), its text, its
    checked config, and the province file that lists it (None: set up on its own)."""

    label: str
    text: str
    config: WardConfig
    province: ProvinceConfig | None = None
    province_label: str = ""


def person_line(ward: WardFile, index: int, key: str = "name") -> int | None:
    """The line of the index-th [[people]] entry's key in a ward file."""
    return _Lines(ward.text).of("people", index, key)


def cross_check(files: list[WardFile]) -> dict[str, list[ConfigProblem]]:
    """What only shows when the files are read together, by the label of the file to fix: a
    ward described twice, a ward that names another province than the province file listing
    it, and provincial staff also listed (by name or by an id) in a ward of their province."""
    problems: dict[str, list[ConfigProblem]] = {}
    seen: dict[str, str] = {}  # folded ward name -> label of its first file
    for ward in files:
        found = problems.setdefault(ward.label, [])
        key = fold_name(ward.config.name)
        if key in seen:
            found.append(
                ConfigProblem(
                    None,
                    Problem("ward_twice", {"ward": ward.config.name, "other": seen[key]}),
                )
            )
        else:
            seen[key] = ward.label
        province = ward.province
        if province is None:
            continue
        if ward.config.province and fold_name(ward.config.province) != fold_name(province.name):
            found.append(
                ConfigProblem(
                    _Lines(ward.text).of("ward", 0, "province"),
                    Problem(
                        "other_province",
                        {
                            "other": ward.config.province,
                            "province": province.name,
                            "file": ward.province_label,
                        },
                    ),
                )
            )
        staff = {p.name: p for p in province.people}
        staff_ids = {
            (k, getattr(p, k)): p.name for p in province.people for k in ID_KEYS if getattr(p, k)
        }
        for index, person in enumerate(ward.config.people):
            if person.name in staff:
                found.append(
                    ConfigProblem(
                        person_line(ward, index),
                        Problem(
                            "province_person_in_ward",
                            {"name": person.name, "file": ward.province_label},
                        ),
                    )
                )
                continue
            for k in ID_KEYS:
                value = getattr(person, k)
                if value and (k, value) in staff_ids:
                    found.append(
                        ConfigProblem(
                            person_line(ward, index, k),
                            Problem(
                                "province_id_in_ward",
                                {
                                    "key": k,
                                    "value": value,
                                    "name": person.name,
                                    "other": staff_ids[(k, value)],
                                    "file": ward.province_label,
                                },
                            ),
                        )
                    )
    return {label: found for label, found in problems.items() if found}


__all__ = [
    "ProvinceConfig",
    "WardFile",
    "cross_check",
    "is_province_file",
    "load_province_config",
    "person_line",
]
