"""A webhook receiver on loopback (port 0) that checks each request's signature as the
README tells receivers to: the body's HMAC, and a timestamp within 5 minutes of its clock."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.webhooks.signing import HEADER, verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """Answers 200, or `status` while `failing` (a count, or -1: always)."""

    now: Callable[[], float] = time.time
    url: str = ""
    secret: str = ""
    failing: int = 0
    status: int = 503
    requests: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        signed = request.headers.get(HEADER, "")
        ok = bool(self.secret) and verify(self.secret, signed, body, self.now())
        if self.failing:
            self.failing -= 1 if self.failing > 0 else 0
            status = self.status
        else:
            status = 200 if ok else 400  # a receiver refuses what it can't verify
        self.requests.append(Received(request.path, dict(request.headers), body, ok, status))
        return web.Response(status=status, text="ok" if status == 200 else "no")

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """The events answered 200 (each verified), in the order they came."""
        return [r.event for r in self.requests if r.status == 200]


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    got.url = f"http://127.0.0.1:{port}/hooks/cocreate"
    try:
        yield got
    finally:
        await runner.cleanup()
