"""The `[http]` server of a running Cocreate, whatever platforms are enabled: liveness at
/healthz, readiness at /readyz (the database answers and every enabled platform is
connected), Prometheus metrics at /metrics, and the applications mounted beside them (the
REST API at /api)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics

log = logging.getLogger("cocreate.http")

#: A readiness check: True when that part is ready.
Check = Callable[[], Awaitable[bool]]
#: Makes an application to mount under a path prefix (a new one per server start).
Mount = Callable[[], web.Application]
#: How long a readiness check may take before it counts as not ready.
CHECK_TIMEOUT_S = 2.0


class WebServer:
    name = "http"

    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        checks: Mapping[str, Check],
        mounts: Mapping[str, Mount] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.checks = checks
        self.mounts = dict(mounts or {})
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._alive)
        app.router.add_get("/readyz", self._ready)
        app.router.add_get("/metrics", self._metrics)
        for prefix, make in self.mounts.items():
            app.add_subapp(prefix, make())
        return app

    async def _alive(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _ready(self, request: web.Request) -> web.Response:
        results = await asyncio.gather(*(_within(check) for check in self.checks.values()))
        state = dict(zip(self.checks, results, strict=True))
        status = 200 if all(results) else 503
        return web.Response(status=status, text=json.dumps(state), content_type="application/json")

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        also = "".join(f", and {prefix}" for prefix in self.mounts)
        log.info(
            "health and metrics on http://%s:%s (/healthz /readyz /metrics)%s",
            self.host,
            self.port,
            also,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _within(check: Check) -> bool:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception:  # a check that fails or hangs: not ready
        log.debug("a readiness check failed", exc_info=True)
        return False
