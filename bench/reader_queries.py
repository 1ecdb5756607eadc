"""Benchmark: in-process handling time of /latest, an archive page and /search.

Fills a fresh SQLite file with 100,000 subscribed chats and five years of weekly issues
(260 issues x 5 commentaries x 3 languages), then feeds real updates through the
application with a request layer that answers from memory, so the figures are the bot's
own work (handlers, queries, rendering), not network time.

    python -m bench.reader_queries [--chats N] [--weeks N] [--rounds N] [--engine postgresql]

With `--engine postgresql` the same runs on a fresh database of a throwaway PostgreSQL
server started from the installed binaries (or on the server TEST_DATABASE_URL names).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from telegram import Update

from bot.app import build_application, serving
from bot.config import Settings
from bot.newsletter.content import LANGUAGES, CommentaryDraft, CommentaryText, IssueDraft
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from standin.in_memory import RecordingRequest, Updates
from tests.postgres_server import PostgresServer

TOPICS = ("belarus-russia", "economy", "domestic-politics", "belarus-eu", "society")
WORDS = [
    "energy",
    "tariffs",
    "budget",
    "sanctions",
    "border",
    "trade",
    "union",
    "election",
    "court",
    "reform",
    "labour",
    "migration",
    "pension",
    "inflation",
    "export",
    "potash",
    "refinery",
    "loan",
    "rouble",
    "ministry",
    "parliament",
    "opposition",
    "negotiations",
    "summit",
    "railway",
    "harvest",
    "factory",
    "wages",
    "prices",
    "region",
    "embassy",
    "visa",
    "transit",
    "customs",
    "dialogue",
    "security",
    "treaty",
    "agreement",
    "investment",
    "growth",
    "decline",
]


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _drafts(weeks: int, rng: random.Random) -> list[IssueDraft]:
    first = date(2026, 9, 7) - timedelta(weeks=weeks - 1)
    drafts = []
    for week in range(weeks):
        start = first + timedelta(weeks=week)
        for language in LANGUAGES:
            items = []
            for position in range(5):
                body = "\n\n".join(_paragraph(rng, 120) for _ in range(6))
                items.append(
                    CommentaryDraft(
                        key=f"w{week}-c{position}",
                        topic_key=TOPICS[(week + position) % len(TOPICS)],
                        topic_name=TOPICS[(week + position) % len(TOPICS)].title(),
                        position=position,
                        text=CommentaryText(
                            language=language,
                            title=_paragraph(rng, 6),
                            kicker=_paragraph(rng, 5),
                            author="Bench Author",
                            lead=_paragraph(rng, 40),
                            body=body,
                        ),
                    )
                )
            drafts.append(
                IssueDraft(
                    source=f"bench-{start}.{language}",
                    language=language,
                    week_start=start,
                    week_end=start + timedelta(days=6),
                    commentaries=tuple(items),
                )
            )
    return drafts


async def _fill(store: Store, *, chats: int, weeks: int) -> None:
    rng = random.Random(7)
    await store.archive.save_issues(_drafts(weeks, rng), publish=True)
    async with store.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (chat_id, kind, title, language, status, created_at, updated_at)"
            " VALUES (?, 'private', NULL, ?, 'active', '2026-01-01', '2026-01-01')",
            ((chat_id, LANGUAGES[chat_id % 3]) for chat_id in range(1, chats + 1)),
        )


async def _measure(
    label: str,
    rounds: int,
    make: Callable[[int], Update],
    process: Callable[[Update], Awaitable[None]],
) -> float:
    samples = []
    for n in range(rounds):
        update = make(n)
        started = time.perf_counter()
        await process(update)
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{label:<10} median {median:6.2f} ms   p95 {p95:6.2f} ms   ({rounds} updates)")
    return median


async def main() -> None:
    """Fill the store, then time each reader query."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    server = PostgresServer.from_environment() if args.engine == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            postgres_url = None if server is None else await server.create_database()
            await _run(args, Path(tmp) / "bench.sqlite3", postgres_url)
    finally:
        if server is not None:
            server.stop()


async def _run(args: argparse.Namespace, path: Path, postgres_url: str | None) -> None:
    settings = Settings(
        token="7000:BENCHTOKENBENCHTOKENBENCH",
        api_url="http://127.0.0.1:9",
        database_path=path,
        postgres_url=postgres_url,
    )
    request = RecordingRequest()
    # Without the flood-limit throttle: it would time Telegram's 30 msg/s, not the bot.
    built = build_application(settings, Catalogs.load(), request=request, rate_limited=False)
    async with serving(built) as application:
        started = time.perf_counter()
        await _fill(application.bot_data.store, chats=args.chats, weeks=args.weeks)
        print(
            f"filled {args.chats:,} chats and {args.weeks} issues x 5 commentaries x 3 "
            f"languages in {time.perf_counter() - started:.1f} s"
        )
        updates = Updates(application.bot)
        rng = random.Random(11)

        async def process(update: Update) -> None:
            await application.process_update(update)
            request.clear()

        def chat(_: int) -> int:
            return rng.randint(1, args.chats)

        await _measure(
            "/latest", args.rounds, lambda n: updates.message(chat(n), "/latest"), process
        )
        await _measure(
            "/archive",
            args.rounds,
            lambda n: updates.press(chat(n), f"ar:{rng.choice(TOPICS)}:{rng.randint(0, 40)}"),
            process,
        )
        await _measure(
            "/search",
            args.rounds,
            lambda n: updates.message(
                chat(n), f"/search {rng.choice(WORDS)} {rng.choice(WORDS)[:4]}"
            ),
            process,
        )


if __name__ == "__main__":
    asyncio.run(main())
