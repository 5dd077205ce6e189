"""The national portal's daily fetch against the stand-in (tests/fakes/portal_api.py), through
the real aiohttp client: what is stored, what the ward then reads, what the admins are told
when the portal fails and when it works again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from bot.portal import PortalClient, PortalJob, WardResult
from handlers.protocol import Inbound
from ingest.index_groups import GROUPS
from ingest.portal import (
    CommuneRow,
    PortalPeriod,
    PortalShapeError,
    find_ward_row,
    parse_period,
    parse_rows,
    rank_rows,
    request_params,
)
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from ingest.ward_config import load_ward_config
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.keys import portal_alert_key, portal_differs_key
from store.portal import PortalStore
from store.setup import apply_ward_config
from tests.conftest import EXAMPLE_WARD
from tests.fakes.portal_api import (
    COMMUNES,
    PROVINCE,
    WARD,
    WARD_ID,
    WARD_RANK,
    FakePortal,
)

ADMIN = "700000003"  # the example ward's administrator on Telegram
CHAIRMAN = "700000001"
DAY1 = datetime(2025, 11, 20, 6, 45, tzinfo=VN_TZ)
MONTH = PortalPeriod(2025, "month", 11)
YEAR = PortalPeriod(2025, "year", 0)


def ward_toml(base_url: str, unit: str = 'unit_name = "phuong THIEN HUONG"') -> str:
    """The example ward, as Thiên Hương, listed by the stand-in's province."""
    text = EXAMPLE_WARD.read_text(encoding="utf-8").replace("Phường Hòa Phong", WARD)
    return text + (
        f'\n[portal]\nbase_url = "{base_url}"\nprovince_id = "{PROVINCE}"\n{unit}\n'
        'fetch_at = "06:30"\n'
    )


async def setup_ward(app: App, toml: str) -> int:
    cfg = load_ward_config(toml)
    async with app.repo.sessions.begin() as s:
        summary = await apply_ward_config(s, cfg, app.services.clock.now())
    app.repo.invalidate()
    return summary.ward_id


@pytest.fixture
async def portal() -> AsyncIterator[FakePortal]:
    fake = FakePortal()
    await fake.start()
    yield fake
    await fake.stop()


def make_job(app: App, **client: object) -> PortalJob:
    options: dict[str, object] = {"timeout": 5.0, "page_size": 50, "retries": 1, "backoff": 0}
    options.update(client)
    return PortalJob(
        app.repo,
        app.services.outbox,
        app.services.clock,
        PortalClient(**options),  # type: ignore[arg-type]
    )


async def open_app(url: str, clock: FixedClock) -> App:
    return await App.open(Settings(database_url=url, cache_ttl=0), clock=clock, charts=False)


@pytest.fixture
async def rig(
    sqlite_url: str, portal: FakePortal
) -> AsyncIterator[tuple[App, PortalJob, FakePortal, FixedClock]]:
    clock = FixedClock(DAY1)
    app = await open_app(sqlite_url, clock)
    await setup_ward(app, ward_toml(portal.base_url))
    job = make_job(app)
    yield app, job, portal, clock
    await job.close()
    await app.close()


async def at(job: PortalJob, clock: FixedClock, when: datetime) -> list[WardResult]:
    clock.set(when)
    return list(await job.run_once(when))


async def count(app: App, model: type[m.Base], *where: object) -> int:
    async with app.repo.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def snapshots(app: App, kind: str = "month") -> list[m.Snapshot]:
    async with app.repo.sessions() as s:
        return list(
            (
                await s.scalars(
                    select(m.Snapshot).where(m.Snapshot.period_kind == kind).order_by(m.Snapshot.id)
                )
            ).all()
        )


async def ask(app: App, text: str, who: str = CHAIRMAN) -> str:
    inbound = Inbound(channel="telegram", chat_id=who, chat_kind="private", user_id=who, text=text)
    return "\n".join(r.text for r in await app.router.handle(inbound))


async def outbox_keys(app: App) -> list[str]:
    async with app.repo.sessions() as s:
        return list((await s.scalars(select(m.Outbox.key).order_by(m.Outbox.id))).all())


