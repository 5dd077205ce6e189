"""Many wards in one database, on SQLite and PostgreSQL: `chiso setup` with several ward
files, a folder or a province file (all or nothing); a person in two wards (the private chat
answers for the ward they chose, a group for the group's ward); staff of one ward never see
another's figures; provincial staff see the wards side by side and write to every ward's
leadership chat; migration 0014 keeps the people it finds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.cli import main
from bot.config import Settings
from handlers.protocol import Inbound, Reply
from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.province import ProvinceStore
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import EXAMPLE_WARD

WARD_A, WARD_B = "Phường Hòa Phong", "Phường Hòa Xuân"  # A sorts first
PROVINCE = "Thành phố Đà Nẵng"
ADMIN = "700000003"  # Phạm Quốc Bảo: the administrator of both wards (a vendor's)
STAFF_A = "700000004"  # Nguyễn Thị Lan, ward A only
STAFF_B = "700000104"
OFFICER = "710000001"  # provincial staff
A_LEADERS, A_DEPT = "-1001000000001", "-1001000000002"
B_LEADERS, B_DEPT = "-1002000000001", "-1002000000002"
WARD_B_TEXT = f"""
[ward]
name = "{WARD_B}"
province = "{PROVINCE}"

[reminders]
sending_hours = "08:00-17:00"

[[departments]]
code = "TTPVHCC"
name = "Trung tâm Phục vụ hành chính công"

[[departments]]
code = "VP"
name = "Văn phòng HĐND và UBND"

[[people]]
name = "Ngô Văn Xuân"
role = "chairman"
telegram_id = 700000101

[[people]]
name = "Phạm Quốc Bảo"
role = "admin"
departments = ["VP"]
telegram_id = {ADMIN}

[[people]]
name = "Trịnh Thị Bích"
role = "staff"
departments = ["TTPVHCC"]
telegram_id = {STAFF_B}

[[chats]]
channel = "telegram"
chat_id = "{B_LEADERS}"
kind = "leadership"
title = "Lãnh đạo phường Hòa Xuân"

[[chats]]
channel = "telegram"
chat_id = "{B_DEPT}"
kind = "department"
department = "TTPVHCC"
title = "Một cửa Hòa Xuân"
"""
PROVINCE_TEXT = f"""
[province]
name = "{PROVINCE}"
wards = ["wards/*.toml"]

[[people]]
name = "Đỗ Thị Tỉnh"
role = "province"
telegram_id = {OFFICER}
"""
# ward A lists the national portal: the province view prefers the portal's figures for it
PORTAL = '\n[portal]\nprovince_id = "48"\nunit_name = "Phường Hòa Phong"\n'
NOW = datetime(2025, 11, 20, 9, 0, tzinfo=VN_TZ)  # a Thursday within office hours


def write_files(root: Path, ward_a: str | None = None, ward_b: str = WARD_B_TEXT) -> Path:
    """wards/a.toml, wards/b.toml and province.toml under root; returns province.toml."""
    wards = root / "wards"
    wards.mkdir(parents=True, exist_ok=True)
    text_a = ward_a if ward_a is not None else EXAMPLE_WARD.read_text(encoding="utf-8") + PORTAL
    (wards / "a.toml").write_text(text_a, encoding="utf-8")
    (wards / "b.toml").write_text(ward_b, encoding="utf-8")
    province = root / "province.toml"
    province.write_text(PROVINCE_TEXT, encoding="utf-8")
    return province


async def chiso(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, *argv: str
) -> tuple[int, str, str]:
    """`chiso ARGV` in this process (in a thread: it runs its own event loop)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CHISO_START_AT", NOW.isoformat())
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def open_app(url: str) -> App:
    return await App.open(Settings(database_url=url, cache_ttl=0), clock=FixedClock(NOW))


async def ward_ids(app: App) -> dict[str, int]:
    return {w.name: w.id for w in await app.repo.wards()}


def _november(total_shift: str) -> SnapshotDraft:
    groups = {g.code: GroupScore(g.code, g.max_score, g.max_score) for g in GROUPS}
    so_hoa = Decimal("22") - Decimal(total_shift)
    groups["so_hoa"] = GroupScore("so_hoa", so_hoa, Decimal("22"))
    total = sum((x.score for x in groups.values()), Decimal(0))
    return SnapshotDraft("month", 2025, 11, date(2025, 11, 15), total, None, None, groups)


