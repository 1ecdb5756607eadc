"""Settings from the environment: defaults, and one clear message per problem."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import SendLimits, load_settings, mask_url_password, url_password
from bot.errors import ConfigError


def test_defaults_need_nothing() -> None:
    settings = load_settings({})
    assert settings.token is None
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.default_language == "en"
    assert str(settings.timezone) == "UTC"
    assert settings.editor_ids == frozenset()


def test_values_are_parsed() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123:AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "DATABASE_URL": "sqlite:////var/lib/bot/bot.sqlite3",
            "EDITOR_IDS": "1, 22 ,333",
            "DEFAULT_LANGUAGE": "BE",
            "TIMEZONE": "Europe/Minsk",
            "WEBHOOK_URL": "https://bot.example.org/hook/path",
        }
    )
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.database_path == Path("/var/lib/bot/bot.sqlite3")
    assert settings.editor_ids == frozenset({1, 22, 333})
    assert settings.default_language == "be"
    assert settings.webhook_path == "hook/path"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "TELEGRAM_BOT_TOKEN": "nope",
                "TELEGRAM_API_URL": "ftp://x",
                "DATABASE_URL": "mysql://db",
                "EDITOR_IDS": "1,abc",
                "DEFAULT_LANGUAGE": "de",
                "TIMEZONE": "Mars/Olympus",
                "WEBHOOK_URL": "http://insecure",
                "WEBHOOK_PORT": "99999",
            }
        )
    problems = caught.value.problems
    assert len(problems) == 8
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DATABASE_URL",
        "EDITOR_IDS",
        "DEFAULT_LANGUAGE",
        "TIMEZONE",
        "WEBHOOK_URL",
        "WEBHOOK_PORT",
    ):
        assert sum(problem.startswith(name) for problem in problems) == 1, name


def test_send_limits_and_weekly_slot() -> None:
    settings = load_settings(
        {
            "SEND_RATE_PER_SECOND": "25",
            "SEND_RATE_PER_CHAT": "0.5",
            "SEND_RATE_PER_GROUP_MINUTE": "10",
            "SEND_BURST_PER_CHAT": "5",
            "PAID_BROADCAST": "true",
            "SEND_CONCURRENCY": "8",
            "SEND_INTERACTIVE_SHARE": "0.25",
            "BROADCAST_SLOT": "Thu 18:30",
        }
    )
    limits = settings.send_limits
    assert (limits.per_second, limits.per_chat_per_second, limits.per_group_per_minute) == (
        25,
        0.5,
        10,
    )
    assert limits.burst_per_chat == 5 and SendLimits().burst_per_chat == 3
    assert limits.paid and settings.send_concurrency == 8
    assert limits.interactive_share == 0.25 and SendLimits().interactive_share == 0.45
    assert settings.weekly_slot is not None
    assert (settings.weekly_slot.weekday, settings.weekly_slot.hour) == (3, 18)


def test_bad_send_settings_are_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "SEND_RATE_PER_SECOND": "-1",
                "BROADCAST_SLOT": "someday",
                "SEND_INTERACTIVE_SHARE": "2",
            }
        )
    assert len(caught.value.problems) == 3


def test_log_level_defaults_to_info_and_accepts_the_four_levels() -> None:
    assert load_settings({}).log_level == logging.INFO
    assert load_settings({"LOG_LEVEL": "debug"}).log_level == logging.DEBUG
    assert load_settings({"LOG_LEVEL": "ERROR"}).log_level == logging.ERROR


def test_an_unknown_log_level_is_one_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"LOG_LEVEL": "verbose"})
    assert caught.value.problems == [
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR (got 'verbose')"
    ]


@pytest.mark.parametrize("secret", ["has space", "semi;colon", "x" * 257])
def test_a_webhook_secret_outside_telegrams_alphabet_or_length_is_refused(secret: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"WEBHOOK_SECRET": secret})
    (problem,) = caught.value.problems
    assert problem.startswith("WEBHOOK_SECRET")
    assert secret not in problem


def test_database_url_names_postgresql_with_its_failover_hosts() -> None:
    url = (
        "postgresql://bot:s3cr%2Ft@db1.internal:5432,db2.internal:5432/newsletter"
        "?target_session_attrs=read-write"
    )
    settings = load_settings({"DATABASE_URL": url, "DATABASE_POOL_SIZE": "4"})
    assert settings.postgres_url == url
    assert settings.database == url
    assert settings.database_pool_size == 4
    assert url_password(url) == ["s3cr/t"]
    assert "s3cr" not in mask_url_password(url)
    assert load_settings({"DATABASE_URL": "postgres://db/x"}).database == "postgres://db/x"
    assert load_settings({}).database == Path("data/bot.sqlite3")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u:hunter2@db/x", "sqlite:///"),
        ("postgresql:///x", "no host"),
        ("postgresql://db/x?target_session_attrs=sometimes", "target_session_attrs"),
    ],
)
def test_other_database_urls_are_configuration_errors(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": url})
    (problem,) = caught.value.problems
    assert problem.startswith("DATABASE_URL") and says in problem
    assert "hunter2" not in problem


def test_the_http_client_is_aiohttp_unless_told_otherwise() -> None:
    assert load_settings({}).http_client == "aiohttp"
    assert load_settings({"HTTP_CLIENT": " HTTPX "}).http_client == "httpx"
    with pytest.raises(ConfigError) as caught:
        load_settings({"HTTP_CLIENT": "curl"})
    assert caught.value.problems == ["HTTP_CLIENT must be one of aiohttp, httpx (got 'curl')"]
