"""The domain: communities, members, challenges, ideas, votes and badges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


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

    @property
    def public(self) -> bool:
        """Shown to members, ranked, and open to votes."""
        return self not in (
            IdeaStatus.PENDING,
            IdeaStatus.REJECTED,
            IdeaStatus.WITHDRAWN,
            IdeaStatus.MERGED,
        )


#: Statuses shown to members, ranked, and open to votes.
PUBLIC_STATUSES = tuple(s for s in IdeaStatus if s.public)

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
        return BADGE_LABELS[self]


BADGE_LABELS = {
    BadgeKind.SPARK: "💡 Spark",
    BadgeKind.VOICE: "🗳️ Voice",
    BadgeKind.CROWD_FAVOURITE: "🔥 Crowd favourite",
    BadgeKind.GOLD: "🥇 Podium (1st)",
    BadgeKind.SILVER: "🥈 Podium (2nd)",
    BadgeKind.BRONZE: "🥉 Podium (3rd)",
    BadgeKind.SHIPPED: "🚀 Shipped",
    BadgeKind.REGULAR: "📅 Regular",
}

PODIUM = (BadgeKind.GOLD, BadgeKind.SILVER, BadgeKind.BRONZE)

RANKING_RULE = (
    "Ideas are ranked by counted votes, highest first; a tie goes to the idea submitted earlier."
)


@dataclass(frozen=True)
class Community:
    id: int
    platform: str
    external_id: str
    name: str


@dataclass(frozen=True)
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

    @property
    def title(self) -> str:
        return self.settings.title

    def voting_allowed_at(self, at: datetime) -> bool:
        """Votes count from the opening until the close, as it really happened."""
        if self.opened_at is None or at < self.opened_at:
            return False
        return self.closed_at is None or at < self.closed_at


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Standing:
    rank: int
    idea: Idea
    votes: int

    @property
    def on_podium(self) -> bool:
        """First, second or third with at least one vote: a place without votes wins nothing."""
        return self.rank <= 3 and self.votes > 0


@dataclass(frozen=True)
class Badge:
    member_id: int
    kind: BadgeKind
    challenge_id: int | None
    idea_id: int | None
    awarded_at: datetime


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    member_id: int
    display_name: str
    points: int
