"""Directives -> tasks per department (ingest.directive, ingest.documents).

The ward samples (../shared/samples/directives) are checked task by task against what a
careful reader lists; the province samples (../shared/samples/directives-province) against
SOURCES.md and a few tasks each; tests/data/directives holds layouts written for these tests.
"""

from __future__ import annotations

import io
import json
import random
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.directive import (
    Assignee,
    ParsedDirective,
    Task,
    parse_directive,
    to_json,
    units_from_ward,
)
from ingest.documents import DocumentError, extract_text
from ingest.ward_config import load_ward_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
WARD_SAMPLES = SHARED / "samples" / "directives"
PROVINCE = SHARED / "samples" / "directives-province"
DATA = ROOT / "tests" / "data" / "directives"
UNITS = units_from_ward(load_ward_config((ROOT / "examples" / "ward.toml").read_text()))
PRO = ("TTPVHCC", "VHXH", "VP", "KTHTDT", "VPDU", "TPHT", "TTSNC")  # professional = true


def shared(path: Path) -> str:
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is beside the checkout only in CI)")
    return path.read_text(encoding="utf-8")


def codes(who: tuple[Assignee, ...]) -> tuple[str, ...]:
    return tuple(a.department for a in who)


def minus(*drop: str) -> tuple[str, ...]:
    return tuple(c for c in PRO if c not in drop)


Row = tuple[int, tuple[str, ...], tuple[str, ...], date | None, str | None]


def rows(parsed: ParsedDirective) -> list[Row]:
    return [
        (t.source_line, codes(t.lead), codes(t.support), t.deadline, t.recurrence)
        for t in parsed.tasks
    ]


def task_at(parsed: ParsedDirective, line: int) -> Task:
    return next(t for t in parsed.tasks if t.source_line == line)


# --- the ward samples ------------------------------------------------------------------------


def test_chi_thi_thien_huong() -> None:
    text = shared(WARD_SAMPLES / "chi-thi-thien-huong-2025-11.txt")
    p = parse_directive(text, units=UNITS, reference=date(2025, 11, 20))
    assert p.kind == "chi_thi"
    assert p.subject is not None and p.subject.startswith("Về việc tăng cường giải pháp")
    assert p.subject.endswith("trên địa bàn phường Thiên Hương")
    assert (p.signer, p.signer_title) == ("Nguyễn Công Diễn", "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH")
    assert p.number is None and p.date is None
    assert rows(p) == [
        # 1. Các phòng, đơn vị chuyên môn: every professional department
        (45, PRO, (), None, None),
        (51, PRO, (), None, None),
        (57, PRO, (), date(2025, 11, 30), None),
        # 2. Trung tâm Phục vụ Hành chính công
        (68, ("TTPVHCC",), (), None, "weekly:MON"),
        (76, ("TTPVHCC",), (), None, "daily"),
        (82, ("TTPVHCC",), minus("TTPVHCC"), date(2025, 12, 31), None),
        # 3. Phòng Văn hóa - Xã hội: ongoing, no deadline
        (92, ("VHXH",), (), None, None),
        (98, ("VHXH",), (), None, None),
    ]
    weekly = task_at(p, 68)
    assert weekly.deadline_text == "vào thứ Hai hằng tuần"
    assert weekly.text.startswith("Chịu trách nhiệm chính") and weekly.text.endswith("hằng tuần.")
    assert task_at(p, 76).deadline_kind == "same_day"
    assert task_at(p, 57).deadline_text == "hoàn thành trước ngày 30/11/2025"
    assert "\n" not in task_at(p, 57).text and "  " not in task_at(p, 57).text
    assert task_at(p, 82).deadline_text == "hoàn thành trong tháng 12/2025"
    assert task_at(p, 45).section == "1. Các phòng, đơn vị chuyên môn"
    assert task_at(p, 92).section == "3. Phòng Văn hóa - Xã hội"
    assert p.unknown_units == ()
    # outside bodies the ward contacts are nobody's task
    assert all("Sở" not in a.written for t in p.tasks for a in t.lead + t.support)
    assert p.snapshot is not None
    totals = {(d.period_kind, str(d.total), d.rank, d.rank_of) for d in p.snapshot}
    assert ("year", "94.72", 80, 114) in totals


