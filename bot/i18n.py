"""The languages Cocreate speaks: gettext catalogues through Babel, and the locale in force.

Every string shown to people goes through one of these, and nothing else:

* ``_("Idea #{number} is in.", number=4)``: translated into the language in force, then
  filled in (``str.format`` placeholders, by name);
* ``n_("{n} vote", "{n} votes", count)``: the same with the language's plural forms
  (``{n}`` is the count);
* ``p_("command name", "submit")``: a message that needs a context to be told apart;
* ``N_("…")``: marks a message kept in a constant, translated where it is shown (``_(text)``);
  ``pN_(context, "…")`` the same for a message with a context.

The language in force is a context variable: the core sets the member's for a command's
private answer and the community's for public posts (:func:`speaking`). English is the source
catalogue (``bot/locales/messages.pot``); each language is a ``.po`` catalogue, compiled to
``.mo`` when the package is built (``setup.py``) and, in a checkout, from the ``.po`` on first
use when the ``.mo`` is missing or older.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from gettext import NullTranslations
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

__all__ = [
    "DEFAULT",
    "LOCALES",
    "N_",
    "_",
    "babel_name",
    "current",
    "language_name",
    "n_",
    "number",
    "pN_",
    "p_",
    "resolve",
    "short_datetime",
    "speaking",
    "supported",
    "switch",
]

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locales"

DEFAULT = "en"
#: The languages shipped, by their tag as members type it (`/cocreate language pt-BR`).
LOCALES = ("en", "es", "de", "fr", "pt-BR")

_current: ContextVar[str] = ContextVar("cocreate_locale", default=DEFAULT)


def babel_name(tag: str) -> str:
    """The tag as Babel and gettext name the language: `pt_BR`."""
    return tag.replace("-", "_")


def supported(tag: str | None) -> str | None:
    """The shipped language for a tag from a member or a platform, or None.

    Tags are matched without regard to case or `-`/`_`: `es-ES`, `es_419` and `ES` are
    Spanish, `pt`, `pt-PT` and `pt_BR` Brazilian Portuguese, `en-US` English."""
    if not tag:
        return None
    wanted = tag.strip().replace("_", "-").lower()
    for known in LOCALES:
        if wanted == known.lower():
            return known
    language = wanted.split("-", 1)[0]
    return next((k for k in LOCALES if k.split("-", 1)[0].lower() == language), None)


def resolve(*choices: str | None) -> str:
    """The first shipped language among the choices, in order of precedence; else English.

    The core passes: the member's own choice, the platform's locale for them (Discord's
    interaction locale, Slack's user locale), then the community's default."""
    for choice in choices:
        found = supported(choice)
        if found is not None:
            return found
    return DEFAULT


def current() -> str:
    return _current.get()


def switch(tag: str | None) -> str:
    """Speak this language from here on, in this task (inside an enclosing `speaking`)."""
    locale = resolve(tag)
    _current.set(locale)
    return locale


@contextlib.contextmanager
def speaking(tag: str | None) -> Iterator[str]:
    """Speak this language (a shipped tag, or English) inside the block."""
    locale = resolve(tag)
    token = _current.set(locale)
    try:
        yield locale
    finally:
        _current.reset(token)


@functools.cache
def catalogue(tag: str) -> NullTranslations:
    """The compiled catalogue of a shipped language (English: the messages themselves)."""
    if tag == DEFAULT:
        return NullTranslations()
    folder = LOCALE_DIR / babel_name(tag) / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f, domain=DOMAIN)
    with po.open("rb") as f:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(f, locale=babel_name(tag), domain=DOMAIN))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _fill(text: str, values: dict[str, object]) -> str:
    return text.format(**values) if values else text


def _(message: str, /, **values: object) -> str:
    """The message in the language in force, its `{placeholders}` filled in."""
    return _fill(catalogue(_current.get()).gettext(message), values)


def n_(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural message as the language counts `n`; `{n}` is the count."""
    text = catalogue(_current.get()).ngettext(singular, plural, n)
    return _fill(text, {"n": number(n), **values})


def p_(context: str, message: str, /, **values: object) -> str:
    """A message with a context that tells it apart from the same words elsewhere."""
    return _fill(catalogue(_current.get()).pgettext(context, message), values)


def N_(message: str, /) -> str:
    """Marks a message for the catalogue without translating it (it is translated where it
    is shown, with `_(message)`)."""
    return message


def pN_(context: str, message: str, /) -> str:
    """Marks a message with a context for the catalogue without translating it (Discord's
    command names: `p_("command name", "submit")` where they are localised)."""
    return message


def in_language(tag: str, message: str, /) -> str:
    """One message in a given language, whatever is in force (Discord's localisations)."""
    with speaking(tag):
        return _(message)


def number(n: int | float) -> str:
    """A number as the language writes it (`1,234`, `1.234`, `1 234`)."""
    return _number(_current.get(), n)


@functools.lru_cache(maxsize=8192)
def _number(tag: str, n: int | float) -> str:
    # Babel takes tens of microseconds a number; counts repeat (votes, points, places).
    return format_decimal(n, locale=babel_name(tag))


def short_datetime(local: datetime) -> str:
    """A weekday, date and time in the language in force, without the zone."""
    tag = _current.get()
    if tag == DEFAULT:  # the form English readers here know: Tue 10 Mar 2026, 18:00
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
    babel_tag = babel_name(tag)
    day = format_skeleton("yMMMEd", local, locale=babel_tag)
    return f"{day}, {format_time(local, 'HH:mm', locale=babel_tag)}"


def language_name(tag: str) -> str:
    """The language's own name for itself: `Español`, `Deutsch`, `Português (Brasil)`."""
    try:
        name = Locale.parse(babel_name(tag)).get_display_name() or tag
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:]
