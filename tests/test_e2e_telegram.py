"""End to end: the real python-telegram-bot Application, polling a fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.runner import running
from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from store import models as m
from tests.fakes.telegram_api import FakeTelegram

CHAIRMAN, ADMIN, STAFF, STRANGER = 700000001, 700000003, 700000004, 555000111
DEPT_GROUP = -1001000000002  # registered in examples/ward.toml for TTPVHCC


@dataclass
class Bot:
    tg: FakeTelegram
    app: App
    channel: TelegramChannel


@pytest.fixture
async def bot(app: App) -> AsyncIterator[Bot]:
    tg = FakeTelegram()
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    try:
        async with running(app, channel, poll_timeout=1, reminders=False):
            yield Bot(tg, app, channel)
    finally:
        await tg.stop()


def _groups(**scores: str) -> dict[str, GroupScore]:
    return {
        g.code: GroupScore(g.code, Decimal(scores.get(g.code, str(g.max_score))), g.max_score)
        for g in GROUPS
    }


async def store_november(app: App) -> None:
    ward = (await app.repo.wards())[0]
    october = _groups(tien_do="19.8", dvc_truc_tuyen="7.5", thanh_toan="8.6", so_hoa="18.1")
    november = _groups(tien_do="19.93", dvc_truc_tuyen="8.07", thanh_toan="8.79", so_hoa="18.89")
    for month, groups, rank in ((10, october, 84), (11, november, 80)):
        total = sum((g.score for g in groups.values()), Decimal(0))
        draft = SnapshotDraft("month", 2025, month, date(2025, month, 15), total, rank, 114, groups)
        await app.repo.save_snapshot(ward.id, draft, "test", app.services.clock.now())


async def test_group_member_asks_current_score(bot: Bot) -> None:
    await store_november(bot.app)
    tg = bot.tg
    tg.push_message(
        chat_id=DEPT_GROUP,
        chat_type="supergroup",
        chat_title="Trung tâm PVHCC",
        user_id=STAFF,
        text="@chiso_test_bot diem hien tai",
    )
    # the answer and its chart come as one message: the chart with the answer as its caption
    reply = await tg.wait_for(lambda s: s.method == "sendPhoto" and s.chat_id == DEPT_GROUP)
    text = reply.plain_text or ""
    assert "91,68" in text and "80/114" in text
    assert "Xuất sắc" in text
    assert "So với tháng 10/2025: tăng 1,68 điểm, tăng 4 bậc." in text
    assert "Số hóa hồ sơ: 18,89/22 (thiếu 3,11)" in text  # each group with points missing
    # the group losing most, and the department that owns it (ward data)
    assert "Mất nhiều điểm nhất: Dịch vụ công trực tuyến (thiếu 3,93 điểm)" in text
    assert "phụ trách: Phòng Văn hóa - Xã hội" in text
    assert "15/11/2025" in text
    photo = reply
    assert isinstance(photo.photo, bytes)

    # Asked again: the chart is not drawn or uploaded again; Telegram's file_id is reused.
    since = tg.cursor
    tg.push_message(
        chat_id=DEPT_GROUP,
        chat_type="supergroup",
        chat_title="Trung tâm PVHCC",
        user_id=STAFF,
        text="/diem",
    )
    again = await tg.wait_for(lambda s: s.method == "sendPhoto", since=since)
    assert again.photo == photo.file_id and again.file_reused


async def test_plain_group_chatter_is_left_alone(bot: Bot) -> None:
    tg = bot.tg
    tg.push_message(
        chat_id=DEPT_GROUP,
        chat_type="supergroup",
        user_id=STAFF,
        text="chiều nay họp lúc mấy giờ nhỉ",
    )
    update_id = tg.push_message(
        chat_id=DEPT_GROUP,
        chat_type="supergroup",
        user_id=STAFF,
        text="@chiso_test_bot cho xin cái bảng kê",
    )
    await tg.wait_delivered(update_id)
    reply = await tg.wait_for(lambda s: s.method == "sendMessage")
    assert "chưa hiểu" in (reply.plain_text or "")
    assert len([s for s in tg.sent if s.method == "sendMessage"]) == 1


async def test_stranger_gets_polite_refusal_and_nothing_is_stored(bot: Bot) -> None:
    async def counts() -> tuple[int, int, int]:
        async with bot.app.repo.sessions() as s:
            return (
                await s.scalar(select(func.count()).select_from(m.Person)) or 0,
                await s.scalar(select(func.count()).select_from(m.Chat)) or 0,
                await s.scalar(select(func.count()).select_from(m.PendingAction)) or 0,
            )

    before = await counts()
    bot.tg.push_message(chat_id=STRANGER, user_id=STRANGER, text="điểm hiện tại?")
    reply = await bot.tg.wait_for(lambda s: s.chat_id == STRANGER)
    assert str(STRANGER) in (reply.plain_text or "")
    assert "chưa có trong danh sách" in (reply.plain_text or "")
    assert await counts() == before


async def test_command_menu_in_vietnamese_and_english(bot: Bot) -> None:
    await bot.tg.wait_for_call("setMyCommands", lambda p: p.get("language_code") == "en")
    vi = bot.tg.commands[("default", "")]
    en = bot.tg.commands[("default", "en")]
    assert {c["command"] for c in vi} >= {"diem", "xephang", "help"}
    assert next(c for c in vi if c["command"] == "diem")["description"] == (
        "Điểm hiện tại của phường"
    )
    assert next(c for c in en if c["command"] == "diem")["description"] == (
        "Current score of the ward"
    )


async def test_the_chairman_and_the_admin_get_their_own_menus_after_start(bot: Bot) -> None:
    """Set in the background once the bot answers: each person's menu in their private chat."""
    for who in (CHAIRMAN, ADMIN):
        await bot.tg.wait_for_call(
            "setMyCommands",
            lambda p, who=who: (
                p.get("language_code") == "en" and (p.get("scope") or {}).get("chat_id") == who
            ),
        )
    default = {c["command"] for c in bot.tg.commands[("default", "")]}
    chairman = {c["command"] for c in bot.tg.commands[(f"chat:{CHAIRMAN}", "")]}
    admin = {c["command"] for c in bot.tg.commands[(f"chat:{ADMIN}", "")]}
    assert "baocao" in chairman and "baocao" not in default
    assert "capnhatdiem" in admin and "capnhatdiem" not in default
    assert (f"chat:{STAFF}", "") not in bot.tg.commands  # staff keep everyone's menu


