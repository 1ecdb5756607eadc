"""Backups while the bot writes, restores that keep the old file, backups before migrating."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.config import SendLimits
from bot.operations.single_instance import single_instance
from bot.storage import Store
from bot.storage.backup import BackupError, backup, check_copy, restore, rotate_backups
from bot.storage.dialect import SQLITE
from bot.storage.migrations import MIGRATIONS, migration_script
from standin import BotApiStandIn
from tests.bot_processes import ROOT
from tests.newsroom import newsroom, open_private_chats, prepare_database, readers

SLOW = SendLimits(per_second=60, per_chat_per_second=50, per_group_per_minute=3000)


def matching(directory: Path, pattern: str) -> list[Path]:
    """Return the files of a directory whose names match a glob pattern."""
    return sorted(directory.glob(pattern))


async def cli(database: Path, *args: str) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` on a database; return its status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env={"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Run one query on a database file, read-only."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return list(conn.execute(sql))


async def test_backups_during_a_broadcast_and_reader_writes_hold_what_was_committed(
    standin: BotApiStandIn, database: Path, tmp_path: Path
) -> None:
    subscribers = readers(60)
    await prepare_database(database, subscribers)
    open_private_chats(standin, subscribers)
    searchers = list(subscribers)[:6]
    async with newsroom(standin, database, limits=SLOW) as desk:
        broadcast = await desk.send_newest()
        db = desk.store.db
        checked = 0

        async def search_forever() -> None:
            n = 0
            while True:
                await desk.scene.say(searchers[n % 6], searchers[n % 6], f"/search elections {n}")
                n += 1

        searching = asyncio.create_task(search_forever())
        try:
            while await desk.store.broadcasts.status(broadcast.id) is not None and checked < 6:
                sent_before = {
                    row[0]
                    for row in await db.fetchall(
                        "SELECT id FROM outbox WHERE broadcast_id = ? AND status = 'sent'",
                        (broadcast.id,),
                    )
                }
                searches_before = await db.scalar("SELECT count(*) FROM search_queries")
                copy = tmp_path / f"backup-{checked}.sqlite3"
                await asyncio.to_thread(backup, database, copy)
                assert check_copy(copy) == len(MIGRATIONS)
                sent_in_copy = {
                    row[0]
                    for row in read(
                        copy,
                        f"SELECT id FROM outbox WHERE broadcast_id = {broadcast.id} "
                        "AND status = 'sent'",
                    )
                }
                assert sent_before <= sent_in_copy
                ((searches_in_copy,),) = read(copy, "SELECT count(*) FROM search_queries")
                assert isinstance(searches_in_copy, int) and searches_in_copy >= searches_before
                assert read(copy, "PRAGMA integrity_check") == [("ok",)]
                checked += 1
                await asyncio.sleep(0.1)
        finally:
            searching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await searching
        done = await desk.finish(broadcast.id, timeout=60)
        rows_sent = await db.scalar(
            "SELECT count(*) FROM outbox WHERE broadcast_id = ? AND status = 'sent'",
            (broadcast.id,),
        )
    assert checked == 6
    assert done.status.value == "done" and rows_sent > 0
    # At least one copy caught the broadcast in the middle: the test raced for real.
    partial = [
        read(tmp_path / f"backup-{n}.sqlite3", "SELECT count(*) FROM outbox WHERE status = 'sent'")
        for n in range(checked)
    ]
    assert any(0 < rows[0][0] < rows_sent for rows in partial), partial  # type: ignore[operator]


async def test_restore_keeps_the_previous_file_and_refuses_a_held_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with await Store.open(database) as store:
        await store.subscriptions.subscribe(1, kind="private", title=None, language="be")
    copy = tmp_path / "saved.sqlite3"
    backup(database, copy)
    async with await Store.open(database) as store:
        await store.subscriptions.subscribe(2, kind="private", title=None, language="ru")

    with single_instance(database):
        status, out, err = await cli(database, "restore", str(copy))
    assert status == 1
    assert "already used by a running bot" in err and "nothing was restored" in err
    assert len(read(database, "SELECT chat_id FROM chats")) == 2

    status, out, err = await cli(database, "restore", str(copy))
    assert status == 0, err
    assert read(database, "SELECT chat_id FROM chats") == [(1,)]
    (kept,) = matching(tmp_path, "bot.sqlite3.before-restore-*")
    assert f"kept as {kept}" in out
    assert sorted(read(kept, "SELECT chat_id FROM chats")) == [(1,), (2,)]


def test_a_newer_or_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    newer = tmp_path / "newer.sqlite3"
    with contextlib.closing(sqlite3.connect(newer)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(BackupError, match="newer than this bot knows"):
        restore(newer, database)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a readable SQLite database"):
        restore(damaged, database)
    assert not database.exists()


async def test_the_backup_command_checks_the_copy(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with await Store.open(database):
        pass
    target = tmp_path / "copies" / "now.sqlite3"
    status, out, err = await cli(database, "backup", str(target))
    assert status == 0, err
    assert "integrity ok" in out
    assert check_copy(target) == len(MIGRATIONS)
    assert read(target, "PRAGMA journal_mode") == [("delete",)]


async def test_daily_backups_keep_the_newest(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with await Store.open(database):
        pass
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / "notes.txt").write_text("not a backup")
    for day in ("20261201", "20261202", "20261203"):
        rotate_backups(database, directory, f"bot-{day}T000000Z.sqlite3", keep=2)
    assert sorted(p.name for p in directory.iterdir()) == [
        "bot-20261202T000000Z.sqlite3",
        "bot-20261203T000000Z.sqlite3",
        "notes.txt",
    ]


async def test_a_pending_migration_backs_the_database_up_first(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        for number, step in enumerate(MIGRATIONS[:3], start=1):
            script = migration_script(step, SQLITE)
            conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        conn.execute(
            "INSERT INTO chats (chat_id, kind, language, status, created_at, updated_at)"
            " VALUES (5, 'private', 'en', 'active', 'x', 'x')"
        )
        conn.commit()
    async with await Store.open(database) as store:
        assert await store.db.scalar("PRAGMA user_version") == len(MIGRATIONS)
    (copy,) = matching(tmp_path, "bot.sqlite3.before-migration-3-*")
    assert check_copy(copy) == 3
    assert read(copy, "SELECT chat_id FROM chats") == [(5,)]
    # Up to date: no further copies.
    async with await Store.open(database):
        pass
    assert len(matching(tmp_path, "bot.sqlite3.before-migration-*")) == 1
