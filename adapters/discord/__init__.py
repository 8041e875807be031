"""The Discord adapter: Cocreate in a Discord guild through discord.py 2.x.

`DiscordPlatform` is imported lazily, so that loading the settings (the registry reads
`plugin.py`) does not load discord.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.discord.platform import DiscordPlatform

__all__ = ["DiscordPlatform"]


def __getattr__(name: str) -> Any:
    if name == "DiscordPlatform":
        from adapters.discord.platform import DiscordPlatform

        return DiscordPlatform
    raise AttributeError(name)
