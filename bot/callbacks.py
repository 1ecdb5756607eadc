"""Inline-button payloads: compact, at most 64 bytes, and meaningful after a restart.

Every payload is `<kind>:<fields>` and names only durable things (a language, a topic key,
a commentary id, a stored search id, a page number), so a button keeps working when the
bot restarts. `parse` returns None for anything it does not recognise; handlers treat that,
and payloads naming things that no longer exist, as an expired list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from telegram.constants import InlineKeyboardButtonLimit

from bot.content import KEY_PATTERN, LANGUAGES

MAX_BYTES: Final = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_PAGE: Final = 100_000


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe the chat in a language."""

    language: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """Change the chat's language."""

    language: str


@dataclass(frozen=True, slots=True)
class ToggleTopic:
    """Add a topic to, or remove it from, the chat's subscription; None means all topics."""

    topic_key: str | None


@dataclass(frozen=True, slots=True)
class TopicsDone:
    """Close the topic picker."""


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """Show a page of a topic's archive."""

    topic_key: str
    page: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Show a page of a stored search."""

    search_id: int
    page: int


@dataclass(frozen=True, slots=True)
class Read:
    """Send a whole commentary."""

    commentary_id: int


Action = Subscribe | SetLanguage | ToggleTopic | TopicsDone | ArchivePage | SearchPage | Read


def encode(action: Action) -> str:
    """Return the payload of an action; raise ValueError if it would exceed 64 bytes."""
    match action:
        case Subscribe(language):
            data = f"sub:{language}"
        case SetLanguage(language):
            data = f"lang:{language}"
        case ToggleTopic(topic_key):
            data = f"tt:{topic_key or '*'}"
        case TopicsDone():
            data = "td:"
        case ArchivePage(topic_key, page):
            data = f"ar:{topic_key}:{page}"
        case SearchPage(search_id, page):
            data = f"sr:{search_id}:{page}"
        case Read(commentary_id):
            data = f"rd:{commentary_id}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def _number(text: str, limit: int) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= limit else None


def parse(data: str | None) -> Action | None:  # noqa: PLR0911 - one return per payload kind
    """Return the action a payload stands for, or None if it is malformed."""
    if not data or len(data.encode()) > MAX_BYTES or ":" not in data:
        return None
    kind, _, rest = data.partition(":")
    fields = rest.split(":")
    if kind in ("sub", "lang") and len(fields) == 1 and fields[0] in LANGUAGES:
        return Subscribe(fields[0]) if kind == "sub" else SetLanguage(fields[0])
    if kind == "tt" and len(fields) == 1:
        if fields[0] == "*":
            return ToggleTopic(None)
        return ToggleTopic(fields[0]) if KEY_PATTERN.match(fields[0]) else None
    if kind == "td" and rest == "":
        return TopicsDone()
    if kind == "ar" and len(fields) == 2 and KEY_PATTERN.match(fields[0]):
        page = _number(fields[1], MAX_PAGE)
        return None if page is None else ArchivePage(fields[0], page)
    if kind == "sr" and len(fields) == 2:
        search_id, page = _number(fields[0], 2**62), _number(fields[1], MAX_PAGE)
        return None if search_id is None or page is None else SearchPage(search_id, page)
    if kind == "rd" and len(fields) == 1:
        commentary_id = _number(fields[0], 2**62)
        return None if commentary_id is None else Read(commentary_id)
    return None
