"""Members' data: what Cocreate keeps about a member, handed to them as one JSON file
(`/mydata`); forgetting a member (`/forgetme`, `/mod forget`); and deleting the data of a
community that removed the bot, once its grace period is over (`cocreate data purge`).

**The export** is built from sections, each one function registered with `@section`: a new
kind of per-member data (follows, notices, linked accounts) is one more function here and
one more read in `MemberDataStore`.

**Forgetting** keeps the member's row, so that everything that counts stays as it was: their
votes still count, as a pseudonymous voter (the vote log names members by a keyed hash of
that row's id, so its hash chain and the published results stay valid), their ideas stay
under "a former member", their points and badges stay on the boards under that name. What
is deleted is what tells who they were: the display name, the platform's id (replaced by a
random placeholder, which nothing can turn back), the account and membership dates, and
their name or id wherever a text or a document kept it (the moderators' log, posts waiting
to be sent, webhook deliveries, event ids of the vote log). It cannot be undone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.i18n import N_
from bot.model import Community, Member
from bot.ports import PointWeights, Store

#: How a forgotten member is shown everywhere (kept as their name in English; shown with
#: `_(FORMER_MEMBER)`).
FORMER_MEMBER = N_("a former member")
#: The prefix of the placeholder that replaces a forgotten member's platform id.
PLACEHOLDER_PREFIX = "forgotten-"
FORMAT = "cocreate.member-data"
VERSION = 1
#: A confirmation code of /forgetme is good in the window it was given and the next one.
CONFIRM_WINDOW = timedelta(minutes=15)

#: A row of an export section, as the storage reads it: JSON values, and datetimes.
Record = dict[str, Any]


class MemberDataStore(Protocol):
    """What members' data needs from the repository, inside the caller's transaction.
    Every read is about one member (by the row's id), and returns export records."""

    async def member_ideas(self, member_id: int) -> list[Record]: ...
    async def member_votes(self, member_id: int) -> list[Record]: ...
    async def member_vote_log(self, member_id: int) -> list[Record]: ...
    async def member_reactions(self, member_id: int) -> list[Record]: ...
    async def member_weekly_points(self, member_id: int) -> list[Record]: ...
    async def member_received_votes(self, member_id: int) -> list[Record]: ...
    async def member_follows(self, member_id: int) -> list[Record]: ...
    async def member_notices(self, member_id: int) -> list[Record]:
        """Their notice settings (first, when they chose any) and every notice to them."""
        ...

    async def member_badges(self, member_id: int) -> list[Record]: ...
    async def member_voided(self, member_id: int) -> list[Record]: ...
    async def member_moderator_actions(self, member_id: int) -> list[Record]: ...
    async def member_created(self, member_id: int) -> dict[str, list[Record]]:
        """What the member made as a moderator: challenges, API tokens, webhooks, link
        codes (never a secret)."""
        ...

    async def forget_member(
        self, community_id: int, member_id: int, placeholder: str, now: datetime
    ) -> None:
        """Replace the member's personal fields (see the module's docstring), and their
        name and platform id in the stored texts and documents of `community_id` (the one
        that keeps the challenges: an organisation's home for a member of a linked one)."""
        ...

    async def mark_left(self, platform: str, external_id: str, now: datetime) -> bool:
        """The bot was removed from this community; False when it is not known (or already
        marked)."""
        ...

    async def mark_present(self, platform: str, external_ids: Collection[str]) -> int:
        """The bot is in these communities: those marked as left are not any more."""
        ...

    async def left_before(self, cutoff: datetime) -> list[tuple[int, str, str, datetime]]:
        """(id, platform, external id, left at) of the communities left before `cutoff`."""
        ...

    async def shared(self, community_id: int) -> bool:
        """Whether the community is linked into an organisation, or its members took part
        in another community's challenges (an organisation's, before it left): their
        ideas and votes are in results that others keep."""
        ...

    async def purge_community(self, community_id: int) -> int:
        """Delete everything of one community, the community included; returns the rows."""
        ...


# -- the export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Whose data is exported, read in one transaction."""

    store: Store
    data: MemberDataStore
    community: Community
    member: Member
    weights: PointWeights
    now: datetime


Section = Callable[[Subject], Awaitable[object]]

#: The export's sections, in the file's order: name -> what reads it.
SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    """Register a section of the export (one function per kind of per-member data)."""

    def register(read: Section) -> Section:
        if name in SECTIONS:
            raise ValueError(f"export section {name!r} declared twice")
        SECTIONS[name] = read
        return read

    return register


@section("member")
async def _member(s: Subject) -> object:
    m = s.member
    return {
        "platform_id": m.external_id,
        "display_name": m.display_name,
        "first_seen_at": m.first_seen_at,
        "account_created_at": m.account_created_at,
        "joined_at": m.joined_at,
        "blocked": m.blocked,
    }


@section("ideas")
async def _ideas(s: Subject) -> object:
    return await s.data.member_ideas(s.member.id)


@section("votes")
async def _votes(s: Subject) -> object:
    return await s.data.member_votes(s.member.id)


@section("vote_log")
async def _vote_log(s: Subject) -> object:
    """Every reaction of theirs and what it did (counted, ignored and why, removed…)."""
    return await s.data.member_vote_log(s.member.id)


@section("reactions")
async def _reactions(s: Subject) -> object:
    return await s.data.member_reactions(s.member.id)


@section("points")
async def _points(s: Subject) -> object:
    public, total = await s.store.member_points(s.community.id, s.member.id, s.weights)
    return {
        "all_time": total,
        "shown_to_others": public,
        "weeks": await s.data.member_weekly_points(s.member.id),
        "votes_received": await s.data.member_received_votes(s.member.id),
    }


@section("linked_accounts")
async def _linked_accounts(s: Subject) -> object:
    """Their accounts on the organisation's other platforms, counted as one person."""
    accounts = await s.store.accounts.accounts_of(s.member.id)
    return [
        {
            "community_id": a.community_id,
            "platform_id": a.external_id,
            "display_name": a.display_name,
        }
        for a in accounts
        if len(accounts) > 1
    ]


@section("follows")
async def _follows(s: Subject) -> object:
    """Ideas they follow (or chose not to: `following` false)."""
    return await s.data.member_follows(s.member.id)


@section("notices")
async def _notices(s: Subject) -> object:
    return await s.data.member_notices(s.member.id)


@section("badges")
async def _badges(s: Subject) -> object:
    return await s.data.member_badges(s.member.id)


@section("voided_votes")
async def _voided(s: Subject) -> object:
    """Challenges where a moderator set their votes aside."""
    return await s.data.member_voided(s.member.id)


@section("moderator_actions")
async def _actions(s: Subject) -> object:
    return await s.data.member_moderator_actions(s.member.id)


@section("created")
async def _created(s: Subject) -> object:
    return await s.data.member_created(s.member.id)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def export(subject: Subject) -> dict[str, object]:
    """Everything kept about the member, section by section."""
    out: dict[str, object] = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": subject.now,
        "community": {
            "platform": subject.community.platform,
            "id": subject.community.external_id,
            "name": subject.community.name,
        },
    }
    for name, read in SECTIONS.items():
        out[name] = await read(subject)
    return {k: _jsonable(v) for k, v in out.items()}


