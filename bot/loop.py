""" "You said, we did": closing the loop with the community.

A post to the community's venues that lists the ideas, of any challenge, whose status a
moderator moved to planned, in progress or implemented since the last such post, with
their authors (an anonymous idea's author stays "anonymous"), grouped by status. It goes
out on `scheduler.loop_schedule` (the 1st of each month by default) and when a moderator
runs `/results loop`; members who run it see privately what the next one will list.

Each one is claimed in `loop_posts` by (community, period) in the transaction that claims
its post, and the post goes through the agenda's exactly-once path with its content fixed
at the claim: a replay, a restart or a second process posts it once. The window of the
next one starts where the last one that listed anything ended, so nothing is reported
twice and nothing is lost when a slot is skipped or has nothing to say.

The venues are those of the community's running challenges, or when none runs, those of
the challenge that closed last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.i18n import N_, _, n_
from bot.messages import Card, Post, PostKind
from bot.model import ROADMAP_STATUSES, Challenge, IdeaStatus, Phase
from bot.ports import Store
from bot.render import when
from bot.text import display_inline

#: at most this many ideas of each status are named; the rest are counted
PER_STATUS = 10

HEADINGS = {
    IdeaStatus.IMPLEMENTED: N_("🚀 Implemented"),
    IdeaStatus.IN_PROGRESS: N_("🔨 In progress"),
    IdeaStatus.PLANNED: N_("🗓️ Planned"),
}


@dataclass(frozen=True)
class Moved:
    """An idea whose status a moderator moved to planned, in progress or implemented."""

    number: int
    title: str
    status: IdeaStatus
    note: str | None
    author: str
    anonymous: bool
    challenge: str
    changed_at: datetime


@dataclass(frozen=True)
class LoopRecord:
    period: str
    covers_from: datetime | None
    covers_until: datetime
    ideas: int
    created_at: datetime


class LoopStore(Protocol):
    """What "You said, we did" needs from the repository, in the caller's transaction."""

    async def lock(self, community_id: int) -> None:
        """Hold the community's loop until the transaction ends (one window at a time)."""
        ...

    async def last(self, community_id: int) -> LoopRecord | None:
        """The latest one that listed any idea."""
        ...

    async def claim(
        self,
        community_id: int,
        period: str,
        covers_from: datetime | None,
        covers_until: datetime,
        ideas: int,
        now: datetime,
    ) -> bool:
        """Record one by its key; False when the key is taken (it was made already)."""
        ...

    async def moved(
        self, community_id: int, since: datetime | None, until: datetime
    ) -> list[Moved]:
        """Ideas of the community's challenges (not deleted) now planned, in progress or
        implemented whose status was set in (since, until], oldest change first."""
        ...

    async def owed(self, period: str, at: datetime) -> list[int]:
        """Communities with a challenge opened by `at` and nothing recorded for `period`."""
        ...


@dataclass(frozen=True)
class Prepared:
    """What a "You said, we did" would say now, and where it would go."""

    since: datetime | None
    moved: tuple[Moved, ...]
    #: the challenge whose posts it is kept with (the exactly-once path keys posts by one)
    carrier: Challenge | None
    channels: tuple[str, ...]
    timezone: str

    @property
    def card(self) -> Card:
        """The post in the language in force (a public post: the community's)."""
        return card(self.moved, self.since, self.timezone)

    def posts(self) -> tuple[Post, ...]:
        c = self.card
        return tuple(Post(channel, PostKind.RESULTS, c) for channel in self.channels)


def venues(found: Sequence[Challenge]) -> tuple[Challenge | None, tuple[str, ...]]:
    """The challenges whose venues it goes to: the running ones, else the last closed."""
    running = [c for c in found if c.phase.running and c.venues]
    if not running:
        closed = [c for c in found if c.phase is Phase.CLOSED and c.closed_at and c.venues]
        running = sorted(closed, key=lambda c: (c.closed_at, c.id))[-1:]
    channels = tuple(dict.fromkeys(v for c in running for v in c.venues))
    return (running[0] if running else None), channels


async def prepare(store: Store, community_id: int, now: datetime, timezone: str) -> Prepared:
    await store.loop.lock(community_id)
    last = await store.loop.last(community_id)
    since = last.covers_until if last else None
    moved = await store.loop.moved(community_id, since, now)
    carrier, channels = venues(await store.challenges(community_id))
    tz = carrier.settings.timezone if carrier else timezone
    return Prepared(since, tuple(moved), carrier, channels, tz)


def _line(m: Moved) -> str:
    who = _("anonymous") if m.anonymous else display_inline(m.author, 60)
    values = {
        "number": m.number,
        "title": display_inline(m.title, 80),
        "author": who,
        "challenge": display_inline(m.challenge, 60),
    }
    if m.note:
        return _(
            "#{number} {title} — by {author}, in {challenge}: {note}",
            note=display_inline(m.note, 120),
            **values,
        )
    return _("#{number} {title} — by {author}, in {challenge}", **values)


def card(moved: Sequence[Moved], since: datetime | None, timezone: str) -> Card:
    """The post: each status's ideas, the most recent change first."""
    fields = []
    for status in reversed(ROADMAP_STATUSES):
        ideas = sorted(
            (m for m in moved if m.status is status), key=lambda m: (m.changed_at, m.number)
        )[::-1]
        if not ideas:
            continue
        lines = [_line(m) for m in ideas[:PER_STATUS]]
        if len(ideas) > PER_STATUS:
            lines.append(n_("…and {n} more", "…and {n} more", len(ideas) - PER_STATUS))
        fields.append((_(HEADINGS[status]), "\n".join(lines)))
    if since:
        at = when(since, timezone)
        body = (
            n_(
                "What became of your ideas since {at}: {n} idea moved on.",
                "What became of your ideas since {at}: {n} ideas moved on.",
                len(moved),
                at=at,
            )
            if moved
            else _("No idea has moved to planned, in progress or implemented since {at}.", at=at)
        )
    else:
        body = (
            n_(
                "What became of your ideas so far: {n} idea moved on.",
                "What became of your ideas so far: {n} ideas moved on.",
                len(moved),
            )
            if moved
            else _("No idea has moved to planned, in progress or implemented so far.")
        )
    return Card(
        _("📣 You said, we did"),
        body,
        tuple(fields),
        footer=_("Thank you for every idea and every vote: keep them coming with /idea submit."),
    )
