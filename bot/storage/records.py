"""Plain values the store returns; none of them knows about Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class ChatStatus(StrEnum):
    """Where a chat stands with its subscription."""

    NONE = "none"
    """Known to the bot (it talked to it) but never subscribed."""
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"
    """The bot was blocked, kicked or removed; preferences are kept."""


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot knows, with its language and subscription preferences."""

    chat_id: int
    kind: str
    title: str | None
    language: str
    status: ChatStatus
    topics: frozenset[str] | None
    """The topics the chat follows; None means all topics."""

    @property
    def subscribed(self) -> bool:
        """Return whether deliveries go to this chat."""
        return self.status is ChatStatus.ACTIVE


class SubscribeOutcome(StrEnum):
    """What `subscribe` did."""

    CREATED = "created"
    RESUMED = "resumed"
    ALREADY = "already"


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic with its name in one language and how many published commentaries it has."""

    key: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class IssueInfo:
    """A weekly issue."""

    id: int
    week_start: date
    week_end: date
    published: bool


@dataclass(frozen=True, slots=True)
class CommentaryView:
    """A commentary in the best available language for a reader."""

    id: int
    key: str
    issue: IssueInfo
    topic_key: str
    topic_name: str
    language: str
    """The language of the text shown; differs from `requested_language` on fallback."""
    requested_language: str
    title: str
    kicker: str
    author: str
    lead: str
    body: str
    link: str | None

    @property
    def is_fallback(self) -> bool:
        """Return whether the text is not in the language the reader asked for."""
        return self.language != self.requested_language


@dataclass(frozen=True, slots=True)
class IssueView:
    """An issue with its commentaries in the best available language for a reader."""

    issue: IssueInfo
    commentaries: tuple[CommentaryView, ...]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: tuple[T, ...]
    page: int
    """Zero-based page number."""
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        """Return whether a page comes before this one."""
        return self.page > 0

    @property
    def has_next(self) -> bool:
        """Return whether a page comes after this one."""
        return self.page + 1 < self.pages
