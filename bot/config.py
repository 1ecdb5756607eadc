"""Settings from the environment, validated at startup with one clear message per problem."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypedDict
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.feeds.settings import FeedSettings, load_feed_settings
from bot.newsletter.content import LANGUAGES

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///data/bot.sqlite3"
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""Telegram's alphabet and length for `secret_token`."""
LOG_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}
"""The accepted LOG_LEVEL values."""


HTTP_CLIENTS: Final = ("aiohttp", "httpx")
"""The HTTP layers Bot API calls can go through: the bot's own on aiohttp, or
python-telegram-bot's default on httpx."""


MARGIN: Final = 0.97
"""Share of each limit the bot uses; the rest absorbs latency jitter."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendLimits:
    """Telegram's limits for one bot (the Bot FAQ's figures by default)."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    burst_per_chat: int = 3
    """Messages a private chat may get at once before `per_chat_per_second` applies."""
    paid: bool = False
    """Paid broadcasts (`allow_paid_broadcast`): up to 1000 messages per second overall."""
    interactive_share: float = 0.45
    """Most of the overall rate replies and edits take while broadcast sends wait."""

    @property
    def overall_rate(self) -> float:
        """Return the overall sends per second the bot allows itself."""
        return (1000.0 if self.paid else self.per_second) * MARGIN

    @property
    def window(self) -> int:
        """Return the sends Telegram accepts in any one second (arrivals, not starts)."""
        return int(1000.0 if self.paid else self.per_second)

    def chat_interval(self, chat_id: int | str) -> float:
        """Return the least time between two sends to one chat once its burst is used.

        Groups and channels have negative ids (or an @username, for channels).
        """
        if isinstance(chat_id, str) or chat_id < 0:
            return 60.0 / (self.per_group_per_minute * MARGIN)
        return 1.0 / (self.per_chat_per_second * MARGIN)

    def chat_burst(self, chat_id: int | str) -> int:
        """Return how many sends one chat may get at once: groups and channels get none."""
        if isinstance(chat_id, str) or chat_id < 0:
            return 1
        return max(1, self.burst_per_chat)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """The usual time of the week an issue goes out, in the configured time zone."""

    weekday: int
    """Monday is 0."""
    hour: int
    minute: int


def parse_weekly_slot(text: str) -> WeeklySlot:
    """Parse 'mon 09:00' into a weekly slot; raise ValueError if it is not one."""
    match = re.fullmatch(r"(\w{3})\s+(\d{1,2}):(\d{2})", text.strip().lower())
    if not match or match[1] not in _DAYS or int(match[2]) > 23 or int(match[3]) > 59:
        raise ValueError(f"BROADCAST_SLOT must look like 'mon 09:00' (got {text!r})")
    return WeeklySlot(_DAYS.index(match[1]), int(match[2]), int(match[3]))


