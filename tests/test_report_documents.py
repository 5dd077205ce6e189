"""The weekly briefing as the documents a ward files (.docx after Nghị định 30/2020, .xlsx), and
the six-month chart: what a chairman or a clerk sees when they open the files, and that the
chart is drawn once per set of figures."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.app import App
from bot.charts import ChartService, draw_six_months
from bot.config import Settings
from handlers.protocol import Inbound
from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from reminders.clock import VN_TZ, FixedClock
from reports import docx as docx_report
from reports import xlsx as xlsx_report
from reports.docx import date_line, place_name
from reports.record import (
    BroadcastLine,
    DepartmentTasks,
    GroupLine,
    MissedReport,
    ScoreLine,
    TaskLine,
    WeeklyBriefing,
)
from reports.trend import six_month_key, six_month_set
from store.records import GroupRec, SnapshotRec
from tests.conftest import setup_example_ward
from tests.test_reminders_flow import CHAIRMAN

D = Decimal
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Thiên Hương, figures to 15/11/2025 (DOMAIN.md): 94,72 points, rank 80/114
THIEN_HUONG = {
    "cong_khai": "18",
    "tien_do": "19.93",
    "dvc_truc_tuyen": "8.07",
    "thanh_toan": "8.79",
    "hai_long": "18",
    "so_hoa": "18.89",
}
OWNERS = {
    "tien_do": ("VP", "Văn phòng HĐND và UBND"),
    "dvc_truc_tuyen": ("VHXH", "Phòng Văn hóa - Xã hội"),
    "thanh_toan": ("TTPVHCC", "Trung tâm Phục vụ hành chính công"),
    "so_hoa": ("TTPVHCC", "Trung tâm Phục vụ hành chính công"),
}


def thien_huong(**changes: object) -> WeeklyBriefing:
    groups = tuple(
        GroupLine(
            g.code,
            D(THIEN_HUONG[g.code]),
            g.max_score,
            owner=OWNERS.get(g.code, (None, None))[0],
            owner_name=OWNERS.get(g.code, (None, None))[1],
        )
        for g in GROUPS
    )
    departments = (
        DepartmentTasks(
            "TTPVHCC",
            "Trung tâm Phục vụ hành chính công",
            done=(TaskLine(3, "Rà soát, công khai thủ tục hành chính", date(2025, 11, 18)),),
            on_track=(TaskLine(5, "Số hóa hồ sơ, kết quả giải quyết TTHC", date(2025, 11, 30)),),
            due_this_week=(TaskLine(7, "Báo cáo Bộ chỉ số", None, "weekly:MON"),),
            overdue=(
                TaskLine(
                    2,
                    "Tích hợp thanh toán trực tuyến cho 100% TTHC có phí",
                    date(2025, 11, 10),
                    overdue_days=5,
                ),
            ),
        ),
        DepartmentTasks(
            "VHXH",
            "Phòng Văn hóa - Xã hội",
            on_track=(TaskLine(9, "Tuyên truyền nộp hồ sơ trực tuyến", date(2025, 12, 15)),),
            overdue=(TaskLine(4, "Hướng dẫn người dân cài VNeID", date(2025, 11, 14), None, 2),),
        ),
    )
    fields: dict[str, object] = {
        "ward_id": 1,
        "ward_name": "Phường Thiên Hương",
        "province": "Thành phố Hải Phòng",
        "week_start": date(2025, 11, 17),
        "week_end": date(2025, 11, 23),
        "made_at": datetime(2025, 11, 17, 8, 0, tzinfo=VN_TZ),
        "score": ScoreLine(
            "month",
            2025,
            11,
            date(2025, 11, 15),
            D("94.72"),
            "xuat_sac",
            80,
            114,
            previous_total=D("93.10"),
            previous_rank=85,
            previous_year=2025,
            previous_period=10,
        ),
        "groups": groups,
        "departments": departments,
        "missed_reports": (
            MissedReport(
                11, "Báo cáo kết quả số hóa hồ sơ hằng tháng", "TTPVHCC", date(2025, 11, 15)
            ),
        ),
        "broadcasts": (
            BroadcastLine(
                1,
                datetime(2025, 11, 18, 9, 30, tzinfo=VN_TZ),
                "Tổ công nghệ số",
                "Hướng dẫn nộp hồ sơ trực tuyến",
                12,
                1,
            ),
        ),
    }
    fields.update(changes)
    return WeeklyBriefing(**fields)  # type: ignore[arg-type]


def all_text(doc: object) -> str:
    """Every paragraph of the body and of its tables."""
    parts = [p.text for p in doc.paragraphs]  # type: ignore[attr-defined]
    for table in doc.tables:  # type: ignore[attr-defined]
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def tiny_png() -> bytes:
    return draw_six_months(
        __import__("bot.charts", fromlist=["TrendData"]).TrendData(
            "t", ["10/2025", "11/2025"], [93.1, 94.72], [], "Tổng điểm", [(90, "x"), (80, "y")], ""
        )
    )


# --- .docx ------------------------------------------------------------------------------------
def test_the_docx_reads_as_an_administrative_report() -> None:
    doc = Document(io.BytesIO(docx_report.render(thien_huong(), "vi")))
    text = all_text(doc)

    # header: issuing body and number on the left, national motto and place/date on the right
    left, right = (cell.text for cell in doc.tables[0].rows[0].cells)
    assert left.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THIÊN HƯƠNG"]
    assert "Số: …/BC-UBND" in left
    assert right.split("\n") == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Thiên Hương, ngày 17 tháng 11 năm 2025",
    ]
    motto = doc.tables[0].rows[0].cells[1].paragraphs[1].runs[0]
    assert motto.underline and motto.bold
    assert "BÁO CÁO" in text
    assert (
        "Tình hình thực hiện Bộ chỉ số phục vụ người dân, doanh nghiệp tuần từ 17/11/2025 "
        "đến 23/11/2025" in text
    )
    headings = [p.text for p in doc.paragraphs if re.match(r"[IVX]+\. ", p.text)]
    assert headings == [
        "I. Kết quả điểm số",
        "II. Điểm theo nhóm chỉ số",
        "III. Tiến độ nhiệm vụ theo đơn vị",
        "IV. Báo cáo định kỳ chưa thực hiện",
        "V. Tuyên truyền của Tổ công nghệ số cộng đồng",
    ]
    # the figures, with a decimal comma
    assert (
        "Theo số liệu tháng 11/2025 (cập nhật đến ngày 15/11/2025), Phường Thiên Hương đạt "
        "94,72/100 điểm, xếp loại Xuất sắc." in text
    )
    assert "Xếp hạng trong các xã, phường của Thành phố Hải Phòng: 80/114." in text
    assert "So với tháng 10/2025 (93,1 điểm): tăng 1,62 điểm, tăng 5 bậc." in text
    assert "94.72" not in text

    # the groups' table: the portal's names, score, max, gap, owner; the official total
    groups = doc.tables[1]
    rows = [[c.text for c in r.cells] for r in groups.rows]
    assert rows[0] == ["STT", "Nhóm chỉ số", "Điểm", "Tối đa", "Còn thiếu", "Đơn vị phụ trách"]
    assert [r[1] for r in rows[1:7]] == [g.name_vi for g in GROUPS]
    assert rows[2] == ["2", "Tiến độ giải quyết", "19,93", "20", "0,07", "Văn phòng HĐND và UBND"]
    assert rows[3][2:5] == ["8,07", "12", "3,93"]
    assert rows[1][4] == "-"  # at its maximum
    assert rows[7] == ["", "Tổng cộng", "94,72", "100", "5,28", ""]

    # tasks by department: counts per column, then the overdue ones named with days late
    tasks = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    assert tasks == [
        ["Đơn vị", "Đã xong trong tuần", "Đúng tiến độ", "Đến hạn trong tuần", "Quá hạn"],
        ["Trung tâm Phục vụ hành chính công", "1", "1", "1", "1"],
        ["Phòng Văn hóa - Xã hội", "0", "1", "0", "1"],
        ["Tổng cộng", "1", "2", "1", "2"],
    ]
    assert (
        "- Trung tâm Phục vụ hành chính công, nhiệm vụ số 2: Tích hợp thanh toán trực tuyến "
        "cho 100% TTHC có phí (hạn 10/11/2025, quá hạn 5 ngày làm việc)." in text
    )
    assert "nhiệm vụ số 4: Hướng dẫn người dân cài VNeID (hạn 14/11/2025, quá hạn 2 ngày" in text
    assert "nhiệm vụ số 7: Báo cáo Bộ chỉ số (thứ Hai hằng tuần)" in text
    assert (
        "- Trung tâm Phục vụ hành chính công, nhiệm vụ số 11: Báo cáo kết quả số hóa hồ sơ "
        "hằng tháng (kỳ ngày 15/11/2025)." in text
    )
    assert "đã gửi 1 thông báo, tới tổng cộng 12 lượt nhóm chat" in text
    assert "“Hướng dẫn nộp hồ sơ trực tuyến”, đã tới 12 nhóm chat, 1 nhóm chưa nhận được." in text

    # "Nơi nhận" and the signer
    closing_left, closing_right = (c.text for c in doc.tables[-1].rows[0].cells)
    assert closing_left.split("\n") == [
        "Nơi nhận:",
        "- Chủ tịch, các Phó Chủ tịch UBND;",
        "- Các phòng, đơn vị chuyên môn;",
        "- Lưu: VT.",
    ]
    assert closing_right.split("\n")[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]

    # A4, ND30 margins, Times New Roman
    section = doc.sections[0]
    mm = [
        round(x.mm)
        for x in (
            section.page_width,
            section.page_height,
            section.top_margin,
            section.bottom_margin,
            section.left_margin,
            section.right_margin,
        )
    ]
    assert mm == [210, 297, 20, 20, 30, 15]
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 14


def test_the_docx_carries_the_chart_when_given_and_reads_in_english() -> None:
    png = tiny_png()
    with_chart = Document(io.BytesIO(docx_report.render(thien_huong(), "vi", chart_png=png)))
    assert len(with_chart.inline_shapes) == 1
    assert "Biểu đồ: điểm 6 tháng qua" in all_text(with_chart)
    assert len(Document(io.BytesIO(docx_report.render(thien_huong()))).inline_shapes) == 0

    english = all_text(Document(io.BytesIO(docx_report.render(thien_huong(), "en"))))
    assert "94.72/100 points" in english and "SOCIALIST REPUBLIC OF VIETNAM" in english
    assert "Thiên Hương, 17/11/2025" in english


def test_an_empty_week_still_makes_a_whole_report() -> None:
    empty = thien_huong(score=None, groups=(), departments=(), missed_reports=(), broadcasts=())
    text = all_text(Document(io.BytesIO(docx_report.render(empty))))
    assert "Chưa có số liệu điểm nào của Phường Thiên Hương." in text
    assert "Chưa có số liệu điểm theo nhóm chỉ số." in text
    assert "Trong tuần không có nhiệm vụ nào cần theo dõi." in text
    assert "Trong tuần không có báo cáo định kỳ nào bị bỏ sót." in text
    assert "Tổ công nghệ số cộng đồng chưa gửi thông báo nào qua bot." in text
    assert "Nơi nhận:" in text


def test_the_place_and_date_line_follow_nd30() -> None:
    from locales import translator

    vi = translator("vi")
    assert place_name("Phường Thiên Hương") == "Thiên Hương"
    assert place_name("Xã Đông Hòa") == "Đông Hòa"
    assert place_name("Đặc khu Côn Đảo") == "Côn Đảo"
    assert place_name("Thiên Hương") == "Thiên Hương"
    # a day under 10 and the months 1 and 2 take a leading zero
    assert date_line("Hòa Phong", date(2026, 1, 5), vi) == "Hòa Phong, ngày 05 tháng 01 năm 2026"
    assert date_line("Hòa Phong", date(2025, 3, 9), vi) == "Hòa Phong, ngày 09 tháng 3 năm 2025"
    assert date_line("Hòa Phong", date(2025, 11, 17), vi) == "Hòa Phong, ngày 17 tháng 11 năm 2025"


def _pdf_pages(tmp_path: Path, name: str, data: bytes) -> list[str]:
    """LibreOffice's rendering of a .docx, as the text of each page."""
    from pypdf import PdfReader

    source = tmp_path / f"{name}.docx"
    source.write_bytes(data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return [page.extract_text() for page in PdfReader(str(tmp_path / f"{name}.pdf")).pages]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not here")
def test_the_docx_prints_on_two_pages_and_the_chart_adds_at_most_one(tmp_path: Path) -> None:
    # the tables keep their widths (a table squeezed to its words would run to many pages)
    pages = _pdf_pages(tmp_path, "plain", docx_report.render(thien_huong(), "vi"))
    assert len(pages) == 2
    assert "BC-UBND" in pages[0] and "94,72" in pages[0]
    assert "2" in pages[1].split("\n")[0]  # the page number, from the second page
    charted = _pdf_pages(tmp_path, "chart", docx_report.render(thien_huong(), "vi", tiny_png()))
    assert len(charted) in (2, 3)


# --- .xlsx ------------------------------------------------------------------------------------
def test_the_workbook_holds_numbers_dates_and_frozen_headers() -> None:
    wb = load_workbook(io.BytesIO(xlsx_report.render(thien_huong(), "vi")))
    assert wb.sheetnames == [
        "Tổng hợp",
        "Nhóm chỉ số",
        "Nhiệm vụ",
        "Báo cáo định kỳ",
        "Tuyên truyền",
    ]
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert all(cell.font.b for cell in ws[1] if cell.value is not None), ws.title

    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tổng điểm"] == pytest.approx(94.72)
    assert summary["Xếp hạng trong tỉnh"] == 80 and summary["Số xã, phường được xếp hạng"] == 114
    assert summary["Xếp loại"] == "Xuất sắc"
    assert summary["Tuần từ ngày"] == datetime(2025, 11, 17)
    assert summary["Nhiệm vụ: Quá hạn"] == 2
    total_cell = next(
        r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2) if r[0].value == "Tổng điểm"
    )
    assert total_cell.number_format == "0.00"  # a Vietnamese Excel shows 94,72

    groups = wb["Nhóm chỉ số"]
    header = [c.value for c in groups[1]]
    assert header[:5] == ["STT", "Nhóm chỉ số", "Điểm", "Tối đa", "Còn thiếu"]
    rows = list(groups.iter_rows(min_row=2))
    assert [r[1].value for r in rows[:6]] == [g.name_vi for g in GROUPS]
    tien_do = rows[1]
    assert isinstance(tien_do[2].value, float) and tien_do[2].value == pytest.approx(19.93)
    assert tien_do[2].number_format == "0.00"
    assert isinstance(tien_do[3].value, int | float) and tien_do[3].value == 20
    assert rows[-1][1].value == "Tổng cộng" and rows[-1][2].value == pytest.approx(94.72)
    assert not any(isinstance(c.value, str) for r in rows for c in r[2:6] if c.value is not None)

    tasks = list(wb["Nhiệm vụ"].iter_rows(min_row=2, values_only=True))
    overdue = [r for r in tasks if r[1] == "Quá hạn"]
    assert [(r[2], r[6]) for r in overdue] == [(2, 5), (4, 2)]
    assert overdue[0][4] == datetime(2025, 11, 10)
    deadline = next(iter(wb["Nhiệm vụ"].iter_rows(min_row=2)))[4]
    assert deadline.is_date and deadline.number_format == "dd/mm/yyyy"

    missed = list(wb["Báo cáo định kỳ"].iter_rows(min_row=2, values_only=True))
    assert missed == [
        (
            11,
            "Báo cáo kết quả số hóa hồ sơ hằng tháng",
            "Trung tâm Phục vụ hành chính công",
            datetime(2025, 11, 15),
        )
    ]
    sent = list(wb["Tuyên truyền"].iter_rows(min_row=2, values_only=True))
    assert sent == [
        (
            1,
            datetime(2025, 11, 18, 9, 30),
            "Tổ công nghệ số",
            "Hướng dẫn nộp hồ sơ trực tuyến",
            12,
            1,
        )
    ]


