"""Storage on one SQLite file or a PostgreSQL database: plain dataclasses in and out, no
Telegram types.

Its errors derive from `StorageError`, in the tree of `bot.errors`.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from bot.errors import ConstraintError, DuplicateKeyError, SchemaTooNewError, StorageError
from bot.storage.archive import Archive
from bot.storage.auto_sends import AutoSends
from bot.storage.broadcasts import AlreadyDeliveredError, Broadcasts
from bot.storage.database import Database
from bot.storage.intake import Intake
from bot.storage.records import (
    AutoPhase,
    AutoSend,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Chat,
    ChatStatus,
    CommentaryView,
    DeliveryResult,
    DeliveryStatus,
    IssueInfo,
    IssueView,
    OutboxItem,
    Page,
    RenderedMessage,
    SubscribeOutcome,
    Topic,
)
from bot.storage.searches import SavedSearches
from bot.storage.subscriptions import Subscriptions

__all__ = [
    "AlreadyDeliveredError",
    "Archive",
    "AutoPhase",
    "AutoSend",
    "AutoSends",
    "Broadcast",
    "BroadcastKind",
    "BroadcastStatus",
    "Broadcasts",
    "Chat",
    "ChatStatus",
    "CommentaryView",
    "ConstraintError",
    "Database",
    "DeliveryResult",
    "DeliveryStatus",
    "DuplicateKeyError",
    "Intake",
    "IssueInfo",
    "IssueView",
    "OutboxItem",
    "Page",
    "RenderedMessage",
    "SavedSearches",
    "SchemaTooNewError",
    "StorageError",
    "Store",
    "SubscribeOutcome",
    "Subscriptions",
    "Topic",
]


class Store:
    """The bot's storage: one database and the repositories over it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.archive = Archive(db)
        self.subscriptions = Subscriptions(db)
        self.broadcasts = Broadcasts(db)
        self.searches = SavedSearches(db)
        self.intake = Intake(db)
        self.auto_sends = AutoSends(db)

    @classmethod
    async def open(cls, target: Path | str, *, pool_size: int = 10) -> Self:
        """Open a SQLite file (a path) or a PostgreSQL database (a URL), applying migrations."""
        return cls(await Database.open(target, pool_size=pool_size))

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
