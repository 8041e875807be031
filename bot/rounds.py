"""Co-creation that continues: challenges that repeat.

A challenge with `repeat:weekly|monthly|quarterly` makes its next round when it closes (at
its deadline or by hand), in the same transaction: the same settings and venues, the title
and short name with the round's number (`Flavour (round 2)`, `flavour-round-2`), its
deadlines as durations from its own opening, and a scheduled opening. The round opens on
the cadence of the first one: a week, a month or three months after the opening before
it (the same local time in the challenge's time zone), or the first such time after the
close when a round ran longer than that. The agenda opens it then, and its announcement
recaps the last round's podium. Each round has one next round at most, whichever process
closes it; deleting the next round before it opens, or editing it `repeat:off`, ends the
series.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.digest import standings
from bot.grammar import GrammarError, format_duration, parse_duration
from bot.i18n import _, n_
from bot.model import REPEATS, Challenge, ChallengeSettings, Phase
from bot.ports import Store
from bot.render import when
from bot.text import display_inline

log = logging.getLogger(__name__)

#: a deadline as a duration is at most this long (what `parse_duration` reads)
LONGEST = timedelta(days=365)
TITLE_MAX = 200
SLUG_MAX = 64
_ROUND_TITLE = re.compile(r"\s*\(round \d+\)$")
_ROUND_SLUG = re.compile(r"-round-\d+(-\d+)?$")


class RoundStore(Protocol):
    """What rounds need from the repository, inside the caller's transaction."""

    async def add_round(
        self,
        previous: Challenge,
        slug: str,
        settings: ChallengeSettings,
        opens_at: datetime,
        now: datetime,
    ) -> int | None:
        """A draft that opens at `opens_at`, the round after `previous`, with its venues;
        None when `previous` has its next round already (another process made it)."""
        ...

    async def next_round(self, challenge_id: int) -> Challenge | None:
        """The round made after this challenge, unless deleted."""
        ...

    async def due_openings(self, now: datetime, community_id: int | None = None) -> list[Challenge]:
        """Drafts whose scheduled opening has come (of one community, or of all)."""
        ...

    async def next_opening(self) -> datetime | None:
        """The earliest scheduled opening of a draft."""
        ...

    async def open_round(
        self,
        challenge_id: int,
        now: datetime,
        submissions_close_at: datetime | None,
        voting_close_at: datetime | None,
    ) -> bool:
        """Open a scheduled draft, only if it still is one: a second process does nothing."""
        ...

    async def stop_opening(self, challenge_id: int) -> None:
        """Leave a draft for the moderators: it no longer opens on its own."""
        ...


def _months(cadence: str) -> tuple[int, int]:
    """(months, days) of one step."""
    return {"weekly": (0, 7), "monthly": (1, 0), "quarterly": (3, 0)}[cadence]


def _step(local: datetime, k: int, cadence: str) -> datetime:
    """`k` steps after a local time, on the same wall clock (the day of the month kept where
    the month has it, else its last day)."""
    months, days = _months(cadence)
    if days:
        return local.replace(tzinfo=None) + timedelta(days=days * k)
    total = local.month - 1 + months * k
    year, month = local.year + total // 12, total % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(tzinfo=None, year=year, month=month, day=day)


def next_opening(challenge: Challenge, closed_at: datetime) -> datetime:
    """When the round after this one opens: the first step of its cadence after its own
    (scheduled) opening that is not before the close."""
    assert challenge.settings.repeat in REPEATS
    anchor = challenge.opens_at or challenge.opened_at or closed_at
    tz = ZoneInfo(challenge.settings.timezone)
    local = anchor.astimezone(tz)
    for k in range(1, 100_000):
        at = _step(local, k, challenge.settings.repeat).replace(tzinfo=tz).astimezone(UTC)
        if at >= closed_at:
            return at
    return closed_at  # pragma: no cover - a close thousands of years after the opening


def _as_duration(spec: str | None, opened_at: datetime | None) -> str | None:
    """A deadline as a duration from the opening: a date becomes how long after the
    opening it was, so the next round keeps the same length."""
    if spec is None:
        return None
    try:
        at = datetime.fromisoformat(spec)
    except ValueError:
        return spec
    if opened_at is None or not (timedelta(0) < at - opened_at <= LONGEST):
        return None
    return format_duration(at - opened_at)


def series_title(title: str) -> str:
    return _ROUND_TITLE.sub("", title)


