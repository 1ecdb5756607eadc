"""The operators' HTTP server: /healthz, /readyz and /metrics on HEALTH_HOST:HEALTH_PORT.

`/healthz` answers 200 while the process serves at all; `/readyz` runs the readiness
checks and answers 200 or 503 with the reasons as JSON; `/metrics` sets the gauges from
one query and the running broadcasts, then answers in the Prometheus text format.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.operations import metrics
from bot.operations.readiness import Readiness, report

log = logging.getLogger(__name__)

Refresh = Callable[[], Awaitable[None]]


class HealthServer:
    """Serve health, readiness and metrics until stopped."""

    def __init__(self, readiness: Readiness, refresh: Refresh | None = None) -> None:
        self.readiness = readiness
        self._refresh = refresh
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._app = app

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 picks a free port); return the port."""
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        self.port = int(addresses[0][1]) if addresses else port
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "alive", "uptime_seconds": round(time.monotonic() - self._started, 1)}
        )

    async def _readyz(self, _request: web.Request) -> web.Response:
        ready, body = report(await self.readiness.run())
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self._refresh is not None:
            try:
                await self._refresh()
            except Exception:  # the counters are still worth serving
                log.warning("Could not refresh the metrics' gauges", exc_info=True)
        return web.Response(
            body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
