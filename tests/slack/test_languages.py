"""Slack's locale for a user (users.info with `include_locale`) is the language the core
answers them in, unless they chose one with `/cocreate language`; what the adapter says
itself follows Slack's locale."""

from __future__ import annotations

import gettext
from datetime import timedelta

import pytest

from bot import i18n
from bot.render import when
from tests.slack.conftest import World, open_challenge


def deadline_in(world: World, locale: str) -> str:
    """The close of submissions (`submissions_close:7d`), as the bot writes it in `locale`."""
    with i18n.speaking(locale):
        return when(world.clock.now() + timedelta(days=7), "UTC")


async def test_users_info_is_asked_for_the_locale(world: World) -> None:
    world.fake.add_user("U_ESTE", "Este", locale="es-ES")
    await world.ask("/challenge list", user="U_ESTE")
    asked = [c for c in world.fake.of("users.info") if c.args.get("user") == "U_ESTE"]
    assert asked and all(str(c.args.get("include_locale")).lower() in ("1", "true") for c in asked)


async def test_a_user_whose_slack_speaks_spanish_is_answered_in_spanish(world: World) -> None:
    world.fake.add_user("U_ESTE", "Este", locale="es-ES")
    await open_challenge(world, "submissions_close:7d voting_close:14d")
    spanish, english = deadline_in(world, "es"), deadline_in(world, "en")
    assert spanish != english
    listed = await world.ask("/challenge list", user="U_ESTE")
    assert spanish in listed and english not in listed, listed
    # Others still read English.
    assert english in await world.ask("/challenge list", user="U_ANA")
    told = await world.ask("/cocreate language", user="U_ESTE")
    assert i18n.language_name("es") in told, told


async def test_the_members_own_choice_overrides_the_slack_locale(world: World) -> None:
    world.fake.add_user("U_ESTE", "Este", locale="es-ES")
    await open_challenge(world, "submissions_close:7d voting_close:14d")
    chosen = await world.ask("/cocreate language de", user="U_ESTE")
    assert i18n.language_name("de") in chosen, chosen
    listed = await world.ask("/challenge list", user="U_ESTE")
    assert deadline_in(world, "de") in listed, listed
    assert deadline_in(world, "es") not in listed, listed
    # `auto` goes back to what Slack reports.
    await world.ask("/cocreate language auto", user="U_ESTE")
    assert deadline_in(world, "es") in await world.ask("/challenge list", user="U_ESTE")


SPANISH = {"That didn't work": "Eso no funcionó"}


class _Spanish(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return SPANISH.get(message, message)


async def test_the_adapters_own_words_follow_the_slack_locale(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line Slack's grammar cannot read is refused by the adapter, before the core."""
    english = i18n.catalogue("en")
    spanish = _Spanish()
    monkeypatch.setattr(i18n, "catalogue", lambda tag: spanish if tag == "es" else english)
    world.fake.add_user("U_ESTE", "Este", locale="es-ES")
    refused = await world.ask("/idea bogus", user="U_ESTE")
    assert refused.startswith("Eso no funcionó"), refused
    assert (await world.ask("/idea bogus", user="U_ANA")).startswith("That didn't work")


async def test_the_adapters_own_words_follow_the_members_choice_over_slack(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a member chose a language, what the adapter says itself is in it too."""
    english = i18n.catalogue("en")
    spanish = _Spanish()
    monkeypatch.setattr(i18n, "catalogue", lambda tag: spanish if tag == "es" else english)
    world.fake.add_user("U_ENID", "Enid", locale="en-US")
    assert (await world.ask("/idea bogus", user="U_ENID")).startswith("That didn't work")
    await world.ask("/cocreate language es", user="U_ENID")
    refused = await world.ask("/idea bogus", user="U_ENID")
    assert refused.startswith("Eso no funcionó"), refused
