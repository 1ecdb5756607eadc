"""SIGTERM in mid-broadcast: the process stops cleanly and a restart sends nothing twice.

`python -m bot run` is a real process on the stand-in. SIGTERM comes while a broadcast is
being sent; the process must stop taking updates, let the sends in flight finish and
record them, close the database and exit 0 within the 30 s compose and systemd give it.
Every message that reached the stand-in must then be recorded as sent, none left
'sending'; the restarted process (logging JSON lines) finishes the broadcast with no chat
getting any message twice.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

from bot.demo import DEMO_TOKEN
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from bot.storage import BroadcastStatus, Store
from tests.bot_processes import audience_standin, bot_env, bot_process, exit_status, read_log, stop
from tests.test_crash_resume import EDITOR, check_chat, prepare

CHATS = 300
RATE = 150
STOP_GRACE = 30.0
"""compose.yaml's stop_grace_period and the unit's TimeoutStopSec."""


async def test_sigterm_mid_broadcast_records_in_flight_sends_and_restart_repeats_none(
    tmp_path: Path, catalogs: Catalogs
) -> None:
    database = tmp_path / "bot.sqlite3"
    broadcast_id, expected = await prepare(database, catalogs, chats=CHATS)
    total = sum(len(expected[LANGUAGES[c % 3]]) for c in range(1, CHATS + 1))
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    async with audience_standin(CHATS, EDITOR) as standin:
        env = bot_env(standin, database, EDITOR_IDS=str(EDITOR), SEND_RATE_PER_SECOND=str(RATE))

        def arrived() -> int:
            return standin.stats.messages_sent - len(standin.messages(EDITOR))

        async with bot_process(env, first_log) as process:
            await standin.wait_for(lambda: arrived() >= total // 3, timeout=60)
            process.send_signal(signal.SIGTERM)
            status = await exit_status(process, timeout=STOP_GRACE)
        output = read_log(first_log)
        assert status == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        arrived_at_stop = arrived()
        assert arrived_at_stop < total, "the broadcast ended before the signal"

        async with await Store.open(database) as store:
            rows = await store.db.fetchall(
                "SELECT status, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
                (broadcast_id,),
            )
            assert await store.broadcasts.status(broadcast_id) is BroadcastStatus.SENDING
        counts = {row[0]: row[1] for row in rows}
        assert "sending" not in counts, counts
        assert counts["sent"] == arrived_at_stop, (counts, arrived_at_stop)

        async with bot_process({**env, "LOG_FORMAT": "json"}, second_log) as process:
            await standin.wait_for(1, chat_id=EDITOR, timeout=60)  # the final report
            await stop(process, second_log)

        for chat_id in range(1, CHATS + 1):
            whole, repeats = check_chat(
                standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]]
            )
            assert whole and not repeats, (chat_id, len(repeats))
        assert arrived() == total

    lines = [json.loads(line) for line in read_log(second_log).splitlines() if line]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    resumed = [
        line
        for line in lines
        if line["message"].startswith("Broadcast") and line.get("broadcast_id") == broadcast_id
    ]
    assert resumed, "no event line named the broadcast"
    assert DEMO_TOKEN.partition(":")[2] not in read_log(second_log)
