"""Delivery reports that tell the truth: every chat is sent, sent without the attachment,
failed (why, in Vietnamese) or stopped; cancel stops exactly what was not handed over yet; a
chat of a channel this bot does not run fails at once; a kicked bot makes its chat inactive and
the admins are told once; only the digital team and admins see broadcasts; every time shown is
Asia/Ho_Chi_Minh. Clocks are fixed; the delivery is driven with `run_once`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.delivery import Delivery, Sender, Sent
from bot.runner import report_settled
from handlers.protocol import Inbound, Reply
from reminders.clock import VN_TZ, FixedClock
from tests.conftest import EXAMPLE_WARD
from tests.test_sending_hours import DEPT_GROUP, DIGITAL, World, _world


def _png() -> bytes:
    """A valid 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


ADMIN = 700000003  # Phạm Quốc Bảo, the example ward's admin
STAFF = "700000004"


def _msg(user: str, text: str = "") -> Inbound:
    return Inbound(channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text)


async def _say(app: App, user: str, text: str) -> str:
    return "\n".join(r.text for r in await app.router.handle(_msg(user, text)))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Friday 21/11/2025 08:00, within office hours."""
    w = await _world(tmp_path, datetime(2025, 11, 21, 8, 0, tzinfo=VN_TZ))
    yield w
    await w.close()


def _delivery(world: World, senders: dict[str, Sender], lanes: list[str] | None = None) -> Delivery:
    return Delivery(
        world.app.services.outbox,
        world.app.repo,
        world.clock,
        senders,
        group_interval=0,
        lanes=lanes,
        attachments=world.app.services.broadcasts.attachment,
        calendar=world.app.services.calendar,
    )


async def _drain(delivery: Delivery) -> None:
    for _ in range(10):
        if not await delivery.run_once():
            return


async def _groups(world: World, prefix: str, channel: str, n: int) -> list[str]:
    now = world.clock.now()
    ids = [f"{prefix}{i}" for i in range(n)]
    for i, chat_id in enumerate(ids):
        await world.app.repo.register_chat(
            channel, chat_id, world.ward_id, "residents", None, f"TDP {prefix}{i}", now
        )
    return ids


async def _broadcast(world: World, chats: list[tuple[str, str]], **kw: object) -> int:
    wanted = set(chats)
    targets = [
        c
        for c in await world.app.repo.ward_chats(world.ward_id)
        if (c.channel, c.chat_id) in wanted
    ]
    now = world.clock.now()
    return await world.app.services.broadcasts.create(
        world.ward_id,
        sender="Võ Minh Tuấn",
        sender_channel="telegram",
        sender_chat=DIGITAL,
        text=str(kw.pop("text", "Lịch tiêm chủng tháng 12")),
        audience="kind:residents",
        chats=targets,
        send_at=now,
        at=now,
        **kw,  # type: ignore[arg-type]
    )


async def test_a_photo_that_did_not_reach_a_zalo_chat_is_reported_so(world: World) -> None:
    telegram_groups = await _groups(world, "-300", "telegram", 2)
    zalo_groups = await _groups(world, "z", "zalo", 1)
    zalo_got: list[Reply] = []

    async def zalo(chat_id: str, reply: Reply) -> Sent:
        zalo_got.append(reply)
        return Sent(attachment_dropped="photo upload refused: 413")

    senders = dict(world.delivery.senders)
    senders["zalo"] = zalo
    broadcast_id = await _broadcast(
        world,
        [("telegram", c) for c in telegram_groups] + [("zalo", c) for c in zalo_groups],
        text="Lịch tiêm chủng tháng 12",
        attachment_kind="photo",
        attachment_name="lich.png",
        attachment=_png(),
    )
    await _drain(_delivery(world, senders, ["broadcast"]))
    photos = [m for m in world.tg.sent if m.method == "sendPhoto"]
    assert sorted(str(m.chat_id) for m in photos) == sorted(telegram_groups)
    assert [r.text for r in zalo_got] == ["Lịch tiêm chủng tháng 12"]
    status = await _say(world.app, DIGITAL, f"/tinhtrang {broadcast_id}")
    assert "Đã gửi 2/3 · lỗi 0 · đang chờ 0 · đã dừng 0" in status
    assert "1 nhóm chỉ nhận được nội dung, không có tệp đính kèm." in status
    assert "◐ TDP z0: chỉ gửi được nội dung, không gửi được tệp đính kèm" in status
    assert "413" not in status
    # the sender's report, queued when the broadcast settles, delivered in office hours
    assert await report_settled(world.app) == 1
    assert await report_settled(world.app) == 0
    await _drain(_delivery(world, senders, ["notice"]))
    report = world.tg.last_to(int(DIGITAL)).text or ""
    assert "lúc 08:00 21/11/2025" in report or "08:00 21/11/2025" in report
    assert "Đã gửi 2/3" in report and "1 nhóm chỉ nhận được nội dung" in report


async def test_cancel_in_the_middle_of_a_batch_counts_exactly(world: World) -> None:
    groups = await _groups(world, "-400", "telegram", 6)
    broadcast_id = await _broadcast(world, [("telegram", c) for c in groups])
    delivered: list[str] = []
    replies: list[str] = []

    async def slow_telegram(chat_id: str, reply: Reply) -> None:
        delivered.append(chat_id)
        if len(delivered) == 2:  # the digital team cancels while this one is being sent
            replies.append(await _say(world.app, DIGITAL, f"/huyphat {broadcast_id}"))

    # the loop has claimed all six in one batch before the cancel
    await _drain(_delivery(world, {"telegram": slow_telegram}, ["broadcast"]))
    assert len(delivered) == 2
    assert replies == [
        f"Đã dừng thông báo #{broadcast_id}: 4 nhóm sẽ không nhận. 1 tin đã được chuyển đi "
        "trước đó."
    ]
    rows = await world.app.services.outbox.rows(f"broadcast:{broadcast_id}:")
    assert sorted(r[3] for r in rows) == ["cancelled"] * 4 + ["sent"] * 2
    status = await _say(world.app, DIGITAL, f"/tinhtrang {broadcast_id}")
    assert "Đã gửi 2/6 · lỗi 0 · đang chờ 0 · đã dừng 4" in status


async def test_a_chat_of_a_channel_this_bot_does_not_run(world: World) -> None:
    oa_groups = await _groups(world, "oa", "zalo_oa", 1)
    app = world.app
    await _say(app, DIGITAL, "/phatthanh Thông báo lịch cắt điện")
    pending = await app.repo.pending("telegram", DIGITAL, DIGITAL)
    assert pending is not None
    answer = "\n".join(
        r.text
        for r in await app.router.handle(
            Inbound(
                channel="telegram",
                chat_id=DIGITAL,
                chat_kind="private",
                user_id=DIGITAL,
                event="button",
                button_data=f"p{pending.id}:kind:residents",
            )
        )
    )
    assert "1 nhóm bị bỏ qua: bot này không chạy kênh zalo_oa." in answer
    await _say(app, DIGITAL, "/phatthanh Thông báo chỉ cho nhóm OA")
    refused = await _say(app, DIGITAL, f"chat:{oa_groups[0]}")
    assert "Không nhóm nào trong số này nhận được tin" in refused
    # queued anyway (e.g. from another process): it fails at once, with a reason
    broadcast_id = await _broadcast(
        world, [("zalo_oa", oa_groups[0]), ("telegram", "-1001000000003")]
    )
    await _drain(_delivery(world, world.delivery.senders, ["broadcast"]))
    rows = await app.services.outbox.rows(f"broadcast:{broadcast_id}:")
    assert sorted(r[3] for r in rows) == ["failed", "sent"]
    assert await report_settled(app) == 1
    status = await _say(app, DIGITAL, f"/tinhtrang {broadcast_id}")
    assert "✖ TDP oa0: bot chưa được cấu hình cho kênh này" in status


async def test_a_kicked_bot_marks_the_chat_inactive_and_tells_the_admins_once(
    world: World,
) -> None:
    world.tg.removed_chats[DEPT_GROUP] = "Forbidden: bot was kicked from the supergroup chat"
    broadcast_id = await _broadcast(world, [("telegram", str(DEPT_GROUP))])
    from store.outbox import OutboxItem

    await world.app.services.outbox.enqueue(
        [
            OutboxItem(f"n:{i}", "telegram", str(DEPT_GROUP), {"text": f"tin {i}"}, world.ward_id)
            for i in range(3)
        ],
        world.clock.now(),
    )
    await _drain(_delivery(world, world.delivery.senders))
    await _drain(_delivery(world, world.delivery.senders))  # a second replica, later
    chat = await world.app.repo.chat("telegram", str(DEPT_GROUP))
    assert chat is not None and not chat.active
    alerts = [m.text or "" for m in world.tg.messages_to(ADMIN)]
    assert len(alerts) == 1
    assert "Trung tâm PVHCC" in alerts[0] and "bot đã bị xóa khỏi nhóm" in alerts[0]
    assert "Forbidden" not in alerts[0]
    status = await _say(world.app, DIGITAL, f"/tinhtrang {broadcast_id}")
    assert "✖ Trung tâm PVHCC: bot đã bị xóa khỏi nhóm" in status
    assert "Forbidden" not in status
    rows = await world.app.services.outbox.rows("n:")
    assert [r[3] for r in rows] == ["failed"] * 3


async def test_only_the_digital_team_and_admins_see_broadcasts(world: World) -> None:
    broadcast_id = await _broadcast(world, [("telegram", "-1001000000003")])
    refused = await _say(world.app, STAFF, f"/tinhtrang {broadcast_id}")
    assert refused == (  # provincial staff too (they follow their own province broadcasts)
        "Chỉ Tổ công nghệ số cộng đồng, quản trị viên và cán bộ tỉnh mới xem được tình trạng "
        "thông báo hàng loạt."
    )
    assert "Lịch tiêm chủng" not in await _say(world.app, STAFF, "/tinhtrang")
    shown = await _say(world.app, str(ADMIN), f"/tinhtrang {broadcast_id}")
    assert "08:00 21/11/2025" in shown  # scheduled 08:00 in Hà Nội, shown so (not 01:00)


def test_broadcast_status_from_the_console_shows_local_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    assert main(["setup", str(EXAMPLE_WARD)]) == 0
    args = ["broadcast", "send", "--to", "kind:residents", "--text", "Xin chào", "--yes"]
    assert main([*args, "--at", "03/12/2030 08:00"]) == 0
    capsys.readouterr()
    assert main(["broadcast", "status", "1"]) == 0
    out = capsys.readouterr().out
    assert "08:00 03/12/2030" in out and "01:00" not in out


async def test_a_report_time_is_local_when_the_clock_is_utc(tmp_path: Path) -> None:
    from datetime import UTC

    world = await _world(tmp_path, datetime(2025, 11, 21, 1, 0, tzinfo=UTC))
    try:
        clock = world.clock
        assert isinstance(clock, FixedClock)
        broadcast_id = await _broadcast(world, [("telegram", "-1001000000003")])
        status = await _say(world.app, DIGITAL, f"/tinhtrang {broadcast_id}")
        assert "08:00 21/11/2025" in status
    finally:
        await world.close()
