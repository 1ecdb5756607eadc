"""The bot token and the webhook secret never reach the log, whoever logs them and how."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.config import url_password
from bot.demo import BOT_USERNAME, DEMO_TOKEN, import_sample_content
from bot.operations import log_context
from bot.operations.log_context import ContextFilter
from bot.operations.logging_setup import LOG_FORMAT
from bot.operations.redaction import (
    MASK,
    JsonFormatter,
    RedactingFormatter,
    Redactor,
    secret_parts,
)
from standin import BotApiStandIn
from tests.bot_processes import ROOT, bot_env, bot_process, exit_status, read_log, stop

TOKEN = "4242424242:AAH-secret_part-of-the-token-0123456789"
SECRET_PART = TOKEN.partition(":")[2]
WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"
READER = 31


def reject(token: str) -> None:
    """Fail the way python-telegram-bot does when Telegram refuses a token."""
    raise RuntimeError(f"The token `{token}` was rejected by the server.")


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Give a child logger whose records reach a redacting handler on its parent."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    redactor = Redactor([*secret_parts(TOKEN), WEBHOOK_SECRET])
    handler.setFormatter(RedactingFormatter(LOG_FORMAT, redactor))
    parent = logging.getLogger("redaction-test")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    try:
        yield logging.getLogger("redaction-test.httpx"), output
    finally:
        parent.removeHandler(handler)


def test_the_formatter_masks_message_arguments_traceback_and_stack(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged
    try:
        reject(TOKEN)
    except RuntimeError:
        logger.exception("Calling https://api.example/bot%s/getMe", TOKEN, stack_info=True)
    logger.debug("The secret part %s and %s encoded", SECRET_PART, quote(TOKEN, safe=""))
    logger.warning("setWebhook with parameters {'secret_token': '%s'}", WEBHOOK_SECRET)

    text = output.getvalue()
    assert SECRET_PART not in text
    assert WEBHOOK_SECRET not in text
    assert "Traceback (most recent call last)" in text and "Stack (most recent call last)" in text
    assert f"The token `4242424242:{MASK}` was rejected" in text
    assert f"/bot4242424242:{MASK}/getMe" in text
    assert f"4242424242%3A{MASK} encoded" in text
    assert f"'secret_token': '{MASK}'" in text


def test_a_traceback_cached_raw_by_another_formatter_is_masked_too(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged
    try:
        reject(TOKEN)
    except RuntimeError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 0, "failed", (), sys.exc_info()
        )
    logging.Formatter().format(record)  # caches the raw traceback in record.exc_text
    assert record.exc_text is not None and SECRET_PART in record.exc_text
    logger.handle(record)
    assert SECRET_PART not in output.getvalue()


def test_an_uncaught_exception_is_logged_masked() -> None:
    script = (
        "from bot.operations.logging_setup import configure_logging\n"
        f"configure_logging(20, [{SECRET_PART!r}])\n"
        f"raise RuntimeError('The token `{TOKEN}` was rejected by the server.')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert SECRET_PART not in done.stdout + done.stderr
    assert "CRITICAL bot: Uncaught exception" in done.stderr
    assert f"4242424242:{MASK}" in done.stderr


def assert_no_secret(output: str, token: str) -> None:
    """Check that neither the token nor its secret part is anywhere in the output."""
    secret = token.partition(":")[2]
    assert token not in output
    assert secret not in output, output[output.index(secret) - 300 :][:600]


async def test_a_rejected_token_is_never_printed(tmp_path: Path) -> None:
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        env = bot_env(
            standin, tmp_path / "bot.sqlite3", TELEGRAM_BOT_TOKEN=TOKEN, LOG_LEVEL="DEBUG"
        )
        log = tmp_path / "bot.log"
        async with bot_process(env, log) as process:
            status = await exit_status(process)
        assert standin.stats.errors[401] >= 1
    output = read_log(log)
    assert_no_secret(output, TOKEN)
    assert status != 0
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output
    assert "DEBUG" in output  # LOG_LEVEL took effect


async def test_a_healthy_run_at_debug_never_prints_the_token(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="en")
        log = tmp_path / "bot.log"
        async with bot_process(bot_env(standin, database, LOG_LEVEL="DEBUG"), log) as process:
            standin.send_text(READER, READER, "/latest")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert "September 21" in reply.text
            output = await stop(process, log)
    assert "Set Bot API URL" in output and "getUpdates" in output
    assert_no_secret(output, DEMO_TOKEN)


def test_a_database_password_is_masked_like_the_token() -> None:
    url = "postgresql://bot:pa%3Ass@db1:5432,db2:5432/news?target_session_attrs=read-write"
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(RedactingFormatter(LOG_FORMAT, Redactor(url_password(url))))
    logger = logging.getLogger("redaction-test-database")
    logger.addHandler(handler)
    try:
        logger.error("Could not connect to %s: password %s refused", url, "pa:ss")
    finally:
        logger.removeHandler(handler)
    text = output.getvalue()
    assert "pa:ss" not in text and "pa%3Ass" not in text
    assert f"postgresql://bot:{MASK}@db1:5432,db2:5432/news" in text


def test_json_lines_are_masked_and_name_the_chat_and_broadcast() -> None:
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(JsonFormatter(Redactor([*secret_parts(TOKEN), WEBHOOK_SECRET])))
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("redaction-test-json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    chat = log_context.chat_id.set(31)
    try:
        try:
            reject(TOKEN)
        except RuntimeError:
            logger.exception('Calling /bot%s/getMe with "%s"', TOKEN, WEBHOOK_SECRET)
        logger.info("Sent", extra={"broadcast_id": 7})
    finally:
        log_context.chat_id.reset(chat)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in output.getvalue().splitlines())
    assert SECRET_PART not in output.getvalue() and WEBHOOK_SECRET not in output.getvalue()
    assert first["message"] == f'Calling /bot4242424242:{MASK}/getMe with "{MASK}"'
    assert f"The token `4242424242:{MASK}` was rejected" in first["exception"]
    assert first["chat_id"] == 31 and "broadcast_id" not in first
    assert second == {**second, "level": "INFO", "chat_id": 31, "broadcast_id": 7}
