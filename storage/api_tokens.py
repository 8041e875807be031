"""The repository's part for API tokens: added, listed, revoked, found by digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.tokens import ApiToken
from storage.schema import api_tokens

#: `last_used_at` is written at most this often per token: a busy tool does not write on
#: every read.
USED_RESOLUTION = timedelta(minutes=1)

_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.community_id,
    api_tokens.c.name,
    api_tokens.c.shown,
    api_tokens.c.created_by,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        shown=row.shown,
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class ApiTokenRepository:
    conn: AsyncConnection

    async def add_api_token(
        self, community_id: int, name: str, digest: str, shown: str, created_by: int, now: datetime
    ) -> ApiToken:
        result = await self.conn.execute(
            insert(api_tokens)
            .values(
                community_id=community_id,
                name=name,
                token_sha256=digest,
                shown=shown,
                created_by=created_by,
                created_at=now,
            )
            .returning(*_COLUMNS)
        )
        return _token(result.one())

    async def api_tokens(self, community_id: int) -> Sequence[ApiToken]:
        rows = await self.conn.execute(
            select(*_COLUMNS)
            .where(api_tokens.c.community_id == community_id)
            .order_by(api_tokens.c.id)
        )
        return [_token(r) for r in rows]

    async def revoke_api_token(
        self, community_id: int, token_id: int, now: datetime
    ) -> ApiToken | None:
        mine = (api_tokens.c.community_id == community_id) & (api_tokens.c.id == token_id)
        await self.conn.execute(
            update(api_tokens).where(mine, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        row = (await self.conn.execute(select(*_COLUMNS).where(mine))).first()
        return None if row is None else _token(row)

    async def api_token_by_digest(self, digest: str) -> ApiToken | None:
        row = (
            await self.conn.execute(select(*_COLUMNS).where(api_tokens.c.token_sha256 == digest))
        ).first()
        return None if row is None else _token(row)

    async def api_token_used(self, token_id: int, now: datetime) -> None:
        last = api_tokens.c.last_used_at
        await self.conn.execute(
            update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                last.is_(None) | (last < now - USED_RESOLUTION),
            )
            .values(last_used_at=now)
        )
