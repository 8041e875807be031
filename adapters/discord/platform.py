"""The Discord platform: its lifecycle in our event loop, and the wiring to the core.

`start()` logs in over REST (a bad token or an unreachable API fails right there), syncs
the slash commands (to `guild_ids` at once when set, else globally), then connects to
the gateway in a background task and returns at the first READY, or when the connection
fails for good, or after `ready_timeout` (it then keeps connecting in the background).
`stop()` closes the gateway and waits (up to `drain_timeout`) for the reactions in flight.
Reaction events go to the core patiently (`reactions.py`): a database outage holds them
in memory instead of losing them.

After every READY (the first, and any that follows a failed resume) the votes of the
idea posts of running and recently closed challenges are read back from Discord; while
the database is down, that catch-up waits for it (tried again with a growing delay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord import internals, names, translate
from adapters.discord.client import configure_endpoints, make_client
from adapters.discord.commands import GUILD_ONLY, build_commands, commands_signature
from adapters.discord.forms import form_option_names
from adapters.discord.interactions import CardButton, Interactions, ReviewButton
from adapters.discord.localise import CatalogueTranslator
from adapters.discord.publisher import DiscordPublisher
from adapters.discord.reactions import ReactionRelay
from adapters.discord.reconcile import DiscordReconciler
from adapters.discord.resilience import RetryPolicy, describe
from adapters.discord.settings import discord_settings
from bot.api_calls import api_trace
from bot.capturing import capture_emoji
from bot.commands import registry
from bot.errors import StorageUnavailable
from bot.messages import CommunityRef
from bot.settings import Settings
from bot.tasks import Background

if TYPE_CHECKING:
    from bot.ports import Core
    from bot.tasks import Background

log = logging.getLogger("cocreate.discord")

TOKEN_MISSING = (
    "config error: discord.enabled is set but there is no bot token: set the environment "
    "variable COCREATE_DISCORD__TOKEN"
)


async def command_tree(
    client: discord.Client, interactions: Interactions | None, settings: Settings
) -> app_commands.CommandTree[Any]:
    """The app command tree of every command spec, on `client`, with the translator that
    gives the synced commands their names and descriptions in our languages."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    await tree.set_translator(CatalogueTranslator())
    optional = {spec.path: form_option_names(spec, settings.limits) for spec in registry.specs}

    async def not_running(interaction: discord.Interaction, spec: Any, values: Any) -> None:
        raise RuntimeError("commands built for syncing only")

    async def no_choices(*_args: Any) -> list[app_commands.Choice[str]]:
        return []

    run = interactions.slash if interactions else not_running
    complete = interactions.complete if interactions else no_choices
    for command in build_commands(run, complete, settings.limits, optional):
        tree.add_command(command)

    async def capture(interaction: discord.Interaction, message: discord.Message) -> None:
        if interactions is None:
            raise RuntimeError("commands built for syncing only")
        await interactions.capture(interaction, message)

    # "Submit as idea" on a message: the interaction carries the message (no Message
    # Content intent needed).
    tree.add_command(
        app_commands.ContextMenu(
            name=names.CAPTURE_MENU,
            callback=capture,
            type=discord.AppCommandType.message,
            allowed_contexts=GUILD_ONLY,
        )
    )
    if interactions is not None:
        tree.on_error = interactions.tree_error  # type: ignore[method-assign]
    return tree


