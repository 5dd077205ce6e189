"""`chiso report weekly` driven in this process: the briefing printed, or written as the .docx
and .xlsx a ward files; a wrong date or format is refused in Vietnamese and writes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.cli import build_parser, main
from tests.conftest import EXAMPLE_WARD
from tests.test_cli_inprocess import cli
from tests.test_e2e_telegram import REPORT

__all__ = ["cli"]  # the fixture


@pytest.fixture
def ward_with_scores(cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example ward set up and the Thiên Hương figures stored; returns the working folder
    (where files without --output go)."""
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    assert main(["import", "scores", str(report), "--yes"]) == 0
    capsys.readouterr()
    return tmp_path


def test_the_parser_knows_report_weekly() -> None:
    args = build_parser().parse_args(
        ["report", "weekly", "--at", "17/11/2025", "--format", "docx", "--output", "x.docx"]
    )
    assert hasattr(args, "run") and args.at == "17/11/2025" and args.format == "docx"
    assert build_parser().parse_args(["report", "weekly"]).format == "text"


def test_report_weekly_writes_a_workbook(
    ward_with_scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = ward_with_scores / "tuan.xlsx"
    argv = ["report", "weekly", "--at", "17/11/2025", "--format", "xlsx", "--output", str(target)]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "Đã ghi báo cáo tuần của Phường Hòa Phong (từ 17/11/2025 đến 23/11/2025)" in said
    assert str(target) in said
    wb = load_workbook(io.BytesIO(target.read_bytes()))
    assert wb.sheetnames == [
        "Tổng hợp",
        "Nhóm chỉ số",
        "Nhiệm vụ",
        "Báo cáo định kỳ",
        "Tuyên truyền",
    ]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Đơn vị"] == "Phường Hòa Phong"
    assert summary["Kỳ số liệu"] == "tháng 11/2025"
    # November's figures sum to 91,68; the year's running total is the published 94,72
    assert summary["Tổng điểm"] == pytest.approx(91.68)
    assert summary["Lũy kế năm: tổng điểm"] == pytest.approx(94.72)
    assert summary["Lũy kế năm: xếp hạng"] == 80
    groups = {r[1]: r[2] for r in wb["Nhóm chỉ số"].iter_rows(min_row=2, values_only=True)}
    assert groups["Tiến độ giải quyết"] == pytest.approx(19.93)
    assert groups["Dịch vụ công trực tuyến"] == pytest.approx(8.07)


def test_report_weekly_docx_goes_to_a_default_file_with_the_chart(
    ward_with_scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "weekly", "--at", "2025-11-19", "--format", "docx"]) == 0
    written = ward_with_scores / "bao-cao-tuan-2025-11-17.docx"
    assert str(written) in capsys.readouterr().out
    doc = Document(io.BytesIO(written.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "94,72/100 điểm" in text and "Nơi nhận:" in "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "Hòa Phong, ngày 19 tháng 11 năm 2025" in doc.tables[0].rows[0].cells[1].text
    assert len(doc.inline_shapes) == 1  # the six-month chart


def test_report_weekly_prints_the_text(
    ward_with_scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "weekly", "--at", "17/11/2025"]) == 0
    printed = capsys.readouterr().out
    assert "Phường Hòa Phong" in printed and "94,72" in printed
    assert "17/11/2025" in printed and "**" not in printed
    assert not list(ward_with_scores.glob("bao-cao-tuan-*"))


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--at", "32/11/2025", "--format", "docx"], "“32/11/2025” không phải ngày hợp lệ"),
        (
            ["--at", "tuần trước", "--format", "xlsx"],
            "hãy viết theo dạng dd/mm/yyyy hoặc yyyy-mm-dd",
        ),
        (["--at", "17/11/2025", "--format", "pdf"], "Không ghi được định dạng “pdf”"),
        # the clock reads Thursday 20/11/2025: next week has not begun
        (["--at", "24/11/2025", "--format", "docx"], "Tuần có ngày 24/11/2025 chưa bắt đầu"),
    ],
)
def test_a_bad_date_or_format_writes_nothing(
    ward_with_scores: Path, capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    before = sorted(p.name for p in ward_with_scores.iterdir())
    out = ward_with_scores / "x.out"
    assert main(["report", "weekly", *argv, "--output", str(out)]) == 2
    said = capsys.readouterr()
    assert complaint in said.err and said.out == ""
    assert sorted(p.name for p in ward_with_scores.iterdir()) == before


def test_a_folder_that_does_not_exist_is_named(
    ward_with_scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = ward_with_scores / "nowhere" / "x.xlsx"
    assert main(["report", "weekly", "--format", "xlsx", "--output", str(missing)]) == 2
    assert f"Không có thư mục {missing.parent}" in capsys.readouterr().err
