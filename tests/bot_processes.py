"""Run `python -m bot run` as a separate process whose output goes to a log file."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.demo import BOT_USERNAME, DEMO_TOKEN
from standin import BotApiStandIn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_url(database: Path | str) -> str:
    """Return the DATABASE_URL of a SQLite file (a path) or a PostgreSQL database (a URL)."""
    return f"sqlite:///{database}" if isinstance(database, Path) else database


def bot_env(standin: BotApiStandIn, database: Path | str, **settings: str) -> dict[str, str]:
    """Return the environment of a bot talking to `standin` with the demo token."""
    return {
        "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
        "TELEGRAM_API_URL": standin.url,
        "DATABASE_URL": database_url(database),
        # Any free port: several bots (and other checkouts' tests) may run at once.
        "HEALTH_PORT": "0",
        **settings,
    }


@asynccontextmanager
async def bot_process(
    env: dict[str, str], log: Path, *arguments: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start `python -m bot run ARGUMENTS` with `env`, output appended to `log`; kill it after."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *arguments,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def exit_status(process: asyncio.subprocess.Process, timeout: float = 30) -> int:  # noqa: ASYNC109
    """Wait for the process to end by itself and return its exit status."""
    return await asyncio.wait_for(process.wait(), timeout=timeout)


def read_log(log: Path) -> str:
    """Return what the process wrote so far."""
    return log.read_text(encoding="utf-8", errors="replace")


async def stop(process: asyncio.subprocess.Process, log: Path) -> str:
    """Stop the process with SIGTERM, check it exited cleanly and return its output."""
    process.send_signal(signal.SIGTERM)
    status = await exit_status(process, timeout=20)
    output = read_log(log)
    assert status == 0, output[-3000:]
    return output


@asynccontextmanager
async def audience_standin(chats: int, editor: int) -> AsyncIterator[BotApiStandIn]:
    """Run a Bot API stand-in that knows the editor and readers 1..chats, all started."""
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(editor, "Editor", language_code="en", started=True)
        for chat_id in range(1, chats + 1):
            standin.add_user(chat_id, f"Reader {chat_id}", language_code=None, started=True)
        yield standin
