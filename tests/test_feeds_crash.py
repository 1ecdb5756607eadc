"""Crash safety of intake: `python -m bot run` killed with SIGKILL in mid-poll, then restarted.

The bot reads three feeds of 400 long posts each from the local website; it is killed
while it stores them (some posts stored, not all) and started again. After the restart
every post is stored exactly once, as one of three versions of its commentary, and no
commentary is split or doubled.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.feeds_intake import fill
from bot.demo import BOT_USERNAME, DEMO_TOKEN
from standin import BotApiStandIn
from standin.feed_site import FeedSite
from tests.bot_processes import bot_env, bot_process, read_log, stop

POSTS = 400
TOTAL = 3 * POSTS


def count(database: Path, sql: str) -> int:
    """Read a count from the bot's database while it runs (WAL lets a reader in)."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet


async def wait_until(database: Path, sql: str, low: int, timeout: float = 120) -> int:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = count(database, sql)
        if value >= low:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"{sql} stayed under {low}")


async def test_intake_survives_sigkill_without_loss_or_doubles(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    log = tmp_path / "bot.log"
    async with (
        BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin,
        FeedSite() as site,
    ):
        fill(site, POSTS, datetime(2026, 1, 5, tzinfo=UTC))
        env = bot_env(
            standin,
            database,
            FEED_SINCE="2026-01-01",
            FEED_INTERVAL="1h",
            **{f"FEED_URL_{lang.upper()}": site.feed_url(lang) for lang in ("be", "ru", "en")},
        )
        posts = "SELECT count(*) FROM feed_entries"
        async with bot_process(env, log) as process:
            stored = await wait_until(database, posts, TOTAL // 3)
            process.send_signal(signal.SIGKILL)
            await process.wait()
        stored = count(database, posts)
        assert 0 < stored < TOTAL, f"the kill came at {stored} of {TOTAL} posts"
        async with bot_process(env, log) as process:
            await wait_until(database, "SELECT count(*) FROM feed_state WHERE etag IS NOT NULL", 3)
            await stop(process, log)
    assert count(database, posts) == TOTAL, read_log(log)[-2000:]
    assert count(database, "SELECT count(*) FROM commentary_texts") == TOTAL
    assert count(database, "SELECT count(*) FROM commentaries") == POSTS
    assert (
        count(
            database,
            "SELECT count(*) FROM (SELECT commentary_id FROM commentary_texts "
            "GROUP BY commentary_id HAVING count(*) = 3)",
        )
        == POSTS
    ), "every commentary has its three versions"
    assert count(database, "SELECT count(*) FROM feed_entries WHERE commentary_id IS NULL") == 0
