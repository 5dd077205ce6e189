"""Photos, charts and files reach Zalo (the Bot platform and the OA) by URL: the bot hosts them
under PUBLIC_BASE_URL at unguessable paths that expire; without a public URL the text goes with
a line saying so and the sender reports the attachment as dropped."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import App
from bot.channels.zalo import ZaloBotChannel, send_proactive
from bot.channels.zalo_oa import PROVIDER, ZaloOAClient
from bot.delivery import Sent
from bot.files import NO_PUBLIC_URL, NOT_AVAILABLE, FileHost, safe_name
from bot.runner import running
from handlers.protocol import Attachment, Reply
from reminders.clock import FixedClock
from store import models as m
from store.hosted_files import HostedFileStore
from store.oauth import TokenStore
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA
from tests.test_e2e_telegram import store_november

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4 mau don"
STAFF = "8532000000000000004"  # Nguyễn Thị Lan, TTPVHCC (examples/ward.toml)
OA_ID = "oa-1"
PICTURE_MISSING = "(Không gửi được hình ảnh qua Zalo.)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _get(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.content_type, await response.read()


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def _oa_client(app: App, oa: FakeZaloOA) -> ZaloOAClient:
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


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloBot]:
    fake = FakeZaloBot()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    fake = FakeZaloOA()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def host(app: App) -> AsyncIterator[FileHost]:
    """A FileHost served by its own aiohttp server (what `_start_webhooks` mounts)."""
    files = FileHost(HostedFileStore(app.repo.sessions), "http://files.test", app.services.clock)
    server_app = web.Application()
    server_app.add_routes(files.routes())
    server = TestServer(server_app, host="127.0.0.1")
    await server.start_server()
    files.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield files
    finally:
        await server.close()


async def test_photo_broadcast_reaches_zalo_bot_and_oa_by_url(
    app: App, clock: FixedClock, zalo: FakeZaloBot, oa: FakeZaloOA
) -> None:
    port = _free_port()
    app.settings = dataclasses.replace(
        app.settings,
        public_base_url=f"http://127.0.0.1:{port}/",
        webhook_host="127.0.0.1",
        webhook_port=port,
        file_ttl_hours=24,
    )
    ward = (await app.repo.wards())[0]
    now = clock.now()
    await app.repo.register_chat("zalo", "z-1", ward.id, "residents", None, "TDP 1", now)
    await app.repo.register_chat("zalo_oa", "g-1", ward.id, "residents", None, "TDP 2", now)
    chats = [c for c in await app.repo.ward_chats(ward.id) if c.chat_id in ("z-1", "g-1")]
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    client = await _oa_client(app, oa)
    try:
        async with running(app, None, listen=False, reminders=False, zalo=channel, zalo_oa=client):
            await app.services.broadcasts.create(
                ward.id,
                sender="t",
                sender_channel="cli",
                sender_chat="",
                text="Sơ đồ điểm tiêm chủng tuần này",
                audience="t",
                chats=chats,
                send_at=now,
                at=now,
                attachment_kind="photo",
                attachment_name="sơ đồ.png",
                attachment=PNG,
            )
            assert app.services.on_outbox is not None
            app.services.on_outbox()
            photo = await zalo.wait_for(lambda s: s["chat_id"] == "z-1", timeout=10)
            await _until(lambda: any(msg.recipient == "g-1" for msg in oa.messages))
            image = next(msg for msg in oa.messages if msg.recipient == "g-1")

            # the Zalo Bot got sendPhoto with a URL and the text as its caption
            assert photo["method"] == "sendPhoto"
            assert photo["caption"] == "Sơ đồ điểm tiêm chủng tuần này"
            url = photo["photo"]
            assert url.startswith(f"http://127.0.0.1:{port}/files/")
            assert url.endswith("/so-do.png")
            # the OA got an image message (media template with the URL) carrying the text
            assert image.image_url is not None and image.image_url.startswith(
                f"http://127.0.0.1:{port}/files/"
            )
            assert image.text == "Sơ đồ điểm tiêm chủng tuần này"
            # the URLs serve the bytes with the right content type
            for served in (url, image.image_url):
                status, kind, body = await _get(served)
                assert (status, kind, body) == (200, "image/png", PNG)
            # a wrong name or token finds nothing
            assert (await _get(url.replace("so-do.png", "khac.png")))[0] == 404
            token = url.split("/files/")[1].split("/")[0]
            assert (await _get(url.replace(token, "x" * len(token))))[0] == 404
            # after the TTL the file is gone
            clock.advance(timedelta(hours=24, minutes=1))
            for served in (url, image.image_url):
                assert (await _get(served))[0] == 404
        assert sorted(r[3] for r in await app.services.outbox.rows("broadcast:")) == [
            "sent",
            "sent",
        ]
    finally:
        await client.close()


async def test_files_route_served_without_webhooks(app: App, clock: FixedClock) -> None:
    """PUBLIC_BASE_URL alone starts the server: the files route and /health answer."""
    port = _free_port()
    app.settings = dataclasses.replace(
        app.settings,
        public_base_url=f"http://127.0.0.1:{port}",
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    async with running(app, None, listen=False, reminders=False):
        assert (await _get(f"http://127.0.0.1:{port}/health"))[0] == 200
        assert (await _get(f"http://127.0.0.1:{port}/files/nothing/here.png"))[0] == 404


async def test_without_public_url_text_goes_with_a_line_and_the_drop_is_reported(
    app: App, zalo: FakeZaloBot, oa: FakeZaloOA
) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    client = await _oa_client(app, oa)
    photo = Reply("Lịch trực tuần", attachment=Attachment("photo", "lich.png", data=PNG))
    document = Reply("Mẫu đơn mới", attachment=Attachment("document", "mẫu đơn.pdf", data=PDF))
    try:
        sent = await send_proactive(channel, "z-1", photo)
        assert sent == Sent(attachment_dropped=NO_PUBLIC_URL)
        message = await zalo.wait_for(lambda s: s["chat_id"] == "z-1")
        assert message["method"] == "sendMessage"
        assert message["text"] == f"Lịch trực tuần\n{PICTURE_MISSING}"

        sent = await send_proactive(channel, "z-2", document)
        assert sent.attachment_dropped == NO_PUBLIC_URL
        message = await zalo.wait_for(lambda s: s["chat_id"] == "z-2")
        assert message["text"].endswith("(Không gửi được tệp đính kèm mẫu đơn.pdf qua Zalo.)")
        assert not any(s["method"] == "sendPhoto" for s in zalo.sent)

        oa_send = client.sender()
        outcome = await oa_send("g-1", photo)
        assert isinstance(outcome, Sent) and outcome.attachment_dropped == NO_PUBLIC_URL
        assert [(msg.text, msg.attachment) for msg in oa.messages] == [
            (f"Lịch trực tuần\n{PICTURE_MISSING}", None)
        ]
    finally:
        await client.close()


async def test_a_file_goes_as_a_link_and_a_photo_as_sendphoto(
    app: App, zalo: FakeZaloBot, oa: FakeZaloOA, host: FileHost
) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url, files=host)
    client = await _oa_client(app, oa)
    client.files = host
    document = Reply("Mẫu đơn mới", attachment=Attachment("document", "mẫu đơn.pdf", data=PDF))
    try:
        assert await send_proactive(channel, "z-1", document) == Sent()
        message = await zalo.wait_for(lambda s: s["chat_id"] == "z-1")
        first_line, link_line = message["text"].split("\n")
        assert first_line == "Mẫu đơn mới"
        assert link_line.startswith("Tệp mẫu đơn.pdf: http://127.0.0.1:")
        url = link_line.split(": ", 1)[1]
        assert url.endswith("/mau-don.pdf")
        assert await _get(url) == (200, "application/pdf", PDF)

        assert await client.sender()("user:u-1", document) == Sent()
        assert oa.messages[-1].kind == "cs" and "Tệp mẫu đơn.pdf: http" in oa.messages[-1].text
    finally:
        await client.close()


async def test_a_telegram_file_is_fetched_once_and_hosted(
    app: App, zalo: FakeZaloBot, host: FileHost
) -> None:
    fetched: list[str] = []

    async def fetch(ref: str) -> bytes | None:
        fetched.append(ref)
        return PNG if ref == "telegram:AgAC-photo" else None

    channel = ZaloBotChannel(
        app.router, zalo.token, api_base_url=zalo.url, files=host, fetch_ref=fetch
    )
    reply = Reply("Ảnh hiện trường", attachment=Attachment("photo", "", ref="telegram:AgAC-photo"))
    assert await send_proactive(channel, "z-1", reply) == Sent()
    assert await send_proactive(channel, "z-2", reply) == Sent()
    first = await zalo.wait_for(lambda s: s["chat_id"] == "z-1")
    second = await zalo.wait_for(lambda s: s["chat_id"] == "z-2")
    assert first["method"] == second["method"] == "sendPhoto"
    assert first["photo"] == second["photo"]
    assert fetched == ["telegram:AgAC-photo"]  # downloaded once for both chats
    assert await _get(first["photo"]) == (200, "image/png", PNG)

    # a file known only by a channel id the bot cannot fetch: text, line, and the reason
    unknown = Reply("Ảnh khác", attachment=Attachment("photo", "", ref="telegram:other"))
    assert await send_proactive(channel, "z-3", unknown) == Sent(attachment_dropped=NOT_AVAILABLE)
    message = await zalo.wait_for(lambda s: s["chat_id"] == "z-3")
    assert message["text"] == f"Ảnh khác\n{PICTURE_MISSING}"


async def test_a_refused_photo_still_sends_the_text(
    app: App, zalo: FakeZaloBot, host: FileHost
) -> None:
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url, files=host)
    zalo.fail_next("sendPhoto", 400, "Bad Request: cannot download the photo")
    reply = Reply("Lịch trực", attachment=Attachment("photo", "lich.png", data=PNG))
    sent = await send_proactive(channel, "z-1", reply)
    assert sent.attachment_dropped is not None and "cannot download" in sent.attachment_dropped
    message = await zalo.wait_for(lambda s: s["chat_id"] == "z-1")
    assert message == {**message, "method": "sendMessage", "text": f"Lịch trực\n{PICTURE_MISSING}"}


async def test_interactive_chart_on_zalo(app: App, zalo: FakeZaloBot, host: FileHost) -> None:
    await store_november(app)
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url, files=host)
    await channel.start_polling(timeout=1)
    try:
        zalo.push_text(chat_id=STAFF, user_id=STAFF, text="điểm hiện tại?")
        answer = await zalo.wait_for(lambda s: s["chat_id"] == STAFF and s["method"] == "sendPhoto")
        status, kind, body = await _get(answer["photo"])
        assert (status, kind) == (200, "image/png") and body.startswith(b"\x89PNG")
        sent_text = "\n".join(s["text"] or s.get("caption") or "" for s in zalo.sent)
        assert "91,68" in sent_text and "80/114" in sent_text

        channel.files = None  # no PUBLIC_BASE_URL: the answer says the chart is missing
        since = zalo.cursor
        zalo.push_text(chat_id=STAFF, user_id=STAFF, text="điểm hiện tại?")
        text = await zalo.wait_for(lambda s: s["chat_id"] == STAFF, since=since)
        assert text["method"] == "sendMessage"
        assert "91,68" in text["text"] and text["text"].endswith(PICTURE_MISSING)
    finally:
        await channel.stop()


async def test_hosted_files_survive_a_restart_and_tokens_are_unguessable(
    app: App, clock: FixedClock, host: FileHost
) -> None:
    first = await host.put(PNG, "a.png")
    second = await host.put(PNG + b"x", "a.png")
    again = await host.put(PNG, "a.png")
    tokens = [u.split("/files/")[1].split("/")[0] for u in (first, second)]
    assert tokens[0] != tokens[1]
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, url-safe base64
    assert again == first  # the same bytes and name: one stored copy

    # another process (a new store and host over the same database) serves the same URL
    other = FileHost(HostedFileStore(app.repo.sessions), host.base_url, clock)
    server_app = web.Application()
    server_app.add_routes(other.routes())
    server = TestServer(server_app, host="127.0.0.1")
    await server.start_server()
    try:
        path = first.split(host.base_url, 1)[1]
        status, kind, body = await _get(str(server.make_url(path)))
        assert (status, kind, body) == (200, "image/png", PNG)

        # expired files are purged when a later file is stored
        clock.advance(timedelta(days=2))
        await other.put(PDF, "b.pdf")
        async with app.repo.sessions() as s:
            names = list(await s.scalars(select(m.HostedFile.name)))
        assert names == ["b.pdf"]
    finally:
        await server.close()


def test_safe_names() -> None:
    assert safe_name("Kế hoạch số 12/KH-UBND (đợt 2).docx") == "KH-UBND-dot-2.docx"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("Đồng hồ.png") == "Dong-ho.png"
    assert safe_name("???") == "file"


async def test_a_photo_sent_on_telegram_reaches_zalo(
    app: App, clock: FixedClock, zalo: FakeZaloBot
) -> None:
    """A broadcast's photo known only by its Telegram id is fetched from Telegram, hosted,
    and sent to the Zalo chat by URL."""
    from bot.channels.telegram import TelegramChannel
    from tests.fakes.telegram_api import FakeTelegram

    tg = FakeTelegram()
    await tg.start()
    tg.add_file("AgAC-photo-1", PNG, "photo.png", "image/png")
    port = _free_port()
    app.settings = dataclasses.replace(
        app.settings,
        public_base_url=f"http://127.0.0.1:{port}",
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    ward = (await app.repo.wards())[0]
    now = clock.now()
    await app.repo.register_chat("zalo", "z-1", ward.id, "residents", None, "TDP 1", now)
    chats = [c for c in await app.repo.ward_chats(ward.id) if c.chat_id == "z-1"]
    telegram = TelegramChannel(app.router, tg.token, api_base_url=tg.url)
    channel = ZaloBotChannel(app.router, zalo.token, api_base_url=zalo.url)
    try:
        async with running(app, telegram, listen=False, reminders=False, zalo=channel):
            await app.services.broadcasts.create(
                ward.id,
                sender="t",
                sender_channel="telegram",
                sender_chat="700000003",
                text="Ảnh hiện trường",
                audience="t",
                chats=chats,
                send_at=now,
                at=now,
                attachment_kind="photo",
                attachment_name="photo.jpg",
                attachment_ref="telegram:AgAC-photo-1",
            )
            assert app.services.on_outbox is not None
            app.services.on_outbox()
            photo = await zalo.wait_for(lambda s: s["chat_id"] == "z-1", timeout=10)
            assert photo["method"] == "sendPhoto" and photo["caption"] == "Ảnh hiện trường"
            assert await _get(photo["photo"]) == (200, "image/png", PNG)
    finally:
        await tg.stop()
