"""Crash safety: `python -m bot run` killed with SIGKILL in mid-broadcast, then restarted.

The database is prepared before the first process starts: a broadcast to 3,000 private
chats whose audience is already fixed, left 'sending', so each process resumes it in
`post_init`. The process is killed three times as messages arrive at the stand-in, and
restarted each time; at the end every chat must hold every message of its language, in
order, with repeats only of the rows that were in flight at a kill (the bound documented
in bot/delivery/sender.py: at most 2 x SEND_CONCURRENCY per kill).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ExtBot
from telegram.request import RequestData

from bot.config import SendLimits
from bot.delivery.compose import render_issue
from bot.delivery.pacing import Pacer
from bot.delivery.sender import BroadcastRun
from bot.demo import SAMPLE_CONTENT_DIR
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from bot.newsletter.importer import read_issue_files
from bot.storage import (
    BroadcastKind,
    BroadcastStatus,
    DeliveryResult,
    DeliveryStatus,
    RenderedMessage,
    Store,
)
from standin import SentMessage
from standin.in_memory import TOKEN, RecordingRequest
from tests.bot_processes import audience_standin, bot_env, bot_process, read_log, stop

ROOT = Path(__file__).resolve().parent.parent
CHATS = 3_000
CONCURRENCY = 16
RATE = 400
EDITOR = 900_001
KILL_AT = (0.10, 0.45, 0.80)
"""Share of the broadcast's messages arrived at the stand-in when each SIGKILL comes."""
ISSUE_FILES = "issue-2026-09-21.*.md"


async def prepare(
    database: Path | str, catalogs: Catalogs, chats: int = CHATS
) -> tuple[int, dict[str, list[str]]]:
    """Store an unpublished issue and `chats` subscribers; start its broadcast in the database.

    Return the broadcast id and, per language, the texts each reader must get in order.
    """
    drafts = read_issue_files(sorted(SAMPLE_CONTENT_DIR.glob(ISSUE_FILES)))
    async with await Store.open(database) as store:
        await store.archive.save_issues(drafts)
        issue_id = await store.db.scalar("SELECT id FROM issues")
        async with store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO chats (chat_id, kind, language, status, created_at, updated_at)"
                " VALUES (?, 'private', ?, 'active', '2026-01-01', '2026-01-01')",
                [(chat_id, LANGUAGES[chat_id % 3]) for chat_id in range(1, chats + 1)],
            )
        broadcast_id = await store.broadcasts.create(
            issue_id, editor_id=EDITOR, editor_chat_id=EDITOR
        )
        messages: list[RenderedMessage] = await render_issue(store, catalogs, issue_id)
        total = await store.broadcasts.start(broadcast_id, messages)
    expected = {
        language: [m.text for m in sorted(messages, key=lambda m: m.seq) if m.language == language]
        for language in LANGUAGES
    }
    assert total == sum(len(expected[LANGUAGES[c % 3]]) for c in range(1, chats + 1))
    return broadcast_id, expected


def check_chat(received: list[SentMessage], expected: list[str]) -> tuple[bool, list[float]]:
    """Tell whether a chat got `expected` in order, each repeated only right after itself.

    Return that and the arrival times of the repeats.
    """
    repeats: list[float] = []
    position = 0
    for message in received:
        if position < len(expected) and message.html == expected[position]:
            position += 1
        elif position > 0 and message.html == expected[position - 1]:
            repeats.append(message.sent_at)
        else:
            return False, repeats
    return position == len(expected), repeats


