"""Benchmark: peak memory of a broadcast to 1,000,000 chats (target ≤ 200 MB RSS).

Fills a fresh SQLite file with subscribed chats, fixes the audience through the real
`Broadcasts.start` (one outbox row per chat and message) and sends it with the real
`BroadcastRun`. Telegram is replaced by a request layer that answers from memory, so a
million sends take minutes rather than the 9 hours Telegram's 30 msg/s would; the
memory the engine needs does not depend on how fast the answers come.

    python -m bench.broadcast_memory [--chats N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.content import LANGUAGES, CommentaryDraft, CommentaryText, IssueDraft
from bot.delivery.compose import render_issue
from bot.delivery.pacing import Pacer, SendLimits
from bot.delivery.sender import BroadcastRun
from bot.i18n import Catalogs
from bot.storage import BroadcastKind, DeliveryStatus, Store

TOKEN = "7000:MEMORYBENCHMEMORYBENCHMEM"
WEEK = date(2026, 10, 5)


def peak_mb() -> float:
    """Return the peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class MemoryAnswers(BaseRequest):
    """Answer sendMessage from memory with the smallest valid Message."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        """Return no read timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

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
        """Answer one call."""
        name = url.rsplit("/", 1)[-1]
        if name == "getMe":
            result: Any = {"id": 7000, "is_bot": True, "first_name": "Bench", "username": "b"}
        else:
            chat_id = request_data.parameters["chat_id"] if request_data else 0
            result = {
                "message_id": next(self._ids),
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _issue(language: str) -> IssueDraft:
    text = CommentaryText(
        language=language,
        title="Memory",
        kicker="A short commentary",
        author="Bench",
        lead="One paragraph.",
        body="",
    )
    draft = CommentaryDraft(
        key="memory", topic_key="economy", topic_name="Economy", position=0, text=text
    )
    return IssueDraft(
        source=f"memory.{language}",
        language=language,
        week_start=WEEK,
        week_end=WEEK + timedelta(days=6),
        commentaries=(draft,),
    )


async def main() -> None:
    """Fill, fix the audience, send, and print the peak memory after each step."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(f"start: peak RSS {peak_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        async with await Store.open(Path(tmp) / "memory.sqlite3") as store:
            await store.archive.save_issues([_issue(language) for language in LANGUAGES])
            started = time.perf_counter()
            async with store.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO chats (chat_id, kind, language, status, created_at, updated_at)"
                    " VALUES (?, 'private', ?, 'active', '2026-01-01', '2026-01-01')",
                    ((n, LANGUAGES[n % 3]) for n in range(1, args.chats + 1)),
                )
            print(
                f"filled {args.chats:,} chats in {time.perf_counter() - started:.0f} s: "
                f"peak RSS {peak_mb():.0f} MB"
            )
            issue = await store.archive.issue_by_week(WEEK)
            assert issue is not None
            broadcast_id = await store.broadcasts.create(issue.id, editor_id=1, editor_chat_id=1)
            messages = await render_issue(store, Catalogs.load(), issue.id)
            started = time.perf_counter()
            rows = await store.broadcasts.start(broadcast_id, messages)
            print(
                f"fixed the audience: {rows:,} outbox rows in "
                f"{time.perf_counter() - started:.0f} s: peak RSS {peak_mb():.0f} MB"
            )
            limits = SendLimits(per_second=1_000_000, per_chat_per_second=1_000_000)
            bot: ExtBot[Any] = ExtBot(TOKEN, request=MemoryAnswers())
            async with bot:
                run = BroadcastRun(
                    broadcast_id=broadcast_id,
                    kind=BroadcastKind.ISSUE,
                    store=store,
                    bot=bot,
                    pacer=Pacer(limits.overall_rate),
                    limits=limits,
                    concurrency=args.concurrency,
                )
                started = time.perf_counter()
                await run.run()
                elapsed = time.perf_counter() - started
            sent = run.progress.count(DeliveryStatus.SENT)
            print(
                f"sent {sent:,} messages in {elapsed:.0f} s ({sent / elapsed:,.0f}/s): "
                f"peak RSS {peak_mb():.0f} MB (target ≤ 200 MB)"
            )


if __name__ == "__main__":
    asyncio.run(main())