def round_settings(previous: Challenge) -> ChallengeSettings:
    """The next round's settings: the same, titled with its number, deadlines as durations."""
    s = previous.settings
    number = previous.round + 1
    suffix = f" (round {number})"
    base = series_title(s.title)[: TITLE_MAX - len(suffix)].rstrip()
    return replace(
        s,
        title=base + suffix,
        submissions_close=_as_duration(s.submissions_close, previous.opened_at),
        voting_close=_as_duration(s.voting_close, previous.opened_at),
    )


async def _free_slug(store: Store, community_id: int, previous: Challenge) -> str:
    suffix = f"-round-{previous.round + 1}"
    base = _ROUND_SLUG.sub("", previous.slug)[: SLUG_MAX - len(suffix) - 3].rstrip("-")
    slug, n = base + suffix, 1
    while await store.slug_taken(community_id, slug):
        n += 1
        slug = f"{base}{suffix}-{n}"
    return slug


async def make_next_round(
    store: Store, challenge: Challenge, closed_at: datetime, now: datetime
) -> Challenge | None:
    """The next round of a repeating challenge that has just closed (None when it does not
    repeat, or another process made it)."""
    if challenge.settings.repeat not in REPEATS:
        return None
    slug = await _free_slug(store, challenge.community_id, challenge)
    opens_at = next_opening(challenge, closed_at)
    made = await store.rounds.add_round(challenge, slug, round_settings(challenge), opens_at, now)
    if made is None:
        return None
    log.info("challenge %s repeats: %s opens at %s", challenge.slug, slug, opens_at.isoformat())
    return await store.rounds.next_round(challenge.id)


def deadlines_from(
    settings: ChallengeSettings, opening: datetime
) -> tuple[datetime | None, datetime | None]:
    """When submissions and voting close for a round opened at `opening`."""

    def at(spec: str | None) -> datetime | None:
        if spec is None:
            return None
        try:
            return datetime.fromisoformat(spec)
        except ValueError:
            return opening + parse_duration(spec)

    voting = at(settings.voting_close)
    submissions = at(settings.submissions_close)
    return (voting if submissions is None else submissions), voting


async def open_due(store: Store, now: datetime, community_id: int | None = None) -> list[Challenge]:
    """Open the scheduled drafts whose time has come; returns those opened. A draft whose
    deadlines would already have passed (a moderator set a date) stays a draft for the
    moderators to fix and open."""
    opened = []
    for c in await store.rounds.due_openings(now, community_id):
        try:
            subs, voting = deadlines_from(c.settings, now)
        except GrammarError:
            subs = voting = None
        bad = any(t is not None and t <= now for t in (subs, voting))
        if bad or (subs and voting and voting < subs):
            log.warning("challenge %s was not opened on schedule: its deadlines", c.slug)
            await store.rounds.stop_opening(c.id)
            continue
        if await store.rounds.open_round(c.id, now, subs, voting):
            log.info("challenge %s opened on schedule", c.slug)
            opened.append(
                replace(
                    c,
                    phase=Phase.OPEN,
                    opened_at=now,
                    submissions_close_at=subs,
                    voting_close_at=voting,
                )
            )
    return opened


async def recap(store: Store, challenge: Challenge) -> tuple[str, str] | None:
    """The last round's podium, for the announcement of the next: a field of its card."""
    if challenge.previous_id is None:
        return None
    found = await store.challenges_by_ids({challenge.previous_id})
    if not found or found[0].phase is not Phase.CLOSED:
        return None
    previous = found[0]
    podium = [s for s in await standings(store, previous, limit=10) if s.on_podium]
    label = _("Last round's podium ({title})", title=display_inline(previous.title, 60))
    if not podium:
        return label, _("No idea won a place last round: yours could be the first!")
    names = await store.members_by_ids({s.idea.author_id for s in podium})
    lines = []
    for s in podium:
        who = _("anonymous") if s.idea.anonymous else names[s.idea.author_id].display_name
        medal = {1: "🥇", 2: "🥈", 3: "🥉"}[s.place or 3]
        votes = n_("{n} vote", "{n} votes", s.votes)
        lines.append(
            f"{medal} #{s.idea.number} {display_inline(s.idea.title, 80)} — "
            f"{display_inline(who, 60)} · {votes}"
        )
    return label, "\n".join(lines)


def next_round_line(following: Challenge) -> str:
    """What the final results say of the round after."""
    opens = following.opens_at
    if opens:
        return _(
            "`{slug}` opens {at}, with the same settings and venues.",
            slug=following.slug,
            at=when(opens, following.settings.timezone),
        )
    return _("`{slug}` is ready, with the same settings and venues.", slug=following.slug)
