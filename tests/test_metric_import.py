"""Admins store sub-criterion figures (numerator / denominator) by pasting them, after
/capnhatsolieu, or with `chiso import metrics FILE`: a preview that says, per group, whether
the figures reproduce the stored group score (within 0,05) and where they do not; Store /
Cancel; the refusals of score imports (staff, an unknown sub-criterion, a numerator above its
denominator, a negative or malformed figure), each a Vietnamese sentence, nothing stored."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.cli import build_parser, main
from handlers.permissions import refusal_text
from handlers.protocol import Inbound, InboundFile
from ingest.criteria import default_table
from ingest.metric_text import MetricReadError, parse_count, read_metric_file, read_metric_text
from locales import translator
from store import models as m
from store.metrics import MetricStore
from tests.conftest import EXAMPLE_WARD
from tests.test_cli_inprocess import Terminal, answer_at_terminal, cli, with_app
from tests.test_whatif import FIGURES, STORED, crit, store_snapshot

__all__ = ["cli"]  # the CLI's fixture, from test_cli_inprocess

ADMIN, STAFF, CHAIRMAN = "700000003", "700000004", "700000001"
TABLE = default_table()
TODAY = date(2025, 11, 20)
_ = translator("vi")


def paste_text(**over: tuple[int, int]) -> str:
    """Every figure of tests/test_whatif.FIGURES as an admin pastes them, by their names."""
    lines = ["Số liệu tháng 11/2025 (tính đến ngày 15/11/2025)"]
    for code, (n, d) in {**FIGURES, **over}.items():
        lines.append(f"- {crit(code).name_vi}: {n:,}/{d:,}".replace(",", "."))
    return "\n".join(lines)


async def say(app: App, user: str, text: str = "", **kw: object) -> str:
    inbound = Inbound(
        channel="telegram",
        chat_id=user,
        chat_kind="private",
        user_id=user,
        text=text,
        **kw,  # type: ignore[arg-type]
    )
    return "\n".join(r.text for r in await app.router.handle(inbound))


async def tap(app: App, user: str, choice: str) -> str:
    pending = await app.repo.pending("telegram", user, user)
    assert pending is not None
    return await say(app, user, event="button", button_data=f"p{pending.id}:{choice}")


async def stored_rows(app: App) -> int:
    async with app.repo.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(m.MetricFigure)) or 0)


# --- reading ---------------------------------------------------------------------------------


def test_reading_pasted_figures() -> None:
    text = (
        "Số liệu tháng 11/2025 (tính đến ngày 15/11/2025)\n"
        "• Hồ sơ nộp trực tuyến: 412/1.030\n"
        "2. Số hóa - kết quả điện tử 350 / 400 hồ sơ\n"
        "Dịch vụ công trực tuyến: 8,07/12 điểm\n"  # a group's score: not a figure, not a problem
        "Lũy kế năm 2025\n"
        "hstt 4.120 trên 10.300\n"
    )
    month, year = read_metric_text(text, TABLE, today=TODAY)
    assert (month.period_kind, month.year, month.period) == ("month", 2025, 11)
    assert month.as_of == date(2025, 11, 15)
    assert [(f.code, f.numerator, f.denominator) for f in month.figures] == [
        ("dvc_ho_so_truc_tuyen", 412, 1030),
        ("sh_ket_qua_dien_tu", 350, 400),
    ]
    assert (year.period_kind, year.year) == ("year", 2025)
    assert [(f.numerator, f.denominator) for f in year.figures] == [(4120, 10300)]
    assert parse_count("1.030.500") == 1030500 and parse_count("1,030") == 1030
    assert parse_count("12,5") is None and parse_count("1.5") is None
    # not figures at all: said as such, so a question with a fraction is left alone
    with pytest.raises(MetricReadError) as exc:
        read_metric_text("việc số 3/5 xong chưa, điểm tháng 11/2025?", TABLE, today=TODAY)
    assert [p.code for p in exc.value.problems] == ["no_figures_found"]


def test_reading_a_figures_file() -> None:
    csv = (
        "Mã tiêu chí;Tử số;Mẫu số;Kỳ\n"
        "dvc_ho_so_truc_tuyen;412;1.030;11/2025\n"
        "Kết quả điện tử;350;400;11/2025\n"
        "Hồ sơ nộp trực tuyến;4120;10300;2025\n"
    ).encode()
    month, year = read_metric_file("so-lieu.csv", csv, TABLE, today=TODAY)
    assert [f.code for f in month.figures] == ["dvc_ho_so_truc_tuyen", "sh_ket_qua_dien_tu"]
    assert (year.period_kind, year.year, year.figures[0].numerator) == ("year", 2025, 4120)
    with pytest.raises(MetricReadError) as exc:
        read_metric_file(
            "x.csv", b"code;numerator;denominator;colour\nhstt;1;2;red\n", TABLE, today=TODAY
        )
    assert [p.code for p in exc.value.problems] == ["unknown_column"]


def test_reading_a_portal_style_workbook() -> None:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Báo cáo chỉ số tháng 11"])  # a title row before the header
    ws.append(["code", "name", "numerator", "denominator", "ratio", "score", "maxScore", "Ngày"])
    ws.append(
        ["dvc_ho_so_truc_tuyen", "Hồ sơ nộp trực tuyến", 412, 1030, 0.4, 4.8, 6, date(2025, 11, 15)]
    )
    ws.append(["hl_pakn_dung_han", "PAKN đúng hạn", 0, 0, None, 6, 6, date(2025, 11, 15)])
    buf = io.BytesIO()
    wb.save(buf)
    (draft,) = read_metric_file("portal.xlsx", buf.getvalue(), TABLE, today=TODAY)
    # no period column: the month of the date
    assert (draft.period_kind, draft.year, draft.period, draft.as_of) == (
        "month",
        2025,
        11,
        date(2025, 11, 15),
    )
    assert [(f.code, f.numerator, f.denominator) for f in draft.figures] == [
        ("dvc_ho_so_truc_tuyen", 412, 1030),
        ("hl_pakn_dung_han", 0, 0),
    ]


# --- the chat --------------------------------------------------------------------------------


async def test_paste_preview_confirm_stores(app: App) -> None:
    await store_snapshot(app, STORED)
    preview = await say(app, ADMIN, paste_text())
    assert "Tôi đọc được các số liệu tiêu chí thành phần sau:" in preview
    assert "**tháng 11/2025**, số liệu tính đến 15/11/2025: 21 tiêu chí thành phần" in preview
    assert "• Hồ sơ nộp trực tuyến: 412/1.030 (40%) → 4,8/6 điểm" in preview
    assert "• Phản ánh, kiến nghị xử lý đúng hạn: 0/0 (—) → 6/6 điểm" in preview  # no PAKN
    # per group: the figures reproduce the stored score, or say by how much they do not
    assert "• Công khai, minh bạch: 16,76 điểm theo số liệu, đã lưu 16,76 — khớp." in preview
    assert "• Mức độ hài lòng: 18 điểm theo số liệu, đã lưu 18 — khớp." in preview
    assert (
        "• ⚠ Dịch vụ công trực tuyến: 8,55 điểm theo số liệu, đã lưu 8,07 — lệch 0,48 điểm"
        in preview
    )
    assert preview.count("khớp") == 5
    assert await stored_rows(app) == 0  # nothing before the confirmation
    pending = await app.repo.pending("telegram", ADMIN, ADMIN)
    assert pending is not None
    button = {"event": "button", "button_data": f"p{pending.id}:save"}
    assert "Đã lưu 21 số liệu tiêu chí thành phần (tháng 11/2025)." in await say(
        app, ADMIN, **button
    )
    assert await stored_rows(app) == 21
    assert "hết hiệu lực" in await say(app, ADMIN, **button)  # a second tap stores nothing
    assert await stored_rows(app) == 21
    figures = await MetricStore(app.repo.sessions).latest(1, "month", 2025, 11)
    assert (figures["dvc_ho_so_truc_tuyen"].numerator, figures["dvc_ho_so_truc_tuyen"].as_of) == (
        Decimal(412),
        date(2025, 11, 15),
    )

    # the same period again, one figure corrected: it replaces that one only, and the preview
    # says that it replaces stored figures (as a score import does)
    preview = await say(app, ADMIN, paste_text(dvc_ho_so_truc_tuyen=(500, 1030)))
    assert "4,8" not in preview.split("Hồ sơ nộp trực tuyến")[1].split("\n")[0]
    assert "⚠ Thay 21 số liệu tháng 11/2025 đã lưu ngày 15/11/2025." in preview
    await tap(app, ADMIN, "save")
    assert await stored_rows(app) == 21
    figures = await MetricStore(app.repo.sessions).latest(1, "month", 2025, 11)
    assert figures["dvc_ho_so_truc_tuyen"].numerator == 500


async def test_one_line_cancel_and_no_stored_scores(app: App) -> None:
    preview = await say(app, ADMIN, "hồ sơ nộp trực tuyến 412/1.030")
    assert "⚠ Thay" not in preview  # nothing stored before: nothing replaced
    assert "• Hồ sơ nộp trực tuyến: 412/1.030 (40%) → 4,8/6 điểm" in preview
    assert "Văn bản không ghi kỳ số liệu nên tôi dùng tháng 11/2025." in preview
    assert "Chưa có điểm nhóm đã lưu cho kỳ này nên chưa đối chiếu được." in preview
    assert "• Dịch vụ công trực tuyến: mới có 1/3 tiêu chí thành phần" in preview
    assert "Đã hủy; không lưu gì." in await tap(app, ADMIN, "cancel")
    assert await stored_rows(app) == 0


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "Tháng 11/2025\nHồ sơ nộp trực tuyến: 412/1.030\nHồ sơ bay trực tuyến: 5/10",
            "Dòng 3: “Hồ sơ bay trực tuyến” không phải tiêu chí thành phần nào của Bộ chỉ số.",
        ),
        (
            "Hồ sơ nộp trực tuyến: 1.500/1.030",
            "Dòng 1, Hồ sơ nộp trực tuyến: tử số 1.500 lớn hơn mẫu số 1.030.",
        ),
        ("Kết quả điện tử: -5/400", "Dòng 1, Cấp kết quả điện tử: số liệu không thể âm (-5)."),
        (
            "Kết quả điện tử: 35,5/400",
            "Dòng 1, Cấp kết quả điện tử: “35,5” không phải số liệu hợp lệ; anh/chị ghi số "
            "nguyên dạng tử số/mẫu số, ví dụ 412/1.030.",
        ),
        (
            "Tháng 11/2025\nKết quả điện tử: 350/400\nKết quả điện tử: 351/400",
            "Dòng 3, Cấp kết quả điện tử: được ghi hai lần với số liệu khác nhau (lần đầu ở dòng "
            "2).",
        ),
        (
            "Tháng 11/2025 (tính đến ngày 15/11/1925)\nKết quả điện tử: 350/400",
            "Ngày số liệu 15/11/1925 không hợp lệ; số liệu chỉ có từ năm 2022",
        ),
    ],
)
async def test_bad_figures_are_refused(app: App, text: str, sentence: str) -> None:
    said = await say(app, ADMIN, text)
    assert said.startswith("Chưa lưu gì:"), said
    assert sentence in said, said
    assert await app.repo.pending("telegram", ADMIN, ADMIN) is None
    assert await stored_rows(app) == 0


async def test_staff_are_refused(app: App) -> None:
    refusal = refusal_text("load_scores", _)
    for user in (STAFF, CHAIRMAN):
        assert refusal in await say(app, user, paste_text())
        assert refusal in await say(app, user, "/capnhatsolieu")
        assert refusal in await say(app, user, "/capnhatsolieu hstt 412/1.030")
    assert await stored_rows(app) == 0
    # a question with a fraction is still a question
    assert "Chưa lưu gì" not in await say(app, STAFF, "điểm tháng 11/2025?")


async def test_figures_asked_for_then_pasted_or_sent_as_a_file(app: App) -> None:
    await store_snapshot(app, STORED)
    asked = await say(app, ADMIN, "/capnhatsolieu")
    assert "Anh/chị dán số liệu tiêu chí thành phần" in asked and "Gõ /huy để dừng." in asked
    preview = await say(app, ADMIN, "Tháng 11/2025\nHồ sơ nộp trực tuyến: 412/1.030")
    assert "• Dịch vụ công trực tuyến: mới có 1/3 tiêu chí thành phần" in preview
    await tap(app, ADMIN, "save")

    data = (
        b"code,numerator,denominator,period\n"
        b"dvc_tthc_truc_tuyen,70,100,11/2025\n"
        b"dvc_phat_sinh_ho_so,30,60,11/2025\n"
    )

    async def fetch() -> bytes:
        return data

    await say(app, ADMIN, "/capnhatsolieu")
    preview = await say(
        app, ADMIN, file=InboundFile("so-lieu.csv", len(data), "text/csv", fetch, "f1")
    )
    # with the figure stored before, the group is complete: 1,75 + 2 + 4,8 = 8,55
    assert "• ⚠ Dịch vụ công trực tuyến: 8,55 điểm theo số liệu, đã lưu 8,07 — lệch 0,48" in (
        preview
    )
    await tap(app, ADMIN, "save")
    assert await stored_rows(app) == 3


# --- the CLI ---------------------------------------------------------------------------------


def test_the_parser_has_import_metrics() -> None:
    args = build_parser().parse_args(
        ["import", "metrics", "a.csv", "--ward", "X", "--yes", "--dry-run"]
    )
    assert args.dry_run and args.yes and args.ward == "X" and hasattr(args, "run")


def test_import_metrics_in_process(
    cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    figures = tmp_path / "so-lieu.csv"
    figures.write_text(
        "Tiêu chí;Tử số;Mẫu số;Kỳ\nHồ sơ nộp trực tuyến;412;1.030;11/2025\n"
        "Kết quả điện tử;350;400;11/2025\n",
        encoding="utf-8",
    )
    capsys.readouterr()

    async def count(app: App) -> int:
        return await stored_rows(app)

    assert main(["import", "metrics", str(figures), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Phường Hòa Phong: tôi đọc được các số liệu tiêu chí thành phần sau:" in out
    assert "• Hồ sơ nộp trực tuyến: 412/1.030 (40%) → 4,8/6 điểm" in out
    assert "Chạy thử: không lưu gì." in out and "**" not in out
    assert with_app(count) == 0

    assert main(["import", "metrics", str(figures)]) == 1  # not a terminal and no --yes
    assert "Chưa lưu" in capsys.readouterr().err
    asked = answer_at_terminal(monkeypatch, "không")
    assert main(["import", "metrics", str(figures)]) == 1
    assert asked == ["Lưu các số liệu này? [c/K] "]
    assert with_app(count) == 0
    answer_at_terminal(monkeypatch, "c")
    assert main(["import", "metrics", str(figures)]) == 0
    assert "Đã lưu 2 số liệu tiêu chí thành phần (tháng 11/2025)." in capsys.readouterr().out
    assert with_app(count) == 2

    monkeypatch.setattr(sys, "stdin", Terminal(tty=False))
    bad = tmp_path / "sai.txt"
    bad.write_text("Tháng 11/2025\nHồ sơ nộp trực tuyến: 1.500/1.030\n", encoding="utf-8")
    assert main(["import", "metrics", str(bad), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Chưa lưu gì:" in err
    assert "Dòng 2, Hồ sơ nộp trực tuyến: tử số 1.500 lớn hơn mẫu số 1.030." in err
    assert main(["import", "metrics", str(tmp_path / "none.csv"), "--yes"]) == 2
    assert main(["import", "metrics", str(figures), "--yes", "--ward", "Phường Khác"]) == 2
    assert with_app(count) == 2


# --- the store, on SQLite and PostgreSQL ------------------------------------------------------


async def test_metric_store_on_every_backend(db_url: str) -> None:
    from datetime import datetime

    from bot.config import Settings
    from ingest.metric_text import FigureDraft, MetricDraft
    from reminders.clock import VN_TZ, FixedClock
    from tests.conftest import setup_example_ward

    clock = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    application = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:
        ward_id = await setup_example_ward(application)
        store = MetricStore(application.repo.sessions)
        now = clock.now()

        def draft(as_of: date, n: int, kind: str = "month") -> MetricDraft:
            figures = [
                FigureDraft("dvc_ho_so_truc_tuyen", "dvc_truc_tuyen", Decimal(n), Decimal(1030)),
                FigureDraft("sh_ket_qua_dien_tu", "so_hoa", Decimal(350), Decimal(400)),
            ]
            period = 11 if kind == "month" else None
            return MetricDraft(kind, 2025, period, as_of, figures)  # type: ignore[arg-type]

        assert await store.save(ward_id, [draft(date(2025, 11, 10), 400)], "a", now) == 2
        # the same date again replaces; a later date is newer; the year's figures apart
        await store.save(ward_id, [draft(date(2025, 11, 10), 405)], "a", now)
        later = draft(date(2025, 11, 15), 412)
        later.figures = later.figures[:1]
        await store.save(ward_id, [later, draft(date(2025, 11, 15), 4120, "year")], "b", now)
        latest = await store.latest(ward_id, "month", 2025, 11)
        assert latest["dvc_ho_so_truc_tuyen"].numerator == 412
        assert latest["dvc_ho_so_truc_tuyen"].as_of == date(2025, 11, 15)
        assert latest["sh_ket_qua_dien_tu"].as_of == date(2025, 11, 10)  # only sent before
        assert (await store.latest(ward_id, "year", 2025, None))["dvc_ho_so_truc_tuyen"].numerator
        assert [(r.kind, r.year, r.period) for r in await store.periods(ward_id)] == [
            ("month", 2025, 11),
            ("year", 2025, 0),
        ]
        assert await store.latest(ward_id + 1, "month", 2025, 11) == {}  # another ward's: none
        with pytest.raises(ValueError):  # a draft is stored with its period and date
            await store.save(ward_id, [MetricDraft(None, None, None, None)], "a", now)
        async with application.repo.sessions() as s:
            rows = await s.scalar(select(func.count()).select_from(m.MetricFigure))
        assert rows == 5
    finally:
        await application.close()


@pytest.mark.parametrize(
    ("kind", "period"), [("month", 11), ("quarter", 4), ("half", 2), ("year", None)]
)
def test_the_example_the_bot_shows_is_read_back_as_its_period(
    kind: str, period: int | None
) -> None:
    from handlers.metric_import import example

    for lang in ("vi", "en"):
        text = example(TABLE, kind, 2025, period or 0, translator(lang))
        [draft] = read_metric_text(text, TABLE, today=TODAY)
        assert (draft.period_kind, draft.year, draft.period) == (kind, 2025, period), text
        assert [f.code for f in draft.figures] == ["dvc_ho_so_truc_tuyen", "sh_ket_qua_dien_tu"]
