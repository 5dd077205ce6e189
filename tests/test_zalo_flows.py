"""Zalo in the running bot: reminders and broadcasts reach Zalo OA groups through the outbox,
and a token refresh in the middle of a broadcast loses nothing."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.app import App
from bot.channels.zalo_oa import PROVIDER, ZaloOAClient
from bot.runner import running
from reminders.clock import VN_TZ, FixedClock
from reminders.scheduler import ReminderScheduler
from store.oauth import TokenStore
from store.tasks import NewDirective, NewTask, NewUnit
from tests.fakes.zalo_oa_api import FakeZaloOA

OA_ID = "oa-1"


async def _client(app: App, oa: FakeZaloOA) -> ZaloOAClient:
    tokens = TokenStore(app.repo.sessions)
    now = app.services.clock.now()
    await tokens.save(
        PROVIDER, OA_ID, oa.access_token, oa.refresh_token, now + timedelta(hours=20), now, None
    )
    return ZaloOAClient(
        tokens,
        oa.app_id,
        oa.secret_key,
        OA_ID,
        api_base_url=oa.base_url,
        oauth_url=oa.oauth_url,
        clock=app.services.clock.now,
    )


async def _until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_reminder_reaches_a_zalo_oa_group(app: App, clock: FixedClock) -> None:
    oa = FakeZaloOA()
    await oa.start()
    oa.issue()
    ward = (await app.repo.wards())[0]
    await app.repo.register_chat(
        "zalo_oa", "g-ttpvhcc", ward.id, "department", "TTPVHCC", "Nhóm Zalo TTPVHCC", clock.now()
    )
    await app.services.tasks.save_directive(
        ward.id,
        NewDirective(
            kind="chi_thi",
            number="3/CT",
            tasks=[
                NewTask(
                    text="Số hóa hồ sơ tháng 11",
                    deadline=date(2025, 11, 28),
                    units=[NewUnit("lead", "TTPVHCC", "")],
                )
            ],
        ),
        "t",
        clock.now(),
    )
    client = await _client(app, oa)
    try:
        async with running(app, None, zalo_oa=client, reminders=False):
            clock.set(datetime(2025, 11, 25, 7, 30, tzinfo=VN_TZ))  # 3 working days before
            s = app.services
            await ReminderScheduler(
                app.repo, s.tasks, s.outbox, s.clock, s.calendar, s.on_outbox
            ).tick()
            await _until(lambda: any(m.recipient == "g-ttpvhcc" for m in oa.messages))
        text = next(m.text for m in oa.messages if m.recipient == "g-ttpvhcc")
        assert "việc #1 có hạn thứ Sáu 28/11/2025" in text
        assert "1. ✅ Đã xong" in text  # buttons become numbered choices on Zalo
    finally:
        await client.close()
        await oa.stop()


async def test_token_refresh_during_a_broadcast_loses_nothing(app: App, clock: FixedClock) -> None:
    oa = FakeZaloOA()
    await oa.start()
    oa.issue()
    ward = (await app.repo.wards())[0]
    for i in range(20):
        await app.repo.register_chat(
            "zalo_oa", f"g-{i}", ward.id, "residents", None, f"TDP {i}", clock.now()
        )
    chats = [c for c in await app.repo.ward_chats(ward.id, "residents") if c.channel == "zalo_oa"]
    client = await _client(app, oa)
    oa.refresh_delay = 0.2
    try:
        async with running(app, None, zalo_oa=client, reminders=False):
            oa.expire_access_token()  # it expires as the broadcast starts
            await app.services.broadcasts.create(
                ward.id,
                sender="t",
                sender_channel="cli",
                sender_chat="",
                text="Hướng dẫn",
                audience="t",
                chats=chats,
                send_at=clock.now(),
                at=clock.now(),
            )
            assert app.services.on_outbox is not None
            app.services.on_outbox()
            await _until(lambda: len({m.recipient for m in oa.messages}) == 20, timeout=20)
        # the delivery has stopped: whatever it sent is counted below
        groups = [m.recipient for m in oa.messages]
        assert sorted(groups) == sorted({c.chat_id for c in chats})  # each once
        assert oa.refresh_calls == 1
        stored = await TokenStore(app.repo.sessions).get(PROVIDER, OA_ID)
        assert stored is not None and stored.access_token == oa.access_token
    finally:
        await client.close()
        await oa.stop()


async def test_a_number_answers_a_reminder_on_zalo(app: App, clock: FixedClock) -> None:
    from bot.delivery import Delivery
    from handlers.protocol import Inbound, Reply
    from store.outbox import OutboxItem

    ward = (await app.repo.wards())[0]
    await app.repo.register_chat(
        "zalo", "z-group", ward.id, "department", "TTPVHCC", "Nhóm Zalo", clock.now()
    )
    await app.services.tasks.save_directive(
        ward.id,
        NewDirective(
            kind="chi_thi",
            number="4/CT",
            tasks=[
                NewTask(
                    text="Báo cáo số hóa",
                    deadline=date(2025, 11, 28),
                    units=[NewUnit("lead", "TTPVHCC", "")],
                )
            ],
        ),
        "t",
        clock.now(),
    )
    sent: list[Reply] = []

    async def stub(chat_id: str, reply: Reply) -> None:
        sent.append(reply)

    delivery = Delivery(app.services.outbox, app.repo, clock, {"zalo": stub})
    await app.services.outbox.enqueue(
        [
            OutboxItem(
                key="task:1:x",
                channel="zalo",
                chat_id="z-group",
                ward_id=ward.id,
                lane="reminder",
                payload={"text": "Nhắc việc #1", "buttons": [[["✅", "xong:1"], ["⏰", "hoan:1"]]]},
            )
        ],
        clock.now(),
    )
    assert await delivery.run_once() == 1 and sent
    answer = await app.router.handle(
        Inbound(
            channel="zalo",
            chat_id="z-group",
            chat_kind="group",
            user_id="8532000000000000004",
            text="1",
        )
    )
    assert "tài liệu kiểm chứng" in answer[0].text  # "1" = ✅ done: the closing flow starts
