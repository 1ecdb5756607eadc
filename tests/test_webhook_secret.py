"""Only Telegram may post updates to the webhook: every request must carry the secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo import BOT_USERNAME, DEMO_TOKEN, import_sample_content
from bot.operations.webhook_guard import generate_webhook_secret
from standin import BotApiStandIn
from standin.webhook import SECRET_HEADER
from tests.bot_processes import bot_env, bot_process, free_port, stop

READER = 31
EDITOR = 77


def forged_stats_command(update_id: int) -> dict[str, Any]:
    """Return an update in which the editor seems to send /stats."""
    editor = {"id": EDITOR, "is_bot": False, "first_name": "Editor", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": EDITOR, "type": "private", "first_name": "Editor"},
            "from": editor,
            "text": "/stats",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def post(url: str, update: dict[str, Any], headers: dict[str, str]) -> int:
    """POST an update straight to the bot's webhook and return the HTTP status."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as response,
    ):
        return response.status


def test_a_generated_secret_fits_telegrams_alphabet_and_is_long() -> None:
    secrets = {generate_webhook_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret) for secret in secrets)


@pytest.mark.parametrize("log_level", ["INFO", "DEBUG"])
async def test_forged_webhook_requests_are_refused_and_logged(
    tmp_path: Path, log_level: str
) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram"
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="en")
        standin.add_user(EDITOR, "Editor", language_code="en")
        env = bot_env(
            standin,
            database,
            EDITOR_IDS=str(EDITOR),
            WEBHOOK_URL=webhook,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            LOG_LEVEL=log_level,
        )  # no WEBHOOK_SECRET: the bot makes one up
        log = tmp_path / "bot.log"
        async with bot_process(env, log) as process:
            standin.send_text(READER, READER, "/start")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert reply.buttons
            assert standin.webhook is not None
            secret = standin.webhook.secret_token
            assert secret and re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)

            assert await post(webhook, forged_stats_command(900_001), {}) == 403
            wrong = {SECRET_HEADER: "guessed-secret"}
            assert await post(webhook, forged_stats_command(900_002), wrong) == 403
            # A genuine /stats from the editor, pushed by the stand-in with the secret,
            # is answered: the forged ones would have been, had they been let in.
            assert standin.messages(EDITOR) == []
            standin.send_text(EDITOR, EDITOR, "/stats")
            (stats,) = await standin.wait_for(1, chat_id=EDITOR, timeout=30)
            assert "Subscribers" in stats.text
            output = await stop(process, log)
    refusals = [line for line in output.splitlines() if "Refused a webhook request" in line]
    assert len(refusals) == 2, output[-3000:]
    assert all(" WARNING " in line and "127.0.0.1" in line for line in refusals)
    assert "did not include the secret token" in refusals[0]
    assert "wrong secret token" in refusals[1]
    assert secret not in output
    assert DEMO_TOKEN.partition(":")[2] not in output
