"""Linked accounts (bot/accounts.py), in the caller's transaction: who is linked to whom,
and the merge of an account into a person. (Their codes are storage/organisations.py's.)"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.model import Member
from storage.schema import (
    badges,
    idea_follows,
    ideas,
    member_links,
    member_week_points,
    members,
    notice_prefs,
    notices,
    reaction_states,
    received_points,
    voids,
    votes,
)

_l = member_links.c


class SqlAccounts:
    def __init__(self, conn: AsyncConnection, member_of: Callable[[Any], Member]) -> None:
        self.conn = conn
        self._member_of = member_of

    async def account_id(self, community_id: int, external_id: str) -> int:
        m = members.c
        found = await self.conn.scalar(
            select(m.id).where(m.community_id == community_id, m.external_id == external_id)
        )
        assert found is not None, "the caller's member is created before its command runs"
        return int(found)

    async def person_of(self, member_id: int) -> int | None:
        found = await self.conn.scalar(select(_l.person_id).where(_l.member_id == member_id))
        return None if found is None else int(found)

    async def has_account_in(self, person_id: int, community_id: int) -> bool:
        m = members.c
        accounts = select(_l.member_id).where(_l.person_id == person_id)
        found = await self.conn.scalar(
            select(m.id)
            .where(
                m.community_id == community_id,
                or_(m.id == person_id, m.id.in_(accounts.scalar_subquery())),
            )
            .limit(1)
        )
        return found is not None

    async def accounts_of(self, person_id: int) -> list[Member]:
        m = members.c
        linked = select(_l.member_id).where(_l.person_id == person_id).scalar_subquery()
        rows = await self.conn.execute(
            select(members).where(or_(m.id == person_id, m.id.in_(linked))).order_by(m.id)
        )
        return [self._member_of(r) for r in rows]

    async def unlink(self, member_ids: Collection[int]) -> None:
        ids = list(member_ids)
        await self.conn.execute(
            delete(member_links).where(or_(_l.member_id.in_(ids), _l.person_id.in_(ids)))
        )

    async def touched(self, member_id: int) -> dict[int, set[int]]:
        i = ideas.c
        voted = select(votes.c.idea_id).where(votes.c.member_id == member_id)
        rows = await self.conn.execute(
            select(i.challenge_id, i.id, i.merged_into_id).where(
                or_(i.author_id == member_id, i.id.in_(voted.scalar_subquery()))
            )
        )
        out: dict[int, set[int]] = {}
        for r in rows:
            out.setdefault(r.challenge_id, set()).add(r.merged_into_id or r.id)
        return out

    async def merge(self, member_id: int, person_id: int, now: datetime) -> None:
        old, new = member_id, person_id
        await self._move_votes(old, new)
        await self.conn.execute(update(ideas).where(ideas.c.author_id == old).values(author_id=new))
        await self._move_keyed(voids, ("challenge_id",), old, new)
        await self._move_keyed(reaction_states, ("post_id", "variant"), old, new)
        # What they follow and were told; the person's own notice settings win.
        await self._move_keyed(idea_follows, ("idea_id",), old, new)
        await self._move_keyed(notices, ("event_key",), old, new)
        await self._move_keyed(notice_prefs, (), old, new)
        for table, key, counts in (
            (
                member_week_points,
                ("community_id", "week", "private"),
                ("ideas_published", "votes_cast", "bonus"),
            ),
            (received_points, ("challenge_id", "week", "private"), ("votes",)),
        ):
            await self._add_up(table, key, counts, old, new)
        await self._move_badges(old, new)
        # Accounts linked to the one merged are the person's now, and so is it.
        await self.conn.execute(
            update(member_links).where(_l.person_id == old).values(person_id=new)
        )
        await self.conn.execute(
            insert(member_links).values(member_id=old, person_id=new, linked_at=now)
        )

    async def _move_votes(self, old: int, new: int) -> None:
        """The account's votes become the person's; where both voted for one idea, the
        person's vote stays and the account's goes (counted once)."""
        v = votes.c
        theirs = select(v.idea_id).where(v.member_id == new).scalar_subquery()
        await self.conn.execute(delete(votes).where(v.member_id == old, v.idea_id.in_(theirs)))
        await self.conn.execute(update(votes).where(v.member_id == old).values(member_id=new))

    async def _move_keyed(self, table: Table, key: tuple[str, ...], old: int, new: int) -> None:
        """Rows of the account keyed by (key…, member): the person's where they have none."""
        cols = table.c
        theirs = select(cols.member_id).where(cols.member_id == new)
        held = select(*(cols[k] for k in key)).where(cols.member_id == new) if key else theirs
        same = tuple_(*(cols[k] for k in key)).in_(held) if key else held.exists()
        await self.conn.execute(delete(table).where(cols.member_id == old, same))
        await self.conn.execute(update(table).where(cols.member_id == old).values(member_id=new))

    async def _add_up(
        self, table: Table, key: tuple[str, ...], counts: tuple[str, ...], old: int, new: int
    ) -> None:
        """Points of the account added to the person's, row by row of the same key."""
        cols = table.c
        for row in list(await self.conn.execute(select(table).where(cols.member_id == old))):
            same = [cols[k] == getattr(row, k) for k in key]
            added = await self.conn.execute(
                update(table)
                .where(cols.member_id == new, *same)
                .values({c: cols[c] + getattr(row, c) for c in counts})
                .returning(cols.member_id)
            )
            if added.first() is not None:
                await self.conn.execute(delete(table).where(cols.member_id == old, *same))
        await self.conn.execute(update(table).where(cols.member_id == old).values(member_id=new))

    async def _move_badges(self, old: int, new: int) -> None:
        """Badges keyed by member ("voice:<challenge>:<member>") are keyed by the person's;
        one the person holds already is not held twice."""
        b = badges.c
        held = await self.conn.execute(
            select(b.id, b.community_id, b.key).where(b.member_id == old)
        )
        for r in list(held):
            key = r.key.removesuffix(f":{old}") + f":{new}" if r.key.endswith(f":{old}") else r.key
            taken = await self.conn.scalar(
                select(b.id).where(b.community_id == r.community_id, b.key == key)
            )
            if taken is not None:
                await self.conn.execute(delete(badges).where(b.id == r.id))
            else:
                await self.conn.execute(
                    update(badges).where(b.id == r.id).values(member_id=new, key=key)
                )