async def add_data(app: App) -> None:
    """November figures (A 94,72; B 87,09) and tasks (A: one overdue; B: two overdue)."""
    ids = await ward_ids(app)
    now = app.services.clock.now()
    await app.repo.save_snapshot(ids[WARD_A], _november("5.28"), "test", now)
    await app.repo.save_snapshot(ids[WARD_B], _november("12.91"), "test", now)
    for ward, deadlines in (
        (WARD_A, [date(2025, 11, 17), date(2025, 12, 15)]),
        (WARD_B, [date(2025, 11, 3), date(2025, 11, 14), date(2025, 12, 20)]),
    ):
        tasks = [
            NewTask(f"Việc {i} của {ward}", [NewUnit("lead", "TTPVHCC", "")], deadline=d)
            for i, d in enumerate(deadlines, start=1)
        ]
        await app.services.tasks.save_directive(
            ids[ward], NewDirective(kind="ke_hoach", number="1/KH", tasks=tasks), "test", now
        )


@pytest.fixture
async def province_db(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> AsyncIterator[str]:
    """Both wards and the provincial officer, set up by `chiso setup province.toml`."""
    province = write_files(tmp_path)
    code, _out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(province))
    assert code == 0, err
    yield db_url


def ward_lines(text: str) -> list[str]:
    """The numbered lines of a list of wards ("1. **Phường …**: …")."""
    return [line for line in text.splitlines() if line[:1].isdigit() and ". **" in line]


def said(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def message(user: str, text: str, chat: str | None = None, **kw: object) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=chat or user,
        chat_kind="group" if chat else "private",
        user_id=user,
        text=text,
        addressed=True,
        **kw,  # type: ignore[arg-type]
    )


# --- chiso setup -------------------------------------------------------------------------------


async def test_setup_takes_several_files_a_folder_and_a_province_file(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    province = write_files(tmp_path)
    a, b = tmp_path / "wards" / "a.toml", tmp_path / "wards" / "b.toml"
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(a), str(b))
    assert code == 0, err
    assert f"Đã tạo {WARD_A}" in out and f"Đã tạo {WARD_B}" in out
    # a folder: every *.toml in it, by name; nothing duplicated
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(tmp_path / "wards"))
    assert code == 0, err
    assert f"Đã cập nhật {WARD_A}" in out and f"Đã cập nhật {WARD_B}" in out
    # the province file: its wards, and its staff in each of them
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(province))
    assert code == 0, err
    assert "Thành phố Đà Nẵng: 1 cán bộ tỉnh trong mỗi phường/xã (tất cả 2 phường/xã)." in out
    app = await open_app(db_url)
    try:
        assert sorted(await ward_ids(app)) == [WARD_A, WARD_B]
        officer = await app.repo.people_by_channel("telegram", OFFICER)
        assert [p.role for p in officer] == ["province", "province"]
        admin = await app.repo.people_by_channel("telegram", ADMIN)
        assert len(admin) == 2 and {p.role for p in admin} == {"admin"}
        async with app.repo.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(m.Ward)) == 2
    finally:
        await app.close()
    # a ward file set up alone keeps the ward's provincial staff
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(a))
    assert code == 0, err
    app = await open_app(db_url)
    try:
        assert len(await app.repo.people_by_channel("telegram", OFFICER)) == 2
    finally:
        await app.close()


async def test_a_bad_file_is_refused_and_nothing_is_written(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    province = write_files(tmp_path)
    code, _out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(province))
    assert code == 0, err
    # ward A gains a department, ward B gets a role that does not exist: neither is written
    text_a = EXAMPLE_WARD.read_text(encoding="utf-8") + PORTAL
    text_a += '\n[[departments]]\ncode = "MOI"\nname = "Phòng Mới"\n'
    bad_b = WARD_B_TEXT.replace('role = "chairman"', 'role = "boss"')
    write_files(tmp_path, text_a, bad_b)
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(province))
    assert code == 2
    assert "b.toml, dòng 19: “boss” không phải vai trò hợp lệ" in err
    assert "Chưa ghi phường/xã nào" in err and "Đã cập nhật" not in out
    # provincial staff listed in a ward of their province too
    clash = WARD_B_TEXT + '\n[[people]]\nname = "Đỗ Thị Tỉnh"\nrole = "staff"\n'
    write_files(tmp_path, text_a, clash)
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(province))
    assert code == 2 and "Đỗ Thị Tỉnh là cán bộ tỉnh trong" in err
    # a ward file alone that gives the officer's id to someone else
    alone = (
        WARD_B_TEXT
        + f'\n[[people]]\nname = "Người Khác"\nrole = "staff"\ntelegram_id = {OFFICER}\n'
    )
    write_files(tmp_path, text_a, alone)
    code, out, err = await chiso(monkeypatch, capsys, db_url, "setup", str(tmp_path / "wards"))
    assert code == 2 and f"telegram_id {OFFICER} của Người Khác là mã của Đỗ Thị Tỉnh" in err
    app = await open_app(db_url)
    try:
        async with app.repo.sessions() as s:
            codes = set(await s.scalars(select(m.Department.code)))
            assert "MOI" not in codes
            roles = set(await s.scalars(select(m.Person.role)))
            assert "boss" not in roles
        assert len(await app.repo.people_by_channel("telegram", OFFICER)) == 2
    finally:
        await app.close()