# --- the six-month chart ----------------------------------------------------------------------
def _snap(
    id_: int, month: int, total: str, as_of: date | None = None, year: int = 2025
) -> SnapshotRec:
    groups = tuple(GroupRec(g.code, g.max_score, g.max_score) for g in GROUPS)
    return SnapshotRec(
        id_, 1, "month", year, month, as_of or date(year, month, 15), D(total), None, None, groups
    )


def test_six_months_are_the_newest_month_and_the_five_before_it() -> None:
    history = [_snap(i, m, "90") for i, m in enumerate((4, 5, 6, 8, 9, 10, 11), 1)]
    history.append(_snap(20, 11, "91", date(2025, 11, 30)))  # a later figure for November
    chosen = six_month_set(history)
    assert [(s.period, s.id) for s in chosen] == [(6, 3), (8, 4), (9, 5), (10, 6), (11, 20)]
    assert six_month_key(chosen) == "m6:3,4,5,6,20"
    # as it stood on 20/11: the 30/11 figure is not known yet
    assert [s.id for s in six_month_set(history, date(2025, 11, 20))] == [3, 4, 5, 6, 7]
    # across a new year
    years = [_snap(1, 11, "90", year=2024), _snap(2, 12, "90", year=2024), _snap(3, 3, "91")]
    assert [s.id for s in six_month_set(years)] == [1, 2, 3]
    assert six_month_set([]) == () and six_month_key(()) == ""


