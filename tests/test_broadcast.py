"""Broadcasts by the community digital team: the chat flow, who may send, reports, cancel,
and 300 groups over the flood-limited fake Bot API while people keep asking questions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.cli import main
from bot.config import Settings
from bot.runner import running
from handlers.protocol import Inbound
from reminders.clock import VN_TZ, OffsetClock
from tests.conftest import EXAMPLE_WARD, setup_example_ward
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.test_e2e_telegram import Bot, store_november

DIGITAL, STAFF, CHAIRMAN = "700000005", "700000004", 700000001
RESIDENTS = "-1001000000003"  # the one residents' group of examples/ward.toml
ASKERS = (700000001, 700000002, 700000003, 700000004, 700000005)  # the example ward's people
HANG = 120.0  # seconds: only guards against a hang; the tests never measure time


def msg(user: str, text: str = "", **kw: object) -> Inbound:
    return Inbound(
        channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text, **kw
    )  # type: ignore[arg-type]


async def say(app: App, inbound: Inbound) -> str:
    return "\n".join(r.text for r in await app.router.handle(inbound))


async def tap(app: App, user: str, data_of: str) -> str:
    pending = await app.repo.pending("telegram", user, user)
    assert pending is not None
    return await say(app, msg(user, event="button", button_data=f"p{pending.id}:{data_of}"))


async def test_the_flow_from_message_to_queue(app: App) -> None:
    assert "Chỉ Tổ công nghệ số" in await say(app, msg(STAFF, "/phatthanh"))
    assert "gửi nội dung" in await say(app, msg(DIGITAL, "gửi thông báo"))
    ask_audience = await say(app, msg(DIGITAL, "Từ 1/12, nộp hồ sơ trực tuyến được giảm lệ phí."))
    assert "Gửi tới đâu?" in ask_audience
    assert "1 nhóm" in await tap(app, DIGITAL, "kind:residents")
    preview = await say(app, msg(DIGITAL, "8h sáng mai"))
    assert "Từ 1/12, nộp hồ sơ trực tuyến được giảm lệ phí." in preview
    assert "Gửi tới 1 nhóm (tất cả nhóm người dân), lúc 08:00 21/11/2025." in preview
    queued = await tap(app, DIGITAL, "confirm")
    assert "Thông báo #1 đã xếp hàng gửi tới 1 nhóm" in queued
    rows = await app.services.outbox.rows("broadcast:1:")
    assert [(r[1], r[2], r[3]) for r in rows] == [("telegram", RESIDENTS, "pending")]
    status = await say(app, msg(DIGITAL, "/tinhtrang 1"))
    assert "Đã gửi 0/1" in status and "đang chờ 1" in status
    assert "Đã dừng thông báo #1: 1 nhóm" in await say(app, msg(DIGITAL, "/huyphat 1"))
    rows = await app.services.outbox.rows("broadcast:1:")
    assert rows[0][3] == "cancelled"


async def test_ready_texts_and_bad_answers(app: App) -> None:
    listing = await say(app, msg(DIGITAL, "/mau"))
    assert "1. Nộp hồ sơ trực tuyến" in listing and "Chứng thực bản sao điện tử" in listing
    assert "Gửi tới đâu?" in await say(app, msg(DIGITAL, "/mau 1"))
    assert "không hiểu đối tượng" in await say(app, msg(DIGITAL, "tag:khong-co-that, xyz"))
    assert "Không có nhóm đã đăng ký nào khớp" in await say(app, msg(DIGITAL, "tag:tdp-9"))
    assert "1 nhóm" in await say(app, msg(DIGITAL, "tag:tdp-1"))
    assert "không hiểu thời gian" in await say(app, msg(DIGITAL, "bao giờ cũng được"))
    preview = await tap(app, DIGITAL, "now")
    assert "HƯỚNG DẪN NỘP HỒ SƠ TRỰC TUYẾN" in preview
    assert "Đã hủy; không gửi gì." in await tap(app, DIGITAL, "cancel")
    assert await app.services.outbox.rows("broadcast:") == []


def test_operator_broadcasts_from_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    assert (
        main(["broadcast", "send", "--to", "kind:residents", "--text", "Xin chào bà con", "--yes"])
        == 0
    )
    assert "Thông báo #1 đã xếp hàng gửi tới 1 nhóm" in capsys.readouterr().out
    assert main(["broadcast", "send", "--to", "tag:none", "--text", "x", "--yes"]) == 2
    assert main(["broadcast", "status", "1"]) == 0
    assert "Đã gửi 0/1" in capsys.readouterr().out
    assert main(["broadcast", "cancel", "1"]) == 0
    assert "Đã dừng thông báo #1" in capsys.readouterr().out


@pytest.fixture
async def flooded(tmp_path: Path) -> AsyncIterator[Bot]:
    """The bot against a fake Bot API that enforces Telegram's flood limits."""
    clock = OffsetClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    app = await App.open(Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}"), clock=clock)
    await setup_example_ward(app)
    tg = FakeTelegram(flood_limits=True)
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    try:
        async with running(app, channel, poll_timeout=1, reminders=False):
            yield Bot(tg, app, channel)
    finally:
        await tg.stop()
        await app.close()


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until `condition` holds; the timeout only guards against a hang."""
    loop = asyncio.get_running_loop()
    end = loop.time() + HANG
    while not await condition():
        if loop.time() > end:
            raise AssertionError(f"not within {HANG:.0f}s: {what}")
        await asyncio.sleep(0.05)


def by(chat_id: int) -> Callable[[SentMessage], bool]:
    return lambda m: m.chat_id == chat_id


def private(m: SentMessage) -> bool:
    return (m.chat_id or 0) > 0


async def test_300_groups_once_each_while_people_ask(flooded: Bot) -> None:
    app, tg = flooded.app, flooded.tg
    await store_november(app)
    ward = (await app.repo.wards())[0]
    now = app.services.clock.now()
    for i in range(300):
        await app.repo.register_chat(
            "telegram", str(-2000000 - i), ward.id, "residents", None, f"TDP {i}", now
        )
    chats = [c for c in await app.repo.ward_chats(ward.id, "residents")]
    assert len(chats) == 301

    def to_groups() -> list[SentMessage]:
        return [
            m
            for m in tg.sent
            if m.method == "sendMessage" and -2000300 < (m.chat_id or 0) <= -2000000
        ]

    broadcast_id = await app.services.broadcasts.create(
        ward.id,
        sender="Võ Minh Tuấn",
        sender_channel="telegram",
        sender_chat=DIGITAL,
        text="Hướng dẫn thanh toán trực tuyến",
        audience="kind:residents",
        chats=chats,
        send_at=now,
        at=now,
    )
    assert app.services.on_outbox is not None
    app.services.on_outbox()

    async def under_way() -> bool:
        return len(to_groups()) >= 20

    await eventually(under_way, "the broadcast starts")
    # staff ask one after another while the broadcast runs: each gets the answer, in turn
    asked = []
    for person in ASKERS:
        since = tg.cursor
        tg.push_message(chat_id=person, user_id=person, text="điểm hiện tại?")
        answer = await tg.wait_for(by(person), since=since, timeout=HANG)
        assert "91,68" in (answer.plain_text or ""), answer.summary()
        asked.append(person)
    answers = [m.chat_id for m in tg.sent if m.chat_id in ASKERS]
    assert answers == asked  # one answer each, in the order asked (the report comes later)

    async def done() -> bool:
        b = await app.services.broadcasts.get(ward.id, broadcast_id)
        return b is not None and b.counts.get("sent", 0) == 301

    await eventually(done, "every chat of the broadcast is sent")
    received = to_groups()
    assert len(received) == 300 and len({m.chat_id for m in received}) == 300
    assert all(m.text == "Hướng dẫn thanh toán trực tuyến" for m in received)
    assert [m.text for m in tg.messages_to(int(RESIDENTS))] == ["Hướng dẫn thanh toán trực tuyến"]
    assert tg.duplicates(key=lambda m: (m.chat_id, m.message_id if private(m) else m.text)) == 0
    # the sender is told how it went
    report = await tg.wait_for(
        lambda m: m.chat_id == int(DIGITAL) and "Đã gửi" in (m.text or ""), timeout=HANG
    )
    assert "Đã gửi 301/301" in (report.text or "")
    # nobody meets a flood limit: a place is freed only once Telegram has answered
    assert tg.rate_limited == 0, tg.flood_rejections


async def test_a_file_is_uploaded_once_then_sent_by_its_id(flooded: Bot) -> None:
    app, tg = flooded.app, flooded.tg
    ward = (await app.repo.wards())[0]
    now = app.services.clock.now()
    for i in range(3):
        await app.repo.register_chat(
            "telegram", str(-2100000 - i), ward.id, "residents", None, f"TDP {i}", now
        )
    chats = [
        c for c in await app.repo.ward_chats(ward.id, "residents") if c.chat_id.startswith("-21")
    ]
    await app.services.broadcasts.create(
        ward.id,
        sender="t",
        sender_channel="cli",
        sender_chat="",
        text="Mẫu đơn đăng ký",
        audience="t",
        chats=chats,
        send_at=now,
        at=now,
        attachment_kind="document",
        attachment_name="mau-don.pdf",
        attachment=b"%PDF-1.4 demo",
    )
    assert app.services.on_outbox is not None
    app.services.on_outbox()

    async def three() -> bool:
        return len([m for m in tg.sent if m.method == "sendDocument"]) >= 3

    await eventually(three, "the file reaches the three groups")
    docs = [m for m in tg.sent if m.method == "sendDocument"]
    assert len(docs) == 3
    assert sum(isinstance(d.document, bytes) for d in docs) == 1  # uploaded once
    assert all(d.caption == "Mẫu đơn đăng ký" for d in docs)