# --- one person in two wards -------------------------------------------------------------------


async def test_a_person_in_two_wards_chooses_in_private_and_groups_answer_for_their_ward(
    province_db: str,
) -> None:
    app = await open_app(province_db)
    try:
        await add_data(app)
        # private chat, no choice yet: the first ward by name, said once with how to switch
        first = said(await app.router.handle(message(ADMIN, "điểm hiện tại?")))
        assert "Anh/chị thuộc 2 phường/xã; bot đang trả lời cho **Phường Hòa Phong**" in first
        assert WARD_B in first and "/phuong" in first
        assert "94,72" in first and "87,09" not in first
        again = said(await app.router.handle(message(ADMIN, "điểm hiện tại?")))
        assert "Anh/chị thuộc 2 phường/xã" not in again and "94,72" in again
        # /phuong lists the wards as buttons; pressing one keeps the choice
        choose = await app.router.handle(message(ADMIN, "/phuong"))
        assert [b.label for row in choose[0].buttons for b in row] == [WARD_A, WARD_B]
        ward_b_button = choose[0].buttons[1][0].data
        chosen = said(
            await app.router.handle(message(ADMIN, "", event="button", button_data=ward_b_button))
        )
        assert f"Từ bây giờ bot trả lời anh/chị cho **{WARD_B}**" in chosen
        answer = said(await app.router.handle(message(ADMIN, "điểm hiện tại?")))
        assert "87,09" in answer and "94,72" not in answer
        # a group answers for the group's ward, whatever was chosen in private
        in_a = said(await app.router.handle(message(ADMIN, "điểm hiện tại?", chat=A_LEADERS)))
        assert "94,72" in in_a and "87,09" not in in_a
        in_b = said(await app.router.handle(message(ADMIN, "điểm hiện tại?", chat=B_LEADERS)))
        assert "87,09" in in_b and "94,72" not in in_b
        # the choice survives a restart (it is stored)
        app.repo.invalidate()
        again = said(await app.router.handle(message(ADMIN, "/phuong 1")))
        assert WARD_A in again
        assert await app.repo.ward_choice("telegram", ADMIN) == (await ward_ids(app))[WARD_A]
        # registering a new group: for the chosen ward, and how to pick another is said
        new_group = "-1003000000009"
        got = said(await app.router.handle(message(ADMIN, "/dangky lanhdao", chat=new_group)))
        assert f"Nhóm thuộc {WARD_A}" in got and "/phuong" in got
        chat = await app.repo.chat("telegram", new_group)
        assert chat is not None and chat.ward_id == (await ward_ids(app))[WARD_A]
    finally:
        await app.close()


async def test_staff_of_one_ward_never_see_another_wards_figures(province_db: str) -> None:
    app = await open_app(province_db)
    try:
        await add_data(app)
        # asked for B's figures in A's chat: A's only
        got = said(
            await app.router.handle(
                message(STAFF_A, "phường Hòa Xuân được bao nhiêu điểm?", A_DEPT)
            )
        )
        assert "94,72" in got and "87,09" not in got and WARD_B not in got
        # in B's group, A's staff get no ward data at all
        got = said(await app.router.handle(message(STAFF_A, "điểm hiện tại?", chat=B_DEPT)))
        assert f"Nhóm này thuộc {WARD_B}" in got and "87,09" not in got and "94,72" not in got
        assert said(await app.router.handle(message(STAFF_A, "/phuong"))).startswith(
            "Anh/chị chỉ thuộc một phường/xã"
        )
        # B's tasks are not A's
        tasks = said(await app.router.handle(message(STAFF_A, "/quahan")))
        assert "Việc 1 của Phường Hòa Phong" in tasks and WARD_B not in tasks
        # the province view is provincial staff's
        refused = said(await app.router.handle(message(STAFF_A, "tình hình các phường")))
        assert "Chỉ cán bộ tỉnh mới xem được tình hình các phường/xã trong tỉnh." in refused
    finally:
        await app.close()


