"""The application command tree, built from the core's command specs (no second list).

Each spec becomes an `app_commands.Command` whose callback is generated with a signature
made of one keyword parameter per option, annotated with a transformer that says the
option's Discord type, limits, choices and autocomplete. discord.py reads that signature
the same way it reads a hand-written one, so the synced payload, the parsing of values
and the autocomplete routing are all the library's own.
"""

from __future__ import annotations

import inspect
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType

from adapters.discord.localise import description, group_description
from bot.commands import registry
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.settings import LimitsSettings

#: Runs one slash command: (interaction, spec, values by option name).
Runner = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
#: Suggests values for an option as the member types: (interaction, spec, option, typed).
Completer = Callable[
    [discord.Interaction, CommandSpec, Option, str], Awaitable[list[app_commands.Choice[str]]]
]

STRING_MAX = 6000
GUILD_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
MANAGE_SERVER = discord.Permissions(manage_guild=True)


class _Passthrough(app_commands.Transformer):
    """A string, integer or boolean option with its limits; the value is used as is."""

    def __init__(
        self,
        kind: AppCommandOptionType,
        *,
        min_value: int | None = None,
        max_value: int | None = None,
        choices: tuple[str, ...] = (),
    ) -> None:
        self._kind = kind
        self._min = min_value
        self._max = max_value
        self._choices = choices

    @property
    def type(self) -> AppCommandOptionType:
        return self._kind

    @property
    def min_value(self) -> int | None:
        return self._min

    @property
    def max_value(self) -> int | None:
        return self._max

    @property
    def choices(self) -> list[app_commands.Choice[int | float | str]] | None:
        if not self._choices:
            return None
        return [app_commands.Choice(name=c.replace("_", " "), value=c) for c in self._choices[:25]]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        return value


class _Completed(_Passthrough):
    """A string option with autocomplete (challenges, ideas, time zones)."""

    def __init__(self, spec: CommandSpec, option: Option, completer: Completer) -> None:
        super().__init__(AppCommandOptionType.string, max_value=200)
        self._spec = spec
        self._option = option
        self._completer = completer

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        return await self._completer(interaction, self._spec, self._option, str(value or ""))


class _Snowflake(_Passthrough):
    """A user or channel option; the core gets the id as text."""

    def __init__(self, kind: AppCommandOptionType) -> None:
        super().__init__(kind)

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        if self._kind is not AppCommandOptionType.channel:
            return []
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        return str(getattr(value, "id", value))


def option_transformer(
    spec: CommandSpec, option: Option, limits: LimitsSettings, completer: Completer
) -> Any:
    """The annotation that makes `option` the right Discord option."""
    kind = option.kind
    if kind is OptionKind.BOOL:
        return bool
    if kind is OptionKind.INT:
        return _Passthrough(
            AppCommandOptionType.integer, min_value=option.min_value, max_value=option.max_value
        )
    if kind is OptionKind.CHOICE:
        return _Passthrough(AppCommandOptionType.string, choices=option.choices)
    if kind in (OptionKind.IDEA, OptionKind.CHALLENGE, OptionKind.TIMEZONE):
        return _Completed(spec, option, completer)
    if kind is OptionKind.MEMBER:
        return _Snowflake(AppCommandOptionType.user)
    if kind is OptionKind.CHANNEL:
        return _Snowflake(AppCommandOptionType.channel)
    limit = getattr(limits, option.limit) if option.limit else None
    if kind is OptionKind.LONG_TEXT:
        return _Passthrough(AppCommandOptionType.string, max_value=int(limit or STRING_MAX))
    if kind is OptionKind.TEXT:
        return _Passthrough(
            AppCommandOptionType.string, max_value=int(limit) if limit else STRING_MAX
        )
    # durations, deadlines, emoji, cron text: free text that the core parses
    return _Passthrough(AppCommandOptionType.string, max_value=200)


