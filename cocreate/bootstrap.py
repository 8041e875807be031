"""The composition root: the one place that wires concrete parts to the core.

`run`, `console`, `demo`, the benchmarks and the tests all build the application here;
tests override its parts by passing their own (a clock, publishers, a backoff)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import ManualClock, SystemClock
from bot.core import Cocreate
from bot.plugins import enabled_plugins
from bot.ports import Clock, Platform, Publisher, Service, SteerableClock
from bot.settings import Settings
from cocreate.startup import Backoff, wait_for_database

if TYPE_CHECKING:
    from aiohttp import web
    from sqlalchemy.ext.asyncio import AsyncEngine

    from scheduler import Timer


async def open_database(settings: Settings, backoff: Backoff | None = None) -> AsyncEngine:
    """An engine on the configured database, migrated to the newest schema, its points by
    month summed with the configured weekly cap.

    The migration is the first use of the database: while the database does not answer it
    is tried again for up to `storage.connect_wait_seconds`, then DatabaseUnreachable.
    """
    from storage import migrate, month_points
    from storage.database import create_engine

    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.storage.busy_timeout_ms,
        echo=settings.storage.echo,
    )

    async def prepare(engine: AsyncEngine) -> None:
        await migrate.upgrade(engine)
        await month_points.keep_cap(engine, settings.points.vote_cast_weekly_cap)

    try:
        await wait_for_database(engine, prepare, settings.storage.connect_wait_seconds, backoff)
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
    database = SqlDatabase(engine, pool_size=settings.storage.pool_size)
    return Cocreate(database, settings, clock or SystemClock(), publishers)


def platforms(app: Cocreate, settings: Settings) -> list[Platform]:
    """The chat platforms enabled in the settings, wired to the core."""
    return [plugin.create(app, settings) for plugin in enabled_plugins(settings)]


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

    api = Api(
        app.db,
        app.clock,
        app.rewards.weights,
        settings.leaderboard.season_months,
        settings.http.api_requests_per_minute,
    )
    return api_app(api)


def timer(app: Cocreate, settings: Settings) -> Timer:
    """The timer that wakes the agenda when something falls due."""
    from scheduler import Timer

    heartbeat = timedelta(seconds=settings.scheduler.heartbeat_seconds)
    return Timer(app.agenda, app.clock, heartbeat)


async def run_console(
    settings: Settings,
    script: Path | None = None,
    clock: SteerableClock | None = None,
    lines: Iterable[str] | None = None,
) -> int:
    """The console adapter on the core and the timer, on the configured (SQLite) file;
    returns the console's exit status."""
    from adapters.console.app import PLATFORM, ConsolePublisher, drive, keep_clock, resumed_clock

    data_dir = settings.core.data_dir
    clock = clock or resumed_clock(data_dir)
    publisher = ConsolePublisher(sys.stdout, data_dir / "files")
    app = await build(settings, clock, {PLATFORM: publisher})
    await app.start()
    ticking = timer(app, settings)
    await ticking.start()
    try:
        status = await drive(app, settings, publisher, clock, script, lines)
        # What the last lines set off (notices to followers, badges) is shown before the
        # console ends; a service instead leaves unsent notices for its next start.
        await app.drain()
        return status
    finally:
        await ticking.stop()
        await app.stop()
        keep_clock(data_dir, clock)


async def run_demo(folder: Path | None = None) -> int:
    """`cocreate demo`: the console's scripted two-week challenge in a folder of its own."""
    from adapters.console.demo import START, demo_lines, demo_settings

    settings = demo_settings(folder)
    status = await run_console(settings, clock=ManualClock(START), lines=demo_lines())
    print(f"\nThe demo's charts, CSV files and export are in {settings.core.data_dir / 'files'}")
    return status
