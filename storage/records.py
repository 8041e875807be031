"""The adapters' own records (`bot.ports.Records`) in the `adapter_records` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select

from bot.ports import Clock
from storage.database import SqlDatabase
from storage.schema import adapter_records

_r = adapter_records.c


class SqlRecords:
    """One adapter's records; each call is a short transaction of its own."""

    def __init__(self, database: SqlDatabase, owner: str, clock: Clock) -> None:
        self.database = database
        self.owner = owner
        self.clock = clock

    def _live(self, scope: str, key: str) -> ColumnElement[bool]:
        now = self.clock.now()
        return and_(
            _r.owner == self.owner,
            _r.scope == scope,
            _r.key == key,
            or_(_r.expires_at.is_(None), _r.expires_at >= now),
        )

    async def put(
        self, scope: str, key: str, value: str, *, expires_at: datetime | None = None
    ) -> None:
        now = self.clock.now()
        mine = _r.owner == self.owner
        async with self.database.transaction() as store:
            await store.conn.execute(
                delete(adapter_records).where(mine, _r.scope == scope, _r.key == key)
            )
            if expires_at is not None:  # one-time records: clear this owner's stale ones
                await store.conn.execute(delete(adapter_records).where(mine, _r.expires_at < now))
            await store.conn.execute(
                insert(adapter_records).values(
                    owner=self.owner,
                    scope=scope,
                    key=key,
                    value=value,
                    expires_at=expires_at,
                    updated_at=now,
                )
            )

    async def get(self, scope: str, key: str) -> str | None:
        async with self.database.transaction() as store:
            found = await store.conn.scalar(select(_r.value).where(self._live(scope, key)))
        return None if found is None else str(found)

    async def delete(self, scope: str, key: str | None = None) -> int:
        where = [_r.owner == self.owner, _r.scope == scope]
        if key is not None:
            where.append(_r.key == key)
        async with self.database.transaction() as store:
            result = await store.conn.execute(delete(adapter_records).where(*where))
        return int(result.rowcount or 0)

    async def take(self, scope: str, key: str) -> str | None:
        async with self.database.transaction() as store:
            found = await store.conn.execute(
                delete(adapter_records).where(self._live(scope, key)).returning(_r.value)
            )
            row = found.first()
        return None if row is None else str(row.value)
