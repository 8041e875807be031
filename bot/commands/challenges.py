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
from bot.i18n import N_, _, n_, p_, pN_
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
    N_("the challenge's title or short name"),
    required=True,
    positional=True,
)
#: left out, the command takes the one challenge that fits it (a draft to open, …)
CHALLENGE_OR_ONLY = replace(
    CHALLENGE, required=False, description=N_("the challenge (left out: the only one that fits)")
)

SETTINGS_OPTIONS = (
    Option("title", OptionKind.TEXT, N_("the question, short"), limit="title_max"),
    Option("brief", OptionKind.LONG_TEXT, N_("what the brand asks and why")),
    Option("terms", OptionKind.LONG_TEXT, N_("rules or terms submitters accept")),
    Option("submissions_close", OptionKind.WHEN, N_("duration from opening (7d) or a date")),
    Option("voting_close", OptionKind.WHEN, N_("duration from opening (14d) or a date")),
    Option("venue", OptionKind.CHANNEL, N_("channel(s) for idea posts, comma-separated")),
    Option("emoji", OptionKind.EMOJI, N_("the vote reaction (default 👍)")),
    Option(
        "ideas_per_member",
        OptionKind.INT,
        N_("ideas each member may submit"),
        min_value=1,
        max_value=100,
    ),
    Option("review", OptionKind.BOOL, N_("moderators approve ideas before they are posted")),
    Option("self_votes", OptionKind.BOOL, N_("an author's vote on their own idea counts")),
    Option("min_account_age", OptionKind.DURATION, N_("minimum account age for a vote to count")),
    Option("min_member_age", OptionKind.DURATION, N_("minimum membership age for a vote to count")),
    Option("sealed", OptionKind.BOOL, N_("hide tallies until the close")),
    Option("multiple_places", OptionKind.BOOL, N_("one member may hold several podium places")),
    Option("schedule", OptionKind.CRON, N_("weekly results, cron text (default Monday 09:00)")),
    Option("timezone", OptionKind.TIMEZONE, N_("time zone for deadlines and the schedule")),
    Option("report_venue", OptionKind.CHANNEL, N_("channel for the brand team's report")),
    Option(
        "repeat",
        OptionKind.CHOICE,
        N_("when it closes, the next round opens: weekly, monthly, quarterly (or off)"),
        choices=(*REPEATS, "off"),
    ),
    Option("reminder", OptionKind.DURATION, N_("remind the venues this long before each deadline")),
)


def _venues(text: str, name: str = "venue") -> list[str]:
    venues = [strip_reference(v) for v in text.replace(" ", ",").split(",") if v.strip()]
    if not venues:
        raise UserError(_("`{name}` names no channel.", name=name))
    if any(len(v) > REFERENCE_MAX for v in venues):
        raise UserError(
            n_(
                "`{name}`: a channel id or name is at most {n} character.",
                "`{name}`: a channel id or name is at most {n} characters.",
                REFERENCE_MAX,
                name=name,
            )
        )
    return list(dict.fromkeys(venues))


DEADLINES = ("submissions_close", "voting_close")

