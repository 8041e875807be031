"""Votes from the gateway: each reaction dispatch handed to the core, kept through outages.

The gateway cannot be refused: outside a RESUME, a dispatch is never sent again. So each
reaction event goes to the core as *patient*: while the database is down the core keeps
it in memory (up to `storage.outage_buffer` events), applies it once the database
answers, and then reads the posts concerned back from Discord. Each event is stamped
with our clock when its dispatch is parsed: a read-back asked for later wins over it, one
asked for earlier loses to it.

An outage is logged by the core once, not once per event; an event the core could not
apply is logged here in one line (the core logged the cause).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import translate
from adapters.discord.resilience import describe
from bot.ingest import DEFERRED
from bot.messages import ReactionEvent

if TYPE_CHECKING:
    from bot.ports import Core

log = logging.getLogger("cocreate.discord")


class ReactionRelay:
    """Gateway reaction dispatches to `Cocreate.handle_reaction`, one task per event."""

    def __init__(self, app: Core, client: discord.Client) -> None:
        self.app = app
        self.client = client
        self.work = app.task_group("discord reactions")
        #: whether the core stopped keeping events (its outage buffer is full) since the
        #: last one it applied: their posts are read back, and the log says so once
        self._overflowing = False

    @property
    def pending(self) -> int:
        """Events handed to the core and not settled yet (kept during an outage)."""
        return self.work.pending

    def dispatch(self, event: str, data: Any, session_id: str | None, sequence: int | None) -> None:
        """A reaction dispatch, as parsed from the gateway: stamped now, then handed over."""
        received_at = self.app.clock.now()
        client = self.client
        try:
            user_id = data.get("user_id")
            known: str | None = None
            guild_id = data.get("guild_id")
            guild = client.get_guild(int(guild_id)) if guild_id else None
            if guild is not None and user_id:
                member = guild.get_member(int(user_id))
                known = member.display_name if member else None
            reaction = translate.reaction_event(
                event,
                data,
                received_at=received_at,
                session_id=session_id,
                sequence=sequence,
                bot_user_id=client.user.id if client.user else None,
                known_name=known,
            )
        except Exception as err:
            log.warning("skipped a malformed %s event: %s", event, describe(err))
            return
        if reaction is None:
            return
        self.work.spawn(self._submit(reaction), "reaction", queued=False)

    async def _submit(self, event: ReactionEvent) -> None:
        try:
            outcome = await self.app.handle_reaction(event, patient=True)
        except Exception as err:
            log.warning(
                "a reaction on message %s could not be recorded: %s",
                event.message_id,
                describe(err),
            )
            return
        if outcome == DEFERRED:
            if not self._overflowing:
                log.warning(
                    "reaction events are no longer kept in memory (database down, outage "
                    "buffer full): their posts are read back from Discord instead"
                )
            self._overflowing = True
            return
        self._overflowing = False
        log.debug("reaction %s on %s: %s", event.action.value, event.message_id, outcome.effect)

    async def settled(self) -> None:
        """Wait until every event handed over so far is settled."""
        await self.work.drain()

    async def finish(self, timeout: float) -> None:
        """Wait up to `timeout` for the events in flight; those still waiting then (for a
        database that is down) are left to the core, which drops them when it stops: the
        next READY reads their posts back."""
        dropped = await self.work.close(timeout)
        if dropped:
            log.warning(
                "stopped with %d reaction events waiting for the database; their posts are "
                "read back after the next READY",
                dropped,
            )
