"""Challenge commands: list and info for everyone; create, edit and the phases for moderators."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import privacy, rounds
from bot.commands.args import REFERENCE_MAX, strip_reference
from bot.commands.context import Context
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.grammar import format_duration, parse_duration, parse_when
from bot.messages import Card, Reply
from bot.model import REPEATS, Challenge, ChallengeSettings, Phase
from bot.render import challenge_card, quoted, settings_fields, when
from bot.text import clean_user_text, display_inline, slugify
from bot.venues import elsewhere
from bot.webhooks import events as webhook_events

BRIEF_MAX = 3000
DEADLINE_HORIZON = timedelta(days=5 * 365)
DEFAULT_EMOJI = "👍"
DEFAULT_SCHEDULE = "0 9 * * mon"

CHALLENGE = Option(
    "challenge",
    OptionKind.CHALLENGE,
    "the challenge's title or short name",
    required=True,
    positional=True,
)
#: left out, the command takes the one challenge that fits it (a draft to open, …)
CHALLENGE_OR_ONLY = replace(
    CHALLENGE, required=False, description="the challenge (left out: the only one that fits)"
)

SETTINGS_OPTIONS = (
    Option("title", OptionKind.TEXT, "the question, short", limit="title_max"),
    Option("brief", OptionKind.LONG_TEXT, "what the brand asks and why"),
    Option("terms", OptionKind.LONG_TEXT, "rules or terms submitters accept"),
    Option("submissions_close", OptionKind.WHEN, "duration from opening (7d) or a date"),
    Option("voting_close", OptionKind.WHEN, "duration from opening (14d) or a date"),
    Option("venue", OptionKind.CHANNEL, "channel(s) for idea posts, comma-separated"),
    Option("emoji", OptionKind.EMOJI, "the vote reaction (default 👍)"),
    Option(
        "ideas_per_member",
        OptionKind.INT,
        "ideas each member may submit",
        min_value=1,
        max_value=100,
    ),
    Option("review", OptionKind.BOOL, "moderators approve ideas before they are posted"),
    Option("self_votes", OptionKind.BOOL, "an author's vote on their own idea counts"),
    Option("min_account_age", OptionKind.DURATION, "minimum account age for a vote to count"),
    Option("min_member_age", OptionKind.DURATION, "minimum membership age for a vote to count"),
    Option("sealed", OptionKind.BOOL, "hide tallies until the close"),
    Option("multiple_places", OptionKind.BOOL, "one member may hold several podium places"),
    Option("schedule", OptionKind.CRON, "weekly results, cron text (default Monday 09:00)"),
    Option("timezone", OptionKind.TIMEZONE, "time zone for deadlines and the schedule"),
    Option("report_venue", OptionKind.CHANNEL, "channel for the brand team's report"),
    Option(
        "repeat",
        OptionKind.CHOICE,
        "when it closes, the next round opens: weekly, monthly, quarterly (or off)",
        choices=(*REPEATS, "off"),
    ),
    Option("reminder", OptionKind.DURATION, "remind the venues this long before each deadline"),
)


def _venues(text: str, name: str = "venue") -> list[str]:
    venues = [strip_reference(v) for v in text.replace(" ", ",").split(",") if v.strip()]
    if not venues:
        raise UserError(f"`{name}` names no channel.")
    if any(len(v) > REFERENCE_MAX for v in venues):
        raise UserError(f"`{name}`: a channel id or name is at most {REFERENCE_MAX} characters.")
    return list(dict.fromkeys(venues))


DEADLINES = ("submissions_close", "voting_close")


def _running(c: Challenge) -> bool:
    return c.phase.running


def _deletable(c: Challenge) -> bool:
    return not c.phase.running


def _draft(c: Challenge) -> bool:
    return c.phase is Phase.DRAFT


def _not_closed(c: Challenge) -> bool:
    return c.phase is not Phase.CLOSED


def _deadline_spec(name: str, raw: str, tz: str, now: datetime) -> str:
    """A deadline as stored: a duration from opening (`7d`) or an ISO point in time. Whether
    it has passed, and its order, are checked against the schedule (`_check_deadlines`)."""
    value = parse_when(raw, ZoneInfo(tz), now)
    if isinstance(value, timedelta):
        return format_duration(value)
    if value > now + DEADLINE_HORIZON:
        raise UserError(f"`{name}` is more than {DEADLINE_HORIZON.days // 365} years away.")
    return value.isoformat()


def resolve_deadline(spec: str | None, opened_at: datetime) -> datetime | None:
    if spec is None:
        return None
    try:
        return datetime.fromisoformat(spec)
    except ValueError:
        return opened_at + parse_duration(spec)


def _is_duration(spec: str) -> bool:
    try:
        datetime.fromisoformat(spec)
    except ValueError:
        return True
    return False


def _schedule(
    s: ChallengeSettings, opening: datetime, closed_submissions: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """When submissions and voting close for a challenge opened at `opening`. Once
    submissions have closed, their close is what happened, whatever the setting says."""
    voting = resolve_deadline(s.voting_close, opening)
    if closed_submissions is not None:
        return closed_submissions, voting
    submissions = resolve_deadline(s.submissions_close, opening)
    return (voting if submissions is None else submissions), voting


_at = when


def _check_deadlines(
    s: ChallengeSettings,
    changed: Collection[str],
    *,
    opening: datetime,
    now: datetime,
    draft: bool = False,
    closed_submissions: datetime | None = None,
    hint: str = "",
) -> tuple[datetime | None, datetime | None]:
    """Refuse a changed deadline that has passed, and a schedule where submissions close
    after voting; returns when submissions and voting close. `opening` is when the
    challenge opened, or for a draft the earliest it can (now): durations count from it."""
    tz = s.timezone

    def shown(spec: str, at: datetime) -> str:
        if not _is_duration(spec):
            return _at(at, tz)
        if draft:
            return f"{spec} after the opening ({_at(at, tz)} if it opened now)"
        return f"{spec} after the opening, {_at(at, tz)}"

    specs = {"submissions_close": s.submissions_close, "voting_close": s.voting_close}
    for key in DEADLINES:
        spec = specs[key]
        if key not in changed or spec is None:
            continue
        at = resolve_deadline(spec, opening)
        assert at is not None
        if at > now:
            continue
        if _is_duration(spec):
            raise UserError(
                f"`{key}:{spec}` counts from the opening on {_at(opening, tz)}, so it would be "
                f"{_at(at, tz)}, which has already passed. "
                + (hint or "Choose a longer duration or a date in the future.")
            )
        raise UserError(
            f"`{key}` is {_at(at, tz)}, which has already passed. "
            + (hint or "Choose a time in the future.")
        )
    submissions, voting = _schedule(s, opening, closed_submissions)
    if changed and submissions and voting and voting < submissions:
        sub = (
            f"closed on {_at(submissions, tz)}"
            if closed_submissions is not None or s.submissions_close is None
            else f"is {shown(s.submissions_close, submissions)}"
        )
        vote = f"is {shown(s.voting_close, voting)}" if s.voting_close else ""
        if "submissions_close" in changed:
            text = f"`submissions_close` {sub}, after `voting_close`, which {vote}."
        else:
            text = f"`voting_close` {vote}, before `submissions_close`, which {sub}."
        raise UserError(
            f"{text} Submissions must close no later than voting does. "
            + (hint or "Move one of them.")
        )
    return submissions, voting


def _apply(ctx: Context, base: ChallengeSettings, args: Mapping[str, Any]) -> ChallengeSettings:
    limits = ctx.settings.limits
    changes: dict[str, Any] = {}
    if "title" in args:
        changes["title"] = clean_user_text(
            args["title"], max_len=limits.title_max, field="title", multiline=False
        )
    if "brief" in args:
        changes["brief"] = clean_user_text(
            args["brief"], max_len=BRIEF_MAX, field="brief", multiline=True
        )
    if "terms" in args:
        terms = args["terms"].strip()
        changes["terms"] = (
            clean_user_text(terms, max_len=BRIEF_MAX, field="terms", multiline=True)
            if terms and terms.lower() not in ("none", "-")
            else None
        )
    for key in (
        "ideas_per_member",
        "review",
        "self_votes",
        "sealed",
        "multiple_places",
        "schedule",
        "timezone",
    ):
        if key in args:
            changes[key] = args[key]
    if "emoji" in args:
        changes["vote_emoji"] = args["emoji"]
    if "repeat" in args:
        changes["repeat"] = None if args["repeat"] == "off" else args["repeat"]
    if "reminder" in args:
        changes["reminder"] = args["reminder"]
    for key in ("min_account_age", "min_member_age"):
        if key in args:
            changes[key] = args[key]
    if "report_venue" in args:
        (report,) = ctx.venues(_venues(args["report_venue"], "report_venue")[:1])
        if len(report) > REFERENCE_MAX:
            raise UserError("That channel's id is too long for a report venue.")
        changes["report_venue"] = report
    tz = changes.get("timezone", base.timezone)
    for key in DEADLINES:
        if key in args:
            changes[key] = _deadline_spec(key, args[key], tz, ctx.now)
    return replace(base, **changes)


async def _unique_slug(ctx: Context, title: str) -> str:
    base = slugify(title) or "challenge"
    slug, n = base, 1
    while await ctx.store.slug_taken(ctx.community.id, slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


async def _check_title_free(ctx: Context, title: str, except_id: int | None = None) -> None:
    for c in await ctx.store.challenges(ctx.community.id):
        if c.id != except_id and c.title.casefold() == title.casefold():
            raise UserError(f"There is already a challenge called {quoted(title)} (`{c.slug}`).")


@registry.command(
    "challenge",
    "create",
    description="Create a challenge (as a draft)",
    options=tuple(
        replace(o, required=True) if o.name in ("title", "brief") else o for o in SETTINGS_OPTIONS
    ),
    moderator=True,
    form=True,
    example='/challenge create title:"Next flavour" brief:"Which ice cream next?" '
    "submissions_close:7d voting_close:14d",
)
async def create(ctx: Context, args: Mapping[str, Any]) -> Reply:
    blank = ChallengeSettings(
        title="",
        brief="",
        terms=None,
        submissions_close=None,
        voting_close=None,
        vote_emoji=DEFAULT_EMOJI,
        ideas_per_member=ctx.settings.limits.ideas_per_member,
        review=False,
        self_votes=False,
        min_account_age=timedelta(0),
        min_member_age=timedelta(0),
        sealed=False,
        schedule=DEFAULT_SCHEDULE,
        timezone=ctx.settings.core.default_timezone,
        report_venue=None,
    )
    settings = _apply(ctx, blank, args)
    _check_deadlines(
        settings, [k for k in DEADLINES if k in args], opening=ctx.now, now=ctx.now, draft=True
    )
    await _check_title_free(ctx, settings.title)
    slug = await _unique_slug(ctx, settings.title)
    venues = ctx.venues(_venues(args["venue"])) if "venue" in args else [ctx.venue]
    await ctx.store.add_challenge(ctx.community.id, slug, settings, venues, ctx.member.id, ctx.now)
    await ctx.audit("challenge.create", slug, display_inline(settings.title, 100))
    return Reply(
        Card(
            f"📝 Challenge {quoted(settings.title)} is ready as a draft",
            f"Its short name is `{slug}`. Check it with `/challenge info {slug}`, change it "
            f"with `/challenge edit {slug}`, and open it with `/challenge open {slug}`.",
        )
    )


@registry.command(
    "challenge",
    "edit",
    description="Change a challenge's settings",
    options=(CHALLENGE_OR_ONLY, *SETTINGS_OPTIONS),
    moderator=True,
    example="/challenge edit next-flavour voting_close:21d sealed:yes",
)
async def edit(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(args.get("challenge"), _not_closed, "to edit")
    changed = sorted(k for k in args if k != "challenge")
    if not changed:
        raise UserError(
            f"Say what changes, for example `/challenge edit {challenge.slug} sealed:yes`."
        )
    if challenge.phase is Phase.CLOSED:
        raise UserError(f"Challenge {quoted(challenge.title)} is closed; its settings are final.")
    settings = _apply(ctx, challenge.settings, args)
    deadlines = [k for k in DEADLINES if k in args]
    closed_submissions = _closed_submissions(challenge)
    if closed_submissions is not None and "submissions_close" in args:
        tz = settings.timezone
        until = challenge.voting_close_at
        open_until = f" (voting is open until {when(until, tz)})" if until else ""
        raise UserError(
            f"Challenge {quoted(challenge.title)} closed its submissions on "
            f"{when(closed_submissions, tz)}; they can't open again. Change `voting_close` "
            f"instead{open_until}."
        )
    if challenge.phase.running and challenge.opened_at is not None:
        # Durations count from the real opening; only the deadlines named are checked for
        # having passed, so an unrelated edit is never refused for a deadline already met.
        _check_deadlines(
            settings,
            deadlines,
            opening=challenge.opened_at,
            now=ctx.now,
            closed_submissions=closed_submissions,
        )
    else:  # a draft: checked as if it opened now, and again when it opens
        _check_deadlines(settings, deadlines, opening=ctx.now, now=ctx.now, draft=True)
    if settings.title != challenge.title:
        await _check_title_free(ctx, settings.title, challenge.id)
    await ctx.store.update_challenge(challenge.id, settings)
    if "venue" in args:  # the venues in this community; those elsewhere stay
        kept = elsewhere(challenge.venues, ctx.here.id, ctx.community.id)
        await ctx.store.set_venues(challenge.id, kept + ctx.venues(_venues(args["venue"])))
    news = ""
    if challenge.phase.running and challenge.opened_at is not None:
        submissions, voting = _schedule(settings, challenge.opened_at, closed_submissions)
        await ctx.store.set_phase(
            challenge.id,
            challenge.phase,
            submissions_close_at=submissions,
            voting_close_at=voting,
        )
        tz = settings.timezone
        if "submissions_close" in deadlines and submissions is not None:
            news += f" Submissions now close on {when(submissions, tz)}."
        if "voting_close" in deadlines and voting is not None:
            news += f" Voting now closes on {when(voting, tz)}."
    if settings.sealed != challenge.settings.sealed:
        # Received votes are credited while unsealed, and at the close while sealed.
        await ctx.counting.credit(ctx.store, replace(challenge, settings=settings))
    await ctx.audit("challenge.edit", challenge.slug, ", ".join(changed))
    return Reply(
        Card(
            f"⚙️ Challenge {quoted(settings.title)} is updated",
            f"Changed: {', '.join(changed)}.{news}",
        )
    )


def _closed_submissions(challenge: Challenge) -> datetime | None:
    """When a challenge in voting closed its submissions (at the deadline or by hand)."""
    if challenge.phase is not Phase.VOTING:
        return None
    return challenge.submissions_close_at or challenge.opened_at


@registry.command(
    "challenge",
    "open",
    description="Open a challenge",
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge open next-flavour",
)
async def open_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(args.get("challenge"), _draft, "to open")
    if challenge.phase is not Phase.DRAFT:
        raise UserError(f"Challenge {quoted(challenge.title)} is already {challenge.phase.value}.")
    s = challenge.settings
    submissions, voting = _check_deadlines(
        s,
        [k for k in DEADLINES if getattr(s, k) is not None],
        opening=ctx.now,
        now=ctx.now,
        hint=f"Fix it with `/challenge edit {challenge.slug}`, then open the challenge.",
    )
    await ctx.store.set_phase(
        challenge.id,
        Phase.OPEN,
        opened_at=ctx.now,
        submissions_close_at=submissions,
        voting_close_at=voting,
    )
    await webhook_events.phase_changed(
        ctx.store, challenge, Phase.DRAFT.value, Phase.OPEN.value, ctx.now, "moderator"
    )
    await ctx.audit("challenge.open", challenge.slug)
    return Reply(
        Card(
            f"🚀 Challenge {quoted(challenge.title)} is open",
            "The announcement is posted. Members submit with `/idea submit`.",
        )
    )


@registry.command(
    "challenge",
    "advance",
    description="Move a challenge to its next phase now",
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge advance next-flavour",
)
async def advance(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(args.get("challenge"), _not_closed, "to advance")
    args = {**args, "challenge": challenge.slug}
    if challenge.phase is Phase.DRAFT:
        return await open_(ctx, args)
    if challenge.phase is Phase.OPEN:
        await ctx.store.set_phase(challenge.id, Phase.VOTING, submissions_close_at=ctx.now)
        await webhook_events.phase_changed(
            ctx.store, challenge, Phase.OPEN.value, Phase.VOTING.value, ctx.now, "moderator"
        )
        await ctx.audit("challenge.advance", challenge.slug, "voting")
        return Reply(Card(f"Challenge {quoted(challenge.title)} is now in voting", ""))
    return await close(ctx, args)


@registry.command(
    "challenge",
    "close",
    description="Close a challenge and post the final results",
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge close next-flavour",
)
async def close(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(args.get("challenge"), _running, "to close")
    if challenge.phase is Phase.CLOSED:
        raise UserError(f"Challenge {quoted(challenge.title)} is already closed.")
    if challenge.phase is Phase.DRAFT:
        raise UserError(
            f"Challenge {quoted(challenge.title)} never opened; delete it with "
            f"`/challenge delete {challenge.slug}` instead."
        )
    await ctx.store.set_phase(challenge.id, Phase.CLOSED, closed_at=ctx.now)
    await webhook_events.phase_changed(
        ctx.store, challenge, challenge.phase.value, Phase.CLOSED.value, ctx.now, "moderator"
    )
    await ctx.audit("challenge.close", challenge.slug)
    following = await rounds.make_next_round(ctx.store, challenge, ctx.now, ctx.now)
    news = ""
    if following is not None and following.opens_at is not None:
        news = (
            f" It repeats {challenge.settings.repeat}: the next round, `{following.slug}`, "
            f"opens {when(following.opens_at, following.settings.timezone)}. Change it with "
            f"`/challenge edit {following.slug}`, or delete it to end the series."
        )
    return Reply(
        Card(
            f"🏆 Challenge {quoted(challenge.title)} is closed",
            "The final results and the podium are posted." + news,
        )
    )


@registry.command(
    "challenge",
    "delete",
    description="Delete a draft or closed challenge",
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge delete old-draft",
)
async def delete(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(args.get("challenge"), _deletable, "to delete")
    if challenge.phase.running:
        raise UserError(
            f"Challenge {quoted(challenge.title)} is running; close it first with "
            f"`/challenge close {challenge.slug}`."
        )
    await ctx.store.delete_challenge(challenge.id, ctx.now)
    await ctx.audit("challenge.delete", challenge.slug)
    return Reply(Card(f"🗑️ Challenge {quoted(challenge.title)} is deleted", ""))


@registry.command(
    "challenge",
    "list",
    description="What is running, and in which phase",
    example="/challenge list",
)
async def list_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    order = {Phase.OPEN: 0, Phase.VOTING: 1, Phase.DRAFT: 2, Phase.CLOSED: 3}
    found = [
        c
        for c in await ctx.store.challenges(ctx.community.id)
        if privacy.challenge_visible(c, moderator=ctx.is_moderator)
    ]
    if not found:
        return Reply(Card("No challenges yet", "Moderators start one with `/challenge create`."))
    lines = [
        f"`{c.slug}` {display_inline(c.title, 80)} — {_phase_line(c)}"
        for c in sorted(found, key=lambda c: (order[c.phase], -c.id))
    ]
    return Reply(Card("Challenges", "\n".join(lines), footer="Details: /challenge info <name>"))


def _phase_line(c: Challenge) -> str:
    tz = c.settings.timezone
    if c.phase is Phase.OPEN and c.submissions_close_at:
        return f"open for ideas until {when(c.submissions_close_at, tz)}"
    if c.phase is Phase.VOTING and c.voting_close_at:
        return f"voting until {when(c.voting_close_at, tz)}"
    return c.phase.value


@registry.command(
    "challenge",
    "info",
    description="A challenge's brief, phase, deadlines and rules",
    options=(replace(CHALLENGE, required=False),),
    example="/challenge info next-flavour",
)
async def info(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(
        args.get("challenge"),
        lambda c: privacy.challenge_visible(c, moderator=ctx.is_moderator),
    )
    if not privacy.challenge_visible(challenge, moderator=ctx.is_moderator):
        raise UserError(f"Challenge {quoted(challenge.title)} hasn't opened yet.")
    card = challenge_card(challenge)
    return Reply(replace(card, fields=(*card.fields, *settings_fields(challenge))))
