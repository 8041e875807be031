"""The message catalogues (bot/i18n.py): `scripts/dev catalogues` runs this.

1. extracts every message marked in bot/ and adapters/ into bot/locales/messages.pot;
2. brings each language's .po up to date with it (new messages come in untranslated, gone
   ones are dropped);
3. compiles each .po into its .mo and prints how much of each is translated.

tests/test_i18n.py uses `extract()` to check that the template is current and that every
language translates every message with the same placeholders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
TEMPLATE = LOCALES / "messages.pot"
#: the shipped translations, as Babel names them (bot/i18n.py: LOCALES)
LANGUAGES = ("es", "de", "fr", "pt_BR")
#: bot/i18n.py's functions: _ and N_ are among gettext's defaults
KEYWORDS = {**DEFAULT_KEYWORDS, "n_": (1, 2), "p_": ((1, "c"), 2), "pN_": ((1, "c"), 2)}


def extract() -> Catalog:
    """Every message marked in the code, with its translators' comments."""
    catalog = Catalog(project="Cocreate", copyright_holder="Cocreate", fuzzy=False)
    for folder in ("bot", "adapters"):
        for filename, _line, message, comments, context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        ):
            msgid = message if isinstance(message, str) else tuple(message)
            catalog.add(
                msgid, None, [(f"{folder}/{filename}", 0)], auto_comments=comments, context=context
            )
    return catalog


def translated(string: str | tuple[str, ...]) -> bool:
    """Whether a catalogue entry is translated: every plural form too."""
    forms = string if isinstance(string, tuple) else (string,)
    return all(forms)


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def main() -> int:
    template = extract()
    with TEMPLATE.open("wb") as f:
        write_po(f, template, no_location=True, sort_output=True, width=100)
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=language)
        else:
            catalog = Catalog(locale=language, project="Cocreate", fuzzy=False)
            path.parent.mkdir(parents=True, exist_ok=True)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as f:
            write_po(
                f, catalog, no_location=True, sort_output=True, width=100, ignore_obsolete=True
            )
        with path.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
        messages = [m for m in catalog if m.id]
        done = sum(1 for m in messages if translated(m.string))
        print(f"{language}: {done} of {len(messages)} messages translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
