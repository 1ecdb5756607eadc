"""python-telegram-bot's rate-limiter hook, sharing the broadcast sender's pacer.

Replies to readers and broadcast sends take slots from one `Pacer`, so together they stay
under the overall limit, and a 429 seen by either pauses both. Broadcast sends pass
`rate_limit_args=BROADCAST`: the sender paces and classifies them itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacer

log = logging.getLogger(__name__)

BROADCAST: Final = "broadcast"
"""`rate_limit_args` of sends the broadcast sender paces itself."""

PACED_ENDPOINTS: Final = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
        "editMessageCaption",
    }
)


class PacedRateLimiter(BaseRateLimiter[str]):
    """Pace message sends through a shared pacer and retry them after a 429."""

    def __init__(self, pacer: Pacer, *, max_retries: int = 2) -> None:
        self.pacer = pacer
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(  # noqa: PLR0917 - BaseRateLimiter's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Run one Bot API call, paced when it sends a message."""
        if rate_limit_args == BROADCAST or endpoint not in PACED_ENDPOINTS:
            return await callback(*args, **kwargs)
        for attempt in range(self._max_retries + 1):
            await self.pacer.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pacer.pause(retry_seconds(exc))
                if attempt == self._max_retries:
                    raise
                log.info("Flood limit hit on %s; retrying after %s", endpoint, exc.retry_after)
        raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds, whichever type PTB gives it."""
    value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
