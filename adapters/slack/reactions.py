"""Reaction events, acknowledged only once they are durable.

A bolt middleware answers `reaction_added` and `reaction_removed` itself: 200 once the
group commit that holds the event is done (milliseconds), 503 when the database is down,
so that Slack delivers the event again (in Socket Mode the envelope stays unacked). A
replayed event (same `event_id`) is counted once by the core. The reactor's profile is
looked up for at most `Tuning.reactor_lookup_s`: the ack must reach Slack within 3 s.

With OAuth installs, bolt's authorization reads the installation from our database first,
and when that fails it answers 200 itself: `before_authorize` makes that lookup for a
reaction event, and answers 503 when the database is down.

With `capture.reaction` set, that emoji added to a member's message (Slack names the
message's author: `item_user`, the app's bot user for its own posts) never reaches the
vote path: it is answered 200 at once, and `ReactionCapture` reads the message
(conversations.history, or conversations.replies for a reply in a thread: the
`channels:history` scope) and offers it to its author as an idea (`bot.capturing`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.config import Tuning
from adapters.slack.directory import Directory
from adapters.slack.emoji import canonical_emoji
from adapters.slack.runner import RECEIVED_AT
from adapters.slack.translate import ReactionRef, obj, text
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot.capturing import capture_emoji, capture_invocation, is_capture_emoji, offer
from bot.errors import StorageUnavailable
from bot.messages import Actor, ReactionAction, ReactionOutcome
from bot.ports import Core, Publisher
from bot.tasks import Background

log = logging.getLogger("cocreate.slack")

Next = Callable[[], Awaitable[BoltResponse]]
REACTION_EVENTS = frozenset({"reaction_added", "reaction_removed"})


def is_reaction_event(body: Mapping[str, Any]) -> bool:
    event = body.get("event")
    return (
        body.get("type") == "event_callback"
        and isinstance(event, Mapping)
        and event.get("type") in REACTION_EVENTS
    )


def done() -> BoltResponse:
    return BoltResponse(status=200, body="")


def deliver_again() -> BoltResponse:
    return BoltResponse(status=503, body="The database is not answering; send it again.")


class ReactionDesk:
    """Answers Slack's reaction events itself, each once its vote is durable."""

    def __init__(
        self,
        core: Core,
        workspaces: Workspaces,
        directory: Directory,
        work: Background,
        tuning: Tuning,
    ) -> None:
        self.core = core
        self.workspaces = workspaces
        self.directory = directory
        self.work = work
        self.tuning = tuning
        #: capturing messages by reacting to them (`capture.reaction`), when it is on
        self.capture: ReactionCapture | None = None

    async def before_authorize(self, request: AsyncBoltRequest, next_: Next) -> BoltResponse:
        """For bolt's `before_authorize`: the installation of a reaction event's workspace
        is found (and cached for bolt) or, with the database down, the event is refused."""
        store = self.workspaces.store
        if store is None or not is_reaction_event(request.body):
            return await next_()
        context = request.context
        try:
            await store.async_find_bot(
                enterprise_id=context.enterprise_id,
                team_id=context.team_id,
                is_enterprise_install=context.is_enterprise_install,
            )
        except StorageUnavailable:
            log.warning(
                "reaction event %s not recorded, the database is down (installation lookup): "
                "answered 503 so that Slack delivers it again",
                text(request.body, "event_id") or "(no id)",
            )
            return deliver_again()
        return await next_()

    async def answer(self, request: AsyncBoltRequest, next_: Next) -> BoltResponse:
        """The bolt middleware: reaction events end here, everything else goes on."""
        if not is_reaction_event(request.body):
            return await next_()
        received_at = request.context.get(RECEIVED_AT) or self.core.clock.now()
        ref = translate.reaction_ref(request.body)
        context = request.context
        if ref is None or not self.workspaces.serves(
            ref.team_id, context.bot_user_id, context.enterprise_id
        ):
            return done()
        if self.capture is not None and self.capture.takes(
            ref, text(obj(request.body, "event"), "item_user"), context.bot_user_id
        ):
            return done()
        try:
            outcome = await self.record(ref, received_at)
        except StorageUnavailable:
            log.warning(
                "reaction event %s not recorded, the database is down: answered 503 so "
                "that Slack delivers it again",
                ref.event_id or f"{ref.emoji} by {ref.user_id}",
            )
            return deliver_again()
        except UnknownWorkspace:
            log.info("reaction in workspace %s ignored: no installation", ref.team_id)
            return done()
        note(ref, outcome)
        return done()

    async def record(self, ref: ReactionRef, received_at: datetime) -> ReactionOutcome:
        """Returns once the event is committed."""
        client = await self.workspaces.client(ref.team_id)
        actor = await self.reactor(client, ref)
        return await self.core.handle_reaction(translate.reaction_event(ref, actor, received_at))

    async def reactor(self, client: AsyncWebClient, ref: ReactionRef) -> Actor:
        """Who reacted, as far as users.info tells within the bound; else the bare user id
        (the lookup goes on, so the next reaction finds the profile cached)."""
        lookup = self.work.spawn(
            self.directory.actor(client, ref.team_id, ref.user_id, check_groups=False),
            "users.info for a reaction",
            queued=False,
        )
        finished, _ = await asyncio.wait({lookup}, timeout=self.tuning.reactor_lookup_s)
        actor = lookup.result() if finished else None
        if actor is None:
            log.info(
                "users.info for %s took over %.1f s: the reaction counts under the bare user id",
                ref.user_id,
                self.tuning.reactor_lookup_s,
            )
            actor = Actor(external_id=ref.user_id, display_name="")
        return actor


