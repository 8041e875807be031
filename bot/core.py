"""The core's entry points: one for commands, one for reactions, one for reconciliation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot import badge_news, followups, i18n, logs
from bot.agenda import Agenda
from bot.alerts import Watch
from bot.badge_news import BadgeNews
from bot.commands import registry
from bot.commands.args import bind
from bot.commands.context import Context
from bot.commands.spec import OUTSIDE, CommandSpec
from bot.conversations import STATUS_TAGS, DirectMessageClosed
from bot.counting import Counting
from bot.errors import (
    PermissionDenied,
    StorageUnavailable,
    UserError,
    failure,
    internal_error,
)
from bot.events import (
    BadgesAwarded,
    Bus,
    DirectMessage,
    IdeaMerged,
    IdeaPublished,
    IdeaRejected,
    IdeasChanged,
    ResultsPosted,
    ScheduleChanged,
    StatusChanged,
    postings,
)
from bot.grammar import GrammarError, parse_line
from bot.i18n import _, n_
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
from bot.model import PUBLIC_STATUSES, Community, Idea, IdeaStatus, Phase
from bot.notices import NoticeDelivery
from bot.organisations import keeper
from bot.ports import Clock, Database, Publisher, Reconciler, ReconcileResult, Records, Store
from bot.render import idea_card
from bot.rewards import Award, Rewards
from bot.settings import Settings
from bot.tasks import Background
from bot.text import TextError, display_inline
from bot.votes import Aftermath, VoteBook
from bot.webhooks.delivery import WebhookDelivery

log = logging.getLogger("cocreate")

#: The follow-ups' kind that shows an idea's posts as the idea now is (`Cocreate.refresh`).
REFRESH = "refresh"

#: how long a community read for a command serves the next ones (its settings changed by
#: another process are seen within this time)
COMMUNITY_FRESH_S = 60.0
#: how often the request keys past their keep are deleted (`Cocreate.first_time`)
KEYS_FORGOTTEN_EVERY = timedelta(minutes=1)
#: how long a request's keys are kept (Slack's signatures last 5 minutes)
REQUEST_KEYS_KEPT = timedelta(minutes=10)
#: members whose choice of language is remembered for the adapters (then it starts over)
CHOSEN_KEPT = 100_000


class _Replayed(Exception):
    """A command's request was seen before: its transaction is undone, and nothing runs."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _replay_of(key: str) -> tuple[Reply, str]:
    """What a replayed command gets (nothing is said), and its outcome for /metrics."""
    return Reply(Card("", ""), ok=False, replay_of=key), "replayed"


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _tag(status: IdeaStatus) -> str | None:
    """The forum tag of a status (withdrawn and rejected ideas keep theirs)."""
    return status.value if status.value in STATUS_TAGS else None


