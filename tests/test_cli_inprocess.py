"""`chiso` driven in this process (`bot.cli.main([...])`), on a temporary SQLite database:
what an operator sees on the terminal and what is stored. The broadcast commands pass the
same checks as /phatthanh and say the same sentences; yes/no at a terminal are the
vocabulary's words."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from bot.app import App
from bot.cli import build_parser, main
from bot.config import Settings, load_settings
from handlers.protocol import Inbound
from store.keys import reminder_key
from store.tasks import NewDirective
from tests.conftest import EXAMPLE_WARD
from tests.test_e2e_telegram import REPORT
from tests.test_reminders_flow import DEPT_CHAT, ttpvhcc

T = TypeVar("T")
NOW = "2025-11-20T09:00:00+07:00"  # a Thursday morning, within office hours
DIGITAL = "700000005"  # the example ward's community digital team
RESIDENTS = "-1001000000003"  # its one residents' group
CHANNEL_SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "ZALO_BOT_TOKEN",
    "ZALO_OA_APP_ID",
    "ZALO_OA_SECRET_KEY",
    "ZALO_OA_ID",
)


class Terminal(io.StringIO):
    """Standard input that is (or is not) a terminal."""

    def __init__(self, tty: bool):
        super().__init__("")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database for `chiso`, the clock at NOW, no channel configured, no terminal."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CHISO_START_AT", NOW)
    for name in CHANNEL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal(tty=False))
    yield url


def answer_at_terminal(monkeypatch: pytest.MonkeyPatch, words: str) -> list[str]:
    """The operator types `words` at the terminal; returns the questions asked."""
    asked: list[str] = []

    def typed(question: str = "") -> str:
        asked.append(question)
        return words

    monkeypatch.setattr(sys, "stdin", Terminal(tty=True))
    monkeypatch.setattr("builtins.input", typed)
    return asked


def with_app(use: Callable[[App], Awaitable[T]]) -> T:
    """`await use(app)` on an App of the CLI's database and clock (the same settings)."""

    async def go() -> T:
        app = await App.open(load_settings(), charts=False)
        try:
            return await use(app)
        finally:
            await app.close()

    return asyncio.run(go())


def test_the_parser_has_every_command_group() -> None:
    parser = build_parser()
    for argv in (
        ["run"],
        ["chat", "--as", "admin"],
        ["demo", "--reset"],
        ["setup", "ward.toml"],
        ["import", "scores", "a.csv", "--yes"],
        ["chats"],
        ["parse", "directive", "a.txt", "--json"],
        ["reminders", "plan", "--at", "2025-11-24T07:30"],
        ["reminders", "run"],
        ["tasks", "reschedule", "1", "15/12/2025"],
        ["broadcast", "send", "--to", "all", "--text", "x"],
        ["broadcast", "status"],
        ["broadcast", "cancel", "1"],
        ["db", "upgrade"],
    ):
        args = parser.parse_args(argv)
        assert hasattr(args, "run") or hasattr(args, "run_sync"), argv


def test_setup_chats_and_db(cli: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chats"]) == 0
    assert "Bot chưa thấy nhóm chat nào." in capsys.readouterr().out
    assert main(["setup", "nowhere.toml"]) == 2
    assert "nowhere.toml" in capsys.readouterr().err
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert "Đã tạo Phường Hòa Phong" in capsys.readouterr().out
    assert main(["chats"]) == 0
    listing = capsys.readouterr().out
    assert RESIDENTS in listing and "Tổ dân phố 1" in listing and "TTPVHCC" in listing
    assert main(["db", "upgrade"]) == 0
    assert "Cơ sở dữ liệu đã ở phiên bản mới nhất." in capsys.readouterr().out


def test_a_command_on_a_ward_that_does_not_exist(
    cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["broadcast", "status"]) == 2
    assert "Chưa có phường/xã này; hãy chạy `chiso setup ward.toml` trước." in (
        capsys.readouterr().err
    )
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert main(["broadcast", "status", "--ward", "Phường Khác"]) == 2
    assert "Chưa có phường/xã này" in capsys.readouterr().err


def test_import_scores_asks_with_the_vocabulary_words(
    cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "scores", str(report)]) == 1  # not a terminal and no --yes
    assert "Chưa lưu" in capsys.readouterr().err

    asked = answer_at_terminal(monkeypatch, "không")
    assert main(["import", "scores", str(report)]) == 1
    assert "Đã hủy; không lưu gì." in capsys.readouterr().out
    assert asked == ["Lưu các số liệu này? [c/K] "]

    answer_at_terminal(monkeypatch, "Đồng ý!")  # a yes word of vocabulary.toml, as typed
    assert main(["import", "scores", str(report)]) == 0
    assert "Đã lưu 2 bộ số liệu." in capsys.readouterr().out

    assert main(["import", "scores", str(report), "--yes"]) == 0
    assert "Đã lưu 2 bộ số liệu." in capsys.readouterr().out
    assert main(["import", "scores", str(tmp_path / "none.csv"), "--yes"]) == 2


