"""Long replies always arrive whole (issue #10): paced per chat, retried on 429, previews in
pages with their buttons on the last message, and a reply that finally fails is told with the
next one. Through the real PTB Application and the fake Bot API with Telegram's limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.runner import running
from handlers.protocol import Button, Reply
from store import models as m
from store.tasks import NewDirective, NewTask, NewUnit
from tests.fakes.telegram_api import FakeTelegram, SentMessage

ADMIN = 700000003
SECTIONS = (
    "Trung tâm Phục vụ hành chính công",
    "Phòng Văn hóa - Xã hội",
    "Phòng Kinh tế, Hạ tầng và Đô thị",
    "Tư pháp - Hộ tịch",
)


@dataclass
class Bot:
    tg: FakeTelegram
    app: App
    channel: TelegramChannel


@pytest.fixture
async def bot(app: App) -> AsyncIterator[Bot]:
    tg = FakeTelegram(flood_limits=True)  # Telegram's limits: 1/s a private chat, burst 3
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    try:
        async with running(app, channel, poll_timeout=1, reminders=False):
            yield Bot(tg, app, channel)
    finally:
        await tg.stop()


def directive_text(tasks: int) -> str:
    lines = [
        "ỦY BAN NHÂN DÂN PHƯỜNG HÒA PHONG",
        "Số: 21/CT-UBND",
        "Hòa Phong, ngày 17 tháng 11 năm 2025",
        "CHỈ THỊ",
        "Về việc triển khai nhiều nhiệm vụ cải thiện Bộ chỉ số phục vụ người dân",
        "Chủ tịch Ủy ban nhân dân phường yêu cầu các phòng, đơn vị thực hiện tốt các nội dung sau:",
    ]
    per_section = tasks // len(SECTIONS)
    for number, section in enumerate(SECTIONS, start=1):
        lines.append(f"{number}. {section}")
        for i in range(per_section):
            lines.append(
                f"- Rà soát, cập nhật hồ sơ **nhóm {number}-{i + 1}** trên hệ thống một cửa "
                f"điện tử và báo cáo kết quả cho Chủ tịch phường; hoàn thành trước ngày "
                f"{10 + i % 15}/12/2025."
            )
    lines += ["Nơi nhận:", "- Như trên;", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    lines.append("Trần Văn Minh")
    return "\n".join(lines)


def to_admin(tg: FakeTelegram, since: int) -> list[SentMessage]:
    return [s for s in tg.sent[since:] if s.chat_id == ADMIN and s.method == "sendMessage"]


async def test_a_60_task_directive_preview_arrives_whole_with_its_buttons_last(bot: Bot) -> None:
    tg = bot.tg
    document = tg.add_file("txt-60", directive_text(60).encode(), "chi-thi-21.txt", "text/plain")
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    preview = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), timeout=15)
    sent = to_admin(tg, since)
    assert sent[-1] is preview  # the buttons are on the last message of the reply
    assert len(sent) <= 2  # a summary and one page, not the whole directive
    text = "\n".join(s.plain_text or "" for s in sent)
    assert "Tôi đã đọc 60 việc" in text or "60 việc" in text
    assert "• Trung tâm Phục vụ hành chính công: 15 việc" in text  # counts per department
    assert "Trang 1/6" in text
    assert "nhóm 1-1" in text and "**nhóm 1-1**" not in text  # markup of the text rendered
    labels = preview.button_texts
    assert "✅ Xác nhận" in labels and "Trang 2 ▶" in labels
    assert not tg.flood_rejections

    # the next page with the button, the last one with /trang 6
    since = tg.cursor
    tg.push_callback(
        chat_id=ADMIN,
        user_id=ADMIN,
        data=preview.button("Trang 2 ▶")["callback_data"],
        message_id=preview.message_id,
    )
    page2 = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), since=since)
    assert "Trang 2/6" in (page2.plain_text or "") and "11." in (page2.plain_text or "")
    assert {"◀ Trang 1", "Trang 3 ▶", "✅ Xác nhận"} <= set(page2.button_texts)
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text="/trang 6")
    last = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), since=since)
    assert "Trang 6/6" in (last.plain_text or "") and "60." in (last.plain_text or "")
    assert "Trang 7 ▶" not in last.button_texts

    # confirming from any page stores the whole directive
    since = tg.cursor
    tg.push_callback(
        chat_id=ADMIN,
        user_id=ADMIN,
        data=last.button("Xác nhận")["callback_data"],
        message_id=last.message_id,
    )
    await tg.wait_for(
        lambda s: s.chat_id == ADMIN and "Đã lưu: 60 việc" in (s.plain_text or ""), since=since
    )
    async with bot.app.repo.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(m.Task)) == 60
    assert not tg.flood_rejections


async def test_a_big_score_preview_arrives_paged(bot: Bot) -> None:
    tg = bot.tg
    rows = [
        b"as_of;period;total;rank;rank_of;cong_khai;tien_do;dvc_truc_tuyen;thanh_toan;"
        b"hai_long;so_hoa"
    ]
    for year in range(2022, 2026):
        for month in range(1, 13):
            if (year, month) > (2025, 10):
                break
            rows.append(
                f"15/{month:02d}/{year};{month:02d}/{year};91,68;80;114;18;19,93;8,07;8,79;18;"
                "18,89".encode()
            )
    document = tg.add_file("csv-big", b"\n".join(rows) + b"\n", "diem.csv", "text/csv")
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    preview = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), timeout=15)
    sent = to_admin(tg, since)
    assert sent[-1] is preview and len(sent) == 1
    text = preview.plain_text or ""
    count = len(rows) - 1
    assert f"{count} bộ số liệu" in text
    assert "• Năm 2023: 12 bộ số liệu" in text  # counts per period
    pages = -(-count // 8)
    assert f"Trang 1/{pages}" in text
    assert {"✅ Lưu", "Trang 2 ▶"} <= set(preview.button_texts)
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text=f"/trang {pages}")
    last = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), since=since)
    assert f"Trang {pages}/{pages}" in (last.plain_text or "")
    assert "10/2025" in (last.plain_text or "")
    assert not tg.flood_rejections


async def test_a_long_reply_is_paced_per_chat_and_arrives_whole(bot: Bot) -> None:
    """Five messages to one private chat: Telegram takes a burst of three, then one a
    second; the reply waits its turn instead of losing its tail to 429s."""
    tg = bot.tg
    line = "Một dòng khá dài của một câu trả lời rất dài, để chia thành nhiều tin. " * 4
    reply = Reply(
        "\n".join(f"{i}. {line}" for i in range(80)),
        buttons=[[Button("OK", "ok")]],
    )
    since = tg.cursor
    await bot.channel.send(ADMIN, [reply])
    sent = to_admin(tg, since)
    assert len(sent) >= 5
    assert sent[-1].button_texts == ["OK"] and not any(s.buttons for s in sent[:-1])
    assert "79." in (sent[-1].plain_text or "")
    assert not tg.flood_rejections


async def test_a_reply_answered_429_is_sent_again(bot: Bot) -> None:
    tg = bot.tg
    tg.fail_next("sendMessage", 429, retry_after=1)
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text="/help")
    reply = await tg.wait_for(lambda s: s.chat_id == ADMIN, since=since, timeout=10)
    assert reply.plain_text
    assert tg.rate_limited == 1


async def test_a_reply_that_keeps_failing_is_told_with_the_next_one(bot: Bot) -> None:
    tg, app = bot.tg, bot.app
    ward = (await app.repo.wards())[0]
    directive = NewDirective(
        number="22/CT-UBND",
        subject="Việc thử",
        tasks=[
            NewTask(
                "Nộp báo cáo số hóa",
                [NewUnit("lead", "TTPVHCC", "Trung tâm Phục vụ hành chính công")],
                deadline=date(2025, 12, 1),
                deadline_kind="date",
            )
        ],
    )
    _directive, (task,) = await app.services.tasks.save_directive(
        ward.id, directive, "test", app.services.clock.now()
    )
    bot.channel.retry_delays = (0.01, 0.01, 0.01)  # the tries again, without long waits
    tg.fail_next("sendMessage", 500, times=4)  # the first send and its three tries
    update = tg.push_message(
        chat_id=ADMIN, user_id=ADMIN, text=f"/xong {task.number} https://dvc.example/bc"
    )
    await tg.wait_delivered(update)
    for _ in range(500):  # until the channel has given up on the reply and kept it
        async with app.repo.sessions() as s:
            if await s.scalar(select(func.count()).select_from(m.MissedReply)):
                break
        await asyncio.sleep(0.01)
    # the change is stored although its reply never arrived
    stored = await app.services.tasks.task(ward.id, task.number)
    assert stored is not None and stored.status == "done"
    assert not [s for s in tg.sent if s.chat_id == ADMIN]

    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text="/help")
    reply = await tg.wait_for(lambda s: s.chat_id == ADMIN, since=since, timeout=10)
    text = reply.plain_text or ""
    assert text.startswith("Tin trước chưa gửi được: ✅")
    assert f"#{task.number}" in text.split("\n")[0]
    # told once
    since = tg.cursor
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, text="/help")
    again = await tg.wait_for(lambda s: s.chat_id == ADMIN, since=since, timeout=10)
    assert "Tin trước chưa gửi được" not in (again.plain_text or "")
