"""The HTTP server: Bot API routes, file downloads and the control routes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from types import TracebackType

import aiohttp
from aiohttp import web

from standin.bot_methods import BotApiMethods, Handler
from standin.control import ControlActions
from standin.control_http import install_control_routes
from standin.errors import ApiError
from standin.faults import Fault
from standin.http_json import json_response
from standin.limits import FloodLimits
from standin.params import Params, read_params
from standin.webhook import WebhookPusher

_MAX_BODY_BYTES = 64 * 1024 * 1024
_UNAUTHORIZED = ApiError(401, "Unauthorized")
_NOT_FOUND = ApiError(404, "Not Found")


def _error_response(error: ApiError) -> web.Response:
    return json_response(error.payload(), error.error_code)


class BotApiStandIn(ControlActions, BotApiMethods):
    """A local Telegram Bot API server for one bot, driven by tests through control actions.

    Point python-telegram-bot at it with ``base_url(f"{server.url}/bot")`` and
    ``base_file_url(f"{server.url}/file/bot")``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int | None = None,
        bot_username: str = "standin_bot",
        bot_first_name: str = "Stand-in Bot",
        limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = 0,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        """Create a stopped server.

        Args:
            token: When given, calls with any other token get 401 Unauthorized; its numeric
                prefix becomes the bot id unless ``bot_id`` is given.
            bot_id: The bot's user id.
            bot_username: The bot's username, without ``@``.
            bot_first_name: The bot's display name.
            limits: Flood limits; off unless ``limits.enabled``.
            clock: Monotonic seconds for flood windows and ``SentMessage.sent_at``.
            seed: Seed of the generator behind probabilistic faults.
            webhook_retry_delay: First wait after a failed webhook delivery; it doubles up to
                16 times that.
        """
        super().__init__(
            token=token,
            bot_id=bot_id,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            limits=limits,
            clock=clock,
            seed=seed,
        )
        self._methods: dict[str, tuple[str, Handler]] = self._method_table()
        self._webhook_retry_delay = webhook_retry_delay
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._pusher_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Return the root URL, e.g. ``http://127.0.0.1:8081``."""
        if self._url is None:
            raise RuntimeError("the stand-in is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Return the Bot API base URL to give python-telegram-bot (``{url}/bot``)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the file base URL to give python-telegram-bot (``{url}/file/bot``)."""
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 picks a free port) and return the root URL."""
        if self._runner is not None:
            raise RuntimeError("the stand-in is already started")
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        install_control_routes(app, self)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            site = web.SockSite(runner, sock, backlog=1024)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        bound_port = sock.getsockname()[1]
        self._runner = runner
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        self._url = f"http://{shown_host}:{bound_port}"
        self._closing = False
        self._closed = asyncio.Event()
        self._session = aiohttp.ClientSession()
        pusher = WebhookPusher(self, self._session, retry_delay=self._webhook_retry_delay)
        self._pusher_task = asyncio.create_task(pusher.run(), name="standin-webhook")
        return self._url

    async def stop(self) -> None:
        """Stop listening, end pending long polls and webhook delivery."""
        if self._runner is None:
            return
        self._closing = True
        self._closed.set()
        self._notify()
        task = self._pusher_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
        await self._runner.cleanup()
        self._runner = None
        self._session = None
        self._pusher_task = None

    async def __aenter__(self) -> BotApiStandIn:
        """Start (if not started yet) and return the server."""
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    # -- request handling ----------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Serve ``/bot{token}/{method}``."""
        if self.token is not None and request.match_info["token"] != self.token:
            self._stats.errors[401] += 1
            return _error_response(_UNAUTHORIZED)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            self._stats.errors[404] += 1
            return _error_response(_NOT_FOUND)
        name, handler = entry
        self._stats.requests[name] += 1
        params: Params | None = None
        try:
            params = await read_params(request)
            fault = self._faults.match(name.lower(), params.raw("chat_id"))
            if fault is not None:
                dropped = await self._apply_fault(fault, request)
                if dropped is not None:
                    return dropped
            result = await handler(params)
        except ApiError as error:
            transport = request.transport
            if transport is not None and not transport.is_closing():
                self._count_error(error, self._chat_hint(params))
            return _error_response(error)
        return json_response({"ok": True, "result": result})

    async def _apply_fault(self, fault: Fault, request: web.Request) -> web.Response | None:
        """Hold, fail or drop a request as the fault says; ``None`` lets it proceed."""
        if fault.delay > 0:
            await self.wait_closing(fault.delay)
        if fault.error_code is not None:
            raise ApiError(fault.error_code, fault.description, fault.parameters())
        if fault.deliver:
            return None
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=504)

    def _chat_hint(self, params: Params | None) -> int | None:
        """Return the numeric chat id a call was about, for per-chat counters."""
        if params is None:
            return None
        value = params.raw("chat_id")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                chat = self._find_chat(value)
                return None if chat is None else chat.id
        return None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve ``/file/bot{token}/{file_path}`` downloads."""
        if self.token is not None and request.match_info["token"] != self.token:
            return _error_response(_UNAUTHORIZED)
        content = self.file_content(request.match_info["file_path"])
        if content is None:
            return _error_response(_NOT_FOUND)
        return web.Response(body=content, content_type="application/octet-stream")