# --- the whole fetch, on SQLite and PostgreSQL --------------------------------------------


async def test_fetch_stores_the_province_and_the_ward_once(db_url: str, portal: FakePortal) -> None:
    clock = FixedClock(DAY1)
    app = await open_app(db_url, clock)
    job = make_job(app)
    try:
        ward_id = await setup_ward(app, ward_toml(portal.base_url))
        [result] = await job.run_once(DAY1)
        assert result.ok, result.detail
        store = PortalStore(app.repo.sessions)
        for kind, period in (("month", 11), ("year", 0)):
            assert await store.count_rows(PROVINCE, "2", kind, 2025, period) == COMMUNES
        month, year = await snapshots(app, "month"), await snapshots(app, "year")
        assert len(month) == 1 and len(year) == 1
        assert (month[0].total, month[0].rank, month[0].rank_of) == (Decimal("91.68"), 80, 114)
        assert (year[0].total, year[0].rank, year[0].rank_of) == (Decimal("94.72"), 80, 114)
        assert month[0].source == "portal" and month[0].as_of == date(2025, 11, 20)
        assert month[0].created_at == DAY1
        groups = {g.code: g.score for g in month[0].groups}
        assert groups["tien_do"] == Decimal("19.93") and groups["so_hoa"] == Decimal("18.89")

        # the ward's row in the province list, as the province answers read it
        async with app.repo.sessions() as s:
            row = await s.scalar(
                select(m.ProvinceRow).where(
                    m.ProvinceRow.unit_id == WARD_ID, m.ProvinceRow.period_kind == "month"
                )
            )
        assert row is not None and row.rank == WARD_RANK and row.name == WARD
        assert row.groups["tien_do"] == "19.93" and row.position == WARD_RANK

        # the same slot again: nothing; the next day with the same figures: no new snapshot
        assert await job.run_once(DAY1 + timedelta(minutes=5)) == []
        clock.set(DAY1 + timedelta(days=1))
        [again] = await job.run_once(DAY1 + timedelta(days=1))
        assert again.ok and not any(p.changes for p in again.periods)
        assert len(await snapshots(app, "month")) == 1 and len(await snapshots(app, "year")) == 1
        assert await count(app, m.ProvinceRow) == 2 * COMMUNES
        assert await count(app, m.PortalRun, m.PortalRun.ward_id == ward_id) == 2
        assert await outbox_keys(app) == []  # nothing to tell anyone
    finally:
        await job.close()
        await app.close()


