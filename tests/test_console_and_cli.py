"""The console channel and the `chiso` command, as an operator uses them."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.console import SEPARATOR, Console
from bot.cli import main
from tests.conftest import EXAMPLE_WARD, ROOT
from tests.test_e2e_telegram import REPORT, store_november


class _Input(io.StringIO):
    def isatty(self) -> bool:
        return False


async def _chat(app: App, who: str, text: str) -> list[str]:
    person = await app.repo.find_person(who)
    assert person is not None
    out = io.StringIO()
    await Console(app.router, person, _Input(text), out).run()
    return [block for block in out.getvalue().split("\n\n") if block]


async def test_console_answers_one_block_per_message(app: App) -> None:
    await store_november(app)
    blocks = await _chat(app, "chairman", "điểm hiện tại?\nxep hang\nhôm nay trời đẹp\n")
    text = "\n\n".join(blocks)
    assert "91,68" in text and "80/114" in text
    assert "Xin lỗi, tôi chưa hiểu" in text
    assert "**" not in text  # markup is stripped on the console


async def test_console_confirms_with_numbers(app: App) -> None:
    paste = '"""\n' + REPORT + '\n"""\n1\nđiểm lũy kế\n'
    text = "\n\n".join(await _chat(app, "admin", paste))
    assert "1. ✅ Lưu" in text and "2. ✖ Hủy" in text
    assert "Đã lưu" in text
    assert "94,72" in text


async def test_console_sends_a_file(app: App, tmp_path: Path) -> None:
    report = tmp_path / "bao-cao.txt"
    report.write_text(REPORT, encoding="utf-8")
    text = "\n\n".join(await _chat(app, "admin", f":file {report}\n2\n:file /nope.txt\n"))
    assert "Lưu các số liệu này?" in text
    assert "Đã hủy; không lưu gì." in text
    assert "Không có tệp: /nope.txt" in text
    assert not await app.repo.has_snapshots(1)


def test_cli_setup_import_and_chats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    out = capsys.readouterr().out
    assert "Đã tạo Phường Hòa Phong" in out and "Đã cập nhật Phường Hòa Phong" in out

    bad = tmp_path / "bad.toml"
    bad.write_text('[ward]\nname = "X"\ncolor = "red"\n', encoding="utf-8")
    assert main(["setup", str(bad)]) == 2
    assert "bad.toml, dòng 3: Khóa “color” không có trong mục [ward]." in capsys.readouterr().err

    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", _Input(""))
    assert main(["import", "scores", str(report)]) == 1  # not a terminal and no --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["import", "scores", str(report), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "91,68" in out and "Đã lưu 2 bộ số liệu." in out

    csv = tmp_path / "bad.csv"
    csv.write_text("as_of,period,total\n15/11/2025,11/2025,120\n", encoding="utf-8")
    assert main(["import", "scores", str(csv), "--yes"]) == 2
    assert "Chưa lưu gì" in capsys.readouterr().err

    assert main(["chats"]) == 0
    out = capsys.readouterr().out
    assert "-1001000000002" in out and "TTPVHCC" in out


def test_chat_command_in_a_pipe(tmp_path: Path) -> None:
    """`chiso chat` reads standard input and prints a block per message (a real process)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.sqlite3'}", "PATH": "/usr/bin:/bin"}
    python = sys.executable
    subprocess.run(
        [python, "-m", "bot.cli", "setup", str(EXAMPLE_WARD)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [python, "-m", "bot.cli", "chat", "--as", "Trần Văn Minh"],
        cwd=ROOT,
        env=env,
        input="diem hien tai\n/help\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    blocks = [b for b in done.stdout.split("\n" + SEPARATOR + "\n") if b.strip()]
    assert "Chưa có số liệu điểm nào của Phường Hòa Phong." in blocks[0]
    assert any("/diem" in b for b in blocks[1:])
