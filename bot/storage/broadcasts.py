"""Broadcasts and their durable outbox: one row per (broadcast, chat, message part).

The audience is fixed in one transaction when a broadcast starts. The sender claims rows
in id order, marks them 'sending' before handing them to Telegram and records each
outcome; after a crash, rows still 'sending' are the only ones whose fate is unknown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from bot.errors import ConstraintError, StorageError
from bot.storage.database import Connection, Database, Row, utcnow
from bot.storage.publication import publish_issue
from bot.storage.records import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    DeliveryResult,
    DeliveryStatus,
    IssueInfo,
    OutboxItem,
    RenderedMessage,
)

_SELECT = """
    SELECT b.*, i.week_start, i.week_end, i.published_at IS NOT NULL AS published
      FROM broadcasts b JOIN issues i ON i.id = b.issue_id
"""

# Everyone's first message, then everyone's second: ids follow (seq, chat).
_FIX_AUDIENCE = """
    INSERT INTO outbox (broadcast_id, chat_id, language, message_ref, seq)
    SELECT m.broadcast_id, c.chat_id, c.language, m.id, m.seq
      FROM broadcast_messages m
      JOIN chats c ON c.status = 'active' AND c.language = m.language
     WHERE m.broadcast_id = ? AND m.seq = ?
       AND (c.all_topics <> 0 OR EXISTS (SELECT 1 FROM chat_topics ct
                                     WHERE ct.chat_id = c.chat_id
                                       AND ct.topic_key = m.topic_key))
     ORDER BY c.chat_id
"""


# Claim the next rows to send: mark them 'sending' and return them, in one statement. Each
# status is walked along outbox_by_status in id order and only then merged: `status IN
# ('pending', 'sending') ... ORDER BY id` would make SQLite read and sort every remaining
# row (with its text) on each call, quadratic in the outbox. RETURNING gives the rows in no
# particular order; the subqueries add the message's text and the chat's current state.
_CLAIM = """
    UPDATE outbox SET status = 'sending', updated_at = ?
     WHERE id IN (SELECT id FROM (SELECT id FROM outbox
                                   WHERE broadcast_id = ? AND status = 'pending' AND id > ?
                                   ORDER BY id LIMIT ?) AS pending
                  UNION ALL
                  SELECT id FROM (SELECT id FROM outbox
                                   WHERE broadcast_id = ? AND status = 'sending' AND id > ?
                                   ORDER BY id LIMIT ?) AS sending
                  ORDER BY id LIMIT ?)
    RETURNING id, chat_id, language, seq, target_id, attempts,
              (SELECT m.text FROM broadcast_messages m WHERE m.id = outbox.message_ref) AS text,
              (SELECT c.kind FROM chats c WHERE c.chat_id = outbox.chat_id) AS kind,
              (SELECT c.status FROM chats c WHERE c.chat_id = outbox.chat_id) AS chat_status,
              (SELECT c.language FROM chats c WHERE c.chat_id = outbox.chat_id) AS chat_language
"""


# A chat's rows in another language: its topics' messages, in order, claimed by the caller.
_RELANGUAGE = """
    INSERT INTO outbox (broadcast_id, chat_id, language, message_ref, seq, status, updated_at)
    SELECT m.broadcast_id, c.chat_id, m.language, m.id, m.seq, 'sending', CAST(? AS TEXT)
      FROM broadcast_messages m
      JOIN chats c ON c.chat_id = ?
     WHERE m.broadcast_id = ? AND m.language = ?
       AND (c.all_topics <> 0 OR EXISTS (SELECT 1 FROM chat_topics ct
                                     WHERE ct.chat_id = c.chat_id
                                       AND ct.topic_key = m.topic_key))
     ORDER BY m.seq
"""


@dataclass(frozen=True, slots=True)
class Relanguaged:
    """A chat's rows of a broadcast, replaced by the same issue in its new language."""

    replaced: frozenset[int]
    """Ids of the rows that are gone."""
    replaced_language: str
    items: list[OutboxItem]
    """The new rows, in order, already 'sending': the caller sends them now."""


class _Begun(Enum):
    STARTED = "started"
    NOT_SCHEDULED = "not scheduled"
    LOST = "lost"
    """Another broadcast holds the issue; this one was cancelled."""