# --- provincial staff ------------------------------------------------------------------------


async def test_province_view_side_by_side_and_the_slowest_wards(province_db: str) -> None:
    app = await open_app(province_db)
    try:
        await add_data(app)
        view = said(await app.router.handle(message(OFFICER, "tình hình các phường")))
        a_line, b_line = ward_lines(view)  # the higher total first
        assert WARD_A in a_line and WARD_B in b_line
        assert "**94,72** (Xuất sắc)" in a_line and "hạng 1/2" in a_line
        assert "🔴 1 việc quá hạn / 2 việc đang mở" in a_line
        assert "**87,09** (Tốt)" in b_line and "hạng 2/2" in b_line
        assert "🔴 2 việc quá hạn / 3 việc đang mở" in b_line
        assert "số liệu tháng mới nhất do từng phường/xã tự cập nhật (tháng 11/2025)" in view
        slow = said(await app.router.handle(message(OFFICER, "phường nào chậm nhất?")))
        order = ward_lines(slow)
        assert WARD_B in order[0] and WARD_A in order[1]
        # B: 03/11 and 14/11 are 13 and 4 working days before 20/11
        assert (
            "2/3 việc đang mở đã quá hạn, tổng cộng trễ 17 ngày làm việc (lâu nhất 13" in (order[0])
        )
        assert "2/2 phường/xã có việc quá hạn." in slow
        # only in private
        group = said(await app.router.handle(message(OFFICER, "/cacphuong", chat=A_LEADERS)))
        assert "chỉ được xem trong tin nhắn riêng" in group and "87,09" not in group

        # the portal's list, once stored, is preferred for the wards it lists, and said so
        async with app.repo.sessions.begin() as s:
            for unit, name, total, rank in (
                ("1", "Phường Hải Châu", "96.1", 1),
                ("2", WARD_A, "93.5", 2),
                ("3", "Xã Hòa Vang", "70", 3),
            ):
                s.add(
                    m.ProvinceRow(
                        province_id="48",
                        unit_level="2",
                        period_kind="month",
                        year=2025,
                        period=11,
                        unit_id=unit,
                        name=name,
                        rank=rank,
                        position=rank,
                        total=Decimal(total),
                        groups={},
                        fetched_at=NOW - timedelta(hours=2),
                    )
                )
        ProvinceStore.for_sessions(app.repo.sessions).invalidate()  # as a fetch does
        view = said(await app.router.handle(message(OFFICER, "/cacphuong")))
        a_line = next(line for line in ward_lines(view) if WARD_A in line)
        assert "**93,5**" in a_line and "hạng 2/3" in a_line
        assert "danh sách của tỉnh trên Cổng Dịch vụ công quốc gia cho 1 phường/xã" in view
    finally:
        await app.close()


async def test_the_view_pages_a_province_of_many_wards(province_db: str) -> None:
    from ingest.province_config import load_province_config
    from ingest.ward_config import load_ward_config
    from store.setup import apply_ward_config

    app = await open_app(province_db)
    try:
        staff = load_province_config(PROVINCE_TEXT).people
        async with app.repo.sessions.begin() as s:
            for i in range(21):
                cfg = load_ward_config(f'[ward]\nname = "Xã Số {i:02d}"\nprovince = "{PROVINCE}"\n')
                await apply_ward_config(s, cfg, NOW, staff)
        first = (await app.router.handle(message(OFFICER, "tình hình các phường")))[0]
        assert "**Trang 1/2** (mục 1–20)" in first.text
        page_two = first.buttons[0][0].data
        second = said(
            await app.router.handle(message(OFFICER, "", event="button", button_data=page_two))
        )
        assert "**Trang 2/2** (mục 21–23)" in second and "23. **" in second
    finally:
        await app.close()


