"""The reads and writes made fast for 3,321 wards (bench/scale.py) give what the plain ORM
reads gave, on SQLite and PostgreSQL: tasks by id (in chunks), every ward's chats and people
at once, a ward's snapshot history, the wards with their own departments, and the outbox's
one-statement enqueue on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bench import scale
from bot.app import App
from bot.config import Settings
from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from reminders.clock import FixedClock
from store import models as m
from store import tasks as task_store
from store.outbox import OutboxItem
from store.repo import Repo, _snapshot_rec

WARDS = 3


@pytest.fixture
async def country(db_url: str) -> AsyncIterator[App]:
    """Three wards as bench/scale.py builds them (tasks, chats, people, snapshots)."""
    await scale.build(db_url, WARDS, 6, 4)
    app = await App.open(
        Settings(database_url=db_url, cache_ttl=0), clock=FixedClock(scale.AT), charts=False
    )
    yield app
    await app.close()


async def test_tasks_by_id_in_chunks_match_the_orm_read(
    country: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = country.services.tasks
    async with country.repo.sessions() as s:
        rows = (await s.scalars(select(m.Task).order_by(m.Task.id))).all()
        expected = {r.id: r for r in await store._recs(s, rows)}
    assert len(expected) == WARDS * 6
    monkeypatch.setattr(task_store, "IDS_PER_QUERY", 4)  # several chunks
    ids = sorted(expected)[::-1]
    assert await store.by_ids(ids) == expected
    assert await store.by_ids([]) == {}
    assert await store.by_ids([999_999]) == {}


async def test_every_wards_chats_and_people_at_once(country: App) -> None:
    repo = country.repo
    chats = await repo.chats_of_wards(range(1, WARDS + 1))
    people = await repo.people_of_wards([3, 1, 2, 2])
    async with repo.sessions() as s:
        codes = {d.id: d.code for d in await s.scalars(select(m.Department))}
        for ward in range(1, WARDS + 1):
            rows = await s.scalars(select(m.Chat).where(m.Chat.ward_id == ward).order_by(m.Chat.id))
            assert chats[ward] == [
                Repo._chat_rec(c, codes.get(c.department_id or -1)) for c in rows
            ]
            assert len(chats[ward]) == 1 + len(scale.DEPARTMENTS)
            assert people[ward] == await repo.people(ward)
            assert await repo.ward_chats(ward) == chats[ward]
    leadership = await repo.chats_of_wards([1, 2], "leadership")
    assert [c.chat_id for c in leadership[1]] == [scale.chat_id(1, 0)]
    assert leadership[1][0].department is None
    department = chats[2][1]
    assert department.kind == "department" and department.department == scale.DEPARTMENTS[0]
    assert await repo.chats_of_wards([]) == {} and await repo.people_of_wards([]) == {}


async def test_each_ward_has_its_own_departments(country: App) -> None:
    wards = await country.repo.wards()
    assert [w.id for w in wards] == [1, 2, 3]
    for ward in wards:
        assert [d.code for d in ward.departments] == sorted(scale.DEPARTMENTS)
        assert ward == await country.repo.ward(ward.id)


async def test_snapshot_history_reads_the_newest_of_each_period(country: App) -> None:
    repo = country.repo
    # month 2/2026 corrected later: the newer as-of is the period's figures
    groups = {g.code: GroupScore(g.code, g.max_score, g.max_score) for g in GROUPS}
    draft = SnapshotDraft(
        "month", 2026, 2, date(2026, 3, 9), Decimal(100), 1, 114, groups, source="text"
    )
    newest, _replaced = await repo.save_snapshot(1, draft, "Cán bộ", country.services.clock.now())
    history = await repo.snapshot_history(1, "month", limit=3)
    assert [(h.year, h.period) for h in history] == [(2026, 2), (2026, 1), (2025, 12)]
    assert history[0] == newest
    async with repo.sessions() as s:
        rows = (
            await s.scalars(
                select(m.Snapshot)
                .where(m.Snapshot.ward_id == 1, m.Snapshot.id.in_([h.id for h in history]))
                .order_by(m.Snapshot.year.desc(), m.Snapshot.period.desc())
            )
        ).all()
        assert history == tuple(_snapshot_rec(r) for r in rows)
    assert [g.code for g in history[1].groups] == [g.code for g in GROUPS]
    assert await repo.snapshot_history(2, "year") == ()


async def test_enqueue_adds_each_key_once(country: App) -> None:
    outbox = country.services.outbox
    now = country.services.clock.now()
    payload = {"text": "Nhắc việc: hạn **12/03/2026** — Phòng Văn hóa - Xã hội", "buttons": []}
    items = [
        OutboxItem(key=f"bench:{i}", channel="telegram", chat_id=f"-100{i}", payload=payload)
        for i in range(5)
    ]
    later = now + timedelta(hours=1)
    items.append(
        OutboxItem("bench:late", "telegram", "-1", {"text": "x"}, ward_id=2, not_before=later)
    )
    assert await outbox.enqueue([*items, items[0]], now) == 6  # a key twice: added once
    assert await outbox.enqueue(items, now) == 0
    assert await outbox.enqueue([OutboxItem("bench:s", "zalo", "z", {})], now, "skipped") == 1
    async with country.repo.sessions() as s:
        rows = {r.key: r for r in await s.scalars(select(m.Outbox))}
    assert len(rows) == 7
    assert rows["bench:0"].payload == payload and rows["bench:0"].status == "pending"
    assert rows["bench:0"].lane == "notice" and rows["bench:0"].attempts == 0
    assert rows["bench:late"].not_before == later and rows["bench:late"].ward_id == 2
    assert rows["bench:late"].created_at == now and rows["bench:s"].status == "skipped"
    assert rows["bench:s"].unsure_sends == 0
