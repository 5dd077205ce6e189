"""The answers people read, in Vietnamese and English, straight from the handlers."""

from __future__ import annotations

from dataclasses import replace

from bot.app import App
from handlers.context import Ctx
from handlers.intents import IntentMatch
from handlers.protocol import Inbound
from handlers.scores import answer
from tests.test_e2e_telegram import store_november


async def _ask(app: App, match: IntentMatch, language: str, who: str = "chairman") -> str:
    person = await app.repo.find_person(who)
    assert person is not None
    person = replace(person, language=language)
    inbound = Inbound(channel="console", chat_id="c", chat_kind="private", user_id="u")
    ctx = Ctx(app.services, inbound, person, await app.repo.ward(person.ward_id))
    return (await answer(ctx, match)).text


async def test_no_snapshot_yet_tells_who_can_add_one(app: App) -> None:
    text = await _ask(app, IntentMatch("score", None, None, 1), "vi")
    assert "Chưa có số liệu điểm nào của Phường Hòa Phong." in text
    assert "quản trị viên" in text
    admin_text = await _ask(app, IntentMatch("score", None, None, 1), "vi", who="admin")
    assert "/capnhatdiem" in admin_text and "chiso import scores" in admin_text


async def test_answers_in_english(app: App) -> None:
    await store_november(app)
    text = await _ask(app, IntentMatch("score", None, None, 1), "en")
    assert "Total: **91.68**/100 points — Excellent" in text
    assert "Rank: **80/114**" in text
    assert "Since month 10/2025: up 1.68 points, up 4 places." in text
    assert "▫️ Online public services: 8.07/12 (missing 3.93)" in text


async def test_weak_groups_compare_and_one_group(app: App) -> None:
    await store_november(app)
    weak = await _ask(app, IntentMatch("weak_groups", None, None, 1), "vi")
    assert "4 nhóm chưa đạt điểm tối đa" in weak and "thiếu tổng cộng 8,32 điểm" in weak
    lines = weak.splitlines()
    first = next(i for i, line in enumerate(lines) if "Dịch vụ công trực tuyến" in line)
    second = next(i for i, line in enumerate(lines) if "Số hóa hồ sơ" in line)
    assert first < second  # sorted by points missing
    compare = await _ask(app, IntentMatch("compare", None, None, 1), "vi")
    assert "Dịch vụ công trực tuyến: 8,07/12 (+0,57)" in compare
    assert "Công khai, minh bạch: 18/18 (không đổi)" in compare
    one = await _ask(app, IntentMatch("score", None, "so_hoa", 1), "vi")
    assert "Số hóa hồ sơ: 18,89/22 (thiếu 3,11)" in one
    assert "Thay đổi so với tháng 10/2025: +0,79" in one
    assert "Đơn vị phụ trách: Trung tâm Phục vụ hành chính công" in one


async def test_rank_answer_leads_with_rank(app: App) -> None:
    await store_november(app)
    text = await _ask(app, IntentMatch("rank", None, None, 1), "vi")
    lines = text.splitlines()
    assert lines[1] == "Xếp hạng: **80/114**"
    assert "tăng 4 bậc" in text
    assert "Các nhóm chỉ tiêu" not in text  # short: rank, total, change, the worst group
    assert "Mất nhiều điểm nhất" in text
