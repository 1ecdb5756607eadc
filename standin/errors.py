"""Errors raised while serving Bot API calls and control actions."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answered as ``{"ok": false, ...}`` with a matching HTTP status."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        """Create an error with Telegram's code, description and optional parameters."""
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str, parameters: dict[str, Any] | None = None) -> ApiError:
    """Build a 400 error whose description starts with ``Bad Request:``."""
    return ApiError(400, f"Bad Request: {reason}", parameters)


def forbidden(reason: str) -> ApiError:
    """Build a 403 error whose description starts with ``Forbidden:``."""
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    """Build a 409 error whose description starts with ``Conflict:``."""
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """Build a 429 error asking the client to wait ``retry_after`` seconds."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


CHAT_NOT_FOUND = "chat not found"


class ControlError(ValueError):
    """A control action that cannot be carried out in the current state."""
