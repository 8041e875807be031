"""Badge news: each badge's platform is told of it (a Discord role, a Slack message), as a
follow-up of its award (`bot.followups`): told even when the first try fails or the
process dies before it.

`Rewards` owes the news in the transaction that awards the badge, unless the badge was
earned with an anonymous idea: a role appearing would name the author. A badge that is
gone by then (merged into a linked account's), or whose member or platform is, has
nothing to tell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from bot import i18n
from bot.errors import failure
from bot.followups import FollowUp
from bot.model import BadgeKind
from bot.ports import Database, Publisher

#: The follow-ups' kind.
KIND = "badge"


class Awarded(NamedTuple):
    """Who holds a badge, where."""

    community_id: int
    member_id: int
    kind: BadgeKind


class BadgeNews:
    def __init__(self, db: Database, publishers: Mapping[str, Publisher]) -> None:
        self.db = db
        self.publishers = publishers

    async def tell(self, batch: Sequence[FollowUp]) -> dict[int, str]:
        """Tell the platforms of these badges; returns why each that failed did."""
        async with self.db.transaction() as store:
            found = await store.badges_by_ids([f.ref for f in batch])
            members = await store.members_by_ids({b.member_id for b in found.values()})
            communities = await store.communities_by_ids(b.community_id for b in found.values())
        failed: dict[int, str] = {}
        for badge_id, badge in found.items():
            community = communities[badge.community_id]
            publisher = self.publishers.get(community.platform)
            member = members.get(badge.member_id)
            if publisher is None or member is None:
                continue
            try:
                # a message to them: in their language
                with i18n.speaking(member.reads(community)):
                    await publisher.badge_awarded(community.ref, member.external_id, badge.kind)
            except Exception as err:
                failed[badge_id] = failure(err)
        return failed
