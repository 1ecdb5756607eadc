"""`python -m bot feeds check`: poll every configured feed once and say what a poll would
store, changing nothing (no validators, no posts, no notices)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.feeds.intake import FeedIntake, FeedOutcome, FeedReport
from bot.feeds.topics import load_topic_map
from bot.storage import Store


def describe(report: FeedReport) -> list[str]:
    """Return the lines that tell an operator what one feed would bring."""
    head = f"{report.language}: {report.url}"
    if report.outcome is FeedOutcome.FAILED:
        return [f"{head}\n  failing: {report.error}"]
    lines = [head]
    if report.ill_formed:
        lines.append(f"  ill-formed but readable: {report.ill_formed}")
    for label, titles in (
        ("new", report.new),
        ("changed", report.changed),
        ("unmatched in the feed (their pages are read on intake)", report.unmatched),
        ("older than intake, kept as archive", report.archived),
    ):
        lines.append(f"  {label}: {len(titles)}")
        lines.extend(f"    - {title}" for title in titles)
    return lines


async def check_feeds(settings: Settings, out: Callable[[str], None] = print) -> int:
    """Print what each feed would bring; return 1 if any feed fails, 2 if none is set."""
    if not settings.feeds.enabled:
        out("No feed is configured: set FEED_URL_BE, FEED_URL_RU or FEED_URL_EN.")
        return 2
    async with await Store.open(settings.database, pool_size=settings.database_pool_size) as store:
        intake = FeedIntake(
            store,
            load_topic_map(settings.feeds.topics_file),
            settings.feeds.urls,
            interval=settings.feeds.interval,
            timezone=settings.timezone,
            since=settings.feeds.since,
        )
        try:
            reports = await intake.check()
        finally:
            await intake.close()
    for report in reports:
        for line in describe(report):
            out(line)
    return 1 if any(report.outcome is FeedOutcome.FAILED for report in reports) else 0
