"""Plain values the store returns; none of them knows about Telegram.

What readers read (issues, commentaries, topics, pages) is the newsletter's model, in
`bot.newsletter.content`; the records of subscriptions and broadcasts are the store's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.newsletter.content import CommentaryView, IssueInfo, IssueView, Page, Topic

__all__ = ["CommentaryView", "IssueInfo", "IssueView", "Page", "Topic"]


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


class AutoPhase(StrEnum):
    """Which automatic delivery of a commentary to one language's readers."""

    FIRST = "first"
    """Their own version, or the fallback when it did not come in time."""
    LATE = "late"
    """Their own version, arriving after they got the fallback: sent with a note."""


@dataclass(frozen=True, slots=True)
class AutoSend:
    """One automatic delivery of a commentary to the readers of one language."""

    commentary_id: int
    language: str
    phase: AutoPhase
    broadcast_id: int
    fallback: bool
    """Whether it went out (or is going out) in another language than the readers'."""
    status: BroadcastStatus
    scheduled_at: datetime | None


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
