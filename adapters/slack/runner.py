"""Transports that feed requests to bolt in our event loop: HTTP under our own aiohttp
runner (never bolt's blocking `app.start()`), or a Socket Mode websocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.manifest import EVENTS_PATH
from bot.settings import ConfigError

log = logging.getLogger("cocreate.slack")


class HttpRunner:
    """Events, commands and interactions at /slack/events; the OAuth flow at /slack/install
    and /slack/oauth_redirect when configured; /healthz for load balancers."""

    def __init__(self, bolt: AsyncApp, host: str, port: int) -> None:
        self.bolt = bolt
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(EVENTS_PATH, self._dispatch)
        flow = self.bolt.oauth_flow
        if flow is not None:
            app.router.add_get(flow.install_path, self._install)
            app.router.add_get(flow.redirect_uri_path, self._oauth_redirect)
        app.router.add_get("/healthz", self._health)
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
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


class SocketRunner:
    """Socket Mode: `AsyncSocketModeHandler.connect_async()`, no public URL needed."""

    def __init__(
        self, bolt: AsyncApp, app_token: str, web_client: AsyncWebClient, ping_interval_s: float
    ) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.web_client = web_client
        self.ping_interval_s = ping_interval_s
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
        self._handler = AsyncSocketModeHandler(
            self.bolt,
            self.app_token,
            logger=logging.getLogger("cocreate.slack.socket"),
            web_client=self.web_client,
            ping_interval=self.ping_interval_s,
        )
        await self._handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack Socket Mode connected")

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
