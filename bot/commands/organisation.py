"""`/mod org`: link this community with the brand's others, on any platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.context import Context
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.i18n import N_, _, n_
from bot.messages import Card, Reply
from bot.organisations import LINK_VALID, code_hash, new_link_code, redeem
from bot.render import platform_name
from bot.text import display_inline

CODE = Option(
    "code",
    OptionKind.TEXT,
    N_("the code from the other community"),
    required=True,
    positional=True,
)


@registry.command(
    "mod",
    "org",
    "link",
    description=N_("A one-time code that links another community with this one"),
    moderator=True,
    example="/mod org link",
)
async def link(ctx: Context, args: Mapping[str, Any]) -> Reply:
    code = new_link_code()
    await ctx.store.organisations.add_link_code(
        ctx.here.id, ctx.member.id, code_hash(code), ctx.now
    )
    await ctx.audit("org.link", "code issued")
    minutes = int(LINK_VALID.total_seconds() // 60)
    return Reply(
        Card(
            _("🔗 Link code: {code}", code=code),
            n_(
                "Give it to a moderator of the other community (Discord, Slack or the console). "
                "They confirm the link there with `/mod org join {code}` within {n} "
                "minute. It works once; nothing is linked until they do.",
                "Give it to a moderator of the other community (Discord, Slack or the console). "
                "They confirm the link there with `/mod org join {code}` within {n} "
                "minutes. It works once; nothing is linked until they do.",
                minutes,
                code=code,
            ),
        )
    )


@registry.command(
    "mod",
    "org",
    "join",
    description=N_("Confirm a link with the community that gave you this code"),
    options=(CODE,),
    moderator=True,
    example="/mod org join ABCD-EFGH",
)
async def join(ctx: Context, args: Mapping[str, Any]) -> Reply:
    organisation = await redeem(ctx.store.organisations, args["code"], ctx.here, ctx.now)
    await ctx.audit("org.join", f"organisation {organisation}")
    return Reply(
        Card(
            _("🔗 Linked"),
            _("This community now belongs to the organisation:") + "\n" + await _list(ctx),
        ),
        ephemeral=False,
    )


@registry.command(
    "mod",
    "org",
    "show",
    description=N_("The communities linked with this one"),
    moderator=True,
    example="/mod org show",
)
async def show(ctx: Context, args: Mapping[str, Any]) -> Reply:
    listed = await _list(ctx)
    if not listed:
        return Reply(Card(_("No linked communities"), _("Link one with `/mod org link`.")))
    return Reply(Card(_("🔗 Linked communities"), listed))


@registry.command(
    "mod",
    "org",
    "leave",
    description=N_("Unlink this community from the others"),
    moderator=True,
    example="/mod org leave",
)
async def leave(ctx: Context, args: Mapping[str, Any]) -> Reply:
    store = ctx.store.organisations
    home = await store.home_of(ctx.here.id)
    if home is None:
        raise UserError(_("This community is not linked with any other."))
    if home.id == ctx.here.id:
        raise UserError(
            _(
                "This community keeps the organisation's challenges: the other communities "
                "leave first (`/mod org leave` there)."
            )
        )
    await ctx.store.organisations.leave_organisation(ctx.here.id)
    await ctx.audit("org.leave", "")
    return Reply(Card(_("✂️ Unlinked"), _("This community stands on its own again.")))


async def _list(ctx: Context) -> str:
    store = ctx.store.organisations
    organisation = await store.organisation_of(ctx.here.id)
    if organisation is None:
        return ""
    return "\n".join(
        f"• {display_inline(c.name, 80)} ({platform_name(c.platform)})"
        + (" — " + _("keeps the challenges") if n == 0 else "")
        + (" — " + _("this one") if c.id == ctx.here.id else "")
        for n, c in enumerate(await store.communities_of(organisation))
    )