def _positive_number(
    env: Mapping[str, str], name: str, default: float, problems: list[str]
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        problems.append(f"{name} must be a positive number (got {raw!r})")
        return default
    return value


def _share(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    value = _positive_number(env, name, default, problems)
    if value > 1:
        problems.append(f"{name} must be a share between 0 and 1 (got {value:g})")
        return default
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Validated settings of one bot process."""

    token: str | None
    api_url: str = DEFAULT_API_URL
    database_path: Path = Path("data/bot.sqlite3")
    postgres_url: str | None = None
    """A PostgreSQL URL from DATABASE_URL; None means the SQLite file `database_path`."""
    database_pool_size: int = 10
    """Connections the PostgreSQL pool keeps open at most."""
    editor_ids: frozenset[int] = field(default_factory=frozenset)
    default_language: str = "en"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    send_limits: SendLimits = field(default_factory=SendLimits)
    send_concurrency: int = 16
    weekly_slot: WeeklySlot | None = None
    log_level: int = logging.INFO
    feeds: FeedSettings = field(default_factory=FeedSettings)
    log_json: bool = False
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    """The operators' health and metrics server; None runs none (load_settings says 8080)."""
    alert_chat_id: int | None = None
    backup_dir: Path | None = None
    backup_keep: int = 7
    http_client: str = HTTP_CLIENTS[0]
    """One of `HTTP_CLIENTS`."""

    @property
    def database(self) -> Path | str:
        """Return what `Store.open` takes: the SQLite file, or the PostgreSQL URL."""
        return self.postgres_url or self.database_path

    @property
    def base_url(self) -> str:
        """Return the Bot API method root python-telegram-bot appends the token to."""
        return f"{self.api_url}/bot"

    @property
    def webhook_path(self) -> str:
        """Return the URL path the webhook server listens on."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")

    @property
    def base_file_url(self) -> str:
        """Return the Bot API file root python-telegram-bot appends the token to."""
        return f"{self.api_url}/file/bot"


_POSTGRES_SCHEMES: Final = ("postgresql", "postgres")
_SESSION_ATTRS: Final = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")


def parse_database_url(url: str) -> Path | str:
    """Return the SQLite file of a `sqlite:///relative` or `sqlite:////absolute` URL, or a
    PostgreSQL URL (`postgresql://user:password@host:port/dbname`, libpq's multi-host
    form `host1:5432,host2:5432` and `?target_session_attrs=read-write` included) as given.
    """
    scheme = url.partition("://")[0].lower()
    if scheme in _POSTGRES_SCHEMES:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if not parts.netloc.rpartition("@")[2] and "host" not in query:
            raise ValueError("DATABASE_URL names PostgreSQL but no host (postgresql://host/db)")
        for attrs in query.get("target_session_attrs", []):
            if attrs not in _SESSION_ATTRS:
                raise ValueError(
                    f"DATABASE_URL has target_session_attrs={attrs!r}; "
                    f"expected one of {', '.join(_SESSION_ATTRS)}"
                )
        return url
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(
            "DATABASE_URL must look like sqlite:///data/bot.sqlite3 or "
            f"postgresql://user:password@host:5432/dbname (got {mask_url_password(url)!r})"
        )
    return Path(url[len(prefix) :])


def url_password(url: str | None) -> list[str]:
    """Return the passwords a database URL holds (in its user part or its query), if any."""
    if not url:
        return []
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    found = [unquote(userinfo.partition(":")[2])] if ":" in userinfo else []
    found += parse_qs(parts.query).get("password", [])
    return [password for password in found if password]


def mask_url_password(url: str) -> str:
    """Return a database URL fit to show: its passwords replaced by ***."""
    for password in url_password(url):
        url = url.replace(quote(password, safe=""), "***").replace(password, "***")
    return url


def _database(env: Mapping[str, str], problems: list[str]) -> tuple[Path, str | None]:
    """Return the SQLite file and the PostgreSQL URL (None for SQLite) DATABASE_URL names."""
    try:
        database = parse_database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL).strip())
    except ValueError as exc:
        problems.append(str(exc))
        return Path("data/bot.sqlite3"), None
    if isinstance(database, Path):
        return database, None
    return Path("data/bot.sqlite3"), database


def _is_webhook_url(url: str) -> bool:
    """Accept https, and plain http only on the loopback (a local Bot API server)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.netloc)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _editor_ids(raw: str, problems: list[str]) -> set[int]:
    ids: set[int] = set()
    for item in (part.strip() for part in raw.split(",")):
        if item.lstrip("-").isdigit():
            ids.add(int(item))
        elif item:
            problems.append(f"EDITOR_IDS must be comma-separated Telegram user ids (got {item!r})")
    return ids


def _webhook_secret(raw: str, problems: list[str]) -> str | None:
    secret = raw.strip() or None
    if secret is not None and not _WEBHOOK_SECRET_PATTERN.fullmatch(secret):
        problems.append(
            "WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -, up to 256 characters"
        )
    return secret


def _log_level(raw: str, problems: list[str]) -> int:
    name = raw.strip() or "INFO"
    if name.upper() not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {name!r})")
        return logging.INFO
    return LOG_LEVELS[name.upper()]


def _health_port(raw: str, problems: list[str]) -> int | None:
    """Read HEALTH_PORT: a TCP port, 0 for any free one, or 'off' to run no server."""
    value = raw.strip().lower() or "8080"
    if value == "off":
        return None
    if value.isdigit() and int(value) < 65536:
        return int(value)
    problems.append(f"HEALTH_PORT must be a TCP port number or 'off' (got {raw.strip()!r})")
    return None


class _Operations(TypedDict):
    log_json: bool
    health_host: str
    health_port: int | None
    alert_chat_id: int | None
    backup_dir: Path | None
    backup_keep: int


