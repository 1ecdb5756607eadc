"""The store on a real SQLite file: migrations, imports, reader queries, subscriptions."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.newsletter.content import MAX_SEARCH_ID
from bot.storage import (
    ChatStatus,
    DuplicateKeyError,
    RenderedMessage,
    SchemaTooNewError,
    Store,
    SubscribeOutcome,
)
from bot.storage.dialect import SQLITE
from bot.storage.migrations import MIGRATIONS, migration_script
from tests.factories import issue
from tests.postgres_server import PostgresServer

WEEK1 = date(2026, 9, 7)
WEEK2 = date(2026, 9, 14)


async def test_open_creates_wal_database_with_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.sqlite3"
    async with await Store.open(path) as store:
        assert await store.db.scalar("PRAGMA journal_mode") == "wal"
        assert await store.db.scalar("PRAGMA user_version") == len(MIGRATIONS)
        assert await store.db.scalar("PRAGMA foreign_keys") == 1
    # Reopening applies nothing twice.
    async with await Store.open(path) as store:
        assert await store.db.scalar("PRAGMA user_version") == len(MIGRATIONS)


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNewError, match="upgrade the bot"):
        await Store.open(path)


async def test_every_reader_query_uses_an_index(store: Store) -> None:
    plans = {
        "latest": "SELECT id FROM issues WHERE published_at IS NOT NULL "
        "ORDER BY week_start DESC LIMIT 1",
        "issue": "SELECT * FROM commentaries WHERE issue_id = 1 ORDER BY position",
        "topic": "SELECT * FROM commentaries WHERE topic_key = 'x'",
        "chat": "SELECT * FROM chats WHERE chat_id = 1",
        "audience": "SELECT count(*) FROM chats WHERE status = 'active' AND language = 'be'",
        "text": "SELECT id FROM commentary_texts WHERE commentary_id = 1 AND language = 'en'",
    }
    for name, sql in plans.items():
        if store.db.dialect.is_postgresql:
            # Tables this small are cheaper to scan; forbid that to see whether an index serves.
            async with store.db.transaction() as conn:
                await conn.execute("SET LOCAL enable_seqscan = off")
                plan = [row[0] for row in await conn.fetchall(f"EXPLAIN {sql}")]
            full_scans = [line for line in plan if "Seq Scan" in line]
        else:
            rows = await store.db.fetchall(f"EXPLAIN QUERY PLAN {sql}")
            full_scans = [
                row["detail"]
                for row in rows
                if row["detail"].startswith("SCAN") and "USING" not in row["detail"]
            ]
        assert not full_scans, (name, full_scans)


async def test_import_is_idempotent_and_updates(store: Store) -> None:
    draft = issue(WEEK1, "en", [("a-1", "economy", "First"), ("a-2", "politics", "Second")])
    await store.archive.save_issues([draft], publish=True)
    await store.archive.save_issues([draft], publish=True)
    assert await store.db.scalar("SELECT count(*) FROM commentaries") == 2
    assert await store.db.scalar("SELECT count(*) FROM commentary_texts") == 2
    assert await store.db.scalar("SELECT count(*) FROM commentary_search") == 2

    changed = issue(WEEK1, "en", [("a-1", "economy", "First, corrected")])
    await store.archive.save_issues([changed])
    latest = await store.archive.latest_issue("en")
    assert latest is not None
    assert [c.title for c in latest.commentaries] == ["First, corrected", "Second"]
    # The search index follows the correction: the old title is gone.
    assert (await store.archive.search("corrected", "en", page=0, per_page=5)).total == 1


async def test_unpublished_issues_are_invisible(store: Store) -> None:
    await store.archive.save_issues(
        [issue(WEEK1, "en", [("a-1", "economy", "Old")])], publish=True
    )
    await store.archive.save_issues([issue(WEEK2, "en", [("b-1", "economy", "Draft")])])
    latest = await store.archive.latest_issue("en")
    assert latest is not None and latest.issue.week_start == WEEK1
    draft_id = await store.db.scalar("SELECT id FROM commentaries WHERE key = 'b-1'")
    assert await store.archive.commentary(draft_id, "en") is None
    assert (await store.archive.search("draft", "en", page=0, per_page=5)).total == 0
    assert [t.count for t in await store.archive.topics("en")] == [1]

    published = await store.archive.publish(WEEK2)
    assert published is not None and published.published
    latest = await store.archive.latest_issue("en")
    assert latest is not None and latest.issue.week_start == WEEK2


async def test_key_of_another_week_is_refused_and_nothing_is_stored(store: Store) -> None:
    await store.archive.save_issues([issue(WEEK1, "en", [("a-1", "economy", "One")])])
    clash = issue(WEEK2, "en", [("b-1", "economy", "Fine"), ("a-1", "economy", "Clash")])
    with pytest.raises(DuplicateKeyError, match=r"issue-2026-09-14.en.md:15: .*'a-1'"):
        await store.archive.save_issues([clash])
    assert await store.db.scalar("SELECT count(*) FROM issues") == 1
    assert await store.db.scalar("SELECT count(*) FROM commentaries") == 1


async def test_missing_language_falls_back_in_stated_order(store: Store) -> None:
    await store.archive.save_issues(
        [
            issue(WEEK1, "en", [("a-1", "economy", "English")]),
            issue(WEEK1, "ru", [("a-1", "economy", "Русский")]),
        ],
        publish=True,
    )
    latest = await store.archive.latest_issue("be")
    assert latest is not None
    (view,) = latest.commentaries
    assert (view.language, view.title, view.is_fallback) == ("ru", "Русский", True)
    assert view.topic_name == "Economy (ru)"
    english = await store.archive.latest_issue("en")
    assert english is not None and not english.commentaries[0].is_fallback


async def test_topic_pages_are_newest_first(store: Store) -> None:
    drafts = [
        issue(date(2026, 1, 5) + timedelta(weeks=n), "en", [(f"k-{n}", "economy", f"Title {n}")])
        for n in range(7)
    ]
    await store.archive.save_issues(drafts, publish=True)
    first = await store.archive.topic_page("economy", "en", page=0, per_page=5)
    second = await store.archive.topic_page("economy", "en", page=1, per_page=5)
    assert [v.title for v in first.items] == [f"Title {n}" for n in (6, 5, 4, 3, 2)]
    assert [v.title for v in second.items] == ["Title 1", "Title 0"]
    assert (first.pages, first.total, first.has_next, second.has_next) == (2, 7, True, False)


async def test_search_matches_prefixes_in_the_readers_language(store: Store) -> None:
    await store.archive.save_issues(
        [
            issue(WEEK1, "en", [("a-1", "economy", "Energy prices")], body="Gas & oil"),
            issue(WEEK1, "be", [("a-1", "economy", "Цэны на энергію")], body="Газ"),
        ],
        publish=True,
    )
    assert (await store.archive.search("energ", "en", page=0, per_page=5)).total == 1
    assert (await store.archive.search("энерг", "be", page=0, per_page=5)).total == 1
    assert (await store.archive.search("энерг", "en", page=0, per_page=5)).total == 0
    # FTS syntax in the reader's words is taken literally, never as an error.
    assert (await store.archive.search('"gas" (oil*', "en", page=0, per_page=5)).total == 1
    assert (await store.archive.search("!!!", "en", page=0, per_page=5)).total == 0
    # The language column filters; it is never matched by the reader's own words.
    assert (await store.archive.search("be", "be", page=0, per_page=5)).total == 0
    search_id = await store.searches.remember(10, "energy", "en")
    assert await store.searches.recall(search_id, 10) == ("energy", "en")
    assert await store.searches.recall(search_id + 1, 10) is None


async def test_search_ranks_every_word_found_and_pages_in_rank_order(store: Store) -> None:
    drafts = [
        issue(
            WEEK1 + timedelta(weeks=n),
            "ru",
            [(f"r-{n}", "economy", title)],
            body=body,
        )
        for n, (title, body) in enumerate(
            [
                ("Новости недели", "Тарифы на газ растут, газ дорожает, газ и нефть"),
                ("Газовые тарифы", "Тарифы и цены"),
                ("Погода", "Без новостей о топливе"),
                ("Нефть", "Газ упомянут однажды"),
            ]
        )
    ]
    await store.archive.save_issues(drafts, publish=True)
    # Every word must be found (as a prefix, in any inflection the stemmer or the text has).
    both = await store.archive.search("газ тариф", "ru", page=0, per_page=5)
    assert sorted(v.key for v in both.items) == ["r-0", "r-1"]
    # The one whose title holds the words ranks first; pages follow the same order.
    assert both.items[0].key == "r-1"
    everything = await store.archive.search("газ", "ru", page=0, per_page=5)
    assert everything.total == 3 and everything.items[0].key == "r-1"
    pages = [
        (await store.archive.search("газ", "ru", page=page, per_page=1)).items[0].key
        for page in range(3)
    ]
    assert pages == [v.key for v in everything.items]
    # Operators and quotes of either engine's syntax are only punctuation here.
    for hostile in ('"газ', "газ & !тариф", "газ:* | (тариф", "(газ) тариф*", "газ'; --"):
        assert (await store.archive.search(hostile, "ru", page=0, per_page=5)).total >= 2, hostile


async def test_stored_searches_belong_to_their_chat_under_unguessable_ids(store: Store) -> None:
    searches = store.searches
    ids = [await searches.remember(10, f"energy {n}", "en") for n in range(20)]
    theirs = await searches.remember(-20, "border", "ru")
    assert await searches.recall(theirs, -20) == ("border", "ru")
    assert await searches.recall(theirs, 10) is None
    assert await searches.recall(ids[0], -20) is None
    # Neither a neighbour of one's own ids nor their order tells anything about others'.
    assert len(set(ids)) == len(ids) and sorted(ids) != ids
    assert all(0 < i <= MAX_SEARCH_ID for i in ids)
    assert max(ids) > 2**40


async def test_migration_drops_the_searches_stored_without_a_chat(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        steps = "\n".join(migration_script(step, SQLITE) for step in MIGRATIONS[:3])
        conn.executescript(f"BEGIN; {steps} PRAGMA user_version = 3;")
        conn.execute(
            "INSERT INTO search_queries (query, language, created_at) VALUES (?, ?, ?)",
            ("energy", "en", "2026-09-28T10:00:00+00:00"),
        )
    async with await Store.open(path) as store:
        assert await store.db.scalar("SELECT count(*) FROM search_queries") == 0
        assert await store.searches.recall(1, 10) is None
        search_id = await store.searches.remember(10, "energy", "en")
        assert await store.searches.recall(search_id, 10) == ("energy", "en")


async def test_subscription_lifecycle_keeps_preferences(store: Store) -> None:
    subs = store.subscriptions
    outcome = await subs.subscribe(10, kind="private", title="Reader", language="be")
    assert outcome is SubscribeOutcome.CREATED
    await store.archive.save_issues([issue(WEEK1, "en", [("a-1", "economy", "One")])])
    await subs.set_topics(10, ["economy"])
    again = await subs.subscribe(10, kind="private", title="Reader", language="be")
    assert again is SubscribeOutcome.ALREADY
    assert await subs.unsubscribe(10)
    assert not await subs.unsubscribe(10)
    chat = await subs.get(10)
    assert chat is not None
    assert (chat.status, chat.language, chat.topics) == (
        ChatStatus.UNSUBSCRIBED,
        "be",
        frozenset({"economy"}),
    )
    resumed = await subs.subscribe(10, kind="private", title="Reader", language="be")
    assert resumed is SubscribeOutcome.RESUMED
    chat = await subs.get(10)
    assert chat is not None and chat.subscribed and chat.topics == frozenset({"economy"})
    assert await subs.count_active() == {"be": 1}
    events = await store.db.fetchall("SELECT event FROM subscription_events ORDER BY id")
    assert [row[0] for row in events] == ["subscribed", "unsubscribed", "subscribed"]


async def test_blocked_chat_is_inactive_and_migration_moves_it(store: Store) -> None:
    subs = store.subscriptions
    await subs.subscribe(-100, kind="group", title="Club", language="ru")
    assert await subs.migrate(-100, -1001)
    assert await subs.get(-100) is None
    moved = await subs.get(-1001)
    assert moved is not None and moved.kind == "supergroup" and moved.subscribed
    assert await subs.deactivate(-1001, "removed")
    moved = await subs.get(-1001)
    assert moved is not None and moved.status is ChatStatus.BLOCKED and moved.language == "ru"


async def test_migration_onto_a_subscribed_supergroup_keeps_the_supergroup(store: Store) -> None:
    subs = store.subscriptions
    await subs.subscribe(-5, kind="group", title="Old", language="ru")
    await subs.subscribe(-1005, kind="supergroup", title="New", language="en")
    assert not await subs.migrate(-5, -1005)
    assert await subs.get(-5) is None
    kept = await subs.get(-1005)
    assert kept is not None and kept.language == "en"


async def test_newer_postgresql_schema_is_refused_and_migrations_run_once(
    postgres_server: PostgresServer,
) -> None:
    url = await postgres_server.create_database()
    try:
        # Two processes starting together: one migrates, the other finds the schema current.
        first, second = await asyncio.gather(Store.open(url), Store.open(url))
        for opened in (first, second):
            assert opened.db.dialect.is_postgresql
            assert await opened.db.scalar("SELECT max(version) FROM schema_migrations") == len(
                MIGRATIONS
            )
            await opened.close()
        async with await Store.open(url) as store:
            assert await store.db.scalar("SELECT count(*) FROM schema_migrations") == len(
                MIGRATIONS
            )
            async with store.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')",
                    (len(MIGRATIONS) + 1,),
                )
        with pytest.raises(SchemaTooNewError, match="upgrade the bot"):
            await Store.open(url)
    finally:
        await postgres_server.drop_database(url)


async def test_two_sqlite_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first, second = await asyncio.gather(Store.open(path), Store.open(path))
    for opened in (first, second):
        assert await opened.db.scalar("PRAGMA user_version") == len(MIGRATIONS)
        await opened.close()


async def test_a_claim_marks_its_rows_sending_and_a_later_run_gets_them_back_flagged(
    store: Store,
) -> None:
    await store.archive.save_issues([issue(WEEK1, "be", [("one", "economy", "One")])])
    for chat_id in range(1, 6):
        await store.subscriptions.subscribe(chat_id, kind="private", title=None, language="be")
    info = await store.archive.issue_by_week(WEEK1)
    assert info is not None
    broadcast_id = await store.broadcasts.create(info.id, editor_id=1, editor_chat_id=1)
    commentary = await store.db.scalar(
        "SELECT id FROM commentaries WHERE issue_id = ?", (info.id,)
    )
    messages = [
        RenderedMessage(
            language="be", commentary_id=commentary, topic_key="economy", seq=0, text="<b>A</b>"
        )
    ]
    assert await store.broadcasts.start(broadcast_id, messages) == 5
    await store.subscriptions.set_language(2, "ru")

    first = await store.broadcasts.claim(broadcast_id, after_id=0, limit=2)

    assert [item.chat_id for item in first] == [1, 2]
    assert [item.text for item in first] == ["<b>A</b>"] * 2
    assert [(item.chat_status, item.chat_language) for item in first] == [
        ("active", "be"),
        ("active", "ru"),
    ]
    assert not any(item.was_sending for item in first)
    statuses = await store.db.fetchall(
        "SELECT chat_id, status FROM outbox WHERE broadcast_id = ? ORDER BY id", (broadcast_id,)
    )
    assert [tuple(row) for row in statuses] == [
        (1, "sending"),
        (2, "sending"),
        (3, "pending"),
        (4, "pending"),
        (5, "pending"),
    ]

    # The run died: the next one finds those rows 'sending', in order before the rest.
    recovered = await store.broadcasts.left_sending(broadcast_id)
    assert recovered == {item.id for item in first}
    again = await store.broadcasts.claim(broadcast_id, after_id=0, limit=3, recovered=recovered)
    assert [(item.chat_id, item.was_sending) for item in again] == [
        (1, True),
        (2, True),
        (3, False),
    ]
    rest = await store.broadcasts.claim(broadcast_id, after_id=again[-1].id, limit=10)
    assert [item.chat_id for item in rest] == [4, 5]
    assert await store.broadcasts.claim(broadcast_id, after_id=rest[-1].id, limit=10) == []
