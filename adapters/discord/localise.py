"""The slash commands in the members' languages: Discord's `name_localizations` and
`description_localizations`, made by discord.py's own translation flow.

The command tree is built with English names and descriptions, each a `locale_str` (names
and descriptions are what Discord shows by default, and what it sends back in every
interaction, so discord.py still dispatches by the English name). When the tree is synced,
discord.py asks the tree's `Translator` for each string in each of Discord's locales;
`CatalogueTranslator` answers from the gettext catalogues for the locales of our languages
and says nothing (None) for the others.

- Names (commands, groups, options) are messages with the context "command name"
  (`adapters/discord/names.py`); a translation that Discord would refuse (not lowercase,
  a space, more than 32 characters) is left out, and Discord shows the English name.
- Descriptions are the full English description of the spec (its `full` extra),
  translated, then shortened to Discord's 100 characters as the English one is.
- A group's description is its noun and its subcommands' (translated) names.
- Choices keep their English names.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot import i18n
from bot.i18n import N_, _, p_

#: Discord's locales of the languages Cocreate speaks, with the language of each.
DISCORD_LOCALES: dict[discord.Locale, str] = {
    discord.Locale.spain_spanish: "es",
    discord.Locale.latin_american_spanish: "es",
    discord.Locale.german: "de",
    discord.Locale.french: "fr",
    discord.Locale.brazil_portuguese: "pt-BR",
}

NAME_CONTEXT = "command name"
#: a message menu entry ("Submit as idea"): words, with spaces and capitals
MENU_CONTEXT = "menu name"
#: A slash command, group or option name as Discord takes it (lowercase where a letter has
#: a lowercase form; letters, digits, `-` and `_`).
NAME_RULE = re.compile(r"^[-_\w]{1,32}$")
#: A context-menu command's name: any text of 1 to 32 characters.
MENU_NAME_MAX = 32
DESCRIPTION_MAX = 100

#: The nouns of the command groups' descriptions (`Your ideas: submit, edit, …`).
GROUP_NOUNS: dict[str, str] = {
    "idea": N_("Your ideas"),
    "challenge": N_("Challenges"),
    "mod": N_("Moderation"),
    "cocreate": N_("Cocreate"),
    "results": N_("Results"),
    "org": N_("Organisations"),
    "token": N_("Tokens"),
    "webhook": N_("Webhooks"),
}


def short(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """A description within Discord's limit: on one line, cut with `…`."""
    text = " ".join(text.split()) or "…"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def valid_name(name: str, *, menu: bool = False) -> bool:
    """Whether Discord takes this as a command, group or option name (a context menu's name
    when `menu`)."""
    if menu:
        return 1 <= len(name.strip()) <= MENU_NAME_MAX and name == name.strip()
    return NAME_RULE.fullmatch(name) is not None and name == name.lower()


def local_name(tag: str, name: str, *, menu: bool = False) -> str | None:
    """A name in a language, or None when it has no translation Discord would take."""
    with i18n.speaking(tag):
        translated = p_(MENU_CONTEXT if menu else NAME_CONTEXT, name)
    if translated == name or not valid_name(translated, menu=menu):
        return None
    return translated


def description(full: str) -> app_commands.locale_str:
    """A command's or an option's description: shortened English for Discord's default,
    the full English text (the catalogue's message) for the translator."""
    return app_commands.locale_str(short(full), full=full)


def group_text(name: str, children: list[str]) -> str:
    """A group's description in the language in force: its noun and its subcommands."""
    subs = ", ".join(dict.fromkeys(children))
    noun = GROUP_NOUNS.get(name)
    # TRANSLATORS: a command group's description on Discord: what the group is about
    # ("Your ideas"), then the names of its commands ("submit, edit, withdraw").
    return short(_("{group}: {commands}", group=_(noun) if noun else name, commands=subs))


def group_description(name: str, children: list[str]) -> app_commands.locale_str:
    """A group's description: English for Discord's default, with what the translator
    needs to write it in another language."""
    with i18n.speaking(i18n.DEFAULT):
        english = group_text(name, children)
    return app_commands.locale_str(english, group=name, children=tuple(children))


class CatalogueTranslator(app_commands.Translator):
    """Command, group and option names and descriptions from the gettext catalogues."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        tag = DISCORD_LOCALES.get(locale)
        if tag is None:
            return None
        return translation(tag, string, context.location, context.data)


def translation(tag: str, string: app_commands.locale_str, where: Where, data: Any) -> str | None:
    """One string of the command tree in a language; None: Discord shows the English."""
    if where in (Where.command_name, Where.group_name, Where.parameter_name):
        return local_name(tag, string.message, menu=isinstance(data, app_commands.ContextMenu))
    if where is Where.group_description and "group" in string.extras:
        children = [local_name(tag, c) or c for c in string.extras.get("children", ())]
        with i18n.speaking(tag):
            text = group_text(str(string.extras["group"]), children)
        return text if text != string.message else None
    if where in (Where.command_description, Where.group_description, Where.parameter_description):
        full = str(string.extras.get("full", string.message))
        text = short(i18n.in_language(tag, full))
        return text if text != string.message else None
    return None  # choices (and anything new) keep their English names
