"""Shared fixtures: a real database per test on each engine, the compiled catalogs, the
Bot API stand-in.

Tests that take `store` or `engine_database` run twice: on a SQLite file and on a
PostgreSQL database of a throwaway server (see `tests.postgres_server`). Without a server
the PostgreSQL runs are skipped with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.demo import BOT_USERNAME, DEMO_TOKEN
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from standin import BotApiStandIn
from tests.postgres_server import PostgresServer, ServerUnavailable

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start (or connect to) the session's PostgreSQL server; skip, or fail in CI, without."""
    try:
        server = PostgresServer.from_environment()
    except ServerUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs PostgreSQL: {exc}")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
async def engine_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Path | str]:
    """Return a fresh, empty database for one test: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield tmp_path / "bot.sqlite3"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.create_database()
    try:
        yield url
    finally:
        await server.drop_database(url)


@pytest.fixture
async def store(engine_database: Path | str) -> AsyncIterator[Store]:
    """Open a fresh database for one test, on each engine."""
    async with await Store.open(engine_database) as opened:
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