async def test_a_province_broadcast_reaches_every_wards_leadership_chat(province_db: str) -> None:
    app = await open_app(province_db)
    try:
        ids = await ward_ids(app)
        preview = (await app.router.handle(message(OFFICER, "/phatthanhtinh Họp giao ban 766")))[0]
        assert "Gửi tới 2 nhóm lãnh đạo của 2 phường/xã" in preview.text
        confirm = preview.buttons[0][0].data
        queued = said(
            await app.router.handle(message(OFFICER, "", event="button", button_data=confirm))
        )
        assert "đã xếp hàng gửi" in queued
        async with app.repo.sessions() as s:
            rows = (
                await s.execute(select(m.Outbox.chat_id, m.Outbox.ward_id, m.Outbox.lane))
            ).all()
            sender = await s.scalar(select(m.Broadcast.sender))
        # one row per leadership chat, each with its own ward (its sending hours apply)
        assert sorted(rows) == sorted(
            [(A_LEADERS, ids[WARD_A], "broadcast"), (B_LEADERS, ids[WARD_B], "broadcast")]
        )
        assert sender == "Đỗ Thị Tỉnh"
        # a ward's administrator cannot
        refused = said(await app.router.handle(message(ADMIN, "/phatthanhtinh Xin chào")))
        assert "Chỉ cán bộ tỉnh mới gửi được tin tới lãnh đạo mọi phường/xã." in refused
        # the officer follows it; the administrator of the ward it was sent from neither sees
        # nor stops what went to the other wards' chats
        async with app.repo.sessions() as s:
            number = str(await s.scalar(select(m.Broadcast.id)))
        followed = said(await app.router.handle(message(OFFICER, f"/tinhtrang {number}")))
        assert "Họp giao ban 766" in followed or f"#{number}" in followed
        for text in ("/tinhtrang", f"/tinhtrang {number}", f"/huyphat {number}"):
            got = said(await app.router.handle(message(ADMIN, text)))
            assert "Họp giao ban 766" not in got and "lãnh đạo của mọi" not in got
        async with app.repo.sessions() as s:
            statuses = set(await s.scalars(select(m.Outbox.status)))
        assert statuses == {"pending"}  # nothing was stopped
    finally:
        await app.close()


# --- migration 0014 ------------------------------------------------------------------------------


async def test_migration_0014_keeps_people_and_lets_them_be_in_several_wards(db_url: str) -> None:
    from alembic import command

    from store.db import create_engine
    from store.migrate import alembic_config, upgrade

    engine = create_engine(db_url)
    try:
        await upgrade(engine, "0013")
        async with engine.begin() as c:
            await c.execute(
                sql(
                    "INSERT INTO wards (id, name, province, timezone, group_owners, "
                    "reminder_policy, templates, briefing, portal) VALUES "
                    "(1, 'A', '', 'Asia/Ho_Chi_Minh', '{}', '{}', '[]', '{}', '{}'), "
                    "(2, 'B', '', 'Asia/Ho_Chi_Minh', '{}', '{}', '[]', '{}', '{}')"
                )
            )
            await c.execute(
                sql(
                    "INSERT INTO people (ward_id, name, role, telegram_id, "
                    "zalo_id) VALUES (1, 'An', 'admin', '42', 'z42')"
                )
            )
        await upgrade(engine)
        async with engine.begin() as c:
            kept = (await c.execute(sql("SELECT ward_id, name, telegram_id FROM people"))).all()
            assert [tuple(r) for r in kept] == [(1, "An", "42")]
            # the same id in another ward: allowed now
            await c.execute(
                sql(
                    "INSERT INTO people (ward_id, name, role, telegram_id) "
                    "VALUES (2, 'An', 'admin', '42')"
                )
            )
        with pytest.raises(IntegrityError):  # twice in one ward: still refused
            async with engine.begin() as c:
                await c.execute(
                    sql(
                        "INSERT INTO people (ward_id, name, role, telegram_id) "
                        "VALUES (2, 'Bình', 'staff', '42')"
                    )
                )

        def downgrade(connection):  # type: ignore[no-untyped-def]
            command.downgrade(alembic_config(connection), "0013")

        with pytest.raises(RuntimeError, match="several wards"):  # changes nothing
            async with engine.begin() as c:
                await c.run_sync(downgrade)
        async with engine.begin() as c:
            await c.execute(sql("DELETE FROM people WHERE ward_id = 2"))
            await c.run_sync(downgrade)
        await upgrade(engine)
        async with engine.begin() as c:
            names = (await c.execute(sql("SELECT name FROM people"))).scalars().all()
            assert names == ["An"]
    finally:
        await engine.dispose()


