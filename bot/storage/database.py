"""The database the repositories talk to, whichever engine holds it.

Repositories write SQL with `?` placeholders and the SQL both engines share; what differs
between SQLite and PostgreSQL lives in `bot.storage.dialect` (statements) and in the two
engine modules, `bot.storage.sqlite` and `bot.storage.postgres` (connections, transactions,
migration bookkeeping). Every write goes through `transaction()`, which serializes writers
on both engines, so concurrent handlers never interleave inside each other's transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from bot.storage.dialect import Dialect, Row

__all__ = ["ACTIVE_CHECK_INTERVAL", "Connection", "Database", "Row", "connection_lost", "utcnow"]


ACTIVE_CHECK_INTERVAL: Final = 2.0
"""Seconds between the active process's checks of `Database.still_active`."""


def connection_lost(error: object) -> bool:
    """Tell whether an error means the database server went away or cannot be reached."""
    from bot.storage.postgres import CONNECTION_LOST  # noqa: PLC0415 - imports this module

    return isinstance(error, CONNECTION_LOST)


def utcnow() -> str:
    """Return the current UTC time as the ISO text the database stores."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Connection(ABC):
    """One connection inside a transaction."""

    dialect: Dialect
    _savepoints = 0

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Return all rows of a query (or of a statement with RETURNING)."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Return the first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Undo only the block when it raises; the transaction stays usable on both engines."""
        self._savepoints += 1
        name = f"step_{self._savepoints}"
        await self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            await self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        await self.execute(f"RELEASE SAVEPOINT {name}")


class Database(ABC):
    """An open database; use `await Database.open(target)` or `async with`."""

    dialect: Dialect

    @classmethod
    async def open(cls, target: Path | str, *, pool_size: int = 10) -> Database:
        """Open a SQLite file (a path) or a PostgreSQL database (a postgresql:// URL).

        The schema is brought up to date, by one process at a time.
        """
        if isinstance(target, Path):
            from bot.storage.sqlite import SqliteDatabase  # noqa: PLC0415 - engine on demand

            return await SqliteDatabase.open_file(target)
        from bot.storage.postgres import PostgresDatabase  # noqa: PLC0415 - engine on demand

        return await PostgresDatabase.open_url(target, pool_size=pool_size)

    @property
    @abstractmethod
    def name(self) -> str:
        """Return what to call the database in messages (no password)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connections."""

    @abstractmethod
    async def become_active(self) -> bool:
        """Return once this process is the one that may poll and send on this database.

        Return True when another process held that role first (this one took over).
        """

    async def still_active(self) -> bool:
        """Return whether this process still holds the active process's lock.

        Only PostgreSQL's lock can be lost while the process runs (with its connection).
        """
        return True

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """Run the block in one transaction, alone among writers; roll back if it raises."""

    @abstractmethod
    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run one writing statement, atomic on its own, and return its RETURNING rows."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Return all rows of a query."""

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """Return the first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
