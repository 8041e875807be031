"""Votes from reactions: the rules, applied to batches of events in one transaction.

A reaction is kept per post, member and emoji variant (👍 and 👍🏽 are two reactions). The
latest event per reaction wins, by the platform's time, so a replay changes nothing and
an add and a remove that arrive out of order end in the right state. A reactor list read
back from the platform counts as of the moment it was asked for: an event that reached us
after that moment wins over it, and one that came before loses to it.

A member holds at most one vote per idea: the vote exists while any variant of their vote
reaction is on any post of the idea, and it counts when it was cast while voting was
allowed, by an eligible member. The ideas a batch touches are locked first, so that
processes sharing one database decide each member's vote one at a time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.counting import Counting, credits_now
from bot.emoji import emoji_variant, normalize_emoji
from bot.messages import Actor, CommunityRef, ReactionAction, ReactionEvent, ReactionOutcome
from bot.model import Challenge, Community, Idea, Member
from bot.ports import LogEntry, PointsDelta, PostTarget, ReactionState, Store, VoteRow
from bot.rewards import Award, Rewards
from bot.weeks import week_of

log = logging.getLogger(__name__)

#: Idea posts remembered by the writer (message -> idea); cleared when it grows past this.
POST_CACHE = 200_000

EVENT = "event"
SNAPSHOT = "reconcile"


class Effect:
    ADDED = "vote added"
    REMOVED = "vote removed"
    NO_CHANGE = "no change"
    STALE = "stale"
    DUPLICATE = "duplicate"
    NOT_AN_IDEA = "ignored: not an idea post"
    OTHER_EMOJI = "ignored: not the vote emoji"
    BOT = "ignored: bot"
    CLOSED = "ignored: voting closed"
    NOT_VOTABLE = "ignored: idea not open to votes"
    SELF_VOTE = "ignored: self-vote"
    VOIDED = "ignored: voided by a moderator"
    BLOCKED = "ignored: blocked"
    ACCOUNT_AGE = "ignored: account too new"
    MEMBER_AGE = "ignored: member too new"


def ineligibility(challenge: Challenge, idea: Idea, member: Member, at: datetime) -> str | None:
    """Why this member's vote on this idea at this time does not count, or None if it does
    (unless a moderator voided the member's votes in this challenge)."""
    if not challenge.voting_allowed_at(at):
        return Effect.CLOSED
    if not idea.status.public:
        return Effect.NOT_VOTABLE
    if member.is_bot:
        return Effect.BOT
    if member.blocked:
        return Effect.BLOCKED
    if member.id == idea.author_id and not challenge.settings.self_votes:
        return Effect.SELF_VOTE
    min_account = challenge.settings.min_account_age
    if min_account and (
        member.account_created_at is None or at - member.account_created_at < min_account
    ):
        return Effect.ACCOUNT_AGE
    min_member = challenge.settings.min_member_age
    joined = member.joined_at or member.first_seen_at
    if min_member and at - joined < min_member:
        return Effect.MEMBER_AGE
    return None


@dataclass
class _Change:
    """One reaction's presence on one post, as a change to apply (from an event, or from a
    reactor list read back from the platform)."""

    index: int
    post_id: int
    idea_id: int
    challenge_id: int
    #: None for a CLEAR: it applies to whoever holds the reaction when its turn comes
    member_id: int | None
    #: the emoji variant; None for a CLEAR of every emoji
    variant: str | None
    present: bool
    #: events: the platform's time; read-backs: the time the votes count for
    at: datetime
    #: our time: when the event arrived, or when the reactor list was asked for
    received: datetime
    action: str
    emoji: str
    event_id: str | None
    source: str


StateKey = tuple[int, int, str]


@dataclass
class _Batch:
    """Everything one transaction loaded and will write."""

    challenges: dict[int, Challenge]
    ideas: dict[int, Idea]
    members: dict[int, Member]
    states: dict[StateKey, ReactionState]
    votes: dict[tuple[int, int], VoteRow]
    log: list[LogEntry] = field(default_factory=list)
    added: dict[tuple[int, int], VoteRow] = field(default_factory=dict)
    removed: dict[tuple[int, int], VoteRow] = field(default_factory=dict)
    dirty_states: dict[StateKey, ReactionState] = field(default_factory=dict)
    #: (idea, member) -> the (post, variant) reactions of the member on the idea's posts
    presence: dict[tuple[int, int], set[tuple[int, str]]] = field(default_factory=dict)
    #: post -> the time up to which all its reactions are known (a CLEAR): an event older
    #: than that is stale, whoever it is from
    floors: dict[int, datetime] = field(default_factory=dict)
    raised: dict[int, datetime] = field(default_factory=dict)
    community: Community | None = None
    #: idea -> the idea it counts for (itself, or the one it is merged into)
    heads: dict[int, int] = field(default_factory=dict)
    #: head -> the ideas of its family, the head first
    families: dict[int, list[int]] = field(default_factory=dict)
    #: (challenge, member) whose votes a moderator voided
    voided: set[tuple[int, int]] = field(default_factory=set)

    def raise_floor(self, post_id: int, at: datetime) -> None:
        if post_id not in self.floors or self.floors[post_id] < at:
            self.floors[post_id] = self.raised[post_id] = at

    def __post_init__(self) -> None:
        for s in self.states.values():
            if s.present:
                self.presence.setdefault((s.idea_id, s.member_id), set()).add(
                    (s.post_id, s.variant)
                )

    def set_state(self, state: ReactionState) -> None:
        key = (state.post_id, state.member_id, state.variant)
        self.states[key] = state
        self.dirty_states[key] = state
        held = self.presence.setdefault((state.idea_id, state.member_id), set())
        if state.present:
            held.add((state.post_id, state.variant))
        else:
            held.discard((state.post_id, state.variant))


@dataclass
class Aftermath:
    """What a batch leaves to do once it has committed: the badges to announce, and the
    counted votes each idea (family head) gained, for the brigading alerts."""

    awards: list[Award] = field(default_factory=list)
    gained: Counter[int] = field(default_factory=Counter)

    def add(self, other: Aftermath) -> None:
        self.awards += other.awards
        self.gained.update(other.gained)


class VoteBook:
    """Applies reaction changes to the stored votes, points and badges."""

    def __init__(self, rewards: Rewards, counting: Counting) -> None:
        self.rewards = rewards
        self.counting = counting
        # Communities (their keys) and idea posts never change once created: remember them.
        self._communities: dict[CommunityRef, Community] = {}
        self._homes: dict[int, Community] = {}
        self._posts: dict[tuple[int, str, str], PostTarget] = {}

    async def _community(self, store: Store, ref: CommunityRef) -> Community | None:
        if ref not in self._communities:
            found = await store.find_community(ref)
            if found is None:
                return None
            self._communities[ref] = found
        return self._communities[ref]

    async def _targets(
        self, store: Store, community_id: int, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], PostTarget]:
        known = {
            k: self._posts[(community_id, *k)] for k in keys if (community_id, *k) in self._posts
        }
        missing = keys - known.keys()
        if missing:
            found = await store.posts_by_message(community_id, missing)
            if len(self._posts) > POST_CACHE:
                self._posts.clear()
            self._posts.update({(community_id, *k): t for k, t in found.items()})
            known.update(found)
        return known

    async def apply_events(
        self, store: Store, events: Sequence[ReactionEvent], now: datetime
    ) -> tuple[list[ReactionOutcome], Aftermath]:
        """Apply a batch of reaction events, all of one community, in arrival order.

        Returns each event's outcome, and what is left to do once it has committed.
        """
        outcomes: list[ReactionOutcome | None] = [None] * len(events)
        community = await self._community(store, events[0].community)
        if community is None:
            return [ReactionOutcome(Effect.NOT_AN_IDEA)] * len(events), Aftermath()
        community_id = community.id
        posts = await self._targets(
            store, community_id, {(e.channel_id, e.message_id) for e in events}
        )
        candidates: list[tuple[int, ReactionEvent]] = []
        for i, e in enumerate(events):
            if (e.channel_id, e.message_id) not in posts:
                outcomes[i] = ReactionOutcome(Effect.NOT_AN_IDEA)
            else:
                candidates.append((i, e))
        if not candidates:
            return [o or ReactionOutcome(Effect.NO_CHANGE) for o in outcomes], Aftermath()

        actors = [e.member for _, e in candidates if e.member is not None and not e.member.is_bot]
        by_external = await store.ensure_members(community_id, actors, now)
        idea_ids = {posts[(e.channel_id, e.message_id)].idea_id for _, e in candidates}
        heads = await self._lock(store, idea_ids)
        # Read under the locks: an event another process recorded a moment ago is seen.
        seen = await store.seen_event_ids(
            community_id, {e.event_id for _, e in candidates if e.event_id is not None}
        )
        live: list[tuple[int, ReactionEvent]] = []
        for i, e in candidates:
            if e.event_id is not None and e.event_id in seen:
                outcomes[i] = ReactionOutcome(Effect.DUPLICATE, duplicate=True)
            elif e.member is not None and e.member.is_bot:
                outcomes[i] = ReactionOutcome(Effect.BOT)
            else:
                if e.event_id is not None:
                    seen.add(e.event_id)
                live.append((i, e))
        if not live:
            return [o or ReactionOutcome(Effect.NO_CHANGE) for o in outcomes], Aftermath()

        challenge_ids = {posts[(e.channel_id, e.message_id)].challenge_id for _, e in live}
        challenges = {
            c.id: c for c in await store.challenges_by_ids(challenge_ids, with_venues=False)
        }
        live_ideas = {posts[(e.channel_id, e.message_id)].idea_id for _, e in live}
        cleared = {
            posts[(e.channel_id, e.message_id)].idea_id
            for _, e in live
            if e.action is ReactionAction.CLEAR
        }
        batch = await self._load(
            store, live_ideas, cleared, by_external.values(), heads, challenges
        )
        batch.community = community

        changes: list[_Change] = []
        for i, e in live:
            target = posts[(e.channel_id, e.message_id)]
            challenge = challenges.get(target.challenge_id)
            emoji = normalize_emoji(e.emoji) if e.emoji else ""
            vote_emoji = normalize_emoji(challenge.settings.vote_emoji) if challenge else ""
            if challenge is None or (emoji and emoji != vote_emoji):
                outcomes[i] = ReactionOutcome(Effect.OTHER_EMOJI)
                continue
            member = None if e.member is None else by_external[e.member.external_id].id
            changes.append(
                _Change(
                    index=i,
                    post_id=target.post_id,
                    idea_id=target.idea_id,
                    challenge_id=target.challenge_id,
                    member_id=None if e.action is ReactionAction.CLEAR else member,
                    variant=emoji_variant(e.emoji) if e.emoji else None,
                    present=e.action is ReactionAction.ADD,
                    at=e.at,
                    received=e.received_at or now,
                    action=e.action.value,
                    emoji=vote_emoji,
                    event_id=e.event_id,
                    source=EVENT,
                )
            )
        for index, effect in self._apply(batch, changes, now):
            current = outcomes[index]
            if current is None or current.effect in (Effect.NO_CHANGE, Effect.STALE):
                outcomes[index] = ReactionOutcome(effect)
        after = await self._save(store, batch, now)
        return [o or ReactionOutcome(Effect.NO_CHANGE) for o in outcomes], after

    async def reconcile(
        self,
        store: Store,
        community: Community,
        post_key: tuple[str, str],
        reactions: Mapping[str, Iterable[Actor]],
        requested_at: datetime,
        counts_at: datetime,
    ) -> tuple[int, int, list[Award]]:
        """Merge a reactor list read back from the platform into one idea post's reactions.

        `reactions` maps each variant of the vote emoji on the post to who reacts with it;
        it is the whole truth as of `requested_at`, when the list was asked for, except for
        reactions whose latest event reached us since then: those events win. Votes it
        adds count as cast at `counts_at`. Every member it covers gets the vote their
        reactions call for, so vote rows out of step with the reactions are repaired, and
        the idea's count is recomputed.

        Returns the reactions added and removed, and the badges awarded; each change goes
        through the vote rules and into the reaction log with the source "reconcile".
        """
        community_id = community.id
        target = (await store.posts_by_message(community_id, [post_key])).get(post_key)
        if target is None:
            return 0, 0, []
        listed: dict[str, list[Actor]] = {}
        challenge_rows = await store.challenges_by_ids([target.challenge_id])
        if not challenge_rows:
            return 0, 0, []
        challenge = challenge_rows[0]
        vote_emoji = normalize_emoji(challenge.settings.vote_emoji)
        for emoji, actors in reactions.items():
            if normalize_emoji(emoji) == vote_emoji:
                listed.setdefault(emoji_variant(emoji), []).extend(
                    a for a in actors if not a.is_bot
                )
        humans = [a for actors in listed.values() for a in actors]
        by_external = await store.ensure_members(community_id, humans, requested_at)
        wanted = {
            (by_external[a.external_id].id, variant)
            for variant, actors in listed.items()
            for a in actors
        }
        heads = await self._lock(store, {target.idea_id})
        batch = await self._load(
            store,
            {target.idea_id},
            {target.idea_id},
            by_external.values(),
            heads,
            {challenge.id: challenge},
        )
        batch.community = community
        present = {
            (m, v) for (p, m, v), s in batch.states.items() if p == target.post_id and s.present
        }
        changes = [
            _Change(
                0,
                target.post_id,
                target.idea_id,
                target.challenge_id,
                m,
                v,
                (m, v) in wanted,
                counts_at,
                requested_at,
                "add" if (m, v) in wanted else "remove",
                vote_emoji,
                None,
                SNAPSHOT,
            )
            for m, v in sorted(wanted | present)
        ]
        applied = self._apply(batch, changes, counts_at)
        # Repair: each member covered gets the vote that their reactions call for.
        for c in {c.member_id: c for c in changes}.values():
            effect, counted = self._vote_effect(batch, c)
            if effect in (Effect.ADDED, Effect.REMOVED, Effect.VOIDED):
                batch.log.append(_log_entry(c, effect, counts_at, counted, batch))
        awards = (await self._save(store, batch, counts_at)).awards
        head = batch.heads[target.idea_id]
        home = await self._home(store, batch, challenge)
        if await self.counting.audit(store, home, challenge, head, counts_at, community.id):
            log.warning("the votes of idea %s disagreed with its log: corrected", head)
        added = sum(1 for i, e in applied if e != Effect.STALE and changes[i].present)
        removed = sum(1 for i, e in applied if e != Effect.STALE and not changes[i].present)
        return added, removed, awards

    async def _lock(self, store: Store, idea_ids: set[int]) -> dict[int, int]:
        """Lock the ideas, and the ideas they are merged into (whose counts change too);
        returns the idea each counts for."""
        merged_into = await store.lock_ideas(idea_ids)
        heads = {i: h or i for i, h in merged_into.items()}
        if set(heads.values()) - idea_ids:
            await store.lock_ideas(set(heads.values()) - idea_ids)
        return heads

    async def _load(
        self,
        store: Store,
        idea_ids: set[int],
        cleared: set[int],
        known: Iterable[Member],
        heads: dict[int, int],
        challenges: dict[int, Challenge],
    ) -> _Batch:
        members = {m.id: m for m in known}
        states = {
            (s.post_id, s.member_id, s.variant): s
            for s in await store.reaction_states(idea_ids, set(members))
        }
        if cleared:
            for s in await store.reaction_states(cleared, None):
                states[(s.post_id, s.member_id, s.variant)] = s
            extra = {m for _, m, _ in states} - members.keys()
            members.update(await store.members_by_ids(extra) if extra else {})
        families = await store.family_of({heads[i] for i in idea_ids})
        family_ideas = {i for family in families.values() for i in family}
        ideas = await store.ideas_by_ids(family_ideas)
        votes = await store.votes_for(family_ideas, set(members))
        batch = _Batch(challenges, ideas, members, states, votes)
        batch.heads = {i: h for h, family in families.items() for i in family}
        batch.families = families
        batch.voided = await store.voided_members(set(challenges), set(members))
        batch.floors.update(await store.post_floors(idea_ids))
        return batch

    def _apply(
        self, batch: _Batch, changes: Sequence[_Change], now: datetime
    ) -> list[tuple[int, str]]:
        """Apply changes in order; returns (change index, effect) for each one applied.

        For read-back changes the index is the change's position in `changes`."""
        effects: list[tuple[int, str]] = []
        for position, c in enumerate(changes):
            index = position if c.source == SNAPSHOT else c.index
            floor = batch.floors.get(c.post_id)
            if c.member_id is None:  # CLEAR: everyone holding the reaction at this point
                if floor is not None and c.at < floor:
                    effects.append((index, Effect.STALE))
                    continue
                batch.raise_floor(c.post_id, c.at)
                holders = sorted(
                    (m, v)
                    for (p, m, v), st in batch.states.items()
                    if p == c.post_id and st.present and c.variant in (None, v)
                )
                expanded = [
                    replace(c, member_id=m, variant=v, event_id=c.event_id if n == 0 else None)
                    for n, (m, v) in enumerate(holders)
                ]
                effects += self._apply(batch, expanded, now) or [(index, Effect.NO_CHANGE)]
                continue
            assert c.variant is not None
            state = batch.states.get((c.post_id, c.member_id, c.variant))
            if c.source == SNAPSHOT:
                if (state is not None and state.seen_at >= c.received) or (
                    floor is not None and c.received < floor
                ):
                    effects.append((index, Effect.STALE))
                    continue  # an event that reached us after the list was asked for wins
                if state is None and not c.present:
                    continue
                changed_at = state.changed_at if state is not None else None
                batch.set_state(
                    ReactionState(
                        c.post_id,
                        c.idea_id,
                        c.member_id,
                        c.variant,
                        c.present,
                        changed_at,
                        c.received,
                        synced=True,
                    )
                )
                if state is not None and state.present == c.present:
                    continue  # the list confirms what we had
            else:
                if (floor is not None and c.at < floor) or (
                    state is not None
                    and (
                        (state.changed_at is not None and c.at < state.changed_at)
                        or (state.synced and c.received < state.seen_at)
                    )
                ):
                    effects.append((index, Effect.STALE))
                    batch.log.append(_log_entry(c, Effect.STALE, now, 0, batch))
                    continue
                batch.set_state(
                    ReactionState(
                        c.post_id, c.idea_id, c.member_id, c.variant, c.present, c.at, c.received
                    )
                )
            effect, counted = self._vote_effect(batch, c)
            effects.append((index, effect))
            batch.log.append(_log_entry(c, effect, now, counted, batch))
        return effects

    def _vote_effect(self, batch: _Batch, c: _Change) -> tuple[str, int]:
        """The vote the member's reactions call for; returns the effect, and how it changed
        the counted votes of the idea's family head."""
        assert c.member_id is not None
        head = batch.heads[c.idea_id]
        before = self._counts(batch, head, c.member_id)
        effect = self._decide(batch, c)
        return effect, self._counts(batch, head, c.member_id) - before

    def _decide(self, batch: _Batch, c: _Change) -> str:
        assert c.member_id is not None
        pair = (c.idea_id, c.member_id)
        wants_vote = bool(batch.presence.get(pair))
        has_vote = pair in batch.votes
        challenge = batch.challenges[c.challenge_id]
        if wants_vote and not has_vote:
            member = batch.members[c.member_id]
            why = ineligibility(challenge, batch.ideas[c.idea_id], member, c.at)
            if why is not None:
                return why
            # A voided member's vote is kept, not counted, so that /mod unvoid restores it.
            voided = (challenge.id, c.member_id) in batch.voided
            vote = VoteRow(c.idea_id, c.member_id, c.challenge_id, c.at, week_of(c.at), voided)
            batch.votes[pair] = vote
            if batch.removed.pop(pair, None) is None:
                batch.added[pair] = vote
            return Effect.VOIDED if voided else Effect.ADDED
        if has_vote and not wants_vote:
            if not challenge.voting_allowed_at(c.at):
                return Effect.CLOSED
            vote = batch.votes.pop(pair)
            if batch.added.pop(pair, None) is None:
                batch.removed[pair] = vote
            return Effect.REMOVED
        return Effect.NO_CHANGE

    def _counts(self, batch: _Batch, head_id: int, member_id: int) -> int:
        """1 if the member counts for this family head now (the rule of bot/counting.py)."""
        head = batch.ideas[head_id]
        if not head.status.public or (
            member_id == head.author_id
            and not batch.challenges[head.challenge_id].settings.self_votes
        ):
            return 0
        votes = batch.votes
        for idea_id in batch.families[head_id]:
            vote = votes.get((idea_id, member_id))
            if vote is not None and not vote.voided:
                return 1
        return 0

    async def _home(self, store: Store, batch: _Batch, challenge: Challenge) -> Community:
        """The community that keeps a challenge: the event's own, or the home of the
        organisation that the event's community is linked with (bot/organisations.py)."""
        assert batch.community is not None
        if challenge.community_id == batch.community.id:
            return batch.community
        if challenge.community_id not in self._homes:
            self._homes[challenge.community_id] = await store.community_by_id(
                challenge.community_id
            )
        return self._homes[challenge.community_id]

    async def _save(self, store: Store, batch: _Batch, now: datetime) -> Aftermath:
        """Write what the batch changed. Votes, points, badges and the log's pseudonyms
        belong to the community that keeps each challenge; the log's entries are recorded
        as the event's community saw them (its event ids are what make a replay a no-op)."""
        community = batch.community
        assert community is not None
        await store.save_reaction_states(list(batch.dirty_states.values()))
        await store.raise_post_floors(batch.raised)
        await store.remove_votes(list(batch.removed))
        await store.add_votes(list(batch.added.values()))
        homes = {c.id: await self._home(store, batch, c) for c in batch.challenges.values()}
        cast: dict[int, list[PointsDelta]] = {}
        for sign, rows in ((1, batch.added.values()), (-1, batch.removed.values())):
            for v in rows:
                if not v.voided:
                    cast.setdefault(homes[v.challenge_id].id, []).append(
                        PointsDelta(v.member_id, v.week, votes_cast=sign)
                    )
        for home_id, deltas in cast.items():
            await store.add_points(home_id, deltas)
        added = [v for v in batch.added.values() if not v.voided]
        first: dict[int, datetime] = {}
        for v in added:
            idea = batch.ideas[v.idea_id]
            if idea.first_foreign_vote_at is None and v.member_id != idea.author_id:
                first[idea.id] = min(v.cast_at, first.get(idea.id, v.cast_at))
        await store.mark_first_foreign_votes(first)
        by_challenge: dict[int, list[LogEntry]] = {}
        for entry in batch.log:
            by_challenge.setdefault(batch.ideas[entry.idea_id].challenge_id, []).append(entry)
        counts: dict[int, dict[int, int]] = {}
        after = Aftermath()
        for challenge_id, entries in by_challenge.items():
            challenge = batch.challenges[challenge_id]
            home = homes[challenge_id]
            moved = await self.counting.record(
                store, home, challenge, entries, batch.ideas, source_id=community.id
            )
            after.gained.update({h: n for h, n in moved.items() if n > 0})
            if credits_now(challenge):  # 🔥 would tell a sealed tally: it waits for the close
                counts.setdefault(home.id, {}).update(
                    {h: batch.ideas[h].vote_count + n for h, n in moved.items()}
                )
        for home_id in {*counts, *(homes[v.challenge_id].id for v in added)}:
            tallies = counts.get(home_id, {})
            before = {h: batch.ideas[h].vote_count for h in tallies}
            theirs = [v for v in added if homes[v.challenge_id].id == home_id]
            after.awards += await self.rewards.after_votes(
                store, home_id, tallies, before, theirs, now, batch.ideas
            )
        return after


def _log_entry(c: _Change, effect: str, now: datetime, counted: int, batch: _Batch) -> LogEntry:
    assert c.member_id is not None
    return LogEntry(
        event_id=c.event_id,
        post_id=c.post_id,
        idea_id=c.idea_id,
        member_id=c.member_id,
        action=c.action,
        emoji=c.emoji,
        occurred_at=c.at,
        recorded_at=now,
        source=c.source,
        effect=effect,
        counted=counted,
        credited_idea_id=batch.heads[c.idea_id] if counted else None,
    )
