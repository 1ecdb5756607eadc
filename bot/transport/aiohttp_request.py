"""python-telegram-bot's HTTP layer on aiohttp: a cheaper connection pool than httpx's.

`AiohttpRequest` is a `telegram.request.BaseRequest`: python-telegram-bot builds each
Bot API call, hands it here as (url, method, parameters, timeouts) and turns the HTTP
status and body returned into results or its usual errors (`RetryAfter`, `Forbidden`,
`BadRequest`, `ChatMigrated`...). What this layer does itself:

    parameters   the same JSON-encoded values python-telegram-bot's httpx layer sends,
                 in one application/json body, which the Bot API accepts for every
                 method; calls that upload files go as multipart/form-data
    pool         at most `connection_pool_size` calls at once over kept-alive
                 connections; a call that waits longer than the pool timeout for its
                 turn fails with `TimedOut` and was not sent
    timeouts     per call, like httpx's: connect bounds opening a connection, read
                 the silence while waiting for the answer, once the request is written.
                 aiohttp has no write timeout of its own, so a call with a body ends at
                 the latest after connect + write + read seconds; uploads use
                 `media_write_timeout` unless the call gives its own
    errors       a timeout is `TimedOut`, any other failure of the connection
                 `NetworkError`; the message may have arrived in both cases

Proxies are not supported: the bot talks to the Bot API server directly.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON: Final = {"Content-Type": "application/json"}
POOL_TIMEOUT_MESSAGE: Final = (
    "Pool timeout: all connections of the pool are busy; the request was not sent"
)


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _sum(*parts: float | None) -> float | None:
    """Return the sum of the timeouts, or None (no limit) if any of them is None."""
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total


class AiohttpRequest(BaseRequest):
    """Send Bot API calls over one `aiohttp.ClientSession`, opened by `initialize`.

    The arguments mean what they mean for python-telegram-bot's `HTTPXRequest`, with the
    same defaults; each call may override the timeouts.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_timeouts",
        "_turns",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._turns: asyncio.Semaphore | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        """Return the read timeout used when a call gives none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session and its connection pool (again, after `shutdown`)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": self.USER_AGENT},
            timeout=aiohttp.ClientTimeout(),
        )
        self._turns = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        """Close the session and its connections; calling it twice is harmless."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self, connect: float | None, write: float | None, read: float | None, has_body: bool
    ) -> aiohttp.ClientTimeout:
        key = (connect, write, read, float(has_body))
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=_sum(connect, write, read) if has_body else None,
                sock_connect=connect,
                sock_read=read,
            )
            if len(self._timeouts) < 64:  # a handful of combinations in practice
                self._timeouts[key] = timeout
        return timeout

    async def do_request(  # noqa: PLR0917 - the signature is BaseRequest's
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one HTTP call; return its status code and body."""
        session, turns = self._session, self._turns
        if session is None or session.closed or turns is None:
            raise RuntimeError("This AiohttpRequest is not initialized")
        body: bytes | aiohttp.FormData | None = None
        headers: dict[str, str] | None = None
        if request_data is not None and request_data.contains_files:
            body = _multipart(request_data.json_parameters, request_data.multipart_data)
            default_write = self._media_write_timeout
        else:
            default_write = self._write_timeout
            if request_data is not None and (parameters := request_data.json_parameters):
                body = json.dumps(parameters, ensure_ascii=False).encode()
                headers = _JSON
        timeout = self._timeout(
            _value(connect_timeout, self._connect_timeout),
            _value(write_timeout, default_write),
            _value(read_timeout, self._read_timeout),
            body is not None,
        )
        await self._take_turn(turns, _value(pool_timeout, self._pool_timeout))
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts derive from it too
            raise TimedOut(f"Timed out: {exc}" if str(exc) else None) from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        finally:
            turns.release()

    @staticmethod
    async def _take_turn(turns: asyncio.Semaphore, seconds: float | None) -> None:
        """Wait for one of the pool's places, at most `seconds`."""
        if not turns.locked():
            await turns.acquire()  # free: returns at once
            return
        try:
            async with asyncio.timeout(seconds):
                await turns.acquire()
        except TimeoutError as exc:
            raise TimedOut(POOL_TIMEOUT_MESSAGE) from exc


def _multipart(parameters: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    """Return the call as multipart/form-data: its parameters, then its files."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        # A file's bytes are streamed from a buffer: one large write would stall the loop.
        data = io.BytesIO(content) if isinstance(content, bytes) else content
        form.add_field(name, data, filename=filename, content_type=mime_type)
    return form
