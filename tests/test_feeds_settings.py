"""FEED_* settings, the topics file and `python -m bot feeds check`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.feeds.check import check_feeds
from bot.feeds.settings import FeedMode, FeedSettings, parse_duration
from bot.feeds.topics import load_topic_map
from bot.storage import Store
from standin.feed_posts import commentary_posts
from standin.feed_site import FeedSite, Mode


def test_feeds_are_off_by_default_and_read_when_set() -> None:
    assert not load_settings({}).feeds.enabled
    feeds = load_settings(
        {
            "TIMEZONE": "Europe/Minsk",
            "FEED_URL_BE": "https://site.example/be/feed/",
            "FEED_URL_EN": "https://site.example/en/feed/atom/",
            "FEED_INTERVAL": "90s",
            "FEED_MODE": "auto",
            "AUTO_SEND_DELAY": "2h",
            "FALLBACK_AFTER": "1d",
            "FEED_SINCE": "2026-10-05",
        }
    ).feeds
    assert dict(feeds.urls) == {
        "be": "https://site.example/be/feed/",
        "en": "https://site.example/en/feed/atom/",
    }
    assert feeds.interval == timedelta(seconds=90)
    assert feeds.mode is FeedMode.AUTO
    assert feeds.auto_send_delay == timedelta(hours=2)
    assert feeds.fallback_after == timedelta(days=1)
    assert feeds.since == datetime(2026, 10, 4, 21, 0, tzinfo=UTC), "midnight in Minsk"


def test_bad_feed_settings_are_reported_together(tmp_path: Path) -> None:
    broken = tmp_path / "topics.toml"
    broken.write_text('default_topic = "none"\n[topics.Bad]\nnames = { be = "x" }\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "FEED_URL_RU": "ftp://site.example/feed",
                "FEED_URL_EN": "https://site.example/en/feed/",
                "FEED_INTERVAL": "soon",
                "FEED_MODE": "sometimes",
                "FEED_SINCE": "yesterday",
                "FEED_TOPICS": str(broken),
            }
        )
    text = "\n".join(caught.value.problems)
    for name in (
        "FEED_URL_RU",
        "FEED_INTERVAL",
        "FEED_MODE",
        "FEED_SINCE",
        "topic key 'Bad'",
        "default_topic",
    ):
        assert name in text, name


@pytest.mark.parametrize(
    ("text", "seconds"), [("15", 900), ("15m", 900), ("90s", 90), ("2h", 7200), ("1d", 86400)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_the_shipped_topics_file_maps_categories_in_every_language() -> None:
    topics = load_topic_map()
    for category in ("Economy", "эканоміка", "ЭКОНОМИКА"):
        assert topics.choose([category]).key == "economy"
    choice = topics.choose(["Weather"])
    assert choice.key == "other" and choice.unmapped == ("Weather",)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as running:
        yield running


async def test_feeds_check_prints_what_a_poll_would_store_and_changes_nothing(
    site: FeedSite, database: Path
) -> None:
    for post in commentary_posts(0, 100, datetime.now(UTC) - timedelta(hours=1)):
        site.add(post)
    site.modes["ru"] = Mode.BROKEN
    settings = Settings(
        token=None,
        database_path=database,
        feeds=FeedSettings(
            urls={language: site.feed_url(language) for language in ("be", "ru", "en")},
            since=datetime.now(UTC) - timedelta(days=1),
        ),
    )
    lines: list[str] = []
    assert await check_feeds(settings, lines.append) == 1, "a failing feed makes it fail"
    text = "\n".join(lines)
    assert "  new: 1\n    - Транзіт па чыгунцы: новыя маршруты на ўсход" in text
    assert "failing:" in text and "yields no entries" in text
    async with await Store.open(database) as store:
        for table in ("feed_state", "feed_entries", "commentaries"):
            assert await store.db.scalar(f"SELECT count(*) FROM {table}") == 0, table