async def test_bot_added_to_unknown_group_then_registered(bot: Bot) -> None:
    tg = bot.tg
    tg.push_bot_added(chat_id=-100777, chat_title="Tổ công tác VHXH", by_user_id=ADMIN)
    hello = await tg.wait_for(lambda s: s.chat_id == -100777)
    assert "/dangky" in (hello.plain_text or "")

    tg.push_message(
        chat_id=-100777,
        chat_type="supergroup",
        chat_title="Tổ công tác VHXH",
        user_id=STAFF,
        text="/dangky VHXH",
    )
    refused = await tg.wait_for(lambda s: s.chat_id == -100777, since=tg.cursor)
    assert "quản trị" in (refused.plain_text or "")
    chat = await bot.app.repo.chat("telegram", "-100777")
    assert chat is not None and not chat.registered

    since = tg.cursor
    tg.push_message(
        chat_id=-100777,
        chat_type="supergroup",
        chat_title="Tổ công tác VHXH",
        user_id=ADMIN,
        text="/dangky Văn hóa –Xã hội",
    )
    done = await tg.wait_for(lambda s: s.chat_id == -100777, since=since)
    assert "Phòng Văn hóa - Xã hội" in (done.plain_text or "")
    chat = await bot.app.repo.chat("telegram", "-100777")
    assert chat is not None and chat.kind == "department" and chat.department == "VHXH"

    since = tg.cursor
    tg.push_message(chat_id=-100777, chat_type="supergroup", user_id=ADMIN, text="/huydangky")
    await tg.wait_for(lambda s: s.chat_id == -100777, since=since)
    chat = await bot.app.repo.chat("telegram", "-100777")
    assert chat is not None and not chat.registered


REPORT = (
    "Căn cứ kết quả đánh giá (tính đến ngày 15/11/2025), phường đạt 94,72 điểm, xếp hạng "
    "80/114.\nSố liệu tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; Dịch vụ công trực "
    "tuyến: 8,07/12 điểm; Thanh toán trực tuyến: 8,79/10 điểm; Số hóa hồ sơ: 18,89/22 điểm.\n"
    "Lũy kế năm 2025: Tiến độ giải quyết: 19,78/20 điểm; Dịch vụ công trực tuyến: 8,1/12 "
    "điểm; Thanh toán trực tuyến: 9,16/10 điểm; Số hóa hồ sơ: 21,68/22 điểm.\n"
    "Vẫn còn 04 nhóm chỉ tiêu chưa đạt điểm tối đa."
)


async def test_admin_pastes_report_confirms_and_everyone_sees_it(bot: Bot) -> None:
    tg = bot.tg
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text=REPORT)
    preview = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons))
    text = preview.plain_text or ""
    assert "91,68" in text and "94,72" in text and "80/114" in text
    assert not await bot.app.repo.has_snapshots(1)

    store = preview.button("Lưu")
    tg.push_callback(
        chat_id=ADMIN, user_id=ADMIN, data=store["callback_data"], message_id=preview.message_id
    )
    stored = await tg.wait_for(
        lambda s: s.method == "sendMessage" and "Đã lưu" in (s.plain_text or "")
    )
    assert "tháng 11/2025" in (stored.plain_text or "")
    # the buttons of the answered question are taken away
    await tg.wait_for(lambda s: s.method == "editMessageReplyMarkup")

    since = tg.cursor
    tg.push_message(chat_id=CHAIRMAN, user_id=CHAIRMAN, text="điểm lũy kế?")
    answer = await tg.wait_for(lambda s: s.chat_id == CHAIRMAN, since=since)
    assert "94,72" in (answer.plain_text or "") and "lũy kế năm 2025" in (answer.plain_text or "")


async def test_staff_cannot_store_scores(bot: Bot) -> None:
    tg = bot.tg
    tg.push_message(chat_id=STAFF, user_id=STAFF, text="/capnhatdiem " + REPORT)
    reply = await tg.wait_for(lambda s: s.chat_id == STAFF)
    assert "quản trị" in (reply.plain_text or "")
    assert not await bot.app.repo.has_snapshots(1)


async def test_admin_sends_csv_file(bot: Bot) -> None:
    tg = bot.tg
    csv = (
        b"as_of;period;total;rank;rank_of;cong_khai;tien_do;dvc_truc_tuyen;thanh_toan;hai_long;"
        b"so_hoa\n15/11/2025;11/2025;91,68;80;114;18;19,93;8,07;8,79;18;18,89\n"
    )
    document = tg.add_file("csv-1", csv, "diem-thang-11.csv", "text/csv")
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    preview = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons))
    assert "91,68" in (preview.plain_text or "")
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text="/huy")
    cancelled = await tg.wait_for(lambda s: s.chat_id == ADMIN, since=since)
    assert "không" in (cancelled.plain_text or "").lower()
    assert not await bot.app.repo.has_snapshots(1)
