"""ward.toml: the example loads; every mistake is reported with its line; nothing is written."""

from __future__ import annotations

import pytest

from handlers.problems import describe
from ingest.ward_config import WardConfigError, load_ward_config
from locales import translator
from tests.conftest import EXAMPLE_WARD

_ = translator("vi")


def test_example_ward_loads() -> None:
    cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8"))
    assert cfg.name == "Phường Hòa Phong"
    assert [d.code for d in cfg.departments] == [
        "TTPVHCC",
        "VHXH",
        "VP",
        "KTHTDT",
        "VPDU",
        "TPHT",
        "TTSNC",
        "CA",
    ]
    assert cfg.people[0].telegram_id == "700000001"
    assert cfg.chats[1].department == "TTPVHCC"


def _problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(WardConfigError) as err:
        load_ward_config(text)
    return [(p.line, describe(p.problem, _)) for p in err.value.problems]


BASE = """[ward]
name = "Phường Thử"

[[departments]]
code = "VHXH"
name = "Phòng Văn hóa - Xã hội"
"""


def test_unknown_key_names_its_line() -> None:
    problems = _problems(BASE + '\n[[people]]\nname = "A"\nrole = "staff"\nphone = "0909"\n')
    assert problems == [(11, "Khóa “phone” không có trong mục [people].")]


def test_duplicate_code_and_missing_department() -> None:
    text = BASE + (
        '\n[[departments]]\ncode = "VHXH"\nname = "Trùng"\n'
        '\n[[chats]]\nchannel = "telegram"\nchat_id = "-1"\nkind = "department"\n'
        'department = "TTPVHCC"\n'
    )
    problems = _problems(text)
    assert (9, "Mã phòng ban VHXH bị dùng hai lần.") in problems
    assert (16, "Không có phòng ban nào mang mã “TTPVHCC”.") in problems


def test_bad_role_channel_and_toml_syntax() -> None:
    problems = _problems(BASE + '\n[[people]]\nname = "A"\nrole = "boss"\n')
    assert problems[0][0] == 10 and "boss" in problems[0][1]
    problems = _problems('[ward\nname = "x"\n')
    assert problems[0][0] == 1
