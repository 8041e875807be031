"""The core's entry points: one for commands, one for reactions, one for reconciliation."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from bot import logs
from bot.agenda import Agenda
from bot.alerts import Watch
from bot.commands import registry
from bot.commands.args import bind
from bot.commands.context import Context
from bot.counting import Counting
from bot.errors import PermissionDenied, StorageUnavailable, UserError
from bot.grammar import GrammarError, parse_line
from bot.ingest import ReactionIngest
from bot.messages import (
    Actor,
    Card,
    CommunityRef,
    IdeaPostRef,
    Invocation,
    Post,
    PostKind,
    PostReceipt,
    ReactionEvent,
    ReactionOutcome,
    Reply,
)
from bot.metrics import Metrics
from bot.model import PUBLIC_STATUSES, Community, Phase
from bot.ports import Clock, Database, Publisher, Reconciler, Store
from bot.render import idea_card
from bot.rewards import Award, Rewards
from bot.settings import Settings
from bot.text import TextError
from bot.votes import Aftermath, VoteBook
from bot.webhooks.delivery import WebhookDelivery

log = logging.getLogger("cocreate")


@dataclass(frozen=True)
class ReconcileResult:
    added: int
    removed: int


def parse_invocation(
    text: str, community: CommunityRef, channel_id: str, actor: Actor
) -> Invocation:
    """A text command (Slack's grammar, and the console's) as an Invocation.

    Raises GrammarError with a friendly message when the line is not a command.
    """
    line = parse_line(text, registry.paths)
    return Invocation(community, channel_id, actor, line.command, line.options, line.positionals)


class Cocreate:
    """The platform-neutral bot. Adapters call `handle_command`, `handle_reaction` and
    `reconcile`; the core answers with replies and sends posts through publishers."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        publishers: Mapping[str, Publisher] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.rewards = Rewards(settings)
        self.counting = Counting()
        self.votes = VoteBook(self.rewards, self.counting)
        self.publishers: dict[str, Publisher] = dict(publishers or {})
        self.reconcilers: dict[str, Reconciler] = {}
        self.metrics = Metrics()
        self.ingest = ReactionIngest(
            db,
            self.votes,
            clock,
            self._committed,
            self._read_back,
            buffer=settings.storage.outage_buffer,
            metrics=self.metrics,
        )
        self.agenda = Agenda(
            db,
            settings,
            clock,
            self.rewards,
            self.counting,
            self.publishers,
            self.reconcile_challenge,
            self._awarded,
            self.metrics,
        )
        self.watch = Watch(db, settings.alerts, clock, self.agenda)
        self.webhooks = WebhookDelivery(db, settings.webhooks, clock, self.publishers, self.metrics)
        self._background: set[asyncio.Task[None]] = set()
        #: communities as committed, by platform reference (rows are never deleted)
        self._communities: dict[tuple[str, str], Community] = {}

    def add_publisher(self, platform: str, publisher: Publisher) -> None:
        self.publishers[platform] = publisher

    def add_reconciler(self, platform: str, reconciler: Reconciler) -> None:
        self.reconcilers[platform] = reconciler

    async def start(self) -> None:
        await self.ingest.start()
        await self.webhooks.start()

    async def drain(self) -> None:
        """Wait until the queued reactions and the badge announcements are done."""
        await self.ingest.drain()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def stop(self) -> None:
        """Finish what is queued (what waits for a database that is down is given up: it
        is read back at the next start), then release the database."""
        await self.ingest.stop()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.webhooks.stop()
        await self.db.close()

    # -- commands ----------------------------------------------------------------

    async def handle_command(self, inv: Invocation) -> Reply:
        """Validate, check permission, run in one transaction, then deliver the posts."""
        started = time.perf_counter()
        name = "/" + " ".join(inv.command)
        challenge = inv.options.get("challenge")
        with logs.about(
            command=name,
            community=f"{inv.community.platform}:{inv.community.external_id}",
            challenge=challenge if isinstance(challenge, str) else None,
        ):
            reply, outcome = await self._answer(inv, name)
            took = time.perf_counter() - started
            log.info(
                "command %s by %s:%s in %s:%s -> %s (%.1f ms)",
                name,
                inv.community.platform,
                inv.actor.external_id,
                inv.community.external_id,
                inv.channel_id,
                "ok" if reply.ok else (reply.error_id or "refused"),
                took * 1000,
            )
        known = name if registry.find(inv.command) is not None else "unknown"
        self.metrics.commands.labels(known, outcome).inc()
        self.metrics.command_seconds.labels(known).observe(took)
        return reply

    async def _answer(self, inv: Invocation, name: str) -> tuple[Reply, str]:
        """The reply, and the outcome for /metrics: ok, refused, unavailable or error."""
        try:
            reply = await self._run(inv, name)
        except UserError as err:
            return Reply(Card(err.title, err.message), ok=False), "refused"
        except StorageUnavailable as err:
            log.warning("%s not run: the database is not answering (%s)", name, err)
            card = Card(
                "Cocreate can't reach its database",
                "Nothing was changed. Please try again in a minute.",
            )
            return Reply(card, ok=False), "unavailable"
        except (GrammarError, TextError) as err:
            return Reply(Card("That didn't work", str(err)), ok=False), "refused"
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error %s in %s", error_id, name, extra={"error_id": error_id})
            card = Card(
                "Something went wrong on our side",
                f"Nothing was changed. Please try again; if it keeps failing, tell a "
                f"moderator the error id {error_id}.",
            )
            return Reply(card, error_id=error_id, ok=False), "error"
        return reply, "ok" if reply.ok else "refused"

    async def _run(self, inv: Invocation, name: str) -> Reply:
        spec = registry.find(inv.command)
        if spec is None:
            raise UserError(f"Unknown command `/{' '.join(inv.command)}`. Try `/cocreate help`.")
        if spec.moderator and not inv.actor.is_moderator:
            raise PermissionDenied(f"Only moderators can use `{spec.name}`.")
        args = bind(spec, inv.options, inv.positionals)
        if inv.actor.is_bot:
            raise UserError("Bots can't use Cocreate's commands.")
        now = self.clock.now()
        key = (inv.community.platform, inv.community.external_id)
        async with self.db.transaction() as store:
            community = self._communities.get(key)
            if community is None or (inv.community.name or community.name) != community.name:
                community = await store.community(inv.community, now)
            members = await store.ensure_members(community.id, [inv.actor], now)
            ctx = Context(
                store=store,
                community=community,
                member=members[inv.actor.external_id],
                actor=inv.actor,
                channel_id=inv.channel_id,
                now=now,
                settings=self.settings,
                rewards=self.rewards,
                counting=self.counting,
            )
            reply = await spec.handler(ctx, args)
            claimed = []
            for _, group in groupby(ctx.posts, key=lambda post: post[0].id):
                posts = list(group)
                claimed += await self.agenda.claim(store, posts[0][0], [p for _, p in posts], now)
        self._communities[key] = community
        self.webhooks.wake()  # the command may have written events to the outbox
        unsent = await self.agenda.send_claimed(claimed)
        await self.refresh(inv.community, ctx.refresh)
        await self._awarded(ctx.awards)
        if ctx.schedule_changed:
            # Opening, closing or new deadlines: announcements and results go out now,
            # through the agenda's exactly-once path, and the timer wakes at the right time.
            await self.agenda.run_due(community.id)
            self.agenda.changed()
        if unsent:
            log.warning("%d post(s) of %s not sent yet: they are retried", len(unsent), name)
            reply = replace(
                reply,
                card=reply.unsent
                or replace(
                    reply.card,
                    footer=f"{len(unsent)} post(s) will be sent as soon as "
                    f"{community.platform.capitalize()} answers.",
                ),
            )
        return reply

    # -- posts -------------------------------------------------------------------

    async def refresh(self, ref: CommunityRef, idea_ids: Iterable[int]) -> None:
        """Re-render the posts of these ideas in place (after an edit, a status, a merge)."""
        publisher = self.publishers.get(ref.platform)
        if publisher is None:
            return
        for idea_id in idea_ids:
            async with self.db.transaction() as store:
                updates = await self._idea_updates(store, idea_id)
            for receipt, post in updates:
                try:
                    await publisher.update(ref, receipt, post)
                except Exception:
                    log.exception("could not update the post of idea %s", idea_id)

    async def _idea_updates(self, store: Store, idea_id: int) -> list[tuple[PostReceipt, Post]]:
        idea = await store.idea(idea_id)
        if idea is None:
            return []
        found = await store.challenges(idea.community_id, [idea.challenge_id])
        if not found:
            return []
        challenge = found[0]
        author = (await store.members_by_ids([idea.author_id]))[idea.author_id]
        merged_into = None
        if idea.merged_into_id is not None:
            head = await store.idea(idea.merged_into_id)
            merged_into = head.number if head else None
        shown = "anonymous" if idea.anonymous else author.display_name
        card = idea_card(idea, challenge, shown, merged_into=merged_into)
        emoji = challenge.settings.vote_emoji
        return [
            (
                PostReceipt(channel_id, message_id),
                Post(channel_id, PostKind.IDEA, card, idea.id, idea.number, emoji),
            )
            for channel_id, message_id in await store.idea_post_messages(idea_id)
        ]

    # -- reactions ---------------------------------------------------------------

    async def handle_reaction(
        self, event: ReactionEvent, *, patient: bool = False
    ) -> ReactionOutcome:
        """Count, uncount or ignore one reaction; a replayed event changes nothing.

        Returns once the event is committed. If the database is down this raises
        `StorageUnavailable`, so that the platform can be asked to deliver it again; a
        `patient` event (from a platform that cannot be refused) waits instead, kept in
        memory, and its post is read back once the database answers.
        """
        if event.received_at is None:
            event = replace(event, received_at=self.clock.now())
        return await self.ingest.submit(event, patient=patient)

    async def reconcile(
        self,
        community: CommunityRef,
        channel_id: str,
        message_id: str,
        reactions: Mapping[str, Iterable[Actor]],
        *,
        requested_at: datetime | None = None,
        as_of: datetime | None = None,
    ) -> ReconcileResult:
        """Merge who reacts to one idea post, as read back from the platform, into the votes.

        `reactions` maps each variant of the vote emoji on the post (👍, 👍🏽, …) to its
        reactors. The list counts as of `requested_at`, when the adapter asked for it (by
        default now): a reaction event that reached us after that wins over it. Votes it
        adds are cast at `as_of` (before final results: just before the close), by
        default at `requested_at`.
        """
        requested = requested_at or self.clock.now()
        listed = {emoji: list(actors) for emoji, actors in reactions.items()}

        async def job(store: Store) -> tuple[int, int, list[Award]]:
            found = await store.find_community(community)
            if found is None:
                return 0, 0, []
            return await self.votes.reconcile(
                store, found, (channel_id, message_id), listed, requested, as_of or requested
            )

        added, removed, awards = await self.ingest.run(job)
        await self._awarded(awards)
        self.metrics.reconcile_runs.inc()
        self.metrics.reconcile_changes.labels("added").inc(added)
        self.metrics.reconcile_changes.labels("removed").inc(removed)
        if added or removed:
            log.info(
                "reconciled %s:%s/%s: %d added, %d removed",
                community.platform,
                channel_id,
                message_id,
                added,
                removed,
            )
        return ReconcileResult(added, removed)

    async def _read_back(self, posts: set[tuple[CommunityRef, str, str]]) -> None:
        """After an outage: each platform reads back the posts whose events were not all
        applied (in the background: the writer must not wait for the platforms)."""

        async def read_back() -> None:
            try:
                async with self.db.transaction() as store:
                    refs = await store.idea_post_refs_for(
                        [(c.platform, c.external_id, ch, m) for c, ch, m in posts]
                    )
            except StorageUnavailable as err:
                log.warning("%d idea posts not read back: %s", len(posts), err)
                return
            for platform in sorted({r.community.platform for r in refs}):
                reconciler = self.reconcilers.get(platform)
                if reconciler is None:
                    continue
                try:
                    await reconciler.refresh_reactions(
                        [r for r in refs if r.community.platform == platform]
                    )
                except Exception:
                    log.exception("reading back %s idea posts after an outage failed", platform)

        self._spawn(read_back())

    async def first_time(self, *keys: str, keep: timedelta = timedelta(minutes=10)) -> str | None:
        """Record the keys of a request (a signed Slack command, say). Returns the first key
        seen before, in this process or another, within `keep` (a replay), or None."""
        async with self.db.transaction() as store:
            seen = await store.seen_before(keys, self.clock.now(), keep)
        return seen[0] if seen else None

    async def reconcile_targets(self, platform: str, closed_within: timedelta) -> list[IdeaPostRef]:
        """Idea posts of running challenges, and of those closed within `closed_within`:
        what an adapter reads back after downtime."""
        async with self.db.transaction() as store:
            return await store.idea_post_refs(
                platform, closed_since=self.clock.now() - closed_within
            )

    async def reconcile_challenge(self, challenge_id: int, as_of: datetime | None = None) -> None:
        """Every platform reads back the votes on this challenge's idea posts (before
        final results, as of the close); a platform that cannot is skipped, and the log
        says so. A database that stops answering meanwhile is raised: what was read back
        is not all stored, so the final results must wait and be tried again."""
        for platform in sorted({*self.publishers, *self.reconcilers}):
            async with self.db.transaction() as store:
                posts = await store.idea_post_refs(platform, challenge_id=challenge_id)
            if not posts:
                continue
            reconciler = self.reconcilers.get(platform)
            if reconciler is None:
                log.info("%s cannot reconcile votes: challenge %s skipped", platform, challenge_id)
                continue
            try:
                await reconciler.refresh_reactions(posts, as_of)
            except StorageUnavailable:
                raise
            except Exception:
                log.exception("reconciling challenge %s on %s failed", challenge_id, platform)

    # -- autocomplete ------------------------------------------------------------

    async def complete_challenges(
        self, community: CommunityRef, typed: str, *, moderator: bool = False
    ) -> list[tuple[str, str]]:
        """(slug, title) of this community's challenges matching what was typed."""
        key = typed.strip().casefold()
        async with self.db.transaction() as store:
            found = await store.find_community(community)
            listed = await store.challenges(found.id) if found else []
        return [
            (c.slug, c.title)
            for c in reversed(listed)
            if (moderator or c.phase is not Phase.DRAFT)
            and (key in c.slug.casefold() or key in c.title.casefold())
        ][:25]

    async def complete_ideas(self, community: CommunityRef, typed: str) -> list[tuple[int, str]]:
        """(number, title) of public ideas in running challenges matching what was typed."""
        key = typed.strip().lstrip("#").casefold()
        async with self.db.transaction() as store:
            found = await store.find_community(community)
            if found is None:
                return []
            out: list[tuple[int, str]] = []
            for challenge in await store.challenges(found.id):
                if challenge.phase.running:
                    ideas = await store.ideas(challenge.id, PUBLIC_STATUSES, newest_first=True)
                    out += [
                        (i.number, i.title)
                        for i in ideas
                        if key in str(i.number) or key in i.title.casefold()
                    ]
        return sorted(out, reverse=True)[:25]

    # -- badges ------------------------------------------------------------------

    async def _committed(self, after: Aftermath) -> None:
        """A reaction batch committed: announce its badges, and judge the ideas that
        gained votes for brigading (both in the background)."""
        await self._awarded(after.awards)
        if after.awards:
            self.webhooks.wake()  # their badge.awarded events are in the outbox
        if self.watch.notice(after.gained):
            self._spawn(self.watch.run())

    async def _awarded(self, awards: list[Award]) -> None:
        """Tell each badge's platform, in the background: a role grant must not hold up
        a command or the reaction writer. A badge earned with an anonymous idea is not
        told: a role appearing would name the author (the member sees it in /badges)."""
        public = [a for a in awards if not a.private]
        if public:
            self._spawn(self._announce(public))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _announce(self, awards: list[Award]) -> None:
        try:
            known = {c.id: c for c in self._communities.values()}
            async with self.db.transaction() as store:
                members = await store.members_by_ids({a.member_id for a in awards})
                communities = {
                    cid: known.get(cid) or await store.community_by_id(cid)
                    for cid in {a.community_id for a in awards}
                }
            for award in awards:
                community = communities[award.community_id]
                publisher = self.publishers.get(community.platform)
                if publisher is not None:
                    ref = CommunityRef(community.platform, community.external_id, community.name)
                    await publisher.badge_awarded(
                        ref, members[award.member_id].external_id, award.kind
                    )
        except Exception:
            log.exception("announcing %d badges failed", len(awards))
