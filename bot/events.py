"""Domain events: what a command changed, and one small bus that tells whoever acts on it.

A command emits events on its `Context` while its transaction is open. The posts that
events carry are claimed in that same transaction (exactly once, through the agenda);
everything else happens once it has committed, when the core hands the events to the
bus: re-rendering changed ideas, announcing badges, running the agenda.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.errors import log_failure
from bot.messages import Attachment, Card, CommunityRef, Post
from bot.model import Challenge, Idea, IdeaStatus
from bot.rewards import Award

log = logging.getLogger("cocreate.events")


@dataclass(frozen=True)
class Event:
    """Something that happened in a community, committed."""


@dataclass(frozen=True)
class Posting(Event):
    """An event that comes with posts to the challenge's channels."""

    challenge: Challenge
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class IdeaSubmitted(Posting):
    """Waiting for review: its post goes to the moderators."""

    idea: Idea


@dataclass(frozen=True)
class IdeaPublished(Posting):
    """Open to votes: its posts go to every venue."""

    idea: Idea


@dataclass(frozen=True)
class StatusChanged(Posting):
    """A moderator set an idea's status: the community is told."""

    idea: Idea
    status: IdeaStatus


@dataclass(frozen=True)
class IdeaMerged(Posting):
    """A duplicate was merged into another idea: both threads are told, linking each
    other, and the followers hear where their votes went."""

    idea: Idea
    into: Idea


@dataclass(frozen=True)
class IdeaRejected(Posting):
    """A moderator rejected an idea, with a reason its followers hear."""

    idea: Idea


@dataclass(frozen=True)
class ResultsPosted(Posting):
    """A moderator posted the current results."""


@dataclass(frozen=True)
class LoopPosted(Posting):
    """A moderator posted "You said, we did" (kept with `challenge`, to all its venues)."""


@dataclass(frozen=True)
class IdeasChanged(Event):
    """Edited, merged, recounted…: their posts are shown again as they are now, in every
    venue."""

    idea_ids: frozenset[int]


@dataclass(frozen=True)
class BadgesAwarded(Event):
    awards: tuple[Award, ...]


@dataclass(frozen=True)
class ScheduleChanged(Event):
    """Deadlines or phases changed: what falls due now goes out, and the timer re-arms."""

    community_id: int


@dataclass(frozen=True)
class DirectMessage(Event):
    """A private message, with files, to the member who ran the command (their data
    export, an account link code): sent once the command has committed, and its reply
    says where it went, or carries the message itself when it could not be sent."""

    community: CommunityRef
    member_external_id: str
    card: Card
    attachments: tuple[Attachment, ...] = ()
    #: the name of someone other than the caller it is for (the author asked to confirm
    #: a captured idea): when it cannot be sent, the reply says so instead of showing it
    for_other: str | None = None


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]


class Bus:
    """Hands committed events to their handlers, in order; a handler that fails is logged
    and the others still run (the change itself is committed)."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        """`handler` gets every event of `kind`, and of its subclasses."""
        self._handlers[kind].append(handler)

    async def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for kind in type(event).__mro__:
                for handler in self._handlers.get(kind, ()):
                    try:
                        await handler(event)
                    except Exception:
                        log_failure(log, "handling %s failed", type(event).__name__)


def postings(events: Sequence[Event]) -> list[Posting]:
    return [e for e in events if isinstance(e, Posting)]
