"""The events a webhook receives, and how each is written to the outbox: in the caller's
transaction, once per endpoint and event key, so that a crash after the commit loses none
and a replay doubles none."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.model import BADGE_LABELS, BadgeKind, Challenge, Community, Idea, Member
from bot.webhooks.ports import NewDelivery

if TYPE_CHECKING:
    from bot.ports import Store

IDEA_SUBMITTED = "idea.submitted"
IDEA_PUBLISHED = "idea.published"
IDEA_STATUS_CHANGED = "idea.status_changed"
IDEA_MERGED = "idea.merged"
PHASE_CHANGED = "challenge.phase_changed"
RESULTS_WEEKLY = "results.weekly"
RESULTS_FINAL = "results.final"
BADGE_AWARDED = "badge.awarded"
#: `/mod webhook test`: sent to one endpoint whatever it subscribed to
PING = "ping"

EVENT_TYPES: tuple[str, ...] = (
    IDEA_SUBMITTED,
    IDEA_PUBLISHED,
    IDEA_STATUS_CHANGED,
    IDEA_MERGED,
    PHASE_CHANGED,
    RESULTS_WEEKLY,
    RESULTS_FINAL,
    BADGE_AWARDED,
)

Data = Mapping[str, Any]


def event_id(community_id: int, key: str) -> str:
    """The id a receiver dedupes on: the same for every endpoint and every retry."""
    return "evt_" + hashlib.sha256(f"{community_id}:{key}".encode()).hexdigest()[:24]


def stamp(at: datetime | None) -> str | None:
    """UTC, to the second, with a Z: "2026-03-02T09:00:00Z"."""
    if at is None:
        return None
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def body(community: Community, event_type: str, key: str, now: datetime, data: Data) -> str:
    """The JSON document a receiver gets (the bytes that are signed)."""
    return json.dumps(
        {
            "id": event_id(community.id, key),
            "type": event_type,
            "created": stamp(now),
            "community": {
                "platform": community.platform,
                "id": community.external_id,
                "name": community.name,
            },
            "data": dict(data),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


async def emit(
    store: Store,
    community_id: int,
    event_type: str,
    key: str,
    now: datetime,
    data: Data | Callable[[], Awaitable[Data]],
) -> int:
    """Write the event for every endpoint of the community that receives this type, in the
    caller's transaction. `data` may be a coroutine function: it is only built when some
    endpoint wants the event. Returns how many deliveries were new."""
    endpoints = await store.webhooks.subscribers(community_id, event_type)
    if not endpoints:
        return 0
    payload = await data() if callable(data) else data
    community = await store.community_by_id(community_id)
    text = body(community, event_type, f"{event_type}:{key}", now, payload)
    return await store.webhooks.add_deliveries(
        [NewDelivery(e.id, f"{event_type}:{key}", event_type, text) for e in endpoints], now
    )


# -- what the events say ------------------------------------------------------------------


def challenge_data(challenge: Challenge) -> dict[str, Any]:
    return {
        "slug": challenge.slug,
        "title": challenge.title,
        "phase": challenge.phase.value,
        "sealed": challenge.settings.sealed,
    }


def member_data(member: Member | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.external_id, "name": member.display_name}


def idea_data(idea: Idea, author: Member | None) -> dict[str, Any]:
    """An idea as a receiver sees it: the author is left out of an anonymous idea's."""
    return {
        "number": idea.number,
        "title": idea.title,
        "description": idea.description,
        "status": idea.status.value,
        "anonymous": idea.anonymous,
        "author": None if idea.anonymous else member_data(author),
        "submitted_at": stamp(idea.submitted_at),
        "published_at": stamp(idea.published_at),
    }


async def idea_event(
    store: Store,
    challenge: Challenge,
    idea: Idea,
    event_type: str,
    key: str,
    now: datetime,
    **extra: Any,
) -> int:
    """An idea.* event about this idea (as it is now), with `extra` fields in its data."""

    async def data() -> Data:
        author = (await store.members_by_ids([idea.author_id])).get(idea.author_id)
        return {"challenge": challenge_data(challenge), "idea": idea_data(idea, author), **extra}

    return await emit(store, idea.community_id, event_type, key, now, data)


async def status_changed(
    store: Store,
    challenge: Challenge,
    idea: Idea,
    before: str,
    now: datetime,
    note: str | None = None,
) -> int:
    """idea.status_changed: `idea` carries its new status."""
    return await idea_event(
        store,
        challenge,
        idea,
        IDEA_STATUS_CHANGED,
        f"{idea.id}:{idea.status.value}:{now.isoformat()}",
        now,
        previous_status=before,
        note=note,
    )


async def phase_changed(
    store: Store, challenge: Challenge, before: str, after: str, now: datetime, by: str
) -> int:
    """challenge.phase_changed: each phase is reached once, so (challenge, phase) is its key.
    `by` is "moderator" or "deadline"."""
    data = {
        "challenge": {**challenge_data(challenge), "phase": after},
        "previous_phase": before,
        "phase": after,
        "by": by,
    }
    return await emit(
        store, challenge.community_id, PHASE_CHANGED, f"{challenge.id}:{after}", now, data
    )


async def badge_awarded(
    store: Store,
    community_id: int,
    member_id: int,
    kind: BadgeKind,
    key: str,
    now: datetime,
    challenge_id: int | None = None,
    idea_id: int | None = None,
) -> int:
    """badge.awarded, keyed by the badge's own key (once per badge). A badge earned with an
    anonymous idea names nobody, as in the posts."""

    async def data() -> Data:
        idea = (await store.ideas_by_ids([idea_id])).get(idea_id) if idea_id else None
        anonymous = idea is not None and idea.anonymous
        member = None if anonymous else (await store.members_by_ids([member_id]))[member_id]
        found = await store.challenges_by_ids([challenge_id]) if challenge_id else []
        return {
            "badge": {"kind": kind.value, "label": BADGE_LABELS[kind]},
            "member": member_data(member),
            "anonymous": anonymous,
            "challenge": challenge_data(found[0]) if found else None,
            "idea": {"number": idea.number, "title": idea.title} if idea else None,
        }

    return await emit(store, community_id, BADGE_AWARDED, key, now, data)
