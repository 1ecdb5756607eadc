"""Automatic deliveries of single commentaries (`FEED_MODE=auto`), one per key.

Each is a scheduled broadcast plus a row keyed by (commentary, readers' language, phase):
planning one twice does nothing, so no commentary reaches a language's readers twice by
itself, whatever polls, restarts and presses interleave. The broadcast row holds the time,
so a restart plans the job again like any scheduled broadcast.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.database import Database, Row, utcnow
from bot.storage.records import AutoPhase, AutoSend, BroadcastStatus

_SELECT = """
    SELECT a.commentary_id, a.language, a.phase, a.broadcast_id, a.fallback, b.status,
           b.scheduled_at
      FROM auto_sends a JOIN broadcasts b ON b.id = a.broadcast_id
"""


def _auto_send(row: Row) -> AutoSend:
    return AutoSend(
        commentary_id=row["commentary_id"],
        language=row["language"],
        phase=AutoPhase(row["phase"]),
        broadcast_id=row["broadcast_id"],
        fallback=bool(row["fallback"]),
        status=BroadcastStatus(row["status"]),
        scheduled_at=None
        if row["scheduled_at"] is None
        else datetime.fromisoformat(row["scheduled_at"]),
    )


class AutoSends:
    """Plan, find and bring forward the automatic deliveries of commentaries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def plan(
        self,
        commentary_id: int,
        language: str,
        phase: AutoPhase,
        when: datetime,
        *,
        editor_id: int,
        editor_language: str,
    ) -> AutoSend | None:
        """Plan a delivery at `when`; None when that key was planned before (ever)."""
        async with self._db.transaction() as conn:
            if await conn.scalar(
                "SELECT 1 FROM auto_sends WHERE commentary_id = ? AND language = ? AND phase = ?",
                (commentary_id, language, phase.value),
            ):
                return None
            broadcast_id: int = await conn.scalar(
                """INSERT INTO broadcasts (issue_id, kind, status, editor_id, editor_chat_id,
                                           editor_language, scheduled_at, created_at)
                   SELECT c.issue_id, 'issue', 'scheduled', ?, ?, ?, ?, ?
                     FROM commentaries c WHERE c.id = ?
                   RETURNING id""",
                (
                    editor_id,
                    editor_id,
                    editor_language,
                    when.astimezone(UTC).isoformat(),
                    utcnow(),
                    commentary_id,
                ),
            )
            await conn.execute(
                "INSERT INTO auto_sends (commentary_id, language, phase, broadcast_id) "
                "VALUES (?, ?, ?, ?)",
                (commentary_id, language, phase.value, broadcast_id),
            )
        return await self.of_broadcast(broadcast_id)

    async def get(self, commentary_id: int, language: str, phase: AutoPhase) -> AutoSend | None:
        """Return the delivery of a key, whatever became of it."""
        row = await self._db.fetchone(
            f"{_SELECT} WHERE a.commentary_id = ? AND a.language = ? AND a.phase = ?",
            (commentary_id, language, phase.value),
        )
        return None if row is None else _auto_send(row)

    async def of_broadcast(self, broadcast_id: int) -> AutoSend | None:
        """Return the delivery a broadcast makes; None for an editor's broadcast."""
        row = await self._db.fetchone(f"{_SELECT} WHERE a.broadcast_id = ?", (broadcast_id,))
        return None if row is None else _auto_send(row)

    async def scheduled_of_issue(self, issue_id: int) -> list[AutoSend]:
        """Return the deliveries of an issue's commentaries still waiting for their time."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE b.issue_id = ? AND b.status = 'scheduled' "
            "ORDER BY b.scheduled_at, b.id",
            (issue_id,),
        )
        return [_auto_send(row) for row in rows]

    async def bring_forward(self, broadcast_id: int, when: datetime) -> bool:
        """Move a waiting delivery to `when` if that is earlier; return whether it moved."""
        async with self._db.transaction() as conn:
            current = await conn.scalar(
                "SELECT scheduled_at FROM broadcasts WHERE id = ? AND status = 'scheduled'",
                (broadcast_id,),
            )
            if current is None or datetime.fromisoformat(current) <= when:
                return False
            moved = await conn.execute(
                "UPDATE broadcasts SET scheduled_at = ? WHERE id = ? AND status = 'scheduled'",
                (when.astimezone(UTC).isoformat(), broadcast_id),
            )
            return moved > 0

    async def started_for(self, commentary_id: int) -> bool:
        """Tell whether any automatic delivery of a commentary started."""
        return bool(
            await self._db.scalar(
                "SELECT 1 FROM auto_sends a JOIN broadcasts b ON b.id = a.broadcast_id "
                "WHERE a.commentary_id = ? AND b.started_at IS NOT NULL",
                (commentary_id,),
            )
        )

    async def started_for_issue(self, issue_id: int) -> bool:
        """Tell whether any commentary of an issue went out by itself (or is going out)."""
        return bool(
            await self._db.scalar(
                "SELECT 1 FROM auto_sends a JOIN broadcasts b ON b.id = a.broadcast_id "
                "WHERE b.issue_id = ? AND b.started_at IS NOT NULL",
                (issue_id,),
            )
        )