class ReactionCapture:
    """The capture emoji added to a member's message: the message offered to its author as
    an idea, in the background (the event is answered at once), the reactor's answer sent
    to them by direct message."""

    def __init__(
        self,
        core: Core,
        workspaces: Workspaces,
        directory: Directory,
        work: Background,
        publisher: Publisher,
        emoji: str,
        title_max: int,
    ) -> None:
        self.core = core
        self.workspaces = workspaces
        self.directory = directory
        self.work = work
        self.publisher = publisher
        self.emoji = canonical_emoji(emoji) if capture_emoji(emoji) else ""
        self.title_max = title_max

    def takes(self, ref: ReactionRef, author: str, bot_user: str | None) -> bool:
        """Whether the reaction is a capture, kept from the vote path (then started): the
        capture emoji added to a message that is not the app's own (its idea posts, where
        it stays what it always was)."""
        if ref.action is not ReactionAction.ADD or not is_capture_emoji(self.emoji, ref.emoji):
            return False
        if not author or author == bot_user:
            return False
        if ref.channel_id.startswith("D"):
            log.info("a capture reaction in a direct message ignored")
            return True
        self.work.spawn(self.capture(ref), "capture by reaction")
        return True

    async def capture(self, ref: ReactionRef) -> None:
        try:
            client = await self.workspaces.client(ref.team_id)
            message = await read_message(client, ref.channel_id, ref.message_ts)
            author = text(message, "user") if message else ""
            if message is None or not author or message.get("bot_id"):
                log.info("message %s not captured: a bot's, or not found", ref.message_ts)
                return
            reactor = await self.directory.actor(client, ref.team_id, ref.user_id)
            invocation = capture_invocation(
                translate.community(ref.team_id),
                ref.channel_id,
                reactor,
                await self.directory.actor(client, ref.team_id, author),
                translate.message_text(text(message, "text")),
                translate.message_link(ref.channel_id, ref.message_ts),
                self.title_max,
            )
            if invocation is None:
                log.info("message %s not captured: a bot's, or without text", ref.message_ts)
                return
            await offer(self.core, self.publisher, invocation)
        except Exception as err:
            log.warning("message %s not captured: %s", ref.message_ts, type(err).__name__)


async def read_message(client: AsyncWebClient, channel: str, ts: str) -> Mapping[str, Any] | None:
    """One message of a channel: from its history, else (a reply in a thread) from its
    thread. None when Slack has no such message, or will not say."""
    try:
        history = await client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        for message in history.get("messages") or []:
            if isinstance(message, Mapping) and message.get("ts") == ts:
                return message
        replies = await client.conversations_replies(
            channel=channel, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=2
        )
        for message in replies.get("messages") or []:
            if isinstance(message, Mapping) and message.get("ts") == ts:
                return message
    except SlackApiError as err:
        log.warning("message %s could not be read: %s", ts, err.response.get("error"))
    return None


def note(ref: ReactionRef, outcome: ReactionOutcome) -> None:
    if outcome.duplicate:
        log.info("event %s was already counted: ignored", ref.event_id)
    elif outcome.effect.startswith("ignored: not an idea"):
        log.info("reaction in %s on %s ignored: not an idea post", ref.channel_id, ref.message_ts)
    else:
        log.debug("reaction %s by %s: %s", ref.emoji, ref.user_id, outcome.effect)
