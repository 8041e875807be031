"""The domain: communities, members, challenges, ideas, votes and badges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot import i18n
from bot.i18n import N_, _
from bot.messages import CommunityRef


class Phase(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    VOTING = "voting"
    CLOSED = "closed"

    @property
    def accepts_ideas(self) -> bool:
        return self is Phase.OPEN

    @property
    def running(self) -> bool:
        return self in (Phase.OPEN, Phase.VOTING)


class IdeaStatus(StrEnum):
    PENDING = "pending review"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"
    SHORTLISTED = "shortlisted"
    PLANNED = "planned"
    IN_PROGRESS = "in progress"
    IMPLEMENTED = "implemented"
    DECLINED = "declined"
    #: captured from someone else's message: held until its author confirms
    AWAITING_AUTHOR = "awaiting author"

    @property
    def public(self) -> bool:
        """Shown to members, ranked, and open to votes."""
        return self not in _HIDDEN


_HIDDEN = frozenset(
    {
        IdeaStatus.PENDING,
        IdeaStatus.REJECTED,
        IdeaStatus.WITHDRAWN,
        IdeaStatus.MERGED,
        IdeaStatus.AWAITING_AUTHOR,
    }
)


#: Statuses shown to members, ranked, and open to votes.
PUBLIC_STATUSES = tuple(s for s in IdeaStatus if s.public)

#: Statuses that say what became of an idea: what "You said, we did" reports (bot/loop.py).
ROADMAP_STATUSES = (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.IMPLEMENTED)

#: How often a challenge may repeat (`repeat:` of /challenge create and edit).
REPEATS = ("weekly", "monthly", "quarterly")

#: Statuses a moderator may set with `/mod status`; the others have their own commands.
SETTABLE_STATUSES = (
    IdeaStatus.PUBLISHED,
    IdeaStatus.SHORTLISTED,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
    IdeaStatus.IMPLEMENTED,
    IdeaStatus.DECLINED,
)


class BadgeKind(StrEnum):
    SPARK = "spark"
    VOICE = "voice"
    CROWD_FAVOURITE = "crowd"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    SHIPPED = "shipped"
    REGULAR = "regular"

    @property
    def label(self) -> str:
        """The badge's name, in the language in force (`BADGE_LABELS` has the English)."""
        return _(BADGE_LABELS[self])


BADGE_LABELS = {
    BadgeKind.SPARK: N_("💡 Spark"),
    BadgeKind.VOICE: N_("🗳️ Voice"),
    BadgeKind.CROWD_FAVOURITE: N_("🔥 Crowd favourite"),
    BadgeKind.GOLD: N_("🥇 Podium (1st)"),
    BadgeKind.SILVER: N_("🥈 Podium (2nd)"),
    BadgeKind.BRONZE: N_("🥉 Podium (3rd)"),
    BadgeKind.SHIPPED: N_("🚀 Shipped"),
    BadgeKind.REGULAR: N_("📅 Regular"),
}

PODIUM = (BadgeKind.GOLD, BadgeKind.SILVER, BadgeKind.BRONZE)

#: Shown translated: `_(RANKING_RULE)`, `_(PODIUM_RULE)`.
RANKING_RULE = N_(
    "Ideas are ranked by counted votes, highest first; a tie goes to the idea submitted earlier."
)
PODIUM_RULE = N_(
    "Podium places go to the first three ideas with votes, one place per member; "
    "the next idea moves up."
)


@dataclass(frozen=True)
class Community:
    id: int
    platform: str
    external_id: str
    name: str
    #: the key of members' pseudonyms in its shareable vote logs
    audit_key: str = ""
    #: the language of its public posts and of members who chose none (None: English)
    locale: str | None = None

    @property
    def ref(self) -> CommunityRef:
        """The community as its platform names it (what publishers take)."""
        return CommunityRef(self.platform, self.external_id, self.name)


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    community_id: int
    external_id: str
    display_name: str
    is_bot: bool
    first_seen_at: datetime
    account_created_at: datetime | None
    joined_at: datetime | None
    blocked: bool
    #: the language the member chose (`/cocreate language`), and the one their platform
    #: last reported for them; None: not known
    locale: str | None = None
    platform_locale: str | None = None

    def reads(self, community: Community) -> str:
        """The language to write to them in when they are not asking (a notice, a direct
        message): their choice, else what their platform last reported, else the
        community's."""
        return i18n.resolve(self.locale, self.platform_locale, community.locale)


