"""Benchmark: the cost of one /metrics scrape with 100,000 subscribers and a broadcast running.

Fills a fresh SQLite file with N subscribed chats (languages and kinds mixed) and one
broadcast 'sending' with an outbox row per chat, half of them still pending, then times
the scrape's work as the health server does it: the backlog query of every scrape, the
subscriber query it runs at most once a minute, and `generate_latest` of the bot's
registry.

    python -m bench.metrics_scrape [--chats N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from prometheus_client import generate_latest

from bot.newsletter.content import LANGUAGES
from bot.operations import lifecycle, metrics
from bot.storage import Store

KINDS = ("private", "private", "private", "group", "supergroup", "channel")


async def fill(store: Store, chats: int) -> None:
    """Store `chats` subscribers and a running broadcast with one outbox row each."""
    async with store.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (chat_id, kind, language, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 'active', 'x', 'x')",
            [(i, KINDS[i % len(KINDS)], LANGUAGES[i % 3]) for i in range(1, chats + 1)],
        )
        await conn.execute(
            "INSERT INTO issues (id, week_start, week_end, created_at, updated_at)"
            " VALUES (1, '2026-09-21', '2026-09-27', 'x', 'x')"
        )
        await conn.execute("INSERT INTO topics (key) VALUES ('economy')")
        await conn.execute(
            "INSERT INTO commentaries (id, issue_id, key, topic_key, position)"
            " VALUES (1, 1, 'c1', 'economy', 1)"
        )
        await conn.execute(
            "INSERT INTO broadcasts (id, issue_id, status, editor_id, editor_chat_id, created_at)"
            " VALUES (1, 1, 'sending', 1, 1, 'x')"
        )
        await conn.execute(
            "INSERT INTO broadcast_messages (id, broadcast_id, language, commentary_id,"
            " topic_key, seq, text) VALUES (1, 1, 'en', 1, 'economy', 0, 'text')"
        )
        await conn.executemany(
            "INSERT INTO outbox (broadcast_id, chat_id, language, message_ref, seq, status)"
            " VALUES (1, ?, ?, 1, 0, ?)",
            [(i, LANGUAGES[i % 3], "pending" if i % 2 else "sent") for i in range(1, chats + 1)],
        )


async def main(chats: int, rounds: int) -> None:
    """Fill a database, then time `rounds` scrapes."""
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.sqlite3") as store:
            await fill(store, chats)
            for language in LANGUAGES:  # counters with labels, as after a broadcast
                for outcome in ("sent", "failed", "blocked", "skipped"):
                    metrics.delivered(language, outcome)
            scrapes, subscribers = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                for status, count in await store.db.fetchall(lifecycle.BACKLOG_QUERY):
                    metrics.OUTBOX_BACKLOG.labels(status).set(count)
                body = generate_latest(metrics.REGISTRY)
                scrapes.append(time.perf_counter() - started)
                started = time.perf_counter()
                for language, kind, n in await store.db.fetchall(lifecycle.SUBSCRIBERS_QUERY):
                    metrics.SUBSCRIBERS.labels(language, kind).set(n)
                subscribers.append(time.perf_counter() - started)
    scrape, counted = statistics.median(scrapes), statistics.median(subscribers)
    # Scraped every 15 s: four scrapes a minute, one of them with the subscriber query.
    per_minute = 4 * scrape + counted
    print(
        f"{chats:,} subscribers, {chats:,} outbox rows, median of {rounds}: scrape "
        f"{scrape * 1000:.1f} ms, subscriber query (once a minute) {counted * 1000:.1f} ms; "
        f"{len(body):,} bytes; every 15 s: {per_minute / 60 * 100:.2f}% of one core"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.chats, arguments.rounds))
