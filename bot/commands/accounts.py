"""`/cocreate link`: one person's accounts on several platforms of an organisation count
as one (bot/accounts.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import accounts
from bot.commands.context import Context
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import DirectMessage
from bot.i18n import N_, _, n_
from bot.messages import Card, Reply
from bot.organisations import LINK_VALID
from bot.render import platform_name


@registry.command(
    "cocreate",
    "link",
    description=N_("Link your accounts on this organisation's other platforms: they count as one"),
    example="/cocreate link ABCD-EFGH",
    options=(
        Option(
            "code", OptionKind.TEXT, N_("the code your other account was given"), positional=True
        ),
    ),
)
async def link(ctx: Context, args: Mapping[str, Any]) -> Reply:
    home = await ctx.store.organisations.home_of(ctx.here.id)
    if home is None:
        raise UserError(
            _(
                "This community is not linked with another one, so there is no other account "
                "to link. Moderators link communities with `/mod org link`."
            )
        )
    if "code" not in args:
        code = await accounts.issue(ctx.store, ctx.member, ctx.here, ctx.now)
        minutes = int(LINK_VALID.total_seconds() // 60)
        card = Card(
            _("🔗 Your code: {code}", code=code),
            n_(
                "With your account on the other platform, run `/cocreate link {code}` within "
                "{n} minute. Your accounts then count as one: one vote per idea, one set "
                "of points and badges. Nobody else needs it: keep it to yourself.",
                "With your account on the other platform, run `/cocreate link {code}` within "
                "{n} minutes. Your accounts then count as one: one vote per idea, one set "
                "of points and badges. Nobody else needs it: keep it to yourself.",
                minutes,
                code=code,
            ),
        )
        ctx.emit(DirectMessage(ctx.here.ref, ctx.actor.external_id, card))
        return Reply(
            Card(_("🔗 Your code is on its way"), _("A one-time code, by direct message."))
        )
    account = await ctx.store.accounts.account_id(ctx.here.id, ctx.actor.external_id)
    await accounts.redeem(ctx.store, ctx.counting, args["code"], account, ctx.here, home, ctx.now)
    return Reply(
        Card(
            _("🔗 Accounts linked"),
            # TRANSLATORS: {platform} is Discord or Slack.
            _(
                "Your {platform} account and your other one now count as one person: "
                "one vote per idea, one set of points and badges, one place on the leaderboard.",
                platform=platform_name(ctx.here.platform),
            ),
        )
    )
