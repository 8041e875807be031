"""A conversation per idea: its threads (one per venue), their activity, and who follows it.

Each idea post opens a thread: on Discord a public thread on the message, or a forum post
when the venue is a forum channel (the idea's status then is a forum tag); on Slack the
message's own thread; in the console the post's replies. What happens to the idea (a
status, a merge, a moderator's note, its final place) is posted into its threads, through
the exactly-once post path: such a post's channel is `target(thread)`.

Activity is what the platforms count, never what the messages say: replies, and who
replied. It is shown in `/idea show`, the weekly results ("most discussed") and the brand
report, and never touches the ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.i18n import _, n_
from bot.messages import Card, CommunityRef, PostReceipt, ThreadActivity, ThreadRef
from bot.model import IdeaStatus

log = logging.getLogger(__name__)

#: The forum tags an idea's status is kept in step with (created when missing).
STATUS_TAGS: tuple[str, ...] = (
    IdeaStatus.PUBLISHED.value,
    IdeaStatus.SHORTLISTED.value,
    IdeaStatus.PLANNED.value,
    IdeaStatus.IN_PROGRESS.value,
    IdeaStatus.IMPLEMENTED.value,
    IdeaStatus.DECLINED.value,
    IdeaStatus.MERGED.value,
)

#: Discord's longest thread name.
THREAD_NAME_MAX = 100

_SEP = ">"


class DirectMessageClosed(Exception):
    """The member cannot get direct messages from the bot (Discord 50007; Slack
    `cannot_dm_bot`, `not_allowed`): the notice goes to the idea's thread instead."""


def target(thread: ThreadRef) -> str:
    """The channel of a post into a thread, as the post path keeps it."""
    flag = "f" if thread.forum else ""
    return f"{thread.channel_id}{_SEP}{thread.thread_id}{_SEP}{flag}"


def split_target(channel: str) -> ThreadRef | None:
    """The thread a post path channel stands for, or None for a plain channel."""
    parts = channel.split(_SEP)
    if len(parts) != 3:
        return None
    return ThreadRef(parts[0], parts[1], parts[2] == "f")


def thread_name(number: int, title: str) -> str:
    name = f"#{number} {' '.join(title.split())}"
    return name if len(name) <= THREAD_NAME_MAX else name[: THREAD_NAME_MAX - 1] + "…"


@dataclass(frozen=True)
class IdeaThread:
    id: int
    idea_id: int
    #: the community of the thread's venue (an organisation's challenge has several)
    community_id: int
    channel_id: str
    thread_id: str
    forum: bool
    replies: int

    @property
    def ref(self) -> ThreadRef:
        return ThreadRef(self.channel_id, self.thread_id, self.forum)


@dataclass(frozen=True)
class Activity:
    """An idea's discussion: replies over its threads, distinct repliers."""

    replies: int = 0
    repliers: int = 0

    def describe(self) -> str:
        if not self.replies and not self.repliers:
            return _("no replies yet")
        # TRANSLATORS: followed by "from {n} person/people" (the next message)
        replies = n_("{n} reply", "{n} replies", self.replies)
        return n_(
            "{replies} from {n} person",
            "{replies} from {n} people",
            self.repliers,
            replies=replies,
        )


@dataclass(frozen=True)
class Follower:
    member_id: int
    external_id: str
    display_name: str
    #: author, vote or follow
    why: str


@dataclass(frozen=True)
class NewNotice:
    idea_id: int
    member_id: int
    event_key: str
    kind: str
    title: str
    body: str
    #: to the author of an anonymous idea: never told in the thread
    private: bool = False


@dataclass(frozen=True)
class Notice:
    id: int
    community_id: int
    idea_id: int
    member_id: int
    event_key: str
    kind: str
    title: str
    body: str
    created_at: datetime
    state: str
    via: str
    attempts: int
    sent_at: datetime | None
    last_error: str | None
    private: bool = False

    @property
    def card(self) -> Card:
        return Card(self.title, self.body)


@dataclass(frozen=True)
class Prefs:
    #: all, mine or none
    level: str = "all"
    follow_votes: bool = True


class ConversationStore(Protocol):
    """Threads, activity, follows and notices, in the caller's transaction."""

    async def add_thread(
        self, community_id: int, idea_id: int, thread: ThreadRef, now: datetime
    ) -> None: ...
    async def threads_of(self, idea_ids: Collection[int]) -> dict[int, list[IdeaThread]]: ...
    async def thread_by_ref(
        self, community_id: int, thread_id: str, channel_id: str | None = None
    ) -> IdeaThread | None: ...
    async def record_activity(
        self,
        thread_row: int,
        now: datetime,
        *,
        replies: int | None = None,
        more_replies: int = 0,
        joined: Collection[str] = (),
        left: Collection[str] = (),
        includes_own: bool = True,
    ) -> None:
        """`replies` as the platform counts them (`includes_own`: the bot's own notes too,
        which are taken away), or `more_replies` by members."""
        ...

    async def own_post(self, community_id: int, thread: ThreadRef) -> None:
        """The bot posted a note in this thread (not a reply: not counted as one)."""
        ...

    async def activity(self, idea_ids: Collection[int]) -> dict[int, Activity]:
        """The activity of those of these ideas that have a thread (and only those)."""
        ...

    async def most_discussed(self, challenge_id: int, limit: int) -> list[tuple[int, Activity]]:
        """(idea id, activity) of the challenge's most replied ideas, with any replies."""
        ...

    async def follow(
        self, idea_id: int, member_id: int, following: bool, now: datetime
    ) -> None: ...
    async def following(self, idea_id: int, member_id: int) -> bool | None:
        """True or False when the member said so (`/idea follow`, `/idea unfollow`)."""
        ...

    async def prefs(self, member_id: int) -> Prefs: ...
    async def set_prefs(self, member_id: int, prefs: Prefs) -> None: ...
    async def followers(
        self, idea: int, author_id: int, voter_ideas: Collection[int]
    ) -> list[Follower]:
        """Who hears about this idea: its author, the voters of `voter_ideas` (unless they
        turned that off), whoever follows it; not those who unfollowed it, and each as
        their `/notify` says (`mine`: only about their own ideas; `none`: nothing)."""
        ...

    async def add_notices(self, community_id: int, rows: Sequence[NewNotice], now: datetime) -> int:
        """Write notices; one already written (same key and member) is left as it is."""
        ...

    async def claim_notices(
        self, now: datetime, by: str, until: datetime, limit: int
    ) -> list[Notice]: ...
    async def finish_notice(
        self,
        notice_id: int,
        *,
        state: str,
        via: str,
        attempts: int,
        now: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None: ...
    async def release_notices(self, ids: Collection[int], by: str) -> None:
        """Give back notices this process claimed and did not send (it is stopping)."""
        ...

    async def next_notice_due(self) -> datetime | None: ...
    async def notices_of(self, idea_id: int, limit: int) -> list[Notice]: ...
    async def notice_counts(self, idea_id: int) -> dict[tuple[str, str], int]:
        """(state, via) -> how many of the idea's notices."""
        ...


class Conversations(Protocol):
    """What a publisher offers for conversations (see `bot.ports.Publisher`)."""

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None: ...
    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt: ...
    async def direct_message(
        self, community: CommunityRef, member_external_id: str, card: Card
    ) -> str: ...
    async def thread_status(
        self, community: CommunityRef, thread: ThreadRef, status: str
    ) -> None: ...
    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None: ...
