"""End to end: the website's feeds reach readers through the editor and the outbox.

The bot runs on the Bot API stand-in and reads a local WordPress-shaped site. Polls are
started by the test (the job would start them every FEED_INTERVAL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.feeds.intake import FeedIntake
from bot.feeds.settings import FeedMode, FeedSettings
from bot.storage import AutoPhase, AutoSend, BroadcastStatus
from standin import BotApiStandIn
from standin.feed_posts import commentary_posts
from standin.feed_site import FeedSite
from tests.newsroom import EDITOR, Desk, newsroom, open_private_chats, prepare_database, readers


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as running:
        yield running


FEED_COMMENTARIES = "SELECT count(*) FROM commentaries WHERE key LIKE 'feed-%'"


def feed_settings(site: FeedSite) -> FeedSettings:
    return FeedSettings(
        urls={language: site.feed_url(language) for language in ("be", "ru", "en")},
        interval=timedelta(hours=1),
        since=datetime.now(UTC) - timedelta(days=1),
    )


def intake_of(desk: object) -> FeedIntake:
    feeds = desk.application.bot_data.feeds  # type: ignore[attr-defined]
    assert feeds is not None
    return feeds


async def test_a_new_commentary_reaches_readers_once_and_a_later_edit_is_not_pushed(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    audience = readers(3)
    await prepare_database(database, audience, newest_stored=False)
    open_private_chats(standin, audience)
    posts = commentary_posts(0, 500, datetime.now(UTC) - timedelta(hours=2))
    for post in posts:
        site.add(post)
    async with newsroom(standin, database, feeds=feed_settings(site)) as desk:
        before = len(standin.messages(EDITOR))
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        told = standin.messages(EDITOR)[before:]
        assert len(told) == 1, [m.text for m in told]
        assert "From the website: 3 new or changed posts" in told[0].text
        assert any(b["text"] == "Send now" for b in told[0].buttons)

        await desk.press("Send now")
        await desk.press("Yes, send now")
        started = await desk.store.broadcasts.recent(1)
        await desk.finish(started[0].id)
        for chat_id, language in audience.items():
            got = desk.received(chat_id)
            title = next(p.title for p in posts if p.language == language)
            assert sum(title in html for html in got) == 1, (language, got)

        delivered_title = posts[2].title
        site.edit(posts[2].pid, title="Rail transit: a corrected headline")
        received = {chat_id: len(desk.received(chat_id)) for chat_id in audience}
        before = len(standin.messages(EDITOR))
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        assert {chat_id: len(desk.received(chat_id)) for chat_id in audience} == received
        told = standin.messages(EDITOR)[before:]
        assert len(told) == 2, [m.text for m in told]
        assert "edited on the website after the issue was sent" in told[0].text
        assert "Correction of the issue of" in told[1].text
        assert "Rail transit: a corrected headline" in told[1].text
        title = await desk.store.db.scalar(
            "SELECT title FROM commentary_texts WHERE language = 'en' AND link LIKE '%rail%'"
        )
        assert title == delivered_title, "readers' version stays until a correction"

        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        assert len(standin.messages(EDITOR)) == before + 2, "told once"

        english = [chat_id for chat_id, language in audience.items() if language == "en"]
        delivered = standin.messages(english[0])
        await desk.press("Apply the correction")
        corrections = await desk.store.broadcasts.recent(1)
        await desk.finish(corrections[0].id)
        assert len(standin.messages(english[0])) == len(delivered), "edited, not sent again"
        assert any("a corrected headline" in m.html for m in standin.messages(english[0]))


async def test_editors_see_and_pause_the_feeds(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    await prepare_database(database, {}, newest_stored=False)
    for post in commentary_posts(1, 600, datetime.now(UTC) - timedelta(hours=2)):
        site.add(post)
    async with newsroom(standin, database, feeds=feed_settings(site)) as desk:
        await intake_of(desk).poll(force=True)
        shown = await desk.say("/feeds")
        assert "Website feeds" in shown[-1].text
        assert shown[-1].text.count("1 post seen") == 3
        assert [b["text"] for b in shown[-1].buttons] == [
            "Pause: Беларуская",
            "Pause: Русский",
            "Pause: English",
        ]
        await desk.press("Pause: Русский")
        state = await desk.store.intake.feed("ru")
        assert state is not None and state.paused
        card = standin.messages(EDITOR)[-1]
        assert "Resume: Русский" in [b["text"] for b in card.buttons]
        refused = await desk.say("/feeds", user=9001)
        assert "only for the newsletter's editors" in refused[-1].text


async def test_editors_decide_about_a_post_the_site_links_to_nothing(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    await prepare_database(database, {}, newest_stored=False)
    be, _, en = commentary_posts(0, 700, datetime.now(UTC) - timedelta(hours=2))
    be.translations, en.translations = {}, {}
    site.add(be)
    site.add(en)
    async with newsroom(standin, database, feeds=feed_settings(site)) as desk:
        before = len(standin.messages(EDITOR))
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        told = standin.messages(EDITOR)[before:]
        card = told[-1]
        assert "Which commentary is this?" in card.text and en.title in card.text
        labels = [b["text"] for b in card.buttons]
        assert labels[-1] == "A commentary of its own"
        assert labels[0].startswith("Same commentary as “Транзіт па чыгунцы")
        assert all(len(b["callback_data"].encode()) <= 64 for b in card.buttons)
        assert await desk.store.db.scalar(FEED_COMMENTARIES) == 2
        own = card.buttons[-1]["callback_data"]
        answer = await desk.press("Same commentary as")
        assert card.buttons == [], "the card's buttons go once it is answered"
        assert "now a version of that commentary" in answer[-1].text
        assert await desk.store.db.scalar(FEED_COMMENTARIES) == 1
        issue = await desk.store.db.scalar(
            "SELECT issue_id FROM commentaries WHERE key LIKE 'feed-%'"
        )
        assert await desk.store.archive.versions(issue) == (1, {"be": 1, "en": 1})
        stale, _ = await desk.press_data(own, force=True)
        assert stale == "This list has expired. Send the command again."


def auto_settings(site: FeedSite) -> FeedSettings:
    return dataclasses.replace(
        feed_settings(site),
        mode=FeedMode.AUTO,
        auto_send_delay=timedelta(minutes=30),
        fallback_after=timedelta(hours=24),
    )


async def waiting(desk: Desk) -> dict[tuple[int, str], AutoSend]:
    """Return the automatic deliveries waiting for their time, by (commentary, language)."""
    rows = await desk.store.db.fetchall(
        "SELECT a.broadcast_id FROM auto_sends a JOIN broadcasts b ON b.id = a.broadcast_id "
        "WHERE b.status = 'scheduled'"
    )
    sends = [await desk.store.auto_sends.of_broadcast(row[0]) for row in rows]
    return {(send.commentary_id, send.language): send for send in sends if send is not None}


def ahead(send: AutoSend) -> timedelta:
    assert send.scheduled_at is not None
    return send.scheduled_at - datetime.now(UTC)


async def time_comes(desk: Desk, send: AutoSend) -> None:
    """Run the job the bot planned for a delivery, as the JobQueue would at its time."""
    job_queue = desk.application.job_queue
    assert job_queue is not None
    jobs = job_queue.get_jobs_by_name(f"broadcast-{send.broadcast_id}")
    assert len(jobs) == 1, f"one job for broadcast {send.broadcast_id}"
    await jobs[0].run(desk.application)
    if desk.application.bot_data.delivery.progress(send.broadcast_id) is not None:
        await desk.finish(send.broadcast_id)
    await desk.scene.settle()


def count(got: list[str], text: str) -> int:
    return sum(text in html for html in got)


async def test_auto_mode_pushes_each_version_to_its_readers_once_after_the_delay(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    audience = readers(6)
    await prepare_database(database, audience, newest_stored=False)
    open_private_chats(standin, audience)
    posts = commentary_posts(1, 800, datetime.now(UTC) - timedelta(hours=2))
    for post in posts:
        site.add(post)
    async with newsroom(standin, database, feeds=auto_settings(site)) as desk:
        before = len(standin.messages(EDITOR))
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        card = standin.messages(EDITOR)[before:][-1]
        assert "It goes out by itself at" in card.text
        assert "Hold" in [b["text"] for b in card.buttons]
        planned = await waiting(desk)
        assert sorted(language for _, language in planned) == ["be", "en", "ru"]
        assert len({commentary for commentary, _ in planned}) == 1
        for send in planned.values():
            assert timedelta(minutes=29) < ahead(send) <= timedelta(minutes=30)
        assert all(desk.received(chat_id) == [] for chat_id in audience), "nothing before"

        for send in planned.values():
            await time_comes(desk, send)
        for chat_id, language in audience.items():
            got = desk.received(chat_id)
            for post in posts:
                assert count(got, post.title) == (1 if post.language == language else 0)
            assert not any("not available in your language" in html for html in got)

        # Nothing is planned twice: a poll with nothing new, a job run again.
        site.edit(posts[0].pid, title=posts[0].title + " (updated)")
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        assert await waiting(desk) == {}
        for send in planned.values():
            assert await desk.application.bot_data.editorial.start_planned(send.broadcast_id) == 0
        for chat_id in audience:
            assert len(desk.received(chat_id)) == 1, desk.received(chat_id)

        # The whole issue by hand now would repeat what went out by itself.
        await desk.press("Send now")
        answer = await desk.press("Yes, send now")
        assert "already went out by themselves" in answer[-1].text, [m.text for m in answer]
        await desk.scene.settle()
        for chat_id in audience:
            assert len(desk.received(chat_id)) == 1, desk.received(chat_id)


async def test_auto_mode_falls_back_after_the_wait_then_sends_the_late_version_with_a_note(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    audience = readers(3)
    belarusian = next(chat for chat, language in audience.items() if language == "be")
    await prepare_database(database, audience, newest_stored=False)
    open_private_chats(standin, audience)
    be, ru, en = commentary_posts(0, 900, datetime.now(UTC) - timedelta(hours=2))
    site.add(ru)
    site.add(en)
    async with newsroom(standin, database, feeds=auto_settings(site)) as desk:
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        planned = await waiting(desk)
        by_language = {language: send for (_, language), send in planned.items()}
        assert sorted(by_language) == ["be", "en", "ru"]
        assert timedelta(minutes=29) < ahead(by_language["ru"]) <= timedelta(minutes=30)
        assert timedelta(hours=23) < ahead(by_language["be"]) <= timedelta(hours=24)

        await time_comes(desk, by_language["ru"])
        await time_comes(desk, by_language["en"])
        assert desk.received(belarusian) == [], "no fallback before FALLBACK_AFTER"

        await time_comes(desk, by_language["be"])
        got = desk.received(belarusian)
        assert count(got, ru.title) == 1, got
        assert count(got, "Перакладу на вашу мову пакуль няма") == 1, got

        site.add(be)
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        late = await waiting(desk)
        assert [language for _, language in late] == ["be"]
        (send,) = late.values()
        assert send.phase is AutoPhase.LATE
        assert timedelta(minutes=29) < ahead(send) <= timedelta(minutes=30)
        await time_comes(desk, send)
        got = desk.received(belarusian)
        assert count(got, be.title) == 1, got
        late_message = next(html for html in got if be.title in html)
        assert "Беларуская" in late_message.split(be.title)[0], late_message

        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        assert await waiting(desk) == {}
        assert await desk.application.bot_data.editorial.start_planned(send.broadcast_id) == 0
        assert len(desk.received(belarusian)) == len(got), "never twice"
        for chat_id, language in audience.items():
            if language != "be":
                assert len(desk.received(chat_id)) == 1, desk.received(chat_id)


async def test_auto_mode_plans_survive_a_restart_and_editors_can_hold_them(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    audience = readers(3)
    await prepare_database(database, audience, newest_stored=False)
    open_private_chats(standin, audience)
    for post in commentary_posts(1, 800, datetime.now(UTC) - timedelta(hours=2)):
        site.add(post)
    async with newsroom(standin, database, feeds=auto_settings(site)) as desk:
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        planned = await waiting(desk)
        assert len(planned) == 3
    async with newsroom(standin, database, feeds=auto_settings(site)) as desk:
        assert await waiting(desk) == planned, "the plans are in the database"
        job_queue = desk.application.job_queue
        assert job_queue is not None
        for send in planned.values():
            assert len(job_queue.get_jobs_by_name(f"broadcast-{send.broadcast_id}")) == 1
        await desk.press("Hold")
        assert await waiting(desk) == {}
        assert await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED) == []
        for send in planned.values():
            assert await desk.application.bot_data.editorial.start_planned(send.broadcast_id) == 0
        await desk.scene.settle()
        assert all(desk.received(chat_id) == [] for chat_id in audience)


async def test_auto_mode_plans_a_post_once_the_editors_say_which_commentary_it_is(
    standin: BotApiStandIn, database: Path, site: FeedSite
) -> None:
    await prepare_database(database, readers(3), newest_stored=False)
    be, _, en = commentary_posts(0, 700, datetime.now(UTC) - timedelta(hours=2))
    be.translations, en.translations = {}, {}
    site.add(be)
    site.add(en)
    async with newsroom(standin, database, feeds=auto_settings(site)) as desk:
        await intake_of(desk).poll(force=True)
        await desk.scene.settle()
        planned = await waiting(desk)
        assert len({commentary for commentary, _ in planned}) == 1, "the undecided post waits"
        by_language = {language: send for (_, language), send in planned.items()}
        assert timedelta(minutes=29) < ahead(by_language["be"]) <= timedelta(minutes=30)
        assert timedelta(hours=23) < ahead(by_language["en"]) <= timedelta(hours=24)

        await desk.press("Same commentary as")
        after = {language: send for (_, language), send in (await waiting(desk)).items()}
        assert sorted(after) == ["be", "en", "ru"]
        assert after["en"].broadcast_id == by_language["en"].broadcast_id
        assert timedelta(minutes=29) < ahead(after["en"]) <= timedelta(minutes=30), "now due"
        assert timedelta(hours=23) < ahead(after["ru"]) <= timedelta(hours=24)
        job_queue = desk.application.job_queue
        assert job_queue is not None
        (job,) = job_queue.get_jobs_by_name(f"broadcast-{after['en'].broadcast_id}")
        assert job.next_t is not None and after["en"].scheduled_at is not None
        assert abs(job.next_t - after["en"].scheduled_at) < timedelta(seconds=2)
