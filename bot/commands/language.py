"""`/cocreate language` (a member's own) and `/mod language` (the community's default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import i18n
from bot.commands.context import Context
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Card, Reply

#: what a member types to go back to the language their platform reports
AUTOMATIC = "auto"


def _choice(typed: str) -> str | None:
    """The shipped language typed, None for `auto`; a clear error otherwise."""
    if typed.strip().casefold() == AUTOMATIC:
        return None
    found = i18n.supported(typed)
    if found is None:
        raise UserError(
            _("Cocreate doesn't speak '{typed}' yet.", typed=typed[:20]) + "\n" + _offer()
        )
    return found


def _offer() -> str:
    names = ", ".join(f"`{tag}` ({i18n.language_name(tag)})" for tag in i18n.LOCALES)
    return _("Languages: {names}.", names=names)


@registry.command(
    "cocreate",
    "language",
    description=i18n.N_("Choose the language Cocreate answers you in"),
    example="/cocreate language es",
    options=(
        Option(
            "language",
            OptionKind.TEXT,
            i18n.N_("a language, or auto for your platform's"),
            positional=True,
        ),
    ),
)
async def member_language(ctx: Context, args: Mapping[str, Any]) -> Reply:
    if "language" not in args:
        chosen = ctx.member.locale
        body = (
            _("You chose {language}.", language=i18n.language_name(chosen))
            if chosen
            else _("You haven't chosen one: Cocreate follows your platform, then the community.")
        )
        return Reply(
            Card(
                _("🌐 I answer you in {language}", language=i18n.language_name(ctx.locale)),
                body + "\n" + _offer(),
            )
        )
    chosen = _choice(args["language"])
    await ctx.store.set_member_locale(ctx.member.id, chosen)
    ctx.member = replace(ctx.member, locale=chosen)
    i18n.switch(ctx.locale)
    if chosen is None:
        return Reply(
            Card(
                _("🌐 Back to your platform's language"),
                _("Public posts stay in the community's language."),
            )
        )
    return Reply(
        Card(
            _("🌐 From now on I answer you in {language}", language=i18n.language_name(chosen)),
            _("Public posts stay in the community's language."),
        )
    )


@registry.command(
    "mod",
    "language",
    description=i18n.N_("Set the community's language: public posts, and members who chose none"),
    moderator=True,
    example="/mod language de",
    options=(
        Option(
            "language",
            OptionKind.TEXT,
            i18n.N_("a language, or auto for English"),
            positional=True,
            required=True,
        ),
    ),
)
async def community_language(ctx: Context, args: Mapping[str, Any]) -> Reply:
    chosen = _choice(args["language"])
    await ctx.store.set_community_locale(ctx.community.id, chosen)
    ctx.community = replace(ctx.community, locale=chosen)
    if ctx.here.id == ctx.community.id:
        ctx.here = ctx.community
    i18n.switch(ctx.locale)  # the moderator's own answers follow it unless they chose one
    await ctx.audit("language", chosen or i18n.DEFAULT)
    language = i18n.language_name(chosen or i18n.DEFAULT)
    return Reply(
        Card(
            _("🌐 The community's language is now {language}", language=language),
            _(
                "Public posts are written in it, and so are the answers to members who "
                "chose no language and whose platform reports none."
            ),
        )
    )
