"""Chats, their language and their subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.storage.database import Connection, Database, utcnow
from bot.storage.records import Chat, ChatStatus, SubscribeOutcome


class Subscriptions:
    """Read and change what each chat receives."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: list[Callable[[int], None]] = []

    def on_change(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call `listener(chat_id)` after a chat's language or subscription changes.

        Return a function that removes the listener. A running broadcast listens, so that
        a reader who changes language or leaves is checked again just before each send.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self, chat_id: int) -> None:
        for listener in list(self._listeners):
            listener(chat_id)

    async def get(self, chat_id: int) -> Chat | None:
        """Return a chat the bot knows, or None."""
        row = await self._db.fetchone("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        if row is None:
            return None
        topics: frozenset[str] | None = None
        if not row["all_topics"]:
            topics = frozenset(
                r[0]
                for r in await self._db.fetchall(
                    "SELECT topic_key FROM chat_topics WHERE chat_id = ?", (chat_id,)
                )
            )
        return Chat(
            chat_id=row["chat_id"],
            kind=row["kind"],
            title=row["title"],
            language=row["language"],
            status=ChatStatus(row["status"]),
            topics=topics,
        )

    async def language(self, chat_id: int) -> str | None:
        """Return the language chosen for a chat, or None if the bot does not know it."""
        value: str | None = await self._db.scalar(
            "SELECT language FROM chats WHERE chat_id = ?", (chat_id,)
        )
        return value

    async def remember(self, chat_id: int, *, kind: str, title: str | None, language: str) -> None:
        """Record a chat the bot talks to, keeping what it already knows about it."""
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.execute(
                """INSERT INTO chats (chat_id, kind, title, language, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET kind = excluded.kind,
                       title = excluded.title, updated_at = excluded.updated_at""",
                (chat_id, kind, title, language, now, now),
            )

    async def subscribe(
        self, chat_id: int, *, kind: str, title: str | None, language: str
    ) -> SubscribeOutcome:
        """Subscribe a chat in a language; an earlier subscription is resumed as it was."""
        now = utcnow()
        async with self._db.transaction() as conn:
            row = await conn.fetchone("SELECT status FROM chats WHERE chat_id = ?", (chat_id,))
            if row is not None and row["status"] == ChatStatus.ACTIVE:
                return SubscribeOutcome.ALREADY
            resumed = row is not None and row["status"] != ChatStatus.NONE
            await conn.execute(
                """INSERT INTO chats
                       (chat_id, kind, title, language, status, created_at, updated_at)
                   VALUES (?, ?, ?, ?, 'active', ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET kind = excluded.kind,
                       title = excluded.title, language = excluded.language,
                       status = 'active', updated_at = excluded.updated_at""",
                (chat_id, kind, title, language, now, now),
            )
            await _event(conn, chat_id, "subscribed", language, now)
        return SubscribeOutcome.RESUMED if resumed else SubscribeOutcome.CREATED

    async def set_language(self, chat_id: int, language: str) -> None:
        """Change the language of a chat the bot knows."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE chats SET language = ?, updated_at = ? WHERE chat_id = ?",
                (language, utcnow(), chat_id),
            )
        self._changed(chat_id)

    async def set_topics(self, chat_id: int, topics: Iterable[str] | None) -> None:
        """Restrict a chat to some topics, or follow all of them with None."""
        chosen = None if topics is None else sorted(set(topics))
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM chat_topics WHERE chat_id = ?", (chat_id,))
            await conn.execute(
                "UPDATE chats SET all_topics = ?, updated_at = ? WHERE chat_id = ?",
                (int(chosen is None), utcnow(), chat_id),
            )
            if chosen is not None:
                await conn.executemany(
                    "INSERT INTO chat_topics (chat_id, topic_key) VALUES (?, ?)",
                    [(chat_id, key) for key in chosen],
                )
        self._changed(chat_id)

    async def unsubscribe(self, chat_id: int) -> bool:
        """Stop deliveries to a chat, keeping its preferences; return False if it had none."""
        return await self._leave(chat_id, ChatStatus.UNSUBSCRIBED, "unsubscribed")

    async def deactivate(self, chat_id: int, reason: str) -> bool:
        """Stop deliveries to a chat that blocked or removed the bot, keeping its preferences."""
        return await self._leave(chat_id, ChatStatus.BLOCKED, reason)

    async def _leave(self, chat_id: int, status: ChatStatus, event: str) -> bool:
        now = utcnow()
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE chats SET status = ?, updated_at = ? "
                "WHERE chat_id = ? AND status = 'active'",
                (status.value, now, chat_id),
            )
            if changed:
                await _event(conn, chat_id, event, None, now)
        if changed:
            self._changed(chat_id)
        return changed > 0

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Move a group's chat record to its new supergroup id; return whether one moved."""
        async with self._db.transaction() as conn:
            target = await conn.fetchone(
                "SELECT status FROM chats WHERE chat_id = ?", (new_chat_id,)
            )
            if target is not None and target["status"] != ChatStatus.NONE:
                # The supergroup has a subscription of its own already: it wins.
                await conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_chat_id,))
                return False
            if target is not None:
                await conn.execute("DELETE FROM chats WHERE chat_id = ?", (new_chat_id,))
            moved = await conn.execute(
                "UPDATE chats SET chat_id = ?, kind = 'supergroup', updated_at = ? "
                "WHERE chat_id = ?",
                (new_chat_id, utcnow(), old_chat_id),
            )
            # What a running broadcast still has to send follows the group to its new id.
            await conn.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ? "
                "AND status IN ('pending', 'sending')",
                (new_chat_id, old_chat_id),
            )
            if moved:
                await _event(conn, new_chat_id, f"migrated from {old_chat_id}", None, utcnow())
            return moved > 0

    async def channels(self) -> list[Chat]:
        """Return the subscribed channels."""
        rows = await self._db.fetchall(
            "SELECT chat_id FROM chats WHERE kind = 'channel' AND status = 'active' ORDER BY title"
        )
        chats = [await self.get(row[0]) for row in rows]
        return [chat for chat in chats if chat is not None]

    async def active_by_kind(self) -> dict[tuple[str, str], int]:
        """Return the number of subscribed chats per (language, chat kind)."""
        rows = await self._db.fetchall(
            "SELECT language, kind, count(*) FROM chats WHERE status = 'active' "
            "GROUP BY language, kind"
        )
        return {(row[0], row[1]): row[2] for row in rows}

    async def weekly_changes(self, weeks: int) -> list[tuple[str, int, int]]:
        """Return (week's Monday, joins, leaves) for the last weeks, oldest first."""
        since = (datetime.now(UTC).date() - timedelta(days=7 * weeks)).isoformat()
        monday = self._db.dialect.week_monday("at")
        rows = await self._db.fetchall(
            f"""SELECT {monday} AS monday,
                      CAST(sum(CASE WHEN event = 'subscribed' THEN 1 ELSE 0 END) AS INTEGER),
                      CAST(sum(CASE WHEN event IN ('unsubscribed', 'blocked', 'removed')
                                    THEN 1 ELSE 0 END) AS INTEGER)
                 FROM subscription_events
                WHERE at >= ?
                GROUP BY monday ORDER BY monday""",
            (since,),
        )
        return [(row[0], row[1] or 0, row[2] or 0) for row in rows]

    async def weekly_changes_by_language(self, weeks: int) -> list[tuple[str, str, int, int]]:
        """Return (week's Monday, language, joins, leaves) for the last weeks, oldest first.

        A leave is counted in the chat's language as stored now (leave events name none).
        """
        since = (datetime.now(UTC).date() - timedelta(days=7 * weeks)).isoformat()
        monday = self._db.dialect.week_monday("e.at")
        rows = await self._db.fetchall(
            f"""SELECT {monday} AS monday,
                      coalesce(e.language, c.language) AS lang,
                      CAST(sum(CASE WHEN e.event = 'subscribed' THEN 1 ELSE 0 END) AS INTEGER),
                      CAST(sum(CASE WHEN e.event IN ('unsubscribed', 'blocked', 'removed')
                                    THEN 1 ELSE 0 END) AS INTEGER)
                 FROM subscription_events AS e LEFT JOIN chats AS c ON c.chat_id = e.chat_id
                WHERE e.at >= ?
                GROUP BY monday, lang ORDER BY monday, lang""",
            (since,),
        )
        return [(row[0], row[1], row[2] or 0, row[3] or 0) for row in rows if row[1]]

    async def count_active(self) -> dict[str, int]:
        """Return the number of subscribed chats per language."""
        rows = await self._db.fetchall(
            "SELECT language, count(*) FROM chats WHERE status = 'active' GROUP BY language"
        )
        return {row[0]: row[1] for row in rows}


async def _event(
    conn: Connection, chat_id: int, event: str, language: str | None, at: str
) -> None:
    await conn.execute(
        "INSERT INTO subscription_events (chat_id, event, language, at) VALUES (?, ?, ?, ?)",
        (chat_id, event, language, at),
    )
