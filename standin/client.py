"""A client for the control routes, for tests that run the stand-in in another process."""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any

import aiohttp

from standin.errors import ControlError


class ControlClient:
    """Call ``/_control/{action}`` on a running stand-in."""

    def __init__(self, url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        """Talk to the stand-in whose root URL is ``url``; reuse ``session`` when given."""
        self._url = url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def call(self, action: str, **arguments: Any) -> Any:
        """Run a control action and return its JSON result.

        Raises:
            TimeoutError: ``wait_for`` timed out.
            ControlError: The action was refused or is unknown.
        """
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(f"{self._url}/_control/{action}", json=arguments) as reply:
            data = await reply.json()
            if data.get("ok"):
                return data["result"]
            if reply.status == 408:
                raise TimeoutError(data.get("description"))
            raise ControlError(data.get("description") or f"HTTP {reply.status}")

    async def send_document(
        self, chat_id: int, user_id: int, file_name: str, content: bytes, **arguments: Any
    ) -> Any:
        """Have a user send a file (the bytes travel base64-encoded)."""
        return await self.call(
            "send_document",
            chat_id=chat_id,
            user_id=user_id,
            file_name=file_name,
            content_base64=base64.b64encode(content).decode("ascii"),
            **arguments,
        )

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> ControlClient:
        """Return the client."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client."""
        await self.close()
