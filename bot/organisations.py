"""Organisations: the communities of one brand (Discord guilds, Slack workspaces, the
console), linked by their moderators.

A moderator of one community asks for a one-time code (`/mod org link`) and gives it to a
moderator of the other, who confirms with it there (`/mod org join CODE`). Nobody can
attach a community they do not moderate: the code alone links nothing, and it works
once, within `LINK_VALID`, from another community only. Only its hash is stored.

The organisation's first community is its home: every linked community's commands work
on the home's challenges, ideas, points and moderator log, so that one challenge has one
tally, one numbering of its ideas and one leaderboard, with venues on every platform
(bot/venues.py). So a community that keeps challenges of its own can found an
organisation but not join one, and the home cannot leave while others are linked to it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.errors import UserError
from bot.i18n import _
from bot.model import Community

LINK_VALID = timedelta(minutes=15)
#: no 0/O, 1/I/L: a code is read out and typed again
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


def new_link_code() -> str:
    """`ABCD-EFGH`: 40 bits, plenty for a code that works once within minutes."""
    raw = "".join(secrets.choice(_ALPHABET) for _index in range(_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_hash(code: str) -> str:
    """What is stored of a code: typed in any case, with or without the dash."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


@dataclass(frozen=True)
class LinkCode:
    community_id: int
    expires_at: datetime
    used_at: datetime | None
    #: the member who asked for it
    created_by: int


class OrganisationStore(Protocol):
    """What organisations need from the repository, inside the caller's transaction."""

    async def add_link_code(
        self, community_id: int, member_id: int, code_hash: str, now: datetime
    ) -> None: ...

    async def use_link_code(
        self, code_hash: str, by_community_id: int, now: datetime
    ) -> int | None:
        """Mark an unused, unexpired code used; returns its community, or None (nobody
        else, in any process, can use it then)."""
        ...

    async def link_code(self, code_hash: str) -> LinkCode | None: ...
    async def organisation_of(self, community_id: int) -> int | None: ...
    async def communities_of(self, organisation_id: int) -> list[Community]: ...
    async def found_organisation(self, name: str, community_id: int, now: datetime) -> int: ...
    async def join_organisation(
        self, organisation_id: int, community_id: int, now: datetime
    ) -> None: ...
    async def leave_organisation(self, community_id: int) -> None:
        """Leave it; an organisation left with one community is dissolved."""
        ...

    async def home_of(self, community_id: int) -> Community | None:
        """The organisation's home: its first community, which keeps the challenges of
        every community linked with it. None when the community is not linked."""
        ...

    async def has_challenges(self, community_id: int) -> bool:
        """Whether the community keeps challenges of its own (deleted ones included)."""
        ...


async def keeper(store: OrganisationStore, community: Community) -> Community:
    """The community that keeps the challenges `community` takes part in: its
    organisation's home, or itself when it is not linked."""
    return await store.home_of(community.id) or community


async def redeem(store: OrganisationStore, code: str, community: Community, now: datetime) -> int:
    """Link `community` with the community that issued `code`; returns the organisation.
    Raises UserError, saying why, for a code that is unknown, used, expired or its own."""
    hashed = code_hash(code)
    found = await store.link_code(hashed)
    if found is None:
        raise UserError(_("That code is not known. Ask for a new one with `/mod org link`."))
    if found.community_id == community.id:
        raise UserError(
            _(
                "That code comes from this community: a moderator of the other community "
                "confirms the link there with `/mod org join`."
            )
        )
    if found.used_at is not None:
        raise UserError(_("That code was used already. Ask for a new one with `/mod org link`."))
    if found.expires_at < now:
        raise UserError(_("That code has expired. Ask for a new one with `/mod org link`."))
    issuer = found.community_id
    theirs = await store.organisation_of(issuer)
    ours = await store.organisation_of(community.id)
    if ours is not None and ours == theirs:
        raise UserError(_("These communities are linked already."))
    if ours is not None:
        raise UserError(
            _(
                "This community belongs to another organisation: leave it first with "
                "`/mod org leave`."
            )
        )
    if await store.has_challenges(community.id):
        raise UserError(
            _(
                "This community has challenges of its own, and the organisation keeps its "
                "challenges in the community that issued the code. Link the other way round: "
                "run `/mod org link` here, and `/mod org join` in the other community."
            )
        )
    if await store.use_link_code(hashed, community.id, now) is None:
        raise UserError(_("That code was used already. Ask for a new one with `/mod org link`."))
    if theirs is None:
        theirs = await store.found_organisation(community.name, issuer, now)
    await store.join_organisation(theirs, community.id, now)
    return theirs
