"""End to end on Telegram: an admin loads a .docx directive, departments get their tasks,
a member closes one with evidence, and nobody else can."""

from __future__ import annotations

import asyncio
import io

import docx
from sqlalchemy import func, select

from store import models as m
from tests.test_e2e_telegram import ADMIN, CHAIRMAN, DEPT_GROUP, STAFF, Bot, bot

__all__ = ["bot"]  # the fixture, shared with the score tests
DIGITAL = 700000005  # Võ Minh Tuấn: VHXH, not TTPVHCC


def directive_docx() -> bytes:
    doc = docx.Document()
    for line in (
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
        "- Tuyên truyền thanh toán trực tuyến trên nhóm Zalo các tổ dân phố; hoàn thành trong "
        "tháng 12/2025.",
        "Nơi nhận:",
        "- Như trên;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Trần Văn Minh",
    ):
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


async def _load_directive(bot: Bot) -> None:
    tg = bot.tg
    document = tg.add_file(
        "docx-1",
        directive_docx(),
        "chi-thi-15.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    preview = await tg.wait_for(lambda s: s.chat_id == ADMIN and bool(s.buttons), timeout=10)
    text = preview.plain_text or ""
    assert "15/CT-UBND" in text
    assert "Trung tâm Phục vụ hành chính công" in text and "Phòng Văn hóa - Xã hội" in text
    assert "28/11/2025" in text and "thứ Hai hằng tuần" in text and "31/12/2025" in text
    async with bot.app.repo.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(m.Task)) == 0
    tg.push_callback(
        chat_id=ADMIN,
        user_id=ADMIN,
        data=preview.button("Xác nhận")["callback_data"],
        message_id=preview.message_id,
    )
    await tg.wait_for(lambda s: s.chat_id == ADMIN and "Đã lưu: 3 việc" in (s.plain_text or ""))


async def test_admin_loads_docx_and_department_chat_is_told(bot: Bot) -> None:
    await _load_directive(bot)
    notice = await bot.tg.wait_for(lambda s: s.chat_id == DEPT_GROUP, timeout=10)
    text = notice.plain_text or ""
    assert "được giao 2 việc" in text and "#1" in text and "#2" in text
    assert "Tuyên truyền" not in text  # VHXH's task is not TTPVHCC's business
    for _ in range(100):  # the row is marked sent right after the send returns
        rows = await bot.app.services.outbox.rows("directive:")
        if [r[3] for r in rows] == ["sent"]:
            break
        await asyncio.sleep(0.02)
    assert [(r[1], r[2], r[3]) for r in rows] == [("telegram", str(DEPT_GROUP), "sent")]


async def test_member_lists_and_closes_with_evidence(bot: Bot) -> None:
    await _load_directive(bot)
    tg = bot.tg
    since = tg.cursor
    tg.push_message(chat_id=STAFF, user_id=STAFF, text="việc của tôi")
    listing = await tg.wait_for(lambda s: s.chat_id == STAFF, since=since)
    text = listing.plain_text or ""
    assert "Trung tâm Phục vụ hành chính công: 2 việc đang mở" in text
    assert "#1" in text and "28/11/2025" in text and "còn 8 ngày (6 ngày làm việc)" in text

    since = tg.cursor
    tg.push_message(chat_id=STAFF, user_id=STAFF, text="/xong 1")
    ask = await tg.wait_for(lambda s: s.chat_id == STAFF, since=since)
    assert "tài liệu kiểm chứng" in (ask.plain_text or "")
    since = tg.cursor
    tg.push_message(chat_id=STAFF, user_id=STAFF, text="https://dvc.example/bao-cao-so-hoa")
    done = await tg.wait_for(lambda s: s.chat_id == STAFF, since=since)
    assert "Việc #1 đã hoàn thành" in (done.plain_text or "")
    task = await bot.app.services.tasks.task(1, 1)
    assert task is not None and task.status == "done"
    assert task.closed_by == "Nguyễn Thị Lan"
    assert task.evidence_text == "https://dvc.example/bao-cao-so-hoa"

    since = tg.cursor
    tg.push_message(chat_id=CHAIRMAN, user_id=CHAIRMAN, text="tình hình thực hiện")
    overview = await tg.wait_for(lambda s: s.chat_id == CHAIRMAN, since=since)
    assert "Trung tâm Phục vụ hành chính công: ✅ 1 xong" in (overview.plain_text or "")


async def test_others_cannot_close_and_nothing_changes(bot: Bot) -> None:
    await _load_directive(bot)
    tg = bot.tg
    since = tg.cursor
    tg.push_message(chat_id=DIGITAL, user_id=DIGITAL, text="/xong 1 đã làm xong")
    refused = await tg.wait_for(lambda s: s.chat_id == DIGITAL, since=since)
    assert "Chỉ cán bộ thuộc Trung tâm Phục vụ hành chính công" in (refused.plain_text or "")
    since = tg.cursor
    tg.push_message(chat_id=555000111, user_id=555000111, text="/xong 1")
    stranger = await tg.wait_for(lambda s: s.chat_id == 555000111, since=since)
    assert "555000111" in (stranger.plain_text or "")
    since = tg.cursor
    tg.push_message(chat_id=STAFF, user_id=STAFF, text="/xong 99")
    wrong = await tg.wait_for(lambda s: s.chat_id == STAFF, since=since)
    assert "Không có việc #99" in (wrong.plain_text or "")
    task = await bot.app.services.tasks.task(1, 1)
    assert task is not None and task.status == "open"