#: a phase as the list of challenges names it
PHASE_NAMES = {
    Phase.DRAFT: pN_("phase", "draft"),
    Phase.OPEN: pN_("phase", "open"),
    Phase.VOTING: pN_("phase", "voting"),
    Phase.CLOSED: pN_("phase", "closed"),
}
#: `/challenge open` of a challenge that has opened already
ALREADY = {
    Phase.OPEN: N_("Challenge {title} is already open."),
    Phase.VOTING: N_("Challenge {title} is already voting."),
    Phase.CLOSED: N_("Challenge {title} is already closed."),
}


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
        years = DEADLINE_HORIZON.days // 365
        raise UserError(
            n_(
                "`{name}` is more than {n} year away.",
                "`{name}` is more than {n} years away.",
                years,
                name=name,
            )
        )
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
            # TRANSLATORS: {duration} is written as typed (7d); {at} is a date and time
            return _(
                "{duration} after the opening ({at} if it opened now)",
                duration=spec,
                at=_at(at, tz),
            )
        # TRANSLATORS: {duration} is written as typed (7d); {at} is a date and time
        return _("{duration} after the opening, {at}", duration=spec, at=_at(at, tz))

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
                _(
                    "`{option}:{duration}` counts from the opening on {opening}, so it would "
                    "be {at}, which has already passed.",
                    option=key,
                    duration=spec,
                    opening=_at(opening, tz),
                    at=_at(at, tz),
                )
                + " "
                + (hint or _("Choose a longer duration or a date in the future."))
            )
        raise UserError(
            _("`{option}` is {at}, which has already passed.", option=key, at=_at(at, tz))
            + " "
            + (hint or _("Choose a time in the future."))
        )
    submissions, voting = _schedule(s, opening, closed_submissions)
    if changed and submissions and voting and voting < submissions:
        closed = closed_submissions is not None or s.submissions_close is None
        sub = (
            _at(submissions, tz)
            if closed or s.submissions_close is None
            else shown(s.submissions_close, submissions)
        )
        vote = shown(s.voting_close, voting) if s.voting_close else _at(voting, tz)
        if "submissions_close" in changed:
            text = (
                _(
                    "`submissions_close` closed on {submissions}, after `voting_close`, which "
                    "is {voting}.",
                    submissions=sub,
                    voting=vote,
                )
                if closed
                else _(
                    "`submissions_close` is {submissions}, after `voting_close`, which is "
                    "{voting}.",
                    submissions=sub,
                    voting=vote,
                )
            )
        else:
            text = (
                _(
                    "`voting_close` is {voting}, before `submissions_close`, which closed on "
                    "{submissions}.",
                    submissions=sub,
                    voting=vote,
                )
                if closed
                else _(
                    "`voting_close` is {voting}, before `submissions_close`, which is "
                    "{submissions}.",
                    submissions=sub,
                    voting=vote,
                )
            )
        raise UserError(
            text
            + " "
            + _("Submissions must close no later than voting does.")
            + " "
            + (hint or _("Move one of them."))
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
            raise UserError(_("That channel's id is too long for a report venue."))
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
            raise UserError(
                _(
                    "There is already a challenge called {title} (`{slug}`).",
                    title=quoted(title),
                    slug=c.slug,
                )
            )


@registry.command(
    "challenge",
    "create",
    description=N_("Create a challenge (as a draft)"),
    options=tuple(
        replace(o, required=True) if o.name in ("title", "brief") else o for o in SETTINGS_OPTIONS
    ),
    moderator=True,
    form=True,
    # TRANSLATORS: translate only the quoted title and brief
    example=N_(
        '/challenge create title:"Next flavour" brief:"Which ice cream next?" '
        "submissions_close:7d voting_close:14d"
    ),
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
            _("📝 Challenge {title} is ready as a draft", title=quoted(settings.title)),
            _(
                "Its short name is `{slug}`. Check it with `/challenge info {slug}`, change it "
                "with `/challenge edit {slug}`, and open it with `/challenge open {slug}`.",
                slug=slug,
            ),
        )
    )


