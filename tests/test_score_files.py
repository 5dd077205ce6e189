"""Score files: .txt/.md, .csv, .xlsx -> SnapshotDraft (ingest.score_files)."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from ingest.score_files import read_score_file
from ingest.score_text import PROBLEM_CODES
from ingest.snapshot_draft import Problem, ScoreReadError, SnapshotDraft

TODAY = date(2025, 12, 1)
HEADER = (
    "as_of;period;total;rank;rank_of;cong_khai;tien_do;dvc_truc_tuyen;thanh_toan;hai_long;so_hoa"
)
THIEN_HUONG_CSV = (
    HEADER
    + ";tien_do_rank\n"
    + "15/11/2025;11/2025;91,68;;;18;19,93;8,07;8,79;18;18,89;5\n"
    + "15/11/2025;lũy kế 2025;94,72;80;114;18;19,78;8,1;9,16;18;21,68;\n"
)
REPORT = (
    "Tiến độ giải quyết: 19/20 điểm; Số hóa hồ sơ: 21/22 điểm. Các nhóm còn lại đạt điểm tối đa."
)


def read(name: str, data: bytes) -> list[SnapshotDraft]:
    return read_score_file(name, data, today=TODAY)


def problems(name: str, data: bytes) -> list[Problem]:
    with pytest.raises(ScoreReadError) as err:
        read(name, data)
    assert all(p.code in PROBLEM_CODES for p in err.value.problems)
    return err.value.problems


def _cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258: base letter (â, ơ, ...) plus a combining tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_semicolon_decimal_comma() -> None:
    month, year = read("diem.csv", THIEN_HUONG_CSV.encode())
    assert (month.period_kind, month.year, month.period) == ("month", 2025, 11)
    assert month.as_of == date(2025, 11, 15)
    assert month.total == Decimal("91.68")
    assert month.groups["tien_do"].score == Decimal("19.93")
    assert month.groups["tien_do"].rank == 5
    assert (year.period_kind, year.year, year.period) == ("year", 2025, None)
    assert (year.total, year.rank, year.rank_of) == (Decimal("94.72"), 80, 114)
    assert month.source == year.source == "csv"


def test_csv_comma_portal_and_vietnamese_headers_with_bom() -> None:
    data = (
        "Ngày,Kỳ,Tổng điểm,Xếp hạng,CKMB,TDGQ,TTTT,CLGQ,MDHL,MDSH\n"
        '2025-09-04,8/2025,"87,09",05/65,18,"18,72","7,93","7,36",18,"17,08"\n'
    ).encode("utf-8-sig")
    (d,) = read("hoa-thang.CSV", data)
    assert (d.period_kind, d.year, d.period, d.as_of) == ("month", 2025, 8, date(2025, 9, 4))
    assert (d.total, d.rank, d.rank_of) == (Decimal("87.09"), 5, 65)
    assert d.groups["dvc_truc_tuyen"].score == Decimal("7.93")  # TTTT, see index_groups
    assert d.groups["thanh_toan"].score == Decimal("7.36")


def test_csv_comma_with_dot_decimals_and_no_total() -> None:
    data = (
        b"period,cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa\n"
        b"Q4/2025,18,20,10.5,9,18,20\n"
        b"H1/2025,18,20,10,9,18,20\n"
    )
    q4, h1 = read("x.csv", data)
    assert (q4.period_kind, q4.period, q4.total) == ("quarter", 4, Decimal("95.5"))
    assert (h1.period_kind, h1.period, h1.total) == ("half", 1, Decimal("95"))
    assert q4.as_of is None


def test_csv_as_of_only_gives_the_month() -> None:
    data = (
        b"as_of,cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa\n"
        b"11/8/2025,18,12.53,8.09,8.99,4.18,18.14\n"
    )
    (d,) = read("x.csv", data)
    assert (d.period_kind, d.year, d.period) == ("month", 2025, 8)
    assert d.total == Decimal("69.93")


def test_csv_missing_column() -> None:
    data = b"period,cong_khai,tien_do\n11/2025,18,20\n"
    found = problems("x.csv", data)
    assert Problem("missing_column", {"column": "so_hoa"}) in found
    assert {p.code for p in found} == {"missing_column"}
    assert len(found) == 4


def test_csv_missing_period_and_as_of_columns() -> None:
    data = b"cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa\n18,20,12,10,18,22\n"
    assert problems("x.csv", data) == [Problem("missing_column", {"column": "period"})]


def test_csv_bad_values() -> None:
    data = (
        "period;total;cong_khai;tien_do;dvc_truc_tuyen;thanh_toan;hai_long;so_hoa\n"
        "11/2025;95;18;20;12;10;18;22\n"
        "tháng mười;abc;18;hai mươi;12;10;18;22\n"
    ).encode()
    found = problems("x.csv", data)
    assert Problem("bad_value", {"row": 3, "column": "period", "value": "tháng mười"}) in found
    assert Problem("bad_value", {"row": 3, "column": "total", "value": "abc"}) in found
    assert Problem("bad_value", {"row": 3, "column": "tien_do", "value": "hai mươi"}) in found


def test_csv_invalid_figures_are_validated() -> None:
    data = (
        b"period,total,cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa\n"
        b"11/2025,90,18,21,12,10,18,22\n"
    )
    found = {p.code for p in problems("x.csv", data)}
    assert found == {"score_above_max", "total_mismatch"}


def test_csv_with_only_a_header_has_no_scores() -> None:
    assert problems("x.csv", (HEADER + "\n").encode()) == [Problem("no_scores_found")]


# --- XLSX --------------------------------------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_title_row_numbers_and_dates() -> None:
    data = _xlsx(
        [
            ["Bảng điểm Bộ chỉ số 766 - xã An Lão"],
            [
                "Ngày",
                "Kỳ",
                "Tổng điểm",
                "Xếp hạng",
                "Trên",
                "Công khai, minh bạch",
                "Tiến độ giải quyết",
                "Dịch vụ công trực tuyến",
                "Thanh toán trực tuyến",
                "Mức độ hài lòng",
                "Số hóa hồ sơ",
                "Xếp hạng tiến độ giải quyết",
            ],
            [
                datetime(2025, 8, 11),
                "8/2025",
                69.93,
                38,
                114,
                18,
                12.53,
                8.09,
                8.99,
                4.18,
                18.14,
                96,
            ],
            [None, datetime(2025, 7, 1), None, None, None, 18, 12.5, 8, 9, 4, 18, None],
        ]
    )
    aug, jul = read("diem.xlsx", data)
    assert (aug.period_kind, aug.year, aug.period, aug.as_of) == (
        "month",
        2025,
        8,
        date(2025, 8, 11),
    )
    assert (aug.total, aug.rank, aug.rank_of) == (Decimal("69.93"), 38, 114)
    assert aug.groups["tien_do"].score == Decimal("12.53")
    assert aug.groups["tien_do"].rank == 96
    assert (jul.period, jul.total, jul.as_of) == (7, Decimal("69.5"), None)
    assert aug.source == "xlsx"


def test_xlsx_bad_value_reports_the_sheet_row() -> None:
    data = _xlsx(
        [
            [
                "period",
                "cong_khai",
                "tien_do",
                "dvc_truc_tuyen",
                "thanh_toan",
                "hai_long",
                "so_hoa",
            ],
            ["11/2025", 18, 20, 12, 10, 18, 22],
            ["12/2025", 18, "x", 12, 10, 18, 22],
        ]
    )
    assert problems("a.xlsx", data) == [
        Problem("bad_value", {"row": 3, "column": "tien_do", "value": "x"})
    ]


def test_corrupt_xlsx_is_unreadable() -> None:
    assert problems("diem.xlsx", b"PK\x03\x04 this is not a workbook") == [
        Problem("unreadable_file", {"name": "diem.xlsx"})
    ]
    truncated = _xlsx([["period"]])[:200]
    assert problems("cut.xlsx", truncated) == [Problem("unreadable_file", {"name": "cut.xlsx"})]


# --- text files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        REPORT.encode("utf-8"),
        REPORT.encode("utf-8-sig"),
        REPORT.encode("utf-16"),
        _cp1258(REPORT),
    ],
    ids=["utf-8", "utf-8-sig", "utf-16", "cp1258"],
)
def test_txt_encodings(data: bytes) -> None:
    (d,) = read("bao-cao.txt", data)
    assert d.groups["tien_do"].score == 19 and d.total == 98
    assert d.source == "text"


def test_md_file() -> None:
    (d,) = read("bao-cao.md", f"## Kết quả tháng 10/2025\n\n{REPORT}".encode())
    assert (d.period_kind, d.period) == ("month", 10)


def test_binary_named_txt_is_unreadable() -> None:
    assert problems("x.txt", b"\x00\x01\x02binary") == [
        Problem("unreadable_file", {"name": "x.txt"})
    ]


def test_unknown_extension() -> None:
    assert problems("diem.pdf", b"%PDF-1.7") == [Problem("unsupported_file", {"name": "diem.pdf"})]
    assert problems("diem", b"abc") == [Problem("unsupported_file", {"name": "diem"})]
