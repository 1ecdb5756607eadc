"""Count every Bot API call's answer around the bot's own rate limiter.

The wrapper hands the inner limiter a callback that notes each answer, so 429s that the
inner limiter retries are counted too, and any answer (an error from Telegram included)
proves the Bot API reachable. Network errors prove nothing and are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.delivery.rate_limiter import BROADCAST
from bot.operations import metrics

_Answer = bool | dict[str, Any] | list[dict[str, Any]]


class MeteredRateLimiter(BaseRateLimiter[str]):
    """Delegate to `inner` and count the Bot API's answers."""

    def __init__(self, inner: BaseRateLimiter[str]) -> None:
        self.inner = inner

    async def initialize(self) -> None:
        """Set up the inner limiter."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Tear down the inner limiter."""
        await self.inner.shutdown()

    async def process_request(  # noqa: PLR0917 - BaseRateLimiter's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, _Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> _Answer:
        """Run the call through the inner limiter, noting each answer it gets."""
        source = "broadcast" if rate_limit_args == BROADCAST else "reply"

        async def counted(*call_args: Any, **call_kwargs: Any) -> _Answer:
            try:
                answer = await callback(*call_args, **call_kwargs)
            except RetryAfter:
                metrics.api_answered()
                metrics.retry_after(source)
                raise
            except BadRequest:  # a NetworkError in PTB's tree, but Telegram answered
                metrics.api_answered()
                raise
            except NetworkError:
                raise
            except TelegramError:
                metrics.api_answered()
                raise
            metrics.api_answered()
            return answer

        return await self.inner.process_request(
            counted, args, kwargs, endpoint, data, rate_limit_args
        )
