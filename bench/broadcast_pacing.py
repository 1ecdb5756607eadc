"""Benchmark: how close a broadcast gets to Telegram's flood limits without drawing a 429.

The real bot (polling, in this process) broadcasts one message to each of 3,000 private
chats against the Bot API stand-in enforcing Telegram's limits (30 messages per second
overall over a sliding window, 1 per second per chat after a burst of 3). The ideal is
chats / 30 seconds; the target is at most 1.05 x that with no 429 at all.

    python -m bench.broadcast_pacing [--chats N] [--per-chat N] [--concurrency N]
        [--http-client aiohttp|httpx]

The helpers here (a synthetic issue, subscribers filled by SQL, a planned broadcast) are
shared by the other broadcast benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from bench.reader_queries import WORDS
from bot.app import build_application, running
from bot.config import HTTP_CLIENTS, MARGIN, SendLimits, Settings
from bot.newsletter.content import LANGUAGES, CommentaryDraft, CommentaryText, IssueDraft
from bot.storage import BroadcastStatus, Store
from standin import BotApiStandIn, FloodLimits

TOKEN = "123456789:BENCH-token-for-the-local-stand-in"
EDITOR = 2_000_000_000
"""The editor's chat: never one of the subscribers, which are numbered from 1."""
WEEK = date(2026, 10, 5)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def issue_drafts(commentaries: int, *, seed: int = 5, week: date = WEEK) -> list[IssueDraft]:
    """Return an issue in every language whose commentaries each fit one message (~1,500 chars)."""
    rng = random.Random(seed)
    drafts = []
    for language in LANGUAGES:
        items = tuple(
            CommentaryDraft(
                key=f"bench-{week.isoformat()}-{n}",
                topic_key="economy",
                topic_name="Economy",
                position=n,
                text=CommentaryText(
                    language=language,
                    title=_sentence(rng, 6),
                    kicker=_sentence(rng, 5),
                    author="Bench Author",
                    lead=_sentence(rng, 30),
                    body="\n\n".join(_sentence(rng, 70) for _ in range(2)),
                ),
            )
            for n in range(commentaries)
        )
        drafts.append(
            IssueDraft(
                source=f"bench.{language}",
                language=language,
                week_start=week,
                week_end=week + timedelta(days=6),
                commentaries=items,
            )
        )
    return drafts


FILL_SLICE = 50_000
"""Chats inserted per statement batch by `fill_chats`."""


def chat_rows(chats: int) -> Iterator[tuple[int, str]]:
    """Yield (chat id, language) of the subscribers: ids 1..chats, languages in turn."""
    return ((chat_id, LANGUAGES[chat_id % 3]) for chat_id in range(1, chats + 1))


async def fill_chats(store: Store, chats: int) -> None:
    """Subscribe `chats` private chats to everything, by SQL in one transaction.

    The rows go in slices, so that a driver that takes a whole list (asyncpg does) never
    holds a million of them: the fill should not set the benchmark's peak memory.
    """
    rows = chat_rows(chats)
    async with store.db.transaction() as conn:
        while chunk := list(itertools.islice(rows, FILL_SLICE)):
            await conn.executemany(
                "INSERT INTO chats (chat_id, kind, language, status, created_at, updated_at)"
                " VALUES (?, 'private', ?, 'active', '2026-01-01', '2026-01-01')",
                chunk,
            )


async def plan_broadcast(store: Store, commentaries: int, *, week: date = WEEK) -> int:
    """Store an unpublished synthetic issue and plan its broadcast; return the broadcast id.

    An issue is delivered once: benchmarks that broadcast again give another `week`.
    """
    await store.archive.save_issues(issue_drafts(commentaries, week=week))
    issue_id = await store.db.scalar(
        "SELECT id FROM issues WHERE week_start = ?", (week.isoformat(),)
    )
    return await store.broadcasts.create(issue_id, editor_id=EDITOR, editor_chat_id=EDITOR)


async def check_done(store: Store, broadcast_id: int, expected: int) -> None:
    """Fail loudly unless the broadcast ended with every row sent."""
    status = await store.broadcasts.status(broadcast_id)
    counts = await store.broadcasts.counts(broadcast_id)
    sent = sum(n for (_, outcome), n in counts.items() if outcome == "sent")
    if status is not BroadcastStatus.DONE or sent != expected:
        raise SystemExit(f"broadcast {broadcast_id} ended {status} with {dict(counts)}")


async def measure(chats: int, per_chat: int, concurrency: int, http_client: str) -> None:
    """Run one paced broadcast and print the table."""
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as tmp:
        database = Path(tmp) / "bench.sqlite3"
        async with await Store.open(database) as store:
            await fill_chats(store, chats)
            broadcast_id = await plan_broadcast(store, per_chat)
        limits = FloodLimits(enabled=True, chat_burst=SendLimits().burst_per_chat)
        async with BotApiStandIn(token=TOKEN, limits=limits) as standin:
            standin.add_user(EDITOR, "Editor", started=True)
            for chat_id, _ in chat_rows(chats):
                standin.add_user(chat_id, f"Reader {chat_id}", language_code=None, started=True)
            settings = Settings(
                token=TOKEN,
                api_url=standin.url,
                database_path=database,
                send_limits=SendLimits(),
                send_concurrency=concurrency,
                http_client=http_client,
            )
            async with running(build_application(settings)) as application:
                delivery = application.bot_data.delivery
                started = time.perf_counter()
                total = await delivery.start(broadcast_id)
                await delivery.wait(broadcast_id)
                elapsed = time.perf_counter() - started
                await check_done(application.bot_data.store, broadcast_id, total)
            arrivals = sorted(m.sent_at for m in standin.all_messages() if m.chat_id != EDITOR)
            refused = standin.stats.too_many_requests
            worst = 0
            window: deque[float] = deque()
            for at in arrivals:  # the busiest 1-second window the stand-in saw
                window.append(at)
                while window[0] <= at - 1.0:
                    window.popleft()
                worst = max(worst, len(window))
    ideal = total / limits.per_second
    print(f"{chats:,} private chats x {per_chat} message(s) = {total:,} messages")
    print(
        f"limits: {limits.per_second}/s overall, {limits.per_chat_per_second}/s per chat "
        f"after a burst of {limits.chat_burst}"
    )
    print(f"bot: {MARGIN:.0%} of each limit, {concurrency} concurrent sends, on {http_client}")
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| ideal time ({total:,} / {limits.per_second} per s) | {ideal:.1f} s | |")
    print(f"| elapsed (start to done) | {elapsed:.1f} s | |")
    print(f"| elapsed / ideal | {elapsed / ideal:.3f}x | <= 1.05x |")
    print(f"| first to last arrival | {arrivals[-1] - arrivals[0]:.1f} s | |")
    print(f"| busiest 1 s window | {worst} messages | <= {limits.per_second} |")
    print(f"| 429 answers | {refused} | 0 |")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=3_000)
    parser.add_argument("--per-chat", type=int, default=1, help="messages each chat gets")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--http-client", choices=HTTP_CLIENTS, default=HTTP_CLIENTS[0])
    args = parser.parse_args()
    asyncio.run(measure(args.chats, args.per_chat, args.concurrency, args.http_client))


if __name__ == "__main__":
    main()
