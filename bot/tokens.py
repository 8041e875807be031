"""API tokens of a community: made by its moderators, shown once, stored only as a hash.

A token is `ccr_` and 32 random bytes (URL-safe base64). It is stored as its SHA-256
hex digest: with 256 bits of entropy nobody can guess a token from its hash, so a slow
password KDF (bcrypt, scrypt) would add cost and nothing else. A request's token is
found by the digest of what it presents, which an index answers; no comparison of
secrets happens in Python."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

PREFIX = "ccr_"
#: The characters of a token shown in lists (the prefix and a few more): enough to tell
#: tokens apart, far too few to use.
SHOWN_CHARS = len(PREFIX) + 6
NAME_MAX = 60


@dataclass(frozen=True)
class ApiToken:
    id: int
    community_id: int
    name: str
    #: the first characters of the token (`ccr_Ab12Cd`), for lists
    shown: str
    created_by: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_token() -> str:
    """A fresh token: shown once to the moderator who made it, never stored."""
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a token, and what a presented token is looked up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    """A cheap check before any lookup: the prefix, and a sane length."""
    return text.startswith(PREFIX) and len(text) <= 200


class ApiTokenStore(Protocol):
    """The repository's part for API tokens (storage/api_tokens.py)."""

    async def add_api_token(
        self, community_id: int, name: str, digest: str, shown: str, created_by: int, now: datetime
    ) -> ApiToken: ...
    async def api_tokens(self, community_id: int) -> Sequence[ApiToken]:
        """The community's tokens, revoked ones too, oldest first."""
        ...

    async def revoke_api_token(
        self, community_id: int, token_id: int, now: datetime
    ) -> ApiToken | None:
        """Revoke one of the community's tokens (once); None when it has no such token."""
        ...

    async def api_token_by_digest(self, digest: str) -> ApiToken | None: ...
    async def api_token_used(self, token_id: int, now: datetime) -> None: ...
