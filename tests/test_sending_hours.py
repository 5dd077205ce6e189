"""Sending hours: nothing proactive reaches people outside the ward's window (07:00–20:00 on
working days by default, `[reminders] sending_hours`), after downtime or a long retry alike;
a broadcast its sender confirmed for another time goes at that time. The retry window of a
message starts at its first attempt, not when it was queued. Clocks are fixed and moved by
hand; the delivery is driven with `run_once`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel, send_proactive
from bot.config import Settings
from bot.delivery import Delivery, Sent
from handlers.problems import describe
from handlers.protocol import Inbound, Reply
from ingest.ward_config import WardConfigError, load_ward_config
from locales import translator
from reminders.calendar import WorkCalendar
from reminders.clock import VN_TZ, FixedClock
from reminders.hours import SendingHours, parse_hours
from store.outbox import OutboxItem
from store.setup import apply_ward_config
from tests.conftest import EXAMPLE_WARD
from tests.fakes.telegram_api import FakeTelegram

STAFF, DIGITAL = 700000004, "700000005"
DEPT_GROUP = -1001000000002  # TTPVHCC's group in examples/ward.toml
RESIDENTS = -1001000000003  # the residents' group (tag tdp-1)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=VN_TZ)


@dataclass
class World:
    app: App
    tg: FakeTelegram
    clock: FixedClock
    delivery: Delivery
    ward_id: int
    channel: TelegramChannel

    async def close(self) -> None:
        await self.channel.application.shutdown()
        await self.tg.stop()
        await self.app.close()


async def _world(tmp_path: Path, start: datetime, extra_toml: str = "") -> World:
    clock = FixedClock(start)
    app = await App.open(
        Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", cache_ttl=0),
        clock=clock,
        charts=False,
    )
    cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8") + extra_toml)
    async with app.repo.sessions.begin() as s:
        ward_id = (await apply_ward_config(s, cfg, clock.now())).ward_id
    app.repo.invalidate()
    tg = FakeTelegram()
    await tg.start()
    channel = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    await channel.application.initialize()

    async def telegram(chat_id: str, reply: Reply) -> Sent | str | None:
        return await send_proactive(channel, chat_id, reply)

    delivery = Delivery(
        app.services.outbox,
        app.repo,
        clock,
        {"telegram": telegram},
        group_interval=0,
        calendar=app.services.calendar,
    )
    app.services.channels = frozenset({"telegram"})
    return World(app, tg, clock, delivery, ward_id, channel)


@pytest.fixture
async def evening(tmp_path: Path) -> AsyncIterator[World]:
    """The bot comes back at 22:00 on Thursday 20/11/2025."""
    world = await _world(tmp_path, at(20, 22))
    yield world
    await world.close()


async def _notice(world: World, key: str, chat: int, text: str) -> None:
    await world.app.services.outbox.enqueue(
        [
            OutboxItem(
                key=key,
                channel="telegram",
                chat_id=str(chat),
                payload={"text": text},
                ward_id=world.ward_id,
            )
        ],
        world.clock.now(),
    )


async def _drain(world: World, rounds: int = 5) -> None:
    for _ in range(rounds):
        if not await world.delivery.run_once():
            return


def _texts(world: World, chat: int) -> list[str]:
    return [m.text or m.caption or "" for m in world.tg.messages_to(chat)]


async def test_a_restart_at_22_waits_until_07_next_working_day(evening: World) -> None:
    await _notice(evening, "n:1", DEPT_GROUP, "Nhắc việc #1")
    await _notice(evening, "n:2", STAFF, "Nhắc việc #2")
    await _drain(evening)
    assert _texts(evening, DEPT_GROUP) == [] and _texts(evening, STAFF) == []
    statuses = [r[3] for r in await evening.app.services.outbox.rows("n:")]
    assert statuses == ["pending", "pending"]
    evening.clock.set(at(21, 6, 59))  # Friday, before the window opens
    await _drain(evening)
    assert _texts(evening, DEPT_GROUP) == [] and _texts(evening, STAFF) == []
    evening.clock.set(at(21, 7, 0))
    await _drain(evening)
    assert _texts(evening, DEPT_GROUP) == ["Nhắc việc #1"]
    assert _texts(evening, STAFF) == ["Nhắc việc #2"]


async def test_friday_evening_waits_for_monday_and_a_waiting_message_is_no_attempt(
    evening: World,
) -> None:
    evening.clock.set(at(21, 20, 30))  # Friday after hours
    await _notice(evening, "n:3", DEPT_GROUP, "Thông báo cuối tuần")
    for hour in (21, 23):
        evening.clock.set(at(21, hour))
        await _drain(evening)
    for day in (22, 23):  # Saturday and Sunday, in the middle of the day
        evening.clock.set(at(day, 10))
        await _drain(evening)
    assert _texts(evening, DEPT_GROUP) == []
    evening.clock.set(at(24, 7, 0))  # Monday
    await _drain(evening)
    assert _texts(evening, DEPT_GROUP) == ["Thông báo cuối tuần"]
    from sqlalchemy import select

    from store import models as m

    async with evening.app.repo.sessions() as s:
        attempts = await s.scalar(select(m.Outbox.attempts).where(m.Outbox.key == "n:3"))
    assert attempts == 1


async def test_a_ward_sets_its_own_sending_hours(tmp_path: Path) -> None:
    world = await _world(tmp_path, at(20, 21), '\n[reminders]\nsending_hours = "06:30-21:30"\n')
    try:
        await _notice(world, "n:4", DEPT_GROUP, "Trong giờ của phường")
        await _drain(world)
        assert _texts(world, DEPT_GROUP) == ["Trong giờ của phường"]
    finally:
        await world.close()


def test_sending_hours_in_ward_toml_are_checked_with_their_line() -> None:
    text = EXAMPLE_WARD.read_text(encoding="utf-8")
    cfg = load_ward_config(text + '\n[reminders]\nsending_hours = "7h00 - 19h30"\n')
    assert cfg.reminders == {"sending_hours": "07:00-19:30"}
    bad = text + '\n[reminders]\nsending_hours = "20:00-07:00"\n'
    with pytest.raises(WardConfigError) as err:
        load_ward_config(bad)
    line = len(bad.splitlines())
    _ = translator("vi")
    assert [(p.line, describe(p.problem, _)) for p in err.value.problems] == [
        (line, "“20:00-07:00” không phải giá trị hợp lệ cho “sending_hours”.")
    ]


def test_the_next_opening() -> None:
    hours, calendar = SendingHours(), WorkCalendar()
    assert parse_hours("07:00-20:00") == hours
    assert hours.next_allowed(at(20, 9), calendar) == at(20, 9)
    assert hours.next_allowed(at(20, 20, 0), calendar) == at(21, 7)
    assert hours.next_allowed(at(24, 5), calendar) == at(24, 7)
    # 1 January 2026 is a holiday: the next opening is Friday 2 January
    new_year = datetime(2025, 12, 31, 21, tzinfo=VN_TZ)
    assert hours.next_allowed(new_year, calendar) == datetime(2026, 1, 2, 7, tzinfo=VN_TZ)


def _msg(user: str, text: str = "", **kw: object) -> Inbound:
    return Inbound(
        channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text, **kw
    )  # type: ignore[arg-type]


async def _say(app: App, inbound: Inbound) -> str:
    return "\n".join(r.text for r in await app.router.handle(inbound))


async def _tap(app: App, user: str, choice: str) -> str:
    pending = await app.repo.pending("telegram", user, user)
    assert pending is not None
    return await _say(app, _msg(user, event="button", button_data=f"p{pending.id}:{choice}"))


async def _broadcast_delivery(world: World) -> Delivery:
    return Delivery(
        world.app.services.outbox,
        world.app.repo,
        world.clock,
        world.delivery.senders,
        group_interval=0,
        lanes=["broadcast"],
        calendar=world.app.services.calendar,
    )


async def test_a_broadcast_confirmed_for_21h_goes_at_21h(evening: World) -> None:
    app = evening.app
    evening.clock.set(at(20, 18))
    await _say(app, _msg(DIGITAL, "/phatthanh Họp tổ dân phố tối nay lúc 21h30."))
    assert "1 nhóm" in await _tap(app, DIGITAL, "tag:tdp-1")
    inbound = _msg(DIGITAL, "21:00")
    replies = await app.router.handle(inbound)
    preview = "\n".join(r.text for r in replies)
    assert "lúc 21:00 20/11/2025" in preview
    assert "21:00 20/11/2025 nằm ngoài giờ hành chính" in preview
    assert "07:00–20:00" in preview
    labels = [b.label for r in replies for row in r.buttons for b in row]
    assert "📣 Vẫn gửi ngoài giờ hành chính" in labels
    assert "đã xếp hàng" in await _tap(app, DIGITAL, "confirm")
    broadcasts = await _broadcast_delivery(evening)
    evening.clock.set(at(20, 20, 59))
    await broadcasts.run_once()
    assert _texts(evening, RESIDENTS) == []  # not due yet
    evening.clock.set(at(20, 21, 0))
    await broadcasts.run_once()
    assert _texts(evening, RESIDENTS) == ["Họp tổ dân phố tối nay lúc 21h30."]


async def test_a_broadcast_for_office_hours_delayed_past_them_waits(evening: World) -> None:
    app = evening.app
    evening.clock.set(at(20, 19, 50))
    await _say(app, _msg(DIGITAL, "/phatthanh Lịch tiếp công dân tuần sau."))
    await _tap(app, DIGITAL, "tag:tdp-1")
    preview = await _say(app, _msg(DIGITAL, "19:55"))
    assert "ngoài giờ hành chính" not in preview
    await _tap(app, DIGITAL, "confirm")
    broadcasts = await _broadcast_delivery(evening)
    evening.clock.set(at(20, 22, 0))  # the bot was down from 19:52 to 22:00
    await broadcasts.run_once()
    assert _texts(evening, RESIDENTS) == []
    evening.clock.set(at(21, 7, 0))
    await broadcasts.run_once()
    assert _texts(evening, RESIDENTS) == ["Lịch tiếp công dân tuần sau."]


async def test_the_retry_window_starts_at_the_first_attempt(evening: World) -> None:
    """A message queued 30 hours before it is due is not given up on its first outage."""
    evening.clock.set(at(19, 9))
    await evening.app.services.outbox.enqueue(
        [
            OutboxItem(
                key="n:5",
                channel="telegram",
                chat_id=str(STAFF),
                payload={"text": "Nhắc trước hạn"},
                ward_id=evening.ward_id,
                not_before=at(20, 15),
            )
        ],
        evening.clock.now(),
    )
    evening.clock.set(at(20, 15))
    evening.tg.fail_next("sendMessage", 502, "Bad Gateway")
    await _drain(evening, rounds=1)
    assert [r[3] for r in await evening.app.services.outbox.rows("n:5")] == ["pending"]
    evening.clock.set(at(20, 15) + timedelta(minutes=5))
    await _drain(evening)
    assert _texts(evening, STAFF) == ["Nhắc trước hạn"]
    assert [r[3] for r in await evening.app.services.outbox.rows("n:5")] == ["sent"]
