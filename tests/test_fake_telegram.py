"""The fake Telegram Bot API server, exercised through python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

try:  # `tests` is importable when the project root is on sys.path, `fakes` when only tests/ is
    from tests.fakes.telegram_api import FakeTelegram, parse_html, parse_markdown_v2
except ModuleNotFoundError:
    from fakes.telegram_api import (  # type: ignore[no-redef]
        FakeTelegram,
        parse_html,
        parse_markdown_v2,
    )

HANG = 30.0  # seconds: only guards against a hang; nothing here measures time


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


def build_app(tg: FakeTelegram) -> Application:
    return (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )


async def test_get_me(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.id == 123
    assert me.is_bot
    assert me.username == "chiso_test_bot"
    assert bot.username == "chiso_test_bot"
    assert tg.url.startswith("http://127.0.0.1:")
    assert [name for name, _ in tg.calls] == ["getMe", "getMe"]  # initialize() + get_me()


async def test_wrong_token_and_unknown_method(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):  # initialize() calls getMe
            pass
    async with Bot(tg.token, base_url=tg.base_url) as client:
        with pytest.raises(EndPointNotFound):
            await client.do_api_request("noSuchMethod")


async def test_send_message_with_inline_keyboard(bot: Bot, tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Có", callback_data="yes"),
                InlineKeyboardButton("Không", callback_data="no"),
            ]
        ]
    )
    first = await bot.send_message(42, "Xin chào", reply_markup=keyboard)
    second = await bot.send_message(42, "<b>Đậm</b> &amp; nhạt", parse_mode=ParseMode.HTML)
    other = await bot.send_message(-100500, "nhóm")

    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.type == "private"
    assert other.chat.type == "supergroup"
    assert first.from_user is not None and first.from_user.id == 123
    assert first.reply_markup == keyboard
    assert second.text == "Đậm & nhạt"
    assert second.entities[0].type == "bold" and second.entities[0].length == 3

    sent = tg.messages_to(42)
    assert [m.method for m in sent] == ["sendMessage", "sendMessage"]
    assert sent[0].chat_id == 42 and sent[0].text == "Xin chào"
    assert sent[0].button_texts == ["Có", "Không"]
    assert sent[0].callback_data == ["yes", "no"]
    assert sent[1].text == "<b>Đậm</b> &amp; nhạt"
    assert sent[1].plain_text == "Đậm & nhạt"
    assert sent[1].parse_mode == "HTML"
    assert sent[0].timestamp <= sent[1].timestamp


async def test_send_message_errors(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "a <br> b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "<b>open", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(1, "Chỉ số 7.5!", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        button = InlineKeyboardButton("x", callback_data="d" * 65)
        await bot.send_message(1, "hi", reply_markup=InlineKeyboardMarkup([[button]]))
    assert tg.sent == []
    assert len(tg.failures) == 5


async def test_send_photo_then_reuse_file_id(bot: Bot, tg: FakeTelegram) -> None:
    image = png(40, 30)
    message = await bot.send_photo(7, image, caption="Biểu đồ")
    assert message.caption == "Biểu đồ"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (40, 30)

    again = await bot.send_photo(7, largest.file_id)
    assert again.photo[-1].file_id == largest.file_id

    upload, reuse = tg.messages_to(7)
    assert upload.photo == image and not upload.file_reused
    assert upload.file_id == largest.file_id
    assert upload.caption == "Biểu đồ"
    assert reuse.photo == largest.file_id and reuse.file_reused
    assert tg.reused_file_ids == [largest.file_id]

    fresh = await bot.send_photo(7, image)  # a new upload gets a new file_id
    assert fresh.photo[-1].file_id != largest.file_id

    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(7, "AgAC-never-issued")
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(7, b"not an image")


async def test_send_document_and_chat_action(bot: Bot, tg: FakeTelegram) -> None:
    assert await bot.send_chat_action(5, "upload_document")
    message = await bot.send_document(5, b"a;b\n1;2\n", filename="bao_cao.csv", caption="Báo cáo")
    assert message.document is not None
    assert message.document.file_name == "bao_cao.csv"
    sent = tg.last_to(5)
    assert sent.method == "sendDocument"
    assert sent.document == b"a;b\n1;2\n"
    assert sent.file_name == "bao_cao.csv"
    assert tg.calls_of("sendChatAction") == [{"chat_id": 5, "action": "upload_document"}]


async def test_set_my_commands_per_scope_and_language(bot: Bot, tg: FakeTelegram) -> None:
    await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")], language_code="vi"
    )
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands(
        [BotCommand("report", "Báo cáo")], scope=BotCommandScopeAllGroupChats()
    )

    assert tg.commands[("default", "vi")] == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "help", "description": "Trợ giúp"},
    ]
    assert tg.commands_for("default", "en") == ["start"]
    assert tg.commands_for("all_group_chats") == ["report"]

    vi = await bot.get_my_commands(language_code="vi")
    assert [c.command for c in vi] == ["start", "help"]
    assert await bot.get_my_commands() == ()

    await bot.delete_my_commands(language_code="en")
    assert ("default", "en") not in tg.commands

    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_get_updates_after_push(bot: Bot, tg: FakeTelegram) -> None:
    first = tg.push_message(chat_id=42, user_id=42, text="/start@chiso_test_bot hi @someone")
    second = tg.push_message(
        chat_id=-100, user_id=42, text="chào", chat_type="group", chat_title="Phường"
    )

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    message = updates[0].message
    assert message is not None and message.text is not None
    assert message.from_user is not None and message.from_user.language_code == "vi"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bot_command", 0, 21),
        ("mention", 25, 8),
    ]
    group = updates[1].effective_chat
    assert group is not None and group.type == "group" and group.title == "Phường"

    # Unconfirmed updates come again; an offset confirms them.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    assert tg.pending_updates == []


async def test_long_poll_is_answered_by_a_push(bot: Bot, tg: FakeTelegram) -> None:
    # the poll would wait 10 minutes; a push answers it (the guard only stops a hang)
    poll = asyncio.create_task(bot.get_updates(timeout=600, read_timeout=660))
    await tg.wait_for_call("getUpdates")
    tg.push_message(chat_id=1, user_id=1, text="now")
    updates = await asyncio.wait_for(poll, HANG)
    assert [u.message.text for u in updates if u.message] == ["now"]


async def test_long_poll_released_by_stop() -> None:
    fake = FakeTelegram()
    await fake.start()
    async with Bot(fake.token, base_url=fake.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=600, read_timeout=660))
        await fake.wait_for_call("getUpdates")
        await fake.stop()
        assert await asyncio.wait_for(poll, HANG) == ()


async def test_get_file_and_download(bot: Bot, tg: FakeTelegram) -> None:
    content = "Mã hồ sơ;Trạng thái\nH1;Đúng hạn\n".encode()
    document = tg.add_file("BQAC-user-1", content, "ho_so.csv")
    assert document["file_name"] == "ho_so.csv" and document["mime_type"] == "text/csv"

    tg.push_message(chat_id=9, user_id=9, text="đây", document=document)
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.document is not None
    assert update.message.caption == "đây"

    file = await update.message.document.get_file()
    assert file.file_path is not None and file.file_path.startswith(tg.base_file_url)
    assert await file.download_as_bytearray() == bytearray(content)

    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter()
async def test_fault_injection(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "hi")
    retry_after = caught.value.retry_after  # seconds, or a timedelta with PTB_TIMEDELTA=1
    seconds = getattr(retry_after, "total_seconds", lambda: retry_after)()
    assert seconds == 3
    await bot.send_message(1, "hi")  # only the next call failed

    tg.blocked_chats.add(2)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(2, "hi")

    tg.push_bot_removed(chat_id=-5, by_user_id=1, chat_title="Tổ dân phố")
    with pytest.raises(Forbidden, match=r"(?i)kicked from the group chat"):
        await bot.send_message(-5, "hi")
    tg.push_bot_added(chat_id=-5, chat_title="Tổ dân phố", by_user_id=1)
    await bot.send_message(-5, "hi again")
    assert [m.text for m in tg.sent] == ["hi", "hi again"]


async def test_edits(bot: Bot, tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    message = await bot.send_message(3, "Câu hỏi", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Câu hỏi", 3, message.message_id, reply_markup=keyboard)

    edited = await bot.edit_message_text("Đã trả lời", 3, message.message_id)
    assert isinstance(edited, type(message)) and edited.reply_markup is None  # keyboard dropped
    stored = tg.message(3, message.message_id)
    assert stored is not None and "reply_markup" not in stored

    await bot.edit_message_reply_markup(3, message.message_id, reply_markup=keyboard)
    assert [m.method for m in tg.messages_to(3)] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 3, 999)


def test_text_parsers() -> None:
    assert parse_html("<b>a</b> <a href='https://x.vn'>l</a> 1 &lt; 2") == (
        "a l 1 < 2",
        [
            {"type": "bold", "offset": 0, "length": 1},
            {"type": "text_link", "url": "https://x.vn", "offset": 2, "length": 1},
        ],
    )
    assert parse_markdown_v2(r"*Đậm* 7\.5\! `a.b`") == "Đậm 7.5! a.b"


async def test_application_polling_end_to_end(tg: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tiếp", callback_data="next")]])
        await update.effective_message.reply_text("Chào!", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    added: list[int] = []

    async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        added.append(update.my_chat_member.chat.id)

    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))

    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        tg.push_message(chat_id=42, user_id=42, text="xin chào")
        reply = await tg.wait_for(lambda m: m.chat_id == 42)
        assert reply.text == "echo: xin chào"

        tg.push_message(chat_id=42, user_id=42, text="/start")
        menu = await tg.wait_for(lambda m: m.text == "Chào!")
        assert menu.message_id is not None

        tg.push_callback(chat_id=42, user_id=42, data="next", message_id=menu.message_id)
        answer = await tg.wait_for(lambda m: m.method == "answerCallbackQuery")
        assert answer.text == "ok" and answer.chat_id == 42
        edit = await tg.wait_for(lambda m: m.method == "editMessageText")
        assert edit.text == "Bạn chọn: next" and edit.message_id == menu.message_id

        tg.push_bot_added(chat_id=-77, chat_title="Tổ 5", by_user_id=42)
        await tg.wait_for_call("getUpdates", lambda p: p.get("offset", 0) > 4)
        loop = asyncio.get_running_loop()
        end = loop.time() + HANG
        while not added and loop.time() < end:  # the handler runs after the offset moved on
            await asyncio.sleep(0.02)
        assert added == [-77]
    finally:
        await asyncio.wait_for(app.updater.stop(), HANG)
        await asyncio.wait_for(app.stop(), HANG)
        await asyncio.wait_for(app.shutdown(), HANG)
    assert tg.pending_updates == []  # the final getUpdates confirmed everything