def _chat_says(inbound: Inbound) -> Callable[[App], Awaitable[str]]:
    async def use(app: App) -> str:
        return "\n".join(r.text for r in await app.router.handle(inbound))

    return use


def _digital(text: str = "", **kw: object) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=DIGITAL,
        chat_kind="private",
        user_id=DIGITAL,
        text=text,
        **kw,  # type: ignore[arg-type]
    )


def _tap(data: str) -> Callable[[App], Awaitable[str]]:
    async def use(app: App) -> str:
        pending = await app.repo.pending("telegram", DIGITAL, DIGITAL)
        assert pending is not None
        inbound = _digital(event="button", button_data=f"p{pending.id}:{data}")
        return "\n".join(r.text for r in await app.router.handle(inbound))

    return use


def test_broadcast_send_refuses_what_the_chat_refuses(
    cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    capsys.readouterr()
    send = ["broadcast", "send", "--to", "kind:residents", "--text", "Lịch tiêm chủng", "--yes"]

    # a time already past: refused, with the sentence /phatthanh answers
    assert main([*send, "--at", "8h sáng nay"]) == 2
    cli_says = capsys.readouterr().err.strip()
    with_app(_chat_says(_digital("/phatthanh Lịch tiêm chủng")))
    with_app(_tap("kind:residents"))
    chat_says = with_app(_chat_says(_digital("8h sáng nay")))
    assert cli_says == chat_says == "Thời điểm này đã qua; anh/chị chọn thời điểm sau."

    assert main([*send, "--at", "bao giờ cũng được"]) == 2
    assert "Tôi không hiểu thời gian “bao giờ cũng được”" in capsys.readouterr().err
    assert main(["broadcast", "send", "--to", "tag:tdp-9", "--text", "x", "--yes"]) == 2
    assert "Không có nhóm đã đăng ký nào khớp “tag:tdp-9”" in capsys.readouterr().err
    assert main(["broadcast", "send", "--to", "khong:co", "--text", "x", "--yes"]) == 2
    assert "không hiểu đối tượng “khong:co”" in capsys.readouterr().err

    assert main(["broadcast", "status"]) == 0  # nothing was queued by any of these
    assert "Chưa gửi thông báo nào." in capsys.readouterr().out


def test_broadcast_send_status_and_cancel(
    cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    capsys.readouterr()
    send = ["broadcast", "send", "--to", "kind:residents", "--text", "Lịch tiêm chủng"]
    assert main(send) == 1  # not a terminal and no --yes
    assert "Chưa gửi: khi không chạy trong cửa sổ lệnh" in capsys.readouterr().err

    answer_at_terminal(monkeypatch, "thôi")  # a no word
    assert main(send) == 1
    assert "Đã hủy; không gửi gì." in capsys.readouterr().out

    asked = answer_at_terminal(monkeypatch, "c")  # the prompt's own letter for "có"
    assert main([*send, "--at", "8h sáng mai"]) == 0
    out = capsys.readouterr().out
    assert asked == ["Gửi? [c/K] "]
    assert "Gửi tới 1 nhóm (tất cả nhóm người dân), lúc 08:00 21/11/2025." in out
    assert "Thông báo #1 đã xếp hàng gửi tới 1 nhóm" in out

    # outside office hours: said plainly, and queued when confirmed
    photo = tmp_path / "so-do.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main([*send, "--at", "21:00 20/11", "--file", str(photo), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "ngoài giờ hành chính" in out and "Thông báo #2 đã xếp hàng" in out

    async def second(app: App) -> tuple[bool, str | None]:
        rec = await app.services.broadcasts.get(None, 2)
        assert rec is not None
        rows = await app.services.outbox.rows("broadcast:2:")
        return bool(rec.outside_hours), str([r[1:4] for r in rows])

    outside, rows = with_app(second)
    assert outside and RESIDENTS in rows

    assert main(["broadcast", "status", "1"]) == 0
    assert "Đã gửi 0/1" in capsys.readouterr().out
    assert main(["broadcast", "status"]) == 0
    listed = capsys.readouterr().out
    assert "#1" in listed and "#2" in listed
    assert main(["broadcast", "status", "9"]) == 2
    assert "Không có thông báo #9." in capsys.readouterr().err
    assert main(["broadcast", "cancel", "1"]) == 0
    assert "Đã dừng thông báo #1: 1 nhóm" in capsys.readouterr().out
    assert main(["broadcast", "cancel", "9"]) == 2
    assert "Không có thông báo #9." in capsys.readouterr().err
    assert main([*send, "--file", str(tmp_path / "none.pdf"), "--yes"]) == 2
    assert "none.pdf" in capsys.readouterr().err


def test_broadcast_leaves_out_chats_of_channels_this_bot_does_not_run(
    cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ward = tmp_path / "ward.toml"
    ward.write_text(
        EXAMPLE_WARD.read_text(encoding="utf-8")
        + '\n[[chats]]\nchannel = "zalo"\nchat_id = "zg-7"\nkind = "residents"\n'
        + 'tags = ["tdp-7"]\ntitle = "Tổ dân phố 7"\n',
        encoding="utf-8",
    )
    assert main(["setup", str(ward)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
    send = ["broadcast", "send", "--text", "Lịch tiêm chủng", "--yes"]
    assert main([*send, "--to", "kind:residents"]) == 0
    out = capsys.readouterr().out
    assert "1 nhóm bị bỏ qua: bot này không chạy kênh zalo." in out
    assert "Thông báo #1 đã xếp hàng gửi tới 1 nhóm" in out
    assert main([*send, "--to", "tag:tdp-7"]) == 2
    assert "Không nhóm nào trong số này nhận được tin: bot này không chạy kênh zalo." in (
        capsys.readouterr().err
    )


def _seed_task(url: str) -> None:
    async def seed() -> None:
        app = await App.open(Settings(database_url=url), charts=False)
        try:
            directive = NewDirective(
                kind="chi_thi",
                number="15/CT-UBND",
                tasks=[ttpvhcc("Việc A", deadline=date(2025, 12, 5))],
            )
            await app.services.tasks.save_directive(1, directive, "t", app.services.clock.now())
        finally:
            await app.close()

    asyncio.run(seed())


def test_reminders_plan_and_tasks_reschedule(
    cli: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    _seed_task(cli)
    capsys.readouterr()
    assert main(["reminders", "plan", "--at", "2025-11-26T07:30", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert [(p["key"], p["send_at"]) for p in planned] == [
        (
            reminder_key(1, date(2025, 12, 5), "before-7", "telegram", DEPT_CHAT),
            "2025-11-26T07:30:00+07:00",
        )
    ]
    assert "việc #1 có hạn" in planned[0]["text"] and "05/12/2025" in planned[0]["text"]
    assert main(["reminders", "plan", "--at", "2025-11-29T07:30"]) == 0  # a Saturday
    assert "Không có nhắc việc nào vào 2025-11-29T07:30+07:00." in capsys.readouterr().out
    assert main(["reminders", "plan", "--at", "thứ hai"]) == 2
    assert "không phải thời điểm dạng ISO" in capsys.readouterr().err

    monkeypatch.setenv("USER", "thu_ky")
    assert main(["tasks", "reschedule", "1", "19/12/2025", "--reason", "chờ số liệu"]) == 0
    out = capsys.readouterr().out
    assert "19/12/2025" in out and "05/12/2025" in out
    assert main(["reminders", "plan", "--at", "2025-11-26T07:30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the old deadline's step is gone
    assert main(["tasks", "reschedule", "1", "99/99"]) == 2
    assert "Tôi không hiểu ngày “99/99”" in capsys.readouterr().err
    assert main(["tasks", "reschedule", "7", "20/12/2025"]) == 2
    assert "Không có việc #7." in capsys.readouterr().err


def test_parse_directive_and_commands_without_a_channel(
    cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    directive = Path(__file__).parent / "data" / "directives" / "cong-van-bang-nhiem-vu.txt"
    assert main(["parse", "directive", str(directive), "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["tasks"]
    assert main(["parse", "directive", str(directive), "--ward-config", str(EXAMPLE_WARD)]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["parse", "directive", "none.txt"]) == 2
    assert "none.txt" in capsys.readouterr().err

    assert main(["reminders", "run"]) == 2  # reminders go through a messenger
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert main(["chat", "--as", "Không Ai Cả"]) == 2
    assert "Không Ai Cả" in capsys.readouterr().err


def test_every_command_says_in_vietnamese_why_a_file_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "khong-co.csv"
    for argv in (
        ["import", "scores", str(missing), "--yes"],
        ["import", "directive", str(missing), "--yes"],
        ["setup", str(missing)],
    ):
        assert main(argv) == 2
        assert f"Không có tệp: {missing}" in capsys.readouterr().err
    bad = tmp_path / "ward.toml"
    bad.write_bytes(b"\xff\xfe\xfa name = 'x'")
    assert main(["setup", str(bad)]) == 2
    assert "không phải văn bản UTF-8" in capsys.readouterr().err