def make_callback(
    spec: CommandSpec,
    run: Runner,
    limits: LimitsSettings,
    completer: Completer,
    optional: set[str],
) -> Callable[..., Awaitable[None]]:
    """A coroutine function whose signature declares the spec's options."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(interaction, spec, values)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in spec.options:
        required = option.required and option.name not in optional
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=option_transformer(spec, option, limits, completer),
                default=inspect.Parameter.empty if required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = "cocreate_" + "_".join(spec.path)
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: description(o.description) for o in spec.options
    }
    return callback


def _conflicts(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two paths can't both exist when one is the other or a prefix of it."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def discord_paths(specs: list[CommandSpec]) -> dict[tuple[str, ...], CommandSpec]:
    """Each spec's path on Discord: its own path, or, when that collides with a shorter
    command (Discord can't have `/results` and `/results post`), its first alias that does
    not. Shorter paths choose first, so top-level commands keep their names."""
    chosen: dict[tuple[str, ...], CommandSpec] = {}
    for spec in sorted(specs, key=lambda s: len(s.path)):
        for candidate in (spec.path, *spec.aliases):
            if not 1 <= len(candidate) <= 3:
                continue
            if not any(_conflicts(candidate, taken) for taken in chosen):
                chosen[candidate] = spec
                break
        else:
            raise ValueError(f"{spec.name} has no path that fits Discord's command tree")
    order = {id(s): n for n, s in enumerate(specs)}
    return dict(sorted(chosen.items(), key=lambda item: order[id(item[1])]))


def build_commands(
    run: Runner,
    completer: Completer,
    limits: LimitsSettings,
    optional: Mapping[tuple[str, ...], set[str]] | None = None,
    specs: list[CommandSpec] | None = None,
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """Top-level commands and groups (with subgroups) for every spec.

    `optional` names, per spec path, the options that stay optional on Discord although
    the spec requires them (a form collects them). A group whose commands are all for
    moderators is visible by default only to members with Manage Server; the core
    checks permissions again on every call (configured moderator roles included).
    """
    optional = optional or {}
    paths = discord_paths(list(registry.specs if specs is None else specs))
    out: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = []
    groups: dict[tuple[str, ...], app_commands.Group] = {}

    def group(prefix: tuple[str, ...]) -> app_commands.Group:
        if prefix in groups:
            return groups[prefix]
        under = [(p, s) for p, s in paths.items() if p[: len(prefix)] == prefix]
        leaves = [s for _path, s in under]
        parent = group(prefix[:-1]) if len(prefix) > 1 else None
        about = group_description(prefix[-1], [p[len(prefix)] for p, _spec in under])
        if parent is None:
            made = app_commands.Group(
                name=prefix[-1],
                description=about,
                allowed_contexts=GUILD_ONLY,
                default_permissions=MANAGE_SERVER if all(s.moderator for s in leaves) else None,
            )
        else:
            made = app_commands.Group(name=prefix[-1], description=about, parent=parent)
        groups[prefix] = made  # a subgroup adds itself to its parent
        if parent is None:
            out.append(made)
        return made

    for path, spec in paths.items():
        callback = make_callback(spec, run, limits, completer, optional.get(spec.path, set()))
        if len(path) == 1:
            command: app_commands.Command[Any, ..., Any] = app_commands.Command(
                name=path[0],
                description=description(spec.description),
                callback=cast(Any, callback),
                allowed_contexts=GUILD_ONLY,
            )
            if spec.moderator:
                command.default_permissions = MANAGE_SERVER
            command.extras["spec"] = spec
            out.append(command)
            continue
        parent = group(path[:-1])
        command = app_commands.Command(
            name=path[-1],
            description=description(spec.description),
            callback=cast(Any, callback),
            parent=parent,
        )
        command.extras["spec"] = spec
        parent.add_command(command)
    return out


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_choices(typed: str) -> list[app_commands.Choice[str]]:
    key = typed.strip().casefold().replace(" ", "_")
    found = [z for z in time_zones() if key in z.casefold()] if key else ["UTC", "Europe/London"]
    return [app_commands.Choice(name=z, value=z) for z in found[:25]]


_OPTION_KEYS = (
    "name",
    "description",
    "type",
    "required",
    "choices",
    "autocomplete",
    "min_value",
    "max_value",
    "min_length",
    "max_length",
    "channel_types",
    "options",
    "name_localizations",
    "description_localizations",
)


def _option_signature(option: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _OPTION_KEYS:
        value = option.get(key)
        if key in ("required", "autocomplete"):
            value = bool(value)
        elif key == "description":
            value = value or ""  # a context menu has none; Discord answers ""
        elif key == "choices":
            value = [(c["name"], c["value"]) for c in value or []]
        elif key == "channel_types":
            value = sorted(value or [])
        elif key == "options":
            value = [_option_signature(o) for o in value or []]
        elif key in ("name_localizations", "description_localizations"):
            value = dict(sorted((value or {}).items()))  # none and {} alike
        out[key] = value
    return out


def commands_signature(commands: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What matters of a list of command payloads, ours or as Discord returns them (with
    their localisations): two lists with the same signature need no sync."""
    out = []
    for command in commands:
        permissions = command.get("default_member_permissions")
        out.append(
            {
                **_option_signature(command),
                "type": command.get("type", 1),
                "default_member_permissions": None if permissions is None else str(permissions),
                "contexts": sorted(command.get("contexts") or []),
                "nsfw": bool(command.get("nsfw")),
            }
        )
    return sorted(out, key=lambda c: (str(c["name"]), int(c["type"])))
