"""One SQLite file in WAL mode behind aiosqlite, with migrations and serialized transactions.

The connection runs in autocommit mode; every write goes through `transaction()`, which holds
a lock so that statements of concurrent handlers never end up inside each other's transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.errors import SchemaTooNewError
from bot.storage.backup import before_migration
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


def utcnow() -> str:
    """Return the current UTC time as the ISO text the database stores."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Database:
    """An open SQLite database; use `await Database.open(path)` or `async with`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Self:
        """Open (creating if needed) the database file and bring its schema up to date."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            db = cls(conn, path)
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _migrate(self) -> None:
        version = await self.scalar("PRAGMA user_version")
        if version > len(MIGRATIONS):
            raise SchemaTooNewError(
                f"{self.path} has schema version {version}, newer than this bot knows "
                f"({len(MIGRATIONS)}); upgrade the bot"
            )
        if 0 < version < len(MIGRATIONS) and str(self.path) != ":memory:":
            copy = await asyncio.to_thread(before_migration, self.path, version)
            log.info("Backed up %s to %s before migrating it", self.path, copy)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("Applying database migration %d to %s", number, self.path)
            # executescript commits first; BEGIN inside the script keeps each step atomic.
            await self._conn.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one IMMEDIATE transaction; roll back if it raises."""
        async with self._write_lock:
            try:
                # Inside the try: a task cancelled while BEGIN runs must not leave it open.
                await self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    await asyncio.shield(self._conn.execute("ROLLBACK"))
                raise
            await self._conn.execute("COMMIT")

    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run one writing statement, atomic on its own, and return its RETURNING rows.

        One trip to the database thread instead of BEGIN, the statement and COMMIT; the
        write lock keeps it out of any other task's open transaction.
        """
        async with self._write_lock:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Return all rows of a query."""
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """Return the first row of a query, or None."""
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]
