"""The points tables summed by month, which the leaderboards of seasons and of all time
read (a dozen weekly rows of a member's season are three months).

Triggers keep `member_month_points` and `received_month_points` equal to the weekly rows
(migration 0019). Only the weekly cap on votes cast is not the database's to know: the
months are summed with the cap in `point_rules`, and `keep_cap`, at every start, sums them
again when the settings changed it. Until then, and in any process whose settings differ,
the leaderboards read the weeks."""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.schema import member_month_points, member_week_points, point_rules

#: a month's key: the first 7 characters of a week's (its Monday's) key
MONTH_CHARS = 7


async def keep_cap(engine: AsyncEngine, cap: int) -> bool:
    """Make the months summed with this weekly cap; True when they had to be summed again
    (the settings changed it). One query when nothing changed."""
    async with engine.begin() as connection:
        if await summed_with(connection) == cap:
            return False
        if connection.dialect.name == "postgresql":
            # No week is written while the months are summed again (the triggers would
            # add to them with the cap they read before this commits).
            await connection.exec_driver_sql("LOCK TABLE member_week_points IN SHARE MODE")
        changed = await connection.execute(
            update(point_rules)
            .where(point_rules.c.vote_cast_weekly_cap != cap)
            .values(vote_cast_weekly_cap=cap)
        )
        if not changed.rowcount:
            return False  # another process did it first
        await connection.execute(delete(member_month_points))
        w = member_week_points.c
        capped = case((w.votes_cast > cap, cap), else_=w.votes_cast)
        month = func.substr(w.week, 1, MONTH_CHARS)
        keys = (w.community_id, w.private, w.member_id, month)
        await connection.execute(
            insert(member_month_points).from_select(
                [c.name for c in member_month_points.c],
                select(
                    *keys, func.sum(w.ideas_published), func.sum(capped), func.sum(w.bonus)
                ).group_by(*keys),
            )
        )
        return True


async def summed_with(connection: AsyncConnection) -> int:
    """The weekly cap the months hold."""
    return int((await connection.execute(select(point_rules.c.vote_cast_weekly_cap))).scalar_one())


def months_of(
    first_week: str | None, last_week: str | None
) -> tuple[str | None, str | None] | None:
    """The first and last months (None: no bound) that hold exactly the weeks from
    `first_week` to `last_week` (None: no bound), or None when a bound cuts a month: a week
    is in the month of its Monday, so a range of whole months starts on a month's first
    Monday and ends on its last."""
    if first_week is not None and date.fromisoformat(first_week).day > 7:
        return None
    if last_week is not None:
        monday = date.fromisoformat(last_week)
        if monday.day + 7 <= calendar.monthrange(monday.year, monday.month)[1]:
            return None
    return (
        None if first_week is None else first_week[:MONTH_CHARS],
        None if last_week is None else last_week[:MONTH_CHARS],
    )
