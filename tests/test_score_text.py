"""Score reports as ward documents write them -> SnapshotDraft (ingest.score_text)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.index_groups import BY_CODE, GROUP_CODES
from ingest.score_text import (
    PROBLEM_CODES,
    match_group,
    parse_period,
    period_label,
    read_score_text,
    validate,
)
from ingest.snapshot_draft import GroupScore, Problem, ScoreReadError, SnapshotDraft

TODAY = date(2025, 12, 1)
SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples" / "directives"

# Hải Phòng commune, 11/8/2025 (DOMAIN.md): scores and ranks per group, total 69,93, 38/114.
HP_SCORES = {
    "cong_khai": "18",
    "tien_do": "12.53",
    "dvc_truc_tuyen": "8.09",
    "thanh_toan": "8.99",
    "hai_long": "4.18",
    "so_hoa": "18.14",
}
HP_RANKS = {
    "cong_khai": 38,
    "tien_do": 96,
    "dvc_truc_tuyen": 19,
    "thanh_toan": 2,
    "hai_long": 96,
    "so_hoa": 46,
}
SIX = (
    "Công khai minh bạch: 18/18 điểm; Tiến độ giải quyết: 20/20 điểm; "
    "Dịch vụ công trực tuyến: 10/12 điểm; Thanh toán trực tuyến: 9/10 điểm; "
    "Mức độ hài lòng: 18/18 điểm; Số hóa hồ sơ: 20/22 điểm."
)  # sum 95


def read(text: str, today: date = TODAY) -> list[SnapshotDraft]:
    return read_score_text(text, today=today)


def one(text: str, today: date = TODAY) -> SnapshotDraft:
    drafts = read(text, today)
    assert len(drafts) == 1, drafts
    return drafts[0]


def scores(draft: SnapshotDraft) -> dict[str, str]:
    return {c: str(g.score.normalize()) for c, g in draft.groups.items()}


def codes(err: pytest.ExceptionInfo[ScoreReadError]) -> list[str]:
    return [p.code for p in err.value.problems]


def sample(name: str) -> str:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not present (no ../shared beside this clone)")
    return path.read_text(encoding="utf-8")


# --- the real samples ------------------------------------------------------------------------


def test_thien_huong_directive_month_and_running_total() -> None:
    month, year = read(sample("chi-thi-thien-huong-2025-11.txt"))

    assert (month.period_kind, month.year, month.period) == ("month", 2025, 11)
    assert month.as_of == date(2025, 11, 15)
    assert scores(month) == {
        "cong_khai": "18",
        "tien_do": "19.93",
        "dvc_truc_tuyen": "8.07",
        "thanh_toan": "8.79",
        "hai_long": "18",
        "so_hoa": "18.89",
    }
    assert not month.groups["cong_khai"].stated and not month.groups["hai_long"].stated
    assert month.groups["tien_do"].stated
    assert month.total == Decimal("91.68")
    assert month.rank is None

    assert (year.period_kind, year.year, year.period) == ("year", 2025, None)
    assert year.as_of == date(2025, 11, 15)
    assert scores(year) == {
        "cong_khai": "18",
        "tien_do": "19.78",
        "dvc_truc_tuyen": "8.1",
        "thanh_toan": "9.16",
        "hai_long": "18",
        "so_hoa": "21.68",
    }
    assert year.total == Decimal("94.72")
    assert (year.rank, year.rank_of) == (80, 114)
    assert all(d.source == "text" for d in (month, year))


def test_hoa_thang_public_notice() -> None:
    d = one(sample("cong-khai-ket-qua-hoa-thang-2025-08.md"))

    assert (d.period_kind, d.year, d.period) == ("month", 2025, 8)
    assert d.as_of == date(2025, 9, 4)  # "(trích xuất ngày 04/9/2025)", not QĐ 766's 23/6/2022
    assert d.total == Decimal("87.09")
    assert (d.rank, d.rank_of) == (5, 65)
    assert scores(d) == {
        "cong_khai": "18",
        "tien_do": "18.72",
        "dvc_truc_tuyen": "7.93",
        "thanh_toan": "7.36",
        "hai_long": "18",
        "so_hoa": "17.08",
    }
    assert all(g.stated for g in d.groups.values())


def test_documents_without_scores_are_refused() -> None:
    with pytest.raises(ScoreReadError) as err:
        read(sample("cong-van-trien-khai-766-2022.txt"))
    assert codes(err) == ["no_scores_found"]


# --- group: score/max --------------------------------------------------------------------------


def test_group_score_over_max_list_with_wrapped_lines() -> None:
    text = (
        "Số liệu tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; Dịch vụ công \n\n"
        "trực tuyến: 8,07/12 điểm; Thanh toán trực tuyến: 8,79/10 điểm; Số hóa hồ sơ: \n\n"
        "18,89/22 \n điểm. Các nhóm còn lại đạt điểm tối đa."
    )
    d = one(text)
    assert (d.period_kind, d.year, d.period) == ("month", 2025, 11)
    assert d.groups["dvc_truc_tuyen"].score == Decimal("8.07")
    assert d.groups["so_hoa"].score == Decimal("18.89")
    assert d.total == Decimal("91.68")
    assert d.as_of is None


@pytest.mark.parametrize(
    ("written", "value"), [("8,1", "8.1"), ("8.1", "8.1"), ("8", "8"), ("08,10", "8.10")]
)
def test_decimal_comma_and_dot(written: str, value: str) -> None:
    d = one(f"Dịch vụ công trực tuyến: {written}/12 điểm. Các nhóm còn lại đạt điểm tối đa.")
    assert d.groups["dvc_truc_tuyen"].score == Decimal(value)


def test_without_diacritics() -> None:
    text = (
        "so lieu thang 10/2025: tien do giai quyet: 19,5/20 diem; dich vu cong truc tuyen: "
        "9/12 diem; con 2 nhom chua dat diem toi da. Tong diem 96,5"
    )
    d = one(text)
    assert (d.period_kind, d.period) == ("month", 10)
    assert d.total == Decimal("96.5")
    assert d.groups["thanh_toan"].score == 10 and not d.groups["thanh_toan"].stated


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Công khai, minh bạch", "cong_khai"),
        ("Công khai minh bạch", "cong_khai"),
        ("CÔNG KHAI, MINH BẠCH", "cong_khai"),
        ("Tiến độ giải quyết công việc", "tien_do"),
        ("Tiến độ, kết quả giải quyết", "tien_do"),
        ("Tiến độ - kết quả giải quyết", "tien_do"),
        ("Dịch vụ công trực tuyến", "dvc_truc_tuyen"),
        ("DVC trực tuyến", "dvc_truc_tuyen"),
        ("Thanh toán trực tuyến", "thanh_toan"),
        ("Mức độ hài lòng", "hai_long"),
        ("Chỉ số về số hóa hồ sơ", "so_hoa"),
        ("Số hoá hồ sơ", "so_hoa"),
        ("So hoa ho so", "so_hoa"),
        ("Số hóa hồ sơ điện tử", "so_hoa"),
    ],
)
def test_group_name_variants(name: str, code: str) -> None:
    assert match_group(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "Công khai, minh bạch",
        "Tiến độ giải quyết công việc",
        "Tiến độ - kết quả giải quyết",
        "Chỉ số về số hóa hồ sơ",
        "Số hoá hồ sơ",
        "Mức độ hài lòng",
    ],
)
def test_group_name_variants_are_read(name: str) -> None:
    code = match_group(name)
    assert code is not None
    d = one(f"{name}: 5/{BY_CODE[code].max_score} điểm. Các nhóm còn lại đạt điểm tối đa.")
    assert d.groups[code].score == 5 and d.groups[code].stated
    assert sum(1 for g in d.groups.values() if g.stated) == 1


def test_numbered_list_with_parent_heading_without_score() -> None:
    text = """I. KẾT QUẢ
