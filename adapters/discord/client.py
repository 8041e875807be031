"""The discord.py client: endpoints, intents, and the hooks the adapter needs.

- Endpoints come from the settings (`api_base_url`, `gateway_url`), for proxies and tests.
- Intents: guilds (channels and roles) and guild message reactions (votes). Neither is
  privileged; slash commands, modals and buttons need no intent at all. Only with
  `capture.reaction` set, the privileged Message Content intent too: a message captured
  by reacting to it is read over REST, and its text needs it.
- Every gateway event parser is guarded: a malformed or unexpected payload is logged and
  skipped instead of raising out of `connect()` and stopping the bot.
- Reaction events are taken at the parser, where the gateway sequence number of the
  dispatch is known: it makes the event id that deduplicates replays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import discord

from adapters.discord import internals, translate
from adapters.discord.settings import DiscordSettings

log = logging.getLogger("cocreate.discord")


class Hooks(Protocol):
    """What the client calls back into (the platform)."""

    async def setup(self, client: discord.Client) -> None: ...

    def gateway_reaction(
        self, event: str, data: Any, session_id: str | None, sequence: int | None
    ) -> None: ...

    def ready(self, shard_id: int | None) -> None: ...
    def guild_removed(self, guild_id: int) -> None:
        """The bot left the guild, or was removed from it (not an outage)."""

    def guild_joined(self, guild_id: int) -> None:
        """The bot joined a guild (again)."""

    async def thread_updated(
        self, guild_id: int, thread_id: int, message_count: int | None
    ) -> None:
        """A thread changed (THREAD_UPDATE, with the Guilds intent): its message count."""
        ...

    async def interaction(self, interaction: discord.Interaction) -> None:
        """Every interaction, after discord.py dispatched it to its handler (if any)."""


def configure_endpoints(settings: DiscordSettings) -> None:
    """Send all REST and gateway traffic to the configured URLs."""
    internals.set_endpoints(settings.api_base_url, settings.gateway_url)


def intents(*, message_content: bool = False) -> discord.Intents:
    """Only what Cocreate uses; nothing privileged unless `message_content` (capturing a
    message by reacting to it)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    wanted.message_content = message_content
    return wanted


class _CocreateClientMixin:
    """Shared by the plain and the auto-sharded client."""

    hooks: Hooks
    identify_delay: float | None

    def __init__(
        self, hooks: Hooks, *, identify_delay: float | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self._install(hooks, identify_delay)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self.identify_delay is None:
            await super().before_identify_hook(shard_id, initial=initial)  # type: ignore[misc]
        elif not initial and self.identify_delay > 0:
            await asyncio.sleep(self.identify_delay)

    def _install(self, hooks: Hooks, identify_delay: float | None) -> None:
        self.hooks = hooks
        self.identify_delay = identify_delay
        parsers = internals.gateway_parsers(self)  # type: ignore[arg-type]
        for name, parse in list(parsers.items()):
            parsers[name] = self._guarded(name, parse)

    def _guarded(self, name: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        reaction = name in translate.REACTION_EVENTS

        def guarded(data: Any) -> None:
            if reaction:
                self._reaction(name, data)
            try:
                parse(data)
            except Exception:
                log.warning("skipped a malformed %s gateway event", name, exc_info=True)

        return guarded

    def _reaction(self, name: str, data: Any) -> None:
        session_id: str | None = None
        sequence: int | None = None
        try:
            guild_id = int(data["guild_id"]) if data.get("guild_id") else None
            session_id, sequence = internals.gateway_position(self, guild_id)  # type: ignore[arg-type]
        except Exception:
            pass
        self.hooks.gateway_reaction(name, data, session_id, sequence)

    async def setup_hook(self) -> None:
        await self.hooks.setup(self)  # type: ignore[arg-type]

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.hooks.interaction(interaction)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.hooks.guild_removed(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.hooks.guild_joined(guild.id)

    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        count = payload.data.get("message_count")
        await self.hooks.thread_updated(
            payload.guild_id, payload.thread_id, int(count) if count is not None else None
        )

    async def on_ready(self) -> None:
        if not isinstance(self, discord.AutoShardedClient):
            self.hooks.ready(None)

    async def on_shard_ready(self, shard_id: int) -> None:
        self.hooks.ready(shard_id)


class CocreateClient(_CocreateClientMixin, discord.Client):
    pass


class CocreateShardedClient(_CocreateClientMixin, discord.AutoShardedClient):
    pass


def make_client(
    hooks: Hooks,
    settings: DiscordSettings,
    *,
    guild_ready_timeout: float = 2.0,
    identify_delay: float | None = None,
    connections: int = 32,
    http_trace: aiohttp.TraceConfig | None = None,
    message_content: bool = False,
) -> discord.Client:
    """An auto-sharded client when shards are configured, a plain one otherwise.

    REST calls share a pool of `connections` kept-alive connections (discord.py's default
    opens one per call in flight, so a burst of commands means a burst of handshakes).
    `message_content`: ask for the privileged Message Content intent (`capture.reaction`)."""
    options: dict[str, Any] = {
        "connector": aiohttp.TCPConnector(limit=connections),
        "http_trace": http_trace,
        "intents": intents(message_content=message_content),
        "allowed_mentions": discord.AllowedMentions.none(),
        "chunk_guilds_at_startup": False,
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "max_messages": None,
        "guild_ready_timeout": guild_ready_timeout,
    }
    if settings.shard_count is None and settings.shard_ids is None:
        return CocreateClient(hooks, identify_delay=identify_delay, **options)
    if settings.shard_count is None:
        raise ValueError("discord.shard_ids needs discord.shard_count as well")
    if settings.shard_ids is not None:
        bad = [s for s in settings.shard_ids if not 0 <= s < settings.shard_count]
        if bad:
            raise ValueError(f"discord.shard_ids {bad} are outside 0..{settings.shard_count - 1}")
    return CocreateShardedClient(
        hooks,
        identify_delay=identify_delay,
        shard_count=settings.shard_count,
        shard_ids=settings.shard_ids,
        **options,
    )