class DiscordPlatform:
    """`Platform` for Discord, built by the composition root as `DiscordPlatform(app, settings)`."""

    name = translate.PLATFORM

    def __init__(
        self,
        app: Core,
        settings: Settings,
        *,
        guild_ready_timeout: float = 2.0,
        identify_delay: float | None = None,
        ready_timeout: float = 60.0,
        policy: RetryPolicy = RetryPolicy(),
        reconcile_pace: float = 0.05,
        reconcile_concurrency: int = 2,
        reconnect_delay: float = 2.0,
        drain_timeout: float = 10.0,
        catch_up_retry: float = 1.0,
    ) -> None:
        self.app = app
        self.settings = settings
        #: what THREAD_UPDATE events tell of ideas' threads, recorded in the background
        #: (made at the first one)
        self._threads: Background | None = None
        self.guild_ready_timeout = guild_ready_timeout
        self.identify_delay = identify_delay
        self.ready_timeout = ready_timeout
        retries = app.metrics.api_retries.labels(translate.PLATFORM, "rest")
        self.policy = replace(policy, on_retry=retries.inc)
        self.reconcile_pace = reconcile_pace
        self.reconcile_concurrency = reconcile_concurrency
        self.reconnect_delay = reconnect_delay
        self.drain_timeout = drain_timeout
        self.catch_up_retry = catch_up_retry
        self.client: discord.Client | None = None
        self.tree: app_commands.CommandTree[Any] | None = None
        self.publisher: DiscordPublisher | None = None
        self.reconciler: DiscordReconciler | None = None
        self.interactions: Interactions | None = None
        self.synced: list[app_commands.AppCommand] = []
        self.readies = 0
        self._ready: asyncio.Event | None = None
        self._gateway: asyncio.Task[None] | None = None
        #: the catch-up after the latest READY, per shard (None: not sharded)
        self._catch_ups: dict[int | None, asyncio.Task[None]] = {}
        self.reactions: ReactionRelay | None = None
        self._membership_work: Background | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        config = discord_settings(self.settings)
        if config.token is None:
            raise RuntimeError(TOKEN_MISSING)
        configure_endpoints(config)
        self._ready = asyncio.Event()
        client = make_client(
            self,
            config,
            guild_ready_timeout=self.guild_ready_timeout,
            identify_delay=self.identify_delay,
            http_trace=api_trace(self.app.metrics, translate.PLATFORM, translate.discord_route),
            message_content=capture_emoji(self.settings.capture.reaction) is not None,
        )
        self.client = client
        self.publisher = DiscordPublisher(client, config, self.policy)
        self.reactions = ReactionRelay(
            self.app,
            client,
            capture=self.settings.capture.reaction,
            publisher=self.publisher,
            title_max=int(self.settings.limits.title_max),
            policy=self.policy,
        )
        self.reconciler = DiscordReconciler(
            self.app,
            client,
            self.publisher,
            reconcile_days=config.reconcile_days,
            policy=self.policy,
            pace=self.reconcile_pace,
            concurrency=self.reconcile_concurrency,
        )
        self.interactions = Interactions(self.app, self.settings, policy=self.policy)
        client.cocreate_interactions = self.interactions  # type: ignore[attr-defined]
        self.app.add_publisher(self.name, self.publisher)
        self.app.add_reconciler(self.name, self.reconciler)
        try:
            await client.login(config.token.get_secret_value())
        except BaseException:
            await client.close()
            raise
        self._gateway = asyncio.create_task(self._connect(client), name="cocreate-discord-gateway")
        ready = asyncio.create_task(self._ready.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, self._gateway},
                timeout=self.ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
        if self._gateway in done:
            error = self._gateway.exception()
            await client.close()
            raise error or RuntimeError("the Discord gateway connection ended before READY")
        if not done:
            log.warning(
                "no READY from Discord after %.0f s; still connecting in the background",
                self.ready_timeout,
            )

    async def connected(self) -> bool:
        """Logged in to the gateway, with every shard ready."""
        client = self.client
        return client is not None and client.is_ready() and not client.is_closed()

    async def stop(self) -> None:
        for task in self._catch_ups.values():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self.interactions is not None:
            await self.interactions.finish(timeout=10.0)
        if self.client is not None:
            await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._gateway, timeout=10)
        if self.reactions is not None:
            await self.reactions.finish(timeout=self.drain_timeout)
        log.info("Discord stopped")

    async def _connect(self, client: discord.Client) -> None:
        """The gateway connection. discord.py reconnects and resumes by itself; anything it
        lets escape unexpectedly is logged and the connection is made again."""
        delay = self.reconnect_delay
        while not client.is_closed():
            try:
                await client.connect(reconnect=True)
                return
            except Exception as err:
                if client.is_closed():
                    log.error("the Discord gateway connection failed for good: %s", describe(err))
                    raise
                log.exception(
                    "the Discord gateway connection broke; connecting again in %.1f s", delay
                )
                ws = getattr(client, "ws", None)
                if ws is not None:
                    with contextlib.suppress(Exception):
                        await ws.close(code=4000)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    # -- client hooks --------------------------------------------------------------------

    async def setup(self, client: discord.Client) -> None:
        """discord.py's setup_hook: the command tree, the persistent review and card buttons,
        sync."""
        self.tree = await command_tree(client, self.interactions, self.settings)
        client.add_dynamic_items(ReviewButton, CardButton)
        await self.sync_commands(self.tree)

    async def sync_commands(self, tree: app_commands.CommandTree[Any]) -> None:
        """Register the commands: in `guild_ids` when set (instant), else globally; only
        when what Discord has differs from the specs, so restarts cost no sync."""
        guild_ids = discord_settings(self.settings).guild_ids
        scopes: list[discord.Object | None] = [discord.Object(g) for g in guild_ids] or [None]
        try:
            for guild in scopes:
                if guild is not None:
                    tree.copy_global_to(guild=guild)
                where = f"guild {guild.id}" if guild is not None else "globally"
                if await self._commands_current(tree, guild):
                    log.info("slash commands up to date %s", where)
                    continue
                self.synced = await tree.sync(guild=guild)
                log.info("synced %d slash commands %s", len(self.synced), where)
        except Exception as err:
            log.error("could not sync the slash commands: %s", describe(err))

    async def _commands_current(
        self, tree: app_commands.CommandTree[Any], guild: discord.Object | None
    ) -> bool:
        client = tree.client
        app_id = client.application_id
        if app_id is None:
            return False
        theirs = await internals.registered_commands(client, app_id, guild.id if guild else None)
        translator = tree.translator
        ours = [
            await command.get_translated_payload(tree, translator)
            if translator is not None
            else command.to_dict(tree)
            for command in tree.get_commands(guild=guild)
        ]
        return commands_signature(ours) == commands_signature(list(theirs))

    async def interaction(self, interaction: discord.Interaction) -> None:
        if self.interactions is not None:
            await self.interactions.orphaned_form(interaction)

    def ready(self, shard_id: int | None) -> None:
        """A READY (new session): catch up on the votes cast while we were away."""
        self.readies += 1
        assert self._ready is not None and self.client is not None and self.reconciler
        self._ready.set()
        client = self.client
        count = getattr(client, "shard_count", None) or 1

        def mine(community: CommunityRef) -> bool:
            guild_id = int(community.external_id)
            if client.get_guild(guild_id) is None:
                return False
            return shard_id is None or (guild_id >> 22) % count == shard_id

        why = "after READY" if shard_id is None else f"after READY of shard {shard_id}"
        within = timedelta(days=discord_settings(self.settings).reconcile_days)

        async def catch_up() -> None:
            # A guild that took the bot back while it was down is not "left" any more.
            await self._present([g.id for g in client.guilds])
            try:
                await self.app.catch_up(
                    translate.PLATFORM, within, mine, why=why, retry_s=self.catch_up_retry
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading votes back %s failed", why)

        previous = self._catch_ups.get(shard_id)
        if previous is not None and not previous.done():
            previous.cancel()  # a newer session of the same shard supersedes it
        self._catch_ups[shard_id] = asyncio.create_task(
            catch_up(), name="cocreate-discord-catch-up"
        )

    def guild_removed(self, guild_id: int) -> None:
        """Removed from a guild: its data is deleted after `data.left_grace_days`."""
        self._membership().spawn(self._left(guild_id), "guild left", queued=False)

    def guild_joined(self, guild_id: int) -> None:
        self._membership().spawn(self._present([guild_id]), "guild joined", queued=False)

    def _membership(self) -> Background:
        if self._membership_work is None:
            self._membership_work = self.app.task_group("discord membership", 8)
        return self._membership_work

    async def _left(self, guild_id: int) -> None:
        try:
            await self.app.community_left(translate.community(guild_id, ""))
        except StorageUnavailable as err:
            log.warning("guild %s left, but the database could not record it: %s", guild_id, err)
        except Exception:
            log.exception("could not mark guild %s as left", guild_id)

    async def _present(self, guild_ids: list[int]) -> None:
        """(A guild's next command marks it too, should the database be down now.)"""
        try:
            await self.app.communities_present(translate.PLATFORM, [str(g) for g in guild_ids])
        except StorageUnavailable as err:
            log.warning("%d guild(s) not marked present: %s", len(guild_ids), err)
        except Exception:
            log.exception("could not mark %d guild(s) as present", len(guild_ids))

    async def thread_updated(
        self, guild_id: int, thread_id: int, message_count: int | None
    ) -> None:
        """An idea's thread changed: its reply count, as Discord counts it (no message is
        read). A thread that is no idea's is ignored."""
        if message_count is None:
            return
        community = CommunityRef(translate.PLATFORM, str(guild_id))

        async def record() -> None:
            try:
                await self.app.thread_activity(community, str(thread_id), replies=message_count)
            except Exception as err:
                log.warning("thread %s activity not recorded: %s", thread_id, err)

        # In the adapter's task group: drained with the core, never lost at a stop.
        if self._threads is None:
            self._threads = self.app.task_group("discord-threads")
        self._threads.spawn(record(), "thread activity", queued=False)

    def gateway_reaction(
        self, event: str, data: Any, session_id: str | None, sequence: int | None
    ) -> None:
        if self.reactions is not None:
            self.reactions.dispatch(event, data, session_id, sequence)

    # -- for tests and tools -------------------------------------------------------------

    async def idle(self) -> None:
        """Wait until the reactions received so far are recorded and any catch-up is done."""
        if self.reactions is not None:
            await self.reactions.settled()
        for task in list(self._catch_ups.values()):
            with contextlib.suppress(BaseException):
                await task
        await self.app.drain()
