"""Plain values the store returns; none of them knows about Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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


class BroadcastStatus(StrEnum):
    """Where a broadcast stands."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class BroadcastKind(StrEnum):
    """A new issue, or edits of messages an issue already delivered."""

    ISSUE = "issue"
    CORRECTION = "correction"


class DeliveryStatus(StrEnum):
    """The state of one outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    """Handed to Telegram; still 'sending' after a crash means it may or may not have arrived."""
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Broadcast:
    """An issue's delivery to the subscribers, planned, running or finished."""

    id: int
    issue: IssueInfo
    kind: BroadcastKind
    status: BroadcastStatus
    editor_id: int
    editor_chat_id: int
    editor_language: str | None
    """The language the editor who planned it reads; reports use it."""
    progress_message_id: int | None
    scheduled_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message of a broadcast in one language, as readers will get it."""

    language: str
    commentary_id: int
    topic_key: str
    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message for one chat, with what the sender needs to decide about it."""

    id: int
    chat_id: int
    language: str
    seq: int
    text: str
    target_id: int | None
    """For corrections: the Telegram message to edit."""
    attempts: int
    was_sending: bool
    """It was handed to Telegram before a crash: it may have arrived already."""
    chat_kind: str | None
    chat_status: str | None
    chat_language: str | None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one outbox row."""

    id: int
    status: DeliveryStatus
    attempts: int
    message_id: int | None = None
    error: str | None = None
