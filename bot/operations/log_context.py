"""The chat and the broadcast a log line is about, carried by context variables.

The update processor sets the chat for everything a handler logs; a broadcast's task sets
its id for everything its run logs. A filter on the log handler copies them onto records,
so every event line names them without each call passing them.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

chat_id: ContextVar[int | None] = ContextVar("chat_id", default=None)
broadcast_id: ContextVar[int | None] = ContextVar("broadcast_id", default=None)


class ContextFilter(logging.Filter):
    """Put `chat_id` and `broadcast_id` on every record (None where they do not apply)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the context's ids unless the call passed its own through `extra`."""
        if getattr(record, "chat_id", None) is None:
            record.chat_id = chat_id.get()
        if getattr(record, "broadcast_id", None) is None:
            record.broadcast_id = broadcast_id.get()
        return True
