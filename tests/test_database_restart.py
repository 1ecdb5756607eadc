"""The PostgreSQL server stopped and started again in the middle of a broadcast.

The bot notices that the connection holding the active lock ended, halts its sends and
stops polling, so nothing is sent and no update is taken while the database is away. A
reader who writes meanwhile is not lost: the update stays with Telegram and is answered
once the bot is back. The same process reconnects with backoff, takes the lock again
and finishes the broadcast from the outbox: every chat gets every message once, repeats
only within the in-flight bound.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build_application, serving
from bot.config import Settings
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from standin.in_memory import RecordingRequest, Updates
from tests.bot_processes import audience_standin, bot_env, bot_process, read_log, stop
from tests.postgres_server import PostgresServer, ServerUnavailable, find_binaries
from tests.test_crash_resume import check_chat, prepare

CHATS = 30
EDITOR = 900_001
READER = 700_001
"""A reader who is not subscribed and asks for the latest issue while the database is away."""
CONCURRENCY = 4


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own, since the test stops it."""
    binaries = find_binaries()
    if binaries is None:
        reason = "needs the PostgreSQL server binaries (initdb, pg_ctl) to stop a server"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        server = PostgresServer.start(binaries)
    except ServerUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


async def _log_says(log: Path, text: str, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if text in read_log(log):
            return True
        await asyncio.sleep(0.05)
    return text in read_log(log)


async def test_a_broadcast_survives_the_database_server_restarting(
    tmp_path: Path, catalogs: Catalogs, own_server: PostgresServer
) -> None:
    database = await own_server.create_database()
    _, expected = await prepare(database, catalogs, chats=CHATS)
    delivered = catalogs["en"].gettext("Delivered: the issue of {week}").partition("{")[0]
    async with audience_standin(CHATS, EDITOR) as standin:
        standin.add_user(READER, "Late reader", language_code="ru", started=True)
        env = bot_env(
            standin,
            database,
            EDITOR_IDS=str(EDITOR),
            SEND_CONCURRENCY=str(CONCURRENCY),
            SEND_RATE_PER_SECOND="4",
        )
        log = tmp_path / "bot.log"
        async with bot_process(env, log) as bot:
            await standin.wait_for(lambda: standin.stats.messages_sent >= 10, timeout=60)
            await asyncio.to_thread(own_server.halt)
            assert await _log_says(log, "Lost the database connection", within=15), read_log(log)[
                -3000:
            ]
            assert await _log_says(log, "Connecting to the database again", within=30)
            # Stopped: nothing is sent, and the reader's command is left with Telegram.
            sent_while_away = standin.stats.messages_sent
            standin.send_text(READER, READER, "/latest")
            await asyncio.sleep(2)
            assert standin.stats.messages_sent == sent_while_away
            assert standin.messages(READER) == []

            await asyncio.to_thread(own_server.resume)
            await standin.wait_for(
                lambda: any(delivered in m.text for m in standin.messages(EDITOR)), timeout=180
            )
            answer = await standin.wait_for(1, chat_id=READER, timeout=30)
            said = await stop(bot, log)
    assert "The database answers again" in said
    assert said.count("Resuming broadcast") == 2, said[-3000:]  # at the start, and after
    assert bot.returncode == 0
    # Answered once the bot was back, when the broadcast had published the issue.
    assert answer[0].text.startswith(catalogs["ru"].gettext("Weekly commentary")), answer[0].text

    repeats = 0
    for chat_id in range(1, CHATS + 1):
        whole, repeated = check_chat(standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]])
        assert whole, (chat_id, [m.text[:40] for m in standin.messages(chat_id)])
        repeats += len(repeated)
    assert repeats <= 2 * CONCURRENCY


async def test_a_reader_is_told_the_bot_is_unavailable_while_the_database_is_away(
    catalogs: Catalogs, own_server: PostgresServer
) -> None:
    settings = Settings(
        token="7000:TESTTOKENTESTTOKENTESTTOKEN",
        api_url="http://127.0.0.1:9",
        postgres_url=await own_server.create_database(),
    )
    request = RecordingRequest()
    async with serving(build_application(settings, catalogs, request=request)) as application:
        updates = Updates(application.bot)
        await asyncio.to_thread(own_server.halt)
        try:
            await application.process_update(updates.message(42, "/latest", language="ru"))
        finally:
            await asyncio.to_thread(own_server.resume)
        # Back again: the same command is answered as usual.
        await application.process_update(updates.message(42, "/latest", language="ru"))
    away, back = request.texts(42)
    assert away == catalogs["ru"].gettext(
        "The bot is temporarily unavailable: its database does not answer. "
        "Please try again in a few minutes."
    )
    assert back == catalogs["ru"].gettext("No issue has been published yet.")
