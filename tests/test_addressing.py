"""Reaching a person on every channel they have: a chairman who uses only Zalo gets the
escalations and the "missed" alerts on the Zalo Bot and through the OA; department members
are mentioned on Zalo chats as on Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta

from bot.app import App
from bot.channels.zalo import ZaloBotChannel
from bot.channels.zalo_oa import PROVIDER, USER_PREFIX, ZaloOAClient
from bot.runner import running
from ingest.ward_config import load_ward_config
from reminders.addressing import OA_USER_PREFIX, mention, person_targets
from reminders.clock import FixedClock
from reminders.scheduler import ReminderScheduler
from store.oauth import TokenStore
from store.records import PersonRec
from store.setup import apply_ward_config
from tests.conftest import EXAMPLE_WARD
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA
from tests.test_reminders_flow import LEADERSHIP_CHAT, at, load, parts, rows, ttpvhcc

CHAIRMAN_ZALO = "8532000000000000001"
CHAIRMAN_OA = "4400000000000000001"
STAFF_ZALO = "8532000000000000004"  # Nguyễn Thị Lan, TTPVHCC, in examples/ward.toml
STAFF_OA = "4400000000000000004"
OA_ID = "oa-1"


async def chairman_on_zalo_only(app: App) -> None:
    """The example ward, with a chairman who has no Telegram, only Zalo and the OA."""
    text = EXAMPLE_WARD.read_text(encoding="utf-8")
    chairman = "telegram_id = 700000001\n"
    staff = f'zalo_id = "{STAFF_ZALO}"\n'
    assert text.count(chairman) == 1 and text.count(staff) == 1
    text = text.replace(chairman, f'zalo_id = "{CHAIRMAN_ZALO}"\nzalo_oa_id = "{CHAIRMAN_OA}"\n')
    text = text.replace(staff, f'{staff}zalo_oa_id = "{STAFF_OA}"\n')
    async with app.repo.sessions.begin() as s:
        await apply_ward_config(s, load_ward_config(text), app.services.clock.now())
    app.repo.invalidate()


def scheduler(app: App, channels: set[str] | None = None) -> ReminderScheduler:
    s = app.services
    return ReminderScheduler(
        app.repo, s.tasks, s.outbox, s.clock, s.calendar, s.on_outbox, channels=channels
    )


async def tick_mornings(sched: ReminderScheduler, clock: FixedClock, first: date, last: date):  # type: ignore[no-untyped-def]
    day = first
    while day <= last:
        clock.set(at(day))
        await sched.tick()
        day += timedelta(days=1)


def test_one_function_addresses_a_person_on_each_channel() -> None:
    assert OA_USER_PREFIX == USER_PREFIX  # the OA adapter's private chat ids
    person = PersonRec(1, 1, "Trần Văn Minh", "chairman", (), zalo_id="85", zalo_oa_id="44")
    assert person_targets(person) == [("zalo", "85"), ("zalo_oa", "user:44")]
    assert person_targets(person, {"telegram", "zalo_oa"}) == [("zalo_oa", "user:44")]
    assert mention(person, "zalo") == "@[Trần Văn Minh](user:85)"
    assert mention(person, "zalo_oa") == "@[Trần Văn Minh](user:44)"
    assert mention(person, "telegram") is None


async def test_a_zalo_only_chairman_gets_missed_and_escalation_on_zalo(
    app: App, clock: FixedClock
) -> None:
    await chairman_on_zalo_only(app)
    await load(
        app,
        ttpvhcc("Số hóa hồ sơ", deadline=date(2025, 11, 28)),
        ttpvhcc("Báo cáo tuần", recurrence="weekly:MON"),
    )
    await tick_mornings(scheduler(app), clock, date(2025, 11, 21), date(2025, 12, 3))
    alerts = {
        (parts(key).task_id, parts(key).step, channel, chat)
        for key, channel, chat, _status in await rows(app)
        if parts(key).step in ("missed", "escalate")
    }
    for task, step in ((1, "escalate"), (2, "missed")):
        assert (task, step, "zalo", CHAIRMAN_ZALO) in alerts
        assert (task, step, "zalo_oa", f"user:{CHAIRMAN_OA}") in alerts
        assert (task, step, "telegram", LEADERSHIP_CHAT) in alerts
    assert not any(channel == "telegram" and chat.startswith("7") for *_x, channel, chat in alerts)


async def test_a_process_without_the_oa_writes_no_oa_rows(app: App, clock: FixedClock) -> None:
    await chairman_on_zalo_only(app)
    await load(app, ttpvhcc("Số hóa hồ sơ", deadline=date(2025, 11, 28)))
    sched = scheduler(app, channels={"telegram", "zalo"})
    await tick_mornings(sched, clock, date(2025, 11, 21), date(2025, 12, 3))
    channels = {channel for _key, channel, _chat, _status in await rows(app)}
    assert channels == {"telegram", "zalo"}


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_the_escalation_arrives_on_the_zalo_bot_and_the_oa(
    app: App, clock: FixedClock
) -> None:
    await chairman_on_zalo_only(app)
    ward = (await app.repo.wards())[0]
    await app.repo.register_chat(
        "zalo", "z-ttpvhcc", ward.id, "department", "TTPVHCC", "Nhóm Zalo TTPVHCC", clock.now()
    )
    await app.repo.register_chat(
        "zalo_oa", "g-ttpvhcc", ward.id, "department", "TTPVHCC", "Nhóm OA TTPVHCC", clock.now()
    )
    await load(app, ttpvhcc("Số hóa hồ sơ", deadline=date(2025, 11, 28)))
    zalo, oa = FakeZaloBot(), FakeZaloOA()
    await zalo.start()
    await oa.start()
    oa.issue()
    tokens = TokenStore(app.repo.sessions)
    now = clock.now()
    await tokens.save(
        PROVIDER, OA_ID, oa.access_token, oa.refresh_token, now + timedelta(hours=20), now, None
    )
    client = ZaloOAClient(
        tokens,
        oa.app_id,
        oa.secret_key,
        OA_ID,
        api_base_url=oa.base_url,
        oauth_url=oa.oauth_url,
        clock=app.services.clock.now,
    )
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    try:
        async with running(app, None, listen=False, zalo=channel, zalo_oa=client, reminders=False):
            clock.set(at(date(2025, 11, 25)))  # 3 working days before: the department chats
            await scheduler(app).tick()
            await _until(lambda: any(m.recipient == "g-ttpvhcc" for m in oa.messages))
            group = await zalo.wait_for(lambda s: s["chat_id"] == "z-ttpvhcc")
            assert "@Nguyễn Thị Lan" in group["text"]  # mentioned on Zalo too
            oa_group = next(m.text for m in oa.messages if m.recipient == "g-ttpvhcc")
            assert "@Nguyễn Thị Lan" in oa_group
            clock.set(at(date(2025, 12, 2)))  # two working days overdue: escalation
            await scheduler(app).tick()
            private = await zalo.wait_for(lambda s: s["chat_id"] == CHAIRMAN_ZALO)
            await _until(lambda: any(m.recipient == CHAIRMAN_OA for m in oa.messages))
        escalation = "Báo cáo lãnh đạo: việc #1 đã quá hạn 4 ngày"
        assert escalation in private["text"]
        oa_private = next(m for m in oa.messages if m.recipient == CHAIRMAN_OA)
        assert oa_private.kind == "cs" and escalation in oa_private.text
    finally:
        await client.close()
        await oa.stop()
        await zalo.stop()
