"""The repository's part for the REST API's pages: ideas by number, after a key, so that
a tool walking a big challenge reads each page from an index, not the whole list."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.model import Idea, IdeaStatus
from storage.schema import ideas


class ApiReadRepository:
    conn: AsyncConnection

    async def ideas_after(
        self, challenge_id: int, statuses: Collection[IdeaStatus], after: int, limit: int
    ) -> list[Idea]:
        # Imported here: storage.store builds its SqlStore from this class.
        from storage.store import _IDEA_COLUMNS, _idea_of

        rows = await self.conn.execute(
            select(*_IDEA_COLUMNS)
            .where(
                ideas.c.challenge_id == challenge_id,
                ideas.c.status.in_([s.value for s in statuses]),
                ideas.c.number > after,
            )
            .order_by(ideas.c.number)
            .limit(limit)
        )
        return [_idea_of(r) for r in rows]