1. Công khai minh bạch: 18/18 điểm, tỷ lệ 100%.
2. Tiến độ giải quyết công việc: 18,72/20 điểm, tỷ lệ 93,6%.
3. Dịch vụ trực tuyến
  - Dịch vụ công trực tuyến: 7,93/12 điểm, tỷ lệ 66,1%.
  - Thanh toán trực tuyến: 7,36/10 điểm, tỷ lệ 73,6%.
4. Mức độ hài lòng: 18/18 điểm, tỷ lệ 100%.
5. Số hóa hồ sơ: 17,08/22 điểm, tỷ lệ 77,74%
"""
    d = one(text)
    assert scores(d)["dvc_truc_tuyen"] == "7.93"
    assert scores(d)["thanh_toan"] == "7.36"
    assert d.total == Decimal("87.09")


def test_parent_heading_with_old_22_point_score_keeps_the_split_groups() -> None:
    text = (
        "3. Dịch vụ trực tuyến: 15,29/22 điểm\n - Dịch vụ công trực tuyến: 7,93/12 điểm\n"
        " - Thanh toán trực tuyến: 7,36/10 điểm\nCác nhóm còn lại đạt điểm tối đa."
    )
    d = one(text)
    assert d.groups["dvc_truc_tuyen"].score == Decimal("7.93")
    assert d.groups["dvc_truc_tuyen"].max_score == 12


def test_rates_and_changes_are_not_scores() -> None:
    text = (
        "1. Công khai minh bạch đạt 100% (18/18 điểm)\n"
        "2. Tiến độ giải quyết: tỷ lệ 93,6%, đạt 18,72/20 điểm\n"
        "3. Dịch vụ công trực tuyến: 7,93/12 điểm (giảm 0,5 điểm so với tháng trước)\n"
        "4. Thanh toán trực tuyến: 7,36/10 điểm\n5. Mức độ hài lòng: 18/18 điểm\n"
        "6. Số hóa hồ sơ: 17,08/22 điểm\n"
        "Xếp loại Xuất sắc từ 90 điểm trở lên. Phấn đấu đạt 95 điểm trong tháng 9/2025."
    )
    d = one(text)
    assert d.total == Decimal("87.09")
    assert (d.period_kind, d.year, d.period) == ("month", 2025, 12)  # today's month
    assert scores(d)["cong_khai"] == "18"


# --- totals and ranks --------------------------------------------------------------------------


def test_total_and_rank_sentence() -> None:
    d = one(f"Phường đạt 95 điểm, xếp hạng 80/114. {SIX}")
    assert d.total == 95 and (d.rank, d.rank_of) == (80, 114)


def test_composite_index_rating_and_leading_zero_rank() -> None:
    text = f"Chỉ số tổng hợp 95/100 điểm, xếp loại Xuất sắc, đứng thứ 05/65 xã, phường. {SIX}"
    d = one(text)
    assert d.total == 95 and (d.rank, d.rank_of) == (5, 65)


def test_total_label_and_rank_on_own_lines() -> None:
    lines = "\n".join(f"{s}" for s in SIX.split("; "))
    d = one(f"Tổng điểm: 95\nXếp thứ 38/114\n{lines}")
    assert d.total == 95 and (d.rank, d.rank_of) == (38, 114)


def test_total_not_stated_is_the_sum() -> None:
    d = one(SIX)
    assert d.total == 95 and d.rank is None


def test_rank_of_one_group() -> None:
    text = SIX.replace(
        "Tiến độ giải quyết: 20/20 điểm;", "Tiến độ giải quyết: 19/20 điểm (xếp thứ 96/114);"
    )
    d = one(text)
    assert d.groups["tien_do"].rank == 96
    assert d.rank is None and d.rank_of == 114


# --- tables ------------------------------------------------------------------------------------

HP_TABLE_TAB = """Kết quả Bộ chỉ số ngày 11/8/2025 của xã:
STT\tNhóm chỉ tiêu\tĐiểm tối đa\tĐiểm đạt\tXếp hạng
1\tCông khai, minh bạch\t18\t18\t38
2\tTiến độ giải quyết\t20\t12,53\t96
3\tDịch vụ công trực tuyến\t12\t8,09\t19
4\tThanh toán trực tuyến\t10\t8,99\t2
5\tMức độ hài lòng\t18\t4,18\t96
6\tSố hóa hồ sơ\t22\t18,14\t46
\tTổng điểm\t69,93\t38/114
"""

HP_TABLE_SPACES = """1   Công khai minh bạch     18    18     38
2 Tiến độ giải quyết 20 12,53 96
3 Dịch vụ công trực tuyến 12 8,09 19
4 Thanh toán trực tuyến 10 8,99 2
5 Mức độ hài lòng 18 4,18 96
6 Số hoá hồ sơ 22 18,14 46
Tổng 100 69,93 38
Xếp thứ 38/114.
"""

HP_TABLE_MARKDOWN = """| STT | Nhóm | Tối đa | Điểm | Hạng |
|---|---|---|---|---|
| 1 | Công khai, minh bạch | 18 | 18 | 38 |
| 2 | Tiến độ giải quyết | 20 | 12,53 | 96 |
| 3 | Dịch vụ công trực tuyến | 12 | 8,09 | 19 |
| 4 | Thanh toán trực tuyến | 10 | 8,99 | 2 |
| 5 | Mức độ hài lòng | 18 | 4,18 | 96 |
| 6 | Số hóa hồ sơ | 22 | 18,14 | 46 |
| | Tổng điểm | 100 | 69,93 | 38/114 |
"""


@pytest.mark.parametrize("text", [HP_TABLE_TAB, HP_TABLE_SPACES, HP_TABLE_MARKDOWN])
def test_hai_phong_table_rows(text: str) -> None:
    d = one(text)
    assert scores(d) == HP_SCORES
    assert {c: g.rank for c, g in d.groups.items()} == HP_RANKS
    assert d.total == Decimal("69.93")
    assert (d.rank, d.rank_of) == (38, 114)


def test_table_date_is_as_of_and_gives_the_month() -> None:
    d = one(HP_TABLE_TAB)
    assert d.as_of == date(2025, 8, 11)
    assert (d.period_kind, d.year, d.period) == ("month", 2025, 8)


def test_table_rows_score_before_max() -> None:
    text = "\n".join(
        f"{i + 1} {name} {score} {mx}"
        for i, (name, score, mx) in enumerate(
            [
                ("Công khai minh bạch", "18", "18"),
                ("Tiến độ giải quyết", "12,53", "20"),
                ("Dịch vụ công trực tuyến", "8,09", "12"),
                ("Thanh toán trực tuyến", "8,99", "10"),
                ("Mức độ hài lòng", "4,18", "18"),
                ("Số hóa hồ sơ", "18,14", "22"),
            ]
        )
    )
    assert scores(one(text)) == HP_SCORES


def test_quang_nam() -> None:
    text = (
        "Ngày 19/8/2024, tỉnh đạt 80,1 điểm, xếp thứ 21/63, xếp loại Tốt. Cụ thể:\n"
        "- Công khai, minh bạch: 13,2/18 điểm;\n- Tiến độ giải quyết: 18,4/20 điểm;\n"
        "- Dịch vụ công trực tuyến: 7,7/12 điểm;\n- Thanh toán trực tuyến: 7,6/10 điểm;\n"
        "- Mức độ hài lòng: 17,6/18 điểm;\n- Số hóa hồ sơ: 15,6/22 điểm."
    )
    d = one(text)
    assert d.total == Decimal("80.1") == d.computed_total()
    assert (d.rank, d.rank_of) == (21, 63)
    assert d.as_of == date(2024, 8, 19)
    assert (d.period_kind, d.year, d.period) == ("month", 2024, 8)
    assert [str(d.groups[c].score) for c in GROUP_CODES] == [
        "13.2",
        "18.4",
        "7.7",
        "7.6",
        "17.6",
        "15.6",
    ]


# --- periods and dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Số liệu tháng 11/2025:", ("month", 2025, 11)),
        ("Kết quả tháng 8 năm 2025:", ("month", 2025, 8)),
        ("Kết quả đến tháng 8/2025:", ("month", 2025, 8)),
        ("Lũy kế năm 2025:", ("year", 2025, None)),
        ("Luỹ kế từ đầu năm đến tháng 10/2025:", ("year", 2025, None)),
        ("Quý IV/2025:", ("quarter", 2025, 4)),
        ("Kết quả quý 3/2025:", ("quarter", 2025, 3)),
        ("quý II năm 2025:", ("quarter", 2025, 2)),
        ("6 tháng đầu năm 2025:", ("half", 2025, 1)),
        ("6 tháng cuối năm 2024:", ("half", 2024, 2)),
    ],
)
def test_period_labels(label: str, key: tuple[str, int, int | None]) -> None:
    d = one(f"{label} {SIX}")
    assert (d.period_kind, d.year, d.period) == key


def test_running_total_without_year_takes_as_of_year() -> None:
    d = one(f"Lũy kế: {SIX} (tính đến 20/11/2025)")
    assert (d.period_kind, d.year) == ("year", 2025)
    assert d.as_of == date(2025, 11, 20)


@pytest.mark.parametrize(
    ("phrase", "as_of"),
    [
        ("Kết quả (tính đến ngày 15/11/2025):", date(2025, 11, 15)),
        ("Kết quả (trích xuất ngày 04/9/2025):", date(2025, 9, 4)),
        ("Kết quả ngày 11/8/2025:", date(2025, 8, 11)),
        ("Số liệu ngày 02/10/2025:", date(2025, 10, 2)),
        ("Số liệu tính đến ngày 15 tháng 11 năm 2025:", date(2025, 11, 15)),
        ("Cập nhật đến 2025-10-31:", date(2025, 10, 31)),
    ],
)
def test_as_of_dates(phrase: str, as_of: date) -> None:
    d = one(f"{phrase} {SIX}")
    assert d.as_of == as_of
    assert (d.period_kind, d.year, d.period) == ("month", as_of.year, as_of.month)


def test_document_dates_and_deadlines_are_not_as_of() -> None:
    text = (
        "Căn cứ Quyết định số 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ;\n"
        f"{SIX}\nHoàn thành trước ngày 30/11/2025."
    )
    d = one(text)
    assert d.as_of is None
    assert (d.period_kind, d.year, d.period) == ("month", TODAY.year, TODAY.month)


def test_comparison_month_is_not_a_period() -> None:
    d = one(f"Số liệu tháng 11/2025 (so với tháng 10/2025 tăng 1,2 điểm): {SIX}")
    assert (d.period_kind, d.period) == ("month", 11)
    assert d.total == 95


def test_month_and_running_total_sections_each_with_total() -> None:
    text = (
        "Tháng 11/2025: phường đạt 91,68 điểm, xếp thứ 90/114. Tiến độ giải quyết: 19,93/20 "
        "điểm; Dịch vụ công trực tuyến: 8,07/12 điểm; Thanh toán trực tuyến: 8,79/10 điểm; "
        "Số hóa hồ sơ: 18,89/22 điểm. Lũy kế năm 2025: phường đạt 94,72 điểm, xếp hạng "
        "80/114. Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: 8,1/12 điểm; "
        "Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 21,68/22 điểm."
    )
    month, year = read(text)
    assert (month.total, month.rank) == (Decimal("91.68"), 90)
    assert (year.total, year.rank) == (Decimal("94.72"), 80)
    assert not month.groups["hai_long"].stated  # filled because the total says so


def test_total_before_two_sections_goes_where_the_sum_matches() -> None:
    text = (
        "Phường đạt 94,72 điểm, xếp hạng 80/114. Còn 04 nhóm chỉ tiêu chưa đạt điểm tối đa. "
        "Số liệu tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; Dịch vụ công trực tuyến: "
        "8,07/12 điểm; Thanh toán trực tuyến: 8,79/10 điểm; Số hóa hồ sơ: 18,89/22 điểm. "
        "Lũy kế năm 2025: Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: "
        "8,1/12 điểm; Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 21,68/22 điểm."
    )
    month, year = read(text)
    assert (month.total, month.rank) == (Decimal("91.68"), None)
    assert (year.total, year.rank, year.rank_of) == (Decimal("94.72"), 80, 114)


def test_total_matching_no_section_is_refused() -> None:
    text = (
        "Phường đạt 99,5 điểm. Còn 04 nhóm chỉ tiêu chưa đạt điểm tối đa. "
        "Tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; Dịch vụ công trực tuyến: "
        "8,07/12 điểm; Thanh toán trực tuyến: 8,79/10 điểm; Số hóa hồ sơ: 18,89/22 điểm. "
        "Lũy kế năm 2025: Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: "
        "8,1/12 điểm; Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 21,68/22 điểm."
    )
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert codes(err) == ["total_mismatch"]
    assert err.value.problems[0].params["total"] == "99.5"


# --- groups not stated -------------------------------------------------------------------------


def test_count_of_groups_below_max_fills_the_others() -> None:
    text = (
        "Vẫn còn 02 nhóm chỉ tiêu chưa đạt điểm tối đa: Tiến độ giải quyết: 19,5/20 điểm; "
        "Số hóa hồ sơ: 21/22 điểm."
    )
    d = one(text)
    assert d.total == Decimal("98.5")
    assert [c for c, g in d.groups.items() if not g.stated] == [
        "cong_khai",
        "dvc_truc_tuyen",
        "thanh_toan",
        "hai_long",
    ]


def test_count_that_does_not_match_does_not_fill() -> None:
    text = "Còn 03 nhóm chưa đạt điểm tối đa: Tiến độ giải quyết: 19,5/20 điểm."
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert codes(err) == ["missing_groups"]
    assert err.value.problems[0].params == {
        "groups": "cong_khai,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa",
        "period": "12/2025",
    }


def test_total_that_matches_fills_the_others() -> None:
    d = one("Tổng điểm: 98,5. Tiến độ giải quyết: 19,5/20 điểm; Số hóa hồ sơ: 21/22 điểm.")
    assert d.total == Decimal("98.5")
    assert sum(1 for g in d.groups.values() if not g.stated) == 4


def test_total_only_is_missing_groups() -> None:
    with pytest.raises(ScoreReadError) as err:
        read("Chỉ số tổng hợp 87,09/100 điểm, xếp loại Tốt, đứng thứ 05/65 xã, phường.")
    assert codes(err) == ["missing_groups"]


# --- refusals ----------------------------------------------------------------------------------


def test_group_above_max_is_refused() -> None:
    text = SIX.replace("Tiến độ giải quyết: 20/20", "Tiến độ giải quyết: 21/20")
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert codes(err) == ["score_above_max"]
    assert err.value.problems[0].params == {"group": "tien_do", "score": "21", "max": "20"}


def test_wrong_group_max_is_refused() -> None:
    text = SIX.replace("Dịch vụ công trực tuyến: 10/12", "Dịch vụ công trực tuyến: 10/22")
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert codes(err) == ["wrong_group_max"]
    assert err.value.problems[0].params == {
        "group": "dvc_truc_tuyen",
        "max": "22",
        "expected": "12",
    }


def test_total_off_by_more_than_002_is_refused() -> None:
    with pytest.raises(ScoreReadError) as err:
        read(f"Tổng điểm: 95,03. {SIX}")
    assert codes(err) == ["total_mismatch"]
    assert err.value.problems[0].params == {
        "total": "95.03",
        "computed": "95",
        "period": "12/2025",
    }


def test_total_within_002_is_accepted() -> None:
    assert one(f"Tổng điểm: 95,02. {SIX}").total == Decimal("95.02")


def test_unknown_group_is_refused_with_its_name_as_written() -> None:
    text = SIX.replace("Dịch vụ công trực tuyến: 10/12", "Chất lượng phục vụ: 10/12")
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert err.value.problems[0] == Problem("unknown_group", {"name": "Chất lượng phục vụ"})


def test_unknown_group_in_a_table() -> None:
    text = HP_TABLE_SPACES.replace("Dịch vụ công trực tuyến", "Chất lượng dịch vụ")
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert Problem("unknown_group", {"name": "Chất lượng dịch vụ"}) in err.value.problems


def test_rank_above_rank_of_is_refused() -> None:
    with pytest.raises(ScoreReadError) as err:
        read(f"Xếp hạng 120/114. {SIX}")
    assert codes(err) == ["rank_out_of_range"]


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t", "Xin chào, hôm nay họp lúc 8 giờ.", "Xếp thứ 38/114.", "Tăng 2,5 điểm."],
)
def test_nothing_found(text: str) -> None:
    with pytest.raises(ScoreReadError) as err:
        read(text)
    assert codes(err) == ["no_scores_found"]


# --- validate ----------------------------------------------------------------------------------


def _draft(**changes: object) -> SnapshotDraft:
    groups = {
        "cong_khai": GroupScore("cong_khai", Decimal("18"), Decimal("18")),
        "tien_do": GroupScore("tien_do", Decimal("12.53"), Decimal("20"), rank=96),
        "dvc_truc_tuyen": GroupScore("dvc_truc_tuyen", Decimal("8.09"), Decimal("12")),
        "thanh_toan": GroupScore("thanh_toan", Decimal("8.99"), Decimal("10")),
        "hai_long": GroupScore("hai_long", Decimal("4.18"), Decimal("18")),
        "so_hoa": GroupScore("so_hoa", Decimal("18.14"), Decimal("22")),
    }
    draft = SnapshotDraft("month", 2025, 8, date(2025, 8, 11), Decimal("69.93"), 38, 114, groups)
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


def test_validate_accepts_a_good_draft() -> None:
    assert validate(_draft()) == []


def test_validate_problems() -> None:
    d = _draft(total=Decimal("101"), rank=115)
    d.groups["so_hoa"].score = Decimal("-1")
    d.groups["tien_do"].rank = 200
    del d.groups["hai_long"]
    found = {p.code: p.params for p in validate(d)}
    assert found["negative_score"] == {"group": "so_hoa", "score": "-1"}
    assert found["total_above_max"] == {"total": "101", "max": "100"}
    assert found["missing_groups"] == {"groups": "hai_long", "period": "8/2025"}
    assert found["rank_out_of_range"]["rank"] in (115, 200)
    assert "total_mismatch" not in found  # only checked with all six groups


def test_problem_codes_are_documented_and_params_plain() -> None:
    d = _draft(total=Decimal("70.5"))
    for p in validate(d):
        assert p.code in PROBLEM_CODES
        assert all(isinstance(v, str | int) for v in p.params.values())
    assert {
        "no_scores_found",
        "unknown_group",
        "score_above_max",
        "negative_score",
        "wrong_group_max",
        "total_mismatch",
        "total_above_max",
        "rank_out_of_range",
        "missing_groups",
        "unsupported_file",
        "unreadable_file",
        "missing_column",
        "bad_value",
    } <= set(PROBLEM_CODES)


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("11/2025", ("month", 2025, 11)),
        ("T11/2025", ("month", 2025, 11)),
        ("tháng 11/2025", ("month", 2025, 11)),
        ("2025-11", ("month", 2025, 11)),
        ("Q4/2025", ("quarter", 2025, 4)),
        ("IV/2025", ("quarter", 2025, 4)),
        ("quý IV/2025", ("quarter", 2025, 4)),
        ("H1/2025", ("half", 2025, 1)),
        ("6 tháng đầu năm 2025", ("half", 2025, 1)),
        ("2025", ("year", 2025, None)),
        ("lũy kế 2025", ("year", 2025, None)),
        ("Lũy kế năm 2025", ("year", 2025, None)),
        ("13/2025", None),
        ("hôm qua", None),
    ],
)
def test_parse_period(text: str, key: tuple[str, int, int | None] | None) -> None:
    assert parse_period(text) == key


def test_period_label() -> None:
    assert period_label(_draft()) == "8/2025"
    assert period_label(_draft(period_kind="year", period=None)) == "2025"
    assert period_label(_draft(period_kind="quarter", period=4)) == "Q4/2025"


# --- robustness --------------------------------------------------------------------------------

_WORDS = [
    "tháng", "quý", "IV", "lũy kế", "năm", "ngày", "tính đến", "xếp hạng", "đứng thứ",
    "Tổng điểm", "điểm", "đạt", "Tiến độ giải quyết", "Công khai", "số hóa", "nhóm",
    "chưa đạt điểm tối đa", "còn lại", ":", ";", "/", ",", ".", "%", "(", "\n", "\t", "|",
    "0", "04", "12", "2025", "19,93", "100", "114", "29/02/2025", "\u0301", "٣",
]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=4)), max_size=30),
    st.dates(),
)
def test_never_raises_anything_but_score_read_error(parts: list[str], today: date) -> None:
    text = " ".join(parts)
    try:
        drafts = read_score_text(text, today=today)
    except ScoreReadError as err:
        assert err.problems
        assert all(p.code in PROBLEM_CODES for p in err.problems)
    else:
        assert drafts and all(validate(d) == [] for d in drafts)


def test_sub_criteria_under_each_group_are_skipped() -> None:
    text = """1. Công khai, minh bạch: 18/18 điểm
 - Công bố, công khai TTHC đúng hạn: 6/6 điểm
 - Hồ sơ đồng bộ lên Cổng DVCQG: 6/6 điểm
2. Tiến độ giải quyết: 19,93/20 điểm
 - Hồ sơ giải quyết đúng hạn và trước hạn: 19,93/20 điểm
3. Dịch vụ công trực tuyến: 8,07/12 điểm
 - TTHC có DVC trực tuyến: 2/2 điểm
 - Hồ sơ nộp trực tuyến: 2,07/6 điểm
4. Thanh toán trực tuyến: 8,79/10 điểm
 - TTHC có thanh toán trực tuyến: 2/2 điểm
5. Mức độ hài lòng: 18/18 điểm
 - Mức độ hài lòng trong tiếp nhận, giải quyết TTHC: 6/6 điểm
6. Số hóa hồ sơ: 18,89/22 điểm
 - Số hóa thành phần hồ sơ: 4/4 điểm
 - Tái sử dụng dữ liệu số hóa: 2/2 điểm"""
    d = one(text)
    assert d.total == Decimal("91.68")
    assert scores(d)["dvc_truc_tuyen"] == "8.07" and scores(d)["so_hoa"] == "18.89"
