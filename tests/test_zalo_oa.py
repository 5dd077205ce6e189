"""The Zalo OA channel against a fake OA API: sends, token refresh (single-use refresh tokens,
one refresh at a time, across processes), delivery errors and webhook signatures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.channels.zalo_oa import PROVIDER, ZaloOAClient, signature, verify_signature
from bot.delivery import DeliveryError, Sent
from bot.files import NO_PUBLIC_URL
from handlers.protocol import Attachment, Button, Reply
from store.db import create_engine, session_factory
from store.oauth import TokenStore
from tests.fakes.zalo_oa_api import FakeZaloOA, OAMessage

APP_ID, SECRET, OA_ID = "app-1", "secret-1", "oa-1"
NOW = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)


def now() -> datetime:
    return NOW


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    fake = FakeZaloOA(APP_ID, SECRET)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def tokens(app: App, oa: FakeZaloOA) -> TokenStore:
    store = TokenStore(app.repo.sessions)
    saved = await store.save(
        PROVIDER,
        OA_ID,
        oa.access_token,
        oa.refresh_token,
        NOW + timedelta(hours=20),
        NOW,
        expected_version=None,
    )
    assert saved is not None and saved.version == 1
    return store


def make_client(tokens: TokenStore, oa: FakeZaloOA, **kwargs: Any) -> ZaloOAClient:
    return ZaloOAClient(
        tokens,
        APP_ID,
        SECRET,
        OA_ID,
        api_base_url=oa.base_url,
        oauth_url=oa.oauth_url,
        clock=now,
        **kwargs,
    )


@pytest.fixture
async def client(tokens: TokenStore, oa: FakeZaloOA) -> AsyncIterator[ZaloOAClient]:
    c = make_client(tokens, oa)
    yield c
    await c.close()


async def test_token_store_optimistic(app: App) -> None:
    store = TokenStore(app.repo.sessions)
    assert await store.get(PROVIDER, "x") is None
    first = await store.save(PROVIDER, "x", "a1", "r1", NOW, NOW, None)
    assert first is not None and first.version == 1
    assert await store.save(PROVIDER, "x", "a9", "r9", NOW, NOW, None) is None  # exists
    second = await store.save(PROVIDER, "x", "a2", "r2", NOW, NOW, expected_version=1)
    assert second is not None and second.version == 2
    assert await store.save(PROVIDER, "x", "a3", "r3", NOW, NOW, expected_version=1) is None
    got = await store.get(PROVIDER, "x")
    assert got == second
    assert "a2" not in repr(got) and "r2" not in repr(got)


async def test_group_message_shape(client: ZaloOAClient, oa: FakeZaloOA) -> None:
    seen: list[tuple[str, str, Any]] = []

    async def spy(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("access_token", ""), await request.json()))
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": "x"}})

    spy_app = web.Application()
    spy_app.router.add_post("/v3.0/oa/group/message", spy)
    runner = web.AppRunner(spy_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client.api_base_url = f"http://127.0.0.1:{port}"
        data = await client.send_group_text("g-42", "Xin chào")
    finally:
        await runner.cleanup()
    assert data == {"message_id": "x"}
    assert seen == [
        (
            "/v3.0/oa/group/message",
            oa.access_token,
            {"recipient": {"group_id": "g-42"}, "message": {"text": "Xin chào"}},
        )
    ]


async def test_cs_message_and_sender_rendering(client: ZaloOAClient, oa: FakeZaloOA) -> None:
    await client.send_cs_text("u-1", "chào")
    send = client.sender()
    long = "\n".join(f"dòng {i} " + "x" * 90 for i in range(50))  # ~5,000 characters
    reply = Reply(
        text="**Chọn** một:\n" + long,
        buttons=[[Button("Có", "yes"), Button("Không", "no")]],
        attachment=Attachment("photo", "a.png", data=b"png"),
    )
    # no PUBLIC_BASE_URL: the text goes, saying the picture could not (tests/test_zalo_attachments)
    assert await send("g-1", reply) == Sent(attachment_dropped=NO_PUBLIC_URL)
    assert await send("user:u-2", Reply("riêng")) == Sent()
    assert oa.messages[0] == OAMessage("cs", "u-1", "chào", oa.access_token)
    group = [m for m in oa.messages if m.kind == "group"]
    assert len(group) == 3 and all(len(m.text) <= 2000 for m in group)
    assert group[0].text.startswith("Chọn một:")  # markup stripped
    assert "1. Có" in group[-1].text and "2. Không" in group[-1].text
    assert group[-1].text.endswith("(Không gửi được hình ảnh qua Zalo.)")
    assert oa.messages[-1] == OAMessage("cs", "u-2", "riêng", oa.access_token)


async def test_expired_token_one_refresh_saved_before_retry(
    client: ZaloOAClient, oa: FakeZaloOA, tokens: TokenStore
) -> None:
    stored_at_send: list[str] = []

    async def check(message: OAMessage) -> None:
        rec = await tokens.get(PROVIDER, OA_ID)
        assert rec is not None
        stored_at_send.append(rec.access_token)
        assert rec.access_token == message.access_token  # the new pair was saved first

    await client.send_group_text("g-1", "một")
    oa.on_message = check
    oa.expire_access_token()
    await client.send_group_text("g-1", "hai")
    assert oa.refresh_calls == 1 and oa.invalid_token_answers == 1
    assert [m.text for m in oa.messages] == ["một", "hai"]
    rec = await tokens.get(PROVIDER, OA_ID)
    assert rec is not None and rec.version == 2
    assert rec.access_token == oa.access_token == stored_at_send[0]
    assert rec.refresh_token == oa.refresh_token
    assert rec.expires_at == NOW + timedelta(seconds=90000)


async def test_proactive_refresh_near_expiry(app: App, oa: FakeZaloOA, tokens: TokenStore) -> None:
    rec = await tokens.get(PROVIDER, OA_ID)
    assert rec is not None
    await tokens.save(
        PROVIDER,
        OA_ID,
        rec.access_token,
        rec.refresh_token,
        NOW + timedelta(minutes=4),
        NOW,
        expected_version=rec.version,
    )
    c = make_client(tokens, oa)
    try:
        await c.send_group_text("g-1", "x")
    finally:
        await c.close()
    assert oa.refresh_calls == 1 and oa.invalid_token_answers == 0
    assert oa.messages[0].access_token == oa.access_token


async def test_broadcast_of_50_with_expired_token(
    client: ZaloOAClient, oa: FakeZaloOA, tokens: TokenStore
) -> None:
    await client.send_group_text("g-0", "warm")  # the client holds the (soon stale) token
    oa.expire_access_token()
    oa.refresh_delay = 0.2
    send = client.sender()
    groups = [f"g-{i}" for i in range(50)]
    await asyncio.gather(*(send(g, Reply(f"tin {g}")) for g in groups))
    assert oa.refresh_calls == 1 and oa.refresh_rejections == 0
    delivered = [m.recipient for m in oa.messages[1:]]
    assert sorted(delivered) == sorted(groups)  # each once, none lost
    assert all(m.access_token == oa.access_token for m in oa.messages[1:])
    rec = await tokens.get(PROVIDER, OA_ID)
    assert rec is not None and rec.version == 2 and rec.refresh_token == oa.refresh_token


async def test_two_processes_refresh_concurrently(
    app: App, sqlite_url: str, oa: FakeZaloOA, tokens: TokenStore
) -> None:
    engine = create_engine(sqlite_url)  # another process: its own engine on the database
    other_tokens = TokenStore(session_factory(engine))
    first = make_client(tokens, oa)
    second = make_client(other_tokens, oa)
    try:
        await first.send_group_text("g-a", "warm a")
        await second.send_group_text("g-b", "warm b")
        oa.expire_access_token()
        oa.refresh_delay = 0.3
        await asyncio.gather(
            first.send_group_text("g-a", "một"), second.send_group_text("g-b", "hai")
        )
        # one refreshed, the other's refresh token was refused and it re-read the store
        assert first.refreshes + second.refreshes == 1
        assert oa.used_refresh_tokens == {"refresh-1"}
        rec = await tokens.get(PROVIDER, OA_ID)
        assert rec is not None and rec.version == 2
        assert (rec.access_token, rec.refresh_token) == (oa.access_token, oa.refresh_token)
        # later: the next expiry is refreshed by the one that did not refresh before, with the
        # stored (valid) refresh token
        loser = second if first.refreshes else first
        oa.refresh_delay = 0
        oa.expire_access_token()
        await loser.send_group_text("g-c", "ba")
        assert oa.refresh_rejections == 1 and loser.refreshes == 1
        assert sorted(m.text for m in oa.messages) == sorted(
            ["warm a", "warm b", "một", "hai", "ba"]
        )
    finally:
        await first.close()
        await second.close()
        await engine.dispose()


async def test_other_process_refreshed_first_is_reread(
    app: App, oa: FakeZaloOA, tokens: TokenStore
) -> None:
    first = make_client(tokens, oa)
    second = make_client(tokens, oa)
    try:
        await second.send_group_text("g-1", "warm")
        oa.expire_access_token()
        await first.send_group_text("g-1", "một")  # refreshes; second's token is now stale
        await second.send_group_text("g-1", "hai")  # -216, re-reads the store, no refresh
        assert oa.refresh_calls == 1 and second.refreshes == 0
        assert oa.messages[-1].access_token == oa.access_token
    finally:
        await first.close()
        await second.close()


async def test_delivery_errors(client: ZaloOAClient, oa: FakeZaloOA) -> None:
    send = client.sender()
    oa.groups = {"g-1"}
    with pytest.raises(DeliveryError) as exc:
        await send("g-gone", Reply("x"))
    assert exc.value.kind == "blocked"
    oa.fail_next = [503]
    with pytest.raises(DeliveryError) as exc:
        await send("g-1", Reply("x"))
    assert exc.value.kind == "retry"
    oa.fail_next = [{"error": -201, "message": "Parameters are invalid"}]
    with pytest.raises(DeliveryError) as exc:
        await send("g-1", Reply("x"))
    assert exc.value.kind == "rejected"
    oa.fail_next = [{"error": -32, "message": "Exceeded the rate limit"}]
    with pytest.raises(DeliveryError) as exc:
        await send("g-1", Reply("x"))
    assert exc.value.kind == "retry"
    # the refresh token is dead (re-authorisation needed): keep the message for later
    oa.expire_access_token()
    oa.refresh_token = "revoked"
    client.refresh_wait = 0.1
    with pytest.raises(DeliveryError) as exc:
        await send("g-1", Reply("x"))
    assert exc.value.kind == "retry"
    await oa.stop()
    with pytest.raises(DeliveryError) as exc:  # server down
        await send("g-1", Reply("x"))
    assert exc.value.kind == "retry"


def test_verify_signature() -> None:
    body = b'{"event_name":"user_send_text","timestamp":"1700000000000"}'
    mac = signature(APP_ID, body, "1700000000000", SECRET)
    assert verify_signature(APP_ID, body, "1700000000000", SECRET, "mac=" + mac)
    assert verify_signature(APP_ID, body, "1700000000000", SECRET, mac)
    assert not verify_signature(APP_ID, body, "1700000000001", SECRET, "mac=" + mac)
    assert not verify_signature(APP_ID, body + b" ", "1700000000000", SECRET, mac)
    assert not verify_signature(APP_ID, body, "1700000000000", SECRET, None)
    assert not verify_signature(APP_ID, body, "1700000000000", SECRET, "mac=")


async def test_webhook(client: ZaloOAClient) -> None:
    got: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    async def on_event(event: dict[str, Any]) -> None:
        got.append(event)
        arrived.set()

    hook_app = web.Application()
    hook_app.router.add_post("/zalo_oa", client.webhook_handler(on_event))
    runner = web.AppRunner(hook_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/zalo_oa"
    event = {
        "app_id": APP_ID,
        "event_name": "user_send_group_text",
        "timestamp": "1732070000000",
        "message": {"text": "/chiso"},
    }
    raw = json.dumps(event).encode()
    good = "mac=" + signature(APP_ID, raw, "1732070000000", SECRET)
    forged = "mac=" + signature(APP_ID, raw, "1732070000000", "guessed")
    try:
        async with aiohttp.ClientSession() as http:
            for header in (forged, None):
                headers = {"X-ZEvent-Signature": header} if header else {}
                async with http.post(url, data=raw, headers=headers) as resp:
                    assert resp.status == 401
            await asyncio.sleep(0.05)
            assert got == []
            async with http.post(url, data=raw, headers={"X-ZEvent-Signature": good}) as resp:
                assert resp.status == 200
            await asyncio.wait_for(arrived.wait(), 2)
    finally:
        await runner.cleanup()
    assert got == [event]
