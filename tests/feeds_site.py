"""Helpers for intake tests: the website stand-in, a clock the test moves, a listener that
records what editors would be told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.feeds.intake import FeedIntake
from bot.feeds.topics import load_topic_map
from bot.storage import Store
from bot.storage.intake import Announcement, FeedState
from standin.feed_posts import commentary_posts
from standin.feed_site import FeedSite, Post

START: Final = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
"""A Wednesday: the week of October 5–11, 2026 in Minsk."""
MINSK: Final = ZoneInfo("Europe/Minsk")
INTERVAL: Final = timedelta(minutes=15)


@dataclass
class Clock:
    """Time as the test decides it."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Listener:
    """Record what the editors would be told."""

    batches: list[list[Announcement]] = field(default_factory=list)
    failing_feeds: list[FeedState] = field(default_factory=list)
    recovered_feeds: list[FeedState] = field(default_factory=list)
    unmapped_categories: list[str] = field(default_factory=list)
    migrations: list[tuple[str, int]] = field(default_factory=list)

    async def announce(self, items: Sequence[Announcement]) -> None:
        self.batches.append(list(items))

    async def failing(self, state: FeedState) -> None:
        self.failing_feeds.append(state)

    async def recovered(self, state: FeedState) -> None:
        self.recovered_feeds.append(state)

    async def unmapped(self, language: str, category: str, title: str) -> None:
        self.unmapped_categories.append(category)

    async def migration(self, language: str, count: int) -> None:
        self.migrations.append((language, count))


def make_intake(
    store: Store,
    site: FeedSite,
    clock: Clock,
    listener: Listener | None = None,
    *,
    languages: Sequence[str] = ("be", "ru", "en"),
    total_timeout: float | None = None,
    since: datetime | None = None,
) -> FeedIntake:
    """Read the site's feeds; `since` is FEED_SINCE (else intake starts at the first poll)."""
    return FeedIntake(
        store,
        load_topic_map(),
        {language: site.feed_url(language) for language in languages},
        interval=INTERVAL,
        timezone=MINSK,
        listener=listener,
        clock=clock,
        since=since,
        total_timeout=total_timeout,
    )


def publish(site: FeedSite, index: int, first_pid: int, when: datetime) -> list[Post]:
    """Put one sample commentary on the site in three languages."""
    posts = commentary_posts(index, first_pid, when)
    for post in posts:
        site.add(post)
    return posts
