"""Finding ideas across a community (bot/finding.py), in the caller's transaction: one
statement per page, with the viewer's visibility and a literal, case-insensitive search
in titles and descriptions (`ILIKE` on PostgreSQL, `lower(…) LIKE lower(…)` on SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.finding import ONCE_PUBLIC, IdeaQuery, like_pattern
from bot.model import PUBLIC_STATUSES, Idea, IdeaStatus
from storage.schema import ideas

_i = ideas.c


def _where(query: IdeaQuery) -> list[Any]:
    ids = list(query.challenge_ids)
    clauses: list[Any] = [_i.challenge_id.in_(ids) if ids else false()]
    if query.viewer_id is not None:
        clauses.append(
            or_(
                _i.status.in_([s.value for s in PUBLIC_STATUSES]),
                and_(
                    _i.status.in_([s.value for s in ONCE_PUBLIC]),
                    _i.published_at.is_not(None),
                ),
                _i.author_id == query.viewer_id,
            )
        )
    if query.statuses is not None:
        clauses.append(_i.status.in_([s.value for s in query.statuses]))
    if query.author_id is not None:
        clauses.append(_i.author_id == query.author_id)
    if query.text:
        pattern = like_pattern(query.text)
        clauses.append(
            or_(_i.title.ilike(pattern, escape="\\"), _i.description.ilike(pattern, escape="\\"))
        )
    return clauses


class SqlFinding:
    def __init__(
        self,
        conn: AsyncConnection,
        columns: Sequence[Any],
        idea_of: Callable[[Sequence[Any]], Idea],
    ) -> None:
        self.conn = conn
        self._columns = columns
        self._idea_of = idea_of

    async def find_ideas(self, query: IdeaQuery, *, limit: int, offset: int = 0) -> list[Idea]:
        statement: Select[Any] = select(*self._columns).where(*_where(query))
        if query.ranked:
            statement = statement.order_by(_i.vote_count.desc(), _i.submitted_at, _i.number)
        else:
            statement = statement.order_by(_i.submitted_at.desc(), _i.number.desc())
        rows = await self.conn.execute(statement.limit(limit).offset(offset))
        return [self._idea_of(tuple(row)) for row in rows]

    async def count_found(self, query: IdeaQuery) -> int:
        statement = select(func.count()).select_from(ideas).where(*_where(query))
        found = await self.conn.scalar(statement)
        return int(found or 0)

    async def count_by_status(self, query: IdeaQuery) -> dict[IdeaStatus, int]:
        rows = await self.conn.execute(
            select(_i.status, func.count()).where(*_where(query)).group_by(_i.status)
        )
        return {IdeaStatus(status): int(count) for status, count in rows}