@dataclass(frozen=True)
class ChallengeSettings:
    """Everything a moderator configures on a challenge."""

    title: str
    brief: str
    terms: str | None
    submissions_close: str | None
    voting_close: str | None
    vote_emoji: str
    ideas_per_member: int
    review: bool
    self_votes: bool
    min_account_age: timedelta
    min_member_age: timedelta
    sealed: bool
    schedule: str
    timezone: str
    report_venue: str | None
    #: whether one member may hold more than one podium place
    multiple_places: bool = False
    #: "weekly", "monthly" or "quarterly": the next round is made when it closes
    repeat: str | None = None
    #: how long before each deadline the venues are reminded; None: the configured
    #: default (`scheduler.reminder_hours`), zero: no reminders
    reminder: timedelta | None = None


@dataclass(frozen=True)
class Challenge:
    id: int
    community_id: int
    slug: str
    phase: Phase
    settings: ChallengeSettings
    venues: tuple[str, ...]
    created_by: int
    created_at: datetime
    opened_at: datetime | None
    submissions_close_at: datetime | None
    voting_close_at: datetime | None
    closed_at: datetime | None
    #: a repeating challenge's round (1 for the first), and the round before it
    round: int = 1
    previous_id: int | None = None
    #: a draft that the agenda opens at this time (the next round of a repeating one)
    opens_at: datetime | None = None

    @property
    def title(self) -> str:
        return self.settings.title

    def voting_allowed_at(self, at: datetime) -> bool:
        """Votes count from the opening until the close, as it really happened."""
        if self.opened_at is None or at < self.opened_at:
            return False
        return self.closed_at is None or at < self.closed_at


# Slots: full standings and exports hold every idea of a challenge (100,000 in
# bench/results.py, where slots took the peak RSS from 210 MB to 200).
@dataclass(frozen=True, slots=True)
class Idea:
    id: int
    community_id: int
    challenge_id: int
    number: int
    title: str
    description: str
    author_id: int
    anonymous: bool
    status: IdeaStatus
    status_note: str | None
    merged_into_id: int | None
    vote_count: int
    submitted_at: datetime
    published_at: datetime | None
    first_foreign_vote_at: datetime | None
    #: a captured idea's link back to the chat message it came from
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    idea: Idea
    votes: int
    #: 1, 2 or 3 on the podium, else None (see `podium_places`)
    place: int | None = None

    @property
    def on_podium(self) -> bool:
        return self.place is not None


def podium_places(ranked: Sequence[Standing], multiple_places: bool) -> list[Standing]:
    """The standings with their podium places: the first three ideas with at least one vote,
    a member holding at most one place unless the challenge allows more (the next idea
    moves up). A place without votes wins nothing."""
    out, placed, place = [], set(), 0
    for s in ranked:
        if place < 3 and s.votes > 0 and (multiple_places or s.idea.author_id not in placed):
            place += 1
            placed.add(s.idea.author_id)
            out.append(replace(s, place=place))
        else:
            out.append(s)
    return out


@dataclass(frozen=True)
class Badge:
    member_id: int
    kind: BadgeKind
    challenge_id: int | None
    idea_id: int | None
    awarded_at: datetime

    @property
    def per_idea(self) -> bool:
        """Awarded once per idea (🔥, 🚀), so it names its idea."""
        return self.kind in (BadgeKind.CROWD_FAVOURITE, BadgeKind.SHIPPED)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    member_id: int
    display_name: str
    points: int
