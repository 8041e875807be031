"""The repository's part for the agenda: live challenges, scheduled posts claimed once per
key, and the figures of results posts, reports and exports."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Subquery, func, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.model import Challenge, IdeaStatus, Phase
from bot.ports import ExportRow, ScheduledPost
from storage.schema import (
    challenges,
    idea_posts,
    ideas,
    members,
    reaction_log,
    scheduled_posts,
    votes,
)


def _taking_part() -> Subquery:
    """(challenge, member, at) of each time a member took part in a challenge: an idea
    submitted, a vote cast, a vote counted (the vote log keeps those since removed)."""
    t = reaction_log.c
    return union_all(
        select(
            ideas.c.challenge_id,
            ideas.c.author_id.label("member_id"),
            ideas.c.submitted_at.label("at"),
        ),
        select(votes.c.challenge_id, votes.c.member_id, votes.c.cast_at),
        select(t.challenge_id, t.member_id, t.recorded_at).where(t.counted > 0),
    ).subquery("taking_part")


def _scheduled(row: Any) -> ScheduledPost:
    return ScheduledPost(
        id=row.id,
        challenge_id=row.challenge_id,
        kind=row.kind,
        period=row.period,
        due_at=row.due_at,
        state=row.state,
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        next_attempt_at=row.next_attempt_at,
        message_ids=tuple(json.loads(row.message_ids)) if row.message_ids else (),
        payload=row.payload,
        last_error=row.last_error,
        notified_at=row.notified_at,
        claimed_by=row.claimed_by,
    )


class ScheduleRepository:
    conn: AsyncConnection

    if TYPE_CHECKING:  # provided by SqlStore

        async def _with_venues(self, rows: list[Row[Any]]) -> list[Challenge]: ...

    async def live_challenges(
        self, closed_since: datetime, community_id: int | None = None
    ) -> list[Challenge]:
        """Running challenges (of one community, or of all), and those closed since
        `closed_since`, oldest first."""
        live = challenges.c.deleted_at.is_(None) & (
            challenges.c.phase.in_([Phase.OPEN.value, Phase.VOTING.value])
            | (
                (challenges.c.phase == Phase.CLOSED.value)
                & (challenges.c.closed_at >= closed_since)
            )
        )
        if community_id is not None:
            live = live & (challenges.c.community_id == community_id)
        rows = await self.conn.execute(select(challenges).where(live).order_by(challenges.c.id))
        return await self._with_venues(list(rows))

    async def advance_phase(
        self, challenge_id: int, from_phases: Collection[Phase], to: Phase, **times: datetime | None
    ) -> bool:
        """Move a challenge on only from the phases given: a second instance does nothing."""
        result = await self.conn.execute(
            update(challenges)
            .where(
                (challenges.c.id == challenge_id)
                & challenges.c.phase.in_([p.value for p in from_phases])
            )
            .values(phase=to.value, **times)
        )
        return bool(result.rowcount)

    async def scheduled_posts(self, challenge_ids: Collection[int]) -> list[ScheduledPost]:
        """The posts of these challenges' schedules (not those their commands made)."""
        rows = await self.conn.execute(
            select(scheduled_posts)
            .where(
                scheduled_posts.c.challenge_id.in_(list(challenge_ids))
                & (scheduled_posts.c.kind != "post")
            )
            .order_by(scheduled_posts.c.due_at, scheduled_posts.c.id)
        )
        return [_scheduled(r) for r in rows]

    async def claim_post(
        self,
        challenge_id: int,
        kind: str,
        period: str,
        due_at: datetime,
        by: str,
        now: datetime,
        state: str = "claimed",
        payload: str | None = None,
    ) -> int | None:
        """Claim a post's key before sending it; None when another claim holds the key."""
        values = {
            "challenge_id": challenge_id,
            "kind": kind,
            "period": period,
            "due_at": due_at,
            "state": state,
            "claimed_by": by,
            "claimed_at": now,
            "attempts": 0,
            "payload": payload,
        }
        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        statement = (
            dialect.insert(scheduled_posts)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["challenge_id", "kind", "period"])
            .returning(scheduled_posts.c.id)
        )
        row = (await self.conn.execute(statement)).first()
        return None if row is None else int(row[0])

    async def reclaim_post(
        self, post_id: int, seen_state: str, seen_claim: datetime, by: str, now: datetime
    ) -> bool:
        """Take over a post to retry it, only if nobody did since it was read."""
        result = await self.conn.execute(
            update(scheduled_posts)
            .where(
                (scheduled_posts.c.id == post_id)
                & (scheduled_posts.c.state == seen_state)
                & (scheduled_posts.c.claimed_at == seen_claim)
            )
            .values(state="claimed", claimed_by=by, claimed_at=now)
        )
        return bool(result.rowcount)

    async def finish_post(
        self,
        post_id: int,
        state: str,
        *,
        attempts: int,
        sent_at: datetime | None = None,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        await self.conn.execute(
            update(scheduled_posts)
            .where(scheduled_posts.c.id == post_id)
            .values(
                state=state,
                attempts=attempts,
                sent_at=sent_at,
                message_ids=json.dumps(list(message_ids)) if message_ids else None,
                last_error=error,
                next_attempt_at=next_attempt_at,
            )
        )

    async def posts_by_ids(self, ids: Collection[int]) -> list[ScheduledPost]:
        rows = await self.conn.execute(
            select(scheduled_posts).where(scheduled_posts.c.id.in_(list(ids)))
        )
        return [_scheduled(r) for r in rows]

    async def pending_posts(self) -> list[ScheduledPost]:
        """Posts waiting for a retry, and claims that may have died with their process."""
        rows = await self.conn.execute(
            select(scheduled_posts)
            .where(scheduled_posts.c.state.in_(["retry", "claimed"]))
            .order_by(scheduled_posts.c.due_at)
        )
        return [_scheduled(r) for r in rows]

    async def post_notified(self, post_id: int, at: datetime) -> None:
        await self.conn.execute(
            update(scheduled_posts).where(scheduled_posts.c.id == post_id).values(notified_at=at)
        )

    async def renew_claim(self, post_id: int, by: str, now: datetime) -> None:
        t = scheduled_posts.c
        await self.conn.execute(
            update(scheduled_posts)
            .where((t.id == post_id) & (t.claimed_by == by) & (t.state == "claimed"))
            .values(claimed_at=now)
        )

    async def unsent_posts(self, community_id: int) -> list[ScheduledPost]:
        rows = await self.conn.execute(
            select(scheduled_posts)
            .join(challenges, challenges.c.id == scheduled_posts.c.challenge_id)
            .where(
                (challenges.c.community_id == community_id)
                & scheduled_posts.c.state.in_(["retry", "claimed", "failed"])
            )
            .order_by(scheduled_posts.c.due_at, scheduled_posts.c.id)
        )
        return [_scheduled(r) for r in rows]

    async def set_post_state(
        self,
        community_id: int,
        post_id: int,
        from_states: Collection[str],
        to: str,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        ours = select(challenges.c.id).where(challenges.c.community_id == community_id)
        result = await self.conn.execute(
            update(scheduled_posts)
            .where(
                (scheduled_posts.c.id == post_id)
                & scheduled_posts.c.state.in_(list(from_states))
                & scheduled_posts.c.challenge_id.in_(ours.scalar_subquery())
            )
            .values(state=to, next_attempt_at=next_attempt_at)
        )
        return bool(result.rowcount)

    # -- figures -------------------------------------------------------------------

    async def ideas_published(self, challenge_id: int, start: datetime, end: datetime) -> int:
        """How many of a challenge's ideas were published in [start, end)."""
        found = await self.conn.execute(
            select(func.count()).where(
                (ideas.c.challenge_id == challenge_id)
                & ideas.c.published_at.is_not(None)
                & (ideas.c.published_at >= start)
                & (ideas.c.published_at < end)
            )
        )
        return int(found.scalar_one())

    async def rising(
        self, challenge_id: int, start: datetime, end: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """(idea id, counted votes gained) of the ideas that gained most in [start, end): the
        vote log's entries recorded then, by the idea they credit (a merge moves votes)."""
        t = reaction_log.c
        gained = func.sum(t.counted)
        rows = await self.conn.execute(
            select(t.credited_idea_id, gained)
            .where(
                (t.challenge_id == challenge_id)
                & (t.recorded_at >= start)
                & (t.recorded_at < end)
                & (t.counted != 0)
                & t.credited_idea_id.is_not(None)
            )
            .group_by(t.credited_idea_id)
            .having(gained > 0)
            .order_by(gained.desc(), t.credited_idea_id)
            .limit(limit)
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def contributors(
        self, challenge_id: int, start: datetime, end: datetime
    ) -> tuple[set[int], set[int]]:
        """Members who took part in a challenge in [start, end) (submitted an idea, cast a
        vote or had one counted), and those of them who took part in an earlier challenge
        of its community (one opened before it): the returning ones."""
        part = _taking_part()
        rows = await self.conn.execute(
            select(part.c.member_id)
            .where((part.c.challenge_id == challenge_id) & (part.c.at >= start) & (part.c.at < end))
            .distinct()
        )
        active = {int(r[0]) for r in rows}
        if not active:
            return active, set()
        this = challenges.alias("this")
        earlier = (
            select(challenges.c.id)
            .join(this, this.c.community_id == challenges.c.community_id)
            .where((this.c.id == challenge_id) & (challenges.c.opened_at < this.c.opened_at))
        )
        rows = await self.conn.execute(
            select(part.c.member_id)
            .where(part.c.challenge_id.in_(earlier.scalar_subquery()))
            .where(part.c.member_id.in_(sorted(active)))
            .distinct()
        )
        return active, {int(r[0]) for r in rows}

    async def activity_times(self, challenge_id: int) -> tuple[list[datetime], list[datetime]]:
        """When each counted vote was added (by the vote log), and when each idea was
        published."""
        t = reaction_log.c
        vote_rows = await self.conn.execute(
            select(t.recorded_at).where((t.challenge_id == challenge_id) & (t.counted > 0))
        )
        idea_rows = await self.conn.execute(
            select(ideas.c.published_at).where(
                (ideas.c.challenge_id == challenge_id) & ideas.c.published_at.is_not(None)
            )
        )
        return [r[0] for r in vote_rows], [r[0] for r in idea_rows]

    async def export_rows(self, challenge_id: int) -> list[ExportRow]:
        """Every idea of a challenge with its status, votes, author and timestamps."""
        heads = ideas.alias("heads")
        rows = await self.conn.execute(
            select(
                ideas,
                members.c.display_name,
                members.c.external_id.label("author_external_id"),
                heads.c.number.label("merged_into_number"),
            )
            .join(members, members.c.id == ideas.c.author_id)
            .outerjoin(heads, heads.c.id == ideas.c.merged_into_id)
            .where(ideas.c.challenge_id == challenge_id)
            .order_by(ideas.c.number)
        )
        posts = await self.conn.execute(
            select(idea_posts.c.idea_id, func.count())
            .join(ideas, ideas.c.id == idea_posts.c.idea_id)
            .where(ideas.c.challenge_id == challenge_id)
            .group_by(idea_posts.c.idea_id)
        )
        post_counts = {int(r[0]): int(r[1]) for r in posts}
        return [
            ExportRow(
                number=r.number,
                title=r.title,
                description=r.description,
                status=IdeaStatus(r.status),
                status_note=r.status_note,
                merged_into=r.merged_into_number,
                votes=r.vote_count if IdeaStatus(r.status).public else 0,
                author=r.display_name,
                author_id=r.author_external_id,
                anonymous=r.anonymous,
                submitted_at=r.submitted_at,
                published_at=r.published_at,
                updated_at=r.updated_at,
                posts=post_counts.get(r.id, 0),
            )
            for r in rows
        ]
