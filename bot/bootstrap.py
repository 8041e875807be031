"""The composition root: the one place that wires concrete parts to the core."""

from __future__ import annotations

from collections.abc import Mapping

from bot.clock import SystemClock
from bot.core import Cocreate
from bot.ports import Clock, Platform, Publisher
from bot.settings import Settings


async def build(
    settings: Settings,
    clock: Clock | None = None,
    publishers: Mapping[str, Publisher] | None = None,
) -> Cocreate:
    """The core on the configured database, migrated to the newest schema."""
    from storage.database import SqlDatabase, create_engine
    from storage.migrate import upgrade

    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.storage.busy_timeout_ms,
        echo=settings.storage.echo,
    )
    await upgrade(engine)
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
