"""`chiso portal fetch` and `chiso portal status`, driven in this process against the
stand-in portal (running on its own loop in a thread): what an operator reads, what is
stored."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.cli import build_parser, main
from bot.config import load_settings
from store import models as m
from tests.fakes.portal_api import FakePortal, PortalThread
from tests.test_cli_inprocess import Terminal
from tests.test_portal_fetch import ward_toml

NOW = "2025-11-20T09:00:00+07:00"


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    with PortalThread() as fake:
        yield fake


@pytest.fixture
def ward_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: FakePortal
) -> Iterator[Path]:
    """A fresh database for `chiso` with the clock at NOW, and Thiên Hương's ward.toml."""
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CHISO_START_AT", NOW)
    monkeypatch.setenv("CHISO_PORTAL_TIMEOUT", "5")
    monkeypatch.setattr(sys, "stdin", Terminal(tty=False))
    path = tmp_path / "ward.toml"
    path.write_text(ward_toml(portal.base_url), encoding="utf-8")
    yield path


def counts() -> tuple[int, int, int, int]:
    """Snapshots, province rows, runs and outbox rows in the CLI's database."""

    async def go() -> tuple[int, int, int, int]:
        app = await App.open(load_settings(), charts=False)
        try:
            async with app.repo.sessions() as s:
                found = [
                    int(await s.scalar(select(func.count()).select_from(model)) or 0)
                    for model in (m.Snapshot, m.ProvinceRow, m.PortalRun, m.Outbox)
                ]
            return found[0], found[1], found[2], found[3]
        finally:
            await app.close()

    return asyncio.run(go())


def test_the_parser_knows_the_portal_commands() -> None:
    parser = build_parser()
    for argv in (
        ["portal", "fetch"],
        ["portal", "fetch", "--period", "2025-11", "--dry-run", "--ward", "X"],
        ["portal", "status", "--ward", "X"],
    ):
        assert hasattr(parser.parse_args(argv), "run"), argv


def test_a_dry_run_says_what_would_change_and_stores_nothing(
    ward_file: Path, portal: FakePortal, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(ward_file)]) == 0
    capsys.readouterr()
    assert main(["portal", "fetch", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "Phường Thiên Hương — Cổng Dịch vụ công quốc gia, 09:00 20/11/2025:" in text
    assert (
        "• tháng 11/2025: số liệu đầu tiên, chưa lưu (chạy thử) — tổng 91,68 điểm, hạng 80/114"
        in text
    )
    assert "• lũy kế năm 2025: số liệu đầu tiên, chưa lưu (chạy thử)" in text
    assert "Chạy thử: không lưu và không gửi gì." in text
    assert counts() == (0, 0, 0, 0)
    assert len(portal.requests) == 4  # two periods, two pages of 100 each


def test_fetch_then_status_then_a_failure(
    ward_file: Path, portal: FakePortal, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(ward_file)]) == 0
    assert main(["portal", "status"]) == 0
    text = capsys.readouterr().out
    assert "Hằng ngày lúc 06:30; các kỳ: tháng 11/2025, lũy kế năm 2025." in text
    assert "Lần lấy thành công gần nhất: chưa có." in text

    assert main(["portal", "fetch", "--period", "2025-11"]) == 0
    text = capsys.readouterr().out
    assert "• tháng 11/2025: đã lưu số liệu đầu tiên — tổng 91,68 điểm, hạng 80/114" in text
    assert "lũy kế" not in text  # only the period asked for
    assert counts() == (1, 114, 1, 0)

    portal.set_score("Phường Thiên Hương", "TTTT", "9.07", p_thang=11)
    assert main(["portal", "fetch", "--period", "2025-11"]) == 0
    text = capsys.readouterr().out
    assert "• tháng 11/2025: đã lưu số liệu mới:" in text
    assert "    • Dịch vụ công trực tuyến: 8,07 → 9,07" in text
    assert "    • Tổng điểm: 91,68 → 92,68" in text
    assert main(["portal", "fetch", "--period", "2025-11"]) == 0
    assert "• tháng 11/2025: không đổi (tổng 92,68 điểm, hạng " in capsys.readouterr().out

    portal.mode = "waf"
    assert main(["portal", "fetch"]) == 1
    captured = capsys.readouterr()
    assert "• tháng 11/2025: không lấy được — tường lửa của Cổng đã từ chối yêu cầu" in (
        captured.out
    )
    assert "Không lấy được số liệu: tường lửa của Cổng đã từ chối yêu cầu." in captured.err
    snapshots, rows, runs, told = counts()
    # the day's second figures replaced the first (one snapshot per period and as-of date)
    assert (snapshots, rows, runs) == (1, 114, 4)
    assert told == 1  # the administrator, once for this failure streak

    assert main(["portal", "status"]) == 0
    text = capsys.readouterr().out
    assert "Lần lấy thành công gần nhất: 09:00 20/11/2025." in text
    assert "Lần lấy lỗi gần nhất: 09:00 20/11/2025 — tường lửa của Cổng đã từ chối yêu cầu." in (
        text
    )
    assert "HTTP 403" in text  # the portal's own words, for the operator
    assert "Đang lỗi liên tiếp: 1 lần liền, từ 09:00 20/11/2025." in text


def test_bad_period_and_a_ward_without_portal(
    ward_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(ward_file)]) == 0
    capsys.readouterr()
    assert main(["portal", "fetch", "--period", "2025-13"]) == 2
    assert "“2025-13” không phải là một kỳ" in capsys.readouterr().err
    text = ward_file.read_text(encoding="utf-8")
    ward_file.write_text(text[: text.index("[portal]")], encoding="utf-8")
    assert main(["setup", str(ward_file)]) == 0
    capsys.readouterr()
    assert main(["portal", "fetch"]) == 2
    assert "chưa có mục [portal] trong ward.toml" in capsys.readouterr().err
    assert main(["portal", "status"]) == 0
    assert "Việc lấy số liệu hằng ngày đang tắt" in capsys.readouterr().out
