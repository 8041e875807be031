"""The registry of platform adapters.

An adapter registers itself with one line in `pyproject.toml`, under the entry point
group `cocreate.platforms`, naming a `PlatformPlugin`:

    [project.entry-points."cocreate.platforms"]
    discord = "adapters.discord.plugin:plugin"

The plugin brings everything the rest of Cocreate needs to know about it: its settings
section, the secrets it lacks before a start, the factory of its `Platform`, and its
command-line commands (`cocreate discord sync`). Nothing outside its folder changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

from bot.ports import Core, Platform
from bot.settings import ConfigError, PlatformSection, Settings

ENTRY_POINT_GROUP = "cocreate.platforms"


@dataclass(frozen=True)
class PlatformCommand:
    """`cocreate <platform> <action>`: runs with the settings, returns the exit status."""

    action: str
    summary: str
    run: Callable[[Settings], int]


def _no_problems(settings: Settings) -> Sequence[ConfigError]:
    return ()


@dataclass(frozen=True)
class PlatformPlugin:
    #: the platform's name: its settings section, its entry point, its command
    name: str
    #: for people: "Discord"
    title: str
    settings: type[PlatformSection]
    #: the adapter, wired to the core (called only when its section is enabled)
    create: Callable[[Core, Settings], Platform]
    #: what stops it from starting (a missing secret), told before anything starts
    problems: Callable[[Settings], Sequence[ConfigError]] = _no_problems
    commands: tuple[PlatformCommand, ...] = ()


@cache
def platform_plugins() -> dict[str, PlatformPlugin]:
    """Every registered platform adapter, by name."""
    found: dict[str, PlatformPlugin] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry.load()
        if not isinstance(plugin, PlatformPlugin) or plugin.name != entry.name:
            raise TypeError(
                f"entry point {entry.name} = {entry.value} of {ENTRY_POINT_GROUP} is not "
                f"the PlatformPlugin named {entry.name!r}"
            )
        found[entry.name] = plugin
    return dict(sorted(found.items()))


def enabled_plugins(settings: Settings) -> list[PlatformPlugin]:
    """The registered adapters whose section is enabled."""
    sections = settings.platforms
    return [p for name, p in platform_plugins().items() if sections[name].enabled]
