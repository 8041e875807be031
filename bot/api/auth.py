"""Who is asking: the bearer token of a request, and the community it belongs to."""

from __future__ import annotations

from datetime import datetime

from bot.api.errors import unauthorized
from bot.ports import Store
from bot.tokens import looks_like_token


def presented_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer …` header; ApiError 401 without one."""
    if not authorization:
        raise unauthorized(
            "Send a token as `Authorization: Bearer <token>`; a moderator makes one with "
            "`/mod token create`.",
            invalid=False,
        )
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not looks_like_token(token):
        raise unauthorized("That is not a Cocreate API token.", invalid=True)
    return token


async def community_of(store: Store, digest: str, now: datetime) -> int:
    """The id of the community of the token with this digest (`token_digest`), its use
    recorded; ApiError 401 for a token that is unknown or revoked. The token itself is
    compared nowhere."""
    found = await store.api_token_by_digest(digest)
    if found is None or not found.active:
        raise unauthorized("This token is unknown or was revoked.", invalid=True)
    await store.api_token_used(found.id, now)
    return found.community_id
