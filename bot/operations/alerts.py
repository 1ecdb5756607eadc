"""Errors that need a person, sent to ALERT_CHAT_ID: deduplicated and rate-limited.

Any part of the bot raises one with `await alerts.alert(key, text)`: the same key is sent
once per `repeat_after` seconds (until `resolved(key)` says it is over), and at most
`per_hour` alerts go out in an hour. An alert that cannot be sent (the Bot API may be the
very thing that is down) stays pending and goes out at the next `retry()`. Every alert is
logged at ERROR whether or not a chat is set.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

from bot.operations import metrics

log = logging.getLogger(__name__)

REPEAT_AFTER: Final = 3600.0
PER_HOUR: Final = 10

Send = Callable[[int, str], Awaitable[object]]


class Alerts:
    """Send alerts to one chat, each key at most once per `repeat_after`."""

    def __init__(
        self,
        send: Send | None,
        chat_id: int | None,
        *,
        repeat_after: float = REPEAT_AFTER,
        per_hour: int = PER_HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._chat_id = chat_id
        self._repeat_after = repeat_after
        self._per_hour = per_hour
        self._clock = clock
        self._last: dict[str, float] = {}
        self._sent_times: deque[float] = deque()
        self.pending: dict[str, str] = {}
        """Alerts that could not be sent yet, by key."""

    async def alert(self, key: str, text: str) -> bool:
        """Raise an alert; return whether it was sent now."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._repeat_after:
            return False
        self._last[key] = now
        log.error("ALERT %s: %s", key, text)
        return await self._deliver(key, text)

    def resolved(self, key: str) -> None:
        """Say that the condition is over: the next alert with this key is sent again."""
        self._last.pop(key, None)
        self.pending.pop(key, None)

    async def retry(self) -> None:
        """Try again to send the alerts that could not be sent."""
        for key, text in list(self.pending.items()):
            await self._deliver(key, text)

    async def _deliver(self, key: str, text: str) -> bool:
        if self._send is None or self._chat_id is None:
            metrics.ALERTS.labels(key, "no").inc()
            return False
        now = self._clock()
        while self._sent_times and now - self._sent_times[0] >= 3600:
            self._sent_times.popleft()
        if len(self._sent_times) >= self._per_hour:
            log.warning(
                "Alert %s not sent: %d alerts went out in the last hour", key, self._per_hour
            )
            metrics.ALERTS.labels(key, "no").inc()
            return False
        try:
            await self._send(self._chat_id, text)
        except Exception as exc:
            log.warning("Could not send alert %s (%s); trying again later", key, exc)
            self.pending[key] = text
            return False
        self.pending.pop(key, None)
        self._sent_times.append(now)
        metrics.ALERTS.labels(key, "yes").inc()
        return True
