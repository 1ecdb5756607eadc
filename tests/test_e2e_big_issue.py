"""End to end: an issue too big for one keyboard, read over HTTP on the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.demo import BOT_USERNAME, DEMO_TOKEN, Scene
from bot.storage import Store
from standin import BotApiStandIn, SentMessage
from tests.factories import issue

READER = 31
COMMENTARIES = 240
TOPICS = 130
MAX_BUTTONS = 100


@pytest.fixture
async def scene(tmp_path: Path) -> AsyncIterator[tuple[Scene, BotApiStandIn]]:
    database = tmp_path / "bot.sqlite3"
    items = [(f"c-{n}", f"topic-{n % TOPICS:03d}", f"Title {n + 1}") for n in range(COMMENTARIES)]
    async with await Store.open(database) as store:
        await store.archive.save_issues([issue(date(2026, 9, 7), "en", items)], publish=True)
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="en")
        settings = Settings(token=DEMO_TOKEN, api_url=standin.url, database_path=database)
        async with running(build_application(settings)) as application:
            yield Scene(standin, application, {}, lambda _: None), standin


async def say(scene: Scene, standin: BotApiStandIn, text: str) -> list[SentMessage]:
    before = len(standin.messages(READER))
    await scene.say(READER, READER, text)
    return standin.messages(READER)[before:]


async def test_latest_gives_every_commentary_a_button_under_100_per_message(
    scene: tuple[Scene, BotApiStandIn],
) -> None:
    play, standin = scene
    parts = await say(play, standin, "/latest")
    assert len(parts) >= 3
    assert all(0 < len(part.buttons) <= MAX_BUTTONS for part in parts)
    labels = [button["text"] for part in parts for button in part.buttons]
    assert labels == [f"{n}. Title {n}" for n in range(1, COMMENTARIES + 1)]
    for part in parts:  # each message carries the buttons of the titles it lists
        assert all(f"<b>{b['text']}</b>" in part.html for b in part.buttons)
    assert sum(standin.stats.errors.values()) == 0


async def test_topic_keyboards_are_paged(scene: tuple[Scene, BotApiStandIn]) -> None:
    play, standin = scene
    (picker,) = await say(play, standin, "/start sub_en")

    def topic_labels(message: SentMessage) -> list[str]:
        return [b["text"] for b in message.buttons if "Topic" in b["text"]]

    first = topic_labels(picker)
    assert first and len(picker.buttons) <= MAX_BUTTONS
    await play.press(READER, READER, "▶️")
    second = topic_labels(picker)
    assert second and not set(second) & set(first)
    # A topic chosen on the second page keeps the picker on that page.
    await play.press(READER, READER, second[0])
    assert topic_labels(picker) == [second[0].replace("▫️", "✅"), *second[1:]]

    for command in ("/topics", "/archive"):
        *_, listing = await say(play, standin, command)
        seen = set(topic_labels(listing))
        while any(b["text"] == "▶️" for b in listing.buttons):
            assert len(listing.buttons) <= MAX_BUTTONS
            await play.press(READER, READER, "▶️")
            seen |= set(topic_labels(listing))
        assert len(seen) == TOPICS, command
    assert sum(standin.stats.errors.values()) == 0
