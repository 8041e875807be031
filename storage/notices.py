"""Notices to followers (bot/notices.py), in the caller's transaction: written with the
change they tell of, claimed with a lease, recorded as they are sent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.conversations import NewNotice, Notice
from storage.schema import notices

_n = notices.c

PENDING = "pending"


def _notice(row: Any) -> Notice:
    return Notice(
        id=row.id,
        community_id=row.community_id,
        idea_id=row.idea_id,
        member_id=row.member_id,
        event_key=row.event_key,
        kind=row.kind,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        state=row.state,
        via=row.via,
        attempts=row.attempts,
        sent_at=row.sent_at,
        last_error=row.last_error,
        private=bool(row.private),
    )


class SqlNotices:
    conn: AsyncConnection

    # -- notices -----------------------------------------------------------------------

    async def add_notices(self, community_id: int, rows: Sequence[NewNotice], now: datetime) -> int:
        if not rows:
            return 0
        # executemany: thousands of followers cost milliseconds, not a statement the size
        # of all their rows.
        statement = _insert(self.conn).on_conflict_do_nothing(
            index_elements=["event_key", "member_id"]
        )
        result = await self.conn.execute(
            statement,
            [
                {
                    "community_id": community_id,
                    "idea_id": r.idea_id,
                    "member_id": r.member_id,
                    "event_key": r.event_key,
                    "kind": r.kind,
                    "title": r.title[:300],
                    "body": r.body,
                    "private": r.private,
                    "created_at": now,
                    "state": PENDING,
                    "via": "",
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for r in rows
            ],
        )
        return result.rowcount if result.rowcount >= 0 else len(rows)

    def _due(self, now: datetime) -> Any:
        return (
            (_n.state == PENDING)
            & (_n.next_attempt_at <= now)
            & (_n.claimed_until.is_(None) | (_n.claimed_until <= now))
        )

    async def claim_notices(
        self, now: datetime, by: str, until: datetime, limit: int
    ) -> list[Notice]:
        candidates = select(_n.id).where(self._due(now)).order_by(_n.id).limit(limit)
        if self.conn.dialect.name != "sqlite":  # SQLite's writers take turns anyway
            candidates = candidates.with_for_update(skip_locked=True, of=notices)
        ids = [r[0] for r in await self.conn.execute(candidates)]
        if not ids:
            return []
        await self.conn.execute(
            update(notices).where(_n.id.in_(ids)).values(claimed_by=by, claimed_until=until)
        )
        rows = await self.conn.execute(select(notices).where(_n.id.in_(ids)).order_by(_n.id))
        return [_notice(r) for r in rows]

    async def finish_notice(
        self,
        notice_id: int,
        *,
        state: str,
        via: str,
        attempts: int,
        now: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "state": state,
            "via": via,
            "attempts": attempts,
            "claimed_by": None,
            "claimed_until": None,
            "last_error": error,
        }
        if state == PENDING:
            values["next_attempt_at"] = next_attempt_at or now
        else:
            values["sent_at"] = now
        await self.conn.execute(update(notices).where(_n.id == notice_id).values(**values))

    async def release_notices(self, ids: Collection[int], by: str) -> None:
        if ids:
            await self.conn.execute(
                update(notices)
                .where(_n.id.in_(list(ids)), _n.claimed_by == by, _n.state == PENDING)
                .values(claimed_by=None, claimed_until=None)
            )

    async def next_notice_due(self) -> datetime | None:
        found = await self.conn.scalar(
            select(func.min(func.coalesce(_n.claimed_until, _n.next_attempt_at))).where(
                _n.state == PENDING
            )
        )
        return found

    async def notices_of(self, idea_id: int, limit: int) -> list[Notice]:
        rows = await self.conn.execute(
            select(notices).where(_n.idea_id == idea_id).order_by(_n.id.desc()).limit(limit)
        )
        return [_notice(r) for r in rows]

    async def notice_counts(self, idea_id: int) -> dict[tuple[str, str], int]:
        rows = await self.conn.execute(
            select(_n.state, _n.via, func.count())
            .where(_n.idea_id == idea_id)
            .group_by(_n.state, _n.via)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}


def _insert(conn: AsyncConnection) -> Any:
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(notices)
