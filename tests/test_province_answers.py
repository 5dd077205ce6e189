"""Answers from the province's list (the portal's daily fetch): the ranking with the ward's
place, the top N, the communes under a threshold, the communes just above the ward, and the
index groups across the province — each checked against figures computed here from the same
114 communes the portal's stand-in serves (tests/fakes/portal_api.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

from bot.app import App
from bot.config import Settings
from handlers import directives
from handlers.protocol import Inbound, Reply
from ingest.index_groups import GROUPS
from ingest.province_stats import (
    Commune,
    ProvinceRanking,
    find_commune,
    group_scores,
    ranked,
    top,
)
from locales import translator
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.province import ProvinceStore
from tests.conftest import setup_example_ward
from tests.fakes.portal_api import (
    PROVINCE,
    UNIT_LEVEL,
    WARD,
    WARD_ID,
    WARD_MONTH,
    WARD_RANK,
    WARD_YEAR,
    make_province,
)
from tests.fakes.portal_api import Commune as FakeCommune

STAFF = "700000004"  # Nguyễn Thị Lan, staff of TTPVHCC (examples/ward.toml)
CHAIRMAN = "700000001"
ADMIN = "700000003"
STAFF_GROUP = "-1001000000002"  # the TTPVHCC department chat
RESIDENTS = "-1001000000003"
FETCHED = datetime(2025, 11, 16, 6, 30, tzinfo=VN_TZ)
PORTAL = {"province_id": PROVINCE, "unit_level": UNIT_LEVEL, "unit_name": WARD}
_ = translator("vi")


def n(value: Decimal) -> str:
    return _.number(value)


def total(c: FakeCommune) -> Decimal:
    return sum(c.scores, Decimal(0))


def month_list() -> list[FakeCommune]:
    """Month 11/2025 as the stand-in serves it, best first (every total differs)."""
    return sorted(make_province(WARD_MONTH, salt=11), key=lambda c: -total(c))


def year_list() -> list[FakeCommune]:
    return sorted(make_province(WARD_YEAR, salt=0), key=lambda c: -total(c))


async def store_list(
    app: App,
    communes: list[FakeCommune],
    kind: str = "month",
    year: int = 2025,
    period: int = 11,
    at: datetime = FETCHED,
) -> None:
    rows = [
        {
            "province_id": PROVINCE,
            "unit_level": UNIT_LEVEL,
            "period_kind": kind,
            "year": year,
            "period": period,
            "unit_id": c.unit_id,
            "name": c.name,
            "position": i,
            "rank": i,
            "total": total(c),
            "groups": {g.code: str(s) for g, s in zip(GROUPS, c.scores, strict=True)},
            "fetched_at": at,
        }
        for i, c in enumerate(communes, start=1)
    ]
    async with app.repo.sessions.begin() as s:
        await s.execute(insert(m.ProvinceRow), rows)


async def set_portal(app: App, portal: dict[str, str]) -> None:
    async with app.repo.sessions.begin() as s:
        await s.execute(update(m.Ward).values(portal=portal))
    app.repo.invalidate()


def say(text: str, user: str = STAFF, chat: str | None = None) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=chat or user,
        chat_kind="group" if chat else "private",
        user_id=user,
        text=text,
    )


def press(data: str, user: str = STAFF) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=user,
        chat_kind="private",
        user_id=user,
        event="button",
        button_data=data,
    )


async def reply(app: App, inbound: Inbound) -> Reply:
    replies = await app.router.handle(inbound)
    assert len(replies) == 1, replies
    return replies[0]


async def ask(app: App, text: str, user: str = STAFF) -> str:
    return (await reply(app, say(text, user))).text


@pytest.fixture
async def portal_app(app: App) -> App:
    """The example ward listed by the portal as Phường Thiên Hương, with month 11/2025."""
    await set_portal(app, PORTAL)
    await store_list(app, month_list())
    return app


def line(rank: int, c: FakeCommune) -> str:
    return f"{rank}. {c.name} — {n(total(c))}"


# --- no list ----------------------------------------------------------------------------------
async def test_no_portal_config_says_where_the_list_comes_from(app: App) -> None:
    await store_list(app, month_list())  # rows exist, but the ward names no [portal]
    for question in ("xếp hạng toàn tỉnh", "top 10", "xa nao duoi 80", "/tinh"):
        text = await ask(app, question)
        assert "Bảng xếp hạng toàn tỉnh lấy từ lần tải hằng ngày" in text, question
        assert "[portal]" in text and "không tự đoán" in text
        assert "/xephang" in text


async def test_portal_config_without_rows_guesses_nothing(app: App) -> None:
    await set_portal(app, PORTAL)
    text = await ask(app, "phường mình đứng sau ai")
    assert text.startswith("Chưa tải được danh sách của tỉnh cho Phường Hòa Phong")
    assert "không tự đoán" in text
    assert "Xã" not in text


# --- the ranking ------------------------------------------------------------------------------
async def test_ranking_shows_the_wards_place_and_its_page(portal_app: App) -> None:
    communes = month_list()
    ward_total = sum((Decimal(s) for s in WARD_MONTH), Decimal(0))
    answer = await reply(portal_app, say("xếp hạng toàn tỉnh"))
    lines = answer.text.splitlines()
    assert lines[0] == "🏛 **Xếp hạng toàn tỉnh** — tháng 11/2025: 114 xã, phường"
    assert lines[1] == "Nguồn: Cổng Dịch vụ công quốc gia, tải lúc 06:30 16/11/2025."
    assert lines[2] == f"**Phường Hòa Phong** đứng thứ **80/114** với {n(ward_total)} điểm."
    assert "**Trang 4/6** (mục 61–80)" in lines
    shown = [x for x in lines if x[:1].isdigit() or x.startswith("**8")]
    assert shown[0] == line(61, communes[60])
    assert shown[-1] == f"**{line(80, communes[79])}** ◀"
    assert communes[79].name == WARD and len(shown) == 20
    labels = [b.label for row in answer.buttons for b in row]
    assert labels == ["◀ Trang 3", "Trang 5 ▶"]

    # the next page by its button, the last one by /trang, the first by /tinh 1
    following = await reply(portal_app, press(answer.buttons[0][1].data))
    assert "**Trang 5/6** (mục 81–100)" in following.text
    assert line(81, communes[80]) in following.text and WARD not in following.text
    last = await reply(portal_app, say("/trang 6"))
    assert "**Trang 6/6** (mục 101–114)" in last.text
    assert line(114, communes[113]) in last.text
    first = await reply(portal_app, say("/tinh 1"))
    assert "**Trang 1/6** (mục 1–20)" in first.text
    assert line(1, communes[0]) in first.text
    assert "**Phường Hòa Phong** đứng thứ **80/114**" in first.text


async def test_ranking_by_unit_id_and_for_the_year(portal_app: App) -> None:
    await set_portal(portal_app, {"province_id": PROVINCE, "unit_id": WARD_ID})
    await store_list(portal_app, year_list(), kind="year", period=0)
    year_total = sum((Decimal(s) for s in WARD_YEAR), Decimal(0))
    text = await ask(portal_app, "xếp hạng lũy kế toàn tỉnh")
    assert text.splitlines()[0] == "🏛 **Xếp hạng toàn tỉnh** — lũy kế năm 2025: 114 xã, phường"
    assert f"**Phường Hòa Phong** đứng thứ **{WARD_RANK}/114** với {n(year_total)} điểm." in text
    month = await ask(portal_app, "xep hang toan tinh")
    assert "tháng 11/2025" in month.splitlines()[0]


async def test_the_newest_period_and_fetch_answer(portal_app: App) -> None:
    older = month_list()
    older[0], older[1] = older[1], older[0]  # October had another order
    await store_list(portal_app, older, period=10, at=FETCHED - timedelta(days=31))
    text = await ask(portal_app, "/tinh 1")
    assert "tháng 11/2025" in text.splitlines()[0]
    assert line(1, month_list()[0]) in text


async def test_ward_missing_from_the_list_is_said(portal_app: App) -> None:
    await set_portal(portal_app, {**PORTAL, "unit_name": "Phường Không Có"})
    text = await ask(portal_app, "xếp hạng toàn tỉnh")
    assert "Không tìm thấy Phường Hòa Phong trong danh sách này" in text
    assert "**Trang 1/6**" in text


async def test_a_waiting_question_is_not_dropped_by_the_ranking(portal_app: App) -> None:
    person = await portal_app.repo.person_by_channel("telegram", ADMIN)
    assert person is not None
    now = portal_app.services.clock.now()
    await portal_app.repo.set_pending(
        person.ward_id,
        "telegram",
        ADMIN,
        ADMIN,
        directives.CONFIRM_KIND,
        {},
        [],
        now,
        now + timedelta(hours=1),
    )
    # a directive's preview waits for the admin's confirmation; the ranking leaves it be
    answer = await reply(portal_app, say("xếp hạng toàn tỉnh", ADMIN))
    assert answer.buttons == []
    assert "Trang khác: /tinh N (1–6)." in answer.text
    second = await reply(portal_app, say("/tinh 2", ADMIN))
    assert "**Trang 2/6** (mục 21–40)" in second.text
    waiting = await portal_app.repo.pending("telegram", ADMIN, ADMIN)
    assert waiting is not None and waiting.kind == directives.CONFIRM_KIND


# --- top N, thresholds, neighbours --------------------------------------------------------------
async def test_top_n(portal_app: App) -> None:
    communes = month_list()
    text = await ask(portal_app, "top 10")
    lines = text.splitlines()
    assert lines[0] == "🏆 **Top 10 toàn tỉnh** — tháng 11/2025"
    listed = [x for x in lines if x[:1].isdigit()]
    assert listed == [line(i, c) for i, c in enumerate(communes[:10], start=1)]
    gap = total(communes[9]) - total(communes[79])
    assert lines[-1] == (
        f"Phường Hòa Phong: hạng 80/114, {n(total(communes[79]))} điểm "
        f"(kém đơn vị hạng 10: {n(gap)} điểm)."
    )
    five = await ask(portal_app, "/tinh top 5")
    assert len([x for x in five.splitlines() if x[:1].isdigit()]) == 5


async def test_communes_under_a_threshold(portal_app: App) -> None:
    communes = month_list()
    below_80 = [(i, c) for i, c in enumerate(communes, start=1) if total(c) < 80]
    assert 0 < len(below_80) < 40
    text = await ask(portal_app, "xã nào dưới 80")
    lines = text.splitlines()
    assert lines[0] == f"📉 **Xã, phường dưới 80 điểm** — tháng 11/2025: {len(below_80)}/114"
    assert [x for x in lines if x[:1].isdigit()] == [line(i, c) for i, c in below_80]
    assert lines[-1].startswith("Phường Hòa Phong: ") and "không dưới ngưỡng này" in lines[-1]

    below_95 = [(i, c) for i, c in enumerate(communes, start=1) if total(c) < Decimal("95")]
    text = await ask(portal_app, "phuong nao duoi 95 diem")
    assert f"dưới 95 điểm** — tháng 11/2025: {len(below_95)}/114" in text
    assert f"**{line(80, communes[79])}** ◀" in text  # the ward is among them
    if len(below_95) > 40:
        assert f"… và {len(below_95) - 40} xã, phường khác." in text

    assert "Ngưỡng điểm phải là một số từ 0 đến 100" in await ask(portal_app, "xã nào dưới 120")
    none = await ask(portal_app, "xa nao duoi 10")
    assert "Không có xã, phường nào của tỉnh dưới 10 điểm." in none


async def test_who_is_just_above_the_ward(portal_app: App) -> None:
    communes = month_list()
    ward = total(communes[79])
    text = await ask(portal_app, "phường mình đứng sau ai")
    lines = text.splitlines()
    assert lines[0] == (
        f"⬆️ **Các đơn vị ngay trên Phường Hòa Phong** — tháng 11/2025 (hạng 80/114, {n(ward)} điểm)"
    )
    for rank in (77, 78, 79):
        c = communes[rank - 1]
        assert f"{line(rank, c)} (hơn {n(total(c) - ward)} điểm)" in lines
    assert line(76, communes[75]) not in text
    nearest = communes[78]
    assert (
        f"Khoảng cách tới đơn vị ngay trên ({nearest.name}): {n(total(nearest) - ward)} điểm."
        in lines
    )
    below = communes[80]
    assert f"Ngay sau: {line(81, below)} (kém {n(ward - total(below))} điểm)." in lines
    assert await ask(portal_app, "dung sau ai") == text


# --- groups across the province -----------------------------------------------------------------
async def test_groups_across_the_province_weakest_first(portal_app: App) -> None:
    communes = month_list()
    ward = communes[79]
    expected = []
    for i, g in enumerate(GROUPS):
        scores = [c.scores[i] for c in communes]
        average = sum(scores, Decimal(0)) / len(scores)
        share = average * 100 / g.max_score
        at_max = sum(1 for s in scores if s >= g.max_score)
        expected.append((share, at_max, i, g, average))
    expected.sort(key=lambda e: (e[0], e[1], e[2]))
    text = await ask(portal_app, "nhóm nào cả tỉnh đều yếu")
    lines = text.splitlines()
    assert lines[0] == (
        "📊 **Các nhóm chỉ tiêu toàn tỉnh** — tháng 11/2025 (114 xã, phường), nhóm yếu nhất trước:"
    )
    group_lines = [x for x in lines if x.startswith(("▫️", "✅"))]
    assert len(group_lines) == 6
    behind = []
    for (share, at_max, i, g, average), got in zip(expected, group_lines, strict=True):
        assert got.split(" ", 1)[1] == (
            f"{g.name_vi}: trung bình {n(average)}/{n(g.max_score)} "
            f"({_.number(share, 1)}% điểm tối đa), {at_max}/114 đơn vị đạt tối đa"
        )
        diff = (ward.scores[i] - average).quantize(Decimal("0.01"))
        assert (
            f"    Phường Hòa Phong: {n(ward.scores[i])} ({_.signed(diff)} so với trung bình)"
            in (lines)
        )
        if ward.scores[i] < average:
            behind.append(g.name_vi)
    weakest = expected[0]
    assert (
        f"Cả tỉnh yếu nhất ở nhóm **{weakest[3].name_vi}** (trung bình đạt "
        f"{_.number(weakest[0], 1)}% điểm tối đa)." in lines
    )
    if behind:
        assert lines[-1] == f"Phường Hòa Phong thấp hơn trung bình tỉnh ở: {', '.join(behind)}."
    assert await ask(portal_app, "nhom nao ca tinh yeu") == text


# --- who may ask where ------------------------------------------------------------------------
async def test_staff_chats_only(portal_app: App) -> None:
    # the TTPVHCC department chat is a staff chat: answered there
    staff_chat = await reply(portal_app, say("/tinh", chat=STAFF_GROUP))
    assert "đứng thứ **80/114**" in staff_chat.text
    # a residents' group and an unregistered group get no ward data
    residents = await reply(portal_app, say("/tinh", chat=RESIDENTS))
    assert "80/114" not in residents.text
    unregistered = await reply(portal_app, say("/tinh top 10", chat="-1009999999999"))
    assert "chưa được đăng ký" in unregistered.text or "Top" not in unregistered.text
    # someone the ward does not know
    stranger = await reply(portal_app, say("xếp hạng toàn tỉnh", user="799999999"))
    assert "80/114" not in stranger.text and "799999999" in stranger.text
    # the chairman asks like anyone on the staff
    assert "đứng thứ **80/114**" in await ask(portal_app, "xếp hạng toàn tỉnh", CHAIRMAN)


# --- both databases -----------------------------------------------------------------------------
@pytest.fixture
async def any_db_app(db_url: str) -> AsyncIterator[App]:
    clock = FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ))
    application = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    await setup_example_ward(application)
    await set_portal(application, PORTAL)
    yield application
    await application.close()


async def test_store_reads_the_latest_fetch_on_each_database(any_db_app: App) -> None:
    app = any_db_app
    communes = month_list()
    gone = communes[5]
    # an earlier fetch still listed a commune the newest one no longer has
    await store_list(app, [gone], at=FETCHED - timedelta(days=1))
    async with app.repo.sessions.begin() as s:
        await s.execute(
            update(m.ProvinceRow)
            .values(unit_id="gone", name="Xã Đã Nhập")
            .where(m.ProvinceRow.unit_id == gone.unit_id)
        )
    await store_list(app, communes)
    ward = await app.repo.ward((await app.repo.wards())[0].id)
    assert ward is not None
    provinces = ProvinceStore(app.repo.sessions, cache_ttl=0)
    plist = await provinces.ward_list(ward)
    assert plist is not None and plist.size == 114
    assert [c.unit_id for c in plist.communes] == [c.unit_id for c in communes]
    assert plist.fetched_at == FETCHED.astimezone(UTC)
    above = await provinces.neighbours_above(ward, 2)
    assert [c.name for c in above] == [communes[77].name, communes[78].name]
    text = await ask(app, "xếp hạng toàn tỉnh")
    assert "đứng thứ **80/114**" in text and "Xã Đã Nhập" not in text


# --- the analyses, pure ---------------------------------------------------------------------------
def _ranking(communes: list[Commune]) -> ProvinceRanking:
    return ProvinceRanking(PROVINCE, UNIT_LEVEL, "month", 2025, 11, FETCHED, ranked(communes))


def test_ranks_computed_from_totals_share_ties() -> None:
    plist = _ranking(
        [
            Commune("a", "Xã A", Decimal("90")),
            Commune("b", "Xã B", Decimal("95")),
            Commune("c", "Phường C", Decimal("90")),
            Commune("d", "Xã D", Decimal("80")),
        ]
    )
    assert [(c.unit_id, c.rank) for c in plist.communes] == [
        ("b", 1),
        ("c", 2),
        ("a", 2),
        ("d", 4),
    ]
    assert [c.unit_id for c in top(plist, 2)] == ["b", "c", "a"]  # a tie for 2nd stays
    assert find_commune(plist, unit_name="phuong c") == 1
    assert find_commune(plist, unit_name="C") == 1  # without its "Phường"
    assert find_commune(plist, unit_id="d") == 3
    assert find_commune(plist, unit_name="Xã E") is None


def test_group_scores_read_codes_and_portal_fields() -> None:
    assert group_scores({"MDSH": "18.89", "tien_do": 19.93, "XYZ": "1", "hai_long": "n/a"}) == {
        "tien_do": Decimal("19.93"),
        "so_hoa": Decimal("18.89"),
    }