def _operations(env: Mapping[str, str], problems: list[str]) -> _Operations:
    """Read the operators' settings: log format, health server, alerts and backups."""
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT must be text or json (got {log_format!r})")
    alert_chat = env.get("ALERT_CHAT_ID", "").strip()
    if alert_chat and not alert_chat.lstrip("-").isdigit():
        problems.append(f"ALERT_CHAT_ID must be a Telegram chat id (got {alert_chat!r})")
    backup_dir = env.get("BACKUP_DIR", "").strip()
    return {
        "log_json": log_format == "json",
        "health_host": env.get("HEALTH_HOST", "127.0.0.1").strip() or "127.0.0.1",
        "health_port": _health_port(env.get("HEALTH_PORT", ""), problems),
        "alert_chat_id": int(alert_chat) if alert_chat.lstrip("-").isdigit() else None,
        "backup_dir": Path(backup_dir) if backup_dir else None,
        "backup_keep": int(_positive_number(env, "BACKUP_KEEP", 7, problems)),
    }


def _http_client(raw: str, problems: list[str]) -> str:
    name = raw.strip().lower() or HTTP_CLIENTS[0]
    if name not in HTTP_CLIENTS:
        problems.append(f"HTTP_CLIENT must be one of {', '.join(HTTP_CLIENTS)} (got {name!r})")
    return name


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise ConfigError listing every problem."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not _TOKEN_PATTERN.match(token):
        problems.append(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (expected '<digits>:<secret>' "
            "as given by @BotFather)"
        )

    api_url = env.get("TELEGRAM_API_URL", DEFAULT_API_URL).strip().rstrip("/")
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            f"TELEGRAM_API_URL must be an http(s) URL of the Bot API server root (got {api_url!r})"
        )

    database_path, postgres_url = _database(env, problems)
    pool_size = int(_positive_number(env, "DATABASE_POOL_SIZE", 10, problems))

    editor_ids = _editor_ids(env.get("EDITOR_IDS", ""), problems)

    default_language = env.get("DEFAULT_LANGUAGE", "en").strip().lower()
    if default_language not in LANGUAGES:
        problems.append(
            f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)} (got {default_language!r})"
        )

    timezone = ZoneInfo("UTC")
    tz_name = env.get("TIMEZONE", "UTC").strip()
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"TIMEZONE must be an IANA time zone such as Europe/Minsk (got {tz_name!r})"
        )

    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    if webhook_url is not None and not _is_webhook_url(webhook_url):
        problems.append(
            f"WEBHOOK_URL must be an https URL Telegram can reach (got {webhook_url!r})"
        )
    webhook_port = 8443
    raw_port = env.get("WEBHOOK_PORT", "8443").strip()
    if raw_port.isdigit() and 0 < int(raw_port) < 65536:
        webhook_port = int(raw_port)
    else:
        problems.append(f"WEBHOOK_PORT must be a TCP port number (got {raw_port!r})")
    webhook_secret = _webhook_secret(env.get("WEBHOOK_SECRET", ""), problems)

    limits = SendLimits(
        per_second=_positive_number(env, "SEND_RATE_PER_SECOND", 30, problems),
        per_chat_per_second=_positive_number(env, "SEND_RATE_PER_CHAT", 1, problems),
        per_group_per_minute=_positive_number(env, "SEND_RATE_PER_GROUP_MINUTE", 20, problems),
        burst_per_chat=int(_positive_number(env, "SEND_BURST_PER_CHAT", 3, problems)),
        paid=env.get("PAID_BROADCAST", "").strip().lower() in ("1", "true", "yes", "on"),
        interactive_share=_share(env, "SEND_INTERACTIVE_SHARE", 0.45, problems),
    )
    concurrency = int(_positive_number(env, "SEND_CONCURRENCY", 16, problems))
    weekly_slot = None
    if env.get("BROADCAST_SLOT", "").strip():
        try:
            weekly_slot = parse_weekly_slot(env["BROADCAST_SLOT"])
        except ValueError as exc:
            problems.append(str(exc))

    log_level = _log_level(env.get("LOG_LEVEL", ""), problems)
    feeds = load_feed_settings(env, timezone, problems)
    operations = _operations(env, problems)

    http_client = _http_client(env.get("HTTP_CLIENT", ""), problems)

    if problems:
        raise ConfigError(problems)
    return Settings(
        token=token,
        api_url=api_url,
        database_path=database_path,
        postgres_url=postgres_url,
        database_pool_size=pool_size,
        editor_ids=frozenset(editor_ids),
        default_language=default_language,
        timezone=timezone,
        webhook_url=webhook_url,
        webhook_listen=env.get("WEBHOOK_LISTEN", "0.0.0.0").strip(),
        webhook_port=webhook_port,
        webhook_secret=webhook_secret,
        send_limits=limits,
        send_concurrency=concurrency,
        weekly_slot=weekly_slot,
        log_level=log_level,
        feeds=feeds,
        **operations,
        http_client=http_client,
    )
