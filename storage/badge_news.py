"""Badge news (bot/badge_news.py), in the caller's transaction: written with the badge
(`SqlStore.award`), claimed with a lease, deleted once told."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.badge_news import BadgeNews
from bot.model import BadgeKind
from storage.schema import badge_news, badges

_n = badge_news.c


class SqlBadgeNews:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def claim(
        self,
        now: datetime,
        by: str,
        until: datetime,
        limit: int,
        badge_ids: Collection[int] | None = None,
    ) -> list[BadgeNews]:
        due = (_n.next_attempt_at <= now) & (_n.claimed_until.is_(None) | (_n.claimed_until <= now))
        if badge_ids is not None:
            due &= _n.badge_id.in_(list(badge_ids))
        candidates = select(_n.badge_id).where(due).order_by(_n.badge_id).limit(limit)
        if self.conn.dialect.name != "sqlite":  # SQLite's writers take turns anyway
            candidates = candidates.with_for_update(skip_locked=True)
        ids = [r[0] for r in await self.conn.execute(candidates)]
        if not ids:
            return []
        await self.conn.execute(
            update(badge_news)
            .where(_n.badge_id.in_(ids))
            .values(claimed_by=by, claimed_until=until)
        )
        b = badges.c
        rows = await self.conn.execute(
            select(_n.badge_id, b.community_id, b.member_id, b.kind, b.awarded_at, _n.attempts)
            .join(badges, b.id == _n.badge_id)
            .where(_n.badge_id.in_(ids))
            .order_by(_n.badge_id)
        )
        return [
            BadgeNews(
                r.badge_id, r.community_id, r.member_id, BadgeKind(r.kind), r.awarded_at, r.attempts
            )
            for r in rows
        ]

    async def told(self, badge_ids: Collection[int]) -> None:
        if badge_ids:
            await self.conn.execute(delete(badge_news).where(_n.badge_id.in_(list(badge_ids))))

    async def retry(self, badge_id: int, attempts: int, at: datetime, error: str) -> None:
        await self.conn.execute(
            update(badge_news)
            .where(_n.badge_id == badge_id)
            .values(
                attempts=attempts,
                next_attempt_at=at,
                claimed_by=None,
                claimed_until=None,
                last_error=error,
            )
        )

    async def next_due(self) -> datetime | None:
        found: datetime | None = await self.conn.scalar(
            select(func.min(func.coalesce(_n.claimed_until, _n.next_attempt_at)))
        )
        return found
