"""Languages: every shown string comes from the catalogue, every shipped language translates
all of it with the same placeholders, and each person is answered in their language."""

from __future__ import annotations

import importlib.util
import re
import string
from collections.abc import Callable, Iterator
from gettext import NullTranslations
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot import i18n
from bot.grammar import GrammarError
from bot.messages import Card, CommunityRef, Reply
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def _catalogues_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts" / "catalogues.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogues = _catalogues_script()


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _key(m: Message) -> tuple[str | None, str]:
    return (m.context, m.id if isinstance(m.id, str) else m.id[0])


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


# -- choosing the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es", "es"),
        ("es-ES", "es"),
        ("es-419", "es"),
        ("ES", "es"),
        ("de", "de"),
        ("fr-CA", "fr"),
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("pt", "pt-BR"),
        ("en-US", "en"),
        ("ja", None),
        ("", None),
        (None, None),
    ],
)
def test_platform_and_typed_tags_map_to_the_shipped_languages(
    tag: str | None, expected: str | None
) -> None:
    assert i18n.supported(tag) == expected


def test_the_first_known_choice_wins_then_english() -> None:
    assert i18n.resolve("de", "es-ES", "fr") == "de"
    assert i18n.resolve(None, "es-ES", "fr") == "es"
    assert i18n.resolve(None, "ja", "fr") == "fr"
    assert i18n.resolve(None, None, None) == "en"


# -- the catalogues -------------------------------------------------------------------


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    """`scripts/dev catalogues` was run after the last change to a shown string."""
    in_code = {_key(m) for m in catalogues.extract() if m.id}
    in_template = {_key(m) for m in _read(catalogues.TEMPLATE) if m.id}
    assert in_code - in_template == set(), "run `scripts/dev catalogues`: new messages"
    assert in_template - in_code == set(), "run `scripts/dev catalogues`: gone messages"


@pytest.mark.parametrize("language", catalogues.LANGUAGES)
def test_each_language_translates_every_message_with_its_placeholders(language: str) -> None:
    template = {_key(m): m for m in _read(catalogues.TEMPLATE) if m.id}
    catalog = _read(catalogues.po_path(language), language)
    translated = {_key(m): m for m in catalog if m.id}
    problems: list[str] = []
    for key, source in template.items():
        found = translated.get(key)
        if found is None or not catalogues.translated(found.string) or found.fuzzy:
            problems.append(f"untranslated: {key[1]!r}")
            continue
        ids = source.id if isinstance(source.id, tuple) else (source.id,)
        wanted = set().union(*(_fields(i) for i in ids))
        forms = found.string if isinstance(found.string, tuple) else (found.string,)
        if isinstance(source.id, tuple) and len(forms) != catalog.num_plurals:
            problems.append(f"{len(forms)} plural forms, not {catalog.num_plurals}: {key[1]!r}")
        for form in forms:
            try:
                used = _fields(form)
            except ValueError as err:
                problems.append(f"broken braces ({err}): {form!r}")
                continue
            # A plural form may leave out the count ("un voto"); nothing else may be lost.
            allowed_missing = {"n"} if isinstance(source.id, tuple) else set()
            if used - wanted or wanted - used - allowed_missing:
                problems.append(f"placeholders {sorted(used)} for {sorted(wanted)}: {form!r}")
        if key[0] == "command name" and not re.fullmatch(r"[-_\w]{1,32}", forms[0]):
            problems.append(f"not a Discord command name: {forms[0]!r}")
    for message, errors in catalog.check():
        problems += [f"{error}: {message.id!r}" for error in errors]
    assert problems == [], "\n".join(problems[:40])


def test_a_shipped_catalogue_is_the_one_in_force() -> None:
    for language in ("es", "de", "fr", "pt_BR"):
        catalog = _read(catalogues.po_path(language), language)
        sample = next(
            (m for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.context),
            None,
        )
        if sample is None:
            pytest.fail(f"{language}: no translated message")
        with i18n.speaking(language):
            assert i18n._(sample.id) == sample.string


# -- every shown string comes through the catalogue ---------------------------------------

OPEN, CLOSE = "⟦", "⟧"


class Marked(NullTranslations):
    """A pseudo-translation: each message comes back between marks, so that whatever is
    shown outside the marks did not come through the catalogue."""

    def gettext(self, message: str) -> str:
        return OPEN + message + CLOSE

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return OPEN + (msgid1 if n == 1 else msgid2) + CLOSE

    def pgettext(self, context: str, message: str) -> str:
        return OPEN + message + CLOSE


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """French, as Babel writes its dates and numbers, with the marked pseudo-catalogue."""
    real, dates = i18n.catalogue, i18n.short_datetime
    monkeypatch.setattr(i18n, "catalogue", lambda tag: Marked() if tag == "fr" else real(tag))
    # Days and months are Babel's words for the language: marked as well.
    monkeypatch.setattr(i18n, "short_datetime", lambda at: OPEN + dates(at) + CLOSE)
    with i18n.speaking("fr"):
        yield


