"""python-telegram-bot's rate-limiter hook, sharing the broadcast sender's pacer.

Replies to readers and broadcast sends take slots from one `Pacer`, so together they stay
under the overall limit, and a 429 seen by either pauses both. Broadcast sends pass
`rate_limit_args=BROADCAST`: the sender paces and classifies them itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacer, SendLimits

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

    def __init__(
        self,
        pacer: Pacer,
        *,
        limits: SendLimits | None = None,
        max_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pacer = pacer
        self._sleep = sleep
        self._limits = limits or SendLimits()
        self._max_retries = max_retries
        self._clock = clock
        self._group_next: dict[int, float] = {}

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
            await self._wait_for_group(data.get("chat_id"))
            await self.pacer.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pacer.pause(retry_seconds(exc))
                if attempt == self._max_retries:
                    raise
                log.info("Flood limit hit on %s; retrying after %s", endpoint, exc.retry_after)
        raise AssertionError("unreachable")

    async def _wait_for_group(self, chat_id: object) -> None:
        """Space replies to one group or channel under its per-minute limit.

        Private chats tolerate short bursts (a commentary in three parts), groups do not.
        """
        if not isinstance(chat_id, int) or chat_id >= 0:
            return
        now = self._clock()
        if len(self._group_next) > 10_000:
            self._group_next = {c: t for c, t in self._group_next.items() if t > now}
        slot = max(now, self._group_next.get(chat_id, 0.0))
        self._group_next[chat_id] = slot + self._limits.chat_interval(chat_id)
        if slot > now:
            await self._sleep(slot - now)


def retry_seconds(exc: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds, whichever type PTB gives it."""
    value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
