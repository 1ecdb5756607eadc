"""One bot process per database: an OS file lock beside the SQLite file.

Two processes on one database would both resume the same broadcasts (readers would get
every message twice) and both poll Telegram. `run` therefore holds an exclusive
`flock` on `<database>.lock` for its whole lifetime. The kernel drops the lock when the
process dies, `kill -9` included, so a crash never blocks the next start. The database
file itself is not locked: `import` and backups keep working while the bot runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import BotError


@dataclass(frozen=True, slots=True)
class LockHolder:
    """The process that holds a database, as it wrote itself into the lock file."""

    pid: int
    host: str
    since: str

    def describe(self) -> str:
        """Return e.g. 'pid 4242 on host alpha since 2026-09-28T09:00:00+00:00'."""
        return f"pid {self.pid} on host {self.host} since {self.since}"


class DatabaseInUse(BotError):
    """Raised when another process already runs the bot on the same database."""

    def __init__(self, database: Path, holder: LockHolder | None) -> None:
        who = holder.describe() if holder else "a process that has not written its details yet"
        super().__init__(
            f"the database {database} is already used by a running bot ({who}); "
            "stop that process first or point DATABASE_URL at another file"
        )
        self.database = database
        self.holder = holder


def lock_path(database: Path) -> Path:
    """Return the lock file that guards `database`."""
    return database.with_name(f"{database.name}.lock")


def _read_holder(fd: int) -> LockHolder | None:
    """Return the holder recorded in an open lock file, if it is readable."""
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8"))
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]), since=str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(fd: int) -> None:
    """Record this process in the lock file, replacing whatever a previous holder left."""
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode("utf-8") + b"\n", 0)


@contextmanager
def single_instance(database: Path) -> Iterator[None]:
    """Hold the database's lock for the block; raise DatabaseInUse if another process does."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(database, _read_holder(fd)) from None
        _write_holder(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
