"""On PostgreSQL a second process waits as a standby and takes over when the active dies.

The database holds a broadcast in progress. The active process sends it slowly; a second
`python -m bot run` on the same database says it stands by and sends nothing; the active
one is killed with SIGKILL and the standby takes over within 10 seconds, resumes the
broadcast from the outbox and finishes it: every chat gets every message, repeats only
within the in-flight bound.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import asyncpg

from bot.editorial.reports import takeover_text
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from tests.bot_processes import audience_standin, bot_env, bot_process, read_log, stop
from tests.postgres_server import PostgresServer
from tests.test_crash_resume import check_chat, prepare

CHATS = 30
EDITOR = 900_001
CONCURRENCY = 4
TAKEOVER_SECONDS = 10.0
HOST = socket.gethostname()


async def _log_says(log: Path, text: str, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if text in read_log(log):
            return True
        await asyncio.sleep(0.05)
    return text in read_log(log)


async def test_a_standby_takes_over_a_broadcast_when_the_active_process_is_killed(
    tmp_path: Path, catalogs: Catalogs, postgres_server: PostgresServer
) -> None:
    database = await postgres_server.create_database()
    try:
        _, expected = await prepare(database, catalogs, chats=CHATS)
        async with audience_standin(CHATS, EDITOR) as standin:
            env = bot_env(
                standin,
                database,
                EDITOR_IDS=str(EDITOR),
                SEND_CONCURRENCY=str(CONCURRENCY),
                SEND_RATE_PER_SECOND="4",
                DEFAULT_LANGUAGE="ru",  # the editor has chosen no language: told in Russian
            )
            first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
            async with bot_process(env, first_log) as first:
                await standin.wait_for(lambda: standin.stats.messages_sent >= 3, timeout=30)
                async with bot_process(env, second_log) as second:
                    assert await _log_says(
                        second_log, "standby: another process is active", within=30
                    ), read_log(second_log)[-3000:]
                    line = next(
                        line for line in read_log(second_log).splitlines() if "standby:" in line
                    )
                    assert f"pid {first.pid} on host {socket.gethostname()}" in line
                    assert "Resuming broadcast" not in read_log(second_log)

                    first.send_signal(signal.SIGKILL)
                    await first.wait()
                    assert await _log_says(
                        second_log, "Taking over as the active process", within=TAKEOVER_SECONDS
                    ), read_log(second_log)[-3000:]
                    # The takeover, then the final report.
                    told = await standin.wait_for(2, chat_id=EDITOR, timeout=120)
                    log = await stop(second, second_log)
            assert "Resuming broadcast" in log
            assert told[0].html == takeover_text(
                catalogs["ru"], f"pid {second.pid} on host {HOST}", 1
            )
            assert "1 незавершённая рассылка продолжится" in told[0].text, told[0].text
            assert "доставлен" in told[1].text, told[1].text

            repeats = 0
            for chat_id in range(1, CHATS + 1):
                whole, repeated = check_chat(
                    standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]]
                )
                assert whole, chat_id
                repeats += len(repeated)
            assert repeats <= 2 * CONCURRENCY
    finally:
        await postgres_server.drop_database(database)


async def test_an_active_process_that_loses_its_lock_stops_and_the_standby_finishes(
    tmp_path: Path, catalogs: Catalogs, postgres_server: PostgresServer
) -> None:
    database = await postgres_server.create_database()
    try:
        _, expected = await prepare(database, catalogs, chats=CHATS)
        async with audience_standin(CHATS, EDITOR) as standin:
            env = bot_env(
                standin,
                database,
                EDITOR_IDS=str(EDITOR),
                SEND_CONCURRENCY=str(CONCURRENCY),
                SEND_RATE_PER_SECOND="4",
            )
            first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
            async with bot_process(env, first_log) as first:
                await standin.wait_for(lambda: standin.stats.messages_sent >= 3, timeout=30)
                async with bot_process(env, second_log) as second:
                    assert await _log_says(second_log, "standby:", within=30)
                    # The server drops the connection that holds the active lock.
                    admin = await asyncpg.connect(database)
                    try:
                        ended = await admin.fetchval(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = $1",
                            f"weekly-commentary-bot pid {first.pid} on host {HOST}",
                        )
                    finally:
                        await admin.close()
                    assert ended == 1
                    assert await _log_says(
                        second_log, "Taking over as the active process", within=TAKEOVER_SECONDS
                    ), read_log(second_log)[-3000:]
                    # The first process stopped polling and sending, reconnected in place,
                    # and now stands by for the second.
                    assert await _log_says(
                        first_log, "standby: another process is active", within=30
                    )
                    first_said = read_log(first_log)
                    assert "Lost the database connection" in first_said
                    assert (
                        f"pid {second.pid} on host {HOST}" in first_said.rpartition("standby:")[2]
                    )
                    assert first.returncode is None
                    # The takeover, then the final report.
                    await standin.wait_for(2, chat_id=EDITOR, timeout=120)
                    await stop(second, second_log)
                    await stop(first, first_log)

            repeats = 0
            for chat_id in range(1, CHATS + 1):
                whole, repeated = check_chat(
                    standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]]
                )
                assert whole, chat_id
                repeats += len(repeated)
            assert repeats <= 2 * CONCURRENCY
    finally:
        await postgres_server.drop_database(database)
