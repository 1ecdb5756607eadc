"""python-telegram-bot against the stand-in: its requests parse and its exceptions come out."""

from __future__ import annotations

import datetime as dtm
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from standin import BotApiStandIn, Fault, FloodLimits

TOKEN = "424242:PTB-test-token"


class FrozenClock:
    """A clock that does not move, so flood windows never expire by themselves."""

    def __call__(self) -> float:
        return 500.0


@pytest.fixture
async def server() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN, bot_username="digest_bot", clock=FrozenClock()) as s:
        yield s


@pytest.fixture
async def bot(server: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


async def test_ptb_requests_are_understood(bot: Bot, server: BotApiStandIn) -> None:
    server.send_text(5, 5, "/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Read", callback_data="read:1")]])

    message = await bot.send_message(
        5,
        "<b>Issue 1</b> — <a href='https://example.org/1'>read</a>",
        parse_mode="HTML",
        reply_markup=keyboard,
        disable_notification=True,
        allow_paid_broadcast=False,
    )
    edited = await bot.edit_message_text("Issue 1 (read)", chat_id=5, message_id=message.id)

    assert isinstance(edited, Message)
    assert message.text == "Issue 1 — read"
    assert [e.type for e in message.entities] == ["bold", "text_link"]
    assert message.reply_markup == keyboard
    assert edited.text == "Issue 1 (read)"
    stored = server.messages(5)[0]
    assert stored.history[0].html.startswith("<b>Issue 1</b>")
    assert stored.disable_notification is True


async def test_ptb_exceptions(
    bot: Bot, server: BotApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server.send_text(5, 5, "/start")
    server.add_group(-100, "Readers")
    server.limits = FloodLimits(enabled=True)

    await bot.send_message(5, "first")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(5, "second")
    server.limits = FloodLimits(enabled=False)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(5, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("first", chat_id=5, message_id=2)
    server.block_bot(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(5, "x")
    new_id = server.migrate_group(-100)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-100, "x")
    server.inject("getChat", error=Fault.server_error(502))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_chat(new_id)

    assert flood.value.retry_after == dtm.timedelta(seconds=1)
    assert migrated.value.new_chat_id == new_id
    assert [m.text for m in server.messages(5)] == ["first"]


async def test_ptb_sees_a_wrong_token(server: BotApiStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=server.base_url):
            pass


async def test_ptb_downloads_a_user_document(bot: Bot, server: BotApiStandIn) -> None:
    update = server.send_document(5, 5, "issue.md", b"# Issue\n\nText")

    file = await bot.get_file(update["message"]["document"]["file_id"])

    assert bytes(await file.download_as_bytearray()) == b"# Issue\n\nText"


def _application(server: BotApiStandIn) -> Application:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        await update.message.reply_html("<b>Subscribe?</b>", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Subscribed")
        await query.edit_message_text(f"Chosen: {query.data}")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


async def _conversation(server: BotApiStandIn) -> None:
    server.send_text(5, 5, "/start@digest_bot")
    [prompt] = await server.wait_for(1, chat_id=5, timeout=10)
    query_id = server.press_button(5, 5, prompt.message_id, "yes")
    await server.wait_for(
        lambda: server.callback_answer(query_id) is not None and prompt.edit_count == 1,
        timeout=10,
    )
    answer = server.callback_answer(query_id)
    assert answer is not None
    assert answer.text == "Subscribed"
    assert (prompt.html, prompt.history[0].text) == ("Chosen: yes", "Subscribe?")


async def test_application_polls_and_answers(server: BotApiStandIn) -> None:
    application = _application(server)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await _conversation(server)
        finally:
            await application.updater.stop()
            await application.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_application_receives_updates_by_webhook(server: BotApiStandIn) -> None:
    application = _application(server)
    port = _free_port()
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="hook-secret",
        )
        try:
            await _conversation(server)
        finally:
            await application.updater.stop()
            await application.stop()

    webhook = server.webhook
    assert webhook is not None
    assert webhook.secret_token == "hook-secret"
    assert webhook.delivered == 2


async def test_emitted_updates_parse_as_ptb_objects(bot: Bot, server: BotApiStandIn) -> None:
    server.add_group(-100, "Readers", admins=[1])
    server.send_text(5, 5, "/start")
    sent = await bot.send_message(
        5,
        "Pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    server.press_button(5, 5, sent.message_id, "a")
    server.block_bot(5)
    server.remove_bot_from_group(-100)
    server.add_bot_to_group(-100, by_user=1)
    server.migrate_group(-100)
    server.send_document(5, 5, "a.md", b"x", caption="hi")

    updates = [Update.de_json(data, bot) for data in server.pending_updates()]

    assert [u.effective_chat.id for u in updates if u.effective_chat] == [
        5,
        5,
        5,
        -100,
        -100,
        -100,
        -1000000000100,
        5,  # writing after blocking restarts the bot: my_chat_member kicked -> member
        5,
    ]
    assert updates[0].message is not None and updates[0].message.text == "/start"
    query = updates[1].callback_query
    assert query is not None and query.data == "a"
    blocked = updates[2].my_chat_member
    assert blocked is not None and blocked.new_chat_member.status == "kicked"
    left = updates[3].my_chat_member
    assert left is not None and left.new_chat_member.status == "left"
    migrated = updates[5].message
    assert migrated is not None and migrated.migrate_to_chat_id == -1000000000100
    restarted = updates[7].my_chat_member
    assert restarted is not None and restarted.new_chat_member.status == "member"
    document = updates[8].message
    assert document is not None and document.document is not None
    assert (document.document.file_name, document.caption) == ("a.md", "hi")