def test_cong_khai_hoa_thang() -> None:
    text = shared(WARD_SAMPLES / "cong-khai-ket-qua-hoa-thang-2025-08.md")
    p = parse_directive(text, units=UNITS, reference=date(2025, 9, 5))
    assert (p.issuer, p.kind, p.number) == ("UBND phường Hòa Thắng", "cong_van", "/UBND")
    assert p.date is None and p.date_text == "Hòa Thắng, ngày tháng năm 2025"
    assert p.subject is not None and p.subject.startswith("V/v công khai kết quả Bộ chỉ số")
    assert p.signer == "Trịnh Xuân Thanh"
    assert p.signer_title == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert p.recipients[:4] == (
        "Văn phòng HĐND và UBND phường",
        "Phòng Văn hoá – Xã hội phường",
        "Phòng Kinh tế, Hạ tầng và Đô thị phường",
        "Trung tâm Phục vụ hành chính công phường",
    )
    assert rows(p) == [
        # I. KẾT QUẢ (scores, lines 28-34) holds no tasks
        (42, PRO, (), None, None),
        (43, PRO, (), None, None),
        (44, PRO, (), None, None),  # "kịp thời": ongoing
        (45, PRO, (), None, None),
        (46, minus("TTPVHCC"), ("TTPVHCC",), None, None),
        (47, PRO, (), None, None),
        (48, minus("TTPVHCC"), ("TTPVHCC",), None, None),
        (49, PRO, (), None, "periodic"),
        (53, ("TTPVHCC",), (), None, None),
        (54, ("TTPVHCC",), (), None, None),
        (55, ("TTPVHCC",), (), None, None),
        (56, ("TTPVHCC",), (), None, None),
        (57, ("TTPVHCC",), (), None, None),
        (58, ("TTPVHCC",), (), None, None),
        (59, ("TTPVHCC",), (), None, None),
        (60, ("TTPVHCC",), (), None, None),
    ]
    assert task_at(p, 44).deadline_kind == "ongoing"
    assert task_at(p, 46).deadline_text == "thường xuyên"
    assert task_at(p, 53).deadline_kind == "ongoing"
    assert task_at(p, 42).section == "1. Các phòng chuyên môn thuộc UBND phường"
    assert p.snapshot is not None and str(p.snapshot[0].total) == "87.09"
    assert (p.snapshot[0].rank, p.snapshot[0].rank_of) == (5, 65)


def test_cong_van_trien_khai_2022() -> None:
    text = shared(WARD_SAMPLES / "cong-van-trien-khai-766-2022.txt")
    p = parse_directive(text, units=UNITS, reference=date(2022, 8, 20))
    assert p.kind == "cong_van"  # "theo nội dung công văn chỉ đạo"
    assert (p.signer, p.signer_title) == ("Đỗ Đức Phu", "TM. UBND PHƯỜNG / CHỦ TỊCH")
    assert rows(p) == [
        # 1. Các bộ phận chuyên môn thuộc UBND phường: a) .. e)
        (14, PRO, (), None, None),
        (26, PRO, (), None, None),
        (29, PRO, (), None, None),
        (33, PRO, (), None, None),
        (39, PRO, (), None, None),
        # 2. Công chức Văn phòng Đảng ủy- Nội vụ: <task on the same line>
        (43, ("VPDU",), ("VP",), date(2022, 12, 31), None),
        # 3. Công chức Văn hóa –Xã hội: Chủ trì, phối hợp với các bộ phận chuyên môn
        (52, ("VHXH",), minus("VHXH"), None, None),
        # 4. Công chức Tư pháp hộ tịch: Chủ trì, phối hợp với Văn phòng UBND và HĐND phường
        (56, ("TPHT",), ("VP",), None, None),
        # 5. Văn phòng UBND và HĐND phường, and the paragraph after it
        (61, ("VP",), (), None, None),
        (70, ("VP",), (), None, None),
    ]
    first = task_at(p, 14)
    assert first.deadline_kind == "ongoing" and first.deadline_text == "thường xuyên"
    assert "(1) Chỉ số về công khai, minh bạch; (2) Chỉ số về tiến độ" in first.text
    assert "Nghị định số 107/2021/NĐ-CP" in task_at(p, 33).text  # "NĐ-" / "CP" re-joined
    assert task_at(p, 43).deadline_text == "ngay trong năm 2022"
    assert task_at(p, 43).text.startswith("Phối hợp với Văn phòng HĐND-UBND phường tham mưu")
    assert task_at(p, 43).section == "2. Công chức Văn phòng Đảng ủy- Nội vụ"
    assert task_at(p, 70).deadline_kind == "ongoing"
    assert p.snapshot is None and p.unknown_units == ()


def test_without_units_departments_are_as_written() -> None:
    text = shared(WARD_SAMPLES / "chi-thi-thien-huong-2025-11.txt")
    p = parse_directive(text, reference=date(2025, 11, 20))
    assert [codes(t.lead) for t in p.tasks] == [
        ("Các phòng, đơn vị chuyên môn",),
    ] * 3 + [("Trung tâm Phục vụ Hành chính công",)] * 3 + [("Phòng Văn hóa - Xã hội",)] * 2
    assert codes(task_at(p, 82).support) == ("các phòng chuyên môn",)
    assert p.unknown_units == ()
    entries = to_json(p, with_codes=True)["tasks"]
    assert isinstance(entries, list)
    assert {e["department_code"] for e in entries} == {None}


