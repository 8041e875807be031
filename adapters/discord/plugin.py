"""The Discord adapter's registration (entry point `cocreate.platforms: discord`).

Light on purpose: loading the settings must not import discord.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from adapters.discord.settings import DiscordSettings, discord_settings
from bot.plugins import PlatformCommand, PlatformPlugin
from bot.ports import Core, Platform
from bot.settings import ConfigError, Settings


def _create(core: Core, settings: Settings) -> Platform:
    from adapters.discord.platform import DiscordPlatform

    return DiscordPlatform(core, settings)


def _problems(settings: Settings) -> Sequence[ConfigError]:
    if discord_settings(settings).token is not None:
        return ()
    return (
        ConfigError(
            "discord.token is not set: discord.enabled is set and the bot logs in with it "
            "(set the environment variable COCREATE_DISCORD__TOKEN)",
            key="discord.token",
        ),
    )


def _sync(settings: Settings) -> int:
    from adapters.discord.sync import sync_commands

    return asyncio.run(sync_commands(settings))


plugin = PlatformPlugin(
    name="discord",
    title="Discord",
    settings=DiscordSettings,
    create=_create,
    problems=_problems,
    commands=(PlatformCommand("sync", "register the slash commands globally", _sync),),
)
