"""Shared fixtures: a real SQLite file per test, the compiled catalogs, the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.demo import BOT_USERNAME, DEMO_TOKEN
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from standin import BotApiStandIn


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Open a fresh database file for one test."""
    async with await Store.open(tmp_path / "bot.sqlite3") as opened:
        yield opened


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    """Compile the real catalogs once."""
    return Catalogs.load()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Return where a test's database file goes (not created yet)."""
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """Serve the local Bot API stand-in over HTTP for one test."""
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as server:
        yield server
