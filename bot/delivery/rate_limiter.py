"""python-telegram-bot's rate-limiter hook, sharing the broadcast sender's pacers.

Replies to readers, edits and broadcast sends take slots from one `Pacer`, so together
they stay under the overall limit, and a 429 seen by either pauses both; they take each
chat's slots from one `ChatPacer`, so a reply and a broadcast message to the same chat
keep its limit together. Broadcast sends pass `rate_limit_args=BROADCAST`: the sender
paces and classifies them itself. Everything else is a reader's or an editor's answer and
takes the pacer's interactive lane; a send to a chat that was answered a moment ago is
the next part of the same reply and goes first, so the parts of a reply leave together.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import SendLimits
from bot.delivery.pacing import ChatPacer, Lane, Pacer

log = logging.getLogger(__name__)

BROADCAST: Final = "broadcast"
"""`rate_limit_args` of sends the broadcast sender paces itself."""

PACED_ENDPOINTS: Final = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
        "editMessageCaption",
    }
)

FOLLOW_UP_SECONDS: Final = 1.0
"""A send to a chat answered less than this ago continues the same reply."""


class PacedRateLimiter(BaseRateLimiter[str]):
    """Pace message sends and edits through shared pacers and retry them after a 429."""

    def __init__(
        self,
        pacer: Pacer,
        *,
        chats: ChatPacer | None = None,
        limits: SendLimits | None = None,
        max_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pacer = pacer
        self.chats = chats or ChatPacer(limits or SendLimits(), clock=clock, sleep=sleep)
        self._max_retries = max_retries
        self._clock = clock
        self._answered: dict[int | str, float] = {}
        """When each chat's last answer was sent, while that is recent."""

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
        chat_id = data.get("chat_id")
        chat = chat_id if isinstance(chat_id, int | str) else None
        for attempt in range(self._max_retries + 1):
            follow_up = self._follows_up(chat)
            async with (
                self.chats.slot(chat),
                self.pacer.slot(Lane.INTERACTIVE, follow_up=follow_up),
            ):
                try:
                    result = await callback(*args, **kwargs)
                except RetryAfter as exc:
                    self.pacer.pause(retry_seconds(exc))
                    if attempt == self._max_retries:
                        raise
                    log.info("Flood limit hit on %s; retrying after %s", endpoint, exc.retry_after)
                else:
                    self._note_answer(chat)
                    return result
        raise AssertionError("unreachable")

    def _follows_up(self, chat: int | str | None) -> bool:
        at = None if chat is None else self._answered.get(chat)
        return at is not None and self._clock() - at < FOLLOW_UP_SECONDS

    def _note_answer(self, chat: int | str | None) -> None:
        if chat is None:
            return
        now = self._clock()
        if len(self._answered) >= 10_000:
            self._answered = {
                c: at for c, at in self._answered.items() if now - at < FOLLOW_UP_SECONDS
            }
        self._answered[chat] = now


def retry_seconds(exc: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds, whichever type PTB gives it."""
    value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
