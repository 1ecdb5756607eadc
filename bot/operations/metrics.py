"""What operators can count: Prometheus metrics in a registry of the bot's own.

Counters and histograms are updated where the events happen, by one-line calls to the
functions here; gauges (subscribers, outbox backlog, broadcast progress) are set at scrape
time by `bot.operations.health_server` from one query and the running broadcasts.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram import Update

from bot.operations import log_context

REGISTRY: Final = CollectorRegistry()

UPDATES: Final = Counter(
    "bot_updates_total",
    "Updates handled, by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
REPLY_SECONDS: Final = Histogram(
    "bot_reply_seconds",
    "Time from taking an update to the end of its handlers (replies included).",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
MESSAGES: Final = Counter(
    "bot_broadcast_messages_total",
    "Broadcast messages by language and outcome (sent, failed, blocked, skipped).",
    ["language", "outcome"],
    registry=REGISTRY,
)
RETRY_AFTER: Final = Counter(
    "bot_retry_after_total",
    "429 Too Many Requests answers from the Bot API, by who got them.",
    ["source"],
    registry=REGISTRY,
)
API_LAST_SUCCESS: Final = Gauge(
    "bot_api_last_success_timestamp_seconds",
    "Unix time of the last Bot API call that got an answer.",
    registry=REGISTRY,
)
DATABASE_SECONDS: Final = Histogram(
    "bot_database_query_seconds",
    "Time of the operators' database queries (readiness, scrape, backup).",
    ["query"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
    registry=REGISTRY,
)
OUTBOX_BACKLOG: Final = Gauge(
    "bot_outbox_backlog",
    "Outbox rows of running broadcasts still to send, by status (pending, sending).",
    ["status"],
    registry=REGISTRY,
)
BROADCAST_PROGRESS: Final = Gauge(
    "bot_broadcast_progress_messages",
    "Messages of each running broadcast: total, and done (with an outcome).",
    ["broadcast_id", "state"],
    registry=REGISTRY,
)
SUBSCRIBERS: Final = Gauge(
    "bot_subscribers",
    "Subscribed chats by language and chat kind.",
    ["language", "kind"],
    registry=REGISTRY,
)
ALERTS: Final = Counter(
    "bot_alerts_total",
    "Alerts raised, by key and whether they were sent.",
    ["key", "sent"],
    registry=REGISTRY,
)

_failed: ContextVar[list[bool] | None] = ContextVar("update_failed", default=None)
_last_success = 0.0
"""Monotonic time of the last answered Bot API call; 0 before the first."""


def update_kind(update: object) -> str:
    """Name the kind of an update: command, message, channel_post, callback_query, …."""
    if not isinstance(update, Update):
        return "other"
    message = update.message or update.channel_post
    if message is not None and message.text and message.text.startswith("/"):
        return "command"
    for kind in ("message", "channel_post", "callback_query", "my_chat_member"):
        if getattr(update, kind) is not None:
            return kind
    return "other"


@asynccontextmanager
async def handling(update: object) -> AsyncIterator[None]:
    """Count and time one update's handling; set the chat for its log lines."""
    kind = update_kind(update)
    chat = update.effective_chat if isinstance(update, Update) else None
    chat_token = log_context.chat_id.set(chat.id if chat is not None else None)
    failed: list[bool] = []
    failed_token = _failed.set(failed)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        failed.append(True)
        raise
    finally:
        REPLY_SECONDS.labels(kind).observe(time.perf_counter() - started)
        UPDATES.labels(kind, "error" if failed else "ok").inc()
        _failed.reset(failed_token)
        log_context.chat_id.reset(chat_token)


def handler_failed() -> None:
    """Mark the update being handled as failed (called by the error handler)."""
    failed = _failed.get()
    if failed is not None:
        failed.append(True)


def delivered(language: str, outcome: str) -> None:
    """Count one broadcast row's outcome."""
    MESSAGES.labels(language, outcome).inc()


def retry_after(source: str) -> None:
    """Count one 429 answer; `source` is 'broadcast' or 'reply'."""
    RETRY_AFTER.labels(source).inc()


def api_answered() -> None:
    """Note that a Bot API call got an answer (any answer: the API is reachable)."""
    global _last_success  # noqa: PLW0603 - one process-wide clock reading
    _last_success = time.monotonic()
    API_LAST_SUCCESS.set(time.time())


def seconds_since_api_answer() -> float | None:
    """Return the seconds since the Bot API last answered, None if it never did."""
    return None if _last_success == 0.0 else time.monotonic() - _last_success


@contextmanager
def timed_query(name: str) -> Iterator[None]:
    """Time a database query of the operators' own."""
    started = time.perf_counter()
    try:
        yield
    finally:
        DATABASE_SECONDS.labels(name).observe(time.perf_counter() - started)
