"""Pace sends under Telegram's flood limits, measured on our side with a safety margin.

Telegram counts arrivals over sliding windows; a sender that bursts at exactly the limit
draws 429s because request latency bunches arrivals. So sends are spaced evenly at a
rate a little under the limit, and a sliding-window guard counts each send from its start
until a second after its answer (it arrives somewhere in between), which catches the
bunching latency jitter or an event-loop stall would cause. A 429 pauses everything for
`retry_after`. Slots are handed out as they fall due, readers' sends first (`Lane`), so
a reply waits for one slot at most, not behind every broadcast send already waiting.

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
from enum import Enum
from typing import Final

from bot.config import SendLimits

EPSILON: Final = 1e-9
"""A fraction of a send too small to wait for: clock arithmetic rounds that finely."""


class Lane(Enum):
    """Who a send is for: a reader waiting for an answer, or the broadcast."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


class Pacer:
    """Hand out send slots evenly spaced under an overall rate; pause them all on a 429.

    Nothing is booked ahead: waiters queue in two lanes and each slot is given, as it
    falls due, to the longest-waiting interactive send (a reply, an edit), else to the
    next bulk send. While bulk sends wait, interactive ones get at most
    `interactive_share` of the slots of any second, so a crowd of readers cannot stall a
    broadcast. A send that continues a reply just sent (`follow_up`) goes ahead of the
    other interactive ones, so a reply of several parts leaves as one unit.
    """

    def __init__(
        self,
        rate: float,
        *,
        window: int | None = None,
        interactive_share: float = 0.45,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._capacity = max(1, int(rate) if window is None else window)
        self._interactive_cap = max(1, int(rate * interactive_share))
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._ends: deque[float] = deque()
        """When the sends of the last second ended (Telegram answered)."""
        self._holding = 0
        """Sends started and not answered yet: each may arrive at any moment until then."""
        self._released = asyncio.Event()
        self._interactive_starts: deque[float] = deque()
        self._lanes: dict[Lane, deque[asyncio.Future[None]]] = {lane: deque() for lane in Lane}
        self._follow_ups: deque[asyncio.Future[None]] = deque()
        self._dispatcher: asyncio.Task[None] | None = None

    @property
    def paused_for(self) -> float:
        """Return how long sends are still paused, 0 when they are not."""
        return max(0.0, self._paused_until - self._clock())

    def waiting(self, lane: Lane) -> int:
        """Return how many sends of a lane wait for a slot."""
        return sum(1 for waiter in self._lanes[lane] if not waiter.done())

    def pause(self, seconds: float) -> None:
        """Stop handing out slots for `seconds` (Telegram's `retry_after`)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)

    async def acquire(self, lane: Lane = Lane.BULK, *, follow_up: bool = False) -> None:
        """Wait for a slot in a lane's turn, for a send whose answer comes at once."""
        async with self.slot(lane, follow_up=follow_up):
            pass

    @asynccontextmanager
    async def slot(
        self, lane: Lane = Lane.BULK, *, follow_up: bool = False
    ) -> AsyncIterator[None]:
        """Hold a slot in a lane's turn while one send runs, until Telegram answers it."""
        await self._wait_turn(lane, follow_up=follow_up)
        try:
            yield
        finally:
            self._holding -= 1
            self._ends.append(self._clock())
            self._released.set()
            self._released = asyncio.Event()

    async def _wait_turn(self, lane: Lane, *, follow_up: bool) -> None:
        queue = self._follow_ups if follow_up and lane is Lane.INTERACTIVE else self._lanes[lane]
        first = False
        while True:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if first:
                queue.appendleft(waiter)
            else:
                queue.append(waiter)
            if self._dispatcher is None or self._dispatcher.done():
                self._dispatcher = asyncio.create_task(self._dispatch(), name="pacer-dispatch")
            await waiter
            if await self._take_slot():
                return
            # A 429 arrived between the slot and the send: first in line after the pause.
            first = True

    async def _take_slot(self) -> bool:
        """Start now, or as soon as the 1 s window has room; False if a 429 paused sends.

        Telegram counts a send when it arrives, at some moment between its start and its
        answer. So a send counts in the window from its start until a second after its
        answer: however latency varies or the loop stalls, no second of arrivals holds
        more than `window` sends.
        """
        while True:
            now = self._clock()
            if now < self._paused_until:
                return False
            self._slide(self._ends, now)
            if self._holding + len(self._ends) < self._capacity:
                self._holding += 1
                return True
            if self._ends and self._holding < self._capacity:
                await self._sleep(self._ends[0] + 1.0 - now)
            else:
                await self._released.wait()

    async def _dispatch(self) -> None:
        """Give out the slots while anyone waits; end when nobody does."""
        while True:
            if not any(self._pending(queue) for queue in self._queues()):
                return
            now = self._clock()
            slot = max(self._next, self._paused_until)
            if slot > now + EPSILON:
                await self._sleep(slot - now)
                continue
            waiter = self._pick(now)
            if waiter is None:
                continue
            # Keep the cadence when this loop woke a little late; after an idle spell
            # the next slot is one interval on, never a burst of the slots missed.
            self._next = (slot if now - slot < self._interval / 2 else now) + self._interval
            waiter.set_result(None)
            # Let the send start before the next slot is considered.
            await asyncio.sleep(0)

    def _queues(self) -> tuple[deque[asyncio.Future[None]], ...]:
        return (self._follow_ups, self._lanes[Lane.INTERACTIVE], self._lanes[Lane.BULK])

    @staticmethod
    def _pending(queue: deque[asyncio.Future[None]]) -> bool:
        while queue and queue[0].done():  # cancelled while waiting
            queue.popleft()
        return bool(queue)

    @staticmethod
    def _slide(starts: deque[float], now: float) -> None:
        while starts and starts[0] <= now - 1.0 + EPSILON:
            starts.popleft()

    def _pick(self, now: float) -> asyncio.Future[None] | None:
        """Return the waiter whose turn it is, or None if every waiter gave up."""
        bulk = self._lanes[Lane.BULK]
        for interactive in (self._follow_ups, self._lanes[Lane.INTERACTIVE]):
            if not self._pending(interactive):
                continue
            self._slide(self._interactive_starts, now)
            if not self._pending(bulk) or len(self._interactive_starts) < self._interactive_cap:
                self._interactive_starts.append(now)
                return interactive.popleft()
            break
        if self._pending(bulk):
            return bulk.popleft()
        return None


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
