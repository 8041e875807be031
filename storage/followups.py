"""Follow-ups (bot/followups.py), in the caller's transaction: written with the change
that owes them (on the driver: a badge follows a vote batch), held for its process until
first due, then claimed with a lease; deleted once done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.followups import FollowUp
from storage.hot_votes import Hot
from storage.schema import followups

_f = followups.c


class SqlFollowups:
    def __init__(self, conn: AsyncConnection, driver: Callable[[], Awaitable[Hot]]) -> None:
        self.conn = conn
        #: the driver-level statements: `add` and `done` follow every badge awarded
        self._driver = driver

    async def add(
        self, kind: str, refs: Collection[int], community_id: int, now: datetime, due: datetime
    ) -> None:
        if not refs:
            return
        db = await self._driver()
        created, first = db.time(now), db.time(due)
        await db.executemany(
            "add_followups", [(kind, ref, community_id, created, first) for ref in sorted(refs)]
        )

    async def claim(self, now: datetime, by: str, until: datetime, limit: int) -> list[FollowUp]:
        due = (_f.next_attempt_at <= now) & (_f.claimed_until.is_(None) | (_f.claimed_until <= now))
        candidates = select(_f.kind, _f.ref).where(due).order_by(_f.next_attempt_at).limit(limit)
        if self.conn.dialect.name != "sqlite":  # SQLite's writers take turns anyway
            candidates = candidates.with_for_update(skip_locked=True)
        keys = [(r.kind, r.ref) for r in await self.conn.execute(candidates)]
        if not keys:
            return []
        rows = await self.conn.execute(
            update(followups)
            .where(tuple_(_f.kind, _f.ref).in_(keys))
            .values(claimed_by=by, claimed_until=until)
            .returning(_f.kind, _f.ref, _f.created_at, _f.attempts)
        )
        return sorted(FollowUp(r.kind, r.ref, r.created_at, r.attempts) for r in rows)

    async def done(self, kind: str, refs: Collection[int]) -> None:
        if refs:
            db = await self._driver()
            await db.execute("followups_done", kind, db.ids(sorted(refs)))

    async def retry(self, item: FollowUp, attempts: int, at: datetime, error: str) -> None:
        await self.conn.execute(
            update(followups)
            .where((_f.kind == item.kind) & (_f.ref == item.ref))
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
            select(func.min(func.coalesce(_f.claimed_until, _f.next_attempt_at)))
        )
        return found
