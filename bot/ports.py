"""The interfaces the core owns and the outside implements: storage, publishing, time."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.conversations import ConversationStore
from bot.messages import (
    Actor,
    Attachment,
    Card,
    CommunityRef,
    IdeaPostRef,
    Invocation,
    Post,
    PostReceipt,
    ReactionEvent,
    ReactionOutcome,
    Reply,
    ThreadActivity,
    ThreadRef,
)
from bot.model import (
    Badge,
    BadgeKind,
    Challenge,
    ChallengeSettings,
    Community,
    Idea,
    IdeaStatus,
    LeaderboardRow,
    Member,
    Phase,
)
from bot.text import Candidates
from bot.tokens import ApiTokenStore
from bot.webhooks.ports import WebhookStore

if TYPE_CHECKING:
    from bot.accounts import AccountStore
    from bot.agenda import Agenda
    from bot.badge_news import Awarded
    from bot.finding import IdeaFinder
    from bot.followups import FollowupStore
    from bot.loop import LoopStore
    from bot.member_data import MemberDataStore
    from bot.metrics import Metrics
    from bot.organisations import OrganisationStore
    from bot.rounds import RoundStore
    from bot.tasks import Background


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SteerableClock(Clock, Protocol):
    """A clock that can be moved forward (tests, demos, the console's `:advance`)."""

    def advance_to(self, when: datetime) -> None: ...


class Publisher(Protocol):
    """Sends a post to a channel of one platform and says where it landed."""

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt: ...

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        """A member earned a badge (Discord grants a configured role, for example)."""
        ...

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        """Re-render a post in place (an idea edited, merged or given a new status)."""
        ...

    # -- conversations (bot/conversations.py) ----------------------------------------

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        """Open the conversation of an idea post that `publish` did not open one for (a
        forum post is one already); None where the platform has none."""
        ...

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        """A message in a thread, pinging nobody."""
        ...

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """A direct message to a member, with files (their data export); returns where it
        went as the member would say it ("your direct messages", a file's path). Raises
        `DirectMessageClosed` when the member cannot get one (any other error is worth
        trying again)."""
        ...

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        """Keep a forum post's status tag in step (creating the tag if missing); nothing
        for other threads."""
        ...

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        """Replies and repliers, as the platform counts them (no message is read)."""
        ...


@dataclass(frozen=True)
class PostTarget:
    post_id: int
    idea_id: int
    challenge_id: int


@dataclass(frozen=True)
class ReactionState:
    """Whether a member's vote reaction, in one variant (its skin tones, "" for none), is
    on one post, as of the latest change applied.

    `changed_at` is the platform's time of the latest event applied (None when only a
    reactor list read back from the platform set it); `seen_at` is our time of the
    latest change: when that event arrived, or when that list was asked for (`synced`).
    """

    post_id: int
    idea_id: int
    member_id: int
    variant: str
    present: bool
    changed_at: datetime | None
    seen_at: datetime
    synced: bool = False


@dataclass(frozen=True)
class LogEntry:
    """An entry of a challenge's vote log (bot/votelog.py). `counted` is what it did to the
    counted votes of `credited_idea_id` (+1, -1 or 0); `seq` and `hash` are given when it
    is chained."""

    event_id: str | None
    post_id: int | None
    idea_id: int
    member_id: int
    action: str
    emoji: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    effect: str
    counted: int = 0
    credited_idea_id: int | None = None
    challenge_id: int = 0
    seq: int = 0
    hash: str = ""


@dataclass(frozen=True)
class VoteRow:
    idea_id: int
    member_id: int
    challenge_id: int
    cast_at: datetime
    week: str
    #: voided by a moderator: kept, so that it can be restored, but not counted
    voided: bool = False


@dataclass(frozen=True)
class RecentVote:
    """A counted vote an idea gained, with what the platform said of the voter's age."""

    member_id: int
    display_name: str
    at: datetime
    account_created_at: datetime | None
    joined_at: datetime | None


@dataclass(frozen=True)
class PointsDelta:
    member_id: int
    week: str
    ideas_published: int = 0
    votes_cast: int = 0
    bonus: int = 0
    #: earned with an anonymous idea: shown to the member and to moderators only
    private: bool = False


@dataclass(frozen=True)
class Received:
    """Counted votes credited to an idea's author in a week (from the vote log)."""

    member_id: int
    week: str
    private: bool
    votes: int


@dataclass(frozen=True)
class PointWeights:
    idea_published: int
    vote_received: int
    vote_cast: int
    vote_cast_weekly_cap: int


@dataclass(frozen=True)
class AuditEntry:
    actor_id: int
    action: str
    target: str
    detail: str
    at: datetime
    #: the linked community the action was taken from (None: the challenge's own)
    source_id: int | None = None


@dataclass(frozen=True)
class ScheduledPost:
    """A post the agenda claimed by its key (challenge, kind, period)."""

    id: int
    challenge_id: int
    kind: str
    period: str
    due_at: datetime
    state: str
    attempts: int
    claimed_at: datetime
    next_attempt_at: datetime | None
    #: "channel message" of each venue already sent to, so a retry skips them
    message_ids: tuple[str, ...] = ()
    #: what a command's post says (JSON); None for a scheduled post, built when sent
    payload: str | None = None
    last_error: str | None = None
    #: when the moderators were told that it keeps failing
    notified_at: datetime | None = None
    #: the process that claimed it ("host:pid:tag")
    claimed_by: str = ""


@dataclass(frozen=True)
class ExportRow:
    number: int
    title: str
    description: str
    status: IdeaStatus
    status_note: str | None
    merged_into: int | None
    votes: int
    author: str
    author_id: str
    anonymous: bool
    submitted_at: datetime
    published_at: datetime | None
    updated_at: datetime
    posts: int


class Store(ApiTokenStore, Protocol):
    """The repository: everything the core reads and writes, inside one transaction."""

    @property
    def organisations(self) -> OrganisationStore:
        """Organisations and their link codes, in this transaction."""
        ...

    @property
    def accounts(self) -> AccountStore:
        """Linked accounts of one person, in this transaction."""
        ...

    @property
    def webhooks(self) -> WebhookStore:
        """The webhooks' endpoints and outbox, in this transaction."""
        ...

    @property
    def finding(self) -> IdeaFinder:
        """Ideas across a community: yours, by status, by words, the roadmap."""
        ...

    @property
    def member_data(self) -> MemberDataStore:
        """Members' data: their export, forgetting them, communities that left."""
        ...

    @property
    def rounds(self) -> RoundStore:
        """The rounds of repeating challenges, in this transaction."""
        ...

    @property
    def loop(self) -> LoopStore:
        """The "You said, we did" posts, in this transaction."""
        ...

    @property
    def conversations(self) -> ConversationStore:
        """Ideas' threads, their activity, follows and notices, in this transaction."""
        ...

    @property
    def followups(self) -> FollowupStore:
        """Work owed to the platforms once a change has committed, in this transaction."""
        ...

    async def community(self, ref: CommunityRef, now: datetime) -> Community: ...
    async def find_community(self, ref: CommunityRef) -> Community | None: ...
    async def community_by_id(self, community_id: int) -> Community: ...
    async def communities_by_ids(self, ids: Iterable[int]) -> dict[int, Community]:
        """These communities by id, each read once (an organisation's venues are on several)."""
        ...

    async def set_community_locale(self, community_id: int, locale: str | None) -> None: ...
    async def set_member_locale(self, member_id: int, locale: str | None) -> None: ...
    async def ensure_members(
        self, community_id: int, actors: Collection[Actor], now: datetime
    ) -> dict[str, Member]: ...
    async def member_by_external(self, community_id: int, external_id: str) -> Member | None: ...
    async def members_named(self, community_id: int, name: str) -> list[Member]:
        """Members by display name, as `member_by_external` gives them (linked: the person)."""
        ...

    async def members_by_ids(self, ids: Collection[int]) -> dict[int, Member]: ...
    async def set_blocked(self, member_id: int, blocked: bool) -> None: ...

    async def add_challenge(
        self,
        community_id: int,
        slug: str,
        settings: ChallengeSettings,
        venue_ids: Sequence[str],
        created_by: int,
        now: datetime,
    ) -> int: ...
    async def update_challenge(self, challenge_id: int, settings: ChallengeSettings) -> None: ...
    async def set_venues(self, challenge_id: int, venue_ids: Sequence[str]) -> None: ...
    async def challenges(self, community_id: int) -> list[Challenge]: ...
    async def slug_taken(self, community_id: int, slug: str) -> bool: ...
    async def set_phase(
        self, challenge_id: int, phase: Phase, **times: datetime | None
    ) -> None: ...
    async def delete_challenge(self, challenge_id: int, now: datetime) -> None: ...

    async def take_idea_number(self, community_id: int) -> int: ...
    async def add_idea(self, values: Mapping[str, Any]) -> Idea: ...
    async def idea(self, idea_id: int) -> Idea | None: ...
    async def idea_by_number(self, community_id: int, number: int) -> Idea | None: ...
    async def ideas_by_ids(self, ids: Collection[int]) -> dict[int, Idea]: ...
    async def ideas(
        self,
        challenge_id: int,
        statuses: Collection[IdeaStatus] | None = None,
        *,
        newest_first: bool = False,
        ranked: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Idea]: ...
    async def idea_texts(
        self, challenge_id: int, statuses: Collection[IdeaStatus]
    ) -> Candidates[int]:
        """(number, "title description") of the challenge's ideas, oldest first, prepared
        for the duplicate hint: what it compares, without loading whole ideas. The same
        object serves later calls; callers only read it."""

    async def ideas_after(
        self, challenge_id: int, statuses: Collection[IdeaStatus], after: int, limit: int
    ) -> list[Idea]:
        """Up to `limit` of the challenge's ideas numbered above `after`, by number (the
        REST API's pages)."""
        ...

    async def count_ideas(
        self, challenge_id: int, statuses: Collection[IdeaStatus], author_id: int | None = None
    ) -> int: ...
    async def idea_page(
        self,
        challenge_id: int,
        statuses: Collection[IdeaStatus],
        *,
        newest_first: bool,
        limit: int,
        offset: int = 0,
    ) -> list[Idea]:
        """A page of the ideas ranked (most votes first), or newest first."""
        ...

    async def has_published_idea(self, community_id: int, author_id: int) -> bool: ...
    async def update_idea(self, idea_id: int, **values: Any) -> None: ...
    async def mark_first_foreign_votes(self, first: Mapping[int, datetime]) -> None:
        """Record when each idea got its first vote from someone other than its author,
        where none is recorded yet."""

    async def family(self, head_id: int) -> list[int]: ...

    async def add_idea_post(
        self, community_id: int, idea_id: int, channel_id: str, message_id: str, now: datetime
    ) -> None: ...
    async def claim_command_post(
        self, challenge_id: int, kind: str, period: str, now: datetime, by: str, payload: str
    ) -> int | None:
        """`claim_post` of a command's post (due and claimed now, by `by`)."""
        ...

    async def posts_by_message(
        self, community_id: int, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], PostTarget]: ...
    async def idea_post_messages(self, idea_id: int) -> list[tuple[int, str, str]]:
        """(community, channel, message) of each post of the idea, in every venue."""
        ...

    async def post_floors(self, idea_ids: Collection[int]) -> dict[int, datetime]: ...
    async def raise_post_floors(self, floors: Mapping[int, datetime]) -> None: ...
    async def idea_post_refs(
        self,
        platform: str,
        *,
        challenge_id: int | None = None,
        closed_since: datetime | None = None,
    ) -> list[IdeaPostRef]: ...

    async def idea_post_refs_for(
        self, keys: Collection[tuple[str, str, str, str]]
    ) -> list[IdeaPostRef]: ...

    async def seen_event_ids(self, community_id: int, event_ids: Collection[str]) -> set[str]: ...
    async def reaction_states(
        self, idea_ids: Collection[int], member_ids: Collection[int] | None
    ) -> list[ReactionState]: ...
    async def save_reaction_states(self, states: Sequence[ReactionState]) -> None: ...
    async def lock_ideas(self, idea_ids: Collection[int]) -> dict[int, int | None]:
        """Hold these ideas until the transaction ends, so that processes sharing the
        database decide their votes one at a time; returns what each is merged into."""
        ...

    async def seen_before(
        self, keys: Sequence[str], now: datetime, forget_before: datetime | None
    ) -> list[str]:
        """Record a request's keys; those that were recorded already. `forget_before`:
        first forget the keys recorded before that time."""
        ...

    async def append_reaction_log(self, community_id: int, entries: Sequence[LogEntry]) -> None: ...
    async def reaction_log(self, community_id: int) -> list[LogEntry]: ...
    async def lock_chain(self, challenge_id: int) -> tuple[int, str]:
        """(entries, head hash) of a challenge's vote log, held until the transaction ends."""
        ...

    async def set_chain(self, challenge_id: int, entries: int, head: str) -> None: ...
    async def chain(self, challenge_id: int) -> tuple[int, str]: ...
    async def vote_log(self, challenge_id: int) -> list[LogEntry]: ...
    async def counted_log(self, challenge_id: int) -> list[tuple[int, datetime, int]]: ...
    async def log_figures(
        self, challenge_id: int, start: datetime, end: datetime
    ) -> tuple[int, int, int]: ...
    async def family_of(self, heads: Collection[int]) -> dict[int, list[int]]: ...
    async def family_voters(self, heads: Collection[int]) -> dict[int, set[int]]: ...
    async def add_vote_counts(self, deltas: Mapping[int, int]) -> None: ...
    async def log_held(self, head: int) -> dict[int, int]: ...
    async def set_vote_count(self, idea_id: int, count: int) -> None: ...
    async def voided_members(
        self, challenge_ids: Collection[int], member_ids: Collection[int]
    ) -> set[tuple[int, int]]: ...
    async def set_void(
        self, challenge_id: int, member_id: int, by: int | None, now: datetime
    ) -> list[VoteRow]: ...
    async def member_votes(self, challenge_id: int, member_id: int) -> list[VoteRow]: ...
    async def recent_gains(
        self, heads: Collection[int], since: datetime, source: str
    ) -> dict[int, list[RecentVote]]: ...
    async def counted_votes(self, challenge_id: int) -> tuple[int, int]: ...
    async def add_received(
        self, community_id: int, challenge_id: int, rows: Sequence[Received]
    ) -> None: ...
    async def replace_received(
        self, community_id: int, challenge_id: int, rows: Sequence[Received]
    ) -> None: ...
    async def votes_for(
        self, idea_ids: Collection[int], member_ids: Collection[int]
    ) -> dict[tuple[int, int], VoteRow]: ...
    async def add_votes(self, rows: Sequence[VoteRow]) -> None: ...
    async def remove_votes(self, pairs: Sequence[tuple[int, int]]) -> None: ...
    async def vote_counts_by_member(
        self, challenge_id: int, member_ids: Collection[int]
    ) -> dict[int, int]: ...
    async def voters(self, idea_ids: Collection[int]) -> list[VoteRow]: ...
    async def challenge_participation(self, challenge_id: int) -> tuple[int, int]: ...

    async def add_points(self, community_id: int, deltas: Sequence[PointsDelta]) -> None: ...
    async def active_weeks(
        self, community_id: int, member_ids: Collection[int], weeks: Collection[str]
    ) -> dict[int, set[str]]: ...
    async def leaderboard(
        self,
        community_id: int,
        weights: PointWeights,
        first_week: str | None,
        last_week: str | None,
        limit: int,
        offset: int = 0,
    ) -> list[LeaderboardRow]: ...
    async def leaderboard_of(
        self,
        community_id: int,
        weights: PointWeights,
        first_week: str | None,
        last_week: str | None,
        limit: int,
        member_id: int,
    ) -> tuple[list[LeaderboardRow], LeaderboardRow | None, int]:
        """The first `limit` rows of the leaderboard, this member's row (None without
        points), and how many members have points."""
        ...

    async def member_points(
        self, community_id: int, member_id: int, weights: PointWeights
    ) -> tuple[int, int]:
        """(as others see them, in all): points earned with anonymous ideas are private."""
        ...

    async def awarded_keys(self, community_id: int, keys: Collection[str]) -> set[str]: ...
    async def award(
        self,
        community_id: int,
        member_id: int,
        kind: BadgeKind,
        key: str,
        now: datetime,
        challenge_id: int | None = None,
        idea_id: int | None = None,
    ) -> int | None:
        """Award a badge once per key: its id, or None when it was already awarded."""
        ...

    async def badges_by_ids(self, ids: Collection[int]) -> dict[int, Awarded]:
        """Who holds these badges (those that still exist), where."""
        ...

    async def badges(
        self, community_id: int, member_id: int | None = None, challenge_id: int | None = None
    ) -> list[Badge]: ...
    async def live_challenges(
        self, closed_since: datetime, community_id: int | None = None
    ) -> list[Challenge]: ...
    async def challenges_by_ids(
        self, ids: Collection[int], *, with_venues: bool = True
    ) -> list[Challenge]:
        """These challenges, unless deleted, whichever community keeps them (an idea post
        in a linked community names a challenge of the organisation's home)."""
        ...

    async def advance_phase(
        self, challenge_id: int, from_phases: Collection[Phase], to: Phase, **times: datetime | None
    ) -> bool: ...
    async def scheduled_posts(self, challenge_ids: Collection[int]) -> list[ScheduledPost]: ...
    async def claim_post(
        self,
        challenge_id: int,
        kind: str,
        period: str,
        due_at: datetime,
        by: str,
        now: datetime,
        state: str = "claimed",
        payload: str | None = None,
    ) -> int | None: ...
    async def reclaim_post(
        self, post_id: int, seen_state: str, seen_claim: datetime, by: str, now: datetime
    ) -> bool: ...
    async def finish_post(
        self,
        post_id: int,
        state: str,
        *,
        attempts: int,
        sent_at: datetime | None = None,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None: ...
    async def posts_by_ids(self, ids: Collection[int]) -> list[ScheduledPost]: ...
    async def pending_posts(self) -> list[ScheduledPost]: ...
    async def post_progress(
        self, post_id: int, message_ids: Sequence[str], sent_at: datetime | None
    ) -> None:
        """Record the venues sent to so far; with `sent_at`, the post is sent."""
        ...

    async def post_notified(self, post_id: int, at: datetime) -> None: ...
    async def renew_claim(self, post_id: int, by: str, now: datetime) -> None: ...
    async def unsent_posts(self, community_id: int) -> list[ScheduledPost]:
        """The community's posts waiting for a retry, being sent, or given up on."""
        ...

    async def set_post_state(
        self,
        community_id: int,
        post_id: int,
        from_states: Collection[str],
        to: str,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Move a post of this community on, only from these states."""
        ...

    async def ideas_published(self, challenge_id: int, start: datetime, end: datetime) -> int: ...
    async def rising(
        self, challenge_id: int, start: datetime, end: datetime, limit: int
    ) -> list[tuple[int, int]]: ...
    async def contributors(
        self, challenge_id: int, start: datetime, end: datetime
    ) -> tuple[set[int], set[int]]:
        """(members who took part in [start, end), those of them who took part in an
        earlier challenge of the community)."""
        ...

    async def activity_times(self, challenge_id: int) -> tuple[list[datetime], list[datetime]]: ...
    async def export_rows(self, challenge_id: int) -> list[ExportRow]: ...

    async def audit(self, community_id: int, entry: AuditEntry) -> None: ...
    async def audit_entries(self, community_id: int, limit: int = 50) -> list[AuditEntry]: ...


class Reconciler(Protocol):
    """Reads who reacts to idea posts on the platform, and hands the lists to
    `Cocreate.reconcile`."""

    async def refresh_reactions(
        self, posts: Sequence[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        """`as_of` is the time the lists count for (just before a close), else now."""
        ...


class Service(Protocol):
    """Something a running Cocreate starts and stops: a platform, the timer, the server."""

    name: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Platform(Service, Protocol):
    """A chat platform adapter, started and stopped by the composition root."""

    async def connected(self) -> bool:
        """Whether it is connected to its platform now (for readiness)."""
        ...


class Records(Protocol):
    """A platform adapter's own small records (installations, one-time states), kept by
    the core's storage under the adapter's name: text values by (scope, key), each with an
    optional expiry. An expired record is never returned."""

    async def put(
        self, scope: str, key: str, value: str, *, expires_at: datetime | None = None
    ) -> None:
        """Create or replace one record."""
        ...

    async def get(self, scope: str, key: str) -> str | None: ...
    async def delete(self, scope: str, key: str | None = None) -> int:
        """Delete one record, or the whole scope when `key` is None; returns how many."""
        ...

    async def take(self, scope: str, key: str) -> str | None:
        """Delete and return an unexpired record: one caller gets it, in any process."""
        ...


class Database(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Store]: ...
    def records(self, owner: str, clock: Clock) -> Records:
        """The records of one adapter (its name)."""
        ...

    async def answers(self) -> bool: ...
    def pool_status(self) -> dict[str, int]: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class ReconcileResult:
    added: int
    removed: int


class Core(Protocol):
    """What the core offers adapters, and all that they may use of it."""

    @property
    def clock(self) -> Clock: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def agenda(self) -> Agenda:
        """The console's `:advance` runs what falls due through it."""
        ...

    def records(self, owner: str) -> Records:
        """The adapter's own records, by its name (`slack`)."""
        ...

    def add_publisher(self, platform: str, publisher: Publisher) -> None: ...
    def task_group(self, name: str, limit: int = ...) -> Background:
        """A group for the adapter's background work: bounded, logged, drained with the
        core's own."""
        ...

    def add_reconciler(self, platform: str, reconciler: Reconciler) -> None: ...
    async def community_left(self, community: CommunityRef) -> None:
        """The platform says the bot was removed from this community (Slack's
        app_uninstalled, Discord's guild left): its data is deleted after the grace period
        (`data.left_grace_days`) unless it comes back."""
        ...

    async def communities_present(self, platform: str, external_ids: Collection[str]) -> int:
        """The bot is in these communities (joined again, or found there at a start): any of
        them marked as left is not any more. Returns how many were."""
        ...

    async def handle_command(self, inv: Invocation) -> Reply: ...
    def language_of(
        self,
        community: CommunityRef,
        member_external_id: str | None,
        platform_locale: str | None = None,
    ) -> str:
        """The language to write to a member in before the core has their command (a form,
        an adapter's own refusal): their own choice as their last command here showed it,
        else the platform's locale for them, else the community's, else English. No member:
        the community's (what an adapter adds to a public post, such as a review's verdict)."""
        ...

    async def handle_reaction(
        self, event: ReactionEvent, *, patient: bool = False
    ) -> ReactionOutcome: ...
    async def reconcile(
        self,
        community: CommunityRef,
        channel_id: str,
        message_id: str,
        reactions: Mapping[str, Iterable[Actor]],
        *,
        requested_at: datetime | None = None,
        as_of: datetime | None = None,
    ) -> ReconcileResult: ...
    async def catch_up(
        self,
        platform: str,
        closed_within: timedelta,
        mine: Callable[[CommunityRef], bool] = ...,
        *,
        why: str = ...,
        retry_s: float = ...,
    ) -> int:
        """After a start (or a new session): read back what changed while away, through
        the platform's registered reconciler, waiting for a database that is down."""
        ...

    async def thread_activity(
        self,
        community: CommunityRef,
        thread_id: str,
        *,
        channel_id: str | None = None,
        replies: int | None = None,
        more_replies: int = 0,
        joined: Collection[str] = (),
        left: Collection[str] = (),
    ) -> bool:
        """What the platform told of an idea's thread: its reply count (or replies more),
        members who joined or left it. False when it is no idea's thread."""
        ...

    async def complete_challenges(
        self, community: CommunityRef, typed: str, *, moderator: bool = False
    ) -> list[tuple[str, str]]: ...
    async def complete_ideas(
        self, community: CommunityRef, typed: str
    ) -> list[tuple[int, str]]: ...
    async def first_time(self, *keys: str, keep: timedelta = ...) -> str | None:
        """Record a request's keys: the first one seen before, in any process (a replayed
        delivery), or None."""
        ...

    async def drain(self) -> None:
        """Wait until the queued reactions and the badge announcements are done."""
        ...
