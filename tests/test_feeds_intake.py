"""Intake from a local WordPress-shaped site: what the store holds after each poll.

The site changes between polls (new, edited and removed posts, misbehaving feeds); the
clock is the test's, so backoff and schedules are checked without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from bot.feeds.intake import MAX_BACKOFF, FeedOutcome
from bot.storage import Store
from bot.storage.intake import MatchedBy
from standin.feed_posts import commentary_posts
from standin.feed_site import FeedSite, Mode, Post
from tests.feeds_site import INTERVAL, START, Clock, Listener, make_intake, publish


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as running:
        yield running


async def stored_texts(store: Store) -> list[tuple[int, str, str]]:
    rows = await store.db.fetchall(
        "SELECT commentary_id, language, title FROM commentary_texts ORDER BY commentary_id, "
        "language"
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_first_poll_keeps_old_posts_as_archive_and_new_ones_become_one_commentary(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(), Listener()
    intake = make_intake(store, site, clock, listener)
    old = publish(site, 0, 100, START - timedelta(days=2))
    reports = await intake.poll()
    assert [r.outcome for r in reports] == [FeedOutcome.CHANGED] * 3
    assert await stored_texts(store) == []
    assert await store.db.scalar("SELECT count(*) FROM feed_entries WHERE state = 'archive'") == 3
    assert listener.batches == []

    clock.advance(INTERVAL)
    new = publish(site, 1, 200, START + timedelta(minutes=5))
    await intake.poll()
    texts = await stored_texts(store)
    assert [(language, title) for _, language, title in texts] == [
        (post.language, post.title) for post in sorted(new, key=lambda p: p.language)
    ]
    assert len({commentary for commentary, _, _ in texts}) == 1, "three versions of one"
    issue = await store.archive.issue_by_week(date(2026, 10, 5))
    assert issue is not None and not issue.published
    assert await store.archive.versions(issue.id) == (1, {"be": 1, "ru": 1, "en": 1})
    rows = await store.db.fetchall(
        "SELECT language, matched_by FROM feed_entries WHERE state = 'stored' ORDER BY id"
    )
    assert [(r[0], r[1]) for r in rows] == [("be", "none"), ("ru", "page"), ("en", "page")]
    assert len(listener.batches) == 1 and len(listener.batches[0]) == 3
    assert all(post.title not in [t for _, _, t in texts] for post in old)
    await intake.close()


async def test_an_unchanged_feed_costs_a_304_and_stores_nothing(
    store: Store, site: FeedSite
) -> None:
    clock = Clock()
    intake = make_intake(store, site, clock, languages=("be",))
    publish(site, 0, 100, START + timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))
    await intake.poll()
    before = await store.db.scalar("SELECT max(updated_at) FROM feed_entries")
    clock.advance(INTERVAL)
    reports = await intake.poll()
    assert reports[0].outcome is FeedOutcome.UNCHANGED
    feed_requests = [r for r in site.requests if r[0] == "/be/feed/"]
    assert feed_requests[-1][1] != "", "the second poll sent If-None-Match"
    assert await store.db.scalar("SELECT max(updated_at) FROM feed_entries") == before
    await intake.close()


async def test_hreflang_in_the_entries_matches_without_reading_any_page(
    store: Store, site: FeedSite
) -> None:
    site.hreflang_in_feed = True
    clock = Clock(START - timedelta(hours=1))
    intake = make_intake(store, site, clock, since=clock.now)
    publish(site, 0, 100, START)
    clock.advance(timedelta(hours=2))
    await intake.poll()
    assert not [path for path, _ in site.requests if "/feed/" not in path]
    texts = await stored_texts(store)
    assert len(texts) == 3 and len({c for c, _, _ in texts}) == 1
    rows = await store.db.fetchall("SELECT matched_by FROM feed_entries ORDER BY id")
    assert [r[0] for r in rows] == ["none", "feed", "feed"], "the first starts it"
    await intake.close()


async def test_edits_update_the_draft_and_removed_posts_stay_stored(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(START - timedelta(hours=1)), Listener()
    intake = make_intake(store, site, clock, listener, since=clock.now)
    posts = publish(site, 0, 100, START)
    clock.advance(timedelta(hours=2))
    await intake.poll()
    site.edit(posts[1].pid, title="Транзит: исправленный заголовок")
    site.remove(posts[2].pid)
    clock.advance(INTERVAL)
    reports = await intake.poll()
    assert reports[1].changed == ["Транзит: исправленный заголовок"]
    titles = {language: title for _, language, title in await stored_texts(store)}
    assert titles["ru"] == "Транзит: исправленный заголовок"
    assert titles["en"] == posts[2].title, "a post gone from the feed stays"
    assert [len(batch) for batch in listener.batches] == [3, 1]
    await intake.close()


async def test_windows_1251_and_atom_feeds_read_correctly(store: Store, site: FeedSite) -> None:
    site.modes.update({"ru": Mode.CP1251, "en": Mode.ATOM})
    clock = Clock(START - timedelta(hours=1))
    intake = make_intake(store, site, clock, since=clock.now)
    posts = publish(site, 1, 100, START)
    clock.advance(timedelta(hours=2))
    await intake.poll()
    titles = {language: title for _, language, title in await stored_texts(store)}
    assert titles == {post.language: post.title for post in posts}
    body = await store.db.scalar("SELECT body FROM commentary_texts WHERE language = 'ru'")
    assert "белорусскоязычных" in body
    await intake.close()


async def test_empty_answers_are_unchanged_but_broken_and_failing_feeds_back_off(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(START - timedelta(hours=1)), Listener()
    intake = make_intake(store, site, clock, listener, languages=("be", "ru"), since=clock.now)
    publish(site, 0, 100, START)
    site.modes["be"] = Mode.EMPTY
    site.modes["ru"] = Mode.BROKEN
    clock.advance(timedelta(hours=2))
    reports = await intake.poll()
    assert [r.outcome for r in reports] == [FeedOutcome.UNCHANGED, FeedOutcome.FAILED]
    assert "yields no entries" in (reports[1].error or "")
    waits = []
    for _ in range(8):
        state = await store.intake.feed("ru")
        assert state is not None and state.next_poll_at is not None
        waits.append(state.next_poll_at - clock.now)
        clock.now = state.next_poll_at
        site.modes["ru"] = Mode.ERROR
        await intake.poll()
    assert waits[:4] == [INTERVAL * 2, INTERVAL * 4, INTERVAL * 8, INTERVAL * 16]
    assert max(waits) == MAX_BACKOFF
    assert len(listener.failing_feeds) == 1 and listener.failing_feeds[0].language == "ru"
    assert await stored_texts(store) == [], "failures touch nothing stored"

    site.modes["ru"] = Mode.NORMAL
    state = await store.intake.feed("ru")
    assert state is not None and state.next_poll_at is not None
    clock.now = state.next_poll_at
    await intake.poll()
    assert len(listener.recovered_feeds) == 1
    state = await store.intake.feed("ru")
    assert state is not None and state.failures == 0
    assert [language for _, language, _ in await stored_texts(store)] == ["ru"]
    await intake.close()


async def test_a_hanging_or_oversized_feed_fails_alone(store: Store, site: FeedSite) -> None:
    site.hang_seconds = 5
    site.modes.update({"be": Mode.HANG, "ru": Mode.HUGE})
    clock = Clock(START - timedelta(hours=1))
    intake = make_intake(store, site, clock, total_timeout=0.5, since=clock.now)
    posts = publish(site, 0, 100, START)
    clock.advance(timedelta(hours=2))
    reports = await intake.poll()
    assert [r.outcome for r in reports] == [
        FeedOutcome.FAILED,
        FeedOutcome.FAILED,
        FeedOutcome.CHANGED,
    ]
    assert "did not answer within" in (reports[0].error or "")
    assert "byte limit" in (reports[1].error or "")
    assert await stored_texts(store) == [(1, "en", posts[2].title)]
    await intake.close()


async def test_a_mass_of_old_posts_under_new_guids_pushes_nothing_and_alerts(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(START - timedelta(days=30)), Listener()
    intake = make_intake(store, site, clock, listener, languages=("en",), since=clock.now)
    for n in range(5):
        for post in commentary_posts(
            n % 2, 100 + 10 * n, START - timedelta(days=20 - n), languages=("en",)
        ):
            post.slug += f"-{n}"
            site.add(post)
    clock.now = START
    await intake.poll()
    stored = await store.db.scalar("SELECT count(*) FROM feed_entries WHERE state = 'stored'")
    assert stored == 5
    for post in list(site.posts.values()):
        site.remove(post.pid)
        post.pid += 1000
        site.add(post)
    clock.advance(INTERVAL)
    reports = await intake.poll()
    assert reports[0].migration
    assert await store.db.scalar("SELECT count(*) FROM feed_entries WHERE state = 'stored'") == 5
    assert listener.migrations == [("en", 5)]
    await intake.close()


async def test_unmapped_categories_go_to_the_default_topic_and_are_told_once(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(START - timedelta(hours=1)), Listener()
    intake = make_intake(store, site, clock, listener, languages=("en",), since=clock.now)
    for pid in (1, 2):
        site.add(
            Post(
                pid,
                "en",
                f"post-{pid}",
                f"Post {pid}",
                "A. Author",
                START,
                "<p>Text.</p>",
                categories=("Weather",),
            )
        )
    clock.advance(timedelta(hours=2))
    await intake.poll()
    topics = await store.db.fetchall("SELECT DISTINCT topic_key FROM commentaries")
    assert [row[0] for row in topics] == ["other"]
    assert listener.unmapped_categories == ["Weather"]
    await intake.close()


async def test_a_post_without_evidence_is_its_own_until_an_editor_decides(
    store: Store, site: FeedSite
) -> None:
    clock, listener = Clock(START - timedelta(hours=1)), Listener()
    intake = make_intake(store, site, clock, listener, languages=("be", "en"), since=clock.now)
    be, _, en = commentary_posts(0, 100, START)
    be.translations, en.translations = {}, {}
    site.add(be)
    site.add(en)
    clock.advance(timedelta(hours=2))
    await intake.poll()
    texts = await stored_texts(store)
    assert len({c for c, _, _ in texts}) == 2, "no guess links them"
    undecided = [item for item in listener.batches[0] if item.matched_by is MatchedBy.UNDECIDED]
    assert [item.language for item in undecided] == ["en"]
    candidates = await store.intake.candidates(undecided[0].entry_id)
    assert [c.title for c in candidates] == [be.title]
    assert await store.intake.decide(undecided[0].entry_id, candidates[0].commentary_id)
    assert not await store.intake.decide(undecided[0].entry_id, None), "decided once"
    texts = await stored_texts(store)
    assert len({c for c, _, _ in texts}) == 1 and len(texts) == 2
    assert await store.db.scalar("SELECT count(*) FROM commentaries") == 1
    await intake.close()


async def test_a_crash_between_posts_neither_loses_nor_doubles_any(
    store: Store, site: FeedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(START - timedelta(hours=1))
    publish(site, 0, 100, START)
    publish(site, 1, 200, START + timedelta(hours=1))
    clock.advance(timedelta(hours=3))
    original = store.intake.store_version
    calls = 0

    async def crashing(*args: object, **kwargs: object) -> tuple[int, int]:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise asyncio.CancelledError  # the process dies here, mid-poll
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.intake, "store_version", crashing)
    since = START - timedelta(hours=1)
    intake = make_intake(store, site, clock, since=since)
    with pytest.raises(asyncio.CancelledError):
        await intake.poll()
    await intake.close()
    assert len(await stored_texts(store)) == 3
    done, cut = await store.intake.feed("be"), await store.intake.feed("ru")
    assert done is not None and done.etag is not None
    assert cut is not None and cut.etag is None, "validators wait for the whole feed"

    monkeypatch.setattr(store.intake, "store_version", original)
    restarted = make_intake(store, site, clock, since=since)
    await restarted.poll()
    texts = await stored_texts(store)
    assert len(texts) == 6 and len({c for c, _, _ in texts}) == 2
    assert await store.db.scalar("SELECT count(*) FROM feed_entries") == 6
    await restarted.close()


async def test_check_changes_nothing(store: Store, site: FeedSite) -> None:
    clock = Clock(START - timedelta(hours=1))
    intake = make_intake(store, site, clock, since=clock.now)
    publish(site, 0, 100, START)
    clock.advance(timedelta(hours=2))
    reports = await intake.check()
    assert [len(r.new) for r in reports] == [1, 1, 1]
    for table in ("feed_state", "feed_entries", "commentaries", "feed_notices"):
        assert await store.db.scalar(f"SELECT count(*) FROM {table}") == 0, table
    await intake.close()


async def test_a_paused_feed_is_not_polled_and_resumes_without_a_backlog(
    store: Store, site: FeedSite
) -> None:
    clock = Clock(START - timedelta(hours=1))
    intake = make_intake(store, site, clock, languages=("en",), since=clock.now)
    await intake.poll()
    assert await intake.set_paused("en", True)
    requests = len(site.requests)
    publish(site, 0, 100, START)
    clock.advance(timedelta(hours=2))
    reports = await intake.poll()
    assert reports[0].outcome is FeedOutcome.PAUSED and len(site.requests) == requests
    assert await intake.set_paused("en", False)
    assert not await intake.set_paused("en", False)
    await intake.poll()
    assert await stored_texts(store) == [], "posts from the pause are archive"
    assert await store.db.scalar("SELECT state FROM feed_entries") == "archive"
    await intake.close()
