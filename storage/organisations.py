"""Organisations and their link codes (bot/organisations.py), in the caller's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.model import Community
from bot.organisations import LINK_VALID, LinkCode
from storage.hot_commands import CommandSql
from storage.hot_votes import Hot
from storage.schema import (
    challenges,
    communities,
    link_codes,
    organisation_members,
    organisations,
)

_c = link_codes.c
_m = organisation_members.c


class SqlOrganisations:
    def __init__(self, conn: AsyncConnection, driver: Callable[[], Awaitable[Hot]]) -> None:
        self.conn = conn
        #: the driver-level statements of the transaction (its store's)
        self._driver = driver

    async def add_link_code(
        self, community_id: int, member_id: int, code_hash: str, now: datetime
    ) -> None:
        await self.conn.execute(
            insert(link_codes).values(
                code_hash=code_hash,
                community_id=community_id,
                created_by=member_id,
                created_at=now,
                expires_at=now + LINK_VALID,
            )
        )

    async def link_code(self, code_hash: str) -> LinkCode | None:
        row = (
            await self.conn.execute(
                select(_c.community_id, _c.expires_at, _c.used_at, _c.created_by).where(
                    _c.code_hash == code_hash
                )
            )
        ).first()
        if row is None:
            return None
        return LinkCode(row.community_id, row.expires_at, row.used_at, row.created_by)

    async def use_link_code(
        self, code_hash: str, by_community_id: int, now: datetime
    ) -> int | None:
        found = await self.conn.execute(
            update(link_codes)
            .where(_c.code_hash == code_hash, _c.used_at.is_(None), _c.expires_at >= now)
            .values(used_at=now, used_by_community_id=by_community_id)
            .returning(_c.community_id)
        )
        row = found.first()
        return None if row is None else int(row.community_id)

    async def organisation_of(self, community_id: int) -> int | None:
        found = await self.conn.scalar(
            select(_m.organisation_id).where(_m.community_id == community_id)
        )
        return None if found is None else int(found)

    async def communities_of(self, organisation_id: int) -> list[Community]:
        c = communities.c
        rows = await self.conn.execute(
            select(c.id, c.platform, c.external_id, c.name, c.audit_key)
            .join(organisation_members, _m.community_id == c.id)
            .where(_m.organisation_id == organisation_id)
            .order_by(_m.joined_at, c.id)
        )
        return [Community(r.id, r.platform, r.external_id, r.name, r.audit_key) for r in rows]

    async def found_organisation(self, name: str, community_id: int, now: datetime) -> int:
        made = await self.conn.execute(
            insert(organisations).values(name=name, created_at=now).returning(organisations.c.id)
        )
        organisation_id = int(made.scalar_one())
        await self.join_organisation(organisation_id, community_id, now)
        return organisation_id

    async def join_organisation(
        self, organisation_id: int, community_id: int, now: datetime
    ) -> None:
        await self.conn.execute(
            insert(organisation_members).values(
                community_id=community_id, organisation_id=organisation_id, joined_at=now
            )
        )

    async def leave_organisation(self, community_id: int) -> None:
        organisation_id = await self.organisation_of(community_id)
        if organisation_id is None:
            return
        await self.conn.execute(delete(organisation_members).where(_m.community_id == community_id))
        left = await self.conn.scalar(
            select(func.count()).where(_m.organisation_id == organisation_id)
        )
        if (left or 0) <= 1:
            await self.conn.execute(
                delete(organisations).where(organisations.c.id == organisation_id)
            )

    async def home_of(self, community_id: int) -> Community | None:
        """One look-up (every command makes it): the first community of its organisation."""
        db = CommandSql(await self._driver())  # straight to the driver (hot_commands.py)
        rows = await db.fetch("home_of", community_id)
        return Community(*rows[0]) if rows else None

    async def has_challenges(self, community_id: int) -> bool:
        found = await self.conn.scalar(
            select(challenges.c.id).where(challenges.c.community_id == community_id).limit(1)
        )
        return found is not None