async def test_a_question_asked_in_one_ward_is_answered_in_that_ward(province_db: str) -> None:
    from handlers import score_import
    from tests.test_e2e_telegram import REPORT

    app = await open_app(province_db)
    try:
        ids = await ward_ids(app)
        await app.repo.choose_ward("telegram", ADMIN, ids[WARD_A], NOW)
        # ward B asked the administrator for its report (e.g. before they switched to A)
        await app.repo.set_pending(
            ids[WARD_B], "telegram", ADMIN, ADMIN, score_import.AWAIT_KIND, {}, [], NOW,
            NOW + timedelta(hours=1),
        )  # fmt: skip
        preview = (await app.router.handle(message(ADMIN, REPORT)))[0]
        save = next(b.data for row in preview.buttons for b in row if b.data.endswith(":save"))
        await app.router.handle(message(ADMIN, "", event="button", button_data=save))
        assert await app.repo.has_snapshots(ids[WARD_B])
        assert not await app.repo.has_snapshots(ids[WARD_A])
        # the private chat still answers for the chosen ward
        assert "Chưa có số liệu" in said(await app.router.handle(message(ADMIN, "/diem")))
    finally:
        await app.close()


async def test_a_question_of_a_ward_the_person_has_left_is_not_answered_in_another(
    province_db: str,
) -> None:
    from handlers import score_import

    app = await open_app(province_db)
    try:
        ids = await ward_ids(app)
        await app.repo.choose_ward("telegram", ADMIN, ids[WARD_A], NOW)
        pending = await app.repo.set_pending(
            ids[WARD_B], "telegram", ADMIN, ADMIN, score_import.CONFIRM_KIND,
            {"drafts": []}, ["save", "cancel"], NOW, NOW + timedelta(hours=1),
        )  # fmt: skip
        async with app.repo.sessions.begin() as s:  # removed from ward B meanwhile
            await s.execute(
                sql("DELETE FROM people WHERE ward_id = :w AND telegram_id = :t"),
                {"w": ids[WARD_B], "t": ADMIN},
            )
        app.repo.invalidate()
        got = said(
            await app.router.handle(
                message(ADMIN, "", event="button", button_data=f"p{pending.id}:save")
            )
        )
        assert "Câu hỏi này đã hết hiệu lực" in got
        assert await app.repo.pending("telegram", ADMIN, ADMIN) is None
        assert not await app.repo.has_snapshots(ids[WARD_A])
    finally:
        await app.close()


async def test_a_reminders_button_acts_on_its_own_wards_task(province_db: str) -> None:
    """Task #1 of ward B reminded in private to someone answering for ward A: its buttons
    act on B's #1, never A's; someone not in B changes nothing with them."""
    app = await open_app(province_db)
    try:
        await add_data(app)
        ids = await ward_ids(app)
        await app.repo.choose_ward("telegram", ADMIN, ids[WARD_A], NOW)
        details = said(
            await app.router.handle(
                message(ADMIN, "", event="button", button_data=f"chitiet:1@{ids[WARD_B]}")
            )
        )
        assert f"Việc 1 của {WARD_B}" in details and WARD_A not in details
        closing = said(
            await app.router.handle(
                message(ADMIN, "", event="button", button_data=f"xong:1@{ids[WARD_B]}")
            )
        )
        assert f"Việc 1 của {WARD_B}" in closing
        await app.router.handle(message(ADMIN, "Đã nộp báo cáo"))  # the evidence
        assert (await app.services.tasks.task(ids[WARD_B], 1)).status == "done"  # type: ignore[union-attr]
        assert (await app.services.tasks.task(ids[WARD_A], 1)).status == "open"  # type: ignore[union-attr]
        # the private chat still answers for the chosen ward
        assert "94,72" in said(await app.router.handle(message(ADMIN, "điểm hiện tại?")))
        # ward A's staff pressing a button of ward B's task: nothing
        refused = said(
            await app.router.handle(
                message(STAFF_A, "", event="button", button_data=f"hoan:2@{ids[WARD_B]}")
            )
        )
        assert "chưa có gì thay đổi" in refused and WARD_B not in refused
        assert not await app.services.tasks.snoozed(
            [t.id for t in [await app.services.tasks.task(ids[WARD_B], 2)] if t], NOW.date()
        )
    finally:
        await app.close()


def test_one_telegram_menu_for_someone_in_several_wards_with_every_roles_commands() -> None:
    from bot.channels.telegram import _menu_of
    from locales import translator

    _ = translator("vi")
    names = [c.command for c in _menu_of(["admin", "province"], _)]
    assert "capnhatdiem" in names and "cacphuong" in names and "phatthanhtinh" in names
    assert names == list(dict.fromkeys(names))  # once each, in the registry's order
