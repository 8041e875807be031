"""The in-memory platform's registration (entry point `cocreate.platforms: memory`)."""

from __future__ import annotations

from adapters.memory.settings import MemorySettings
from bot.plugins import PlatformPlugin
from bot.ports import Core, Platform
from bot.settings import Settings


def _create(core: Core, settings: Settings) -> Platform:
    from adapters.memory.platform import MemoryPlatform

    return MemoryPlatform(core, settings)


plugin = PlatformPlugin(
    name="memory", title="In-memory chat", settings=MemorySettings, create=_create
)
