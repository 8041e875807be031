"""Reaction events, acknowledged only once they are durable.

A bolt middleware answers `reaction_added` and `reaction_removed` itself: 200 once the
group commit that holds the event is done (milliseconds), 503 when the database is down,
so that Slack delivers the event again (in Socket Mode the envelope stays unacked). A
replayed event (same `event_id`) is counted once by the core. The reactor's profile is
looked up for at most `Tuning.reactor_lookup_s`: the ack must reach Slack within 3 s.

With OAuth installs, bolt's authorization reads the installation from our database first,
and when that fails it answers 200 itself: `before_authorize` makes that lookup for a
reaction event, and answers 503 when the database is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.config import Tuning
from adapters.slack.directory import Directory
from adapters.slack.runner import RECEIVED_AT
from adapters.slack.translate import ReactionRef, text
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot.errors import StorageUnavailable
from bot.messages import Actor, ReactionOutcome
from bot.ports import Core
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


def note(ref: ReactionRef, outcome: ReactionOutcome) -> None:
    if outcome.duplicate:
        log.info("event %s was already counted: ignored", ref.event_id)
    elif outcome.effect.startswith("ignored: not an idea"):
        log.info("reaction in %s on %s ignored: not an idea post", ref.channel_id, ref.message_ts)
    else:
        log.debug("reaction %s by %s: %s", ref.emoji, ref.user_id, outcome.effect)
