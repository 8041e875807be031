"""Linked accounts: one person on several platforms of an organisation counts once.

A member asks for a one-time code on one platform (`/cocreate link`); the code reaches
only them, by direct message (or in the private reply when that cannot be sent). They
confirm with it, within the link codes' 15 minutes, from their account on another
community of the same organisation (`/cocreate link CODE`). From then on that account is
one of the person who asked: its reactions vote, its ideas earn and its name ranks as
that person's member (storage keeps the link in `member_links` and hands out the
person's member for the account). What the account did before is merged into the person:
its ideas, reactions, points and badges, and a vote held on both platforms for one idea
counts once, the vote log saying so.

Eligibility (account and member age) stays the account's own: a vote from Slack counts
by the age of the Slack account.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.counting import Counting
from bot.errors import UserError
from bot.i18n import _
from bot.model import Community, Member
from bot.organisations import code_hash, new_link_code

if TYPE_CHECKING:
    from bot.ports import Store

#: What the vote log says of the votes a merge moves from the account to the person's
#: member, or stops counting (the person holds one on both platforms).
EFFECTS = ("linked account", "linked account")


class AccountStore(Protocol):
    """What linking accounts needs from the repository, in the caller's transaction."""

    async def account_id(self, community_id: int, external_id: str) -> int:
        """The member of a platform account itself (not the person it may be linked to)."""
        ...

    async def person_of(self, member_id: int) -> int | None:
        """The person an account is linked to, or None."""
        ...

    async def has_account_in(self, person_id: int, community_id: int) -> bool:
        """Whether the person, or an account linked to them, is a member of the community."""
        ...

    async def accounts_of(self, person_id: int) -> list[Member]:
        """The person's member and every account linked to it (each as itself)."""
        ...

    async def unlink(self, member_ids: Collection[int]) -> None:
        """Forget every link from or to these members."""
        ...

    async def touched(self, member_id: int) -> dict[int, set[int]]:
        """Challenge -> the ideas (family heads) whose count the member's votes or ideas
        move: what a merge must count again."""
        ...

    async def merge(self, member_id: int, person_id: int, now: datetime) -> None:
        """Make `member_id` an account of `person_id`, moving everything it holds."""
        ...


def stored(code: str) -> str:
    """What is kept of an account code: hashed apart from the organisations' link codes
    (the same table), so that neither kind is ever taken for the other."""
    return code_hash(f"account {code_hash(code)}")


async def issue(store: Store, member: Member, community: Community, now: datetime) -> str:
    code = new_link_code()
    await store.organisations.add_link_code(community.id, member.id, stored(code), now)
    return code


async def redeem(
    store: Store,
    counting: Counting,
    code: str,
    account: int,
    here: Community,
    home: Community,
    now: datetime,
) -> int:
    """Link `account` (a member of `here`, as itself) to the person who issued `code` from another
    community of the organisation whose home is `home`. Returns the person's member id;
    raises UserError, saying why, for a code that is unknown, used, expired, from this
    community or from outside the organisation, or for accounts linked already."""
    accounts = store.accounts
    hashed = stored(code)
    found = await store.organisations.link_code(hashed)
    if found is None:
        raise UserError(_("That code is not known. Ask for a new one with `/cocreate link`."))
    if found.used_at is not None:
        raise UserError(_("That code was used already. Ask for a new one with `/cocreate link`."))
    if found.expires_at < now:
        raise UserError(_("That code has expired. Ask for a new one with `/cocreate link`."))
    if found.community_id == here.id:
        raise UserError(
            _(
                "That code comes from this community: confirm it with your account on the "
                "other platform."
            )
        )
    if await store.organisations.home_of(found.community_id) != home:
        raise UserError(
            _(
                "That code comes from a community that is not linked with this one: accounts "
                "link within one organisation (moderators link communities with "
                "`/mod org link`)."
            )
        )
    person = await accounts.person_of(found.created_by) or found.created_by
    if account == person:
        raise UserError(_("These accounts are linked already."))
    if await accounts.person_of(account) is not None or await accounts.has_account_in(
        person, here.id
    ):
        raise UserError(
            _("One of these accounts is linked already: each person has one account per community.")
        )
    if await store.organisations.use_link_code(hashed, here.id, now) is None:
        raise UserError(_("That code was used already. Ask for a new one with `/cocreate link`."))
    await _merge(store, counting, account, person, home, now)
    return person


async def _merge(
    store: Store, counting: Counting, member_id: int, person_id: int, home: Community, now: datetime
) -> None:
    """Merge, recording in each challenge's vote log the votes that moved to the person or
    stopped counting (the person held one on both platforms)."""
    touched = await store.accounts.touched(member_id)
    challenges = {c.id: c for c in await store.challenges_by_ids(touched)}
    await store.lock_ideas({h for heads in touched.values() for h in heads})
    before = {
        c: await counting.counted(store, touched[c], challenge)
        for c, challenge in challenges.items()
    }
    await store.accounts.merge(member_id, person_id, now)
    for challenge_id, challenge in challenges.items():
        heads = touched[challenge_id]
        after = await counting.counted(store, heads, challenge)
        entries = counting.differences(
            before[challenge_id], after, subject=None, action="link", now=now, effects=EFFECTS
        )
        kept_by = (
            home
            if challenge.community_id == home.id
            else await store.community_by_id(challenge.community_id)
        )
        await counting.record(store, kept_by, challenge, entries, await store.ideas_by_ids(heads))
