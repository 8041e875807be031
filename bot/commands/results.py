"""Standings, final results, the leaderboard and badges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import loop, privacy, votelog
from bot.commands.context import Context
from bot.commands.ideas import CHALLENGE
from bot.commands.spec import Option, OptionKind, registry
from bot.counting import exported
from bot.digest import anonymous_ideas, participation, standings, weekly_results
from bot.errors import UserError
from bot.events import LoopPosted, ResultsPosted
from bot.export import to_csv, to_json
from bot.messages import Attachment, Card, Post, PostKind, Reply
from bot.model import PUBLIC_STATUSES, RANKING_RULE, Challenge, Phase
from bot.render import more_line, plural, quoted, standings_lines, when
from bot.text import display_inline
from bot.weeks import leaderboard_period


@registry.command(
    "results",
    description="The current standings of a challenge",
    options=(CHALLENGE,),
    aliases=(("cocreate", "results"),),
    example="/results next-flavour",
)
async def results(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(args.get("challenge"), _opened)
    if challenge.phase is Phase.DRAFT:
        raise UserError(f"Challenge {quoted(challenge.title)} hasn't opened yet.")
    sealed = privacy.tallies_sealed(challenge)
    if sealed and not ctx.is_moderator:
        until = challenge.voting_close_at
        on = f" on {when(until, challenge.settings.timezone)}" if until else ""
        raise UserError(
            f"Tallies for {quoted(challenge.title)} are sealed until the close{on}. "
            f"`/ideas {challenge.slug}` lists the ideas meanwhile."
        )
    top = await standings(ctx.store, challenge, limit=10)
    heading = "Final results" if challenge.phase is Phase.CLOSED else "Standings"
    lines = standings_lines(top, sealed=False)
    total = await ctx.store.count_ideas(challenge.id, PUBLIC_STATUSES)
    more = more_line(total - len(top), f"/ideas {challenge.slug} sort:top")
    body = "\n".join([*lines, more] if more and lines else lines) or "No ideas yet."
    note = " (sealed for members: only moderators see this)" if sealed else ""
    return Reply(
        Card(
            f"📊 {heading}: {display_inline(challenge.title, 100)}{note}",
            body,
            (("Participation", await participation(ctx.store, challenge)),),
            footer=RANKING_RULE,
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
    )


@registry.command(
    "leaderboard",
    description="Points of the week, the season or all time",
    options=(
        Option(
            "period", OptionKind.CHOICE, "week, season or all", choices=("week", "season", "all")
        ),
        Option("week", OptionKind.TEXT, "a date in a past week, like 2026-03-02"),
    ),
    aliases=(("cocreate", "leaderboard"),),
    example="/leaderboard period:week",
)
async def leaderboard(ctx: Context, args: Mapping[str, Any]) -> Reply:
    label, first, last = _period(ctx, args)
    period = label
    top, mine, ranked = await ctx.store.leaderboard_of(
        ctx.community.id, ctx.rewards.weights, first, last, 10, ctx.member.id
    )
    lines = [
        f"{r.rank}. {display_inline(r.display_name, 60)} — {plural(r.points, 'point')}" for r in top
    ]
    footer = (
        f"You: {plural(mine.points, 'point')}, rank {mine.rank} of {ranked}"
        if mine
        else "Submit ideas and vote to earn points."
    )
    if period == "all time":
        public, total = await ctx.store.member_points(
            ctx.community.id, ctx.member.id, ctx.rewards.weights
        )
        if total > public:
            footer += f" · +{total - public} from your anonymous ideas, shown only to you"
    footer += " · Tied members share a rank."
    body = "\n".join(lines) or "Nobody has points in this period yet."
    return Reply(Card(f"🏅 Leaderboard · {label}", body, footer=footer))


@registry.command(
    "badges",
    description="Your badges and points, or another member's",
    options=(Option("member", OptionKind.MEMBER, "a member (default: you)", positional=True),),
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
        idea = f" for #{numbers[b.idea_id]}" if b.idea_id in numbers and b.per_idea else ""
        where = (
            f" in {display_inline(titles[b.challenge_id], 60)}" if b.challenge_id in titles else ""
        )
        zone = (
            challenges[b.challenge_id].settings.timezone
            if b.challenge_id in challenges
            else ctx.settings.core.default_timezone
        )
        lines.append(f"{b.kind.label}{idea}{where} · {when(b.awarded_at, zone)}")
    public, total = await ctx.store.member_points(ctx.community.id, member.id, ctx.rewards.weights)
    own = member.id == ctx.member.id
    who = "You have" if own else f"{display_inline(member.display_name, 60)} has"
    body = "\n".join(lines) or "No badges yet: submit an idea or vote to earn the first."
    if own or ctx.is_moderator:
        footer = f"{plural(total, 'point')} all time"
        if total > public:
            footer += f" ({total - public} from anonymous ideas: others see {public})"
    else:
        footer = f"{plural(public, 'point')} all time"
    return Reply(Card(f"🎖️ {who} {plural(len(earned), 'badge')}", body, footer=footer))


@registry.command(
    "results",
    "post",
    description="Post the current results in the challenge's venues now",
    options=(CHALLENGE,),
    moderator=True,
    aliases=(("cocreate", "results", "post"),),
    example="/results post next-flavour",
)
async def post_results(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(args.get("challenge"), _opened, "to post")
    if challenge.phase is Phase.DRAFT:
        raise UserError(f"Challenge {quoted(challenge.title)} hasn't opened yet.")
    card = await weekly_results(ctx.store, challenge, ctx.now)
    posts = tuple(Post(v, PostKind.RESULTS, card) for v in challenge.venues)
    ctx.emit(ResultsPosted(challenge, posts))
    await ctx.audit("results.post", challenge.slug)
    return Reply(Card(f"📊 Results for {quoted(challenge.title)} are posted", ""))


@registry.command(
    "results",
    "loop",
    description='"You said, we did": the ideas that became planned, in progress or implemented',
    example="/results loop preview:yes",
    options=(
        Option("preview", OptionKind.BOOL, "moderators: show it only to you, without posting"),
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
        how = (
            "Only you see this. `/results loop` posts it to "
            + (", ".join(f"#{c}" for c in ready.channels) or "the challenges' channels")
            if ctx.is_moderator
            else "Only you see this: it is what the next post in the channels will list."
        )
        return Reply(Card(card.title, card.body, card.fields, footer=how))
    since = f" since the last one ({when(ready.since, ready.timezone)})" if ready.since else ""
    if not ready.moved:
        raise UserError(
            f"No idea has moved to planned, in progress or implemented{since}, so there is "
            "nothing to post. `/mod status #n planned` tells the community what is coming."
        )
    if ready.carrier is None:
        raise UserError(
            "There is no channel to post to yet: it goes to the venues of the running "
            "challenges (or of the last one that closed)."
        )
    period = f"demand:{ctx.now:%Y-%m-%dT%H:%M}"
    if not await ctx.store.loop.claim(
        ctx.community.id, period, ready.since, ctx.now, len(ready.moved), ctx.now
    ):
        raise UserError('"You said, we did" was posted a moment ago; look in the channels.')
    ctx.emit(LoopPosted(ready.carrier, ready.posts()))
    await ctx.audit("results.loop", "you said, we did", plural(len(ready.moved), "idea"))
    channels = ", ".join(f"#{c}" for c in ready.channels)
    return Reply(
        Card(
            '📣 "You said, we did" is posted',
            f"{plural(len(ready.moved), 'idea')}{since}, in {channels}. The next one lists "
            "what moves from now on.",
        )
    )


@registry.command(
    "export",
    description="A challenge's ideas with status, votes, authors and timestamps, as a file",
    options=(
        Option(
            "challenge",
            OptionKind.CHALLENGE,
            "the challenge (left out: the only one that has opened)",
            positional=True,
        ),
        Option(
            "format",
            OptionKind.CHOICE,
            "csv (default), json, or votes (the vote log, shareable: members as pseudonyms)",
            choices=("csv", "json", "votes"),
        ),
    ),
    moderator=True,
    aliases=(("cocreate", "export"),),
    example="/export next-flavour format:json",
)
async def export(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(args.get("challenge"), _opened, "to export")
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
            f"📦 Export of {quoted(challenge.title)}",
            f"{plural(len(rows), 'idea')} in {file.filename}.",
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
            f"📦 Vote log of {quoted(challenge.title)}",
            f"{count} entries, head {head}, in {file.filename}. Members appear as "
            "pseudonyms, so it can be shared; `cocreate audit verify FILE` checks it.",
        ),
        attachments=(file,),
    )