async def test_requests_are_the_documented_shape_and_polite(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    _app, job, portal, clock = rig
    await at(job, clock, DAY1)
    # 114 communes in pages of 50: 50, 50, 14 — for each of the two periods
    assert len(portal.requests) == 6
    params, headers = portal.requests[0]
    assert params["service"] == "report_tinh_766_service"
    assert (params["p_nam"], params["p_thang"], params["p_quy"], params["p_6thang"]) == (
        "2025",
        11,
        0,
        0,
    )
    assert (params["p_tinh_id"], params["p_loaidonvi"], params["loaichitieu"]) == (PROVINCE, 2, 0)
    assert [p["pageIndex"] for p, _ in portal.requests[:3]] == [1, 2, 3]
    assert {p["pageSize"] for p, _ in portal.requests} == {50}
    year = portal.requests[3][0]
    assert (year["p_thang"], year["p_quy"], year["p_6thang"]) == (0, 0, 0)
    assert (
        headers["User-Agent"].startswith("ChiSoBot/") and "ward assistant" in headers["User-Agent"]
    )
    assert headers["X-Requested-With"] == "XMLHttpRequest"
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert headers["Origin"] == portal.base_url
    assert headers["Referer"].startswith(portal.base_url + "/")
    assert portal.max_in_flight == 1


async def test_a_changed_figure_is_a_new_snapshot_the_ward_reads(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    app, job, portal, clock = rig
    await at(job, clock, DAY1)
    before = await ask(app, "điểm hiện tại?")
    assert "91,68" in before and "80/114" in before
    portal.set_score(WARD, "TDGQ", "20.00", p_thang=11)
    [result] = await at(job, clock, DAY1 + timedelta(days=1))
    month = next(p for p in result.periods if p.period == MONTH)
    # 91,75 passes the commune 0,05 above: the ward moves up a place
    assert [c.what for c in month.changes] == ["tien_do", "total", "rank"]
    assert len(await snapshots(app, "month")) == 2
    assert len(await snapshots(app, "year")) == 1  # the year's figures did not change
    after = await ask(app, "điểm hiện tại?")
    assert "91,75" in after and "91,68" not in after and "79/114" in after
    assert "Tiến độ giải quyết: 20/20" in after
    assert "21/11/2025" in after  # as of the day it was fetched


async def test_the_ward_is_found_by_its_portal_id(sqlite_url: str, portal: FakePortal) -> None:
    clock = FixedClock(DAY1)
    app = await open_app(sqlite_url, clock)
    job = make_job(app)
    try:
        await setup_ward(app, ward_toml(portal.base_url, f'unit_id = "{WARD_ID}"'))
        [result] = await job.run_once(DAY1)
        assert result.ok
        assert [s.total for s in await snapshots(app)] == [Decimal("91.68")]
    finally:
        await job.close()
        await app.close()


# --- one run per slot -----------------------------------------------------------------------


async def test_one_run_per_slot_and_a_missed_slot_runs_when_the_bot_is_back(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    app, job, portal, clock = rig
    assert await at(job, clock, datetime(2025, 11, 20, 6, 0, tzinfo=VN_TZ)) == []  # not yet
    # the bot was down at 06:30 and comes back at 10:00: that day's slot runs then, once
    assert len(await at(job, clock, datetime(2025, 11, 20, 10, 0, tzinfo=VN_TZ))) == 1
    assert await at(job, clock, datetime(2025, 11, 20, 10, 1, tzinfo=VN_TZ)) == []
    assert await at(job, clock, datetime(2025, 11, 20, 23, 59, tzinfo=VN_TZ)) == []
    # a failed slot is not asked again that day (the portal is left alone until tomorrow)
    portal.mode = "server"
    assert len(await at(job, clock, datetime(2025, 11, 21, 6, 30, tzinfo=VN_TZ))) == 1
    asked = len(portal.requests)
    assert await at(job, clock, datetime(2025, 11, 21, 6, 31, tzinfo=VN_TZ)) == []
    assert len(portal.requests) == asked
    portal.mode = "ok"
    assert len(await at(job, clock, datetime(2025, 11, 22, 6, 30, tzinfo=VN_TZ))) == 1
    runs = await PortalStore(app.repo.sessions).runs(1)
    assert [(r.slot, r.ok) for r in reversed(runs)] == [
        ("2025-11-20", True),
        ("2025-11-21", False),
        ("2025-11-22", True),
    ]


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("html", "html"),
        ("waf", "waf"),
        ("timeout", "timeout"),
        ("empty", "empty"),
        ("renamed", "fields"),
        ("server", "server"),
        ("down", "network"),
    ],
)
async def test_a_failing_portal_keeps_the_figures_and_tells_the_admins_once(
    rig: tuple[App, PortalJob, FakePortal, FixedClock], mode: str, reason: str
) -> None:
    app, job, portal, clock = rig
    await at(job, clock, DAY1)
    kept = [(s.id, s.total) for s in await snapshots(app)]
    store = PortalStore(app.repo.sessions)
    job.client.timeout = 1.0  # what "timeout" waits for (the stand-in never answers)
    if mode == "down":
        await portal.stop()
    else:
        portal.mode = mode
    for day in (1, 2):  # two failing days
        [result] = await at(job, clock, DAY1 + timedelta(days=day))
        assert not result.ok and result.reason == reason
    assert [(s.id, s.total) for s in await snapshots(app)] == kept
    assert await count(app, m.ProvinceRow) == 2 * COMMUNES  # the lists stay too
    failure = await store.last_run(1, ok=False)
    assert failure is not None and failure.reason == reason and failure.detail
    streak = await store.streak(1)
    assert streak is not None and streak.runs == 2
    failed_key = portal_alert_key(1, streak.first.id, "failed", "telegram", ADMIN)
    assert await outbox_keys(app) == [failed_key]  # told once across two failing days
    async with app.repo.sessions() as s:
        alert = await s.scalar(select(m.Outbox).where(m.Outbox.key == failed_key))
    assert alert is not None
    text = alert.payload["text"]
    assert text.startswith("⚠ Phường Thiên Hương: không lấy được số liệu chỉ số")
    assert "Số liệu gần nhất vẫn giữ nguyên" in text and "06:30" in text

    if mode == "down":
        await portal.start()  # on the same port
    portal.mode = "ok"
    [result] = await at(job, clock, DAY1 + timedelta(days=3))
    assert result.ok
    recovered = portal_alert_key(1, streak.first.id, "recovered", "telegram", ADMIN)
    assert await outbox_keys(app) == [failed_key, recovered]
    await at(job, clock, DAY1 + timedelta(days=4))
    assert await outbox_keys(app) == [failed_key, recovered]  # told once when it recovers
    assert await store.streak(1) is None


async def test_a_timeout_is_tried_again_before_it_counts(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    _app, job, portal, clock = rig
    portal.fail_next = ["timeout", "server"]  # the first page twice; then it answers
    job.client.retries, job.client.timeout = 2, 1.0  # an answer under load fits
    [result] = await at(job, clock, DAY1)
    assert result.ok
    assert len(portal.requests) == 8  # 6 pages + 2 tries again
    assert portal.max_in_flight == 1


async def test_a_row_that_fails_the_checks_is_left_out_and_logged(
    rig: tuple[App, PortalJob, FakePortal, FixedClock], caplog: pytest.LogCaptureFixture
) -> None:
    app, job, portal, clock = rig
    portal.break_row("31005")
    with caplog.at_level(logging.WARNING, logger="bot.portal"):
        [result] = await at(job, clock, DAY1)
    assert result.ok
    logged = [r.getMessage() for r in caplog.records if "31005" in r.getMessage()]
    assert len(logged) == 2  # once for each period's list
    assert "over_max" in logged[0] and "'TDGQ': '25.00'" in logged[0]
    assert await count(app, m.ProvinceRow, m.ProvinceRow.unit_id == "31005") == 0
    assert await count(app, m.ProvinceRow) == 2 * (COMMUNES - 1)
    # the ward is ranked among the rows that passed
    month = (await snapshots(app))[0]
    assert month.rank_of == COMMUNES - 1 and month.rank in (WARD_RANK - 1, WARD_RANK)


# --- typed figures against the portal's --------------------------------------------------------


def typed(total_parts: dict[str, str], kind: str, period: int | None, as_of: date) -> SnapshotDraft:
    groups = {
        g.code: GroupScore(g.code, Decimal(total_parts.get(g.code, str(g.max_score))), g.max_score)
        for g in GROUPS
    }
    total = sum((g.score for g in groups.values()), Decimal(0))
    return SnapshotDraft(kind, 2025, period, as_of, total, 80, 114, groups, source="text")  # type: ignore[arg-type]


async def test_the_portal_wins_over_typed_figures_and_the_admins_hear_the_difference(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    app, job, _portal, clock = rig
    month = typed(
        {"tien_do": "19.5", "dvc_truc_tuyen": "8.07", "thanh_toan": "8.79", "so_hoa": "18.89"},
        "month",
        11,
        date(2025, 11, 19),
    )
    year = typed(
        {"tien_do": "19.78", "dvc_truc_tuyen": "8.1", "thanh_toan": "9.16", "so_hoa": "21.68"},
        "year",
        None,
        date(2025, 11, 19),
    )
    [(typed_month, _), (typed_year, _)] = await app.repo.save_snapshots(
        1, [month, year], "Phạm Quốc Bảo", clock.now()
    )
    [result] = await at(job, clock, DAY1)
    assert result.ok
    # the month differed: the portal's is stored and is what the ward reads now
    [first, portal_month] = await snapshots(app, "month")
    assert first.id == typed_month.id and portal_month.source == "portal"
    assert portal_month.total == Decimal("91.68")
    assert "91,68" in await ask(app, "điểm hiện tại?")
    # the year's typed figures are the portal's: nothing stored, nothing said
    assert [s.id for s in await snapshots(app, "year")] == [typed_year.id]
    key = portal_differs_key(portal_month.id, "telegram", ADMIN)
    assert await outbox_keys(app) == [key]
    async with app.repo.sessions() as s:
        notice = await s.scalar(select(m.Outbox).where(m.Outbox.key == key))
    assert notice is not None
    lines = notice.payload["text"].splitlines()
    assert lines[0].startswith("ℹ Phường Thiên Hương: số liệu tháng 11/2025 trên Cổng")
    assert "19/11/2025" in lines[0]
    assert lines[1:] == ["• Tiến độ giải quyết: 19,5 → 19,93", "• Tổng điểm: 91,25 → 91,68"]
    # fetched again with the same figures: nothing new
    await at(job, clock, DAY1 + timedelta(days=1))
    assert len(await snapshots(app, "month")) == 2 and await outbox_keys(app) == [key]


# --- the pure part ---------------------------------------------------------------------------


def test_periods_and_their_encodings() -> None:
    assert parse_period("2025-11") == MONTH and MONTH.label == "2025-11"
    assert parse_period("2025") == YEAR and YEAR.label == "2025"
    assert parse_period("2025-Q4") == PortalPeriod(2025, "quarter", 4)
    assert parse_period("2025-h1") == PortalPeriod(2025, "half", 1)
    for bad in ("2025-13", "2025-Q5", "25-11", "2025/11", "tháng 11"):
        assert parse_period(bad) is None, bad

    def encoded(period: PortalPeriod) -> tuple[object, ...]:
        p = request_params(period, "31", "2", 1, 100)
        return p["p_nam"], p["p_thang"], p["p_quy"], p["p_6thang"]

    assert encoded(MONTH) == ("2025", 11, 0, 0)
    assert encoded(YEAR) == ("2025", 0, 0, 0)
    assert encoded(PortalPeriod(2025, "quarter", 4)) == ("2025", 0, 4, 0)
    assert encoded(PortalPeriod(2025, "half", 2)) == ("2025", 0, 0, 2)


def _row(unit_id: str, name: str, *scores: str, total: str | None = None) -> dict[str, str]:
    fields = ("CKMB", "TDGQ", "TTTT", "CLGQ", "MDHL", "MDSH")
    row = {"ID": unit_id, "TEN": name, **dict(zip(fields, scores, strict=True))}
    row["TONG_SCORE"] = total or str(sum(Decimal(s) for s in scores))
    return row


def test_rows_are_checked_and_ranked_with_ties_sharing_a_place() -> None:
    rows = [
        _row("1", "Xã A", "18", "20", "12", "10", "18", "22"),
        _row("2", "Phường Thiên Hương", "18", "19.93", "8.07", "8.79", "18", "18.89"),
        _row("3", "Xã Bình", "18", "19.93", "8.07", "8.79", "18", "18.89", total="91.72"),
        _row("4", "Xã Quá", "18", "21", "8", "8", "18", "18"),  # Tiến độ over 20
        _row("5", "Xã Lệch", "18", "19", "8", "8", "18", "18", total="89.10"),  # sum is 89
        _row("6", "Xã Chữ", "18", "x", "8", "8", "18", "18", total="70"),
    ]
    plist = parse_rows(rows, "31", "2", MONTH)
    assert [(r.unit_id, r.rank) for r in plist.rows] == [("1", 1), ("3", 2), ("2", 3)]
    assert [(p.unit_id, p.code) for p in plist.problems] == [
        ("4", "over_max"),
        ("5", "total_mismatch"),
        ("6", "bad_number"),
    ]
    tied = rank_rows(
        [
            CommuneRow("a", "A", None, None, Decimal("90"), {}),
            CommuneRow("b", "B", None, None, Decimal("95"), {}),
            CommuneRow("c", "C", None, None, Decimal("90"), {}),
            CommuneRow("d", "D", None, None, Decimal("80"), {}),
        ]
    )
    assert [(r.unit_id, r.rank) for r in tied] == [("b", 1), ("a", 2), ("c", 2), ("d", 4)]
    assert find_ward_row(plist.rows, unit_name="PHUONG THIEN HUONG") == plist.rows[2]
    assert find_ward_row(plist.rows, unit_name="Thiên Hương") == plist.rows[2]
    assert find_ward_row(plist.rows, unit_id="3") == plist.rows[1]
    assert find_ward_row(plist.rows, unit_name="Xã Khác") is None
    with pytest.raises(PortalShapeError) as empty:
        parse_rows([], "31", "2", MONTH)
    assert empty.value.reason == "empty"
    renamed = [{**r, "TONG_DIEM": r["TONG_SCORE"]} for r in rows[:2]]
    for r in renamed:
        del r["TONG_SCORE"]
    with pytest.raises(PortalShapeError) as fields:
        parse_rows(renamed, "31", "2", MONTH)
    assert fields.value.reason == "fields" and "TONG_SCORE" in fields.value.detail


# --- wired into `chiso run` ---------------------------------------------------------------------


async def test_the_running_bot_fetches_when_a_ward_has_portal(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    import asyncio

    from bot.runner import running

    app, _job, portal, _clock = rig
    async with running(app, None, listen=False):
        for _ in range(200):  # the job's first wake-up is at once
            if await count(app, m.PortalRun, m.PortalRun.finished_at.is_not(None)):
                break
            await asyncio.sleep(0.05)
    runs = await PortalStore(app.repo.sessions).runs(1)
    assert [(r.slot, r.ok) for r in runs] == [("2025-11-20", True)]
    assert portal.requests and portal.requests[0][1]["User-Agent"].startswith("ChiSoBot/")


async def test_the_setting_turns_the_daily_fetch_off(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    from dataclasses import replace

    from bot.runner import _start_portal

    app, _job, _portal, _clock = rig
    job = await _start_portal(app, lambda: None, frozenset())
    assert job is not None
    await job.close()
    app.settings = replace(app.settings, portal_fetch=False)
    assert await _start_portal(app, lambda: None, frozenset()) is None


async def test_the_first_of_the_month_still_asks_for_the_month_just_ended(
    rig: tuple[App, PortalJob, FakePortal, FixedClock],
) -> None:
    _app, job, portal, clock = rig
    for when, asked in (
        (datetime(2025, 12, 1, 6, 30, tzinfo=VN_TZ), [("2025", 11), ("2025", 0)]),
        (datetime(2025, 12, 2, 6, 30, tzinfo=VN_TZ), [("2025", 12), ("2025", 0)]),
        (datetime(2026, 1, 1, 6, 30, tzinfo=VN_TZ), [("2025", 12), ("2025", 0)]),
    ):
        portal.requests.clear()
        await at(job, clock, when)
        firsts = [p for p, _ in portal.requests if p["pageIndex"] == 1]
        assert [(p["p_nam"], p["p_thang"]) for p in firsts] == asked, when


async def test_a_portal_added_while_running_is_fetched_without_a_restart(
    sqlite_url: str, portal: FakePortal
) -> None:
    """The job runs (unless turned off) even when no ward has [portal]: such a wake-up takes
    no lease and writes nothing; once `chiso setup` adds [portal], the next wake-up fetches."""
    from bot.runner import _start_portal
    from store.leases import Leases

    clock = FixedClock(DAY1)
    app = await open_app(sqlite_url, clock)
    try:
        await setup_ward(
            app, EXAMPLE_WARD.read_text(encoding="utf-8").replace("Phường Hòa Phong", WARD)
        )
        started = await _start_portal(app, lambda: None, frozenset())
        assert started is not None  # started although no ward has [portal] yet
        started.stop()  # the wake-ups are driven by hand below
        job = make_job(app)
        job.leases = Leases(app.repo.sessions, clock)
        await job._safe_run()
        assert await count(app, m.PortalRun) == 0 and await count(app, m.Lease) == 0
        await setup_ward(app, ward_toml(portal.base_url))
        await job._safe_run()
        runs = await PortalStore(app.repo.sessions).runs(1)
        assert [(r.slot, r.ok) for r in runs] == [("2025-11-20", True)]
        await started.close()
        await job.close()
    finally:
        await app.close()
