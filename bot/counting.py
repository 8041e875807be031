"""Counted votes: every change to them is an entry of the challenge's vote log, and each
idea's count and the votes credited to its author move with the entries.

Who counts for an idea is a rule of its family (the idea and those merged into it): each
member with a vote on any of them, once, except the author of the idea unless self-votes
count, and nobody while the idea is not public (withdrawn, rejected, merged away). A vote
voided by a moderator does not count. A moderator's action (a merge, a void, a withdrawal)
is recorded as the difference it made to these sets, member by member.

Received votes are credited to the idea's author in the week of the entry, apart when the
idea is anonymous (others don't see those points). While a challenge is sealed nothing is
credited; at its close everything is, in the week of the close.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot import votelog
from bot.model import Challenge, Community, Idea
from bot.ports import LogEntry, Received, Store
from bot.privacy import tallies_sealed
from bot.weeks import week_of

MODERATOR = "moderator"


def credits_now(challenge: Challenge) -> bool:
    """Whether received votes are credited now: always, except while sealed and open."""
    return not tallies_sealed(challenge)


class Counting:
    async def counted(
        self, store: Store, heads: Collection[int], challenge: Challenge
    ) -> dict[int, set[int]]:
        """The members who count for each of these family heads (of one challenge)."""
        voters = await store.family_voters(heads)
        ideas = await store.ideas_by_ids(heads)
        out: dict[int, set[int]] = {}
        for head in heads:
            idea = ideas[head]
            members = set(voters[head]) if idea.status.public else set()
            if not challenge.settings.self_votes:
                members.discard(idea.author_id)
            out[head] = members
        return out

    def differences(
        self,
        before: Mapping[int, set[int]],
        after: Mapping[int, set[int]],
        *,
        subject: int | None,
        action: str,
        now: datetime,
        effects: tuple[str, str],
    ) -> list[LogEntry]:
        """Entries for what changed between two `counted` results: (effect of a member who
        stops counting, effect of one who starts), about the idea `subject` (else each
        head itself)."""
        gone, came = effects
        entries = []
        for head in sorted(set(before) | set(after)):
            was, now_ = before.get(head, set()), after.get(head, set())
            for member, counted, effect in [
                *((m, -1, gone) for m in sorted(was - now_)),
                *((m, 1, came) for m in sorted(now_ - was)),
            ]:
                entries.append(
                    LogEntry(
                        event_id=None,
                        post_id=None,
                        idea_id=head if subject is None else subject,
                        member_id=member,
                        action=action,
                        emoji="",
                        occurred_at=now,
                        recorded_at=now,
                        source=MODERATOR,
                        effect=effect,
                        counted=counted,
                        credited_idea_id=head,
                    )
                )
        return entries

    async def record(
        self,
        store: Store,
        community: Community,
        challenge: Challenge,
        entries: Sequence[LogEntry],
        ideas: Mapping[int, Idea],
        *,
        source_id: int | None = None,
    ) -> Counter[int]:
        """Append entries to the challenge's vote log, and move the counts and credits by
        them. `ideas` holds every idea they name. Returns the change of each idea's count.

        `community` keeps the challenge (its key makes the log's pseudonyms); the entries
        are recorded as seen in `source_id`, the community whose events they are (by
        default the same one): a replay of its event ids is known there."""
        if not entries:
            return Counter()
        seq, head = await store.lock_chain(challenge.id)
        chained = votelog.chain(
            seq,
            head,
            (
                votelog.Change(
                    at=e.recorded_at,
                    idea=ideas[e.idea_id].number,
                    credited=ideas[e.credited_idea_id].number if e.credited_idea_id else None,
                    member=votelog.pseudonym(community.audit_key, e.member_id),
                    action=e.action,
                    source=e.source,
                    effect=e.effect,
                    counted=e.counted,
                )
                for e in entries
            ),
        )
        # Each entry's hash is the next one's `prev`: hash only the last one again.
        hashes = [c.prev for c in chained[1:]] + [chained[-1].hash]
        await store.append_reaction_log(
            source_id or community.id,
            [
                replace(e, challenge_id=challenge.id, seq=c.seq, hash=h)
                for e, c, h in zip(entries, chained, hashes, strict=True)
            ],
        )
        await store.set_chain(challenge.id, chained[-1].seq, hashes[-1])
        deltas: Counter[int] = Counter()
        for e in entries:
            if e.credited_idea_id is not None and e.counted:
                deltas[e.credited_idea_id] += e.counted
        await store.add_vote_counts(deltas)
        if credits_now(challenge):
            counted = [(e.credited_idea_id, e.recorded_at, e.counted) for e in entries]
            await store.add_received(
                community.id, challenge.id, self._received(counted, ideas, challenge)
            )
        return deltas

    async def audit(
        self,
        store: Store,
        community: Community,
        challenge: Challenge,
        head: int,
        now: datetime,
        source_id: int | None = None,
    ) -> int:
        """Make the vote log and the count of an idea agree with who counts for it (after
        a read-back: rows once drifted from the log); returns the entries it corrected."""
        actual = (await self.counted(store, [head], challenge))[head]
        held = await store.log_held(head)
        corrections = [
            LogEntry(
                event_id=None,
                post_id=None,
                idea_id=head,
                member_id=member,
                action="correct",
                emoji="",
                occurred_at=now,
                recorded_at=now,
                source="reconcile",
                effect="corrected by a read-back",
                counted=(member in actual) - held.get(member, 0),
                credited_idea_id=head,
            )
            for member in sorted(actual | set(held))
            if (member in actual) != held.get(member, 0)
        ]
        await self.record(
            store,
            community,
            challenge,
            corrections,
            await store.ideas_by_ids([head]),
            source_id=source_id,
        )
        await store.set_vote_count(head, len(actual))
        return len(corrections)

    async def credit(self, store: Store, challenge: Challenge) -> None:
        """Credit a challenge's received votes again from its log (at the close of a sealed
        one, or when a moderator seals or unseals it)."""
        counted = await store.counted_log(challenge.id)
        rows: list[Received] = []
        if credits_now(challenge):
            ideas = await store.ideas_by_ids({i for i, _, _ in counted})
            rows = self._received(counted, ideas, challenge)
        await store.replace_received(challenge.community_id, challenge.id, rows)

    def _received(
        self,
        counted: Sequence[tuple[int | None, datetime, int]],
        ideas: Mapping[int, Idea],
        challenge: Challenge,
    ) -> list[Received]:
        sealed_week = (
            week_of(challenge.closed_at)
            if challenge.settings.sealed and challenge.closed_at is not None
            else None
        )
        totals: Counter[tuple[int, str, bool]] = Counter()
        for idea_id, at, n in counted:
            if idea_id is None or not n:
                continue
            idea = ideas[idea_id]
            totals[(idea.author_id, sealed_week or week_of(at), idea.anonymous)] += n
        return [Received(m, w, p, n) for (m, w, p), n in totals.items() if n]


async def exported(store: Store, community: Community, challenge: Challenge) -> list[votelog.Entry]:
    """A challenge's vote log as it is shared: members as pseudonyms, ideas by number. Each
    entry's hash is the one stored when it was appended."""
    rows = await store.vote_log(challenge.id)
    named = {r.idea_id for r in rows} | {r.credited_idea_id for r in rows if r.credited_idea_id}
    numbers = {i.id: i.number for i in (await store.ideas_by_ids(named)).values()}
    out, prev = [], votelog.GENESIS
    for r in rows:
        entry = votelog.Entry(
            seq=r.seq,
            at=r.recorded_at.isoformat(timespec="microseconds"),
            idea=numbers[r.idea_id],
            credited=numbers[r.credited_idea_id] if r.credited_idea_id else None,
            member=votelog.pseudonym(community.audit_key, r.member_id),
            action=r.action,
            source=r.source,
            effect=r.effect,
            counted=r.counted,
            prev=prev,
        )
        if entry.hash != r.hash:
            raise ValueError(f"vote log entry {r.seq} of challenge {challenge.id} was altered")
        out.append(entry)
        prev = entry.hash
    return out
