"""The composition root: the one place that wires concrete parts to the core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.clock import SystemClock
from bot.core import Cocreate
from bot.ports import Clock, Platform, Publisher, Service
from bot.settings import Settings
from bot.startup import Backoff, wait_for_database

if TYPE_CHECKING:
    from aiohttp import web
    from sqlalchemy.ext.asyncio import AsyncEngine


async def open_database(settings: Settings, backoff: Backoff | None = None) -> AsyncEngine:
    """An engine on the configured database, migrated to the newest schema.

    The migration is the first use of the database: while the database does not answer it
    is tried again for up to `storage.connect_wait_seconds`, then DatabaseUnreachable.
    """
    from storage import migrate
    from storage.database import create_engine

    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.storage.busy_timeout_ms,
        echo=settings.storage.echo,
    )
    try:
        await wait_for_database(
            engine, migrate.upgrade, settings.storage.connect_wait_seconds, backoff
        )
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def build(
    settings: Settings,
    clock: Clock | None = None,
    publishers: Mapping[str, Publisher] | None = None,
    backoff: Backoff | None = None,
) -> Cocreate:
    """The core on the configured database, migrated to the newest schema."""
    from storage.database import SqlDatabase

    engine = await open_database(settings, backoff)
    return Cocreate(SqlDatabase(engine), settings, clock or SystemClock(), publishers)


def platforms(app: Cocreate, settings: Settings) -> list[Platform]:
    """The chat platforms enabled in the settings, wired to the core."""
    enabled: list[Platform] = []
    if settings.discord.enabled:
        from adapters.discord import DiscordPlatform

        enabled.append(DiscordPlatform(app, settings))
    if settings.slack.enabled:
        from adapters.slack import SlackPlatform

        enabled.append(SlackPlatform(app, settings))
    return enabled


def web_server(app: Cocreate, settings: Settings, running: list[Platform]) -> Service:
    """The [http] server: ready when the database answers and every platform is connected."""
    from bot.web import Check, Mount, WebServer

    checks: dict[str, Check] = {"database": app.db.answers}
    for platform in running:
        checks[platform.name] = platform.connected
    app.metrics.watch_pool(app.db.pool_status)
    mounts: dict[str, Mount] = {}
    if settings.http.api_enabled:
        mounts["/api"] = lambda: rest_api(app, settings)
    return WebServer(settings.http.host, settings.http.port, app.metrics, checks, mounts)


def rest_api(app: Cocreate, settings: Settings) -> web.Application:
    """The REST API (/api) on the core's database, clock and point weights."""
    from bot.api import Api, api_app

    api = Api(app.db, app.clock, app.rewards.weights, settings.leaderboard.season_months)
    return api_app(api)
