"""The webhooks' tables: endpoints, and the outbox of deliveries claimed with a lease so
that one process sends each (on PostgreSQL, `FOR UPDATE SKIP LOCKED`: processes that look
at the same moment take different rows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.webhooks.ports import (
    ACTIVE,
    DELIVERED,
    DISABLED,
    FAILED,
    OUTBOX,
    PENDING,
    Delivery,
    Endpoint,
    NewDelivery,
)
from storage.hot_votes import Hot
from storage.schema import webhook_deliveries as wd
from storage.schema import webhook_endpoints as we

#: every event a command emits asks this: built once
_SUBSCRIBERS = select(we).where(
    (we.c.community_id == bindparam("community_id")) & (we.c.state == ACTIVE)
)


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        community_id=row.community_id,
        url=row.url,
        events=tuple(row.events.split()),
        salt=row.secret_salt,
        stored_secret=row.secret,
        state=row.state,
        created_at=row.created_at,
        failures=row.failures,
        failing_since=row.failing_since,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        notified_at=row.notified_at,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_key=row.event_key,
        event_type=row.event_type,
        body=row.body,
        created_at=row.created_at,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        last_attempt_at=row.last_attempt_at,
    )


class SqlWebhooks:
    """The `WebhookStore` port, inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection, driver: Callable[[], Awaitable[Hot]]) -> None:
        self.conn = conn
        #: the driver-level statements: whether anyone subscribes is asked by every event
        #: that a submission or a vote batch's badge emits
        self._driver = driver
        #: community id -> its active endpoints, read once per transaction: a command
        #: emits several events (submitted, published, a badge); any change of an
        #: endpoint here forgets them
        self._active: dict[int, list[Endpoint]] = {}

    async def _change(self, statement: Any) -> Any:
        """Run a statement that changes endpoints."""
        self._active.clear()
        return await self.conn.execute(statement)

    # -- endpoints -----------------------------------------------------------------

    async def add_endpoint(
        self,
        community_id: int,
        url: str,
        events: Sequence[str],
        salt: str,
        created_by: int,
        now: datetime,
    ) -> int:
        result = await self._change(
            insert(we)
            .values(
                community_id=community_id,
                url=url,
                events=" ".join(events),
                secret="",
                secret_salt=salt,
                created_by=created_by,
                created_at=now,
                state=ACTIVE,
                failures=0,
            )
            .returning(we.c.id)
        )
        return int(result.scalar_one())

    async def endpoints(self, community_id: int) -> list[Endpoint]:
        rows = await self.conn.execute(
            select(we).where(we.c.community_id == community_id).order_by(we.c.id)
        )
        return [_endpoint(r) for r in rows]

    async def endpoint(self, community_id: int, endpoint_id: int) -> Endpoint | None:
        row = (
            await self.conn.execute(
                select(we).where((we.c.id == endpoint_id) & (we.c.community_id == community_id))
            )
        ).first()
        return None if row is None else _endpoint(row)

    async def endpoints_by_ids(self, ids: Collection[int]) -> dict[int, Endpoint]:
        if not ids:
            return {}
        rows = await self.conn.execute(select(we).where(we.c.id.in_(list(ids))))
        return {r.id: _endpoint(r) for r in rows}

    async def remove_endpoint(self, community_id: int, endpoint_id: int) -> bool:
        """Delete an endpoint, its secret and its deliveries."""
        await self.conn.execute(delete(wd).where(wd.c.endpoint_id == endpoint_id))
        result = await self._change(
            delete(we).where((we.c.id == endpoint_id) & (we.c.community_id == community_id))
        )
        return bool(result.rowcount)

    async def enable_endpoint(self, endpoint_id: int, now: datetime) -> None:
        """Active again, its run of failures forgotten; what waits is tried at once."""
        OUTBOX.note()
        await self._change(
            update(we)
            .where(we.c.id == endpoint_id)
            .values(
                state=ACTIVE,
                failures=0,
                failing_since=None,
                disabled_at=None,
                disabled_reason=None,
                notified_at=None,
            )
        )
        await self.conn.execute(
            update(wd)
            .where((wd.c.endpoint_id == endpoint_id) & (wd.c.state == PENDING))
            .values(next_attempt_at=now, claimed_by=None, claimed_until=None)
        )

    async def subscribers(self, community_id: int, event_type: str) -> list[Endpoint]:
        active = self._active.get(community_id)
        if active is None:
            # Most communities have no endpoint: the driver says so for a fraction of what
            # Core's statement costs; the endpoints themselves are read only when some are.
            db = await self._driver()
            if await db.fetch("has_endpoints", community_id):
                rows = await self.conn.execute(_SUBSCRIBERS, {"community_id": community_id})
                active = [_endpoint(r) for r in rows]
            else:
                active = []
            self._active[community_id] = active
        return [e for e in active if event_type in e.events]

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> bool:
        result = await self._change(
            update(we)
            .where((we.c.id == endpoint_id) & (we.c.state == ACTIVE))
            .values(state=DISABLED, disabled_at=now, disabled_reason=reason)
        )
        return bool(result.rowcount)

    async def claim_notice(self, endpoint_id: int, now: datetime) -> bool:
        """Take the telling of the moderators that this endpoint was disabled (once)."""
        result = await self._change(
            update(we)
            .where((we.c.id == endpoint_id) & we.c.notified_at.is_(None))
            .values(notified_at=now)
        )
        return bool(result.rowcount)

    async def release_notice(self, endpoint_id: int) -> None:
        """The notice could not be sent: it is tried again."""
        await self._change(update(we).where(we.c.id == endpoint_id).values(notified_at=None))

    async def unnotified_disabled(self) -> list[Endpoint]:
        rows = await self.conn.execute(
            select(we).where((we.c.state == DISABLED) & we.c.notified_at.is_(None))
        )
        return [_endpoint(r) for r in rows]

    # -- deliveries ----------------------------------------------------------------

    async def add_deliveries(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        if not deliveries:
            return 0
        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        statement = (
            dialect.insert(wd)
            .values(
                [
                    {
                        "endpoint_id": d.endpoint_id,
                        "event_key": d.event_key,
                        "event_type": d.event_type,
                        "body": d.body,
                        "created_at": now,
                        "state": PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                    for d in deliveries
                ]
            )
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_key"])
            .returning(wd.c.id)
        )
        added = len((await self.conn.execute(statement)).all())
        if added:
            OUTBOX.note()
        return added

    def _due(self, now: datetime) -> Any:
        return (
            (wd.c.state == PENDING)
            & (wd.c.next_attempt_at <= now)
            & (wd.c.claimed_until.is_(None) | (wd.c.claimed_until <= now))
            & wd.c.endpoint_id.in_(select(we.c.id).where(we.c.state == ACTIVE))
        )

    async def claim_due(
        self, now: datetime, by: str, lease_until: datetime, limit: int
    ) -> list[Delivery]:
        candidates = (
            select(wd.c.id)
            .where(self._due(now))
            .order_by(wd.c.next_attempt_at, wd.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name != "sqlite":  # SQLite's writers take turns anyway
            candidates = candidates.with_for_update(skip_locked=True, of=wd)
        ids = [r[0] for r in await self.conn.execute(candidates)]
        if not ids:
            return []
        await self.conn.execute(
            update(wd).where(wd.c.id.in_(ids)).values(claimed_by=by, claimed_until=lease_until)
        )
        rows = await self.conn.execute(select(wd).where(wd.c.id.in_(ids)).order_by(wd.c.id))
        return [_delivery(r) for r in rows]

    async def next_due(self, now: datetime) -> datetime | None:
        """When the next pending delivery falls due (a held one: when its lease ends)."""
        active = wd.c.endpoint_id.in_(select(we.c.id).where(we.c.state == ACTIVE))
        pending = (wd.c.state == PENDING) & active
        free = wd.c.claimed_until.is_(None) | (wd.c.claimed_until <= now)
        due = await self.conn.execute(select(func.min(wd.c.next_attempt_at)).where(pending & free))
        held = await self.conn.execute(
            select(func.min(wd.c.claimed_until)).where(pending & (wd.c.claimed_until > now))
        )
        times = [t for t in (due.scalar(), held.scalar()) if t is not None]
        return min(times, default=None)

    async def delivered(
        self, delivery_id: int, endpoint_id: int, status: int, now: datetime
    ) -> None:
        await self.conn.execute(
            update(wd)
            .where(wd.c.id == delivery_id)
            .values(
                state=DELIVERED,
                attempts=wd.c.attempts + 1,
                last_attempt_at=now,
                last_status=status,
                last_error=None,
                delivered_at=now,
                claimed_by=None,
                claimed_until=None,
            )
        )
        await self._change(
            update(we).where(we.c.id == endpoint_id).values(failures=0, failing_since=None)
        )

    async def delivery_failed(
        self,
        delivery_id: int,
        endpoint_id: int,
        *,
        status: int | None,
        error: str,
        now: datetime,
        next_attempt_at: datetime | None,
    ) -> Endpoint | None:
        await self.conn.execute(
            update(wd)
            .where(wd.c.id == delivery_id)
            .values(
                state=PENDING if next_attempt_at is not None else FAILED,
                attempts=wd.c.attempts + 1,
                last_attempt_at=now,
                last_status=status,
                last_error=error,
                next_attempt_at=next_attempt_at or now,
                claimed_by=None,
                claimed_until=None,
            )
        )
        await self._change(
            update(we)
            .where(we.c.id == endpoint_id)
            .values(
                failures=we.c.failures + 1, failing_since=func.coalesce(we.c.failing_since, now)
            )
        )
        row = (await self.conn.execute(select(we).where(we.c.id == endpoint_id))).first()
        return None if row is None else _endpoint(row)

    async def recent_deliveries(
        self, community_id: int, limit: int, endpoint_id: int | None = None
    ) -> list[Delivery]:
        mine = select(we.c.id).where(we.c.community_id == community_id)
        if endpoint_id is not None:
            mine = mine.where(we.c.id == endpoint_id)
        rows = await self.conn.execute(
            select(wd)
            .where(wd.c.endpoint_id.in_(mine))
            .order_by(wd.c.created_at.desc(), wd.c.id.desc())
            .limit(limit)
        )
        return [_delivery(r) for r in rows]
