"""Finding ideas across a community: your own, by status, by words in them, and the
roadmap. The query is the core's; the repository runs it (storage/finding.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from bot.model import Idea, IdeaStatus

#: What the roadmap shows, in its order: what the brand said it does, and what it did.
ROADMAP_STATUSES = (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.IMPLEMENTED)

#: Statuses that stay visible to members once an idea was public (its posts still show it).
ONCE_PUBLIC = (IdeaStatus.WITHDRAWN, IdeaStatus.MERGED)

#: Longest search text: words typed to find an idea, not a description.
SEARCH_MAX = 100


@dataclass(frozen=True)
class IdeaQuery:
    """Which ideas of a community to list, as one viewer may see them.

    `challenge_ids` are the challenges to look in (the caller leaves out those the viewer
    may not see); `viewer_id` None is a moderator, who sees every status, else a member,
    who sees public ideas, withdrawn and merged ones that were published, and their own.
    `text` is matched, case-insensitively and literally, in titles and descriptions.
    """

    challenge_ids: Collection[int]
    viewer_id: int | None
    statuses: Collection[IdeaStatus] | None = None
    author_id: int | None = None
    text: str | None = None
    #: by counted votes (highest first, then the earlier idea); else newest first
    ranked: bool = False


class IdeaFinder(Protocol):
    """What finding needs from the repository, inside the caller's transaction."""

    async def find_ideas(self, query: IdeaQuery, *, limit: int, offset: int = 0) -> list[Idea]:
        """A page of the ideas the query selects."""
        ...

    async def count_found(self, query: IdeaQuery) -> int:
        """How many ideas the query selects in all."""
        ...

    async def count_by_status(self, query: IdeaQuery) -> dict[IdeaStatus, int]:
        """How many ideas the query selects, per status."""
        ...


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, literally: `%`, `_` and the
    escape character `\\` typed by a member match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
