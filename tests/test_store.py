"""The store on SQLite and PostgreSQL: setup is idempotent, snapshots round-trip, chats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from ingest.ward_config import load_ward_config
from reminders.clock import FixedClock
from store import models as m
from store.migrate import current_revision
from store.setup import apply_ward_config
from tests.conftest import EXAMPLE_WARD


def _draft(month: int, total_shift: str = "0", as_of: date | None = None) -> SnapshotDraft:
    groups = {g.code: GroupScore(g.code, g.max_score, g.max_score) for g in GROUPS}
    groups["so_hoa"] = GroupScore("so_hoa", Decimal("18.89") + Decimal(total_shift), Decimal("22"))
    total = sum((x.score for x in groups.values()), Decimal(0))
    return SnapshotDraft(
        "month", 2025, month, as_of or date(2025, month, 28), total, 80, 114, groups
    )


async def _counts(app: App) -> dict[str, int]:
    result = {}
    async with app.repo.sessions() as s:
        for model in (m.Ward, m.Department, m.Person, m.Chat):
            result[model.__tablename__] = await s.scalar(select(func.count()).select_from(model))
    return result


async def test_migrations_and_idempotent_setup(db_url: str, clock: FixedClock) -> None:
    app = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:
        assert await current_revision(app.engine) is not None
        cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8"))
        for _ in range(2):
            async with app.repo.sessions.begin() as s:
                summary = await apply_ward_config(s, cfg, clock.now())
        assert not summary.created_ward
        assert summary.added == {"departments": 0, "people": 0, "chats": 0}
        assert await _counts(app) == {"wards": 1, "departments": 8, "people": 5, "chats": 3}
        admin = await app.repo.person_by_channel("telegram", "700000003")
        assert admin is not None and admin.is_admin and admin.departments == ("VP",)
        ward = await app.repo.ward(admin.ward_id)
        assert ward is not None and ward.group_owners["so_hoa"] == "TTPVHCC"
    finally:
        await app.close()


async def test_setup_follows_the_file(db_url: str, clock: FixedClock) -> None:
    app = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:
        text = EXAMPLE_WARD.read_text(encoding="utf-8")
        async with app.repo.sessions.begin() as s:
            await apply_ward_config(s, load_ward_config(text), clock.now())
        # Lan leaves; Tuấn takes over her Telegram account id; a chat moves department.
        text = text.replace('name = "Nguyễn Thị Lan"', 'name = "Gone"', 1)
        start = text.index('name = "Gone"')
        end = text.index("[[people]]", start)
        text = text[: text.rindex("[[people]]", 0, start)] + text[end:]
        text = text.replace("telegram_id = 700000005", "telegram_id = 700000004")
        async with app.repo.sessions.begin() as s:
            summary = await apply_ward_config(s, load_ward_config(text), clock.now())
        assert summary.removed["people"] == 1
        person = await app.repo.person_by_channel("telegram", "700000004")
        assert person is not None and person.name == "Võ Minh Tuấn"
    finally:
        await app.close()


async def test_snapshots_history_and_replace(db_url: str, clock: FixedClock) -> None:
    app = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:
        async with app.repo.sessions.begin() as s:
            cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8"))
            ward_id = (await apply_ward_config(s, cfg, clock.now())).ward_id
        assert not await app.repo.has_snapshots(ward_id)
        for month in (9, 10, 11):
            await app.repo.save_snapshot(ward_id, _draft(month), "test", clock.now())
        _, replaced = await app.repo.save_snapshot(ward_id, _draft(11, "0.5"), "test", clock.now())
        assert replaced
        history = await app.repo.snapshot_history(ward_id, "month")
        assert [h.period for h in history] == [11, 10, 9]
        assert history[0].total == Decimal("97.39")
        assert [g.code for g in history[0].groups] == [g.code for g in GROUPS]
        # a later as-of date in the same month is the month's current figure
        await app.repo.save_snapshot(ward_id, _draft(11, "1", date(2025, 11, 30)), "t", clock.now())
        history = await app.repo.snapshot_history(ward_id, "month")
        assert [h.period for h in history] == [11, 10, 9]
        assert history[0].as_of == date(2025, 11, 30)
    finally:
        await app.close()


async def test_chats_seen_registered_and_pending(db_url: str, clock: FixedClock) -> None:
    app = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:
        async with app.repo.sessions.begin() as s:
            cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8"))
            ward_id = (await apply_ward_config(s, cfg, clock.now())).ward_id
        seen = await app.repo.see_chat("telegram", "-42", "Nhóm mới", True, clock.now())
        assert not seen.registered
        chat = await app.repo.register_chat(
            "telegram", "-42", ward_id, "department", "VHXH", "Nhóm mới", clock.now()
        )
        assert chat.registered and chat.department == "VHXH"
        assert await app.repo.unregister_chat("telegram", "-42")
        assert not await app.repo.unregister_chat("telegram", "-42")
        pending = await app.repo.set_pending(
            ward_id,
            "telegram",
            "1",
            "2",
            "k",
            {"a": 1},
            ["save", "cancel"],
            clock.now(),
            clock.now(),
        )
        got = await app.repo.pending("telegram", "1", "2")
        assert got is not None and got.payload == {"a": 1} and got.expires_at == clock.now()
        assert await app.repo.clear_pending(pending.id)
        assert await app.repo.pending("telegram", "1", "2") is None
    finally:
        await app.close()


async def test_migrations_match_the_models(db_url: str, clock: FixedClock) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    app = await App.open(Settings(database_url=db_url, cache_ttl=0), clock=clock)
    try:

        def diff(connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            return compare_metadata(context, m.Base.metadata)

        async with app.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await app.close()