_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_CODE = re.compile(r"`[^`]*`")
_URL = re.compile(r"https?://\S+")
#: time zones as dates name them; the names of the days and months come from Babel
_ZONES = re.compile(r"\b(UTC|GMT|CET|CEST)\b")


def unmarked(text: str, user_text: set[str]) -> str:
    """What is left of a shown text once the catalogue's messages, code (command names),
    addresses, time zones and what people typed are taken out."""
    for typed in sorted(user_text, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", "", text)
    while True:
        stripped = _INNERMOST.sub("", text)
        if stripped == text:
            break
        text = stripped
    for pattern in (_CODE, _URL, _ZONES):
        text = pattern.sub("", text)
    return text


def card_texts(card: Card) -> Iterator[str]:
    yield card.title
    yield card.body
    yield card.footer
    for name, value in card.fields:
        yield name
        yield value


async def test_everything_shown_comes_from_the_catalogue(
    new_harness: Callable[..., Harness], marked: None
) -> None:
    h = new_harness()
    replies: list[Reply] = []

    async def run(text: str, who: str = "mod") -> None:
        try:
            replies.append(await h.cmd(text, who))
        except GrammarError as err:  # what the text platforms answer a command they can't parse
            replies.append(Reply(Card("", str(err)), ok=False))

    user_text = {
        "Flavour",
        "What next?",
        "flavour",
        "Salted caramel",
        "Mint chip",
        "Salted caramel crunch",
        "Crunchy.",
        "Fresh.",
        "Coming in May",
        "Too sweet",
        "Test guild",
        "Ana",
        "Ben",
        "Cleo",
        "Mod",
        "general",
        "ana",
        "ben",
        "mod",
    }
    for text, who in [
        ("/mod language fr", "mod"),
        ("/cocreate help", "ana"),
        ("/cocreate help idea submit", "ana"),
        ("/help mod", "ana"),
        ("/resluts", "ana"),
        (
            '/challenge create title:"Flavour" brief:"What next?" submissions_close:7d '
            "voting_close:14d",
            "mod",
        ),
        ("/challenge info", "mod"),
        ("/challenge list", "ana"),
        ('/idea submit title:"Salted caramel" description:"Crunchy."', "ana"),
        ("/challenge open flavour", "mod"),
        ('/idea submit title:"Salted caramel" description:"Crunchy."', "ana"),
        ('/idea submit title:"Mint chip" description:"Fresh."', "ben"),
        ('/idea submit title:"Salted caramel crunch" description:"Crunchy."', "cleo"),
        ("/idea submit", "cleo"),
        ("/idea show #99", "cleo"),
        ("/mod status #2 planned", "ana"),
    ]:
        await run(text, who)
    await h.react(1, "ben")
    await h.react(2, "ana")
    await h.react(2, "cleo")
    for text, who in [
        ("/idea show #1", "ana"),
        ("/ideas", "ana"),
        ("/ideas mine", "ana"),
        ("/ideas search:caramel", "ana"),
        ("/idea follow #2", "ana"),
        ("/notify", "ana"),
        ("/results", "ana"),
        ("/leaderboard", "ana"),
        ("/badges ana", "ana"),
        ("/mydata", "ana"),
        ('/idea edit #1 title:"Salted caramel"', "ana"),
        ('/mod status #2 planned "Coming in May"', "mod"),
        ("/mod merge #3 into:#1", "mod"),
        ("/mod voters #2", "mod"),
        ("/mod log", "mod"),
        ("/mod queue", "mod"),
        ("/roadmap", "ana"),
        ("/cocreate language", "ana"),
    ]:
        await run(text, who)
    h.tick(60 * 24 * 7)
    await h.app.agenda.run_due()
    for text, who in [
        ("/challenge advance flavour", "mod"),
        ("/results", "ben"),
        ("/challenge close flavour", "mod"),
        ("/results", "ben"),
        ("/results loop", "mod"),
        ("/leaderboard", "ben"),
    ]:
        await run(text, who)
    h.tick(60 * 24 * 8)
    await h.app.agenda.run_due()
    await h.app.drain()

    shown = [t for r in replies for t in card_texts(r.card)]
    pub = h.publisher
    shown += [t for s in pub.sent for t in card_texts(s.post.card)]
    shown += [t for _receipt, post in pub.updates for t in card_texts(post.card)]
    shown += [t for _member, card, _files in pub.dms for t in card_texts(card)]
    shown += [t for _thread, card in pub.in_threads for t in card_texts(card)]
    leftovers = sorted(
        {
            (unmarked(t, user_text), t)
            for t in shown
            if re.search("[A-Za-z]", unmarked(t, user_text))
        }
    )
    assert leftovers == [], "shown without the catalogue:\n" + "\n".join(
        f"{left!r}  in  {whole!r}" for left, whole in leftovers[:60]
    )
    assert sum(1 for r in replies if r.ok) > 25  # the scenario ran


# -- each person in their language ---------------------------------------------------------


def _spanish(message: str) -> str:
    with i18n.speaking("es"):
        return i18n._(message)


async def test_a_member_chooses_their_language_and_posts_keep_the_communitys(
    h: Harness,
) -> None:
    await h.challenge()
    await h.ok("/mod language de")
    reply = await h.ok("/cocreate language es", "ana")
    assert reply.card.title == _spanish("🌐 From now on I answer you in {language}").format(
        language="Español"
    )
    await h.ok('/idea submit title:"Salted caramel" description:"Tasty."', "ana")
    idea_post = h.publisher.sent[-1].post.card
    with i18n.speaking("de"):
        german_fields = {i18n._("By"), i18n._("Challenge")}
    assert german_fields <= {name for name, _value in idea_post.fields}
    # Ben chose nothing and his platform says nothing: the community's language.
    ben = await h.ok("/cocreate language", "ben")
    with i18n.speaking("de"):
        assert ben.card.title == i18n._("🌐 I answer you in {language}", language="Deutsch")
    # Back to automatic: Ana's platform reports French.
    await h.ok("/cocreate language auto", "ana")
    inv_reply = await h.app.handle_command(
        _invocation(h, "/cocreate language", h.actor("ana", locale="fr-FR"))
    )
    with i18n.speaking("fr"):
        assert inv_reply.card.title == i18n._("🌐 I answer you in {language}", language="Français")


async def test_an_unknown_language_is_refused_with_the_list(h: Harness) -> None:
    text = await h.refused("/cocreate language xx", "ana")
    assert "pt-BR" in text and "Español" in text


def _invocation(h: Harness, text: str, actor: object) -> object:
    from bot.core import parse_invocation

    return parse_invocation(text, h.community, "general", actor)  # type: ignore[arg-type]


MAIN_COMMANDS = [
    ("/cocreate help", "ana"),
    ('/challenge create title:"Flavour" brief:"What next?" voting_close:14d', "mod"),
    ("/challenge open flavour", "mod"),
    ('/idea submit title:"Salted caramel" description:"Crunchy."', "ana"),
    ('/idea submit title:"Mint chip" description:"Fresh."', "ben"),
    ("/idea show #1", "ana"),
    ("/ideas", "ana"),
    ("/results", "ana"),
    ('/mod status #2 planned "Coming in May"', "mod"),
    ("/leaderboard", "ana"),
    ("/badges", "ana"),
    ("/challenge info", "ana"),
    ("/mod status #9 planned", "mod"),
    ("/challenge close flavour", "mod"),
    ("/results", "ben"),
]


async def _main_texts(h: Harness, tag: str) -> list[str]:
    """What the main commands and their posts show, in order, with everyone (and the
    community) speaking `tag`."""
    h.community = CommunityRef("test", f"guild-{tag}", "Guild")  # one community per language
    await h.ok(f"/mod language {tag}")
    for who in ("ana", "ben"):
        await h.ok(f"/cocreate language {tag}", who)
    shown: list[str] = []
    for text, who in MAIN_COMMANDS:
        shown += card_texts((await h.cmd(text, who)).card)
        if text.startswith("/idea submit"):
            await h.react(1, "ben")
    await h.app.drain()
    shown += [t for s in h.publisher.sent for t in card_texts(s.post.card)]
    shown += [t for _receipt, post in h.publisher.updates for t in card_texts(post.card)]
    return shown


@pytest.mark.parametrize("tag", [t for t in i18n.LOCALES if t != i18n.DEFAULT])
async def test_the_main_replies_and_posts_in_each_language(
    new_harness: Callable[..., Harness], tag: str
) -> None:
    """The same commands in English and in the language: every text that is a message of
    the catalogue in English is its translation in the language."""
    english = await _main_texts(new_harness(), "en")
    translated = await _main_texts(new_harness(), tag)
    assert len(translated) == len(english)
    catalog = _read(catalogues.po_path(i18n.babel_name(tag)), i18n.babel_name(tag))
    plain = {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and m.id and not m.context and not _fields(m.id)
    }
    checked = 0
    for source, shown in zip(english, translated, strict=True):
        if source in plain:
            assert shown == plain[source], f"{tag}: {source!r}"
            checked += 1
    assert checked >= 15, checked
    # And the texts differ from English: the language is really in force.
    assert sum(1 for a, b in zip(english, translated, strict=True) if a != b) > len(english) / 2


@pytest.fixture
async def h(new_harness: Callable[..., Harness]) -> Harness:
    return new_harness()
