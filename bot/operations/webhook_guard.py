"""Only Telegram may post updates: a secret on every webhook request, refusals logged.

Telegram sends the `secret_token` given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header of every request; python-telegram-bot's webhook
server answers 403 to a request without it or with another one. That refusal is only
logged at DEBUG there, so a filter on its logger turns it into one WARNING line.
"""

from __future__ import annotations

import logging
import secrets

from tornado.web import HTTPError

WEBHOOK_LOGGER = "telegram.ext.Updater"
"""The logger of python-telegram-bot's webhook server (it reuses the Updater's)."""


def generate_webhook_secret() -> str:
    """Return a random secret in Telegram's alphabet (A-Z, a-z, 0-9, _ and -), 43 chars."""
    return secrets.token_urlsafe(32)


class RefusedRequestWarning(logging.Filter):
    """Raise the webhook server's record of a request it refused with 403 to a WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a 403 refusal as a one-line warning; let every other record through."""
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HTTPError) or error.status_code != 403:
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = "Refused a webhook request from %s (403): %s"
        record.args = (remote, error.reason or "not a JSON update")
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True


def warn_on_refused_requests() -> None:
    """Make the webhook server's 403 refusals show as warnings at every LOG_LEVEL."""
    logger = logging.getLogger(WEBHOOK_LOGGER)
    # Its records are created only if the logger is enabled for DEBUG; the handler's own
    # level still drops the other debug records below LOG_LEVEL.
    logger.setLevel(logging.DEBUG)
    if not any(isinstance(f, RefusedRequestWarning) for f in logger.filters):
        logger.addFilter(RefusedRequestWarning())
