"""Mask the bot token and the webhook secret in everything the process logs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

MASK = "***"

_ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)


def secret_parts(token: str | None) -> list[str]:
    """Return what must never be shown of a bot token: the part after the bot id.

    The bot id before the colon is public; masking the secret part alone also covers the
    whole token, its URL-encoded forms and the secret when it appears without the id.
    """
    if not token:
        return []
    return [token.partition(":")[2] or token]


class Redactor:
    """Replace every occurrence of the registered secrets with a mask."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        """Start with `secrets` registered; empty ones and None are skipped."""
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a secret, with its URL-encoded form if that differs."""
        if not secret:
            return
        self._secrets.update({secret, quote(secret, safe="")})
        ordered = sorted(self._secrets, key=len, reverse=True)  # longest first
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        """Return `text` with every registered secret masked."""
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)


class RedactingFormatter(logging.Formatter):
    """Format records as usual, then mask secrets in the message, arguments and tracebacks."""

    def __init__(self, fmt: str, redactor: Redactor) -> None:
        """Format with `fmt` and mask what `redactor` knows."""
        super().__init__(fmt)
        self.redactor = redactor

    def formatException(self, ei: _ExcInfo) -> str:
        """Format a traceback with the secrets masked (it is cached on the record)."""
        return self.redactor.redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        """Format a stack with the secrets masked."""
        return self.redactor.redact(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        """Return the whole formatted record with the secrets masked."""
        if record.exc_text:
            # A formatter without redaction may have cached the raw traceback.
            record.exc_text = self.redactor.redact(record.exc_text)
        return self.redactor.redact(super().format(record))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line, for log shippers; the same masking as the text lines.

    Every string is masked before it is encoded, so a secret is found whatever JSON would
    escape in it, and the encoded line is masked once more.
    """

    def __init__(self, redactor: Redactor) -> None:
        """Mask what `redactor` knows."""
        super().__init__("%(message)s", redactor)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON: time, level, logger, message, context."""
        line: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": self.redactor.redact(record.getMessage()),
        }
        for key in ("chat_id", "broadcast_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = self.redactor.redact(record.exc_text)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return self.redactor.redact(json.dumps(line, ensure_ascii=False, default=str))
