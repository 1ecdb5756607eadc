"""Shared fixtures: a real SQLite file per test and the compiled catalogs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import Catalogs
from bot.storage import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Open a fresh database file for one test."""
    async with await Store.open(tmp_path / "bot.sqlite3") as opened:
        yield opened


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    """Compile the real catalogs once."""
    return Catalogs.load()
