"""A row is sent only by the sender that holds its lease, and never after it was cancelled or
made moot while a sender that died had it; bookkeeping after a send never sends it again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from bot.app import App
from bot.config import Settings
from bot.delivery import Delivery
from handlers.protocol import Inbound, Reply
from reminders.clock import VN_TZ, FixedClock
from store import models as m
from store.outbox import CANCELLED_ON_THE_WAY, OutboxItem
from tests.conftest import setup_example_ward

T0 = datetime(2025, 11, 24, 9, 0, tzinfo=VN_TZ)  # a Monday, inside sending hours
LEASE = timedelta(seconds=60)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """On SQLite and on PostgreSQL (the lease is compared as stored)."""
    clock = FixedClock(T0)
    application = await App.open(
        Settings(database_url=db_url, cache_ttl=0), clock=clock, charts=False
    )
    await setup_example_ward(application)
    try:
        yield application
    finally:
        await application.close()


async def _one(app: App, key: str = "k:1", channel: str = "telegram") -> None:
    item = OutboxItem(key=key, channel=channel, chat_id="700000004", payload={"text": "một"})
    await app.services.outbox.enqueue([item], T0)


async def test_a_sender_whose_lease_ran_out_does_not_send(app: App) -> None:
    outbox = app.services.outbox
    await _one(app)
    first = await outbox.claim(T0, lease=LEASE)
    assert [r.key for r in first] == ["k:1"]
    late = T0 + LEASE + timedelta(seconds=1)
    second = await outbox.claim(late, lease=LEASE)  # another replica takes it over
    assert [r.key for r in second] == ["k:1"]
    # the first sender, slow, reaches the row only now: it may not send it; the holder may
    assert not await outbox.start(first[0].id, late, LEASE, first[0].lease_until)
    assert await outbox.start(second[0].id, late, LEASE, second[0].lease_until)


async def test_a_cancelled_row_left_sending_by_a_dead_sender_is_never_sent(app: App) -> None:
    outbox = app.services.outbox
    await _one(app, key="broadcast:1:telegram:700000004")
    claimed = await outbox.claim(T0, lease=LEASE)
    assert await outbox.start(claimed[0].id, T0, LEASE, claimed[0].lease_until)  # then it dies
    async with app.repo.sessions.begin() as s:  # and the broadcast is cancelled meanwhile
        await s.execute(update(m.Outbox).values(reason=CANCELLED_ON_THE_WAY))
    later = T0 + 2 * LEASE
    assert await outbox.claim(later, lease=LEASE) == []
    rows = await outbox.rows("broadcast:1:")
    assert [r[3] for r in rows] == ["cancelled"]


async def test_closing_a_task_stops_a_reminder_left_sending_by_a_dead_sender(app: App) -> None:
    outbox = app.services.outbox
    await _one(app, key="task:7:2025-11-30:before-3:telegram:700000004")
    claimed = await outbox.claim(T0, lease=LEASE)
    assert await outbox.start(claimed[0].id, T0, LEASE, claimed[0].lease_until)  # it dies
    await outbox.skip_prefix("task:7:")  # the task is closed meanwhile
    assert await outbox.claim(T0 + 2 * LEASE, lease=LEASE) == []
    assert [r[3] for r in await outbox.rows("task:7:")] == ["skipped"]


async def test_a_failure_after_the_send_never_sends_it_again(app: App) -> None:
    sent: list[str] = []

    async def zalo(chat_id: str, reply: Reply) -> None:
        sent.append(reply.text)

    await app.services.outbox.enqueue(
        [
            OutboxItem(
                key="k:z",
                channel="zalo",
                chat_id="z1",
                ward_id=None,
                payload={"text": "nhắc", "buttons": [[["✅", "xong:1"]]]},
            )
        ],
        T0,
    )
    delivery = Delivery(app.services.outbox, app.repo, app.services.clock, {"zalo": zalo})

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is locked")

    delivery._remember_choices = broken  # type: ignore[method-assign]
    assert await delivery.run_once() == 1
    assert sent == ["nhắc"]
    assert [r[3] for r in await app.services.outbox.rows("k:z")] == ["sent"]
    assert await delivery.run_once() == 0 and sent == ["nhắc"]


async def test_an_old_reminder_button_in_a_residents_group_shows_no_ward_data(app: App) -> None:
    ward = (await app.repo.wards())[0]
    await app.repo.register_chat("telegram", "-1009", ward.id, "residents", None, "TDP 9", T0)
    press = Inbound(
        channel="telegram",
        chat_id="-1009",
        chat_kind="group",
        user_id="700000004",
        event="button",
        button_data="chitiet:1",
        addressed=True,
    )
    replies = await app.router.handle(press)
    assert len(replies) == 1 and "nhóm người dân" in replies[0].text
