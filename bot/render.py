"""Neutral cards for ideas, challenges and standings. User text is made inert here;
adapters escape it for their own markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import i18n
from bot.grammar import format_duration
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


def quoted(title: str) -> str:
    return f"'{display_inline(title, 100)}'"


def idea_heading(idea: Idea) -> str:
    return f"#{idea.number} · {display_inline(idea.title, 100)}"


def status_text(idea: Idea, merged_into: int | None = None) -> str:
    text = f"merged into #{merged_into}" if merged_into is not None else idea.status.value
    if idea.status_note:
        text += f" — {display_inline(idea.status_note, 200)}"
    return text


def vote_text(count: int) -> str:
    return f"{count} vote" if count == 1 else f"{count} votes"


def idea_card(
    idea: Idea,
    challenge: Challenge,
    author: str,
    *,
    votes: str | None = None,
    merged_into: int | None = None,
) -> Card:
    """The public idea post, and the answer to `/idea show`."""
    fields = [("By", display_inline(author, 80)), ("Challenge", display_inline(challenge.title))]
    if idea.status is not IdeaStatus.PUBLISHED:
        fields.append(("Status", status_text(idea, merged_into)))
    if votes is not None:
        fields.append(("Votes", votes))
    if idea.source_url:
        fields.append(("From the message", idea.source_url))
    footer = (
        f"React with {neutralize_mentions(challenge.settings.vote_emoji)} to vote"
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
    rows: list[tuple[str, str]] = [("Phase", challenge.phase.value)]
    if challenge.phase is Phase.DRAFT and challenge.opens_at is not None:
        rows.append(("Opens", when(challenge.opens_at, tz)))
    if challenge.phase is Phase.DRAFT:
        for label, spec in (
            ("Submissions close", s.submissions_close),
            ("Voting closes", s.voting_close),
        ):
            if spec:
                rows.append((label, _deadline_spec(spec, tz)))
        return rows
    if challenge.submissions_close_at:
        rows.append(("Submissions close", when(challenge.submissions_close_at, tz)))
    if challenge.voting_close_at:
        rows.append(("Voting closes", when(challenge.voting_close_at, tz)))
    if challenge.closed_at:
        rows.append(("Closed", when(challenge.closed_at, tz)))
    return rows


def _deadline_spec(spec: str, tz: str) -> str:
    """A stored deadline: a point in time (ISO) or a duration from the opening."""
    try:
        return when(datetime.fromisoformat(spec), tz)
    except ValueError:
        return f"{spec} after opening"


def sealed_note(challenge: Challenge) -> str:
    """What sealed hides from members, and until when."""
    s = challenge.settings
    if challenge.voting_close_at is not None:
        until = f"the close on {when(challenge.voting_close_at, s.timezone)}"
    elif challenge.phase is Phase.DRAFT and s.voting_close:
        until = f"the close ({_deadline_spec(s.voting_close, s.timezone)})"
    else:
        until = "the close"
    return (
        "Sealed: vote counts and the order of ideas, and the points and badges that depend "
        f"on them, stay hidden from members until {until}; moderators see the tallies."
    )


def challenge_card(challenge: Challenge) -> Card:
    """`/challenge info` and the announcement when a challenge opens."""
    s = challenge.settings
    fields = deadlines(challenge)
    fields.append(("Ideas per member", str(s.ideas_per_member)))
    rules = [f"Vote by reacting with {neutralize_mentions(s.vote_emoji)}."]
    rules.append(
        "Self-votes count." if s.self_votes else "Your vote on your own idea doesn't count."
    )
    if s.review:
        rules.append("Moderators review ideas before they are posted.")
    if s.sealed and challenge.phase is not Phase.CLOSED:
        rules.append(sealed_note(challenge))
    if s.min_account_age or s.min_member_age:
        rules.append("Votes from very new accounts or members don't count.")
    fields.append(("How it works", " ".join(rules)))
    if s.terms:
        fields.append(("Terms", neutralize_mentions(s.terms)))
    if s.repeat:
        fields.append(("Repeats", f"{s.repeat} (round {challenge.round})"))
    if s.reminder is not None:
        fields.append(("Reminders", reminder_text(s.reminder)))
    return Card(
        title=f"🏁 {display_inline(s.title, 100)}  (`{challenge.slug}`)",
        body=neutralize_mentions(s.brief),
        fields=tuple(fields),
        footer="Submit with /idea submit · " + RANKING_RULE,
    )


def settings_fields(challenge: Challenge) -> list[tuple[str, str]]:
    """Every setting of a challenge, as `/challenge info` shows it."""
    s = challenge.settings
    venues = ", ".join(f"#{display_inline(v, 40)}" for v in challenge.venues) or "none"
    ages = []
    if s.min_account_age:
        ages.append(f"account {format_duration(s.min_account_age)}")
    if s.min_member_age:
        ages.append(f"membership {format_duration(s.min_member_age)}")
    sealed = "yes: tallies hidden until the close" if s.sealed else "no"
    if s.sealed and challenge.phase is Phase.CLOSED:
        sealed = "yes, until the close (now open)"
    return [
        ("Schedule", f"weekly results at `{s.schedule}` (cron), {s.timezone}"),
        ("Time zone", s.timezone),
        ("Venues", venues),
        ("Report venue", f"#{display_inline(s.report_venue, 40)}" if s.report_venue else "none"),
        ("Minimum ages for a vote", ", ".join(ages) or "none"),
        ("Sealed", sealed),
        ("Review", "moderators approve ideas first" if s.review else "no: ideas go up at once"),
        (
            "Limits",
            f"{plural(s.ideas_per_member, 'idea')} per member; self-votes "
            f"{'count' if s.self_votes else 'do not count'}; "
            f"{'several podium places' if s.multiple_places else 'one podium place'} per "
            "member; vote with " + neutralize_mentions(s.vote_emoji),
        ),
    ]


def reminder_text(lead: timedelta) -> str:
    """A challenge's own reminder setting, for people."""
    if lead <= timedelta(0):
        return "none"
    minutes = int(lead.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{v} {u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "min")) if v]
    return " ".join(parts) + " before each deadline"


def standings_lines(standings: Sequence[Standing], *, sealed: bool) -> list[str]:
    """Ranked lines with medals and tallies; sealed, plain lines with neither."""
    lines = []
    for s in standings:
        title = f"#{s.idea.number} {display_inline(s.idea.title, 80)}"
        if sealed:
            lines.append(f"• {title} — sealed")
        else:
            medal = {1: "🥇", 2: "🥈", 3: "🥉"}[s.place] if s.place else f"{s.rank}."
            lines.append(f"{medal} {title} — {vote_text(s.votes)}")
    return lines


def more_line(remaining: int, command: str) -> str:
    """The last line of a long list: `… and 12 more: `/ideas page:2``; "" when none remain."""
    if remaining <= 0:
        return ""
    return f"… and {remaining} more: `{command}`"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def age(delta: timedelta) -> str:
    """How old, roughly: "40 min", "5 h", "12 d", "3 mo", "2 y"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days = minutes // 1440
    if minutes < 60:
        return f"{minutes} min"
    if days < 1:
        return f"{minutes // 60} h"
    if days < 60:
        return f"{days} d"
    if days < 730:
        return f"{days // 30} mo"
    return f"{days // 365} y"
