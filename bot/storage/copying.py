"""Copy every table from one database to another, either engine to either engine.

The whole copy is one transaction on the target: a failure midway leaves it as it was.
Rows are read in batches in key order and written in batches; the search index is not
copied but rebuilt on the target from the published texts. Afterwards every table's row
count and checksum (order-independent: the sum of the rows' SHA-256 digests) are compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.errors import StorageError
from bot.storage.database import Connection, Database, Row
from bot.storage.publication import index_issue

TABLES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("topics", ("key",)),
    ("topic_names", ("topic_key", "language")),
    ("issues", ("id",)),
    ("commentaries", ("id",)),
    ("commentary_texts", ("id",)),
    ("topic_name_drafts", ("issue_id", "topic_key", "language")),
    ("chats", ("chat_id",)),
    ("chat_topics", ("chat_id", "topic_key")),
    ("subscription_events", ("id",)),
    ("search_queries", ("id",)),
    ("broadcasts", ("id",)),
    ("broadcast_messages", ("id",)),
    ("outbox", ("id",)),
    ("feed_state", ("language",)),
    ("feed_entries", ("id",)),
    ("feed_alternates", ("entry_id", "language")),
    ("feed_notices", ("kind", "subject")),
)
"""Every table the bot keeps, parents before children, with its key."""

BATCH: Final = 5_000
_MODULUS: Final = 2**256


class TargetNotEmpty(StorageError):
    """Raised when the target already holds data and replacing it was not asked for."""


class CopyMismatch(StorageError):
    """Raised when a copied table's count or checksum differs from its source's."""


@dataclass(frozen=True, slots=True)
class TableSummary:
    """What one table holds: its rows and their checksum."""

    table: str
    rows: int
    checksum: str


Progress = Callable[[str, int, int], None]
"""Called with (table, rows copied so far, rows in all) after each batch."""


def _row_digest(row: Row, columns: Sequence[str]) -> int:
    values = tuple(row[c] for c in columns)
    return int.from_bytes(hashlib.sha256(repr(values).encode()).digest(), "big")


async def _batches(
    fetch: Callable[[str, Sequence[Any]], Awaitable[list[Row]]],
    table: str,
    key: tuple[str, ...],
) -> Any:
    order = ", ".join(key)
    if len(key) == 1:  # walk by key: every batch is an index range
        last: Any = None
        while True:
            where = "" if last is None else f" WHERE {key[0]} > ?"
            rows = await fetch(
                f"SELECT * FROM {table}{where} ORDER BY {order} LIMIT ?",
                (BATCH,) if last is None else (last, BATCH),
            )
            if not rows:
                return
            yield rows
            last = rows[-1][key[0]]
    offset = 0
    while True:
        rows = await fetch(
            f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (BATCH, offset)
        )
        if not rows:
            return
        yield rows
        offset += len(rows)


async def summarize(db: Database) -> list[TableSummary]:
    """Return every table's row count and checksum."""
    summaries = []
    for table, key in TABLES:
        count, total = 0, 0
        async for rows in _batches(db.fetchall, table, key):
            columns = sorted(rows[0].keys())
            count += len(rows)
            total = (total + sum(_row_digest(row, columns) for row in rows)) % _MODULUS
        summaries.append(TableSummary(table, count, f"{total:064x}"[:16]))
    return summaries


async def _holds_data(conn: Connection) -> bool:
    for table, _ in TABLES:
        if await conn.scalar(f"SELECT count(*) FROM {table}"):
            return True
    return False


async def copy_database(
    source: Database,
    target: Database,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[TableSummary]:
    """Copy everything from `source` to `target` in one transaction; return the summaries.

    Raise `TargetNotEmpty` when the target holds data (unless `replace`, which deletes it
    first) and `CopyMismatch` when a table's count or checksum differs after the copy.
    """
    async with target.transaction() as conn:
        if await _holds_data(conn):
            if not replace:
                raise TargetNotEmpty(
                    f"{target.name} already holds data; copy into an empty database "
                    "(or pass --replace to delete what it holds)"
                )
            await conn.execute("DELETE FROM commentary_search")
            for table, _ in reversed(TABLES):
                await conn.execute(f"DELETE FROM {table}")
        for table, key in TABLES:
            total = await source.scalar(f"SELECT count(*) FROM {table}")
            done = 0
            async for rows in _batches(source.fetchall, table, key):
                columns = list(rows[0].keys())
                marks = ", ".join("?" for _ in columns)
                await conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(row[c] for c in columns) for row in rows],
                )
                done += len(rows)
                if progress is not None:
                    progress(table, done, total)
            if "id" in key:
                statement = conn.dialect.continue_ids(table)
                if statement:
                    await conn.execute(statement)
        published = await conn.fetchall("SELECT id FROM issues WHERE published_at IS NOT NULL")
        for row in published:
            await index_issue(conn, row[0])
    copied, original = await summarize(target), await summarize(source)
    if copied != original:
        differ = [c.table for c, o in zip(copied, original, strict=True) if c != o]
        raise CopyMismatch(f"the copy differs from the source in: {', '.join(differ)}")
    return copied
