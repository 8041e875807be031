"""What the webhooks need from the repository, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.tasks import WorkSignal

#: deliveries this process made due (bot/webhooks/delivery.py looks when it moves)
OUTBOX = WorkSignal()

ACTIVE = "active"
DISABLED = "disabled"

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class Endpoint:
    id: int
    community_id: int
    url: str
    #: event types it receives
    events: tuple[str, ...]
    #: what the signing secret is derived from (bot/webhooks/signing.py)
    salt: str | None
    #: the secret of an endpoint added before secrets were derived ("" for any other)
    stored_secret: str
    state: str
    created_at: datetime
    #: failed deliveries in a row since the last success, and when the first of them failed
    failures: int
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    notified_at: datetime | None


@dataclass(frozen=True)
class NewDelivery:
    """One event for one endpoint, as the outbox records it."""

    endpoint_id: int
    event_key: str
    event_type: str
    body: str


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: int
    event_key: str
    event_type: str
    body: str
    created_at: datetime
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    last_attempt_at: datetime | None


class WebhookStore(Protocol):
    async def add_endpoint(
        self,
        community_id: int,
        url: str,
        events: Sequence[str],
        salt: str,
        created_by: int,
        now: datetime,
    ) -> int: ...
    async def endpoints(self, community_id: int) -> list[Endpoint]: ...
    async def endpoint(self, community_id: int, endpoint_id: int) -> Endpoint | None: ...
    async def endpoints_by_ids(self, ids: Collection[int]) -> dict[int, Endpoint]: ...
    async def remove_endpoint(self, community_id: int, endpoint_id: int) -> bool: ...
    async def enable_endpoint(self, endpoint_id: int, now: datetime) -> None: ...
    async def subscribers(self, community_id: int, event_type: str) -> list[Endpoint]: ...
    async def add_deliveries(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Insert deliveries; one whose (endpoint, event key) exists is skipped. Returns
        how many were new."""
        ...

    async def claim_due(
        self, now: datetime, by: str, lease_until: datetime, limit: int
    ) -> list[Delivery]:
        """Deliveries due now to active endpoints that nobody holds, claimed by `by`."""
        ...

    async def next_due(self, now: datetime) -> datetime | None: ...
    async def delivered(
        self, delivery_id: int, endpoint_id: int, status: int, now: datetime
    ) -> None: ...
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
        """Record a failed attempt (given up on when `next_attempt_at` is None); returns the
        endpoint with its run of failures counted."""
        ...

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> bool: ...
    async def claim_notice(self, endpoint_id: int, now: datetime) -> bool: ...
    async def release_notice(self, endpoint_id: int) -> None: ...
    async def unnotified_disabled(self) -> list[Endpoint]: ...
    async def recent_deliveries(
        self, community_id: int, limit: int, endpoint_id: int | None = None
    ) -> list[Delivery]: ...