def export_file(document: Mapping[str, object]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


# -- forgetting -----------------------------------------------------------------------------


def new_placeholder() -> str:
    """What replaces a forgotten member's platform id: random, so nothing leads back."""
    return PLACEHOLDER_PREFIX + secrets.token_hex(16)


def is_forgotten(member: Member) -> bool:
    return member.external_id.startswith(PLACEHOLDER_PREFIX)


def confirmation_code(key: str, member_id: int, now: datetime, *, previous: bool = False) -> str:
    """The code that confirms forgetting this member: keyed with the community's secret,
    so only the bot can make it, and good for `CONFIRM_WINDOW` to twice that."""
    window = int(now.timestamp() // CONFIRM_WINDOW.total_seconds()) - int(previous)
    digest = hmac.new(key.encode(), f"forget:{member_id}:{window}".encode(), hashlib.sha256)
    return digest.hexdigest()[:6].upper()


def code_matches(key: str, member_id: int, now: datetime, typed: str) -> bool:
    # As bytes: `compare_digest` refuses str with characters beyond ASCII ("“").
    given = typed.strip().upper().encode()
    return any(
        hmac.compare_digest(given, confirmation_code(key, member_id, now, previous=p).encode())
        for p in (False, True)
    )


def _pattern(needles: Collection[str]) -> re.Pattern[str] | None:
    words = sorted({n for n in needles if n.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def scrub_text(text: str, name: str, external_id: str, placeholder: str) -> str:
    """A stored text with the member's platform id and name replaced (whole words only)."""
    ident = _pattern([external_id])
    if ident is not None:
        text = ident.sub(placeholder, text)
    named = _pattern([name])
    return named.sub(FORMER_MEMBER, text) if named is not None else text


def scrub_document(text: str, name: str, external_id: str, placeholder: str) -> str:
    """A stored JSON document (a webhook event, a post waiting to be sent) with the member
    replaced: a person object of theirs (`{"id": …, "name": …}`) names the former member,
    and every string loses their name and id."""
    try:
        data = json.loads(text)
    except ValueError:
        return scrub_text(text, name, external_id, placeholder)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("id") == external_id:
                value = {**value, "id": placeholder}
                if "name" in value:
                    value["name"] = FORMER_MEMBER
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return scrub_text(value, name, external_id, placeholder)
        return value

    return json.dumps(walk(data), ensure_ascii=False)


def mentions(text: str | None, name: str, external_id: str) -> bool:
    if not text:
        return False
    pattern = _pattern([name, external_id])
    return pattern is not None and pattern.search(text) is not None
