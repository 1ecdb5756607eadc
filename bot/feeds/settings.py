"""Intake settings from the environment (FEED_*), checked with the other settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.errors import ConfigError
from bot.feeds.topics import DEFAULT_TOPICS_FILE, load_topic_map
from bot.newsletter.content import LANGUAGES

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS: Final = {"s": 1, "": 60, "m": 60, "h": 3600, "d": 86400}
"""A bare number is minutes."""


class FeedMode(StrEnum):
    """What becomes of new material: drafts for the editors, or pushed after a delay."""

    DRAFT = "draft"
    AUTO = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    """Which feeds to read, how often, and what to do with what they bring."""

    urls: Mapping[str, str] = field(default_factory=dict)
    """Feed address by language; a language without one has no feed."""
    interval: timedelta = timedelta(minutes=15)
    mode: FeedMode = FeedMode.DRAFT
    auto_send_delay: timedelta = timedelta(minutes=30)
    fallback_after: timedelta = timedelta(hours=24)
    """In auto mode, how long readers of a language a commentary lacks wait for their version
    before they get the fallback."""
    since: datetime | None = None
    topics_file: Path = DEFAULT_TOPICS_FILE

    @property
    def enabled(self) -> bool:
        """Return whether any feed is configured."""
        return bool(self.urls)


def parse_duration(text: str) -> timedelta:
    """Parse '15', '15m', '90s', '2h' or '1d' (a bare number is minutes)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or float(match[1]) <= 0:
        raise ValueError(text)
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


def _duration(
    env: Mapping[str, str], name: str, default: timedelta, problems: list[str]
) -> timedelta:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_duration(raw)
    except ValueError:
        problems.append(f"{name} must be a duration such as 15m, 90s or 2h (got {raw!r})")
        return default


def load_feed_settings(
    env: Mapping[str, str], timezone: ZoneInfo, problems: list[str]
) -> FeedSettings:
    """Read the FEED_* settings, adding a line to `problems` for each invalid one."""
    urls: dict[str, str] = {}
    for language in LANGUAGES:
        name = f"FEED_URL_{language.upper()}"
        url = env.get(name, "").strip()
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{name} must be an http(s) address of a feed (got {url!r})")
            continue
        urls[language] = url
    raw_mode = env.get("FEED_MODE", "").strip().lower() or FeedMode.DRAFT.value
    mode = FeedMode.DRAFT
    if raw_mode in {m.value for m in FeedMode}:
        mode = FeedMode(raw_mode)
    else:
        problems.append(f"FEED_MODE must be draft or auto (got {raw_mode!r})")
    since = None
    raw_since = env.get("FEED_SINCE", "").strip()
    if raw_since:
        try:
            since = datetime.fromisoformat(raw_since)
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone)
            since = since.astimezone(UTC)
        except ValueError:
            problems.append(
                f"FEED_SINCE must be a date or time such as 2026-10-05 or 2026-10-05T09:00 "
                f"(got {raw_since!r})"
            )
    topics_file = DEFAULT_TOPICS_FILE
    raw_topics = env.get("FEED_TOPICS", "").strip()
    if raw_topics:
        topics_file = Path(raw_topics)
        if not topics_file.is_file():
            problems.append(f"FEED_TOPICS names no file: {raw_topics!r}")
    if urls and topics_file.is_file():
        try:
            load_topic_map(topics_file)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return FeedSettings(
        urls=urls,
        interval=_duration(env, "FEED_INTERVAL", timedelta(minutes=15), problems),
        mode=mode,
        auto_send_delay=_duration(env, "AUTO_SEND_DELAY", timedelta(minutes=30), problems),
        fallback_after=_duration(env, "FALLBACK_AFTER", timedelta(hours=24), problems),
        since=since,
        topics_file=topics_file,
    )
