"""End to end with `python -m bot run` as a separate process: polling, webhook, shutdown."""

from __future__ import annotations

from pathlib import Path

from bot.demo import BOT_USERNAME, DEMO_TOKEN, import_sample_content
from standin import BotApiStandIn
from tests.bot_processes import bot_env, bot_process, exit_status, free_port, read_log, stop

READER = 31


async def test_polling_process_answers_and_stops_cleanly(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="en")
        log = tmp_path / "bot.log"
        async with bot_process(bot_env(standin, database), log) as process:
            standin.send_text(READER, READER, "/latest")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert "September 21" in reply.text
            output = await stop(process, log)
    assert "Receiving updates by polling" in output


async def test_webhook_process_checks_the_secret_and_answers(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await import_sample_content(database)
    port = free_port()
    async with BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME) as standin:
        standin.add_user(READER, "Reader", language_code="ru")
        env = bot_env(
            standin,
            database,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            WEBHOOK_SECRET="s3cret-token",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        log = tmp_path / "bot.log"
        async with bot_process(env, log) as process:
            await standin.wait_for(lambda: standin.webhook is not None, timeout=30)
            assert standin.webhook is not None
            assert standin.webhook.secret_token == "s3cret-token"
            standin.send_text(READER, READER, "/start")
            (reply,) = await standin.wait_for(1, chat_id=READER, timeout=30)
            assert reply.buttons
            await stop(process, log)


async def test_bad_configuration_exits_with_one_line_per_problem(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "nonsense", "DEFAULT_LANGUAGE": "de"}
    log = tmp_path / "bot.log"
    async with bot_process(env, log) as process:
        status = await exit_status(process)
    lines = read_log(log).strip().splitlines()
    assert status == 2
    assert (
        lines == [line for line in lines if line.startswith("configuration error: ")]
        and len(lines) == 2
    )


async def test_without_a_token_require_token_exits_with_one_line_instead_of_the_demo(
    tmp_path: Path,
) -> None:
    log = tmp_path / "bot.log"
    async with bot_process(
        {"TELEGRAM_BOT_TOKEN": "", "HEALTH_PORT": "off"}, log, "--require-token"
    ) as process:
        status = await exit_status(process)
    lines = read_log(log).strip().splitlines()
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith(
        "configuration error: TELEGRAM_BOT_TOKEN is not set"
    )
