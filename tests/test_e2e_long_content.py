"""End to end: titles at their length limit and links written as IRIs, read over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.demo import BOT_USERNAME, DEMO_TOKEN, Scene
from bot.interface.keyboards import TITLE_LIMIT
from bot.newsletter.importer import MAX_LENGTHS, read_issue_files
from bot.storage import Store
from standin import BotApiStandIn, SentMessage, utf16_len

READER: Final = 31
COMMENTARIES: Final = 6
LINK: Final = 'https://example.org/be/пошук?q=a&b="c"'
LINK_URI: Final = "https://example.org/be/%D0%BF%D0%BE%D1%88%D1%83%D0%BA?q=a&b=%22c%22"
BODY_LINK: Final = "https://наша-ніва.бел/навіны/100%?a=1"
BODY_LINK_URI: Final = (
    "https://xn----7sbabj6dd9f8f.xn--90ais/%D0%BD%D0%B0%D0%B2%D1%96%D0%BD%D1%8B/100%25?a=1"
)


def long_title(number: int) -> str:
    """Return a title of exactly the longest allowed length, with astral characters in it."""
    start = f"Даўгаватая назва {number} 🇧🇾 пра тарыфы "
    filler = "і яшчэ адна фраза пра эканоміку 📈 "
    title = (start + filler * 40)[: MAX_LENGTHS["title"] - 3].rstrip() + " Ω!"
    return title.ljust(MAX_LENGTHS["title"], "!")


def issue_file() -> str:
    """Return one Belarusian issue of long-titled commentaries, all in one topic."""
    parts = ["---\nweek-start: 2026-10-05\nweek-end: 2026-10-11\nlanguage: be\n---\n"]
    for number in range(1, COMMENTARIES + 1):
        parts.append(
            f"# {long_title(number)}\n"
            f"key: long-{number}\n"
            "topic: economy\n"
            "topic-name: Эканоміка\n"
            f"kicker: {'К' * MAX_LENGTHS['kicker']}\n"
            f"author: {'А' * MAX_LENGTHS['author']}\n"
            f"link: {LINK}\n\n"
            f"Лід {number}: тарыфы растуць.\n\n"
            f"Падрабязнасці [на сайце]({BODY_LINK}).\n"
        )
    return "\n".join(parts)


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    source = tmp_path / "issue-2026-10-05.be.md"
    source.write_text(issue_file(), encoding="utf-8")
    path = tmp_path / "bot.sqlite3"
    async with await Store.open(path) as store:
        await store.archive.save_issues(read_issue_files([source]), publish=True)
    return path


@pytest.fixture
async def scene(database: Path) -> AsyncIterator[Scene]:
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="be", started=True)
        settings = Settings(token=DEMO_TOKEN, api_url=standin.url, database_path=database)
        async with running(build_application(settings)) as application:
            scene = Scene(standin, application, {}, lambda _: None)
            await scene.say(READER, READER, "/start sub_be")
            yield scene


async def said(scene: Scene, text: str) -> list[SentMessage]:
    before = len(scene.standin.messages(READER))
    await scene.say(READER, READER, text)
    return scene.standin.messages(READER)[before:]


async def pressed(scene: Scene, data: str) -> list[SentMessage]:
    before = len(scene.standin.messages(READER))
    await scene.press_data(READER, READER, data)
    messages = scene.standin.messages(READER)
    return messages[before:] or [messages[-1]]  # a page button edits its message


def assert_fits(messages: list[SentMessage]) -> None:
    assert messages
    for message in messages:
        assert utf16_len(message.text) <= 4096
        for button in message.buttons:
            assert len(button["text"]) <= TITLE_LIMIT + len(f"{COMMENTARIES}. ")
            assert len(button["callback_data"].encode()) <= 64


def links(messages: list[SentMessage]) -> list[str]:
    return [e["url"] for m in messages for e in m.entities if e["type"] == "text_link"]


async def test_latest_and_each_commentary_show_the_whole_title(scene: Scene) -> None:
    latest = await said(scene, "/latest")
    assert_fits(latest)
    shown = "\n".join(m.text for m in latest)
    assert all(long_title(n) in shown for n in range(1, COMMENTARIES + 1))
    # A long issue comes in several messages, each with the buttons of the titles it lists.
    read = [b["callback_data"] for message in latest for b in message.buttons]
    assert len(read) == COMMENTARIES

    for number, data in enumerate(read, start=1):
        parts = await pressed(scene, data)
        assert_fits(parts)
        assert long_title(number) in parts[0].text
        assert links(parts) == [BODY_LINK_URI, LINK_URI]
    assert sum(scene.standin.stats.errors.values()) == 0


@pytest.mark.parametrize("command", ["/archive economy", "/search тарыфы"])
async def test_pages_of_long_titles_fit_with_every_entry(scene: Scene, command: str) -> None:
    first = await said(scene, command)
    assert_fits(first)
    page = first[-1]
    assert "Старонка 1 з 2" in page.text, page.text
    assert all(f"\n{n}. Даўгаватая назва {n} 🇧🇾" in page.text for n in range(1, 6))
    assert "…" in page.text and long_title(1) not in page.text
    rows = page.reply_markup["inline_keyboard"] if page.reply_markup else []
    *read, (following,) = [[b["callback_data"] for b in row] for row in rows]
    assert len(read) == 5

    second = await pressed(scene, following)
    assert_fits(second)
    assert "\n1. Даўгаватая назва 6 🇧🇾" in second[-1].text
    assert sum(scene.standin.stats.errors.values()) == 0
