"""Telegram's flood limits over the server's arrival clock.

The overall and per-group limits are sliding windows; one chat's limit is a token bucket:
a short burst, then one send per 1/``per_chat_per_second`` s, as Telegram describes it
("short bursts that go over this limit, but eventually you'll begin receiving 429").
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """How many sends Telegram accepts before answering 429.

    Attributes:
        enabled: Whether any limit is enforced; off by default.
        per_second: Sends accepted in any 1 s window across all chats.
        per_chat_per_second: Sends one chat is allowed per second once its burst is used.
        per_group_per_minute: Sends accepted in any 60 s window for one group, supergroup or
            channel.
        chat_burst: Sends one chat may take at once before ``per_chat_per_second`` applies
            (a bucket of that many sends, refilled at ``per_chat_per_second``); 0 or less
            than ``per_chat_per_second`` means no burst: one send per 1/rate seconds.
        paid_per_second: The overall 1 s allowance for sends with ``allow_paid_broadcast``.
    """

    enabled: bool = False
    per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    chat_burst: int = 0
    paid_per_second: int = 1000


def _wait_time(window: deque[float], now: float, span: float, capacity: int) -> float:
    """Drop expired arrivals; return how long until one more fits, 0 when it fits now."""
    cutoff = now - span
    while window and window[0] <= cutoff:
        window.popleft()
    if len(window) < capacity:
        return 0.0
    if capacity <= 0:
        return span
    return window[-capacity] + span - now


@dataclass
class _Bucket:
    """One chat's allowance: `level` sends were available at `stamp`."""

    level: float
    stamp: float

    def wait(self, now: float, capacity: float, rate: float) -> float:
        """Refill up to `now`; return how long until one send fits, 0 when it fits now."""
        self.level = min(capacity, self.level + (now - self.stamp) * rate)
        self.stamp = now
        return 0.0 if self.level >= 1.0 else (1.0 - self.level) / rate


class FloodLimiter:
    """Admit or refuse sends by chat; refusals are counted, admitted sends are recorded."""

    def __init__(
        self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Create a limiter with ``limits`` reading time from ``clock`` (seconds)."""
        self._limits = limits or FloodLimits()
        self._clock = clock
        self._overall: deque[float] = deque()
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, deque[float]] = {}
        self.refused = 0
        self.refused_by_chat: Counter[int] = Counter()

    @property
    def limits(self) -> FloodLimits:
        """Return the limits in force."""
        return self._limits

    @limits.setter
    def limits(self, limits: FloodLimits) -> None:
        """Replace the limits; arrivals already recorded stay in their windows and buckets."""
        self._limits = limits

    def acquire(self, chat_id: int, *, group: bool, paid: bool = False) -> int | None:
        """Record one send to ``chat_id`` now, or return whole seconds to wait (at least 1).

        A refused send is not recorded, so it does not use up any window or bucket.
        """
        limits = self._limits
        if not limits.enabled:
            return None
        now = self._clock()
        capacity = limits.paid_per_second if paid else limits.per_second
        wait = _wait_time(self._overall, now, 1.0, capacity)
        rate = limits.per_chat_per_second
        burst = max(rate, limits.chat_burst, 1)
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _Bucket(burst, now)
        wait = max(wait, bucket.wait(now, burst, rate))
        group_window = None
        if group:
            group_window = self._groups.get(chat_id)
            if group_window is None:
                group_window = self._groups[chat_id] = deque()
            wait = max(wait, _wait_time(group_window, now, 60.0, limits.per_group_per_minute))
        if wait > 0:
            self.refused += 1
            self.refused_by_chat[chat_id] += 1
            return max(1, math.ceil(wait))
        self._overall.append(now)
        bucket.level -= 1.0
        if group_window is not None:
            group_window.append(now)
        return None

    def reset(self) -> None:
        """Forget every recorded send and refusal."""
        self._overall.clear()
        self._chats.clear()
        self._groups.clear()
        self.refused = 0
        self.refused_by_chat.clear()
