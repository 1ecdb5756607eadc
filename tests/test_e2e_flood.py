"""End to end: replies, edits and broadcasts draw no 429 under Telegram's flood limits.

The stand-in enforces 30 messages a second overall, and per chat a burst of 3 then one a
second (edits included); it counts every refusal. The bot runs with its default limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.config import SendLimits, Settings
from bot.demo import BOT_USERNAME, DEMO_TOKEN, Scene, import_sample_content
from standin import BotApiStandIn, FloodLimits
from tests.newsroom import EDITOR, newsroom, open_private_chats, prepare_database, readers

TELEGRAM = FloodLimits(enabled=True, chat_burst=3)
READER = 41


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as server:
        yield server


async def sample_scene(standin: BotApiStandIn, tmp_path: Path) -> AsyncIterator[Scene]:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    settings = Settings(token=DEMO_TOKEN, api_url=standin.url, database_path=database)
    async with running(build_application(settings)) as application:
        yield Scene(standin, application, {}, lambda _: None)


@pytest.fixture
async def scene(standin: BotApiStandIn, tmp_path: Path) -> AsyncIterator[Scene]:
    async for played in sample_scene(standin, tmp_path):
        yield played


async def test_a_reader_reading_every_commentary_at_once_draws_no_429(
    scene: Scene, standin: BotApiStandIn
) -> None:
    standin.add_user(READER, "Reader", language_code="en")
    standin.limits = TELEGRAM
    await scene.say(READER, READER, "/start sub_en")
    await scene.say(READER, READER, "/latest")
    await scene.say(READER, READER, "/search emigration")
    lists = standin.messages(READER)[-2:]
    before = len(standin.messages(READER))
    # Every commentary asked for at once: the replies, some in parts, must wait their turn.
    for message in lists:
        for button in message.buttons:
            standin.press_button(READER, READER, message.message_id, button["callback_data"])
    await scene.settle(timeout=60)
    wanted = sum(len(message.buttons) for message in lists)
    assert len(standin.messages(READER)) - before > wanted >= 5, "one reply must be in parts"
    assert standin.limiter.refused == 0, standin.limiter.refused_by_chat


async def test_500_readers_starting_and_asking_for_the_latest_issue_draw_no_429(
    scene: Scene, standin: BotApiStandIn
) -> None:
    audience = readers(500)
    open_private_chats(standin, audience)
    standin.limits = TELEGRAM
    for chat_id in audience:
        standin.send_text(chat_id, chat_id, "/start")
        standin.send_text(chat_id, chat_id, "/latest")
    await scene.settle(timeout=120)
    assert all(len(standin.messages(chat_id)) == 2 for chat_id in audience)
    assert standin.limiter.refused == 0, standin.limiter.refused_by_chat


async def test_the_editors_chat_gets_the_broadcast_progress_and_replies_without_429(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    audience = {**readers(30), EDITOR: "en"}
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    async with newsroom(standin, database, limits=SendLimits()) as desk:
        standin.limits = TELEGRAM
        broadcast = await desk.send_newest()
        # While the broadcast sends the editor the issue and edits its progress there,
        # the editor keeps asking for things.
        for command in ("/latest", "/scheduled", "/latest", "/help"):
            await desk.say(command)
        broadcast = await desk.finish(broadcast.id, timeout=90)
        assert desk.progress_message(broadcast).text.startswith("Delivered")
        expected = await desk.expected_html(broadcast.id)
        assert all(desk.received(chat) == expected[lang] for chat, lang in readers(30).items())
    assert standin.limiter.refused == 0, standin.limiter.refused_by_chat
