"""Online, consistent copies of the SQLite file, checked before they count, and restores.

A backup reads the live database through a connection of its own with SQLite's backup
API, in one step, so the copy is the database as of one moment, whatever the bot writes
meanwhile (in WAL mode readers and the writer do not block each other). The copy is
written beside its target under a temporary name, checked with `PRAGMA integrity_check`,
and only then renamed into place. These functions block: call them from a thread.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import StorageError
from bot.storage.migrations import MIGRATIONS


class BackupError(StorageError):
    """A backup or restore could not be made or did not pass its checks."""


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(path, timeout=30)


def check_copy(path: Path) -> int:
    """Check a database file's integrity and return its schema version."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with contextlib.closing(_connect(path, readonly=True)) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if result != ["ok"]:
        raise BackupError(f"{path} failed the integrity check: {'; '.join(result[:5])}")
    return version


def backup(source: Path, target: Path) -> int:
    """Copy the database at `source` to `target`, checked; return its schema version."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(_connect(source)) as live,
            contextlib.closing(_connect(partial)) as copy,
        ):
            live.backup(copy)  # all pages in one step: one consistent moment
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        version = check_copy(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up {source}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return version


def rotate_backups(source: Path, directory: Path, name: str, keep: int) -> tuple[Path, list[Path]]:
    """Back up into `directory/name`, then delete all but the newest `keep` backups there.

    Return the new backup and the removed ones. Only files named like the bot's own
    backups (`bot-*.sqlite3`) are ever removed.
    """
    target = directory / name
    backup(source, target)
    ours = sorted(directory.glob("bot-*.sqlite3"), key=lambda p: p.name, reverse=True)
    removed = ours[max(1, keep) :]
    for path in removed:
        path.unlink(missing_ok=True)
    return target, removed


def restore(copy: Path, database: Path) -> Path | None:
    """Put a checked backup in place of `database`; return where the previous file went.

    The caller must hold the database's single-instance lock: no bot may have it open.
    The previous file (with its WAL) is renamed `<name>.before-restore-<time>`, never
    deleted; None is returned when there was no previous file.
    """
    version = check_copy(copy)
    if version > len(MIGRATIONS):
        raise BackupError(
            f"{copy} has schema version {version}, newer than this bot knows "
            f"({len(MIGRATIONS)}); restore it with a newer bot"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    incoming = database.with_name(f".{database.name}.restoring")
    backup(copy, incoming)
    kept: Path | None = None
    if database.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        # Fold the WAL into the file first, so the kept copy is whole on its own.
        with contextlib.closing(_connect(database)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.replace(database, kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, database)
    return kept


def before_migration(database: Path, version: int) -> Path:
    """Back up a database about to be migrated from `version`; return the copy's path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = database.with_name(f"{database.name}.before-migration-{version}-{stamp}")
    backup(database, target)
    return target
