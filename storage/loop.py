"""The "You said, we did" posts (bot/loop.py), in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.loop import LoopRecord, Moved
from bot.model import ROADMAP_STATUSES, IdeaStatus, Phase
from storage.schema import challenges, communities, ideas, loop_posts, members

_l = loop_posts.c


class SqlLoop:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def lock(self, community_id: int) -> None:
        if self.conn.dialect.name == "postgresql":
            await self.conn.execute(
                select(communities.c.id).where(communities.c.id == community_id).with_for_update()
            )

    async def last(self, community_id: int) -> LoopRecord | None:
        row = (
            await self.conn.execute(
                select(loop_posts)
                .where((_l.community_id == community_id) & (_l.ideas > 0))
                .order_by(_l.covers_until.desc(), _l.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return LoopRecord(row.period, row.covers_from, row.covers_until, row.ideas, row.created_at)

    async def claim(
        self,
        community_id: int,
        period: str,
        covers_from: datetime | None,
        covers_until: datetime,
        ideas: int,
        now: datetime,
    ) -> bool:
        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        statement = (
            dialect.insert(loop_posts)
            .values(
                community_id=community_id,
                period=period,
                covers_from=covers_from,
                covers_until=covers_until,
                ideas=ideas,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["community_id", "period"])
            .returning(_l.id)
        )
        return (await self.conn.execute(statement)).first() is not None

    async def moved(
        self, community_id: int, since: datetime | None, until: datetime
    ) -> list[Moved]:
        i = ideas.c
        where = (
            (i.community_id == community_id)
            & i.status.in_([s.value for s in ROADMAP_STATUSES])
            & i.status_changed_at.is_not(None)
            & (i.status_changed_at <= until)
            & challenges.c.deleted_at.is_(None)
        )
        if since is not None:
            where = where & (i.status_changed_at > since)
        rows = await self.conn.execute(
            select(
                i.number,
                i.title,
                i.status,
                i.status_note,
                members.c.display_name,
                i.anonymous,
                challenges.c.title.label("challenge"),
                i.status_changed_at,
            )
            .join(members, members.c.id == i.author_id)
            .join(challenges, challenges.c.id == i.challenge_id)
            .where(where)
            .order_by(i.status_changed_at, i.number)
        )
        return [
            Moved(
                number=r.number,
                title=r.title,
                status=IdeaStatus(r.status),
                note=r.status_note,
                author=r.display_name,
                anonymous=bool(r.anonymous),
                challenge=r.challenge,
                changed_at=r.status_changed_at,
            )
            for r in rows
        ]

    async def owed(self, period: str, at: datetime) -> list[int]:
        c = challenges.c
        opened = (
            select(c.community_id)
            .where(
                c.deleted_at.is_(None)
                & c.opened_at.is_not(None)
                & (c.opened_at <= at)
                & (c.phase != Phase.DRAFT.value)
            )
            .distinct()
        )
        done = exists().where((_l.community_id == communities.c.id) & (_l.period == period))
        rows = await self.conn.execute(
            select(communities.c.id)
            .where(communities.c.id.in_(opened.scalar_subquery()) & ~done)
            .order_by(communities.c.id)
        )
        return [int(r[0]) for r in rows]
