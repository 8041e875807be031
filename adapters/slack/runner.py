"""Transports that feed requests to bolt in our event loop: HTTP under our own aiohttp
runner (never bolt's blocking `app.start()`), or a Socket Mode websocket.

Both stamp each request with the time it arrived (`received_at` in bolt's context) and
refuse what bolt could not read (a 4xx over HTTP) before dispatching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import MAX_BODY_BYTES, Refused, check_size, screen
from adapters.slack.manifest import EVENTS_PATH
from adapters.slack.shapes import mismatch
from bot.settings import ConfigError

log = logging.getLogger("cocreate.slack")

Now = Callable[[], datetime]
#: the key of the arrival time in bolt's context
RECEIVED_AT = "received_at"
#: told how long a request took to be acknowledged, in seconds
Acked = Callable[[float], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class HttpRunner:
    """Events, commands and interactions at /slack/events; the OAuth flow at /slack/install
    and /slack/oauth_redirect when configured; /healthz for load balancers."""

    def __init__(
        self,
        bolt: AsyncApp,
        host: str,
        port: int,
        now: Now = utc_now,
        on_ack: Acked | None = None,
    ) -> None:
        self.bolt = bolt
        self.host = host
        self.port = port
        self.now = now
        self.on_ack = on_ack
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(EVENTS_PATH, self._dispatch)
        flow = self.bolt.oauth_flow
        if flow is not None:
            app.router.add_get(flow.install_path, self._install)
            app.router.add_get(flow.redirect_uri_path, self._oauth_redirect)
        app.router.add_get("/healthz", self._health)
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        received_at = self.now()
        try:
            check_size(request.content_length)
            raw = await request.read()
            body, payload = screen(request.headers, raw)
            bolt_request = http_request(request, body, payload, received_at)
        except web.HTTPRequestEntityTooLarge:
            return refuse(request, Refused(413, f"body of more than {MAX_BODY_BYTES} bytes"))
        except Refused as refused:
            return refuse(request, refused)
        response = await self.bolt.async_dispatch(bolt_request)
        if self.on_ack is not None:
            self.on_ack(time.perf_counter() - arrived)
        return await to_aiohttp_response(response)

    async def _install(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _oauth_redirect(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        log.info("Slack HTTP endpoint on http://%s:%s%s", self.host, self.port, EVENTS_PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def http_request(
    request: web.Request, body: str, payload: dict[str, Any], received_at: datetime
) -> AsyncBoltRequest:
    """Bolt's request, with the payload we parsed. Bolt would parse the body again, by a
    rule that reads any form body containing the word "payload" as empty: a slash command
    with that word in its text went unanswered (404)."""
    bolt_request = AsyncBoltRequest(
        body="",
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    bolt_request.raw_body = body  # what the signature covers
    bolt_request.body = payload
    try:
        context = build_async_context(AsyncBoltContext({RECEIVED_AT: received_at}), payload)
    except (LookupError, TypeError, ValueError, AttributeError) as err:
        # `shapes` describes what bolt reads; should a new bolt read more, still no 500.
        raise Refused(400, f"bolt could not read the payload ({type(err).__name__})") from None
    bolt_request.context = context
    return bolt_request


def refuse(request: web.Request, refused: Refused) -> web.Response:
    log.info(
        "Slack request from %s refused with %d: %s", request.remote, refused.status, refused.reason
    )
    return web.Response(status=refused.status, text=refused.reason)


class AckedWhenDone(AsyncSocketModeHandler):
    """Acks an envelope only when bolt answered 200. One that could not be done (a
    reaction while the database is down: 503) is left unacked, and Slack sends it again.

    Bolt's own handler does not ack either, but it logs a line of its own; the listener
    that refused has already said why."""

    def __init__(
        self, bolt: AsyncApp, app_token: str, now: Now, on_ack: Acked | None, **kwargs: object
    ) -> None:
        super().__init__(bolt, app_token, **kwargs)  # type: ignore[arg-type]
        self.now = now
        self.on_ack = on_ack

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        started = time.time()
        arrived = time.perf_counter()
        problem = mismatch(req.payload)
        if problem:
            # Sending it again would not make it readable: acked, and dropped.
            log.info("Socket Mode envelope %s dropped: %s", req.envelope_id, problem)
            await client.send_socket_mode_response(SocketModeResponse(req.envelope_id))
            return
        bolt_request = AsyncBoltRequest(
            mode="socket_mode",
            body=req.payload,
            headers=build_headers(req),
            context={RECEIVED_AT: self.now()},
        )
        response = await self.app.async_dispatch(bolt_request)
        if response.status == 200:
            await send_async_response(client, req, response, started)
            if self.on_ack is not None:
                self.on_ack(time.perf_counter() - arrived)


class SocketRunner:
    """Socket Mode: `AsyncSocketModeHandler.connect_async()`, no public URL needed."""

    def __init__(
        self,
        bolt: AsyncApp,
        app_token: str,
        web_client: AsyncWebClient,
        ping_interval_s: float,
        now: Now = utc_now,
        on_ack: Acked | None = None,
    ) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.web_client = web_client
        self.ping_interval_s = ping_interval_s
        self.now = now
        self.on_ack = on_ack
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        # The client retries a failed connection for ever; a wrong token must fail now.
        try:
            await self.web_client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as err:
            raise ConfigError(
                f"slack.app_token was refused by Slack: {err.response.get('error')}",
                key="slack.app_token",
            ) from None
        self._handler = AckedWhenDone(
            self.bolt,
            self.app_token,
            self.now,
            self.on_ack,
            logger=logging.getLogger("cocreate.slack.socket"),
            web_client=self.web_client,
            ping_interval=self.ping_interval_s,
        )
        await self._handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack Socket Mode connected")

    async def connected(self) -> bool:
        handler = self._handler
        return handler is not None and bool(await handler.client.is_connected())

    async def stop(self) -> None:
        handler, self._handler = self._handler, None
        if handler is None:
            return
        await handler.close_async()  # type: ignore[no-untyped-call]
        client = handler.client
        tasks = [
            t
            for t in (
                client.message_processor,
                client.current_session_monitor,
                client.message_receiver,
            )
            if isinstance(t, asyncio.Future)
        ]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
