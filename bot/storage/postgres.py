"""PostgreSQL behind an asyncpg pool, when DATABASE_URL names it.

Writers are serialized as on SQLite: one at a time in this process (a lock taken before a
connection is), and across processes by a transaction-scoped advisory lock, so every
read-then-write the repositories do sees what SQLite's BEGIN IMMEDIATE would let it see.
Readers use any connection of the pool. Migrations run under an advisory lock of their
own, so of two processes starting together one migrates and the other then finds the
schema current.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final, Self
from urllib.parse import urlsplit

import asyncpg

from bot.errors import ConstraintError, SchemaTooNewError
from bot.storage.database import ACTIVE_CHECK_INTERVAL, Connection, Database, Row
from bot.storage.dialect import POSTGRESQL, numbered_placeholders
from bot.storage.migrations import MIGRATIONS, migration_script

log = logging.getLogger(__name__)

WRITE_LOCK: Final = 0x5745_4B4C_5752  # advisory lock keys: any two fixed 64-bit numbers
MIGRATION_LOCK: Final = 0x5745_4B4C_4D47
ACTIVE_LOCK: Final = 0x5745_4B4C_4143
STANDBY_RETRY: Final = 2.0
"""Seconds between a standby's attempts to take the active lock."""
ACTIVE_CHECK_TIMEOUT: Final = 1.0
"""Seconds the active lock's connection may take to answer a check."""
TAKEOVER_GRACE: Final = ACTIVE_CHECK_INTERVAL + ACTIVE_CHECK_TIMEOUT + 1.0
"""Seconds a standby that got the lock waits before it acts: longer than the active
process takes to notice a lost connection, so that one has stopped before this starts."""

CONNECTION_LOST: Final[tuple[type[BaseException], ...]] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # the server shutting down or still starting
    asyncpg.InterfaceError,
)
"""What the driver raises when the server cannot be reached or went away."""


async def server_answers(url: str, *, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
    """Return whether the server at `url` accepts a connection now."""
    try:
        conn = await asyncpg.connect(url, timeout=timeout)
    except CONNECTION_LOST:
        return False
    await conn.close()
    return True


def _rowcount(status: str) -> int:
    """Return the row count of a command tag such as 'UPDATE 3' or 'INSERT 0 5'."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class PostgresConnection(Connection):
    """One pooled connection, inside a transaction."""

    dialect = POSTGRESQL

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        try:
            status: str = await self._conn.execute(numbered_placeholders(sql), *params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc
        return _rowcount(status)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row, in one round trip."""
        batch = [tuple(row) for row in rows]
        if not batch:
            return
        try:
            await self._conn.executemany(numbered_placeholders(sql), batch)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Return all rows of a query (or of a statement with RETURNING)."""
        try:
            rows: list[Row] = await self._conn.fetch(numbered_placeholders(sql), *params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc
        return rows


class PostgresDatabase(Database):
    """An open PostgreSQL database: a pool of connections."""

    dialect = POSTGRESQL

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url
        self._write_lock = asyncio.Lock()
        self._active: asyncpg.Connection | None = None

    @classmethod
    async def open_url(cls, url: str, *, pool_size: int = 10) -> Self:
        """Connect (following a multi-host URL to its primary) and bring the schema up to date."""
        # The bot's queries are short; JIT compiling one costs more than running it (7 ms
        # against 1 ms for the topic list, whenever a table's estimates run high).
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=max(1, pool_size), server_settings={"jit": "off"}
        )
        db = cls(pool, url)
        try:
            await db._migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    @property
    def name(self) -> str:
        """Return the URL without its user, password and options."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"

    async def close(self) -> None:
        """Close every connection of the pool, and the one holding the active lock."""
        if self._active is not None:
            await self._active.close()
            self._active = None
        await self._pool.close()

    async def become_active(self) -> bool:
        """Wait until this process holds the session advisory lock of the active process.

        The lock lives on a connection of its own, outside the pool; PostgreSQL frees it
        the moment that connection ends, a killed process's included, so a standby takes
        over within `STANDBY_RETRY` seconds of the server noticing.
        """
        me = f"weekly-commentary-bot pid {os.getpid()} on host {socket.gethostname()}"
        conn = await asyncpg.connect(self.url, server_settings={"application_name": me})
        said = False
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ACTIVE_LOCK):
                if not said:
                    holder = await conn.fetchval(
                        "SELECT a.application_name FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.classid::bigint = $1 AND l.objid::bigint = $2 LIMIT 1",
                        ACTIVE_LOCK >> 32,
                        ACTIVE_LOCK & 0xFFFF_FFFF,
                    )
                    log.info(
                        "standby: another process is active (%s); this is %s",
                        holder or "unknown",
                        me,
                    )
                    said = True
                await asyncio.sleep(STANDBY_RETRY)
        except BaseException:
            await conn.close()
            raise
        self._active = conn
        if said:
            await asyncio.sleep(TAKEOVER_GRACE)
            log.info("Taking over as the active process (%s)", me)
        elif await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM broadcasts WHERE status = 'sending')"
        ):
            # A process whose lock connection just ended may still be finishing its sends
            # in flight for up to the same grace: it has not noticed yet.
            log.info(
                "A broadcast is in progress; waiting %.0f s before resuming it", TAKEOVER_GRACE
            )
            await asyncio.sleep(TAKEOVER_GRACE)
        return said

    async def still_active(self) -> bool:
        """Return whether the connection holding the active lock still answers."""
        conn = self._active
        if conn is None or conn.is_closed():
            return False
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=ACTIVE_CHECK_TIMEOUT)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False
        return True

    async def _migrate(self) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            version: int = await conn.fetchval(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            )
            if version > len(MIGRATIONS):
                raise SchemaTooNewError(
                    f"{self.name} has schema version {version}, newer than this bot knows "
                    f"({len(MIGRATIONS)}); upgrade the bot"
                )
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                log.info("Applying database migration %d to %s", number, self.name)
                await conn.execute(migration_script(step, POSTGRESQL))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) "
                    "VALUES ($1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS'))",
                    number,
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Run the block in one transaction, alone among writers; roll back if it raises."""
        async with self._write_lock, self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PostgresConnection(conn)

    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run one writing statement and return its RETURNING rows, alone among writers.

        The outbox claim comes this way: its rows are marked 'sending' and returned by one
        statement, under the writers' advisory lock, so no other writer (of this process or
        another) can hold, change or claim them meanwhile.
        """
        async with self.transaction() as conn:
            return await conn.fetchall(sql, tuple(params))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Return all rows of a query."""
        rows: list[Row] = await self._pool.fetch(numbered_placeholders(sql), *params)
        return rows