async def test_broadcast_survives_sigkill_without_loss(
    tmp_path: Path, catalogs: Catalogs, engine_database: Path | str
) -> None:
    database = engine_database
    broadcast_id, expected = await prepare(database, catalogs)
    total = sum(len(expected[LANGUAGES[c % 3]]) for c in range(1, CHATS + 1))
    kills: list[tuple[float, int]] = []  # (stand-in clock, messages arrived) at each SIGKILL
    log_path = tmp_path / "bot.log"
    async with audience_standin(CHATS, EDITOR) as standin:
        env = bot_env(
            standin,
            database,
            EDITOR_IDS=str(EDITOR),
            SEND_RATE_PER_SECOND=str(RATE),
            SEND_CONCURRENCY=str(CONCURRENCY),
        )

        def arrived() -> int:
            return standin.stats.messages_sent - len(standin.messages(EDITOR))

        def reached(count: int) -> Callable[[], bool]:
            return lambda: arrived() >= count

        for share in KILL_AT:
            async with bot_process(env, log_path) as process:
                await standin.wait_for(reached(int(total * share)), timeout=120)
                process.send_signal(signal.SIGKILL)
                await process.wait()
                kills.append((time.monotonic(), arrived()))
        async with bot_process(env, log_path) as process:
            # The final report goes to the editor when the broadcast ends.
            await standin.wait_for(1, chat_id=EDITOR, timeout=120)
            await stop(process, log_path)

        lost: list[int] = []
        repeats_per_kill = [0] * len(kills)
        for chat_id in range(1, CHATS + 1):
            whole, repeats = check_chat(
                standin.messages(chat_id), expected[LANGUAGES[chat_id % 3]]
            )
            if not whole:
                lost.append(chat_id)
            for at in repeats:
                # A repeat is sent by the process that followed the last kill before it.
                index = max(i for i, (killed_at, _) in enumerate(kills) if killed_at <= at)
                repeats_per_kill[index] += 1
        assert standin.stats.too_many_requests == 0

    log_text = read_log(log_path)
    summary = ", ".join(
        f"kill {n + 1} at {arrived_then}/{total}: {repeats} repeated"
        for n, ((_, arrived_then), repeats) in enumerate(zip(kills, repeats_per_kill, strict=True))
    )
    print(f"\n{CHATS} chats, {total} messages; {summary}; bound {2 * CONCURRENCY} per kill")
    assert not lost, f"{len(lost)} chats lost or misordered messages, e.g. {lost[:5]}"
    assert all(n <= 2 * CONCURRENCY for n in repeats_per_kill), summary
    assert log_text.count("Resuming broadcast") == len(KILL_AT) + 1, log_text[-3000:]

    async with await Store.open(database) as store:
        assert await store.broadcasts.status(broadcast_id) is BroadcastStatus.DONE
        left = await store.db.scalar(
            "SELECT count(*) FROM outbox WHERE broadcast_id = ? "
            "AND status IN ('pending', 'sending')",
            (broadcast_id,),
        )
        sent = await store.db.scalar(
            "SELECT count(*) FROM outbox WHERE broadcast_id = ? AND status = 'sent'",
            (broadcast_id,),
        )
    assert left == 0
    assert sent == total


class CountingRequest(RecordingRequest):
    """Answer from memory and note, at each send, how many sent rows are not recorded yet."""

    def __init__(self) -> None:
        super().__init__()
        self.recorded = 0
        self.most_unrecorded = 0

    async def do_request(  # noqa: PLR0917 - the signature is BaseRequest's
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        answer = await super().do_request(url, method, request_data)
        unrecorded = len(self.sent()) - self.recorded
        self.most_unrecorded = max(self.most_unrecorded, unrecorded)
        return answer


async def test_sends_wait_for_their_records_when_the_database_is_slow(
    catalogs: Catalogs, monkeypatch: pytest.MonkeyPatch, engine_database: Path | str
) -> None:
    """The crash bound holds however slowly outcomes are written: sends wait for them."""
    concurrency = 4
    database = engine_database
    broadcast_id, expected = await prepare(database, catalogs, chats=60)
    request = CountingRequest()
    async with await Store.open(database) as store:
        record = store.broadcasts.record

        async def slow_record(results: list[DeliveryResult]) -> None:
            await asyncio.sleep(0.02)
            await record(results)
            request.recorded += len(results)

        monkeypatch.setattr(store.broadcasts, "record", slow_record)
        bot: ExtBot[Any] = ExtBot(TOKEN, request=request)
        limits = SendLimits(per_second=100_000, per_chat_per_second=100_000)
        run = BroadcastRun(
            broadcast_id=broadcast_id,
            kind=BroadcastKind.ISSUE,
            store=store,
            bot=bot,
            pacer=Pacer(limits.overall_rate),
            limits=limits,
            concurrency=concurrency,
        )
        async with bot:
            await run.run()
        counts = await store.broadcasts.counts(broadcast_id)

    assert 0 < request.most_unrecorded <= 2 * concurrency
    assert set(counts) == {(language, DeliveryStatus.SENT) for language in LANGUAGES}
    for chat_id in range(1, 61):
        assert request.texts(chat_id) == expected[LANGUAGES[chat_id % 3]], chat_id
