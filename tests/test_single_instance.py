"""One process per database: a second `run` refuses to start; a killed one blocks nothing.

The database holds a broadcast in progress, so every process that starts on it resumes it
in `post_init`: a second process that got that far would send the same messages again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.demo import SAMPLE_CONTENT_DIR
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from bot.operations.single_instance import DatabaseInUse, lock_path, single_instance
from tests.bot_processes import (
    ROOT,
    audience_standin,
    bot_env,
    bot_process,
    exit_status,
    read_log,
    stop,
)
from tests.test_crash_resume import check_chat, prepare

CHATS = 30
EDITOR = 900_001
CONCURRENCY = 4


def test_the_lock_names_its_holder_and_is_free_again_after_the_block(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    with single_instance(database):
        with pytest.raises(DatabaseInUse) as caught, single_instance(database):
            pass
        assert caught.value.holder is not None
        assert caught.value.holder.pid == os.getpid()
        assert caught.value.holder.host == socket.gethostname()
        assert not database.exists()  # the lock sits beside the database, not in it
    assert lock_path(database).exists()
    with single_instance(database):
        pass


async def import_sample_issue(database: Path) -> int:
    """Run `python -m bot import` on the database and return its exit status."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        *map(str, sorted(SAMPLE_CONTENT_DIR.glob("issue-2026-09-14.*.md"))),
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await exit_status(process)


async def test_a_second_process_refuses_the_database_until_the_first_dies(
    tmp_path: Path, catalogs: Catalogs
) -> None:
    database = tmp_path / "bot.sqlite3"
    _, expected = await prepare(database, catalogs, chats=CHATS)
    async with audience_standin(CHATS, EDITOR) as standin:
        settings = {"EDITOR_IDS": str(EDITOR), "SEND_CONCURRENCY": str(CONCURRENCY)}
        # Slow enough that the broadcast is still going when the second process starts.
        slow = bot_env(standin, database, SEND_RATE_PER_SECOND="4", **settings)

        async with bot_process(slow, tmp_path / "first.log") as first:
            await standin.wait_for(
                lambda: (
                    standin.stats.requests["getUpdates"] > 0 and standin.stats.messages_sent >= 3
                ),
                timeout=30,
            )
            introductions = standin.stats.requests["getMe"]
            second_log = tmp_path / "second.log"
            async with bot_process(slow, second_log) as second:
                status = await exit_status(second)
            (line,) = read_log(second_log).splitlines()
            assert status != 0
            assert line.startswith(f"error: the database {database} is already used")
            assert f"pid {first.pid} on host {socket.gethostname()} since " in line
            # The refused process stopped before it introduced itself to Telegram.
            assert standin.stats.requests["getMe"] == introductions
            # Content can still be imported while the bot runs.
            assert await import_sample_issue(database) == 0
            first.send_signal(signal.SIGKILL)
            await first.wait()

        third_log = tmp_path / "third.log"
        fast = bot_env(standin, database, SEND_RATE_PER_SECOND="400", **settings)
        async with bot_process(fast, third_log) as third:
            await standin.wait_for(1, chat_id=EDITOR, timeout=60)  # the final report
            log = await stop(third, third_log)
        assert "Resuming broadcast" in log

        repeats = 0
        for chat_id in range(1, CHATS + 1):
            whole, repeated = check_chat(
                standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]]
            )
            assert whole, chat_id
            repeats += len(repeated)
        assert repeats <= 2 * CONCURRENCY