async def _begin(
    conn: Connection, broadcast_id: int, messages: Sequence[RenderedMessage]
) -> _Begun:
    """Mark a scheduled broadcast as sending and store its messages.

    An issue broadcast also claims its issue (`delivers_issue` is unique): when another
    broadcast delivered or is delivering the issue, this one is cancelled instead. An
    automatic delivery of one commentary claims nothing: its key in `auto_sends` is its rule.
    """
    now = utcnow()
    try:
        async with conn.savepoint():
            started = await conn.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = ?, "
                "delivers_issue = CASE WHEN kind = 'issue' AND NOT EXISTS "
                "(SELECT 1 FROM auto_sends a WHERE a.broadcast_id = broadcasts.id) "
                "THEN issue_id END "
                "WHERE id = ? AND status = 'scheduled'",
                (now, broadcast_id),
            )
    except ConstraintError:
        await conn.execute(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ?",
            (now, broadcast_id),
        )
        return _Begun.LOST
    if not started:
        return _Begun.NOT_SCHEDULED
    await conn.executemany(
        """INSERT INTO broadcast_messages
               (broadcast_id, language, commentary_id, topic_key, seq, text)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [
            (broadcast_id, m.language, m.commentary_id, m.topic_key, m.seq, m.text)
            for m in messages
        ],
    )
    return _Begun.STARTED


class AlreadyDeliveredError(StorageError):
    """Raised when a broadcast would deliver an issue that another broadcast delivers.

    The refused broadcast is cancelled; `by` is the one that holds the issue.
    """

    def __init__(self, broadcast_id: int, by: Broadcast) -> None:
        super().__init__(
            f"broadcast {broadcast_id} not started: issue {by.issue.id} is delivered by "
            f"broadcast {by.id}"
        )
        self.broadcast_id = broadcast_id
        self.by = by


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _broadcast(row: Row) -> Broadcast:
    created = _time(row["created_at"])
    assert created is not None
    return Broadcast(
        id=row["id"],
        issue=IssueInfo(
            id=row["issue_id"],
            week_start=date.fromisoformat(row["week_start"]),
            week_end=date.fromisoformat(row["week_end"]),
            published=bool(row["published"]),
        ),
        kind=BroadcastKind(row["kind"]),
        status=BroadcastStatus(row["status"]),
        editor_id=row["editor_id"],
        editor_chat_id=row["editor_chat_id"],
        editor_language=row["editor_language"],
        progress_message_id=row["progress_message_id"],
        scheduled_at=_time(row["scheduled_at"]),
        created_at=created,
        started_at=_time(row["started_at"]),
        finished_at=_time(row["finished_at"]),
    )


class Broadcasts:
    """Plan, start, track and finish broadcasts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        issue_id: int,
        *,
        editor_id: int,
        editor_chat_id: int,
        editor_language: str | None = None,
        kind: BroadcastKind = BroadcastKind.ISSUE,
        scheduled_at: datetime | None = None,
    ) -> int:
        """Plan a broadcast of an issue; it starts with `start`."""
        async with self._db.transaction() as conn:
            broadcast_id: int = await conn.scalar(
                """INSERT INTO broadcasts (issue_id, kind, status, editor_id, editor_chat_id,
                                           editor_language, scheduled_at, created_at)
                   VALUES (?, ?, 'scheduled', ?, ?, ?, ?, ?) RETURNING id""",
                (
                    issue_id,
                    kind.value,
                    editor_id,
                    editor_chat_id,
                    editor_language,
                    None if scheduled_at is None else scheduled_at.astimezone(UTC).isoformat(),
                    utcnow(),
                ),
            )
            return broadcast_id

    async def start(
        self,
        broadcast_id: int,
        messages: Sequence[RenderedMessage],
        *,
        fallback: bool = False,
    ) -> int:
        """Store the rendered messages, publish the issue and fix the audience, atomically.

        Return the number of outbox rows. A broadcast that is not scheduled any more (it
        was cancelled, or another process started it) is left alone and 0 is returned.
        Raise `AlreadyDeliveredError` when another broadcast holds the issue: an issue is
        delivered at most once, whoever starts it and however the starts interleave.
        `fallback` is noted on an automatic delivery whose messages are in another
        language than its readers'.
        """
        async with self._db.transaction() as conn:
            begun = await _begin(conn, broadcast_id, messages)
            if begun is _Begun.STARTED:
                if fallback:
                    await conn.execute(
                        "UPDATE auto_sends SET fallback = 1 WHERE broadcast_id = ?",
                        (broadcast_id,),
                    )
                issue_id = await conn.scalar(
                    "SELECT issue_id FROM broadcasts WHERE id = ?", (broadcast_id,)
                )
                await publish_issue(conn, issue_id, utcnow())
                for seq in sorted({m.seq for m in messages}):
                    await conn.execute(_FIX_AUDIENCE, (broadcast_id, seq))
                total: int = await conn.scalar(
                    "SELECT count(*) FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
                )
        if begun is _Begun.LOST:
            holder = await self.delivery_of(broadcast_id)
            assert holder is not None
            raise AlreadyDeliveredError(broadcast_id, holder)
        if begun is _Begun.NOT_SCHEDULED:
            return 0
        return total

    async def start_correction(
        self, broadcast_id: int, source_id: int, messages: Sequence[RenderedMessage]
    ) -> int:
        """Queue edits, in place, of the messages broadcast `source_id` delivered.

        `messages` are the corrected versions of the (language, seq) messages that changed;
        every chat that received one gets an edit of that very message. Return the row count.
        """
        async with self._db.transaction() as conn:
            if await _begin(conn, broadcast_id, messages) is not _Begun.STARTED:
                return 0
            return await conn.execute(
                """INSERT INTO outbox
                       (broadcast_id, chat_id, language, message_ref, seq, target_id)
                   SELECT m.broadcast_id, o.chat_id, o.language, m.id, o.seq, o.message_id
                     FROM outbox o
                     JOIN broadcast_messages m ON m.broadcast_id = ?
                      AND m.language = o.language AND m.seq = o.seq
                    WHERE o.broadcast_id = ? AND o.status = 'sent' AND o.message_id IS NOT NULL
                    ORDER BY o.seq, o.chat_id""",
                (broadcast_id, source_id),
            )

    async def corrections(self, issue_id: int) -> list[Broadcast]:
        """Return the corrections of an issue that started, oldest first."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE b.issue_id = ? AND b.kind = 'correction' "
            "AND b.started_at IS NOT NULL ORDER BY b.id",
            (issue_id,),
        )
        return [_broadcast(row) for row in rows]

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return one broadcast."""
        row = await self._db.fetchone(f"{_SELECT} WHERE b.id = ?", (broadcast_id,))
        return None if row is None else _broadcast(row)

    async def with_status(self, status: BroadcastStatus) -> list[Broadcast]:
        """Return the broadcasts in one state, oldest first."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE b.status = ? ORDER BY coalesce(b.scheduled_at, b.created_at), b.id",
            (status.value,),
        )
        return [_broadcast(row) for row in rows]

    async def recent(self, limit: int) -> list[Broadcast]:
        """Return the latest broadcasts that started, newest first."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE b.started_at IS NOT NULL ORDER BY b.started_at DESC, b.id DESC "
            "LIMIT ?",
            (limit,),
        )
        return [_broadcast(row) for row in rows]

    async def last_delivery(self, issue_id: int) -> Broadcast | None:
        """Return the broadcast that delivers (or delivered) an issue, if one started."""
        row = await self._db.fetchone(f"{_SELECT} WHERE b.delivers_issue = ?", (issue_id,))
        return None if row is None else _broadcast(row)

    async def delivery_of(self, broadcast_id: int) -> Broadcast | None:
        """Return the broadcast that delivers the issue of a given broadcast, if any."""
        row = await self._db.fetchone(
            f"{_SELECT} WHERE b.delivers_issue = (SELECT issue_id FROM broadcasts WHERE id = ?)",
            (broadcast_id,),
        )
        return None if row is None else _broadcast(row)

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        """Remember the editor's progress message, so a restarted bot keeps editing it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE broadcasts SET progress_message_id = ? WHERE id = ?",
                (message_id, broadcast_id),
            )

    async def cancel_scheduled(self, broadcast_id: int) -> bool:
        """Cancel a broadcast that has not started; return whether it was still scheduled."""
        async with self._db.transaction() as conn:
            cancelled = await conn.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
                "WHERE id = ? AND status = 'scheduled'",
                (utcnow(), broadcast_id),
            )
            return cancelled > 0

    async def reopen(self, broadcast_id: int) -> Broadcast | None:
        """Make a stopped or halted broadcast 'sending' again; None if it is neither.

        A stopped broadcast's cancelled rows go back to 'pending': they were never handed
        to Telegram, so sending them now repeats nothing.
        """
        async with self._db.transaction() as conn:
            reopened = await conn.execute(
                "UPDATE broadcasts SET status = 'sending', finished_at = NULL "
                "WHERE id = ? AND status = 'cancelled' AND started_at IS NOT NULL",
                (broadcast_id,),
            )
            if reopened:
                await conn.execute(
                    "UPDATE outbox SET status = 'pending', updated_at = ? "
                    "WHERE broadcast_id = ? AND status = 'cancelled'",
                    (utcnow(), broadcast_id),
                )
        broadcast = await self.get(broadcast_id)
        if broadcast is None or broadcast.status is not BroadcastStatus.SENDING:
            return None
        return broadcast

    async def finish(self, broadcast_id: int, status: BroadcastStatus) -> None:
        """End a broadcast; when cancelled, what was not sent is marked cancelled."""
        async with self._db.transaction() as conn:
            if status is BroadcastStatus.CANCELLED:
                await conn.execute(
                    "UPDATE outbox SET status = 'cancelled', updated_at = ? "
                    "WHERE broadcast_id = ? AND status IN ('pending', 'sending')",
                    (utcnow(), broadcast_id),
                )
            await conn.execute(
                "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? "
                "AND status IN ('scheduled', 'sending')",
                (status.value, utcnow(), broadcast_id),
            )

    async def status(self, broadcast_id: int) -> BroadcastStatus | None:
        """Return a broadcast's current state."""
        value = await self._db.scalar(
            "SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return None if value is None else BroadcastStatus(value)

    async def left_sending(self, broadcast_id: int) -> set[int]:
        """Return the rows an earlier run left 'sending': their fate is unknown."""
        rows = await self._db.fetchall(
            "SELECT id FROM outbox WHERE broadcast_id = ? AND status = 'sending'", (broadcast_id,)
        )
        return {row[0] for row in rows}

    async def claim(
        self,
        broadcast_id: int,
        *,
        after_id: int,
        limit: int,
        recovered: AbstractSet[int] = frozenset(),
    ) -> list[OutboxItem]:
        """Mark the next rows 'sending' and return them in id order, with their chat's state.

        One statement, atomic: the rows are 'sending' before anything is handed to Telegram.
        `recovered` holds the ids `left_sending` gave; those rows are flagged `was_sending`.
        """
        rows = await self._db.write_returning(
            _CLAIM, (utcnow(), *(broadcast_id, after_id, limit) * 2, limit)
        )
        rows.sort(key=lambda row: row[0])
        return [
            OutboxItem(
                id=row["id"],
                chat_id=row["chat_id"],
                language=row["language"],
                seq=row["seq"],
                text=row["text"],
                target_id=row["target_id"],
                attempts=row["attempts"],
                was_sending=row["id"] in recovered,
                chat_kind=row["kind"],
                chat_status=row["chat_status"],
                chat_language=row["chat_language"],
            )
            for row in rows
        ]

    async def record(self, results: Sequence[DeliveryResult]) -> None:
        """Record the outcome of rows in one transaction."""
        if not results:
            return
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.executemany(
                """UPDATE outbox SET status = ?, attempts = ?, message_id = ?, error = ?,
                          updated_at = ?
                    WHERE id = ?""",
                [(r.status.value, r.attempts, r.message_id, r.error, now, r.id) for r in results],
            )

    async def relanguage_chat(
        self, broadcast_id: int, chat_id: int, language: str, *, unsent: Collection[int]
    ) -> Relanguaged | None:
        """Give a chat the broadcast in `language` instead of the language its rows hold.

        Its rows still to send are replaced, in one transaction, by the messages of
        `language` for its topics; nothing is replaced when they are in it already.
        Refused (None) when anything of this broadcast may already have reached the chat:
        a row sent, attempted, or 'sending' and not among `unsent` (the rows the caller
        marked but has not handed to Telegram). So a chat gets one language only, even
        when a crash comes between any two steps.
        """
        async with self._db.transaction() as conn:
            rows = list(
                await conn.fetchall(
                    "SELECT id, language, status, attempts FROM outbox "
                    "WHERE broadcast_id = ? AND chat_id = ?",
                    (broadcast_id, chat_id),
                )
            )
            open_rows = [row for row in rows if row[2] in ("pending", "sending")]
            if all(row[1] == language for row in open_rows):  # or nothing is left to send
                return Relanguaged(frozenset(), language, [])
            if any(
                row[2] == "sent" or row[3] > 0 or (row[2] == "sending" and row[0] not in unsent)
                for row in rows
            ):
                return None
            now = utcnow()
            await conn.execute(
                "DELETE FROM outbox WHERE broadcast_id = ? AND chat_id = ? "
                "AND status IN ('pending', 'sending')",
                (broadcast_id, chat_id),
            )
            await conn.execute(_RELANGUAGE, (now, chat_id, broadcast_id, language))
            new_rows = await conn.fetchall(
                """SELECT o.id, o.chat_id, o.language, o.seq, o.target_id, o.attempts, m.text,
                          c.kind, c.status AS chat_status, c.language AS chat_language
                     FROM outbox o
                     JOIN broadcast_messages m ON m.id = o.message_ref
                     LEFT JOIN chats c ON c.chat_id = o.chat_id
                    WHERE o.broadcast_id = ? AND o.chat_id = ? AND o.status = 'sending'
                    ORDER BY o.seq""",
                (broadcast_id, chat_id),
            )
        return Relanguaged(
            replaced=frozenset(row[0] for row in open_rows),
            replaced_language=open_rows[0][1],
            items=[
                OutboxItem(
                    id=row[0],
                    chat_id=row[1],
                    language=row[2],
                    seq=row[3],
                    text=row[6],
                    target_id=row[4],
                    attempts=row[5],
                    was_sending=False,
                    chat_kind=row[7],
                    chat_status=row[8],
                    chat_language=row[9],
                )
                for row in new_rows
            ],
        )

    async def skip_chat(self, broadcast_id: int, chat_id: int, reason: str) -> int:
        """Skip what is left for a chat in a broadcast; return how many rows."""
        async with self._db.transaction() as conn:
            return await conn.execute(
                "UPDATE outbox SET status = 'skipped', error = ?, updated_at = ? "
                "WHERE broadcast_id = ? AND chat_id = ? AND status IN ('pending', 'sending')",
                (reason, utcnow(), broadcast_id, chat_id),
            )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """Send what is left for a group to its new supergroup id."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ? "
                "AND status IN ('pending', 'sending')",
                (new_chat_id, old_chat_id),
            )

    async def counts(self, broadcast_id: int) -> Counter[tuple[str, DeliveryStatus]]:
        """Return how many rows each (language, status) has."""
        rows = await self._db.fetchall(
            "SELECT language, status, count(*) FROM outbox WHERE broadcast_id = ? "
            "GROUP BY language, status",
            (broadcast_id,),
        )
        return Counter({(row[0], DeliveryStatus(row[1])): row[2] for row in rows})

    async def failure_reasons(self, broadcast_id: int, limit: int = 5) -> list[tuple[str, int]]:
        """Return the most common reasons rows failed."""
        rows = await self._db.fetchall(
            "SELECT error, count(*) AS n FROM outbox WHERE broadcast_id = ? AND status = 'failed'"
            " GROUP BY error ORDER BY n DESC LIMIT ?",
            (broadcast_id, limit),
        )
        return [(row[0] or "", row[1]) for row in rows]

    async def messages(self, broadcast_id: int) -> list[RenderedMessage]:
        """Return the rendered messages a broadcast sent, by language and order."""
        rows = await self._db.fetchall(
            "SELECT language, commentary_id, topic_key, seq, text FROM broadcast_messages "
            "WHERE broadcast_id = ? ORDER BY language, seq",
            (broadcast_id,),
        )
        return [
            RenderedMessage(
                language=row[0], commentary_id=row[1], topic_key=row[2], seq=row[3], text=row[4]
            )
            for row in rows
        ]
