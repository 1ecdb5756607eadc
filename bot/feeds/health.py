"""What intake tells operators: a readiness check over the feeds' stored state."""

from __future__ import annotations

from bot.feeds.intake import FAILURES_BEFORE_ALERT
from bot.operations.readiness import Check
from bot.storage import Store


class FeedsCheck:
    """Ready unless a feed that is not paused has failed several polls in a row."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __call__(self) -> Check:
        failing = [
            f"{state.language}: {state.failures} failures, last: {state.last_error or '?'}"
            for state in await self._store.intake.feeds()
            if not state.paused and state.failures >= FAILURES_BEFORE_ALERT
        ]
        if failing:
            return Check(False, "; ".join(failing))
        return Check(True, "feeds answer")
