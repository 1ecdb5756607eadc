"""Is the bot ready to work? A list of named checks that any part of the bot may extend.

Each check answers `Check(ok, reason)`; a check that raises or takes longer than the
timeout counts as failing, with that as its reason. Feeds and other parts add theirs with
`Readiness.add` when they start, and remove them with the function it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from bot.operations import metrics

CHECK_TIMEOUT: Final = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One check's answer."""

    ok: bool
    reason: str


CheckFunction = Callable[[], Awaitable[Check]]


class Readiness:
    """The named checks that together say whether the bot is ready."""

    def __init__(self, timeout: float = CHECK_TIMEOUT) -> None:
        self._checks: dict[str, CheckFunction] = {}
        self._timeout = timeout

    def add(self, name: str, check: CheckFunction) -> Callable[[], None]:
        """Add (or replace) a check; return a function that removes it."""
        self._checks[name] = check

        def remove() -> None:
            if self._checks.get(name) is check:
                del self._checks[name]

        return remove

    @property
    def names(self) -> list[str]:
        """Return the names of the checks, in the order they were added."""
        return list(self._checks)

    async def run(self) -> dict[str, Check]:
        """Run every check concurrently and return their answers by name."""
        names = list(self._checks)
        answers = await asyncio.gather(*(self._run_one(self._checks[n]) for n in names))
        return dict(zip(names, answers, strict=True))

    async def _run_one(self, check: CheckFunction) -> Check:
        try:
            return await asyncio.wait_for(check(), self._timeout)
        except TimeoutError:
            return Check(False, f"no answer within {self._timeout:g} s")
        except Exception as exc:
            return Check(False, f"{type(exc).__name__}: {exc}")


def report(answers: dict[str, Check]) -> tuple[bool, dict[str, Any]]:
    """Return whether every check passed and the JSON body that says so, with reasons."""
    ready = all(answer.ok for answer in answers.values())
    return ready, {
        "status": "ready" if ready else "not ready",
        "checks": {
            name: {"ok": answer.ok, "reason": answer.reason} for name, answer in answers.items()
        },
    }


class DatabaseCheck:
    """The database answers a query and takes a write lock."""

    def __init__(self, query: Callable[[], Awaitable[object]]) -> None:
        self._query = query

    async def __call__(self) -> Check:
        """Run the probe."""
        started = time.perf_counter()
        with metrics.timed_query("readiness"):
            await self._query()
        return Check(True, f"answered in {1000 * (time.perf_counter() - started):.1f} ms")


class BotApiCheck:
    """The Bot API answered recently; if not, ask it (getMe), at most once per `max_age`."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        *,
        max_age: float = 120.0,
        since: Callable[[], float | None] = metrics.seconds_since_api_answer,
    ) -> None:
        self._probe = probe
        self._max_age = max_age
        self._since = since
        self._probing: asyncio.Task[object] | None = None

    async def __call__(self) -> Check:
        """Judge by the last answer, probing when it is too old."""
        age = self._since()
        if age is not None and age <= self._max_age:
            return Check(True, f"last answer {age:.0f} s ago")
        try:
            await self._probe()
        except Exception as exc:
            when = "never" if age is None else f"{age:.0f} s ago"
            return Check(False, f"unreachable ({type(exc).__name__}: {exc}); last answer {when}")
        return Check(True, "answered getMe just now")


class BroadcastsCheck:
    """No broadcast is stuck: each one 'sending' runs, and its count moved lately."""

    def __init__(
        self,
        sending: Callable[[], Awaitable[list[int]]],
        running: Callable[[], dict[int, tuple[int, int]]],
        *,
        stuck_after: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`sending` lists the ids the database has as 'sending'; `running` gives each
        running broadcast's (done, total)."""
        self._sending = sending
        self._running = running
        self._stuck_after = stuck_after
        self._clock = clock
        self._seen: dict[int, tuple[int, float]] = {}

    async def __call__(self) -> Check:
        """Compare the database's broadcasts with the running ones and their progress."""
        sending = await self._sending()
        running = self._running()
        now = self._clock()
        problems = [
            f"broadcast {b} is sending but not running" for b in sending if b not in running
        ]
        for broadcast_id, (done, total) in running.items():
            last_done, since = self._seen.get(broadcast_id, (-1, now))
            if done != last_done:
                self._seen[broadcast_id] = (done, now)
            elif done < total and now - since >= self._stuck_after:
                problems.append(
                    f"broadcast {broadcast_id} has sent nothing for {now - since:.0f} s "
                    f"({done}/{total})"
                )
        for gone in set(self._seen) - set(running):
            del self._seen[gone]
        if problems:
            return Check(False, "; ".join(problems))
        return Check(True, f"{len(running)} running" if running else "none running")
