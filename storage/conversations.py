"""Ideas' threads, their activity, follows and notices (bot/conversations.py), in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.conversations import Activity, Follower, IdeaThread, Prefs
from bot.messages import ThreadRef
from bot.model import PUBLIC_STATUSES
from storage.hot_commands import CommandSql
from storage.hot_votes import Hot
from storage.notices import SqlNotices
from storage.schema import (
    idea_follows,
    idea_threads,
    ideas,
    members,
    notice_prefs,
    thread_repliers,
    votes,
)

_t = idea_threads.c
_r = thread_repliers.c

# Built once (storage/statements.py).
_IDEAS: Any = bindparam("ids", expanding=True)
_THREADS_OF = select(idea_threads).where(_t.idea_id.in_(_IDEAS)).order_by(_t.id)


def _thread(row: Any) -> IdeaThread:
    return IdeaThread(
        row.id,
        row.idea_id,
        row.community_id,
        row.channel_id,
        row.thread_id,
        bool(row.forum),
        row.replies,
    )


class SqlConversations(SqlNotices):
    """Threads, activity and follows here; notices in storage/notices.py."""

    def __init__(self, conn: AsyncConnection, driver: Callable[[], Awaitable[Hot]]) -> None:
        self.conn = conn
        #: the driver-level statements of the transaction (its store's)
        self._driver = driver

    def _insert(self, table: Any) -> Any:
        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        return dialect.insert(table)

    # -- threads -------------------------------------------------------------------

    async def add_thread(
        self, community_id: int, idea_id: int, thread: ThreadRef, now: datetime
    ) -> None:
        # Every submission opens one: straight to the driver (storage/hot_commands.py).
        db = CommandSql(await self._driver())
        await db.fetch(
            "add_thread",
            community_id,
            idea_id,
            thread.channel_id,
            thread.thread_id,
            thread.forum,
            db.time(now),
        )

    async def threads_of(self, idea_ids: Collection[int]) -> dict[int, list[IdeaThread]]:
        out: dict[int, list[IdeaThread]] = {i: [] for i in idea_ids}
        if not idea_ids:
            return out
        rows = await self.conn.execute(_THREADS_OF, {"ids": list(idea_ids)})
        for row in rows:
            out[row.idea_id].append(_thread(row))
        return out

    async def thread_by_ref(
        self, community_id: int, thread_id: str, channel_id: str | None = None
    ) -> IdeaThread | None:
        query = select(idea_threads).where(
            _t.community_id == community_id, _t.thread_id == thread_id
        )
        if channel_id is not None:
            query = query.where(_t.channel_id == channel_id)
        row = (await self.conn.execute(query.order_by(_t.id).limit(1))).first()
        return None if row is None else _thread(row)

    async def record_activity(
        self,
        thread_row: int,
        now: datetime,
        *,
        replies: int | None = None,
        more_replies: int = 0,
        joined: Collection[str] = (),
        left: Collection[str] = (),
        includes_own: bool = True,
    ) -> None:
        values: dict[str, Any] = {"activity_at": now}
        if replies is not None and includes_own:
            # the platform counts the bot's own notes as replies: they are not
            theirs = literal(max(0, replies)) - _t.own_posts
            values["replies"] = case((theirs > 0, theirs), else_=0)
        elif replies is not None:
            values["replies"] = max(0, replies)
        elif more_replies:
            values["replies"] = _t.replies + more_replies
        await self.conn.execute(update(idea_threads).where(_t.id == thread_row).values(**values))
        if joined:
            await self.conn.execute(
                self._insert(thread_repliers)
                .values([{"thread_id": thread_row, "member_ref": m} for m in set(joined)])
                .on_conflict_do_nothing(index_elements=["thread_id", "member_ref"])
            )
        if left:
            await self.conn.execute(
                delete(thread_repliers).where(
                    _r.thread_id == thread_row, _r.member_ref.in_(list(left))
                )
            )

    async def own_post(self, community_id: int, thread: ThreadRef) -> None:
        await self.conn.execute(
            update(idea_threads)
            .where(
                _t.community_id == community_id,
                _t.channel_id == thread.channel_id,
                _t.thread_id == thread.thread_id,
            )
            .values(own_posts=_t.own_posts + 1)
        )

    async def activity(self, idea_ids: Collection[int]) -> dict[int, Activity]:
        """The activity of those of these ideas that have a thread: straight to the driver
        (storage/hot_commands.py), since `/idea show` asks for every idea it shows."""
        if not idea_ids:
            return {}
        db = CommandSql(await self._driver())
        rows = await db.fetch("activity", db.ids(list(idea_ids)))
        return {int(i): Activity(int(n or 0), int(people or 0)) for i, n, people in rows}

    async def most_discussed(self, challenge_id: int, limit: int) -> list[tuple[int, Activity]]:
        rows = await self.conn.execute(
            select(_t.idea_id, func.sum(_t.replies).label("replies"))
            .select_from(idea_threads.join(ideas, ideas.c.id == _t.idea_id))
            .where(
                ideas.c.challenge_id == challenge_id,
                ideas.c.status.in_([s.value for s in PUBLIC_STATUSES]),
            )
            .group_by(_t.idea_id)
            .having(func.sum(_t.replies) > 0)
            .order_by(func.sum(_t.replies).desc(), _t.idea_id)
            .limit(limit)
        )
        top = [int(r.idea_id) for r in rows]
        found = await self.activity(top)
        return [(i, found.get(i, Activity())) for i in top]

    # -- follows and preferences ------------------------------------------------------

    async def follow(self, idea_id: int, member_id: int, following: bool, now: datetime) -> None:
        await self.conn.execute(
            self._insert(idea_follows)
            .values(idea_id=idea_id, member_id=member_id, following=following, since=now)
            .on_conflict_do_update(
                index_elements=["idea_id", "member_id"],
                set_={"following": following, "since": now},
            )
        )

    async def following(self, idea_id: int, member_id: int) -> bool | None:
        found = await self.conn.scalar(
            select(idea_follows.c.following).where(
                idea_follows.c.idea_id == idea_id, idea_follows.c.member_id == member_id
            )
        )
        return None if found is None else bool(found)

    async def prefs(self, member_id: int) -> Prefs:
        row = (
            await self.conn.execute(
                select(notice_prefs).where(notice_prefs.c.member_id == member_id)
            )
        ).first()
        return Prefs() if row is None else Prefs(row.level, bool(row.follow_votes))

    async def set_prefs(self, member_id: int, prefs: Prefs) -> None:
        values = {"level": prefs.level, "follow_votes": prefs.follow_votes}
        await self.conn.execute(
            self._insert(notice_prefs)
            .values(member_id=member_id, **values)
            .on_conflict_do_update(index_elements=["member_id"], set_=values)
        )

    async def followers(
        self, idea: int, author_id: int, voter_ideas: Collection[int]
    ) -> list[Follower]:
        why: dict[int, str] = {author_id: "author"}
        said: dict[int, bool] = {
            r[0]: bool(r[1])
            for r in (
                await self.conn.execute(
                    select(idea_follows.c.member_id, idea_follows.c.following).where(
                        idea_follows.c.idea_id == idea
                    )
                )
            ).all()
        }
        voters: list[int] = []
        if voter_ideas:
            voters = [
                int(m)
                for m in await self.conn.scalars(
                    select(votes.c.member_id)
                    .where(votes.c.idea_id.in_(list(voter_ideas)))
                    .distinct()
                )
            ]
        for member_id in voters:
            why.setdefault(member_id, "vote")
        for member_id, following in said.items():
            if following:
                why.setdefault(member_id, "follow")
        candidates = [m for m in why if said.get(m, True)]
        if not candidates:
            return []
        prefs = {
            r.member_id: Prefs(r.level, bool(r.follow_votes))
            for r in await self.conn.execute(
                select(notice_prefs).where(notice_prefs.c.member_id.in_(candidates))
            )
        }
        people = {
            r.id: r
            for r in await self.conn.execute(
                select(members.c.id, members.c.external_id, members.c.display_name).where(
                    members.c.id.in_(candidates), members.c.is_bot.is_(False)
                )
            )
        }
        out = []
        for member_id in sorted(candidates):
            p = prefs.get(member_id, Prefs())
            reason = why[member_id]
            if member_id not in people or p.level == "none":
                continue
            if p.level == "mine" and reason != "author":
                continue
            if reason == "vote" and not p.follow_votes:
                continue
            row = people[member_id]
            out.append(Follower(member_id, row.external_id, row.display_name, reason))
        return out
