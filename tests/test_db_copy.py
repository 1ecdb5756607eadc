"""`python -m bot db copy`: a real database moved to PostgreSQL and back, every table equal."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.demo import import_sample_content
from bot.storage import Store
from bot.storage.copying import TABLES, TargetNotEmpty, copy_database, summarize
from bot.storage.database import Database
from tests.bot_processes import ROOT, database_url
from tests.postgres_server import PostgresServer


async def _fill(path: Path) -> None:
    """Sample content, readers with topics, a stored search, a finished broadcast's outbox."""
    await import_sample_content(path, hold_newest=True)
    async with await Store.open(path) as store:
        for chat_id, language in ((10, "be"), (11, "ru"), (-1001, "en")):
            kind = "private" if chat_id > 0 else "channel"
            await store.subscriptions.subscribe(
                chat_id, kind=kind, title=f"Chat {chat_id}", language=language
            )
        await store.subscriptions.set_topics(11, ["economy"])
        await store.searches.remember(10, "энерг", "be")
        issue = (await store.archive.unpublished_issues())[0]
        broadcast_id = await store.broadcasts.create(issue.id, editor_id=1, editor_chat_id=1)
        from bot.delivery.compose import render_issue  # noqa: PLC0415
        from bot.newsletter.i18n import Catalogs  # noqa: PLC0415

        messages = await render_issue(store, Catalogs.load(), issue.id)
        assert await store.broadcasts.start(broadcast_id, messages) > 0


async def _run_copy(source: str, target: str, *extra: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "copy", "--from", source, "--to", target, *extra,
        cwd=ROOT, env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_database_goes_to_postgresql_and_back_with_every_table_equal(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    original = tmp_path / "bot.sqlite3"
    await _fill(original)
    url = await postgres_server.create_database()
    back = tmp_path / "back.sqlite3"
    try:
        status, out, err = await _run_copy(database_url(original), url)
        assert status == 0, err
        assert "every count and checksum equals the source's" in out
        for table, _ in TABLES:
            assert f"  {table} " in out
        assert "outbox" in err  # the progress bar went past every table

        # A second copy into the same database is refused and changes nothing.
        status, _, err = await _run_copy(database_url(original), url)
        assert status == 1 and "already holds data" in err

        status, _, err = await _run_copy(url, database_url(back))
        assert status == 0, err
        async with await Database.open(original) as a, await Database.open(back) as b:
            assert await summarize(a) == await summarize(b)
        async with await Store.open(url) as store:
            # Copied rows behave: search finds them, new rows get fresh ids.
            found = await store.archive.search("emigration", "en", page=0, per_page=5)
            assert found.total > 0
            await store.searches.remember(12, "газ", "ru")
            issue = await store.archive.unpublished_issues()
            assert issue == []  # the broadcast's start published the newest week
            new_id = await store.broadcasts.create(1, editor_id=1, editor_chat_id=1)
            assert new_id > 1
    finally:
        await postgres_server.drop_database(url)


async def test_copy_refuses_a_target_with_data_unless_told_to_replace_it(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    await _fill(source)
    await import_sample_content(target)
    async with await Database.open(source) as a, await Database.open(target) as b:
        before = await summarize(b)
        with pytest.raises(TargetNotEmpty):
            await copy_database(a, b)
        assert await summarize(b) == before
        copied = await copy_database(a, b, replace=True)
        assert copied == await summarize(a)
        assert {s.table: s.rows for s in copied}["outbox"] > 0