def _draft(month: int, total_gap: str = "0") -> SnapshotDraft:
    groups = {
        g.code: GroupScore(
            g.code, g.max_score - (D(total_gap) if g.code == "so_hoa" else 0), g.max_score
        )
        for g in GROUPS
    }
    draft = SnapshotDraft("month", 2025, month, date(2025, month, 15), None, 80, 114, groups)
    draft.total = draft.computed_total()
    return draft


async def _store_months(app: App, months: dict[int, str]) -> None:
    ward = (await app.repo.wards())[0]
    for month, gap in months.items():
        await app.repo.save_snapshot(ward.id, _draft(month, gap), "test", app.services.clock.now())


@pytest.fixture
async def any_db_app(db_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """The example ward on SQLite and on PostgreSQL (the chart's key must fit both)."""
    application = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    await setup_example_ward(application)
    yield application
    await application.close()


async def test_the_chart_is_drawn_once_per_set_of_figures(
    any_db_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = any_db_app
    drawn: list[list[str]] = []

    def counting(data: object) -> bytes:
        drawn.append(list(data.months))  # type: ignore[attr-defined]
        return draw_six_months(data)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.charts.draw_six_months", counting)
    await _store_months(app, {6: "4", 7: "3.5", 8: "3", 9: "2.5", 10: "2", 11: "1.5"})
    ward = (await app.repo.wards())[0]
    history = await app.repo.snapshot_history(ward.id, "month", limit=12)
    chosen = six_month_set(history)
    chart = ChartService(app.repo).six_months(ward, chosen, "vi")
    assert chart is not None
    png = await chart.png()
    assert png.startswith(PNG_MAGIC)
    assert await chart.png() == png
    # another process (a new service on the same database) reads it back
    again = ChartService(app.repo).six_months(ward, chosen, "vi")
    assert again is not None and await again.png() == png
    assert drawn == [["06/2025", "07/2025", "08/2025", "09/2025", "10/2025", "11/2025"]]
    # English is another picture; new figures are another set
    english = ChartService(app.repo).six_months(ward, chosen, "en")
    assert english is not None and await english.png() != png
    await _store_months(app, {12: "1"})
    history = await app.repo.snapshot_history(ward.id, "month", limit=12)
    newer = ChartService(app.repo).six_months(ward, six_month_set(history), "vi")
    assert newer is not None and newer.key != chart.key
    await newer.png()
    assert len(drawn) == 3 and drawn[-1][0] == "07/2025"
    # a channel's id for the uploaded picture is kept with it
    await chart.remember("telegram", "AgAC-six")
    assert await ChartService(app.repo).six_months(ward, chosen, "vi").channel_id("telegram") == (  # type: ignore[union-attr]
        "AgAC-six"
    )


def _chairman(text: str) -> Inbound:
    return Inbound(
        channel="telegram", chat_id=CHAIRMAN, chat_kind="private", user_id=CHAIRMAN, text=text
    )


async def test_the_chairman_asks_for_the_last_six_months(app: App) -> None:
    [before] = await app.router.handle(_chairman("điểm 6 tháng qua"))
    assert "Chưa có số liệu điểm theo tháng của Phường Hòa Phong." in before.text
    assert before.image is None

    await _store_months(app, {7: "3", 8: "2.5", 9: "2", 10: "1.5", 11: "1"})
    for question in ("điểm 6 tháng qua", "bieu do 6 thang", "/bieudo"):
        [reply] = await app.router.handle(_chairman(question))
        assert "📈 **Phường Hòa Phong** — điểm 6 tháng qua (tháng 7/2025 – tháng 11/2025)" in (
            reply.text
        ), question
        assert "tháng 7/2025: 97/100 — Xuất sắc" in reply.text
        assert "tháng 11/2025: 99/100 — Xuất sắc" in reply.text
        assert "So với tháng 7/2025: tăng 2 điểm." in reply.text
        assert reply.image is not None
        assert (await reply.image.source.png()).startswith(PNG_MAGIC)
