"""Searches readers ran, kept so that their result pages keep working after a restart.

A stored search belongs to the chat that ran it and has a random id, so no chat can page
through another's by guessing numbers; searches older than a week are forgotten.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.errors import ConstraintError, StorageError
from bot.newsletter.content import MAX_SEARCH_ID
from bot.storage.database import Database, utcnow

_SEARCH_ID_ATTEMPTS: Final = 5


class SavedSearches:
    """Remember, recall and forget the chats' searches."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, chat_id: int, query: str, language: str) -> int:
        """Store a chat's search under a random id, so its pages outlive a restart."""
        for _ in range(_SEARCH_ID_ATTEMPTS):
            search_id = secrets.randbelow(MAX_SEARCH_ID) + 1
            try:
                async with self._db.transaction() as conn:
                    await conn.execute(
                        "INSERT INTO search_queries (id, chat_id, query, language, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (search_id, chat_id, query, language, utcnow()),
                    )
            except ConstraintError:
                continue  # the id is taken: draw another
            return search_id
        raise StorageError(f"no free search id after {_SEARCH_ID_ATTEMPTS} attempts")

    async def forget(self, *, older_than: timedelta) -> int:
        """Delete stored searches older than the given age; return how many went."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="seconds")
        async with self._db.transaction() as conn:
            return await conn.execute("DELETE FROM search_queries WHERE created_at < ?", (cutoff,))

    async def recall(self, search_id: int, chat_id: int) -> tuple[str, str] | None:
        """Return the query and language of a chat's stored search, or None."""
        row = await self._db.fetchone(
            "SELECT query, language FROM search_queries WHERE id = ? AND chat_id = ?",
            (search_id, chat_id),
        )
        return None if row is None else (row["query"], row["language"])
