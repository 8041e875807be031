"""Neutral cards for ideas, challenges and standings. User text is made inert here;
adapters escape it for their own markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import i18n
from bot.grammar import format_duration
from bot.i18n import N_, _, n_
from bot.messages import Card
from bot.model import RANKING_RULE, Challenge, Idea, IdeaStatus, Phase, Standing
from bot.text import display_inline, neutralize_mentions


def when(at: datetime, tz: str) -> str:
    """`Tue 10 Mar 2026, 18:00 CET`: every date the bot writes, in the challenge's time
    zone (or the community's default), with the zone named, in the language in force
    (`Di., 10. März 2026, 18:00 CET`). A time that zone can't show (near year 1 or 9999)
    is written in UTC."""
    try:
        local = at.astimezone(ZoneInfo(tz))
        return f"{i18n.short_datetime(local)} {local.tzname()}"
    except (OverflowError, ValueError):
        return f"{at:%Y-%m-%d %H:%M} UTC"


#: Idea statuses as people read them (the enum values are stored: never translated).
STATUS_NAMES: dict[IdeaStatus, str] = {
    IdeaStatus.PENDING: N_("pending review"),
    IdeaStatus.PUBLISHED: N_("published"),
    IdeaStatus.REJECTED: N_("rejected"),
    IdeaStatus.WITHDRAWN: N_("withdrawn"),
    IdeaStatus.MERGED: N_("merged"),
    IdeaStatus.SHORTLISTED: N_("shortlisted"),
    IdeaStatus.PLANNED: N_("planned"),
    IdeaStatus.IN_PROGRESS: N_("in progress"),
    IdeaStatus.IMPLEMENTED: N_("implemented"),
    IdeaStatus.DECLINED: N_("declined"),
    IdeaStatus.AWAITING_AUTHOR: N_("awaiting author"),
}

#: Challenge phases as people read them.
PHASE_NAMES: dict[Phase, str] = {
    Phase.DRAFT: N_("draft"),
    Phase.OPEN: N_("open"),
    Phase.VOTING: N_("voting"),
    Phase.CLOSED: N_("closed"),
}

#: How often a challenge repeats (`ChallengeSettings.repeat`), as people read it.
REPEAT_NAMES: dict[str, str] = {
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
    "quarterly": N_("quarterly"),
}


def status_name(status: IdeaStatus) -> str:
    """An idea status in the language in force ("in progress")."""
    return _(STATUS_NAMES[status])


#: Platforms whose name is a word of the language.
PLATFORM_NAMES = {"console": N_("Console")}


def platform_name(platform: str) -> str:
    """A platform as people call it: "Slack", "Discord", "Console"."""
    named = PLATFORM_NAMES.get(platform)
    return _(named) if named is not None else platform.capitalize()


def phase_name(phase: Phase) -> str:
    """A challenge phase in the language in force ("voting")."""
    return _(PHASE_NAMES[phase])


def repeat_name(repeat: str) -> str:
    """A challenge's repeat setting in the language in force ("weekly")."""
    return _(REPEAT_NAMES[repeat]) if repeat in REPEAT_NAMES else repeat


def quoted(title: str) -> str:
    return f"'{display_inline(title, 100)}'"


def idea_heading(idea: Idea) -> str:
    return f"#{idea.number} · {display_inline(idea.title, 100)}"


def status_text(idea: Idea, merged_into: int | None = None) -> str:
    text = (
        _("merged into #{number}", number=merged_into)
        if merged_into is not None
        else status_name(idea.status)
    )
    if idea.status_note:
        text += f" — {display_inline(idea.status_note, 200)}"
    return text


def vote_text(count: int) -> str:
    return n_("{n} vote", "{n} votes", count)


def idea_card(
    idea: Idea,
    challenge: Challenge,
    author: str,
    *,
    votes: str | None = None,
    merged_into: int | None = None,
) -> Card:
    """The public idea post, and the answer to `/idea show`."""
    fields = [
        (_("By"), display_inline(author, 80)),
        (_("Challenge"), display_inline(challenge.title)),
    ]
    if idea.status is not IdeaStatus.PUBLISHED:
        fields.append((_("Status"), status_text(idea, merged_into)))
    if votes is not None:
        fields.append((_("Votes"), votes))
    if idea.source_url:
        fields.append((_("From the message"), idea.source_url))
    footer = (
        _("React with {emoji} to vote", emoji=neutralize_mentions(challenge.settings.vote_emoji))
        if idea.status.public and challenge.phase.running
        else ""
    )
    return Card(
        title=f"💡 {idea_heading(idea)}",
        body=neutralize_mentions(idea.description),
        fields=tuple(fields),
        footer=footer,
    )


def deadlines(challenge: Challenge) -> list[tuple[str, str]]:
    tz = challenge.settings.timezone
    s = challenge.settings
    rows: list[tuple[str, str]] = [(_("Phase"), phase_name(challenge.phase))]
    if challenge.phase is Phase.DRAFT and challenge.opens_at is not None:
        rows.append((_("Opens"), when(challenge.opens_at, tz)))
    if challenge.phase is Phase.DRAFT:
        for label, spec in (
            (N_("Submissions close"), s.submissions_close),
            (N_("Voting closes"), s.voting_close),
        ):
            if spec:
                rows.append((_(label), _deadline_spec(spec, tz)))
        return rows
    if challenge.submissions_close_at:
        rows.append((_("Submissions close"), when(challenge.submissions_close_at, tz)))
    if challenge.voting_close_at:
        rows.append((_("Voting closes"), when(challenge.voting_close_at, tz)))
    if challenge.closed_at:
        rows.append((_("Closed"), when(challenge.closed_at, tz)))
    return rows


def _deadline_spec(spec: str, tz: str) -> str:
    """A stored deadline: a point in time (ISO) or a duration from the opening."""
    try:
        return when(datetime.fromisoformat(spec), tz)
    except ValueError:
        # TRANSLATORS: {duration} is a duration as typed, like 7d or 1d12h
        return _("{duration} after opening", duration=spec)


def sealed_note(challenge: Challenge) -> str:
    """What sealed hides from members, and until when."""
    s = challenge.settings
    if challenge.voting_close_at is not None:
        return _(
            "Sealed: vote counts and the order of ideas, and the points and badges that depend "
            "on them, stay hidden from members until the close on {date}; moderators see the "
            "tallies.",
            date=when(challenge.voting_close_at, s.timezone),
        )
    if challenge.phase is Phase.DRAFT and s.voting_close:
        return _(
            "Sealed: vote counts and the order of ideas, and the points and badges that depend "
            "on them, stay hidden from members until the close ({deadline}); moderators see "
            "the tallies.",
            deadline=_deadline_spec(s.voting_close, s.timezone),
        )
    return _(
        "Sealed: vote counts and the order of ideas, and the points and badges that depend "
        "on them, stay hidden from members until the close; moderators see the tallies."
    )


def challenge_card(challenge: Challenge) -> Card:
    """`/challenge info` and the announcement when a challenge opens."""
    s = challenge.settings
    fields = deadlines(challenge)
    fields.append((_("Ideas per member"), i18n.number(s.ideas_per_member)))
    rules = [_("Vote by reacting with {emoji}.", emoji=neutralize_mentions(s.vote_emoji))]
    rules.append(
        _("Self-votes count.") if s.self_votes else _("Your vote on your own idea doesn't count.")
    )
    if s.review:
        rules.append(_("Moderators review ideas before they are posted."))
    if s.sealed and challenge.phase is not Phase.CLOSED:
        rules.append(sealed_note(challenge))
    if s.min_account_age or s.min_member_age:
        rules.append(_("Votes from very new accounts or members don't count."))
    fields.append((_("How it works"), " ".join(rules)))
    if s.terms:
        fields.append((_("Terms"), neutralize_mentions(s.terms)))
    if s.repeat:
        fields.append(
            (
                _("Repeats"),
                _(
                    "{repeat} (round {round})",
                    repeat=repeat_name(s.repeat),
                    round=i18n.number(challenge.round),
                ),
            )
        )
    if s.reminder is not None:
        fields.append((_("Reminders"), reminder_text(s.reminder)))
    return Card(
        title=f"🏁 {display_inline(s.title, 100)}  (`{challenge.slug}`)",
        body=neutralize_mentions(s.brief),
        fields=tuple(fields),
        footer=_("Submit with /idea submit") + " · " + _(RANKING_RULE),
    )


def settings_fields(challenge: Challenge) -> list[tuple[str, str]]:
    """Every setting of a challenge, as `/challenge info` shows it."""
    s = challenge.settings
    venues = ", ".join(f"#{display_inline(v, 40)}" for v in challenge.venues) or _("none")
    ages = []
    if s.min_account_age:
        # TRANSLATORS: {duration} is a duration as typed, like 7d or 1d12h
        ages.append(_("account {duration}", duration=format_duration(s.min_account_age)))
    if s.min_member_age:
        # TRANSLATORS: {duration} is a duration as typed, like 7d or 1d12h
        ages.append(_("membership {duration}", duration=format_duration(s.min_member_age)))
    sealed = _("yes: tallies hidden until the close") if s.sealed else _("no")
    if s.sealed and challenge.phase is Phase.CLOSED:
        sealed = _("yes, until the close (now open)")
    limits = [
        n_("{n} idea per member", "{n} ideas per member", s.ideas_per_member),
        _("self-votes count") if s.self_votes else _("self-votes do not count"),
        _("several podium places per member")
        if s.multiple_places
        else _("one podium place per member"),
        _("vote with {emoji}", emoji=neutralize_mentions(s.vote_emoji)),
    ]
    return [
        (
            _("Schedule"),
            # TRANSLATORS: {schedule} is a cron expression, {timezone} a zone like Europe/Paris
            _(
                "weekly results at `{schedule}` (cron), {timezone}",
                schedule=s.schedule,
                timezone=s.timezone,
            ),
        ),
        (_("Time zone"), s.timezone),
        (_("Venues"), venues),
        (
            _("Report venue"),
            f"#{display_inline(s.report_venue, 40)}" if s.report_venue else _("none"),
        ),
        (_("Minimum ages for a vote"), ", ".join(ages) or _("none")),
        (_("Sealed"), sealed),
        (
            _("Review"),
            _("moderators approve ideas first") if s.review else _("no: ideas go up at once"),
        ),
        (_("Limits"), "; ".join(limits)),
    ]


def reminder_text(lead: timedelta) -> str:
    """A challenge's own reminder setting, for people."""
    if lead <= timedelta(0):
        return _("none")
    minutes = int(lead.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("{days} d", days=i18n.number(days)))
    if hours:
        parts.append(_("{hours} h", hours=i18n.number(hours)))
    if minutes:
        parts.append(_("{minutes} min", minutes=i18n.number(minutes)))
    return _("{duration} before each deadline", duration=" ".join(parts))


def standings_lines(standings: Sequence[Standing], *, sealed: bool) -> list[str]:
    """Ranked lines with medals and tallies; sealed, plain lines with neither."""
    lines = []
    for s in standings:
        title = f"#{s.idea.number} {display_inline(s.idea.title, 80)}"
        if sealed:
            lines.append(_("• {title} — sealed", title=title))
        else:
            medal = {1: "🥇", 2: "🥈", 3: "🥉"}[s.place] if s.place else f"{i18n.number(s.rank)}."
            lines.append(f"{medal} {title} — {vote_text(s.votes)}")
    return lines


def more_line(remaining: int, command: str) -> str:
    """The last line of a long list: `… and 12 more: `/ideas page:2``; "" when none remain."""
    if remaining <= 0:
        return ""
    return n_(
        "… and {n} more: `{command}`", "… and {n} more: `{command}`", remaining, command=command
    )


def age(delta: timedelta) -> str:
    """How old, roughly: "40 min", "5 h", "12 d", "3 mo", "2 y"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days = minutes // 1440
    if minutes < 60:
        return _("{minutes} min", minutes=i18n.number(minutes))
    if days < 1:
        return _("{hours} h", hours=i18n.number(minutes // 60))
    if days < 60:
        return _("{days} d", days=i18n.number(days))
    if days < 730:
        return _("{months} mo", months=i18n.number(days // 30))
    return _("{years} y", years=i18n.number(days // 365))