def test_json_one_entry_per_task_and_department() -> None:
    text = shared(WARD_SAMPLES / "chi-thi-thien-huong-2025-11.txt")
    p = parse_directive(text, units=UNITS, reference=date(2025, 11, 20))
    data = to_json(p, with_codes=True)
    json.dumps(data, ensure_ascii=False)  # JSON-safe
    assert set(data) >= {
        "issuer",
        "kind",
        "number",
        "date",
        "subject",
        "signer",
        "signer_title",
        "recipients",
        "tasks",
        "snapshot",
        "unknown_units",
    }
    entries = data["tasks"]
    assert isinstance(entries, list)
    assert len(entries) == 3 * 7 + 1 + 1 + (1 + 6) + 2
    payment = [e for e in entries if e["source_line"] == 82]
    assert [(e["department"], e["role"]) for e in payment] == [("TTPVHCC", "lead")] + [
        (c, "support") for c in minus("TTPVHCC")
    ]
    assert payment[0] == {
        "department": "TTPVHCC",
        "department_code": "TTPVHCC",
        "role": "lead",
        "task": task_at(p, 82).text,
        "deadline": "2025-12-31",
        "recurrence": None,
        "deadline_text": "hoàn thành trong tháng 12/2025",
        "source_line": 82,
        "section": "2. Trung tâm Phục vụ Hành chính công",
    }
    assert data["snapshot"] is not None and data["unknown_units"] == []
    plain = to_json(p, with_codes=False)["tasks"]
    assert isinstance(plain, list)
    assert plain[0]["department"] == "Trung tâm Phục vụ hành chính công"
    assert {e["department_code"] for e in plain} == {None}


# --- the province samples --------------------------------------------------------------------


