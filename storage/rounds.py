"""The rounds of repeating challenges (bot/rounds.py), in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.model import Challenge, ChallengeSettings, Phase
from storage.schema import challenges, venues

if TYPE_CHECKING:
    from storage.store import SqlStore

_c = challenges.c


class SqlRounds:
    def __init__(self, conn: AsyncConnection, store: SqlStore) -> None:
        self.conn = conn
        self.store = store

    async def add_round(
        self,
        previous: Challenge,
        slug: str,
        settings: ChallengeSettings,
        opens_at: datetime,
        now: datetime,
    ) -> int | None:
        from storage.store import settings_columns

        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        statement = (
            dialect.insert(challenges)
            .values(
                community_id=previous.community_id,
                slug=slug,
                phase=Phase.DRAFT.value,
                created_by=previous.created_by,
                created_at=now,
                round=previous.round + 1,
                previous_id=previous.id,
                opens_at=opens_at,
                **settings_columns(settings),
            )
            .on_conflict_do_nothing(index_elements=["previous_id"])
            .returning(_c.id)
        )
        row = (await self.conn.execute(statement)).first()
        if row is None:
            return None
        challenge_id = int(row[0])
        if previous.venues:
            await self.conn.execute(
                insert(venues),
                [{"challenge_id": challenge_id, "channel_id": v} for v in previous.venues],
            )
        return challenge_id

    async def next_round(self, challenge_id: int) -> Challenge | None:
        found = (
            await self.conn.execute(
                select(_c.id).where((_c.previous_id == challenge_id) & _c.deleted_at.is_(None))
            )
        ).first()
        if found is None:
            return None
        rounds = await self.store.challenges_by_ids({int(found[0])})
        return rounds[0] if rounds else None

    def _scheduled(self) -> ColumnElement[bool]:
        return (_c.phase == Phase.DRAFT.value) & _c.deleted_at.is_(None) & _c.opens_at.is_not(None)

    async def due_openings(self, now: datetime, community_id: int | None = None) -> list[Challenge]:
        where = self._scheduled() & (_c.opens_at <= now)
        if community_id is not None:
            where = where & (_c.community_id == community_id)
        rows = await self.conn.execute(select(_c.id).where(where).order_by(_c.opens_at, _c.id))
        return await self.store.challenges_by_ids([int(r[0]) for r in rows])

    async def next_opening(self) -> datetime | None:
        found = await self.conn.execute(select(func.min(_c.opens_at)).where(self._scheduled()))
        value: datetime | None = found.scalar_one_or_none()
        return value

    async def open_round(
        self,
        challenge_id: int,
        now: datetime,
        submissions_close_at: datetime | None,
        voting_close_at: datetime | None,
    ) -> bool:
        result = await self.conn.execute(
            update(challenges)
            .where((_c.id == challenge_id) & self._scheduled())
            .values(
                phase=Phase.OPEN.value,
                opened_at=now,
                submissions_close_at=submissions_close_at,
                voting_close_at=voting_close_at,
            )
        )
        return bool(result.rowcount)

    async def stop_opening(self, challenge_id: int) -> None:
        await self.conn.execute(
            update(challenges).where(_c.id == challenge_id).values(opens_at=None)
        )
