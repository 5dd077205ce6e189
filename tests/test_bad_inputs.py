"""Bad files and imports: each gets a clear Vietnamese refusal and changes no row."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.cli import main
from handlers.reading import ReadingPool, ReadLimits
from ingest.documents import DocumentError, extract_text
from ingest.score_files import read_score_file
from ingest.score_text import read_score_text
from ingest.snapshot_draft import ScoreReadError, SnapshotDraft
from ingest.ward_config import WardConfigError, load_ward_config
from store import models as m
from tests.conftest import EXAMPLE_WARD
from tests.test_e2e_directives import directive_docx
from tests.test_e2e_telegram import ADMIN, REPORT, Bot, _groups, bot

__all__ = ["bot"]
TODAY = date(2025, 11, 20)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _rows(app: App) -> tuple[int, int, int, int]:
    async with app.repo.sessions() as s:
        return (
            await s.scalar(select(func.count()).select_from(m.Snapshot)) or 0,
            await s.scalar(select(func.count()).select_from(m.Task)) or 0,
            await s.scalar(select(func.count()).select_from(m.Directive)) or 0,
            await s.scalar(select(func.count()).select_from(m.PendingAction)) or 0,
        )


def zip_bomb_docx(unpacked: int) -> bytes:
    """A real .docx with one more member of `unpacked` zero bytes (a few kB packed)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(directive_docx())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("word/media/padding.bin", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked // len(chunk)):
                member.write(chunk)
    return out.getvalue()


async def _send_file(bot: Bot, file_id: str, data: bytes, name: str, mime: str) -> str:
    document = bot.tg.add_file(file_id, data, name, mime)
    bot.tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    reply = await bot.tg.wait_for(lambda s: s.chat_id == ADMIN, timeout=20)
    return reply.plain_text or ""


async def _paste(bot: Bot, text: str) -> str:
    since = bot.tg.cursor
    bot.tg.push_message(chat_id=ADMIN, user_id=ADMIN, text=text)
    reply = await bot.tg.wait_for(lambda s: s.chat_id == ADMIN, since=since, timeout=20)
    return reply.plain_text or ""


# --- documents -----------------------------------------------------------------------------


def test_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = zip_bomb_docx(60 * 1024 * 1024)  # 60 MB of zeros, under 100 kB packed
    assert len(bomb) < 200_000
    with pytest.raises(DocumentError) as refused:
        extract_text("bom.docx", bomb)  # the default limit: 50 MB unpacked
    assert refused.value.code == "unpacked_too_large"
    assert extract_text("chi-thi.docx", directive_docx())  # a real one is still read


async def test_zip_bomb_in_chat_gets_a_refusal_and_stores_nothing(bot: Bot) -> None:
    bot.app.services.reader = ReadingPool(ReadLimits(max_unpacked_bytes=1024 * 1024))
    before = await _rows(bot.app)
    text = await _send_file(bot, "bomb", zip_bomb_docx(2 * 1024 * 1024), "bom.docx", DOCX_MIME)
    assert text == "“bom.docx” khi giải nén lớn hơn 1 MB nên tôi không mở; chưa lưu gì."
    assert await _rows(bot.app) == before


async def test_random_bytes_in_a_txt_are_unreadable_not_tasks(bot: Bot) -> None:
    before = await _rows(bot.app)
    noise = os.urandom(64 * 1024)
    text = await _send_file(bot, "noise", noise, "chi-thi.txt", "text/plain")
    assert text == "Không đọc được tệp “chi-thi.txt”; có thể tệp bị hỏng."
    assert await _rows(bot.app) == before
    # without a single NUL byte too: undecodable, or full of control characters
    no_nul = bytes(b or 1 for b in noise)
    assert extract_text_or_code("a.txt", no_nul) == "unreadable_file"
    assert extract_text_or_code("a.txt", "Chỉ thị số 5".encode()) == "Chỉ thị số 5"
    assert extract_text_or_code("a.txt", "Thông báo".encode("cp1258")) == "Thông báo"


def extract_text_or_code(name: str, data: bytes) -> str:
    try:
        return extract_text(name, data)
    except DocumentError as exc:
        return exc.code


# --- score figures -------------------------------------------------------------------------


def test_negative_score_keeps_its_minus_sign() -> None:
    text = REPORT.replace("Tiến độ giải quyết: 19,93/20", "Tiến độ giải quyết: -19,93/20")
    with pytest.raises(ScoreReadError) as refused:
        read_score_text(text, today=TODAY)
    found = {p.code: p.params for p in refused.value.problems}
    assert found["negative_score"] == {"group": "tien_do", "score": "-19.93"}
    # a range or a bullet is not a minus sign
    assert read_score_text(REPORT.replace("; Dịch vụ", "; - Dịch vụ"), today=TODAY)


async def test_negative_score_in_chat_is_refused_and_stores_nothing(bot: Bot) -> None:
    before = await _rows(bot.app)
    text = await _paste(bot, REPORT.replace("Số hóa hồ sơ: 18,89/22", "Số hóa hồ sơ: -18,89/22"))
    assert text.startswith("Chưa lưu gì:")
    assert "Số hóa hồ sơ: điểm không thể âm (-18,89)." in text
    assert await _rows(bot.app) == before


@pytest.mark.parametrize("year", [2021, 2027])
def test_period_outside_2022_to_next_year_is_refused(year: int) -> None:
    text = REPORT.replace("11/2025", f"11/{year}").replace("năm 2025", f"năm {year}")
    with pytest.raises(ScoreReadError) as refused:
        read_score_text(text, today=TODAY)
    codes = {p.code for p in refused.value.problems}
    assert "period_out_of_range" in codes and "date_out_of_range" in codes
    csv = _csv(1).replace("2022", str(year)).encode()
    with pytest.raises(ScoreReadError) as refused:
        read_score_file("diem.csv", csv, today=TODAY)
    assert "period_out_of_range" in {p.code for p in refused.value.problems}


async def test_old_period_in_chat_is_refused_in_vietnamese(bot: Bot) -> None:
    before = await _rows(bot.app)
    text = await _paste(bot, REPORT.replace("11/2025", "11/2019").replace("năm 2025", "năm 2019"))
    assert "11/2019: kỳ số liệu không hợp lệ; số liệu chỉ có từ năm 2022 đến năm 2026." in text
    assert "Ngày số liệu 15/11/2019 không hợp lệ" in text
    assert await _rows(bot.app) == before


def _csv(rows: int) -> str:
    header = "as_of,period,cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa\n"
    line = "15/{m:02d}/{y},{m}/{y},18,19.5,10,9,18,20\n"
    return header + "".join(line.format(m=i % 12 + 1, y=2022 + i % 4) for i in range(rows))


def test_more_rows_than_a_ward_could_have_is_refused_with_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    big = tmp_path / "diem.csv"
    big.write_text(_csv(100_000), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "scores", str(big), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Chưa lưu gì:" in err
    assert "Tệp có 100000 bộ số liệu, nhiều hơn mức một phường có thể có (tối đa 5.000)." in err
    monkeypatch.setenv("CHISO_MAX_IMPORT_ROWS", "10")  # the limit is a setting
    small = tmp_path / "nho.csv"
    small.write_text(_csv(11), encoding="utf-8")
    assert main(["import", "scores", str(small), "--yes"]) == 2
    assert "Tệp có 11 bộ số liệu" in capsys.readouterr().err

    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (0,)


async def test_a_file_is_stored_in_one_transaction(app: App) -> None:
    ward = (await app.repo.wards())[0]
    good = [
        SnapshotDraft("month", 2025, month, date(2025, month, 15), None, groups=_groups())
        for month in range(1, 5)
    ]
    for d in good:
        d.total = d.computed_total()
    broken = SnapshotDraft("month", 2025, 5, None, Decimal("100"), groups=_groups())
    with pytest.raises(AssertionError):  # the third of five fails: the process stops there
        await app.repo.save_snapshots(
            ward.id, [*good[:2], broken, *good[2:]], "t", app.services.clock.now()
        )
    assert (await _rows(app))[0] == 0  # nothing of the file, not the first two
    saved = await app.repo.save_snapshots(ward.id, good, "t", app.services.clock.now())
    assert len(saved) == 4 and (await _rows(app))[0] == 4


# --- ward.toml -----------------------------------------------------------------------------


def test_deeply_nested_ward_toml_is_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = '[ward]\nname = "X"\n[reminders]\nbefore = ' + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(WardConfigError) as refused:
        load_ward_config(deep)
    assert [(p.line, p.problem.code) for p in refused.value.problems] == [(4, "too_deep")]
    inline = '[ward]\nname = "X"\nx = ' + "{a = " * 3000 + "1" + "}" * 3000 + "\n"
    with pytest.raises(WardConfigError):
        load_ward_config(inline)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    path = tmp_path / "ward.toml"
    path.write_text(deep, encoding="utf-8")
    assert main(["setup", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "  ward.toml, dòng 4: Giá trị lồng nhau sâu hơn 16 cấp."
    assert not any("Traceback" in line or "RecursionError" in line for line in err)


async def test_setup_moves_ids_and_departments_in_bulk(app: App) -> None:
    text = EXAMPLE_WARD.read_text(encoding="utf-8")
    cfg = load_ward_config(text)
    people = {p.name: p for p in cfg.people}
    with_tg = [p for p in cfg.people if p.telegram_id][:2]
    a, b = with_tg
    # a and b swap their Telegram ids (unique in the database): no collision on the way
    swapped = text.replace(f"telegram_id = {a.telegram_id}\n", "telegram_id = 1\n")
    swapped = swapped.replace(
        f"telegram_id = {b.telegram_id}\n", f"telegram_id = {a.telegram_id}\n"
    )
    swapped = swapped.replace("telegram_id = 1\n", f"telegram_id = {b.telegram_id}\n")
    from store.setup import apply_ward_config

    async with app.repo.sessions.begin() as s:
        summary = await apply_ward_config(s, load_ward_config(swapped), app.services.clock.now())
    app.repo.invalidate()
    assert summary.updated["people"] == 2 and summary.added["people"] == 0
    got_a = await app.repo.person_by_channel("telegram", str(b.telegram_id))
    got_b = await app.repo.person_by_channel("telegram", str(a.telegram_id))
    assert got_a is not None and got_a.name == a.name
    assert got_b is not None and got_b.name == b.name
    assert len(await app.repo.people((await app.repo.wards())[0].id)) == len(people)


async def test_a_file_full_of_errors_gets_a_short_refusal(bot: Bot) -> None:
    before = await _rows(bot.app)
    header = "period;total;cong_khai;tien_do;dvc_truc_tuyen;thanh_toan;hai_long;so_hoa\n"
    rows = "".join(f"{m}/2025;abc;18;hai mươi;12;10;18;22\n" for m in range(1, 13))
    text = await _send_file(bot, "bad-csv", (header + rows).encode(), "diem.csv", "text/csv")
    assert text.startswith("Chưa lưu gì:")
    bullets = [line for line in text.splitlines() if line.startswith("•")]
    assert len(bullets) == 20  # the first twenty, then how many more
    assert text.rstrip().endswith("… và 4 lỗi khác.")
    assert await _rows(bot.app) == before