def parse_invocation(
    text: str, community: CommunityRef, channel_id: str, actor: Actor
) -> Invocation:
    """A text command (Slack's grammar, and the console's) as an Invocation.

    Raises GrammarError with a friendly message when the line is not a command.
    """
    line = parse_line(text, registry.paths)
    return Invocation(
        community,
        channel_id,
        actor,
        line.command,
        line.options,
        line.positionals,
        line.spilled,
    )


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
        # What a change owes the platforms once it has committed (bot/followups.py).
        self.followups = followups.FollowUps(db, settings.scheduler, clock, self.metrics)
        self.followups.handle(badge_news.KIND, BadgeNews(db, self.publishers).tell)
        self.followups.handle(REFRESH, lambda batch: self.refresh(f.ref for f in batch))
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
            followups=self.followups,
        )
        self.watch = Watch(db, settings.alerts, clock, self.agenda)
        self.agenda.every_day("deleting the data of communities that left", self.purge_left)
        self.bus = Bus()
        self.bus.subscribe(IdeasChanged, lambda e: self.followups.run_now(REFRESH, e.idea_ids))
        self.bus.subscribe(BadgesAwarded, lambda e: self._awarded(list(e.awards)))
        self.bus.subscribe(ScheduleChanged, self._schedule_changed)
        self.background = Background("cocreate")
        #: the task groups handed to adapters, drained with the core's own
        self._groups: list[Background] = [self.background]
        self.webhooks = WebhookDelivery(db, settings.webhooks, clock, self.publishers, self.metrics)
        # Their badge.awarded events are in the outbox: deliver them now.
        self.bus.subscribe(BadgesAwarded, self._wake_webhooks)
        #: each member's own choice of language, as their last command here showed it, by
        #: (platform, community, member): what adapters write before the core answers
        self._chosen: dict[tuple[str, str, str], str | None] = {}
        #: communities as committed, by platform reference, and when they were read: their
        #: settings (the language) changed by another process are seen within a minute
        self._communities: dict[tuple[str, str], tuple[Community, float]] = {}
        #: when this process last deleted the request keys past their keep
        self._keys_forgotten_at: datetime | None = None
        # Notices are written with the changes they tell of; once those have committed,
        # the worker sends them in the background (bot/notices.py).
        self.notices = NoticeDelivery(
            db, settings.notices, clock, self.publishers, self.background, self.metrics
        )
        for kind in (StatusChanged, IdeaPublished, IdeaMerged, IdeaRejected, ResultsPosted):
            self.bus.subscribe(kind, self._wake_notices)
        self.agenda.on_notices = self.notices.wake
        self.agenda.before_results = self.refresh_activity

    def records(self, owner: str) -> Records:
        return self.db.records(owner, self.clock)

    def add_publisher(self, platform: str, publisher: Publisher) -> None:
        self.publishers[platform] = publisher

    def add_reconciler(self, platform: str, reconciler: Reconciler) -> None:
        self.reconcilers[platform] = reconciler

    async def start(self) -> None:
        await self.ingest.start()
        await self.webhooks.start()
        await self.notices.start()

    def task_group(self, name: str, limit: int = 64) -> Background:
        """A group for an adapter's background work, drained with the core's."""
        group = Background(name, limit)
        self._groups.append(group)
        return group

    async def drain(self) -> None:
        """Wait until the queued reactions, the badge announcements and the adapters'
        background work are done."""
        await self.ingest.drain()
        while any(group.pending for group in self._groups):
            for group in self._groups:
                await group.drain()

    async def stop(self) -> None:
        """Finish what is queued (what waits for a database that is down is given up: it
        is read back at the next start), then release the database."""
        await self.ingest.stop()
        await self.notices.stop()
        await self.background.drain()
        await self.webhooks.stop()
        await self.db.close()

    # -- commands ----------------------------------------------------------------

    async def handle_command(self, inv: Invocation) -> Reply:
        """Validate, check permission, run in one transaction, then deliver the posts."""
        started = time.perf_counter()
        name = "/" + " ".join(inv.command)
        challenge = inv.options.get("challenge")
        with (
            logs.about(
                command=name,
                community=f"{inv.community.platform}:{inv.community.external_id}",
                challenge=challenge if isinstance(challenge, str) else None,
            ),
            i18n.speaking(inv.actor.locale),
        ):  # the member's own choice, once they are known
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
        """The reply, and the outcome for /metrics: ok, refused, replayed, unavailable or
        error."""
        try:
            reply = await self._run(inv, name)
        except _Replayed as replay:
            return _replay_of(replay.key)
        except UserError as err:
            return await self._refused(inv, Card(err.title, err.message))
        except StorageUnavailable as err:
            log.warning("%s not run: the database is not answering (%s)", name, err)
            card = Card(
                _("Cocreate can't reach its database"),
                _("Nothing was changed. Please try again in a minute."),
            )
            return Reply(card, ok=False), "unavailable"
        except (GrammarError, TextError) as err:
            return await self._refused(inv, Card(_("That didn't work"), str(err)))
        except Exception:
            return internal_error(log, "in %s", name), "error"
        return reply, "ok" if reply.ok else "refused"

    async def _refused(self, inv: Invocation, card: Card) -> tuple[Reply, str]:
        """A refusal, unless its request is a replay: a refusal undoes the command's
        transaction, its request's keys with it, so they are recorded on their own."""
        if inv.request_keys:
            try:
                seen = await self.first_time(*inv.request_keys)
            except StorageUnavailable:
                seen = None  # it cannot be told: the refusal changes nothing anyway
            if seen is not None:
                return _replay_of(seen)
        return Reply(card, ok=False), "refused"

    async def _outside(self, spec: CommandSpec, inv: Invocation) -> Any:
        """What the command needs from the world outside (a DNS lookup), found before its
        transaction begins, so that no database lock waits on it. None when it needs
        nothing, or will be refused anyway: to a non-moderator, or for its arguments (the
        refusal is told inside the transaction, in the member's language)."""
        if spec.outside is None or (spec.moderator and not inv.actor.is_moderator):
            return None
        try:
            args = bind(spec, inv.options, inv.positionals, inv.spilled)
        except (UserError, TextError):
            return None
        return await spec.outside(args, self.settings)

    async def _run(self, inv: Invocation, name: str) -> Reply:
        spec = registry.find(inv.command)
        if spec is None:
            raise UserError(
                # TRANSLATORS: {command} and `/cocreate help` are commands: keep them as they are
                _(
                    "Unknown command `{command}`. Try `/cocreate help`.",
                    command="/" + " ".join(inv.command),
                )
            )
        if inv.actor.is_bot:
            raise UserError(_("Bots can't use Cocreate's commands."))
        outside = await self._outside(spec, inv)
        now = self.clock.now()
        key = (inv.community.platform, inv.community.external_id)
        async with self.db.transaction() as store:
            if inv.request_keys:  # first, so that a replay runs nothing
                seen = await self._seen(store, inv.request_keys)
                if seen is not None:
                    raise _Replayed(seen)
            community, read_at = self._communities.get(key, (None, 0.0))
            if (
                community is None
                or read_at < time.monotonic() - COMMUNITY_FRESH_S
                or (inv.community.name or community.name) != community.name
            ):
                community, read_at = await store.community(inv.community, now), time.monotonic()
            members = await store.ensure_members(community.id, [inv.actor, *inv.people], now)
            ctx = Context(
                store=store,
                community=await keeper(store.organisations, community),
                here=community,
                member=members[inv.actor.external_id],
                actor=inv.actor,
                channel_id=inv.channel_id,
                now=now,
                settings=self.settings,
                rewards=self.rewards,
                counting=self.counting,
            )
            # From here on, the member's language; a refusal rolls the transaction back.
            i18n.switch(ctx.locale)
            if spec.moderator and not inv.actor.is_moderator:
                # TRANSLATORS: {command} is a command's name: it stays as it is
                raise PermissionDenied(_("Only moderators can use `{command}`.", command=spec.name))
            args = bind(spec, inv.options, inv.positionals, inv.spilled)
            if outside is not None:
                args[OUTSIDE] = outside
            reply = await spec.handler(ctx, args)
            claimed = []  # the events' posts, claimed with the change: sent exactly once
            for event in postings(ctx.events):
                claimed += await self.agenda.claim(
                    store, event.challenge, event.posts, now, ctx.community
                )
            # the changed ideas' posts are shown as they now are, at least once
            changed = {i for e in ctx.events if isinstance(e, IdeasChanged) for i in e.idea_ids}
            await followups.owe(store.followups, REFRESH, changed, ctx.community.id, now)
        self._communities[key] = (ctx.here, read_at)  # as the command left it (its language)
        if len(self._chosen) >= CHOSEN_KEPT:
            self._chosen.clear()
        self._chosen[(*key, inv.actor.external_id)] = ctx.member.locale
        self.webhooks.wake()  # the command may have written events to the outbox
        unsent = await self.agenda.send_claimed(claimed)
        await self.bus.publish(ctx.events)
        for direct in (e for e in ctx.events if isinstance(e, DirectMessage)):
            reply = await self._send_direct(direct, reply)
        if unsent:
            log.warning("%d post(s) of %s not sent yet: they are retried", len(unsent), name)
            reply = replace(
                reply,
                card=reply.unsent
                or replace(
                    reply.card,
                    footer=n_(
                        "{n} post will be sent as soon as {platform} answers.",
                        "{n} posts will be sent as soon as {platform} answers.",
                        len(unsent),
                        platform=community.platform.capitalize(),
                    ),
                ),
            )
        return reply

    def language_of(
        self,
        community: CommunityRef,
        member_external_id: str | None,
        platform_locale: str | None = None,
    ) -> str:
        key = (community.platform, community.external_id)
        known, _read_at = self._communities.get(key, (None, 0.0))
        return i18n.resolve(
            self._chosen.get((*key, member_external_id)) if member_external_id else None,
            platform_locale,
            known.locale if known is not None else None,
        )

    async def _send_direct(self, message: DirectMessage, reply: Reply) -> Reply:
        """Send a command's private message; the reply says where it went, or carries its
        files itself (replies are private) when it could not be sent."""
        publisher = self.publishers.get(message.community.platform)
        where: str | None = None
        if publisher is not None:
            try:
                where = await publisher.direct_message(
                    message.community, message.member_external_id, message.card, message.attachments
                )
            except DirectMessageClosed:
                log.info("a member of %s takes no direct messages", message.community)
            except Exception:
                log.exception("a direct message to a member of %s failed", message.community)
        if message.for_other is not None:
            name = display_inline(message.for_other, 80)
            note = (
                _("{name} got a direct message about it.", name=name)
                if where
                # TRANSLATORS: `/ideas mine` is a command: keep it as it is
                else _(
                    "I couldn't send {name} a direct message: they find it with `/ideas mine`.",
                    name=name,
                )
            )
            return replace(reply, card=replace(reply.card, footer=_joined(reply.card.footer, note)))
        if where:
            note = _("Sent to {where}.", where=where)
            return replace(reply, card=replace(reply.card, footer=_joined(reply.card.footer, note)))
        if message.attachments:
            note = _("I couldn't send you a direct message, so the file is here (only you see it).")
            card = replace(reply.card, footer=_joined(reply.card.footer, note))
        else:  # the message itself, privately
            note = _("I couldn't send you a direct message, so here it is (only you see it).")
            card = replace(message.card, footer=_joined(message.card.footer, note))
        return replace(
            reply, card=card, attachments=reply.attachments + message.attachments, ephemeral=True
        )

    # -- communities that removed the bot ------------------------------------------

    async def community_left(self, community: CommunityRef) -> None:
        """The bot was removed from this community: its data goes after the grace period."""
        self._communities.pop((community.platform, community.external_id), None)
        async with self.db.transaction() as store:
            marked = await store.member_data.mark_left(
                community.platform, community.external_id, self.clock.now()
            )
        if marked:
            log.info(
                "%s:%s removed the bot: its data is deleted in %g days unless it comes back",
                community.platform,
                community.external_id,
                self.settings.data.left_grace_days,
            )

    async def communities_present(self, platform: str, external_ids: Collection[str]) -> int:
        """The bot is in these communities: none of them is left any more."""
        if not external_ids:
            return 0
        async with self.db.transaction() as store:
            back = await store.member_data.mark_present(platform, external_ids)
        if back:
            log.info("%d %s communit(ies) marked as left have the bot again", back, platform)
        return back

    async def purge_left(self) -> list[str]:
        """Delete the data of every community that removed the bot more than
        `data.left_grace_days` ago, one community per transaction. Returns them as
        "platform:id"."""
        cutoff = self.clock.now() - timedelta(days=self.settings.data.left_grace_days)
        async with self.db.transaction() as store:
            left = await store.member_data.left_before(cutoff)
        purged = []
        for community_id, platform, external_id, left_at in left:
            async with self.db.transaction() as store:
                # Read again: it may have come back (or been purged) meanwhile.
                still = await store.member_data.left_before(cutoff)
                if not any(c[0] == community_id for c in still):
                    continue
                if await store.member_data.shared(community_id):
                    log.info(
                        "kept the data of %s:%s, which removed the bot: its members' ideas "
                        "and votes are in an organisation's challenges (see README, Members' "
                        "data)",
                        platform,
                        external_id,
                    )
                    continue
                rows = await store.member_data.purge_community(community_id)
            self._communities.pop((platform, external_id), None)
            purged.append(f"{platform}:{external_id}")
            log.info(
                "deleted the data of %s:%s, which removed the bot on %s (%d rows)",
                platform,
                external_id,
                left_at.date().isoformat(),
                rows,
            )
        return purged

    # -- posts -------------------------------------------------------------------

    async def refresh(self, idea_ids: Iterable[int]) -> dict[int, str]:
        """Re-render the posts of these ideas in place (after an edit, a status, a merge),
        in every venue, on whichever platform it is; a forum post's status tag follows.
        Returns why each idea whose posts could not all be shown failed (the follow-up
        of the change that owed it tries again: bot/followups.py)."""
        failed: dict[int, str] = {}
        for idea_id in idea_ids:
            try:
                await self._refresh(idea_id)
            except Exception as err:
                failed[idea_id] = failure(err)
        return failed

    async def _refresh(self, idea_id: int) -> None:
        """One idea's posts and forum tags; every one is tried, the first failure raised."""
        async with self.db.transaction() as store:
            idea = await store.idea(idea_id)
            if idea is None:
                return
            updates = await self._idea_updates(store, idea)
            threads = (await store.conversations.threads_of([idea_id]))[idea_id]
            forums = [t for t in threads if t.forum]
            where = await store.communities_by_ids([t.community_id for t in forums])
        status = _tag(idea.status)
        errors: list[Exception] = []
        for community, receipt, post in updates:
            publisher = self.publishers.get(community.platform)
            try:
                if publisher is not None:
                    with i18n.speaking(community.locale):  # what the platform adds to it
                        await publisher.update(community.ref, receipt, post)
            except Exception as err:
                errors.append(err)
        for thread in forums:
            community = where[thread.community_id]
            publisher = self.publishers.get(community.platform)
            try:
                if publisher is not None and status is not None:
                    await publisher.thread_status(community.ref, thread.ref, status)
            except Exception as err:
                errors.append(err)
        if errors:
            raise errors[0]

    async def _idea_updates(
        self, store: Store, idea: Idea
    ) -> list[tuple[Community, PostReceipt, Post]]:
        found = await store.challenges_by_ids([idea.challenge_id])
        if not found:
            return []
        challenge = found[0]
        author = (await store.members_by_ids([idea.author_id]))[idea.author_id]
        merged_into = None
        if idea.merged_into_id is not None:
            head = await store.idea(idea.merged_into_id)
            merged_into = head.number if head else None
        emoji = challenge.settings.vote_emoji
        posts = await store.idea_post_messages(idea.id)
        where = await store.communities_by_ids([community_id for community_id, _ch, _m in posts])
        out = []
        for community_id, channel_id, message_id in posts:
            community = where[community_id]
            with i18n.speaking(community.locale):  # a public post: the community's language
                shown = _("anonymous") if idea.anonymous else author.display_name
                card = idea_card(idea, challenge, shown, merged_into=merged_into)
            out.append(
                (
                    community,
                    PostReceipt(channel_id, message_id),
                    Post(channel_id, PostKind.IDEA, card, idea.id, idea.number, emoji),
                )
            )
        return out

    # -- conversations -----------------------------------------------------------

    async def _wake_notices(self, event: object) -> None:
        self.notices.wake()

    async def thread_activity(
        self,
        community: CommunityRef,
        thread_id: str,
        *,
        channel_id: str | None = None,
        replies: int | None = None,
        more_replies: int = 0,
        joined: Collection[str] = (),
        left: Collection[str] = (),
    ) -> bool:
        """What a platform told of an idea's thread (a reply count, members who joined or
        left it); never what was said. False when it is no idea's thread."""
        async with self.db.transaction() as store:
            found = await store.find_community(community)
            if found is None:
                return False
            thread = await store.conversations.thread_by_ref(found.id, thread_id, channel_id)
            if thread is None:
                return False
            await store.conversations.record_activity(
                thread.id,
                self.clock.now(),
                replies=replies,
                more_replies=more_replies,
                joined=joined,
                left=left,
            )
        return True

    async def refresh_activity(self, challenge_id: int) -> None:
        """Ask the platforms how the challenge's threads are doing (before results and
        reports); a platform that cannot say, or fails, keeps what it last told."""
        async with self.db.transaction() as store:
            ideas = await store.ideas(challenge_id, PUBLIC_STATUSES)
            listed = await store.conversations.threads_of([i.id for i in ideas])
            threads = [t for found in listed.values() for t in found]
            where = await store.communities_by_ids([t.community_id for t in threads])
        for thread in threads:
            community = where[thread.community_id]
            publisher = self.publishers.get(community.platform)
            if publisher is None:
                continue
            try:
                seen = await publisher.thread_activity(community.ref, thread.ref)
            except Exception as err:
                log.warning("thread activity of %s not read: %s", thread.thread_id, err)
                continue
            if seen is None:
                continue
            async with self.db.transaction() as store:
                await store.conversations.record_activity(
                    thread.id,
                    self.clock.now(),
                    replies=seen.replies,
                    joined=seen.repliers,
                    includes_own=seen.includes_own,
                )

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

        self.background.spawn(read_back(), "read back", queued=False)

    async def first_time(self, *keys: str, keep: timedelta = REQUEST_KEYS_KEPT) -> str | None:
        """Record the keys of a request (a signed Slack command, say). Returns the first key
        seen before, in this process or another, within `keep` (a replay), or None. A
        command records its request's keys in its own transaction instead
        (`Invocation.request_keys`)."""
        async with self.db.transaction() as store:
            return await self._seen(store, keys, keep)

    async def _seen(
        self, store: Store, keys: Collection[str], keep: timedelta = REQUEST_KEYS_KEPT
    ) -> str | None:
        """`first_time` in this transaction. Keys older than `keep` are forgotten once
        every `KEYS_FORGOTTEN_EVERY` (not with every request): one may be taken for a
        replay that long after its `keep`, when no request can bring it back anyway."""
        now = self.clock.now()
        forget = self._keys_forgotten_at is None or (
            now - self._keys_forgotten_at >= KEYS_FORGOTTEN_EVERY
        )
        seen = await store.seen_before(list(keys), now, now - keep if forget else None)
        if forget:
            self._keys_forgotten_at = now
        return seen[0] if seen else None

    async def reconcile_targets(self, platform: str, closed_within: timedelta) -> list[IdeaPostRef]:
        """Idea posts of running challenges, and of those closed within `closed_within`:
        what an adapter reads back after downtime."""
        async with self.db.transaction() as store:
            return await store.idea_post_refs(
                platform, closed_since=self.clock.now() - closed_within
            )

    async def catch_up(
        self,
        platform: str,
        closed_within: timedelta,
        mine: Callable[[CommunityRef], bool] = lambda _ref: True,
        *,
        why: str = "after start",
        retry_s: float = 1.0,
    ) -> int:
        """The votes cast while a platform was away: its reconciler reads back the idea posts
        of running challenges and of those closed within `closed_within`, in the
        communities this process serves (`mine`). While the database is down this waits for
        it, trying again with a growing delay. Returns how many posts were read back."""
        delay = retry_s
        while True:
            try:
                posts = [
                    p
                    for p in await self.reconcile_targets(platform, closed_within)
                    if mine(p.community)
                ]
                if posts:
                    await self.reconcilers[platform].refresh_reactions(posts)
                # Logged when there was nothing to read too: the catch-up is done.
                log.info("%s votes read back %s: %d idea posts", platform, why, len(posts))
                return len(posts)
            except StorageUnavailable:
                log.warning(
                    "reading %s votes back %s waits for the database: trying again in %.1f s",
                    platform,
                    why,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

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
            home = await keeper(store.organisations, found) if found else None
            listed = await store.challenges(home.id) if home else []
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
            home = await keeper(store.organisations, found)
            for challenge in await store.challenges(home.id):
                if challenge.phase.running:
                    ideas = await store.ideas(challenge.id, PUBLIC_STATUSES, newest_first=True)
                    out += [
                        (i.number, i.title)
                        for i in ideas
                        if key in str(i.number) or key in i.title.casefold()
                    ]
        return sorted(out, reverse=True)[:25]

    # -- badges ------------------------------------------------------------------

    async def _schedule_changed(self, event: ScheduleChanged) -> None:
        """Opening, closing or new deadlines: announcements and results go out now,
        through the agenda's exactly-once path, and the timer wakes at the right time."""
        await self.agenda.run_due(event.community_id)
        self.agenda.changed()

    async def _wake_webhooks(self, event: BadgesAwarded) -> None:
        self.webhooks.wake()

    async def _committed(self, after: Aftermath) -> None:
        """A reaction batch committed: announce its badges, and judge the ideas that
        gained votes for brigading (both in the background)."""
        if after.awards:
            await self.bus.publish([BadgesAwarded(tuple(after.awards))])
        if self.watch.notice(after.gained):
            self.background.spawn(self.watch.run(), "brigading watch", queued=False)

    async def _awarded(self, awards: list[Award]) -> None:
        """Tell each badge's platform, in the background: a role grant must not hold up
        a command or the reaction writer. A badge earned with an anonymous idea is not
        told: a role appearing would name the author (the member sees it in /badges).
        What fails is told later (bot/badge_news.py)."""
        public = [a.badge_id for a in awards if not a.private]
        if public:
            work = self.followups.run_now(badge_news.KIND, public)
            self.background.spawn(work, "badge news", queued=False)
