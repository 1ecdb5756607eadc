"""End to end: the real bot polling the Bot API stand-in over HTTP, readers acting on it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.demo import BOT_USERNAME, DEMO_TOKEN, Scene, import_sample_content
from bot.newsletter.i18n import Catalogs
from bot.storage import ChatStatus, Store
from standin import BotApiStandIn, FloodLimits, utf16_len

READER_BE, READER_RU, READER_EN = 11, 12, 13
ADMIN, MEMBER = 21, 22
GROUP = -4001
CHANNEL = -1004002
EXPIRED = "This list has expired. Send the command again."


@pytest.fixture
async def database(engine_database: Path | str) -> Path | str:
    """The sample content, on each engine."""
    await import_sample_content(engine_database)
    return engine_database


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as server:
        server.add_user(READER_BE, "Be", language_code="be")
        server.add_user(READER_RU, "Ru", language_code="ru")
        server.add_user(READER_EN, "En", language_code="en-GB")
        server.add_group(GROUP, "Club", admins=[ADMIN], members=[MEMBER])
        server.add_channel(CHANNEL, "Digest", admins=[ADMIN], subscribers=[MEMBER])
        yield server


def settings_for(server: BotApiStandIn, database: Path | str) -> Settings:
    if isinstance(database, str):
        return Settings(token=DEMO_TOKEN, api_url=server.url, postgres_url=database)
    return Settings(token=DEMO_TOKEN, api_url=server.url, database_path=database)


@pytest.fixture
async def scene(standin: BotApiStandIn, database: Path | str) -> AsyncIterator[Scene]:
    async with running(build_application(settings_for(standin, database))) as application:
        yield Scene(standin, application, {}, lambda _: None)


async def chat_status(database: Path | str, chat_id: int) -> ChatStatus | None:
    async with await Store.open(database) as store:
        chat = await store.subscriptions.get(chat_id)
    return None if chat is None else chat.status


async def chat_language(database: Path | str, chat_id: int) -> str | None:
    async with await Store.open(database) as store:
        return await store.subscriptions.language(chat_id)


async def test_command_menus_are_set_per_language(
    scene: Scene, standin: BotApiStandIn, catalogs: Catalogs
) -> None:
    for language in ("be", "ru", "en"):
        commands = standin.commands(language_code=language)
        assert [c["command"] for c in commands][:2] == ["latest", "topics"]
        assert commands[0]["description"] == catalogs[language].gettext("The latest issue")
    assert standin.commands()  # the default menu for every other language


async def test_readers_subscribe_in_their_language_and_read_the_latest_issue(
    scene: Scene, standin: BotApiStandIn, database: Path | str, catalogs: Catalogs
) -> None:
    await scene.say(READER_BE, READER_BE, "/start")
    greeting = standin.messages(READER_BE)[-1]
    assert catalogs["be"].gettext("Choose your language to subscribe:") in greeting.text
    await scene.press_data(READER_BE, READER_BE, "sub:be")
    assert await chat_status(database, READER_BE) is ChatStatus.ACTIVE

    await scene.say(READER_BE, READER_BE, "/latest")
    issue = standin.messages(READER_BE)[-1]
    assert "21" in issue.text and "27" in issue.text  # the week of 21–27 September 2026
    assert "верасня" in issue.text
    read = [b["callback_data"] for b in issue.buttons]
    assert len(read) == 4
    # One commentary of that issue has no Belarusian version: the reader is told.
    assert "English" in issue.text or "Русский" in issue.text

    for data in read:
        before = len(standin.messages(READER_BE))
        await scene.press_data(READER_BE, READER_BE, data)
        parts = standin.messages(READER_BE)[before:]
        assert parts, data
        assert all(utf16_len(part.text) <= 4096 for part in parts)
    assert sum(standin.stats.errors.values()) == 0


async def test_long_commentary_arrives_whole_in_order_under_strict_flood_limits(
    scene: Scene, standin: BotApiStandIn
) -> None:
    standin.limits = FloodLimits(enabled=True, chat_burst=0)
    await scene.say(READER_EN, READER_EN, "/start sub_en")
    await scene.say(READER_EN, READER_EN, "/search emigration")
    result = standin.messages(READER_EN)[-1]
    assert result.buttons
    longest: list[str] = []
    for button in result.buttons:
        before = len(standin.messages(READER_EN))
        await scene.press_data(READER_EN, READER_EN, button["callback_data"])
        parts = [m.text for m in standin.messages(READER_EN)[before:]]
        longest = max(longest, parts, key=len)
    assert len(longest) >= 2, "the sample's long commentary must need several messages"
    assert all(len(part) <= 4096 for part in longest)


async def test_group_admins_only_and_migration_moves_the_subscription(
    scene: Scene, standin: BotApiStandIn, database: Path | str
) -> None:
    await scene.say(GROUP, MEMBER, f"/subscribe@{BOT_USERNAME}")
    assert "Only the administrators" in standin.messages(GROUP)[-1].text
    await scene.say(GROUP, ADMIN, f"/subscribe@{BOT_USERNAME}")
    answer = await scene.press_data(GROUP, MEMBER, "sub:en")
    assert answer is not None and "Only the administrators" in answer
    assert await chat_status(database, GROUP) is None
    await scene.press_data(GROUP, ADMIN, "sub:en")
    assert await chat_status(database, GROUP) is ChatStatus.ACTIVE

    new_id = standin.migrate_group(GROUP)
    await scene.settle()
    assert await chat_status(database, GROUP) is None
    assert await chat_status(database, new_id) is ChatStatus.ACTIVE
    await scene.say(new_id, ADMIN, f"/latest@{BOT_USERNAME}")
    assert standin.messages(new_id)


async def test_only_channel_admins_may_press_the_subscription_buttons(
    scene: Scene, standin: BotApiStandIn, database: Path | str, catalogs: Catalogs
) -> None:
    refusal = "Only the administrators of this chat can change its subscription."
    await scene.say(CHANNEL, ADMIN, "/subscribe")  # a channel post: the channel itself
    assert standin.messages(CHANNEL)[-1].buttons
    answer = await scene.press_data(CHANNEL, MEMBER, "sub:en")
    assert answer == refusal
    assert await chat_status(database, CHANNEL) is None
    await scene.press_data(CHANNEL, ADMIN, "sub:en")
    assert await chat_status(database, CHANNEL) is ChatStatus.ACTIVE

    await scene.say(CHANNEL, ADMIN, "/language")
    answer = await scene.press_data(CHANNEL, MEMBER, "lang:ru")
    assert answer == refusal
    assert await chat_language(database, CHANNEL) == "en"
    await scene.press_data(CHANNEL, ADMIN, "lang:ru")
    assert await chat_language(database, CHANNEL) == "ru"
    answer = await scene.press_data(CHANNEL, MEMBER, "tt:*", force=True)
    assert answer == catalogs["ru"].gettext(refusal)
    assert sum(standin.stats.errors.values()) == 0


async def test_blocked_or_removed_bot_pauses_the_subscription(
    scene: Scene, standin: BotApiStandIn, database: Path | str
) -> None:
    await scene.say(READER_RU, READER_RU, "/start sub_ru")
    standin.block_bot(READER_RU)
    await scene.settle()
    assert await chat_status(database, READER_RU) is ChatStatus.BLOCKED

    await scene.say(GROUP, ADMIN, "/start@" + BOT_USERNAME + " sub_ru")
    assert await chat_status(database, GROUP) is ChatStatus.ACTIVE
    standin.remove_bot_from_group(GROUP, by_user=ADMIN)
    await scene.settle()
    assert await chat_status(database, GROUP) is ChatStatus.BLOCKED


async def test_bad_input_gets_clear_answers(scene: Scene, standin: BotApiStandIn) -> None:
    await scene.say(READER_EN, READER_EN, "/start sub_en")
    await scene.say(READER_EN, READER_EN, "/frobnicate now")
    assert "I don't know the command /frobnicate" in standin.messages(READER_EN)[-1].text
    await scene.say(READER_EN, READER_EN, "/archive astrology")
    reply = standin.messages(READER_EN)[-1]
    assert "There is no topic called “astrology”" in reply.text and reply.buttons
    await scene.say(READER_EN, READER_EN, "/search")
    assert "/search energy" in standin.messages(READER_EN)[-1].text
    await scene.say(READER_EN, READER_EN, "/start topic_nope")
    assert "That link is not valid any more" in standin.messages(READER_EN)[-1].text
    for tampered in ("rd:999999", "ar:economy:500", "sr:77:0", "garbage", "sub:xx"):
        answer = await scene.press_data(READER_EN, READER_EN, tampered, force=True)
        assert answer == EXPIRED, tampered
    assert sum(standin.stats.errors.values()) == 0


async def test_archive_pages_navigate_and_survive_a_restart(
    standin: BotApiStandIn, database: Path | str
) -> None:
    settings = settings_for(standin, database)
    async with running(build_application(settings)) as application:
        scene = Scene(standin, application, {}, lambda _: None)
        await scene.say(READER_EN, READER_EN, "/start sub_en")
        await scene.say(READER_EN, READER_EN, "/search the")
        page = standin.messages(READER_EN)[-1]
        assert re.search(r"Page 1 of [2-9]", page.text), page.text
    # A new process: the same buttons keep working, the search was stored.
    async with running(build_application(settings)) as application:
        scene = Scene(standin, application, {}, lambda _: None)
        await scene.press_data(READER_EN, READER_EN, page.buttons[-1]["callback_data"])
        assert "Page 2 of" in standin.messages(READER_EN)[-1].text


async def test_a_stored_search_answers_only_the_chat_that_ran_it(
    scene: Scene, standin: BotApiStandIn, catalogs: Catalogs
) -> None:
    await scene.say(READER_EN, READER_EN, "/start sub_en")
    await scene.say(READER_EN, READER_EN, "/search the")
    page = standin.messages(READER_EN)[-1]
    following = page.buttons[-1]["callback_data"]
    search_id = following.split(":")[1]
    first_page = f"sr:{search_id}:0"

    await scene.say(READER_RU, READER_RU, "/start sub_ru")
    for data in (first_page, following, f"sr:{int(search_id) + 1}:0", f"sr:{search_id}:1"):
        answer = await scene.press_data(READER_RU, READER_RU, data, force=True)
        assert answer == catalogs["ru"].gettext(EXPIRED), data
    await scene.say(GROUP, ADMIN, f"/search@{BOT_USERNAME} the")
    answer = await scene.press_data(GROUP, MEMBER, first_page, force=True)
    assert answer == EXPIRED

    await scene.press_data(READER_EN, READER_EN, following)
    assert "Page 2 of" in standin.messages(READER_EN)[-1].text
    assert sum(standin.stats.errors.values()) == 0


async def test_commands_sent_while_the_bot_is_down_are_answered_after_restart(
    standin: BotApiStandIn, database: Path | str
) -> None:
    settings = settings_for(standin, database)
    async with running(build_application(settings)):
        pass
    standin.send_text(READER_RU, READER_RU, "/start sub_ru")
    standin.send_text(READER_EN, READER_EN, "/latest")
    standin.send_text(READER_BE, READER_BE, "/topics")
    async with running(build_application(settings)) as application:
        await Scene(standin, application, {}, lambda _: None).settle()
    assert await chat_status(database, READER_RU) is ChatStatus.ACTIVE
    assert standin.messages(READER_EN) and standin.messages(READER_BE)
    assert not standin.pending_updates()


async def test_replies_quote_long_input_cut_short(scene: Scene, standin: BotApiStandIn) -> None:
    await scene.say(READER_EN, READER_EN, "/start sub_en")
    words = ("xyzzy " * 700)[:4096]
    topic = ("astrology " * 500)[:4087]
    for text, answer in (
        (words, "Nothing found for “xyzzy"),
        ("/search " + "plugh " * 833, "Nothing found for “plugh"),
        ("/archive " + topic, "There is no topic called “astrology"),
        ("/" + "x" * 64, "I don't know the command /xxx"),
    ):
        before = len(standin.messages(READER_EN))
        await scene.say(READER_EN, READER_EN, text)
        replies = standin.messages(READER_EN)[before:]
        assert [answer in reply.text for reply in replies] == [True], replies
        assert "…" in replies[0].text or text.startswith("/x"), replies[0].text
        assert utf16_len(replies[0].text) < 400
    assert sum(standin.stats.errors.values()) == 0


async def test_pressing_a_button_whose_result_is_shown_is_answered_quietly(
    scene: Scene, standin: BotApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    await scene.say(READER_EN, READER_EN, "/start sub_en")
    await scene.say(READER_EN, READER_EN, "/search the")
    caplog.clear()
    caplog.set_level(logging.INFO)
    next_page = standin.messages(READER_EN)[-1].buttons[-1]["callback_data"]
    await scene.press_data(READER_EN, READER_EN, next_page)
    # All topics are chosen already; the second "next" arrives after the page turned.
    for data, stale in (("tt:*", False), (next_page, True)):
        before = len(standin.callback_answers())
        answer = await scene.press_data(READER_EN, READER_EN, data, force=stale)
        assert answer is None, data
        assert len(standin.callback_answers()) == before + 1, data
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert not any("went wrong" in m.text for m in standin.messages(READER_EN))
