"""Pace sends under Telegram's flood limits, measured on our side with a safety margin.

Telegram counts arrivals over sliding windows; a sender that bursts at exactly the limit
draws 429s because request latency bunches arrivals. So sends are spaced evenly at a
rate a little under the limit, and a sliding-window guard on actual start times catches
the bunching an event-loop stall would cause. A 429 pauses everything for `retry_after`.

Each chat has its own allowance besides (`ChatPacer`): a private chat a short burst, then
its rate; a group or channel one message per interval. Broadcast sends, replies and edits
all take it from one `ChatPacer`, so together they keep every chat's limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

from bot.config import SendLimits

EPSILON: Final = 1e-9
"""A fraction of a send too small to wait for: clock arithmetic rounds that finely."""


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


@dataclass(slots=True)
class _Allowance:
    """One chat's sends: `level` were free at `stamp`; `in_flight` are held by sends."""

    level: float
    stamp: float
    in_flight: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)


class ChatPacer:
    """Space the sends to each chat: a burst, then one per the chat's interval.

    A chat's allowance is a bucket of `chat_burst` sends refilled once per `chat_interval`.
    A send holds a unit from its start and uses it up when Telegram has answered: the
    request arrived before that, so however latency varies, the arrivals Telegram counts
    are never closer together than the ones counted here.
    """

    PRUNE_AT: Final = 10_000
    """Chats remembered before the idle ones with a full allowance are forgotten."""

    def __init__(
        self,
        limits: SendLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[int | str, _Allowance] = {}

    @asynccontextmanager
    async def slot(self, chat_id: int | str | None) -> AsyncIterator[None]:
        """Hold one send's place in a chat's allowance while the send runs (None: no chat)."""
        if chat_id is None:
            yield
            return
        allowance = await self._acquire(chat_id)
        try:
            yield
        finally:
            self._release(chat_id, allowance)

    def _refilled(self, chat_id: int | str) -> _Allowance:
        """Return a chat's allowance brought up to now."""
        now = self._clock()
        burst = self._limits.chat_burst(chat_id)
        allowance = self._chats.get(chat_id)
        if allowance is None:
            if len(self._chats) >= self.PRUNE_AT:
                self._prune(now)
            allowance = self._chats[chat_id] = _Allowance(float(burst), now)
        gained = (now - allowance.stamp) / self._limits.chat_interval(chat_id)
        allowance.level = min(float(burst), allowance.level + gained)
        allowance.stamp = now
        return allowance

    async def _acquire(self, chat_id: int | str) -> _Allowance:
        while True:
            allowance = self._refilled(chat_id)
            free = allowance.level - allowance.in_flight
            if free >= 1.0 - EPSILON:
                allowance.in_flight += 1
                return allowance
            if allowance.in_flight + 1 > self._limits.chat_burst(chat_id):
                # Every unit is held by a send in flight: wait for one to end.
                await allowance.released.wait()
            else:
                await self._sleep((1.0 - free) * self._limits.chat_interval(chat_id))

    def _release(self, chat_id: int | str, allowance: _Allowance) -> None:
        # Sends in flight keep their chat remembered, so this is the same allowance.
        self._refilled(chat_id)
        allowance.level -= 1.0
        allowance.in_flight -= 1
        allowance.released.set()
        allowance.released = asyncio.Event()

    def _prune(self, now: float) -> None:
        """Forget the chats nothing is sent to whose allowance is whole again."""
        limits = self._limits
        self._chats = {
            chat_id: allowance
            for chat_id, allowance in self._chats.items()
            if allowance.in_flight
            or allowance.level + (now - allowance.stamp) / limits.chat_interval(chat_id)
            < limits.chat_burst(chat_id)
        }
