"""The bot's aiohttp request layer, over real HTTP to the stand-in: python-telegram-bot's contract.

Every answer the Bot API gives must come back as python-telegram-bot's own result or
error; uploads go as multipart; per-call timeouts, the pool's bound and dropped
connections end a call with `TimedOut` or `NetworkError`, never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.demo import DEMO_TOKEN
from bot.transport import AiohttpRequest, new_request
from standin import BotApiStandIn, Fault

READER = 101


def bot_for(standin: BotApiStandIn, request: AiohttpRequest) -> Bot:
    return Bot(
        DEMO_TOKEN,
        base_url=standin.base_url,
        base_file_url=standin.base_file_url,
        request=request,
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    standin.add_user(READER, "Reader", started=True)
    async with bot_for(standin, AiohttpRequest(connection_pool_size=8)) as opened:
        yield opened


async def test_a_message_with_html_and_a_keyboard_arrives_as_sent(
    bot: Bot, standin: BotApiStandIn
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Далей ›", callback_data="p:2")]])
    sent = await bot.send_message(
        READER,
        "<b>Тыдзень</b> &amp; неделя «7»",
        parse_mode="HTML",
        reply_markup=keyboard,
        disable_notification=True,
    )

    (arrived,) = standin.messages(READER)
    assert sent.message_id == arrived.message_id
    assert arrived.text == "Тыдзень & неделя «7»"
    assert arrived.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert arrived.callback_data == ["p:2"]
    assert arrived.disable_notification
    assert sent.text == arrived.text


async def test_an_upload_goes_as_multipart_and_downloads_back(
    bot: Bot, standin: BotApiStandIn
) -> None:
    content = "# Выпуск\n\nТэкст.\n".encode() + bytes(range(256)) * 64
    sent = await bot.send_document(
        READER, InputFile(content, filename="выпуск-be.md"), caption="<i>be</i>", parse_mode="HTML"
    )

    (arrived,) = standin.messages(READER)
    assert arrived.document is not None
    assert arrived.document["file_name"] == "выпуск-be.md"
    assert arrived.text == "be"
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_a_file_handle_is_uploaded_too(
    bot: Bot, standin: BotApiStandIn, tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "issue.en.md"  # type: ignore[operator]
    path.write_bytes(b"# Issue\n" * 1000)
    with path.open("rb") as handle:
        sent = await bot.send_document(READER, handle)

    assert sent.document is not None
    assert sent.document.file_name == "issue.en.md"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"# Issue\n" * 1000


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.forbidden(), Forbidden),
        (Fault.bad_request("can't parse entities"), BadRequest),
        (Fault.server_error(502), NetworkError),
        (Fault.server_error(500), NetworkError),
    ],
)
async def test_error_answers_become_python_telegram_bots_errors(
    bot: Bot, standin: BotApiStandIn, fault: Fault, error: type[Exception]
) -> None:
    standin.inject("sendMessage", READER, error=fault)

    with pytest.raises(error) as caught:
        await bot.send_message(READER, "hello")

    # python-telegram-bot drops the "Bad Request: " prefix and capitalizes the rest.
    assert fault.description.removeprefix("Bad Request: ").lower() in str(caught.value).lower()
    assert standin.messages(READER) == []


async def test_too_many_requests_says_when_to_retry(bot: Bot, standin: BotApiStandIn) -> None:
    standin.inject("sendMessage", READER, error=Fault.too_many_requests(retry_after=7))

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(READER, "hello")

    assert caught.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]
    await bot.send_message(READER, "hello")
    assert [m.text for m in standin.messages(READER)] == ["hello"]


async def test_a_migrated_group_names_its_supergroup(bot: Bot, standin: BotApiStandIn) -> None:
    standin.add_group(-42, "Readers' club")
    new_id = standin.migrate_group(-42)

    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-42, "hello")

    assert caught.value.new_chat_id == new_id


async def test_a_wrong_token_is_invalid(standin: BotApiStandIn) -> None:
    other = f"{DEMO_TOKEN.split(':')[0]}:WRONGWRONGWRONGWRONGWRONGWRONG"
    bot = Bot(other, base_url=standin.base_url, request=AiohttpRequest())
    with pytest.raises(InvalidToken):
        async with bot:
            pass


async def test_a_slow_answer_times_out_by_the_calls_own_read_timeout(
    bot: Bot, standin: BotApiStandIn
) -> None:
    standin.inject("sendMessage", READER, error=Fault.timeout(1.0), times=2)

    with pytest.raises(TimedOut):
        await bot.send_message(READER, "first", read_timeout=0.1)
    # The same request object, a longer timeout for this call only: it waits and succeeds.
    await bot.send_message(READER, "second", read_timeout=10)

    await standin.wait_for(2, chat_id=READER)
    assert [m.text for m in standin.messages(READER)] == ["first", "second"]


async def test_the_default_read_timeout_applies_when_the_call_gives_none(
    standin: BotApiStandIn,
) -> None:
    standin.add_user(READER, "Reader", started=True)
    async with bot_for(standin, AiohttpRequest(read_timeout=0.1)) as bot:
        standin.inject("sendMessage", READER, error=Fault.timeout(1.0))
        with pytest.raises(TimedOut):
            await bot.send_message(READER, "hello")


async def test_a_dropped_connection_is_a_network_error(bot: Bot, standin: BotApiStandIn) -> None:
    standin.inject("sendMessage", READER, error=Fault.timeout(0.05, deliver=False))

    with pytest.raises(NetworkError) as caught:
        await bot.send_message(READER, "hello")

    assert not isinstance(caught.value, TimedOut)
    assert standin.messages(READER) == []


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:  # a loopback port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    bot = Bot(DEMO_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.get_me()
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert "Connect" in str(caught.value)


async def test_a_call_waiting_too_long_for_the_pool_is_not_sent(
    standin: BotApiStandIn,
) -> None:
    standin.add_user(READER, "Reader", started=True)
    standin.add_user(READER + 1, "Other", started=True)
    standin.inject("sendMessage", READER, error=Fault.timeout(0.5))
    async with bot_for(standin, AiohttpRequest(connection_pool_size=1)) as bot:
        slow = asyncio.create_task(bot.send_message(READER, "holds the only connection"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(READER + 1, "waits", pool_timeout=0.05)
        await slow

    assert "Pool timeout" in caught.value.message
    assert standin.messages(READER + 1) == []
    assert [m.text for m in standin.messages(READER)] == ["holds the only connection"]


async def test_an_upload_nobody_reads_ends_with_timed_out() -> None:
    """A server that accepts the connection and never reads: the write timeout ends it."""
    accepted: list[asyncio.StreamWriter] = []

    async def never_read(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connect_timeout=1.0, read_timeout=0.2)
    bot = Bot(DEMO_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        await request.initialize()
        with pytest.raises(TimedOut):
            await bot.send_document(
                READER, InputFile(b"x" * (64 << 20), filename="big.bin"), write_timeout=0.3
            )
    finally:
        await request.shutdown()
        for writer in accepted:
            writer.close()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_it_opens_again_after_shutdown_and_refuses_calls_while_closed(
    standin: BotApiStandIn,
) -> None:
    standin.add_user(READER, "Reader", started=True)
    request = AiohttpRequest()
    bot = bot_for(standin, request)
    async with bot:
        await bot.send_message(READER, "one")
    await request.shutdown()  # a second shutdown is harmless

    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{standin.base_url}{DEMO_TOKEN}/getMe", "POST")
    async with bot:
        await request.initialize()  # and so is a second initialize
        await bot.send_message(READER, "two")

    assert [m.text for m in standin.messages(READER)] == ["one", "two"]


def test_the_setting_names_the_layer() -> None:
    assert isinstance(new_request("aiohttp"), AiohttpRequest)
    assert type(new_request("httpx")).__name__ == "HTTPXRequest"
    assert new_request("aiohttp", read_timeout=3).read_timeout == 3
    with pytest.raises(ValueError, match="unknown"):
        new_request("urllib")