def _sources() -> dict[str, dict[str, str | None]]:
    """File -> number, date (dd/mm/yyyy or None for drafts) and signer, from SOURCES.md."""
    text = shared(PROVINCE / "SOURCES.md")
    out: dict[str, dict[str, str | None]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not cells[0].startswith("doc"):
            continue
        name, _source, issuer, when, number = cells[:5]
        signer = re.findall(r"(?:PCT|Chánh VP|PCVP) ([^,)]+)\)", issuer)
        full = re.fullmatch(r"(\d{1,2}/\d{1,2}/\d{4})", when)
        out[name] = {
            "date": full.group(1) if full else None,
            "number": number.split()[0],
            "signer": signer[-1].strip() if signer else None,
        }
    return out


PROVINCE_FILES = [f"doc0{i}.txt" for i in range(1, 9)]
TASK_COUNTS = {
    "doc01.txt": 7,
    "doc02.txt": 7,
    "doc03.txt": 15,
    "doc04.txt": 41,  # 19 unassigned in part III, 11 in part IV, 11 appendix rows
    "doc05.txt": 18,
    "doc06.txt": 15,
    "doc07.txt": 4,
    "doc08.txt": 3,
}


@pytest.mark.parametrize("name", PROVINCE_FILES)
def test_province_headers_against_sources(name: str) -> None:
    source = _sources()[name]
    p = parse_directive(shared(PROVINCE / name), units=UNITS)
    assert p.signer == source["signer"]
    if source["date"] is not None:
        d, m, y = (int(x) for x in str(source["date"]).split("/"))
        assert p.date == date(y, m, d)
        assert p.number == source["number"]
    else:  # a draft: no day, no number, the symbol kept
        assert p.date is None and p.date_text is not None
        assert p.number is not None and p.number.startswith("/")
        assert str(source["number"]).endswith(p.number)
    assert len(p.tasks) == TASK_COUNTS[name]
    assert p.snapshot is None


def test_province_kinds() -> None:
    kinds = {name: parse_directive(shared(PROVINCE / name)).kind for name in PROVINCE_FILES}
    assert kinds == {
        "doc01.txt": "cong_van",
        "doc02.txt": "cong_van",
        "doc03.txt": "ke_hoach",
        "doc04.txt": "ke_hoach",
        "doc05.txt": "chi_thi",
        "doc06.txt": "thong_bao_ket_luan",
        "doc07.txt": "cong_van",
        "doc08.txt": "cong_van",
    }
    doc06 = parse_directive(shared(PROVINCE / "doc06.txt"))
    assert doc06.issuer == "Văn phòng UBND tỉnh Lào Cai"


def _leads(t: Task) -> tuple[str, ...]:
    return tuple(a.written for a in t.lead)


def test_doc01_sub_items_and_shared_time() -> None:
    p = parse_directive(shared(PROVINCE / "doc01.txt"))
    assert _leads(task_at(p, 18)) == ("Sở Nông nghiệp và Môi trường",)
    assert task_at(p, 18).deadline == date(2025, 12, 5)
    # 1.3: two bullets, then "Thời gian hoàn thành trước ngày 31 tháng 12 năm 2025."
    for line in (22, 23):
        assert _leads(task_at(p, line)) == ("Ủy ban nhân dân các phường, xã, đặc khu",)
        assert task_at(p, line).deadline == date(2025, 12, 31)
    # "Giao Sở Xây dựng chủ trì, phối hợp với ... cùng các đơn vị có liên quan, tổ chức ..."
    survey = task_at(p, 28)
    assert _leads(survey) == ("Sở Xây dựng",)
    assert tuple(a.written for a in survey.support) == (
        "Trung tâm Chuyển đổi số Thành phố",
        "Công an Thành phố",
        "Sở Nông nghiệp và Môi trường",
        "Ủy ban nhân dân các phường, xã, đặc khu",
    )
    assert task_at(p, 29).deadline == date(2025, 12, 31)
    assert task_at(p, 29).deadline_text == "Thời gian hoàn thành trong tháng 12 năm 2025"
    # the Kế hoạch of 31/8/2025 quoted in a task is a reference, not its deadline
    assert all(t.deadline != date(2025, 8, 31) for t in p.tasks)


def test_doc03_structured_blocks_and_monthly_reports() -> None:
    p = parse_directive(shared(PROVINCE / "doc03.txt"))
    first = task_at(p, 20)
    assert _leads(first) == ("Sở Khoa học và Công nghệ",)
    assert tuple(a.written for a in first.support) == ("Các Sở, ban, ngành",)
    assert first.deadline == date(2025, 12, 31)
    assert [task_at(p, n).deadline for n in (27, 28, 29)] == [None, None, None]
    assert task_at(p, 50 - 6).deadline_kind == "ongoing"  # "Thực hiện thường xuyên."
    assert _leads(task_at(p, 53)) == ("Các Sở, ban, ngành",)  # the field, not "Các đơn vị"
    assert task_at(p, 72).recurrence == "monthly:20"
    assert _leads(task_at(p, 72)) == ("Sở Khoa học và Công nghệ",)
    assert task_at(p, 73).recurrence == "monthly:15"
    assert _leads(task_at(p, 73)) == ("Các Sở, ban, ngành", "UBND xã, phường")
    # I. MỤC ĐÍCH, YÊU CẦU holds no tasks
    assert all(t.source_line > 17 for t in p.tasks)


def test_doc04_appendix_table() -> None:
    p = parse_directive(shared(PROVINCE / "doc04.txt"))
    table = [t for t in p.tasks if t.source_line >= 92]
    assert len(table) == 11
    assert [(t.source_line, _leads(t)[0]) for t in table[:3]] == [
        (92, "Sở KH&CN"),
        (93, "Sở KH&CN"),
        (94, "Sở Nội vụ"),
    ]
    quarter = task_at(p, 96)
    assert (quarter.deadline, quarter.deadline_text) == (date(2025, 12, 31), "Quí IV-2025")
    assert quarter.section == "II. HOÀN THIỆN CƠ CHẾ, CHÍNH SÁCH HỖ TRỢ CHUYỂN ĐỔI SỐ DOANH NGHIỆP"
    assert task_at(p, 92).deadline_kind == "ongoing"
    assert task_at(p, 99).recurrence == "yearly"
    assert tuple(a.written for a in task_at(p, 101).support) == (
        "Ban Quản lý Khu kinh tế",
        "Sở Công Thương",
        "các doanh nghiệp viễn thông",
    )
    assert task_at(p, 73).recurrence == "yearly:06-01,11-15"
    # I. MỤC ĐÍCH, YÊU CẦU and II. MỤC TIÊU, ĐỐI TƯỢNG hold no tasks
    assert all(not 11 <= t.source_line <= 30 for t in p.tasks)


def test_doc05_has_no_deadlines() -> None:
    p = parse_directive(shared(PROVINCE / "doc05.txt"))
    assert all(t.deadline is None and t.recurrence is None for t in p.tasks)
    assert _leads(p.tasks[0]) == (
        "Thủ trưởng các sở, ban, ngành tỉnh",
        "Chủ tịch UBND các xã, phường",
    )
    d = task_at(p, 26)
    assert _leads(d) == ("Sở Khoa học và Công nghệ",)
    assert tuple(a.written for a in d.support) == ("Văn phòng UBND tỉnh",)


def test_doc06_doc07_doc08_deadlines() -> None:
    p6 = parse_directive(shared(PROVINCE / "doc06.txt"))
    assert task_at(p6, 20).deadline == date(2026, 12, 31)
    assert task_at(p6, 23).recurrence == "quarterly"
    assert task_at(p6, 37).deadline == date(2026, 7, 30)
    assert _leads(task_at(p6, 37)) == ("Ủy ban nhân dân các xã, phường có cụm công nghiệp",)
    assert all(t.source_line < 42 for t in p6.tasks)  # the closing paragraphs are not tasks
    p7 = parse_directive(shared(PROVINCE / "doc07.txt"))
    due = [t for t in p7.tasks if t.deadline == date(2028, 7, 1)]
    assert [t.source_line for t in due] == [16, 19]
    assert due[0].deadline_text == "chậm nhất đến ngày 01 tháng 7 năm 2028"
    assert _leads(task_at(p7, 18)) == ("Sở Xây dựng",)
    assert tuple(a.written for a in task_at(p7, 19).support) == ("Công an tỉnh",)
    p8 = parse_directive(shared(PROVINCE / "doc08.txt"))
    assert [(_leads(t), t.deadline) for t in p8.tasks] == [
        (("Ban Quản lý Khu kinh tế tỉnh",), date(2026, 6, 12)),
        (("Ban Quản lý các Khu công nghiệp tỉnh",), date(2026, 6, 12)),
        (("Sở Công Thương",), date(2026, 6, 12)),
    ]


def test_province_units_are_unknown_to_the_ward() -> None:
    p = parse_directive(shared(PROVINCE / "doc08.txt"), units=UNITS)
    assert p.unknown_units == (
        "Ban Quản lý Khu kinh tế tỉnh",
        "Ban Quản lý các Khu công nghiệp tỉnh",
        "Sở Công Thương",
    )
    assert all(a.code is None for t in p.tasks for a in t.lead)


# --- layouts written for these tests ----------------------------------------------------------


def test_task_table_with_tabs() -> None:
    p = parse_directive((DATA / "cong-van-bang-nhiem-vu.txt").read_text(), units=UNITS)
    assert (p.issuer, p.number, p.date) == (
        "UBND phường Hòa Phong",
        "1207/UBND-VP",
        date(2025, 12, 5),
    )
    assert p.subject == (
        "V/v phân công nhiệm vụ nâng cao Chỉ số phục vụ người dân, doanh nghiệp tháng 12/2025"
    )
    assert (p.signer, p.signer_title) == ("Lê Thị Hoa", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
    assert p.addressees == (
        "Trung tâm Phục vụ hành chính công phường",
        "Phòng Văn hóa - Xã hội",
        "Văn phòng HĐND và UBND phường",
        "Phòng Kinh tế, Hạ tầng và Đô thị",
    )
    assert "CT, các PCT UBND phường" in p.recipients
    assert rows(p) == [
        (18, ("TTPVHCC",), minus("TTPVHCC"), date(2025, 12, 15), None),
        (19, ("TTPVHCC",), ("VHXH",), None, None),
        (20, ("VHXH",), (), None, "weekly"),
        (21, ("Phòng Tài nguyên và Môi trường",), ("TTPVHCC",), date(2026, 3, 31), None),
        (22, ("VP",), minus("VP"), None, "monthly:25"),
    ]
    assert p.unknown_units == ("Phòng Tài nguyên và Môi trường",)
    assert task_at(p, 21).lead[0].code is None


def test_roman_numerals_letters_and_hard_wraps() -> None:
    text = (DATA / "ke-hoach-la-ma.txt").read_text()
    p = parse_directive(text, units=UNITS, reference=date(2025, 12, 1))
    assert (p.kind, p.number, p.date) == ("ke_hoach", "/KH-UBND", None)
    assert p.date_text == "Hòa Phong, ngày      tháng 12  năm 2025"
    assert p.subject == (
        "Nâng cao chất lượng phục vụ người dân, doanh nghiệp trên địa bàn phường năm 2026"
    )
    assert (p.signer, p.signer_title) == ("Trần Văn Minh", "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH")
    assert rows(p) == [
        (20, ("VP",), (), None, "monthly:5"),
        (22, ("VP",), (), date(2026, 1, 31), None),
        (25, ("VHXH",), (), None, "weekly"),
        # "Giao Tổ công nghệ số cộng đồng chủ trì, phối hợp với ...": another lead
        (29, ("Tổ công nghệ số cộng đồng",), ("TTPVHCC",), date(2026, 3, 31), None),
        (32, ("VPDU",), (), date(2025, 12, 20), None),
        (35, ("TTPVHCC",), ("KTHTDT", "CA"), None, "daily"),
        (37, ("TTPVHCC",), (), None, "daily"),
        (39, ("Phòng Tài chính – Kế hoạch",), (), date(2026, 1, 31), None),
    ]
    assert task_at(p, 25).text == (
        "Xây dựng chuyên mục “Dịch vụ công trực tuyến” trên Trang thông tin điện tử phường, "
        "cập nhật định kỳ hằng tuần."
    )
    assert task_at(p, 29).deadline_text == "trong quý I/2026"
    assert task_at(p, 37).deadline_kind == "same_day"
    assert p.unknown_units == ("Tổ công nghệ số cộng đồng", "Phòng Tài chính – Kế hoạch")
    # without a date or a reference, "xong trước 20/12" keeps its phrase but has no date
    bare = parse_directive(text, units=UNITS)
    assert (task_at(bare, 32).deadline, task_at(bare, 32).deadline_text) == (
        None,
        "xong trước 20/12",
    )


def test_markdown_notice_with_shared_report_date() -> None:
    p = parse_directive((DATA / "thong-bao-ket-luan.md").read_text(), units=UNITS)
    assert (p.kind, p.number, p.date) == ("thong_bao_ket_luan", "88/TB-UBND", date(2025, 11, 10))
    assert (p.signer, p.signer_title) == ("Phạm Quốc Bảo", "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG")
    assert rows(p) == [
        (25, ("TTPVHCC",), (), None, "weekly:FRI"),
        (26, ("TTPVHCC",), (), date(2025, 11, 28), None),
        (
            28,
            ("VHXH",),
            ("Đoàn Thanh niên phường", "Tổ công nghệ số cộng đồng"),
            date(2025, 11, 30),
            None,
        ),
        (30, ("Ban Chỉ huy Quân sự phường",), (), date(2025, 11, 28), None),
        (32, ("VP",), (), date(2025, 11, 28), None),
    ]
    assert task_at(p, 25).section == "a) Đối với Trung tâm Phục vụ hành chính công"
    assert p.unknown_units == ("Ban Chỉ huy Quân sự phường",)


def test_plain_unit_lines_as_headings() -> None:
    text = (
        "Chủ tịch UBND phường yêu cầu:\n"
        "Phòng Văn hóa - Xã hội:\n"
        "- Tuyên truyền dịch vụ công trực tuyến trên loa phát thanh hằng tuần.\n"
        "- Phối hợp với Trung tâm PVHCC hướng dẫn người dân.\n"
        "Công an phường: hỗ trợ định danh điện tử mức 2; hoàn thành trước ngày 20/12/2025.\n"
        "Đề nghị các đơn vị nghiêm túc thực hiện./.\n"
    )
    p = parse_directive(text, units=UNITS)
    assert rows(p) == [
        (3, ("VHXH",), (), None, "weekly"),
        (4, ("VHXH",), ("TTPVHCC",), None, None),
        (5, ("CA",), (), date(2025, 12, 20), None),
    ]


def test_fields_under_numbered_items_and_roles_in_brackets() -> None:
    p = parse_directive((DATA / "ke-hoach-truong-du-lieu.txt").read_text(), units=UNITS)
    assert (p.kind, p.number, p.date) == ("ke_hoach", "301/KH-UBND", date(2025, 12, 20))
    assert rows(p) == [
        # "1. Rà soát ..." with only fields under it: the heading is the task
        (10, ("TTPVHCC",), minus("TTPVHCC"), date(2026, 1, 15), None),
        (14, ("VHXH", "TTPVHCC"), (), None, None),
        # "3. Văn phòng ... chủ trì, phối hợp với Trung tâm PVHCC:" then its bullets
        (18, ("VP",), ("TTPVHCC",), None, None),
        (19, ("VP",), ("TTPVHCC",), None, "weekly:MON"),
        # "(Phòng Kinh tế, Hạ tầng và Đô thị chủ trì, Trung tâm PVHCC phối hợp; ...)"
        (20, ("KTHTDT",), ("TTPVHCC",), date(2026, 3, 31), None),
        (22, ("VHXH",), (), None, None),
        # table cells "Chủ trì: VP; Phối hợp: VHXH, TTPVHCC" and "VHXH (chủ trì), Công an phường"
        (25, ("VP",), ("VHXH", "TTPVHCC"), date(2026, 2, 28), None),
        (26, ("VHXH",), ("CA",), date(2026, 12, 31), None),
    ]
    assert task_at(p, 10).text == "Rà soát, công bố, công khai thủ tục hành chính"
    assert task_at(p, 14).deadline_kind == "ongoing"


def test_decision_with_an_attached_plan() -> None:
    p = parse_directive((DATA / "quyet-dinh-kem-ke-hoach.txt").read_text(), units=UNITS)
    assert (p.kind, p.number, p.date) == ("quyet_dinh", "45/QĐ-UBND", date(2026, 1, 3))
    assert p.subject == "Ban hành Kế hoạch cải thiện Bộ chỉ số năm 2026"
    assert (p.signer, p.signer_title) == ("Trần Văn Minh", "CHỦ TỊCH")
    # Điều 1-3 are not tasks; the plan after the signature is read
    assert rows(p) == [
        (24, ("TTPVHCC",), (), date(2026, 3, 31), None),
        (25, ("VHXH",), (), None, "monthly"),
        (27, ("KTHTDT",), (), date(2026, 6, 30), None),
        (29, ("VP",), (), None, "monthly:25"),
    ]
    assert p.unknown_units == ()


def test_letter_without_a_list() -> None:
    p = parse_directive((DATA / "cong-van-mot-doan.txt").read_text(), units=UNITS)
    assert (p.kind, p.number, p.subject) == (
        "cong_van",
        "77/UBND-VP",
        "V/v báo cáo số liệu hồ sơ trực tuyến",
    )
    assert p.addressees == ("Trung tâm Phục vụ hành chính công phường",)
    # "UBND phường đề nghị Trung tâm ..." and "Đồng thời, Phòng Văn hóa - Xã hội phối hợp ..."
    assert rows(p) == [
        (8, ("TTPVHCC",), (), date(2025, 12, 5), None),
        (9, ("VHXH",), (), None, "weekly"),
    ]


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    head = d.add_table(rows=2, cols=2)
    head.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nPHƯỜNG HÒA PHONG"
    head.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    head.cell(1, 0).text = "Số: 125/UBND-VP\nV/v triển khai nhiệm vụ cải thiện Bộ chỉ số 766"
    head.cell(1, 1).text = "Hòa Phong, ngày 02 tháng 12 năm 2025"
    d.add_paragraph("Kính gửi: Các phòng, đơn vị chuyên môn thuộc UBND phường.")
    d.add_paragraph("Chủ tịch UBND phường giao nhiệm vụ như sau:")
    d.add_paragraph("Văn phòng HĐND và UBND phường theo dõi, đôn đốc hằng tuần.", "List Number")
    d.add_paragraph("Nhiệm vụ cụ thể theo bảng sau:")
    table = d.add_table(rows=4, cols=3)
    data = [
        ("Nội dung", "Đơn vị chủ trì", "Thời hạn"),
        ("Rà soát, niêm yết công khai thủ tục hành chính", "Trung tâm PVHCC", "30/12/2025"),
        ("Tuyên truyền thanh toán trực tuyến", "Phòng VH-XH; Công an phường", "Hằng tháng"),
        ("Số hóa hồ sơ đất đai", "Phòng Tài nguyên và Môi trường", "Quý I/2026"),
    ]
    for r, values in enumerate(data):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    d.add_paragraph("Yêu cầu các phòng, đơn vị nghiêm túc triển khai thực hiện./.")
    sign = d.add_table(rows=1, cols=2)
    sign.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    sign.cell(0, 1).text = "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\nLê Thị Hoa"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_docx_with_a_task_table() -> None:
    text = extract_text("chi-dao.docx", _docx_bytes())
    assert "Nội dung | Đơn vị chủ trì | Thời hạn" in text
    assert "1. Văn phòng HĐND và UBND phường theo dõi" in text  # Word's numbering kept
    p = parse_directive(text, units=UNITS)
    assert (p.issuer, p.number, p.date) == (
        "UBND phường Hòa Phong",
        "125/UBND-VP",
        date(2025, 12, 2),
    )
    assert p.subject == "V/v triển khai nhiệm vụ cải thiện Bộ chỉ số 766"
    assert (p.signer, p.signer_title) == ("Lê Thị Hoa", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
    got = [(codes(t.lead), t.deadline, t.recurrence) for t in p.tasks]
    assert got == [
        (("VP",), None, "weekly"),
        (("TTPVHCC",), date(2025, 12, 30), None),
        (("VHXH", "CA"), None, "monthly"),
        (("Phòng Tài nguyên và Môi trường",), date(2026, 3, 31), None),
    ]
    assert p.unknown_units == ("Phòng Tài nguyên và Môi trường",)


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer (Helvetica, so ASCII only), built by hand."""
    content = "BT /F1 11 Tf 14 TL 50 800 Td " + " ".join(f"({s}) Tj T*" for s in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def test_text_pdf() -> None:
    data = _text_pdf(
        [
            "1. Phong Van hoa - Xa hoi",
            "- Tuyen truyen dich vu cong truc tuyen; hoan thanh truoc ngay 30/11/2025.",
        ]
    )
    text = extract_text("scan.pdf", data)
    assert "Tuyen truyen dich vu cong truc tuyen" in text
    p = parse_directive(text, units=UNITS)
    assert [(codes(t.lead), t.deadline) for t in p.tasks] == [(("VHXH",), date(2025, 11, 30))]


def test_scanned_pdf() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError) as err:
        extract_text("ban-scan.pdf", out.getvalue())
    assert (err.value.code, err.value.name) == ("scanned_pdf", "ban-scan.pdf")


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("chi-thi.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "unsupported_file"),
        ("chi-thi.odt", b"PK\x03\x04 odt", "unsupported_file"),
        ("anh-chup.png", b"\x89PNG\r\n\x1a\n", "unsupported_file"),
        ("chi-thi", b"text", "unsupported_file"),
        ("hong.docx", b"PK\x03\x04 not really a zip", "unreadable_file"),
        ("hong.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "unsupported_file"),
        ("hong.pdf", b"%PDF-1.4\n garbage", "unreadable_file"),
        ("trong.txt", b"  \n\t\n", "empty_document"),
        ("trong.md", b"", "empty_document"),
    ],
)
def test_document_errors(name: str, data: bytes, code: str) -> None:
    with pytest.raises(DocumentError) as err:
        extract_text(name, data)
    assert err.value.code == code and err.value.name == name


def test_plain_text_encodings_are_read_and_normalised() -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Phòng Văn hóa - Xã hội\r\n")
    assert (
        extract_text("a.txt", b"\xef\xbb\xbf" + decomposed.encode()) == "Phòng Văn hóa - Xã hội\n"
    )
    assert extract_text("a.md", "Kính gửi".encode("utf-16")) == "Kính gửi"
    windows = "Pho\u0300ng T\u01b0 pha\u0301p".encode("cp1258")  # Windows-1258, not UTF-8
    assert extract_text("a.txt", windows) == "Phòng Tư pháp"


def test_header_variants() -> None:
    text = (
        "UBND PHƯỜNG HÒA PHONG | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n"
        "Số: 1207 /UBND-VP    Hòa Phong, ngày 5 tháng 12 năm 2025\n"
        "V/v tăng cường thanh toán\n"
        "trực tuyến\n"
        "Kính gửi: Phòng Văn hóa - Xã hội.\n"
        "Đề nghị Phòng Văn hóa - Xã hội tuyên truyền thanh toán trực tuyến; hoàn thành trước "
        "ngày 20/12/2025./.\n"
    )
    p = parse_directive(text, units=UNITS)
    assert (p.issuer, p.number, p.date, p.place) == (
        "UBND phường Hòa Phong",
        "1207/UBND-VP",
        date(2025, 12, 5),
        "Hòa Phong",
    )
    assert (p.kind, p.subject) == ("cong_van", "V/v tăng cường thanh toán trực tuyến")
    assert p.addressees == ("Phòng Văn hóa - Xã hội",)
    # a one-paragraph letter: the task is its sentence
    assert rows(p) == [(7, ("VHXH",), (), date(2025, 12, 20), None)]


# --- properties -------------------------------------------------------------------------------


def _rewrapped(text: str, width: int) -> str:
    import textwrap

    out: list[str] = []
    for line in text.split("\n"):
        if len(line) > width and " | " not in line and "\t" not in line:
            out.extend(textwrap.wrap(line, width=width))
        else:
            out.append(line)
    return "\n".join(out)


def _signature(p: ParsedDirective) -> list[tuple[object, ...]]:
    return [
        (codes(t.lead), codes(t.support), t.deadline, t.recurrence, " ".join(t.text.split()))
        for t in p.tasks
    ]


@pytest.mark.parametrize("width", [80, 90, 100, 120])
def test_hard_wrapped_lines_give_the_same_tasks(width: int) -> None:
    if not SAMPLES:
        pytest.skip("no samples")
    for text in SAMPLES:
        whole = parse_directive(text, units=UNITS, reference=date(2025, 11, 15))
        wrapped = parse_directive(
            _rewrapped(text, width), units=UNITS, reference=date(2025, 11, 15)
        )
        assert _signature(wrapped) == _signature(whole)


def _samples() -> list[str]:
    files = sorted(WARD_SAMPLES.glob("*.*")) + sorted(PROVINCE.glob("doc*.txt"))
    files += sorted(DATA.glob("*.*"))
    return [f.read_text(encoding="utf-8") for f in files if f.exists()]


SAMPLES = _samples()
_PIECES = st.sampled_from(
    [
        "1.",
        "a)",
        "II.",
        "-",
        "+",
        "•",
        " | ",
        "\t",
        "\n",
        "Phòng Văn hóa - Xã hội",
        "Giao",
        "chủ trì, phối hợp với",
        "Trung tâm PVHCC",
        "các phòng chuyên môn",
        "trước ngày 30/11/2025",
        "hằng tuần",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "STT | Nội dung | Đơn vị chủ trì | Thời hạn",
        "./.",
        ":",
        "Số: 12/UBND",
        "Hòa Phong, ngày 1 tháng 2 năm 2025",
        "Nhiệm vụ:",
        "Đơn vị chủ trì:",
    ]
)


def _check(p: ParsedDirective, text: str) -> None:
    n_lines = len(text.splitlines()) or 1
    for t in p.tasks:
        assert 1 <= t.source_line <= n_lines + 1
        assert t.deadline is None or isinstance(t.deadline, date)
        assert t.deadline_text is None or t.deadline_text
    json.dumps(to_json(p, with_codes=True), ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=40).map(" ".join), st.booleans())
def test_never_raises_on_arbitrary_text(text: str, with_units: bool) -> None:
    p = parse_directive(text, units=UNITS if with_units else None, reference=date(2025, 1, 1))
    _check(p, text)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0), st.integers(min_value=0))
def test_never_raises_on_shuffled_samples(which: int, seed: int) -> None:
    if not SAMPLES:
        pytest.skip("no samples")
    lines = SAMPLES[which % len(SAMPLES)].splitlines()
    random.Random(seed).shuffle(lines)
    text = "\n".join(lines)
    _check(parse_directive(text, units=UNITS), text)


def test_long_lists_stay_fast_and_flat() -> None:
    text = (
        "1. "
        + ", ".join(["Sở Xây dựng"] * 3000)
        + "\n- Rà soát hồ sơ; hoàn thành trước 30/11/2025."
    )
    p = parse_directive(text, units=UNITS, reference=date(2025, 11, 1))
    assert len(p.tasks) == 1 and p.tasks[0].deadline == date(2025, 11, 30)
    assert p.unknown_units == ("Sở Xây dựng",)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["a.docx", "a.pdf", "a.txt", "a.md", "a.doc"]))
def test_extract_text_only_raises_document_error(data: bytes, name: str) -> None:
    try:
        text = extract_text(name, data)
    except DocumentError as err:
        assert err.code in ("unsupported_file", "unreadable_file", "scanned_pdf", "empty_document")
    else:
        assert text.strip()
