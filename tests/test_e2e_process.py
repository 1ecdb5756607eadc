"""End to end with `python -m bot run` as a separate process: polling, webhook, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.demo import BOT_USERNAME, DEMO_TOKEN, import_sample_content
from standin import BotApiStandIn
from tests.bot_processes import ROOT, free_port

READER = 31


@asynccontextmanager
async def bot_process(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_polling_process_answers_and_stops_cleanly(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="en")
        env = {
            "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
            "TELEGRAM_API_URL": standin.url,
            "DATABASE_URL": f"sqlite:///{database}",
        }
        async with bot_process(env) as process:
            standin.send_text(READER, READER, "/latest")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert "September 21" in reply.text
            log = await stop(process)
    assert "Receiving updates by polling" in log


async def test_webhook_process_checks_the_secret_and_answers(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    port = free_port()
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="ru")
        env = {
            "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
            "TELEGRAM_API_URL": standin.url,
            "DATABASE_URL": f"sqlite:///{database}",
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": "s3cret-token",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
        }
        async with bot_process(env) as process:
            await standin.wait_for(lambda: standin.webhook is not None, timeout=30)
            assert standin.webhook is not None
            assert standin.webhook.secret_token == "s3cret-token"
            standin.send_text(READER, READER, "/start")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert reply.buttons
            await stop(process)


async def test_bad_configuration_exits_with_one_line_per_problem(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "nonsense", "DEFAULT_LANGUAGE": "de"}
    async with bot_process(env) as process:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = output.decode().strip().splitlines()
    assert process.returncode == 2
    assert (
        lines == [line for line in lines if line.startswith("configuration error: ")]
        and len(lines) == 2
    )
