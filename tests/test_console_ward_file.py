"""Issue #12, "Console and ward file": what a ward's IT officer sees running everything from
the console — `chiso import directive`, `chiso tasks`, `chiso chat` in a pipe and `--as`,
ward.toml checked completely, score imports that refuse unknown columns and say what they
replace, and an unreachable database told in one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.console import SEPARATOR
from bot.cli import main
from ingest.score_text import read_score_text
from store import models as m
from tests.conftest import EXAMPLE_WARD, ROOT
from tests.test_cli_inprocess import answer_at_terminal, cli, with_app
from tests.test_e2e_telegram import REPORT

__all__ = ["cli"]  # the fixture

DIRECTIVE = "\n".join(
    (
        "ỦY BAN NHÂN DÂN PHƯỜNG HÒA PHONG",
        "Số: 15/CT-UBND",
        "Hòa Phong, ngày 17 tháng 11 năm 2025",
        "CHỈ THỊ",
        "Về việc tăng cường cải thiện Bộ chỉ số phục vụ người dân, doanh nghiệp",
        "Chủ tịch Ủy ban nhân dân phường yêu cầu các phòng, đơn vị thực hiện tốt các nội dung sau:",
        "1. Trung tâm Phục vụ hành chính công",
        "- Số hóa 100% hồ sơ thủ tục hành chính tiếp nhận trong tháng; hoàn thành trước ngày "
        "28/11/2025.",
        "- Báo cáo Chủ tịch Ủy ban nhân dân phường kết quả Bộ chỉ số vào thứ Hai hằng tuần.",
        "2. Phòng Văn hóa - Xã hội",
        "- Tuyên truyền thanh toán trực tuyến trên nhóm Zalo các tổ dân phố; hoàn thành trước "
        "ngày 15/11/2025.",
        "Nơi nhận:",
        "- Như trên;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Trần Văn Minh",
    )
)


@pytest.fixture
def directive(tmp_path: Path) -> Path:
    path = tmp_path / "chi-thi-15.txt"
    path.write_text(DIRECTIVE, encoding="utf-8")
    return path


def _setup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    capsys.readouterr()


# --- chiso import directive ---------------------------------------------------------------


def test_import_directive_in_a_pipe_refuses_without_yes(
    cli: str, directive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    assert main(["import", "directive", str(directive)]) == 1
    got = capsys.readouterr()
    assert "15/CT-UBND" in got.out  # the chat's preview
    assert "Trung tâm Phục vụ hành chính công" in got.out
    assert "--yes" in got.err
    assert main(["tasks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_import_directive_asks_at_a_terminal_and_stores(
    cli: str, directive: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    asked = answer_at_terminal(monkeypatch, "không")
    assert main(["import", "directive", str(directive)]) == 1
    assert "Đã hủy; không lưu gì." in capsys.readouterr().out
    assert asked == ["Lưu văn bản chỉ đạo này? [c/K] "]

    answer_at_terminal(monkeypatch, "có")
    assert main(["import", "directive", str(directive)]) == 0
    out = capsys.readouterr().out
    assert "Đã lưu: 3 việc" in out


def test_tasks_lists_filters_and_gives_json(
    cli: str, directive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    assert main(["import", "directive", str(directive), "--yes"]) == 0
    capsys.readouterr()

    assert main(["tasks", "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)
    assert [t["number"] for t in tasks] == [1, 2, 3]
    first = tasks[0]
    assert set(first) >= {
        "number",
        "directive",
        "departments",
        "role",
        "task",
        "deadline",
        "recurrence",
        "status",
        "closed_by",
        "closed_at",
        "evidence",
    }
    assert first["directive"]["number"] == "15/CT-UBND"
    assert first["departments"] == ["TTPVHCC"] and first["role"] == "lead"
    assert first["deadline"] == "2025-11-28" and first["status"] == "open"
    weekly = tasks[1]
    assert weekly["recurrence"] and weekly["deadline"] is None
    late = tasks[2]
    assert late["departments"] == ["VHXH"] and late["status"] == "overdue"  # today is 20/11

    assert main(["tasks", "--status", "overdue", "--json"]) == 0
    assert [t["number"] for t in json.loads(capsys.readouterr().out)] == [3]
    assert main(["tasks", "--department", "TTPVHCC", "--json"]) == 0
    assert [t["number"] for t in json.loads(capsys.readouterr().out)] == [1, 2]
    assert main(["tasks", "--status", "done"]) == 0
    assert "Không có việc nào phù hợp." in capsys.readouterr().out
    assert main(["tasks", "--department", "ABC"]) == 2
    assert "không có phòng “ABC”" in capsys.readouterr().err

    assert main(["tasks"]) == 0
    listing = capsys.readouterr().out
    assert "#1" in listing and "Số hóa 100% hồ sơ" in listing and "**" not in listing

    # the subcommand still works next to the listing
    assert main(["tasks", "reschedule", "1", "05/12/2025"]) == 0
    assert "hạn mới là 05/12/2025" in capsys.readouterr().out
    assert main(["tasks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["deadline"] == "2025-12-05"


# --- chiso chat -------------------------------------------------------------------------------


def _ward_with_two_staff(tmp_path: Path) -> Path:
    text = EXAMPLE_WARD.read_text(encoding="utf-8") + (
        '\n[[people]]\nname = "Phạm Thu Hà"\nrole = "staff"\ndepartments = ["VHXH"]\n'
    )
    path = tmp_path / "ward.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_chat_in_a_pipe_ends_each_reply_with_a_separator(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.sqlite3'}", "PATH": "/usr/bin:/bin"}
    python = sys.executable
    ward = _ward_with_two_staff(tmp_path)
    subprocess.run(
        [python, "-m", "bot.cli", "setup", str(ward)], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    done = subprocess.run(
        [python, "-m", "bot.cli", "chat", "--as", "pham thu ha"],
        cwd=ROOT,
        env=env,
        input="diem hien tai\n/help\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("\n" + SEPARATOR + "\n")
    assert blocks[-1] == ""  # the output ends with a separator
    assert len(blocks) == 3  # two messages, two blocks
    assert "Chưa có số liệu điểm nào của Phường Hòa Phong." in blocks[0]
    assert "/diem" in blocks[1]

    several = subprocess.run(
        [python, "-m", "bot.cli", "chat", "--as", "staff"],
        cwd=ROOT,
        env=env,
        input="diem\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert several.returncode == 2
    assert "“staff” ứng với 2 người: Nguyễn Thị Lan, Phạm Thu Hà." in several.stderr
    assert "Traceback" not in several.stderr


# --- ward.toml --------------------------------------------------------------------------------


def test_ward_file_problems_are_sentences_with_their_lines(
    cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "ward.toml"
    bad.write_text(
        "\n".join(
            (
                "[ward]",  # 1
                'name = "Phường X"',  # 2
                "[[departments]]",  # 3
                'code = "VP"',  # 4
                'name = "Văn phòng"',  # 5
                "[[people]]",  # 6
                'name = "An"',  # 7
                'role = "admin"',  # 8
                'telegram_id = "abc"',  # 9
                "[[people]]",  # 10
                'name = "An"',  # 11
                'role = "staff"',  # 12
                'zalo_id = ""',  # 13
                "[[chats]]",  # 14
                'channel = "telegram"',  # 15
                'chat_id = "nhom-vp"',  # 16
                'kind = "leadership"',  # 17
            )
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["setup", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "dòng 9: telegram_id của An phải là một số nguyên" in err
    assert "dòng 11: An được khai báo hai lần (lần đầu ở dòng 7)" in err
    assert "dòng 13: zalo_id của An đang để trống" in err
    assert "dòng 16: chat_id của telegram phải là một số nguyên" in err
    for code in ("Lỗi:", "duplicate_", "not_an_integer", "empty_id", "bad_setting"):
        assert code not in err
    assert with_app(lambda app: app.repo.wards()) == []  # nothing written

    bad.write_text('[ward]\nname = "Phường X\nprovince = "Y"\n', encoding="utf-8")
    assert main(["setup", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "dòng 2: Một đoạn chữ chưa được đóng" in err
    assert "Illegal" not in err and "character" not in err

    bad.write_text("[ward]\nname = Phường X\n", encoding="utf-8")
    assert main(["setup", str(bad)]) == 2
    assert "dòng 2: Giá trị không hợp lệ" in capsys.readouterr().err


def test_a_chat_removed_from_the_file_is_deactivated(
    cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    text = EXAMPLE_WARD.read_text(encoding="utf-8")
    residents = text.index('[[chats]]\nchannel = "telegram"\nchat_id = "-1001000000003"')
    smaller = tmp_path / "ward.toml"
    smaller.write_text(text[:residents], encoding="utf-8")
    assert main(["setup", str(smaller)]) == 0
    out = capsys.readouterr().out
    assert "1 nhóm chat không còn trong tệp nên đã ngừng hoạt động" in out
    assert "Tổ dân phố 1" in out

    async def residents_chat(app: object) -> tuple[bool, int | None]:
        async with app.repo.sessions() as s:  # type: ignore[attr-defined]
            chat = await s.scalar(select(m.Chat).where(m.Chat.chat_id == "-1001000000003"))
            return chat.active, chat.ward_id

    assert with_app(residents_chat) == (False, None)
    # listed again: active again
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert "ngừng hoạt động" not in capsys.readouterr().out
    active, ward_id = with_app(residents_chat)
    assert active and ward_id is not None


def test_groups_without_an_owner_are_a_warning(
    cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE_WARD.read_text(encoding="utf-8").replace('so_hoa = "TTPVHCC"\n', "")
    text = text.replace('tien_do = "VP"\n', "")
    path = tmp_path / "ward.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["setup", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Lưu ý: chưa có phòng nào phụ trách Tiến độ giải quyết, Số hóa hồ sơ" in out


# --- chiso import scores ----------------------------------------------------------------------


def test_import_scores_refuses_a_column_the_index_does_not_have(
    cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    csv = tmp_path / "scores.csv"
    csv.write_text(
        "period,total,cong_khai,tien_do,dvc_truc_tuyen,thanh_toan,hai_long,so_hoa,an_ninh\n"
        "11/2025,90,15,19,11,9,16,20,5\n",
        encoding="utf-8",
    )
    assert main(["import", "scores", str(csv), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Tệp có cột “an_ninh” mà Chỉ số không có" in err
    assert not with_app(lambda app: app.repo.has_snapshots(1))


def test_import_scores_says_what_it_replaces(
    cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    assert main(["import", "scores", str(report), "--yes"]) == 0
    assert "Thay số liệu" not in capsys.readouterr().out
    assert main(["import", "scores", str(report), "--yes"]) == 0
    assert "⚠ Thay số liệu tháng 11/2025 đã lưu ngày" in capsys.readouterr().out


def test_group_scores_without_max_are_read() -> None:
    text = (
        "Kết quả Chỉ số phục vụ người dân, doanh nghiệp tháng 11/2025 của phường: Công khai, "
        "minh bạch 13,2; Tiến độ giải quyết 19,93; Dịch vụ công trực tuyến 10,5; Thanh toán "
        "trực tuyến 9; Mức độ hài lòng 17,6; Số hóa hồ sơ 20. Tổng điểm: 90,23."
    )
    (draft,) = read_score_text(text, today=date(2025, 12, 1))
    assert str(draft.groups["cong_khai"].score) == "13.2"
    assert str(draft.groups["cong_khai"].max_score) == "18"
    assert str(draft.total) == "90.23"


# --- an unreachable database ------------------------------------------------------------------


def test_an_unreachable_database_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://chiso:secret@127.0.0.1:1/chiso")
    assert main(["chats"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith("Không mở được cơ sở dữ liệu")
    assert "không có gì trả lời ở địa chỉ và cổng đó" in err
    assert "secret" not in err
