"""Following ideas and choosing notices: `/idea follow`, `/idea unfollow`, `/notify`, and
the moderators' `/mod notices` (who was told what, and how)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.context import Context
from bot.commands.ideas import IDEA
from bot.commands.spec import Option, OptionKind, registry
from bot.conversations import Prefs
from bot.errors import UserError
from bot.messages import Card, Reply
from bot.notices import heading
from bot.render import when
from bot.text import display_inline

LEVELS = ("all", "mine", "none")
NOTICES_SHOWN = 30
HOW = {"dm": "direct message", "thread": "in the thread (direct messages closed)"}
SUMMARY = {
    "dm": "by direct message",
    "thread": "in the thread",
    "pending": "waiting",
    "failed": "not delivered",
}

_LEVEL_TEXT = {
    "all": "about every idea you follow",
    "mine": "only about your own ideas",
    "none": "about nothing",
}


@registry.command(
    "idea",
    "follow",
    description="Hear about an idea: approval, status changes, merges, its final place",
    example="/idea follow #12",
    options=(IDEA,),
)
async def follow(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    await ctx.store.conversations.follow(idea.id, ctx.member.id, True, ctx.now)
    prefs = await ctx.store.conversations.prefs(ctx.member.id)
    hint = ""
    if prefs.level != "all":
        hint = f" You get notices {_LEVEL_TEXT[prefs.level]} now: `/notify all` to change that."
    return Reply(
        Card(
            f"🔔 You follow {heading(idea)}",
            "You get a direct message when its status changes, when it is merged and when "
            f"it places in the final results. `/idea unfollow #{idea.number}` stops it.{hint}",
        )
    )


@registry.command(
    "idea",
    "unfollow",
    description="Stop hearing about an idea (voting for it again doesn't follow it)",
    example="/idea unfollow #12",
    options=(IDEA,),
)
async def unfollow(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    await ctx.store.conversations.follow(idea.id, ctx.member.id, False, ctx.now)
    return Reply(
        Card(
            f"🔕 You don't follow {heading(idea)} any more",
            f"`/idea follow #{idea.number}` follows it again.",
        )
    )


@registry.command(
    "notify",
    description="Which notices you get: all, mine (your own ideas) or none; votes:off",
    example="/notify mine votes:off",
    options=(
        Option(
            "level",
            OptionKind.CHOICE,
            "all, mine or none",
            positional=True,
            choices=LEVELS,
        ),
        Option(
            "votes",
            OptionKind.CHOICE,
            "on: voting for an idea follows it; off: it doesn't",
            choices=("on", "off"),
        ),
    ),
    aliases=(("cocreate", "notify"),),
)
async def notify(ctx: Context, args: Mapping[str, Any]) -> Reply:
    prefs = await ctx.store.conversations.prefs(ctx.member.id)
    level = args.get("level", prefs.level)
    votes = prefs.follow_votes if "votes" not in args else args["votes"] == "on"
    changed = Prefs(level, votes) != prefs
    if changed:
        await ctx.store.conversations.set_prefs(ctx.member.id, Prefs(level, votes))
    voting = (
        "Voting for an idea follows it."
        if votes
        else "Voting for an idea doesn't follow it (`/idea follow #n` does)."
    )
    title = "🔔 Notices updated" if changed else "🔔 Your notices"
    return Reply(
        Card(
            title,
            f"You get direct messages {_LEVEL_TEXT[level]}. {voting}\n"
            "Change it with `/notify all|mine|none` and `/notify votes:on|off`.",
        )
    )


@registry.command(
    "mod",
    "notices",
    description="Who was told what about an idea, and how",
    example="/mod notices #12",
    options=(IDEA,),
    moderator=True,
)
async def notices(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    counts = await ctx.store.conversations.notice_counts(idea.id)
    if not counts:
        raise UserError(f"Nobody was told anything about #{idea.number} yet.")
    listed = await ctx.store.conversations.notices_of(idea.id, NOTICES_SHOWN)
    people = await ctx.store.members_by_ids({n.member_id for n in listed})
    tz = ctx.timezone()
    lines = []
    for n in listed:
        who = display_inline(people[n.member_id].display_name, 40) if n.member_id in people else "?"
        if n.state == "sent":
            how = f"{HOW.get(n.via, n.via)}, {when(n.sent_at, tz.key)}" if n.sent_at else n.via
        elif n.state == "failed":
            how = f"not delivered: {display_inline(n.last_error or 'failed', 120)}"
        else:
            how = f"waiting ({n.attempts} tries)" if n.attempts else "waiting"
        lines.append(f"• {who} — {n.kind}: {display_inline(n.title, 80)} — {how}")
    total = sum(counts.values())
    summary = ", ".join(
        f"{count} {SUMMARY.get(via, via) if state == 'sent' else SUMMARY.get(state, state)}"
        for (state, via), count in sorted(counts.items())
    )
    more = f"\n…and {total - len(listed)} more." if total > len(listed) else ""
    return Reply(
        Card(
            f"📬 Notices about {heading(idea)}",
            "\n".join(lines) + more,
            (("In all", f"{total} — {summary}"),),
        )
    )
