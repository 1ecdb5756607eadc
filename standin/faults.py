"""Injected failures: errors, slow answers and dropped connections on chosen calls."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    """What an injected rule does to a matching request.

    Attributes:
        error_code: HTTP status and ``error_code`` of the answer; ``None`` for a pure timeout.
        description: Telegram's description of the error.
        retry_after: ``parameters.retry_after`` of a 429.
        migrate_to_chat_id: ``parameters.migrate_to_chat_id`` of a migration error.
        delay: Seconds the request is held before anything else happens.
        deliver: For a timeout (no ``error_code``): after the delay, process the request as
            usual (``True``, the message is delivered though the client may have given up) or
            close the connection without processing it (``False``).
    """

    error_code: int | None = None
    description: str = ""
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    delay: float = 0.0
    deliver: bool = True

    @classmethod
    def forbidden(cls, reason: str = "bot was blocked by the user") -> Fault:
        """Answer 403 ``Forbidden: <reason>``."""
        return cls(403, f"Forbidden: {reason}")

    @classmethod
    def too_many_requests(cls, retry_after: int = 5) -> Fault:
        """Answer 429 with ``parameters.retry_after``."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @classmethod
    def bad_request(cls, reason: str) -> Fault:
        """Answer 400 ``Bad Request: <reason>``."""
        return cls(400, f"Bad Request: {reason.removeprefix('Bad Request: ')}")

    @classmethod
    def server_error(cls, error_code: int = 500) -> Fault:
        """Answer a 5xx error such as 500 Internal Server Error or 502 Bad Gateway."""
        names = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return cls(error_code, names.get(error_code, "Internal Server Error"))

    @classmethod
    def timeout(cls, delay: float, *, deliver: bool = True) -> Fault:
        """Hold the request ``delay`` seconds, then process it or drop the connection."""
        return cls(None, "", delay=delay, deliver=deliver)

    def parameters(self) -> dict[str, Any] | None:
        """Return the ``parameters`` object of the error answer, if any."""
        parameters: dict[str, Any] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        return parameters or None

    def to_json(self) -> dict[str, Any]:
        """Return the fault as a JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from the JSON object ``to_json`` gives."""
        return cls(**data)


@dataclass
class FaultRule:
    """One injected rule; ``remaining`` of ``None`` means it never runs out."""

    fault: Fault
    method: str | None
    chat_id: int | str | None
    remaining: int | None
    rate: float | None
    fired: int = 0

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Tell whether the rule targets this method (lower case) and chat."""
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


class FaultInjector:
    """Ordered fault rules; probabilistic ones draw from a seeded generator."""

    def __init__(self, seed: int | None = 0) -> None:
        """Create an injector whose random draws are reproducible for a given ``seed``."""
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)

    @property
    def rules(self) -> list[FaultRule]:
        """Return the rules still in force, in match order."""
        return list(self._rules)

    def add(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
        rate: float | None = None,
    ) -> FaultRule:
        """Add a rule; ``times=None`` keeps it forever, ``rate`` fires it with that chance."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 or None")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        rule = FaultRule(
            fault=fault,
            method=method.lower() if method else None,
            chat_id=_normalize_chat_id(chat_id),
            remaining=times,
            rate=rate,
        )
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    def reseed(self, seed: int | None) -> None:
        """Restart the random draws from ``seed``."""
        self._random.seed(seed)

    def match(self, method: str, chat_id: object) -> Fault | None:
        """Return the fault of the first rule that fires for this call, using it up."""
        if not self._rules:
            return None
        normalized = _normalize_chat_id(chat_id)
        for rule in self._rules:
            if not rule.matches(method, normalized):
                continue
            if rule.rate is not None and self._random.random() >= rule.rate:
                continue
            rule.fired += 1
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
            return rule.fault
        return None


def _normalize_chat_id(chat_id: object) -> int | str | None:
    """Turn a chat id given as int or numeric string into an int; keep ``@names``."""
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    try:
        return int(text)
    except ValueError:
        return text.lower()
