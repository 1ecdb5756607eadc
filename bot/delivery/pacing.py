"""Pace sends under Telegram's flood limits, measured on our side with a safety margin.

Telegram counts arrivals over sliding windows; a sender that bursts at exactly the limit
draws 429s because request latency bunches arrivals. So sends are spaced evenly at a
rate a little under the limit, and a sliding-window guard on actual start times catches
the bunching an event-loop stall would cause. A 429 pauses everything for `retry_after`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

MARGIN: Final = 0.97
"""Share of each limit the bot uses; the rest absorbs latency jitter."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendLimits:
    """Telegram's limits for one bot (the Bot FAQ's figures by default)."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    paid: bool = False
    """Paid broadcasts (`allow_paid_broadcast`): up to 1000 messages per second overall."""

    @property
    def overall_rate(self) -> float:
        """Return the overall sends per second the bot allows itself."""
        return (1000.0 if self.paid else self.per_second) * MARGIN

    def chat_interval(self, chat_id: int) -> float:
        """Return the least time between two sends to one chat (groups and channels < 0)."""
        if chat_id < 0:
            return 60.0 / (self.per_group_per_minute * MARGIN)
        return 1.0 / (self.per_chat_per_second * MARGIN)


class Pacer:
    """Hand out send slots evenly spaced under an overall rate; pause them all on a 429."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._capacity = max(1, int(rate))
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._starts: deque[float] = deque()

    @property
    def paused_for(self) -> float:
        """Return how long sends are still paused, 0 when they are not."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Stop handing out slots for `seconds` (Telegram's `retry_after`)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)

    async def acquire(self) -> None:
        """Wait for the next free slot."""
        while True:
            now = self._clock()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self._interval
            if slot > now:
                await self._sleep(slot - now)
            if await self._take_slot():
                return
            # A 429 arrived while this send waited: it gets a slot after the pause.

    async def _take_slot(self) -> bool:
        """Start now, or as soon as the 1 s window has room; False if a 429 paused sends.

        Waiting here keeps the slot's turn: a send that went back for a fresh slot would
        leave its own slot unused, and the sends would fall well under the rate.
        """
        while True:
            now = self._clock()
            if now < self._paused_until:
                return False
            while self._starts and self._starts[0] <= now - 1.0:
                self._starts.popleft()
            if len(self._starts) < self._capacity:
                self._starts.append(now)
                return True
            # The window is full (a stall bunched the slots, or the rate's fraction above
            # the whole `capacity` caught up): wait for it to slide.
            await self._sleep(self._starts[0] + 1.0 - now)
