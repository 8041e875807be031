"""Points and badges: positive, fair, awarded once each, never revoked by a recount.

Each badge is awarded once per member and challenge (💡 Spark once per community), except
🔥 and 🚀, which are once per idea and name it. Points earned with an anonymous idea are
private: the member and moderators see them, others don't."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import badge_news, followups
from bot.model import PODIUM, BadgeKind, Challenge, Idea, Standing
from bot.ports import PointsDelta, PointWeights, Store, VoteRow
from bot.settings import Settings
from bot.webhooks import events as webhook_events
from bot.weeks import week_of


@dataclass(frozen=True)
class Award:
    """A badge just awarded, for adapters that act on it (a Discord role, say)."""

    community_id: int
    member_id: int
    kind: BadgeKind
    #: its row in the badges' table
    badge_id: int
    #: earned with an anonymous idea: a public sign of it (a role) would name the author,
    #: so its platform is not told (`bot.badge_news`)
    private: bool = False


class Rewards:
    def __init__(self, settings: Settings) -> None:
        self.badges = settings.badges
        self.points = settings.points

    async def _award(
        self,
        store: Store,
        community_id: int,
        member_id: int,
        kind: BadgeKind,
        key: str,
        now: datetime,
        challenge_id: int | None = None,
        idea_id: int | None = None,
        *,
        private: bool = False,
    ) -> Award | None:
        """Award a badge once per key and, in the same transaction, owe its platform the
        news (unless `private`: `bot.badge_news`) and write its badge.awarded event for the
        community's webhooks. None when it was awarded already."""
        badge_id = await store.award(community_id, member_id, kind, key, now, challenge_id, idea_id)
        if badge_id is None:
            return None
        if not private:
            await followups.owe(store.followups, badge_news.KIND, [badge_id], community_id, now)
        await webhook_events.badge_awarded(
            store, community_id, member_id, kind, key, now, challenge_id, idea_id
        )
        return Award(community_id, member_id, kind, badge_id, private)

    @property
    def weights(self) -> PointWeights:
        return PointWeights(
            idea_published=self.points.idea_published,
            vote_received=self.points.vote_received,
            vote_cast=self.points.vote_cast,
            vote_cast_weekly_cap=self.points.vote_cast_weekly_cap,
        )

    async def idea_published(self, store: Store, idea: Idea, now: datetime) -> list[Award]:
        """Points for the author, and 💡 Spark for their first published idea here."""
        published = PointsDelta(idea.author_id, week_of(now), 1, private=idea.anonymous)
        await store.add_points(idea.community_id, [published])
        awards = await self.regulars(
            store,
            idea.community_id,
            {idea.author_id: idea.challenge_id},
            now,
            private=idea.anonymous,
        )
        spark = await self._award(
            store,
            idea.community_id,
            idea.author_id,
            BadgeKind.SPARK,
            f"spark:{idea.author_id}",
            now,
            idea.challenge_id,
            idea.id,
            private=idea.anonymous,
        )
        return awards + ([spark] if spark else [])

    async def regulars(
        self,
        store: Store,
        community_id: int,
        challenge_of: Mapping[int, int],
        now: datetime,
        *,
        private: bool = False,
    ) -> list[Award]:
        """📅 Regular for taking part (an idea or a vote) in consecutive weeks up to now.

        `challenge_of` maps each member who just took part to the challenge they took part
        in: the badge is stored with it, so that challenge's posts show it. `private`: they
        took part with an anonymous idea."""
        streak = self.badges.regular_weeks
        this_week = datetime.fromisoformat(week_of(now)).date()
        weeks = {(this_week - timedelta(weeks=n)).isoformat() for n in range(streak)}
        active = await store.active_weeks(community_id, set(challenge_of), weeks)
        streaks = {m for m, seen in active.items() if seen >= weeks}
        keys = {m: f"regular:{challenge_of[m]}:{m}" for m in streaks}
        have = await store.awarded_keys(community_id, keys.values())
        awards = []
        for member_id in sorted(streaks):
            if keys[member_id] in have:
                continue
            award = await self._award(
                store,
                community_id,
                member_id,
                BadgeKind.REGULAR,
                keys[member_id],
                now,
                challenge_of[member_id],
                private=private,
            )
            awards += [award] if award else []
        return awards

    async def idea_unpublished(self, store: Store, idea: Idea) -> None:
        """A withdrawn idea gives back its publication points (its badges stay)."""
        if idea.published_at is not None:
            delta = PointsDelta(
                idea.author_id,
                week_of(idea.published_at),
                ideas_published=-1,
                private=idea.anonymous,
            )
            await store.add_points(idea.community_id, [delta])

    async def after_votes(
        self,
        store: Store,
        community_id: int,
        counts: Mapping[int, int],
        before: Mapping[int, int],
        added: Sequence[VoteRow],
        now: datetime,
        known: Mapping[int, Idea] | None = None,
    ) -> list[Award]:
        """Badges for thresholds this batch of votes crossed: 🔥 for ideas (`counts` are
        the new tallies, `before` the old ones where known), 🗳️ and 📅 for voters.
        `known` are ideas the caller has loaded already."""
        crowd = self.badges.crowd_favourite_votes
        crossed = [h for h, n in counts.items() if n >= crowd and before.get(h, 0) < crowd]
        known = known or {}
        ideas = {h: known[h] for h in crossed if h in known}
        ideas.update(await store.ideas_by_ids([h for h in crossed if h not in known]))
        awards = [
            a for i in ideas.values() if (a := await self._crowd(store, community_id, i, now))
        ]
        awards += await self.regulars(
            store, community_id, {v.member_id: v.challenge_id for v in added}, now
        )
        new_votes: dict[tuple[int, int], int] = {}
        for v in added:
            new_votes[(v.challenge_id, v.member_id)] = (
                new_votes.get((v.challenge_id, v.member_id), 0) + 1
            )
        for challenge_id in {c for c, _ in new_votes}:
            voters = {m for c, m in new_votes if c == challenge_id}
            tally = await store.vote_counts_by_member(challenge_id, voters)
            for member_id, n in tally.items():
                reached = n >= self.badges.voice_votes > n - new_votes[(challenge_id, member_id)]
                voice = reached and await self._award(
                    store,
                    community_id,
                    member_id,
                    BadgeKind.VOICE,
                    f"voice:{challenge_id}:{member_id}",
                    now,
                    challenge_id,
                )
                awards += [voice] if voice else []
        return awards

    async def _crowd(
        self, store: Store, community_id: int, idea: Idea, now: datetime
    ) -> Award | None:
        """🔥 for an idea (once)."""
        return await self._award(
            store,
            community_id,
            idea.author_id,
            BadgeKind.CROWD_FAVOURITE,
            f"crowd:{idea.id}",
            now,
            idea.challenge_id,
            idea.id,
            private=idea.anonymous,
        )

    async def podium(
        self, store: Store, challenge: Challenge, placed: Sequence[Standing], now: datetime
    ) -> list[Award]:
        """🥇🥈🥉 and their points for the authors of the placed ideas of a closed
        challenge, once per place."""
        awards: list[Award] = []
        for s in placed:
            if s.place is None:
                continue
            idea, kind, bonus = s.idea, PODIUM[s.place - 1], self.points.podium[s.place - 1]
            key = f"podium:{challenge.id}:{s.place}"
            award = await self._award(
                store,
                challenge.community_id,
                idea.author_id,
                kind,
                key,
                now,
                challenge.id,
                idea.id,
                private=idea.anonymous,
            )
            if award:
                points = PointsDelta(
                    idea.author_id, week_of(now), bonus=bonus, private=idea.anonymous
                )
                await store.add_points(challenge.community_id, [points])
                awards.append(award)
        return awards

    async def crowd_favourites(
        self, store: Store, challenge: Challenge, ranked: Sequence[Standing], now: datetime
    ) -> list[Award]:
        """🔥 for the ideas of a sealed challenge that reached the threshold: at its close,
        since earlier it would have told their tallies."""
        crowd = self.badges.crowd_favourite_votes
        return [
            a
            for s in ranked
            if s.votes >= crowd
            and (a := await self._crowd(store, challenge.community_id, s.idea, now))
        ]

    async def shipped(self, store: Store, idea: Idea, now: datetime) -> list[Award]:
        """🚀 Shipped and its points, once, when an idea is marked implemented."""
        award = await self._award(
            store,
            idea.community_id,
            idea.author_id,
            BadgeKind.SHIPPED,
            f"shipped:{idea.id}",
            now,
            idea.challenge_id,
            idea.id,
            private=idea.anonymous,
        )
        if award is None:
            return []
        bonus = PointsDelta(
            idea.author_id, week_of(now), bonus=self.points.shipped, private=idea.anonymous
        )
        await store.add_points(idea.community_id, [bonus])
        return [award]
