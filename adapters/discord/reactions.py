"""Votes from the gateway: each reaction dispatch handed to the core, kept through outages.

The gateway cannot be refused: outside a RESUME, a dispatch is never sent again. So each
reaction event goes to the core as *patient*: while the database is down the core keeps
it in memory (up to `storage.outage_buffer` events), applies it once the database
answers, and then reads the posts concerned back from Discord. Each event is stamped
with our clock when its dispatch is parsed: a read-back asked for later wins over it, one
asked for earlier loses to it.

An outage is logged by the core once, not once per event; an event the core could not
apply is logged here in one line (the core logged the cause).

With `capture.reaction` set, adding that emoji to a member's message (not one of the bot's
posts) never reaches the vote path: the message is read over REST (its text needs the
Message Content intent) and offered to its author as an idea (`bot.capturing`), the
reactor's answer sent to them by direct message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import translate
from adapters.discord.interactions import message_author
from adapters.discord.resilience import RetryPolicy, describe, retrying
from bot.capturing import capture_emoji, capture_invocation, offer
from bot.ingest import DEFERRED
from bot.messages import ReactionAction, ReactionEvent

if TYPE_CHECKING:
    from bot.ports import Core, Publisher

log = logging.getLogger("cocreate.discord")


class ReactionRelay:
    """Gateway reaction dispatches to `Cocreate.handle_reaction`, one task per event."""

    def __init__(
        self,
        app: Core,
        client: discord.Client,
        *,
        capture: str = "",
        publisher: Publisher | None = None,
        title_max: int = 100,
        policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.app = app
        self.client = client
        #: the emoji that offers a message to its author as an idea (None: off)
        self.capture = capture_emoji(capture)
        self.publisher = publisher
        self.title_max = title_max
        self.policy = policy
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
        if self._captures(reaction, data):
            return
        self.work.spawn(self._submit(reaction), "reaction", queued=False)

    def _captures(self, event: ReactionEvent, data: Any) -> bool:
        """Whether the reaction is the capture emoji added to a message that is not the
        bot's own (an idea post, where it stays what it always was): it is then captured,
        and never reaches the vote path."""
        if (
            self.capture is None
            or event.action is not ReactionAction.ADD
            or event.member is None
            or not event.emoji
            or not translate.same_emoji(event.emoji, self.capture)
        ):
            return False
        author_id = data.get("message_author_id")
        me = self.client.user
        if author_id is not None and me is not None and str(author_id) == str(me.id):
            return False
        self.work.spawn(self._capture(event), "capture by reaction", queued=False)
        return True

    async def _capture(self, event: ReactionEvent) -> None:
        guild_id = int(event.community.external_id)
        channel = self.client.get_partial_messageable(int(event.channel_id), guild_id=guild_id)
        try:
            message = await retrying(
                lambda: channel.fetch_message(int(event.message_id)),
                what="reading a message reacted to for a capture",
                policy=self.policy,
            )
        except Exception as err:
            log.warning(
                "message %s not captured, it could not be read: %s",
                event.message_id,
                describe(err),
            )
            return
        me = self.client.user
        if me is not None and message.author.id == me.id:
            await self._submit(event)  # one of the bot's posts: as any reaction to it
            return
        assert event.member is not None
        link = f"https://discord.com/channels/{guild_id}/{event.channel_id}/{event.message_id}"
        invocation = capture_invocation(
            event.community,
            event.channel_id,
            event.member,
            message_author(message),
            message.content or "",
            link,
            self.title_max,
        )
        if invocation is None:
            log.debug("message %s not captured: a bot's, or without text", event.message_id)
            return
        try:
            await offer(self.app, self.publisher, invocation)
        except Exception as err:
            log.warning("message %s not captured: %s", event.message_id, describe(err))

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
