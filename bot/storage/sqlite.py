"""SQLite: one file in WAL mode behind aiosqlite, the default engine.

The connection runs in autocommit mode; `transaction()` holds a lock so that statements of
concurrent handlers never end up inside each other's transaction, and BEGIN IMMEDIATE
keeps any other process from writing meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.errors import ConstraintError, SchemaTooNewError
from bot.storage.backup import before_migration
from bot.storage.database import Connection, Database, Row
from bot.storage.dialect import SQLITE
from bot.storage.migrations import MIGRATIONS, migration_script

log = logging.getLogger(__name__)


class SqliteConnection(Connection):
    """The one aiosqlite connection, inside a transaction."""

    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        try:
            async with self._conn.execute(sql, tuple(params)) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Return all rows of a query (or of a statement with RETURNING)."""
        try:
            async with self._conn.execute(sql, tuple(params)) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc


def _statements(script: str) -> Iterator[str]:
    """Split a script into whole statements (semicolons in comments and text included)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if statement.strip(" \n\t;"):
        yield statement


class SqliteDatabase(Database):
    """An open SQLite database file."""

    dialect = SQLITE

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open_file(cls, path: Path) -> Self:
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

    @property
    def name(self) -> str:
        """Return the file's path."""
        return str(self.path)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def become_active(self) -> bool:
        """Return at once: SQLite's one-process rule is the lock file taken before opening.

        (`bot.operations.single_instance`, beside the database file.)
        """
        return False

    async def _migrate(self) -> None:
        found = await self.scalar("PRAGMA user_version")
        if found == len(MIGRATIONS):
            return
        if 0 < found < len(MIGRATIONS) and str(self.path) != ":memory:":
            copy = await asyncio.to_thread(before_migration, self.path, found)
            log.info("Backed up %s to %s before migrating it", self.path, copy)
        # BEGIN IMMEDIATE takes the file's write lock: a second process starting at the same
        # moment waits here, then finds the schema current and applies nothing.
        async with self.transaction() as conn:
            version = await conn.scalar("PRAGMA user_version")
            if version > len(MIGRATIONS):
                raise SchemaTooNewError(
                    f"{self.path} has schema version {version}, newer than this bot knows "
                    f"({len(MIGRATIONS)}); upgrade the bot"
                )
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                log.info("Applying database migration %d to %s", number, self.path)
                for statement in _statements(migration_script(step, SQLITE)):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Run the block in one IMMEDIATE transaction; roll back if it raises."""
        async with self._write_lock:
            try:
                # Inside the try: a task cancelled while BEGIN runs must not leave it open.
                await self._conn.execute("BEGIN IMMEDIATE")
                yield SqliteConnection(self._conn)
            except BaseException:
                if self._conn.in_transaction:
                    await asyncio.shield(self._conn.execute("ROLLBACK"))
                raise
            await self._conn.execute("COMMIT")

    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run one writing statement, atomic on its own, and return its RETURNING rows.

        One trip to the database thread instead of BEGIN, the statement and COMMIT; the
        write lock keeps it out of any other task's open transaction.
        """
        async with self._write_lock:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Return all rows of a query."""
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """Return the first row of a query, or None."""
        async with self._conn.execute(sql, tuple(params)) as cursor:
            row: Row | None = await cursor.fetchone()
            return row