@registry.command(
    "challenge",
    "edit",
    description=N_("Change a challenge's settings"),
    options=(CHALLENGE_OR_ONLY, *SETTINGS_OPTIONS),
    moderator=True,
    example="/challenge edit next-flavour voting_close:21d sealed:yes",
)
async def edit(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(
        args.get("challenge"), _not_closed, question=_("Which challenge to edit?")
    )
    changed = sorted(k for k in args if k != "challenge")
    if not changed:
        raise UserError(
            _(
                "Say what changes, for example `/challenge edit {slug} sealed:yes`.",
                slug=challenge.slug,
            )
        )
    if challenge.phase is Phase.CLOSED:
        raise UserError(
            _(
                "Challenge {title} is closed; its settings are final.",
                title=quoted(challenge.title),
            )
        )
    settings = _apply(ctx, challenge.settings, args)
    deadlines = [k for k in DEADLINES if k in args]
    closed_submissions = _closed_submissions(challenge)
    if closed_submissions is not None and "submissions_close" in args:
        tz = settings.timezone
        until = challenge.voting_close_at
        if until:
            raise UserError(
                _(
                    "Challenge {title} closed its submissions on {closed}; they can't open "
                    "again. Change `voting_close` instead (voting is open until {until}).",
                    title=quoted(challenge.title),
                    closed=when(closed_submissions, tz),
                    until=when(until, tz),
                )
            )
        raise UserError(
            _(
                "Challenge {title} closed its submissions on {closed}; they can't open "
                "again. Change `voting_close` instead.",
                title=quoted(challenge.title),
                closed=when(closed_submissions, tz),
            )
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
    news = []
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
            news.append(_("Submissions now close on {at}.", at=when(submissions, tz)))
        if "voting_close" in deadlines and voting is not None:
            news.append(_("Voting now closes on {at}.", at=when(voting, tz)))
    if settings.sealed != challenge.settings.sealed:
        # Received votes are credited while unsealed, and at the close while sealed.
        await ctx.counting.credit(ctx.store, replace(challenge, settings=settings))
    await ctx.audit("challenge.edit", challenge.slug, ", ".join(changed))
    return Reply(
        Card(
            _("⚙️ Challenge {title} is updated", title=quoted(settings.title)),
            " ".join([_("Changed: {options}.", options=", ".join(changed)), *news]),
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
    description=N_("Open a challenge"),
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge open next-flavour",
)
async def open_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(
        args.get("challenge"), _draft, question=_("Which challenge to open?")
    )
    if challenge.phase is not Phase.DRAFT:
        raise UserError(_(ALREADY[challenge.phase], title=quoted(challenge.title)))
    s = challenge.settings
    submissions, voting = _check_deadlines(
        s,
        [k for k in DEADLINES if getattr(s, k) is not None],
        opening=ctx.now,
        now=ctx.now,
        hint=_(
            "Fix it with `/challenge edit {slug}`, then open the challenge.", slug=challenge.slug
        ),
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
            _("🚀 Challenge {title} is open", title=quoted(challenge.title)),
            _("The announcement is posted. Members submit with `/idea submit`."),
        )
    )


@registry.command(
    "challenge",
    "advance",
    description=N_("Move a challenge to its next phase now"),
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge advance next-flavour",
)
async def advance(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(
        args.get("challenge"), _not_closed, question=_("Which challenge to advance?")
    )
    args = {**args, "challenge": challenge.slug}
    if challenge.phase is Phase.DRAFT:
        return await open_(ctx, args)
    if challenge.phase is Phase.OPEN:
        await ctx.store.set_phase(challenge.id, Phase.VOTING, submissions_close_at=ctx.now)
        await webhook_events.phase_changed(
            ctx.store, challenge, Phase.OPEN.value, Phase.VOTING.value, ctx.now, "moderator"
        )
        await ctx.audit("challenge.advance", challenge.slug, "voting")
        return Reply(
            Card(_("Challenge {title} is now in voting", title=quoted(challenge.title)), "")
        )
    return await close(ctx, args)


@registry.command(
    "challenge",
    "close",
    description=N_("Close a challenge and post the final results"),
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge close next-flavour",
)
async def close(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(
        args.get("challenge"), _running, question=_("Which challenge to close?")
    )
    if challenge.phase is Phase.CLOSED:
        raise UserError(_(ALREADY[Phase.CLOSED], title=quoted(challenge.title)))
    if challenge.phase is Phase.DRAFT:
        raise UserError(
            _(
                "Challenge {title} never opened; delete it with `/challenge delete {slug}` "
                "instead.",
                title=quoted(challenge.title),
                slug=challenge.slug,
            )
        )
    await ctx.store.set_phase(challenge.id, Phase.CLOSED, closed_at=ctx.now)
    await webhook_events.phase_changed(
        ctx.store, challenge, challenge.phase.value, Phase.CLOSED.value, ctx.now, "moderator"
    )
    await ctx.audit("challenge.close", challenge.slug)
    following = await rounds.make_next_round(ctx.store, challenge, ctx.now, ctx.now)
    body = _("The final results and the podium are posted.")
    if following is not None and following.opens_at is not None:
        repeats = {
            "weekly": N_(
                "It repeats weekly: the next round, `{slug}`, opens {at}. Change it with "
                "`/challenge edit {slug}`, or delete it to end the series."
            ),
            "monthly": N_(
                "It repeats monthly: the next round, `{slug}`, opens {at}. Change it with "
                "`/challenge edit {slug}`, or delete it to end the series."
            ),
            "quarterly": N_(
                "It repeats quarterly: the next round, `{slug}`, opens {at}. Change it with "
                "`/challenge edit {slug}`, or delete it to end the series."
            ),
        }
        news = repeats.get(challenge.settings.repeat or "", repeats["weekly"])
        at = when(following.opens_at, following.settings.timezone)
        body += " " + _(news, slug=following.slug, at=at)
    return Reply(Card(_("🏆 Challenge {title} is closed", title=quoted(challenge.title)), body))


@registry.command(
    "challenge",
    "delete",
    description=N_("Delete a draft or closed challenge"),
    options=(CHALLENGE_OR_ONLY,),
    moderator=True,
    example="/challenge delete old-draft",
)
async def delete(ctx: Context, args: Mapping[str, Any]) -> Reply:
    ctx.reschedule()
    challenge = await ctx.challenge(
        args.get("challenge"), _deletable, question=_("Which challenge to delete?")
    )
    if challenge.phase.running:
        raise UserError(
            _(
                "Challenge {title} is running; close it first with `/challenge close {slug}`.",
                title=quoted(challenge.title),
                slug=challenge.slug,
            )
        )
    await ctx.store.delete_challenge(challenge.id, ctx.now)
    await ctx.audit("challenge.delete", challenge.slug)
    return Reply(Card(_("🗑️ Challenge {title} is deleted", title=quoted(challenge.title)), ""))


@registry.command(
    "challenge",
    "list",
    description=N_("What is running, and in which phase"),
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
        return Reply(
            Card(_("No challenges yet"), _("Moderators start one with `/challenge create`."))
        )
    lines = [
        f"`{c.slug}` {display_inline(c.title, 80)} — {_phase_line(c)}"
        for c in sorted(found, key=lambda c: (order[c.phase], -c.id))
    ]
    return Reply(
        Card(
            _("Challenges"),
            "\n".join(lines),
            # TRANSLATORS: /challenge info is a command; <name> may be translated
            footer=_("Details: /challenge info <name>"),
        )
    )


def _phase_line(c: Challenge) -> str:
    tz = c.settings.timezone
    if c.phase is Phase.OPEN and c.submissions_close_at:
        return _("open for ideas until {at}", at=when(c.submissions_close_at, tz))
    if c.phase is Phase.VOTING and c.voting_close_at:
        return _("voting until {at}", at=when(c.voting_close_at, tz))
    return p_("phase", PHASE_NAMES[c.phase])


@registry.command(
    "challenge",
    "info",
    description=N_("A challenge's brief, phase, deadlines and rules"),
    options=(replace(CHALLENGE, required=False),),
    example="/challenge info next-flavour",
)
async def info(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(
        args.get("challenge"),
        lambda c: privacy.challenge_visible(c, moderator=ctx.is_moderator),
    )
    if not privacy.challenge_visible(challenge, moderator=ctx.is_moderator):
        raise UserError(_("Challenge {title} hasn't opened yet.", title=quoted(challenge.title)))
    card = challenge_card(challenge)
    return Reply(replace(card, fields=(*card.fields, *settings_fields(challenge))))
