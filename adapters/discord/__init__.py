"""The Discord adapter: Cocreate in a Discord guild through discord.py 2.x."""

from adapters.discord.platform import DiscordPlatform

__all__ = ["DiscordPlatform"]
