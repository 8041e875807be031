"""Badge news (bot/badge_news.py), in the caller's transaction: written with the badge
(`SqlStore.award`), held for the process that awarded it until its first attempt falls
due, then claimed with a lease; deleted once told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.badge_news import BadgeNews
from bot.model import BadgeKind
from storage.hot_votes import Hot
from storage.schema import badge_news, badges

_n = badge_news.c


class SqlBadgeNews:
    def __init__(self, conn: AsyncConnection, driver: Callable[[], Awaitable[Hot]]) -> None:
        self.conn = conn
        #: the driver-level statements: `told` follows every badge awarded
        self._driver = driver

    async def claim(self, now: datetime, by: str, until: datetime, limit: int) -> list[BadgeNews]:
        due = (_n.next_attempt_at <= now) & (_n.claimed_until.is_(None) | (_n.claimed_until <= now))
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
            db = await self._driver()
            await db.execute("badge_news_told", db.ids(list(badge_ids)))

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
