"""Deadlines people notice: a reminder in each venue a while before submissions close and
before voting closes.

The agenda plans them from the challenge's deadlines alone, as it does every post: a
reminder's key names the phase and the deadline it is about (`submissions@2026-03-09T09:00:00`),
so a changed deadline plans a new reminder, and one already sent for it is never sent
again. How long before is `scheduler.reminder_hours`, or the challenge's `reminder:`
option (zero: none). No reminder is made once the phase has ended, for a closed or deleted
challenge, or when the phase is no longer than the lead time (the announcement, or the
notice that submissions closed, names the deadline then). When both deadlines are the
same, one reminder speaks of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.i18n import _, n_
from bot.messages import Card
from bot.model import Challenge, Phase
from bot.render import when
from bot.text import display_inline, neutralize_mentions

#: The `kind` of a reminder in the scheduled posts' table.
KIND = "reminder"
SUBMISSIONS = "submissions"
VOTING = "voting"


@dataclass(frozen=True)
class Reminder:
    #: SUBMISSIONS or VOTING: the deadline it is about
    which: str
    deadline: datetime
    due_at: datetime

    @property
    def period(self) -> str:
        return period(self.which, self.deadline)


def period(which: str, deadline: datetime) -> str:
    return f"{which}@{deadline.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def lead(challenge: Challenge, default_hours: float) -> timedelta:
    """How long before a deadline the challenge's venues are reminded (zero: never)."""
    own = challenge.settings.reminder
    return own if own is not None else timedelta(hours=default_hours)


def planned(challenge: Challenge, default_hours: float) -> list[Reminder]:
    """The reminders a running challenge has ahead or owes, as its deadlines stand now."""
    before = lead(challenge, default_hours)
    if before <= timedelta(0) or not challenge.phase.running or challenge.opened_at is None:
        return []
    subs, closes = challenge.submissions_close_at, challenge.voting_close_at
    separate = subs is not None and subs != closes
    out = []
    if challenge.phase is Phase.OPEN and subs is not None and separate:
        # submissions have been open since the opening, whose announcement names the close
        out.append(Reminder(SUBMISSIONS, subs, subs - before))
    if closes is not None:
        # the last part of voting began when submissions closed (their notice names the
        # close), or at the opening when both close together
        out.append(Reminder(VOTING, closes, closes - before))
    began = {SUBMISSIONS: challenge.opened_at, VOTING: subs if separate else challenge.opened_at}
    return [r for r in out if r.due_at > (began[r.which] or challenge.opened_at)]


def due(challenge: Challenge, now: datetime, default_hours: float) -> list[Reminder]:
    """The reminders whose time has come while their deadline is still ahead."""
    return [r for r in planned(challenge, default_hours) if r.due_at <= now < r.deadline]


def current(challenge: Challenge, key: str, now: datetime, default_hours: float) -> bool:
    """Whether the reminder of this key is still to be made (a retry checks: the deadline
    may have moved or passed, or the phase ended, since it was claimed)."""
    return any(r.period == key for r in due(challenge, now, default_hours))


def describe(key: str) -> str:
    if key.partition("@")[0] == SUBMISSIONS:
        return _("the reminder that submissions close")
    return _("the reminder that voting closes")


def _left(span: timedelta) -> str:
    """ "in 24 hours", "in 3 days", "in 45 minutes", rounded to the nearest unit."""
    minutes = max(round(span.total_seconds() / 60), 1)
    if minutes < 90:
        return n_("in {n} minute", "in {n} minutes", minutes)
    hours = round(minutes / 60)
    if hours < 48:
        return n_("in {n} hour", "in {n} hours", hours)
    days = round(hours / 24)
    return n_("in {n} day", "in {n} days", days)


def card(challenge: Challenge, key: str, now: datetime) -> Card:
    """What the reminder says, as the challenge stands when it is sent."""
    which = key.partition("@")[0]
    tz = challenge.settings.timezone
    title = display_inline(challenge.title, 100)
    emoji = neutralize_mentions(challenge.settings.vote_emoji)
    subs, closes = challenge.submissions_close_at, challenge.voting_close_at
    vote = _(
        "React with {emoji} to the ideas you like; `/ideas {slug}` lists them.",
        emoji=emoji,
        slug=challenge.slug,
    )
    if which == SUBMISSIONS and subs is not None:
        # TRANSLATORS: {left} is how long is left: "in 3 days"
        body = _(
            "Submissions close {left}, on {at}. Share yours with `/idea submit {slug}`.",
            left=_left(subs - now),
            at=when(subs, tz),
            slug=challenge.slug,
        )
        if closes:
            body += " " + _("Voting stays open until {at}.", at=when(closes, tz))
        return Card(_("⏰ Last call for ideas: {title}", title=title), body, footer=vote)
    assert closes is not None
    if challenge.phase is Phase.OPEN and subs == closes:
        return Card(
            _("⏰ Last call: {title}", title=title),
            # TRANSLATORS: {left} is how long is left: "in 3 days"
            _(
                "Submissions and voting close {left}, on {at}. Share an idea with "
                "`/idea submit {slug}` and vote for the ones you like.",
                left=_left(closes - now),
                at=when(closes, tz),
                slug=challenge.slug,
            ),
            footer=vote,
        )
    return Card(
        _("⏰ Voting closes soon: {title}", title=title),
        # TRANSLATORS: {left} is how long is left: "in 3 days"
        _(
            "Voting closes {left}, on {at}. After that the results are final.",
            left=_left(closes - now),
            at=when(closes, tz),
        ),
        footer=vote,
    )
