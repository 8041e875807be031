"""Following ideas and choosing notices: `/idea follow`, `/idea unfollow`, `/notify`, and
the moderators' `/mod notices` (who was told what, and how)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import i18n
from bot.commands.context import Context
from bot.commands.ideas import IDEA
from bot.commands.spec import Option, OptionKind, registry
from bot.conversations import Prefs
from bot.errors import UserError
from bot.i18n import N_, _, n_
from bot.messages import Card, Reply
from bot.notices import heading
from bot.render import when
from bot.text import display_inline

LEVELS = ("all", "mine", "none")
NOTICES_SHOWN = 30
#: How a sent notice went, with when: `{when}` is its date.
HOW = {
    "dm": N_("direct message, {when}"),
    "thread": N_("in the thread (direct messages closed), {when}"),
}
#: Kinds of notices, as `/mod notices` lists them (the stored kind is the key).
KINDS = {
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "status": N_("status"),
    "merged": N_("merged"),
    "place": N_("place"),
}

#: The notices a member gets, as a whole sentence, by `/notify` level.
_LEVEL_TEXT = {
    "all": N_("You get direct messages about every idea you follow."),
    "mine": N_("You get direct messages only about your own ideas."),
    "none": N_("You get direct messages about nothing."),
}
#: What `/idea follow` adds when the member's level isn't `all`.
_LEVEL_HINT = {
    "mine": N_("You get notices only about your own ideas now: `/notify all` to change that."),
    "none": N_("You get notices about nothing now: `/notify all` to change that."),
}


@registry.command(
    "idea",
    "follow",
    description=N_("Hear about an idea: approval, status changes, merges, its final place"),
    example="/idea follow #12",
    options=(IDEA,),
)
async def follow(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    await ctx.store.conversations.follow(idea.id, ctx.member.id, True, ctx.now)
    prefs = await ctx.store.conversations.prefs(ctx.member.id)
    body = _(
        "You get a direct message when its status changes, when it is merged and when "
        "it places in the final results. `/idea unfollow #{number}` stops it.",
        number=idea.number,
    )
    if prefs.level in _LEVEL_HINT:
        body += " " + _(_LEVEL_HINT[prefs.level])
    return Reply(Card(_("🔔 You follow {idea}", idea=heading(idea)), body))


@registry.command(
    "idea",
    "unfollow",
    description=N_("Stop hearing about an idea (voting for it again doesn't follow it)"),
    example="/idea unfollow #12",
    options=(IDEA,),
)
async def unfollow(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    await ctx.store.conversations.follow(idea.id, ctx.member.id, False, ctx.now)
    return Reply(
        Card(
            _("🔕 You don't follow {idea} any more", idea=heading(idea)),
            _("`/idea follow #{number}` follows it again.", number=idea.number),
        )
    )


@registry.command(
    "notify",
    description=N_("Which notices you get: all, mine (your own ideas) or none; votes:off"),
    example="/notify mine votes:off",
    options=(
        Option(
            "level",
            OptionKind.CHOICE,
            N_("all, mine or none"),
            positional=True,
            choices=LEVELS,
        ),
        Option(
            "votes",
            OptionKind.CHOICE,
            N_("on: voting for an idea follows it; off: it doesn't"),
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
        _("Voting for an idea follows it.")
        if votes
        else _("Voting for an idea doesn't follow it (`/idea follow #n` does).")
    )
    title = _("🔔 Notices updated") if changed else _("🔔 Your notices")
    change = _("Change it with `/notify all|mine|none` and `/notify votes:on|off`.")
    return Reply(Card(title, f"{_(_LEVEL_TEXT[level])} {voting}\n{change}"))


@registry.command(
    "mod",
    "notices",
    description=N_("Who was told what about an idea, and how"),
    example="/mod notices #12",
    options=(IDEA,),
    moderator=True,
)
async def notices(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    counts = await ctx.store.conversations.notice_counts(idea.id)
    if not counts:
        raise UserError(_("Nobody was told anything about #{number} yet.", number=idea.number))
    listed = await ctx.store.conversations.notices_of(idea.id, NOTICES_SHOWN)
    people = await ctx.store.members_by_ids({n.member_id for n in listed})
    tz = ctx.timezone()
    lines = []
    for n in listed:
        who = display_inline(people[n.member_id].display_name, 40) if n.member_id in people else "?"
        if n.state == "sent":
            how = (
                _(HOW[n.via], when=when(n.sent_at, tz.key)) if n.sent_at and n.via in HOW else n.via
            )
        elif n.state == "failed":
            # The platform's error, as it gave it (for moderators; not translated).
            error = display_inline(n.last_error, 120) if n.last_error else _("failed")
            how = _("not delivered: {error}", error=error)
        else:
            how = (
                n_("waiting ({n} try)", "waiting ({n} tries)", n.attempts)
                if n.attempts
                else _("waiting")
            )
        kind = _(KINDS[n.kind]) if n.kind in KINDS else n.kind
        lines.append(f"• {who} — {kind}: {display_inline(n.title, 80)} — {how}")
    total = sum(counts.values())
    summary = ", ".join(
        _summary(via if state == "sent" else state, count)
        for (state, via), count in sorted(counts.items())
    )
    more = (
        "\n" + n_("…and {n} more.", "…and {n} more.", total - len(listed))
        if total > len(listed)
        else ""
    )
    return Reply(
        Card(
            _("📬 Notices about {idea}", idea=heading(idea)),
            "\n".join(lines) + more,
            ((_("In all"), f"{i18n.number(total)} — {summary}"),),
        )
    )


def _summary(how: str, count: int) -> str:
    """How many notices went one way, or are in one state."""
    if how == "dm":
        return n_("{n} by direct message", "{n} by direct message", count)
    if how == "thread":
        return n_("{n} in the thread", "{n} in the thread", count)
    if how == "pending":
        return n_("{n} waiting", "{n} waiting", count)
    if how == "failed":
        return n_("{n} not delivered", "{n} not delivered", count)
    return f"{i18n.number(count)} {how}"
