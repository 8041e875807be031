"""Standings, final results, the leaderboard and badges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import i18n, loop, privacy, votelog
from bot.commands.context import Context
from bot.commands.ideas import CHALLENGE
from bot.commands.spec import Option, OptionKind, registry
from bot.counting import exported
from bot.digest import anonymous_ideas, participation, standings, weekly_results
from bot.errors import UserError
from bot.events import LoopPosted, ResultsPosted
from bot.export import to_csv, to_json
from bot.i18n import N_, _, n_
from bot.messages import Attachment, Card, Post, PostKind, Reply
from bot.model import PUBLIC_STATUSES, RANKING_RULE, Challenge, Phase
from bot.render import more_line, quoted, standings_lines, when
from bot.text import display_inline
from bot.weeks import leaderboard_period


@registry.command(
    "results",
    description=N_("The current standings of a challenge"),
    options=(CHALLENGE,),
    aliases=(("cocreate", "results"),),
    example="/results next-flavour",
)
async def results(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(args.get("challenge"), _opened)
    if challenge.phase is Phase.DRAFT:
        raise UserError(_("Challenge {title} hasn't opened yet.", title=quoted(challenge.title)))
    sealed = privacy.tallies_sealed(challenge)
    if sealed and not ctx.is_moderator:
        until = challenge.voting_close_at
        title = quoted(challenge.title)
        if until:
            raise UserError(
                _(
                    "Tallies for {title} are sealed until the close on {at}. "
                    "`/ideas {slug}` lists the ideas meanwhile.",
                    title=title,
                    at=when(until, challenge.settings.timezone),
                    slug=challenge.slug,
                )
            )
        raise UserError(
            _(
                "Tallies for {title} are sealed until the close. "
                "`/ideas {slug}` lists the ideas meanwhile.",
                title=title,
                slug=challenge.slug,
            )
        )
    top = await standings(ctx.store, challenge, limit=10)
    lines = standings_lines(top, sealed=False)
    total = await ctx.store.count_ideas(challenge.id, PUBLIC_STATUSES)
    more = more_line(total - len(top), f"/ideas {challenge.slug} sort:top")
    body = "\n".join([*lines, more] if more and lines else lines) or _("No ideas yet.")
    name = display_inline(challenge.title, 100)
    if challenge.phase is Phase.CLOSED:
        title = (
            _(
                "📊 Final results: {title} (sealed for members: only moderators see this)",
                title=name,
            )
            if sealed
            else _("📊 Final results: {title}", title=name)
        )
    else:
        title = (
            _("📊 Standings: {title} (sealed for members: only moderators see this)", title=name)
            if sealed
            else _("📊 Standings: {title}", title=name)
        )
    return Reply(
        Card(
            title,
            body,
            ((_("Participation"), await participation(ctx.store, challenge, total)),),
            footer=_(RANKING_RULE),
        )
    )


def _opened(c: Challenge) -> bool:
    return c.phase is not Phase.DRAFT


def _period(ctx: Context, args: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    return leaderboard_period(
        args.get("period", "season"),
        args.get("week"),
        ctx.now,
        ctx.settings.leaderboard.season_months,
        shown=True,
    )


@registry.command(
    "leaderboard",
    description=N_("Points of the week, the season or all time"),
    options=(
        Option(
            "period",
            OptionKind.CHOICE,
            N_("week, season or all"),
            choices=("week", "season", "all"),
        ),
        Option("week", OptionKind.TEXT, N_("a date in a past week, like 2026-03-02")),
    ),
    aliases=(("cocreate", "leaderboard"),),
    example="/leaderboard period:week",
)
async def leaderboard(ctx: Context, args: Mapping[str, Any]) -> Reply:
    label, first, last = _period(ctx, args)
    top, mine, ranked = await ctx.store.leaderboard_of(
        ctx.community.id, ctx.rewards.weights, first, last, 10, ctx.member.id
    )
    lines = [
        f"{r.rank}. {display_inline(r.display_name, 60)} — "
        + n_("{n} point", "{n} points", r.points)
        for r in top
    ]
    footer = [
        n_(
            "You: {n} point, rank {rank} of {ranked}",
            "You: {n} points, rank {rank} of {ranked}",
            mine.points,
            rank=i18n.number(mine.rank),
            ranked=i18n.number(ranked),
        )
        if mine
        else _("Submit ideas and vote to earn points.")
    ]
    if first is None and last is None:  # all time
        public, total = await ctx.store.member_points(
            ctx.community.id, ctx.member.id, ctx.rewards.weights
        )
        if total > public:
            footer.append(
                _(
                    "+{points} from your anonymous ideas, shown only to you",
                    points=i18n.number(total - public),
                )
            )
    footer.append(_("Tied members share a rank."))
    body = "\n".join(lines) or _("Nobody has points in this period yet.")
    return Reply(
        Card(_("🏅 Leaderboard · {period}", period=label), body, footer=" · ".join(footer))
    )


@registry.command(
    "badges",
    description=N_("Your badges and points, or another member's"),
    options=(Option("member", OptionKind.MEMBER, N_("a member (default: you)"), positional=True),),
    aliases=(("cocreate", "badges"),),
    example="/badges @ana",
)
async def badges(ctx: Context, args: Mapping[str, Any]) -> Reply:
    member = await ctx.target_member(args["member"]) if "member" in args else ctx.member
    earned = await ctx.store.badges(ctx.community.id, member_id=member.id)
    if member.id != ctx.member.id and not ctx.is_moderator:
        # Badges earned with an anonymous idea would name its author.
        secret = await anonymous_ideas(ctx.store, earned)
        earned = [b for b in earned if b.idea_id not in secret]
    challenges = {c.id: c for c in await ctx.store.challenges(ctx.community.id)}
    titles = {c.id: c.title for c in challenges.values()}
    numbers = {
        i.id: i.number
        for i in (
            await ctx.store.ideas_by_ids({b.idea_id for b in earned if b.idea_id is not None})
        ).values()
    }
    lines = []
    for b in earned:
        badge = b.kind.label
        number = numbers[b.idea_id] if b.idea_id in numbers and b.per_idea else None
        where = display_inline(titles[b.challenge_id], 60) if b.challenge_id in titles else None
        zone = (
            challenges[b.challenge_id].settings.timezone
            if b.challenge_id in challenges
            else ctx.settings.core.default_timezone
        )
        at = when(b.awarded_at, zone)
        if number is not None and where is not None:
            line = _(
                "{badge} for #{number} in {challenge} · {at}",
                badge=badge,
                number=number,
                challenge=where,
                at=at,
            )
        elif number is not None:
            line = _("{badge} for #{number} · {at}", badge=badge, number=number, at=at)
        elif where is not None:
            line = _("{badge} in {challenge} · {at}", badge=badge, challenge=where, at=at)
        else:
            line = f"{badge} · {at}"
        lines.append(line)
    public, total = await ctx.store.member_points(ctx.community.id, member.id, ctx.rewards.weights)
    own = member.id == ctx.member.id
    body = "\n".join(lines) or _("No badges yet: submit an idea or vote to earn the first.")
    if own or ctx.is_moderator:
        footer = n_("{n} point all time", "{n} points all time", total)
        if total > public:
            footer += " " + _(
                "({anonymous} from anonymous ideas: others see {public})",
                anonymous=i18n.number(total - public),
                public=i18n.number(public),
            )
    else:
        footer = n_("{n} point all time", "{n} points all time", public)
    title = (
        n_("🎖️ You have {n} badge", "🎖️ You have {n} badges", len(earned))
        if own
        else n_(
            "🎖️ {name} has {n} badge",
            "🎖️ {name} has {n} badges",
            len(earned),
            name=display_inline(member.display_name, 60),
        )
    )
    return Reply(Card(title, body, footer=footer))


@registry.command(
    "results",
    "post",
    description=N_("Post the current results in the challenge's venues now"),
    options=(CHALLENGE,),
    moderator=True,
    aliases=(("cocreate", "results", "post"),),
    example="/results post next-flavour",
)
async def post_results(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(
        args.get("challenge"), _opened, question=_("Which challenge to post?")
    )
    if challenge.phase is Phase.DRAFT:
        raise UserError(_("Challenge {title} hasn't opened yet.", title=quoted(challenge.title)))
    with ctx.publicly():
        card = await weekly_results(ctx.store, challenge, ctx.now)
    posts = tuple(Post(v, PostKind.RESULTS, card) for v in challenge.venues)
    ctx.emit(ResultsPosted(challenge, posts))
    await ctx.audit("results.post", challenge.slug)
    return Reply(Card(_("📊 Results for {title} are posted", title=quoted(challenge.title)), ""))


@registry.command(
    "results",
    "loop",
    description=N_('"You said, we did": the ideas that became planned, in progress or implemented'),
    example="/results loop preview:yes",
    options=(
        Option("preview", OptionKind.BOOL, N_("moderators: show it only to you, without posting")),
    ),
    aliases=(("cocreate", "results", "loop"),),
)
async def results_loop(ctx: Context, args: Mapping[str, Any]) -> Reply:
    """Moderators post it to the community's venues now (it covers what moved since the
    last one, scheduled or not); members, and moderators with `preview:yes`, see privately
    what the next one will list."""
    tz = ctx.settings.core.default_timezone
    ready = await loop.prepare(ctx.store, ctx.community.id, ctx.now, tz)
    if not ctx.is_moderator or args.get("preview", False):
        card = ready.card
        channels = ", ".join(f"#{c}" for c in ready.channels)
        if not ctx.is_moderator:
            how = _("Only you see this: it is what the next post in the channels will list.")
        elif channels:
            how = _("Only you see this. `/results loop` posts it to {channels}", channels=channels)
        else:
            how = _("Only you see this. `/results loop` posts it to the challenges' channels")
        return Reply(Card(card.title, card.body, card.fields, footer=how))
    last = when(ready.since, ready.timezone) if ready.since else None
    if not ready.moved:
        raise UserError(
            _(
                "No idea has moved to planned, in progress or implemented since the last one "
                "({at}), so there is nothing to post. `/mod status #n planned` tells the "
                "community what is coming.",
                at=last,
            )
            if last
            else _(
                "No idea has moved to planned, in progress or implemented, so there is "
                "nothing to post. `/mod status #n planned` tells the community what is coming."
            )
        )
    if ready.carrier is None:
        raise UserError(
            _(
                "There is no channel to post to yet: it goes to the venues of the running "
                "challenges (or of the last one that closed)."
            )
        )
    period = f"demand:{ctx.now:%Y-%m-%dT%H:%M}"
    if not await ctx.store.loop.claim(
        ctx.community.id, period, ready.since, ctx.now, len(ready.moved), ctx.now
    ):
        raise UserError(_('"You said, we did" was posted a moment ago; look in the channels.'))
    with ctx.publicly():
        posts = ready.posts()
    ctx.emit(LoopPosted(ready.carrier, posts))
    moved = len(ready.moved)
    await ctx.audit("results.loop", "you said, we did", f"{moved} idea{'' if moved == 1 else 's'}")
    channels = ", ".join(f"#{c}" for c in ready.channels)
    body = (
        n_(
            "{n} idea since the last one ({at}), in {channels}. The next one lists what moves "
            "from now on.",
            "{n} ideas since the last one ({at}), in {channels}. The next one lists what moves "
            "from now on.",
            moved,
            at=last,
            channels=channels,
        )
        if last
        else n_(
            "{n} idea, in {channels}. The next one lists what moves from now on.",
            "{n} ideas, in {channels}. The next one lists what moves from now on.",
            moved,
            channels=channels,
        )
    )
    return Reply(Card(_('📣 "You said, we did" is posted'), body))


@registry.command(
    "export",
    description=N_("A challenge's ideas with status, votes, authors and timestamps, as a file"),
    options=(
        Option(
            "challenge",
            OptionKind.CHALLENGE,
            N_("the challenge (left out: the only one that has opened)"),
            positional=True,
        ),
        Option(
            "format",
            OptionKind.CHOICE,
            N_("csv (default), json, or votes (the vote log, shareable: members as pseudonyms)"),
            choices=("csv", "json", "votes"),
        ),
    ),
    moderator=True,
    aliases=(("cocreate", "export"),),
    example="/export next-flavour format:json",
)
async def export(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(
        args.get("challenge"), _opened, question=_("Which challenge to export?")
    )
    stem = f"{challenge.slug}-{ctx.now:%Y%m%d-%H%M}"
    if args.get("format") == "votes":
        return await _export_votes(ctx, challenge, stem)
    rows = await ctx.store.export_rows(challenge.id)
    if args.get("format", "csv") == "json":
        file = Attachment(f"{stem}.json", to_json(rows, challenge.title), "application/json")
    else:
        file = Attachment(f"{stem}.csv", to_csv(rows), "text/csv")
    await ctx.audit("export", challenge.slug, file.filename)
    return Reply(
        Card(
            _("📦 Export of {title}", title=quoted(challenge.title)),
            n_("{n} idea in {file}.", "{n} ideas in {file}.", len(rows), file=file.filename),
        ),
        attachments=(file,),
    )


async def _export_votes(ctx: Context, challenge: Challenge, stem: str) -> Reply:
    """The vote log as JSON Lines, with the standings it adds up to: anyone can check it
    with `cocreate audit verify`."""
    entries = await exported(ctx.store, ctx.community, challenge)
    count, head = await ctx.store.chain(challenge.id)
    ranked = await standings(ctx.store, challenge)
    summary = {
        "challenge": challenge.slug,
        "phase": challenge.phase.value,
        "entries": count,
        "head": head,
        "standings": {str(s.idea.number): s.votes for s in ranked if s.votes},
    }
    file = Attachment(f"{stem}-votes.jsonl", votelog.dump(entries, summary), "application/x-ndjson")
    await ctx.audit("export", challenge.slug, file.filename)
    return Reply(
        Card(
            _("📦 Vote log of {title}", title=quoted(challenge.title)),
            n_(
                "{n} entry, head {head}, in {file}. Members appear as pseudonyms, so it can be "
                "shared; `cocreate audit verify FILE` checks it.",
                "{n} entries, head {head}, in {file}. Members appear as pseudonyms, so it can "
                "be shared; `cocreate audit verify FILE` checks it.",
                count,
                head=head,
                file=file.filename,
            ),
        ),
        attachments=(file,),
    )
