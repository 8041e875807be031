"""Languages on Discord: the synced commands carry their names and descriptions in our
languages (from the catalogues, through discord.py's translator), and a member is answered
in the language of their Discord client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from gettext import NullTranslations
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord import localise
from adapters.discord.commands import commands_signature
from adapters.discord.localise import CatalogueTranslator, short, valid_name
from adapters.discord.names import CAPTURE_MENU, COMMANDS, OPTIONS
from bot import i18n
from bot.commands import registry
from tests.discord.conftest import WAIT, Bot, World
from tests.discord.test_commands import synced_leaf

_found = registry.find(("idea", "submit"))
assert _found is not None
SUBMIT = _found
TITLE = next(o for o in SUBMIT.options if o.name == "title")
#: Discord's locales of our languages, with the language each one reads.
LOCALES = {"de": "de", "fr": "fr", "es-ES": "es", "es-419": "es", "pt-BR": "pt-BR"}


class Catalogue(NullTranslations):
    """A compiled catalogue's stand-in: a few messages, and contexts' messages."""

    def __init__(self, messages: dict[str, str], names: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages
        self.names = names

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def pgettext(self, context: str, message: str) -> str:
        if context not in ("command name", "menu name"):
            return message
        return self.names.get(message, message)


def catalogues() -> dict[str, Catalogue]:
    """Each language with translations of `/idea submit`, its `title` option and the
    `idea` group; German also with a name Discord refuses (`submit`: capitals, a space)."""
    words = {
        "de": ("Idee", "Eine Idee einreichen", "Der Titel deiner Idee", "titel", "Deine Ideen"),
        "fr": ("idée", "Proposer une idée", "Le titre de ton idée", "titre", "Tes idées"),
        "es": ("idea-es", "Enviar una idea", "El título de tu idea", "título", "Tus ideas"),
        "pt-BR": ("ideia", "Enviar uma ideia", "O título da sua ideia", "título", "Suas ideias"),
    }
    out = {}
    for tag, (idea, submit, title, title_name, noun) in words.items():
        names = {"idea": idea.lower(), "title": title_name, "submit": f"{tag.lower()}-submit"}
        if tag == "de":
            names["submit"] = "Idee Einreichen"  # breaks Discord's rule: left out
        out[tag] = Catalogue(
            {
                SUBMIT.description: submit,
                TITLE.description: title,
                "Your ideas": noun,
                # a translation longer than Discord's 100 characters, shortened
                "Choose the language Cocreate answers you in": "Sprache " * 30,
            },
            names | {"Submit as idea": "Als Idee einreichen"},
        )
    return out


@pytest.fixture
def translated(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Catalogue]]:
    """`bot.i18n.catalogue` answering from the stand-ins (English: the messages)."""
    found = catalogues()

    def catalogue(tag: str) -> NullTranslations:
        return found.get(tag) or NullTranslations()

    monkeypatch.setattr(i18n, "catalogue", catalogue)
    yield found


def test_every_name_on_discord_is_in_the_names_table() -> None:
    from adapters.discord.commands import discord_paths

    for path, spec in discord_paths(registry.specs).items():
        assert set(path) <= set(COMMANDS), path
        assert {o.name for o in spec.options} <= set(OPTIONS), spec.name
    assert CAPTURE_MENU == "Submit as idea"


def test_discord_name_rules() -> None:
    assert valid_name("título") and valid_name("idee-einreichen") and valid_name("id_2")
    assert not valid_name("Idee") and not valid_name("zwei worte") and not valid_name("x" * 33)
    assert not valid_name("")
    assert valid_name("Als Idee einreichen", menu=True)
    assert not valid_name("x" * 33, menu=True) and not valid_name(" padded", menu=True)


async def test_the_synced_commands_carry_their_localisations(
    translated: dict[str, Catalogue], new_bot: Callable[..., Bot], world: World
) -> None:
    await new_bot().start()
    commands = world.fake.commands[str(world.guild.id)]
    group = next(c for c in commands if c["name"] == "idea")
    submit = synced_leaf(commands, ("idea", "submit"))
    title = next(o for o in submit["options"] if o["name"] == "title")
    for locale, tag in LOCALES.items():
        names, messages = translated[tag].names, translated[tag].messages
        assert group["name_localizations"][locale] == names["idea"], locale
        assert group["description_localizations"][locale].startswith(
            messages["Your ideas"] + ": "
        ), locale
        assert submit["description_localizations"][locale] == messages[SUBMIT.description]
        assert title["name_localizations"][locale] == names["title"], locale
        assert title["description_localizations"][locale] == messages[TITLE.description]
        if tag != "de":
            assert submit["name_localizations"][locale] == names["submit"], locale
    # German's `submit` breaks Discord's rule: no German name, the English one shows.
    assert "de" not in submit["name_localizations"]
    # The group's description names its commands as the language does.
    assert "es-submit" in group["description_localizations"]["es-ES"]
    assert "submit" in group["description_localizations"]["de"]
    # English stays the default, and discord.py dispatches by it.
    assert submit["name"] == "submit" and title["name"] == "title"
    assert submit["description"] == short(SUBMIT.description)
    # Languages we don't speak get nothing.
    assert "ja" not in submit["description_localizations"]
    assert "en-GB" not in title["name_localizations"]
    # Too long once translated: shortened as the English is.
    language = synced_leaf(commands, ("cocreate", "language"))
    german = language["description_localizations"]["de"]
    assert len(german) == 100 and german.endswith("…")
    # The context menu: a name with capitals and spaces is fine there.
    menu = next(c for c in commands if c["type"] == 3)
    assert menu["name"] == "Submit as idea"
    assert menu["name_localizations"]["de"] == "Als Idee einreichen"
    # A localised command still runs by its English name.
    record = await world.run(world.ana, "cocreate language")
    assert "🌐" in record.embed["title"], record.text()


async def test_a_changed_translation_syncs_again(
    translated: dict[str, Catalogue], new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    path = rf"^/applications/\d+/guilds/{world.guild.id}/commands$"
    first = await new_bot().start()
    await first.stop()
    assert len(fake.requests_to("PUT", path)) == 1
    # Discord gives the localisations back when asked: the same ones, no sync.
    second = await new_bot().start()
    await second.stop()
    assert len(fake.requests_to("PUT", path)) == 1, "nothing changed: no second sync"
    assert all(r.query.get("with_localizations") == "true" for r in fake.requests_to("GET", path))
    translated["fr"].names["title"] = "intitulé"
    await new_bot().start()
    assert len(fake.requests_to("PUT", path)) == 2, "a translation changed: synced again"
    submit = synced_leaf(fake.commands[str(world.guild.id)], ("idea", "submit"))
    title = next(o for o in submit["options"] if o["name"] == "title")
    assert title["name_localizations"]["fr"] == "intitulé"


def test_the_signature_compares_localisations() -> None:
    ours = [{"name": "idea", "description": "x", "name_localizations": {"de": "idee"}}]
    theirs = [{"name": "idea", "description": "x", "name_localizations": {"de": "idee"}}]
    assert commands_signature(ours) == commands_signature(theirs)
    theirs[0]["name_localizations"] = {"de": "einfall"}
    assert commands_signature(ours) != commands_signature(theirs)
    # Discord's null and our empty dict are the same: nothing localised.
    assert commands_signature([{"name": "a", "name_localizations": None}]) == commands_signature(
        [{"name": "a", "name_localizations": {}}]
    )


async def test_the_translator_answers_only_for_our_languages(
    translated: dict[str, Catalogue],
) -> None:
    translator = CatalogueTranslator()
    command: app_commands.Command[Any, ..., Any] = app_commands.Command(
        name="submit", description=localise.description(SUBMIT.description), callback=_noop
    )
    name_context: Any = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, command
    )
    described: Any = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_description, command
    )
    submit = app_commands.locale_str("submit")
    about = localise.description(SUBMIT.description)
    assert await translator.translate(submit, discord.Locale.french, name_context) == "fr-submit"
    assert await translator.translate(submit, discord.Locale.german, name_context) is None
    assert await translator.translate(submit, discord.Locale.japanese, name_context) is None
    assert await translator.translate(about, discord.Locale.american_english, described) is None
    assert (
        await translator.translate(about, discord.Locale.latin_american_spanish, described)
        == "Enviar una idea"
    )


async def _noop(interaction: discord.Interaction) -> None: ...


async def test_a_spanish_client_is_answered_in_spanish(
    translated: dict[str, Catalogue], bot: Bot, world: World
) -> None:
    translated["es"].messages["🌐 I answer you in {language}"] = "🌐 Te respondo en {language}"
    world.ana.locale = "es-ES"
    record = await world.run(world.ana, "cocreate language")
    assert record.embed["title"] == "🌐 Te respondo en Español", record.text()
    # Ben's Discord speaks English: so does Cocreate.
    record = await world.run(world.ben, "cocreate language")
    assert record.embed["title"] == "🌐 I answer you in English", record.text()


async def test_forms_open_in_the_language_of_the_client(
    translated: dict[str, Catalogue], bot: Bot, world: World
) -> None:
    world.ana.locale = "es-ES"
    record = await world.fake.command(world.ana, world.ideas, "idea submit")
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert record.callback is not None and record.callback["type"] == 9, record.callback
    modal = record.callback["data"]
    assert modal["title"] == "Enviar una idea"
    labels = [row["label"] for row in modal["components"]]
    assert "Título" in labels, labels
    placeholders = [row["component"].get("placeholder") for row in modal["components"]]
    assert "El título de tu idea" in placeholders, placeholders


async def test_forms_follow_the_members_own_choice_over_the_client(
    translated: dict[str, Catalogue], bot: Bot, world: World
) -> None:
    world.ana.locale = "es-ES"
    chosen = await world.run(world.ana, "cocreate language", {"language": "de"})
    assert "Deutsch" in chosen.embed["title"], chosen.text()
    record = await world.fake.command(world.ana, world.ideas, "idea submit")
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert record.callback is not None and record.callback["type"] == 9, record.callback
    assert record.callback["data"]["title"] == "Eine Idee einreichen"


async def test_dates_are_written_in_the_language_of_the_client(bot: Bot, world: World) -> None:
    created = await world.run(
        world.maya,
        "challenge create",
        {
            "title": "Snacks",
            "brief": "What should we make?",
            "submissions_close": "2030-03-10 18:00",
        },
    )
    assert created.embed["title"].startswith("📝"), created.text()
    opened = await world.run(world.maya, "challenge open", {"challenge": "snacks"})
    assert "is open" in opened.embed["title"], opened.text()
    world.ana.locale = "es-ES"
    spanish = await world.run(world.ana, "challenge info", {"challenge": "snacks"})
    english = await world.run(world.ben, "challenge info", {"challenge": "snacks"})
    assert "Sun 10 Mar 2030" in english.text(), english.text()
    assert "dom, 10 mar 2030" in spanish.text(), spanish.text()
