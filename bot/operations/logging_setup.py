"""The process's logging: one stderr handler at LOG_LEVEL that never shows a secret."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

from bot.operations.log_context import ContextFilter
from bot.operations.redaction import JsonFormatter, RedactingFormatter, Redactor

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
"""LOG_FORMAT with ' chat=… broadcast=…' after the message where they apply."""
_log = logging.getLogger("bot")


class _TextContext(ContextFilter):
    """Add the ids as one `context` suffix for the text format."""

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        parts = [
            f"{name}={value}"
            for name, value in (
                ("chat", getattr(record, "chat_id", None)),
                ("broadcast", getattr(record, "broadcast_id", None)),
            )
            if value is not None
        ]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


def configure_logging(
    level: int, secrets: Iterable[str | None] = (), *, json_lines: bool = False
) -> Redactor:
    """Log to stderr at `level` with `secrets` masked, uncaught exceptions included.

    `json_lines` writes one JSON object per line (LOG_FORMAT=json) instead of text.
    """
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(redactor))
        handler.addFilter(ContextFilter())
    else:
        handler.setFormatter(RedactingFormatter(TEXT_FORMAT, redactor))
        handler.addFilter(_TextContext())
    # Records propagated from child loggers skip the root logger's level and filters, so
    # the level and the masking live on the handler.
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request at INFO; show that only when debugging.
    logging.getLogger("httpx").setLevel(level if level <= logging.DEBUG else logging.WARNING)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return redactor


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """Log an exception nothing caught through the masking handler, not raw to stderr."""
    _log.critical("Uncaught exception", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(hook: threading.ExceptHookArgs) -> None:
    """Log an exception that ended a thread through the masking handler."""
    if hook.exc_value is None:
        return
    name = hook.thread.name if hook.thread else "?"
    _log.critical(
        "Uncaught exception in thread %s",
        name,
        exc_info=(hook.exc_type, hook.exc_value, hook.exc_traceback),
    )
