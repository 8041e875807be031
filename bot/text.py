"""User text made safe and compared.

Two different concerns live here and must not be mixed up:

* *Validation for storage* (:func:`clean_user_text`): text is stored as the user gave it, apart
  from trimming and line-ending normalisation.  Anything that cannot be stored sensibly is
  rejected with a friendly :class:`TextError`.
* *Making text safe for display* (:func:`neutralize_mentions`, :func:`display_inline`): these
  functions change the text and are only ever applied on the way out, never before storing.

The module also offers crude but fast fuzzy comparison (:func:`normalize_words`,
:func:`similarity`, :func:`similar_items`) used to spot duplicate ideas; the character
ratios come from rapidfuzz (C++).
"""

from __future__ import annotations

import functools
import heapq
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Generic, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import Indel

from bot import i18n
from bot.emoji import SKIN_TONES
from bot.i18n import _, n_

__all__ = [
    "TextError",
    "clean_user_text",
    "display_inline",
    "neutralize_mentions",
    "normalize_words",
    "similar_items",
    "similarity",
    "slugify",
]

K = TypeVar("K")

ZWSP = "\u200b"
ZWJ = "\u200d"
ELLIPSIS = "…"


class TextError(ValueError):
    """Text from a user that cannot be accepted; the message is meant for that user."""


# --------------------------------------------------------------------------------------------
# Validation for storage
# --------------------------------------------------------------------------------------------

#: Bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069).  These can make text
#: render in a misleading order ("Trojan Source").  Plain marks (LRM, RLM, ALM) are allowed.
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))

#: Characters that render as nothing (or as blank) although they are not whitespace or
#: format characters.  A text made only of these (plus whitespace/format characters) is empty.
_BLANK_CHARS = frozenset(
    {
        "\u034f",  # combining grapheme joiner
        "\u115f",  # hangul choseong filler
        "\u1160",  # hangul jungseong filler
        "\u17b4",  # khmer vowel inherent aq
        "\u17b5",  # khmer vowel inherent aa
        "\u2800",  # braille pattern blank
        "\u3164",  # hangul filler
        "\uffa0",  # halfwidth hangul filler
        *(chr(c) for c in range(0xFE00, 0xFE10)),  # variation selectors
        *(chr(c) for c in range(0xE0100, 0xE01F0)),  # variation selectors supplement
    }
)

_LINE_SEPARATORS = frozenset({"\u2028", "\u2029"})


def _is_invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_CHARS or unicodedata.category(ch) in ("Cf", "Zs")


def clean_user_text(text: str, *, max_len: int, field: str, multiline: bool) -> str:
    """Validate ``text`` typed by a user for the given ``field`` ("title", "description"…).

    Returns the text to store: the text *as given*, except that leading and trailing
    whitespace is stripped and the line endings ``\\r\\n`` and ``\\r`` become ``\\n``.

    Raises :class:`TextError` with a message meant for the user when the text

    * is empty or made only of whitespace/invisible characters;
    * contains control characters (C0, C1, DEL, NUL) other than tab, or newline when
      ``multiline`` is true (a single-line field may not contain a line break of any kind,
      including U+2028/U+2029);
    * contains bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069);
    * contains lone surrogates (which cannot be stored as UTF-8);
    * is longer than ``max_len`` code points (checked last, on the stripped text).

    Everything else is fine: combining marks, emoji (ZWJ sequences, skin tones, flags), CJK,
    right-to-left letters, bidi *marks* (LRM/RLM), private-use characters.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()

    bidi_found = False
    for ch in text:
        if ch == "\n" or ch in _LINE_SEPARATORS:
            if not multiline:
                raise TextError(_("The `{field}` text must be a single line.", field=field))
            continue
        if ch == "\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            raise TextError(
                _(
                    "The `{field}` text contains an invisible control character ({code}); "
                    "please remove it.",
                    field=field,
                    code="U+" + format(ord(ch), "04X"),
                )
            )
        if category == "Cs":
            raise TextError(
                _("The `{field}` text contains a broken character; please retype it.", field=field)
            )
        if ch in _BIDI_CONTROLS:
            bidi_found = True
    if bidi_found:
        raise TextError(
            _(
                "The `{field}` text contains invisible direction controls; please remove them.",
                field=field,
            )
        )

    if all(_is_invisible(ch) for ch in text):
        raise TextError(_("The `{field}` text is empty.", field=field))

    length = len(text)
    if length > max_len:
        raise TextError(
            n_(
                "The `{field}` text is {n} character long; the limit is {limit}.",
                "The `{field}` text is {n} characters long; the limit is {limit}.",
                length,
                field=field,
                limit=i18n.number(max_len),
            )
        )
    return text


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------

#: Mass mentions written as plain words (Discord, and Slack when typed in a client).
_WORD_MENTION_RE = re.compile(r"@(?=everyone|here|channel)", re.IGNORECASE)
#: Discord ``<@123>``, ``<@!123>``, ``<@&123>``, ``<#123>``; Slack ``<!here>``,
#: ``<!subteam^S1>``, ``<@U1>``, ``<#C1>``.  Any ``<`` directly followed by a sigil is broken up.
_ANGLE_MENTION_RE = re.compile(r"<(?=[@#!])")


def neutralize_mentions(text: str) -> str:
    """Make every mention in ``text`` inert, for DISPLAY only (never store the result).

    A ZERO WIDTH SPACE (U+200B) is inserted

    * after ``@`` in ``@everyone``, ``@here`` and ``@channel`` (any letter case, also inside
      longer words such as ``@heretic``: erring on the safe side);
    * after ``<`` whenever it is directly followed by ``@``, ``#`` or ``!``, which covers
      Discord user/role/channel mentions (``<@1>``, ``<@!1>``, ``<@&1>``, ``<#1>``) and Slack
      special and entity mentions (``<!here>``, ``<!channel>``, ``<!everyone>``,
      ``<!subteam^S1>``, ``<@U1>``, ``<#C1>``).

    The function is idempotent.  The adapters still have to apply their platform's own
    escaping (for example ``&``, ``<`` and ``>`` on Slack) and allowed-mentions settings.
    """
    text = _WORD_MENTION_RE.sub("@" + ZWSP, text)
    return _ANGLE_MENTION_RE.sub("<" + ZWSP, text)


_WHITESPACE_RE = re.compile(r"\s+")
#: Control characters: Unicode's category Cc is C0, DEL and C1, and stays so.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI_RE = re.compile("[" + "".join(sorted(_BIDI_CONTROLS)) + "]")

#: Code points that attach to the previous one; a cut should not happen just before them.


def _attaches_to_previous(ch: str) -> bool:
    if ch in (ZWJ, "\u20e3") or ch in SKIN_TONES:
        return True
    if "\ufe00" <= ch <= "\ufe0f" or "\U000e0020" <= ch <= "\U000e007f":
        return True  # variation selectors and emoji tag sequences (subdivision flags)
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _cut_point(text: str, limit: int) -> int:
    """Largest cut <= ``limit`` that does not split a combining or ZWJ sequence if possible."""
    cut = limit
    floor = max(0, limit - 16)
    while cut > floor and (_attaches_to_previous(text[cut]) or text[cut - 1] == ZWJ):
        cut -= 1
    if cut == floor and floor > 0:
        return limit  # an absurdly long sequence: cut at code point level
    return cut


def display_inline(text: str, max_len: int | None = None) -> str:
    """Prepare ``text`` for a one-line display.

    Mentions are neutralized (:func:`neutralize_mentions`), control characters and bidi
    embedding/override/isolate controls are dropped, every run of whitespace (including line
    breaks) becomes a single space and the result is stripped.  If ``max_len`` is given and the
    text is longer than ``max_len`` code points, it is truncated to at most ``max_len`` code
    points including a final "…"; the cut avoids splitting combining sequences and emoji ZWJ
    sequences when it reasonably can.
    """
    if max_len is not None and max_len < 1:
        raise ValueError("max_len must be at least 1")
    # Controls go first: removing them afterwards could join "<" and "@" back together.
    text = _CONTROL_RE.sub(" ", _BIDI_RE.sub("", text))
    text = neutralize_mentions(text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    if max_len is None or len(text) <= max_len:
        return text
    cut = _cut_point(text, max_len - 1)
    return text[:cut].rstrip() + ELLIPSIS


# --------------------------------------------------------------------------------------------
# Slugs and word normalisation
# --------------------------------------------------------------------------------------------

#: Letters that NFKD does not decompose into ASCII.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
    }
)

_NON_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATIONS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(title: str, max_len: int = 40) -> str:
    """Lower-case ASCII slug of ``title`` (at most ``max_len`` characters).

    Accents are removed (NFKD, combining marks dropped, a few letters such as ß and ø
    transliterated), every run of other characters becomes one "-", and leading/trailing
    dashes are removed.  A slug that is too long is cut at a dash when one is reasonably
    close.  Returns "" when nothing usable is left (all emoji, CJK…): the caller then uses a
    fallback.
    """
    ascii_text = _strip_marks(title).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_SLUG_RE.sub("-", ascii_text).strip("-")
    if len(slug) <= max_len:
        return slug
    cut = slug[: max_len + 1]
    dash = cut.rfind("-")
    if dash >= max_len // 2:
        return cut[:dash].rstrip("-")
    return slug[:max_len].rstrip("-")


_STOPWORDS = frozenset(
    "a an the and or of to for with in on our my we i it is be new more please".split()  # noqa: SIM905
)
_WORD_RE = re.compile(r"[^\W_]+")
_VOWELS = frozenset("aeiou")


def _stem(word: str) -> str:
    """A deliberately crude English stemmer; it only has to be consistent, not correct."""
    if not word.isascii():
        return word
    # Plurals.
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # -ing / -ed, undoubling the final consonant (stirred -> stir, but chilled -> chill).
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in _VOWELS and word[-1] not in "lsz":
                word = word[:-1]
            break
    # bake/baked/baking -> bak; cookie/cookies -> cooki; berry/berries -> berri.
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y") and word[-2] not in _VOWELS:
        word = word[:-1] + "i"
    return word


@functools.lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    folded = _strip_marks(text.casefold())
    return tuple(_stem(w) for w in _WORD_RE.findall(folded) if w not in _STOPWORDS)


def normalize_words(text: str) -> list[str]:
    """Words of ``text`` for comparison.

    Case-folded, accents stripped (NFKD), split on anything that is not a letter or digit,
    common English stopwords dropped and lightly stemmed (plurals, -ing, -ed, final e/y), so
    that "Salted caramels" and "salt caramel" give the same words.  Letters of other scripts
    are kept as they are (a run of CJK characters is one word).
    """
    return list(_words(text))


# --------------------------------------------------------------------------------------------
# Similarity
# --------------------------------------------------------------------------------------------

#: Weight of the word-set Jaccard index in :func:`similarity`; the rest goes to the
#: character-level ratio.
_JACCARD_WEIGHT = 0.5
_RATIO_WEIGHT = 1.0 - _JACCARD_WEIGHT

#: A ratio bound above this cannot be reached by two different strings (their ratio is at
#: most ``1 - 1 / (len(x) + len(y))``); the margin only absorbs rounding.
_UNREACHABLE = 1.0 - 1e-9

#: Slack given to ``score_cutoff`` so that rounding never drops a score equal to a threshold
#: (rapidfuzz turns the cutoff into a distance, and 0.4 came back as just below 0.4); the
#: exact comparison is made afterwards.
_CUTOFF_SLACK = 1e-6


class _Prepared:
    """A text prepared once for many comparisons."""

    __slots__ = ("fallback", "joined", "words")

    def __init__(self, text: str) -> None:
        words = _words(text)
        self.words = frozenset(words)
        # Sorted so that word order does not matter ("ice cream, salted caramel").
        self.joined = " ".join(sorted(words))
        self.fallback = _WHITESPACE_RE.sub(" ", text.casefold()).strip()


@functools.lru_cache(maxsize=16384)
def _prepared(text: str) -> _Prepared:
    return _Prepared(text)


def _ratio(x: str, y: str, cutoff: float = 0.0) -> float:
    """Character similarity of ``x`` and ``y`` from 0.0 to 1.0 (symmetric).

    ``2 * LCS / (len(x) + len(y))`` with LCS the longest common subsequence: the Indel
    normalized similarity of rapidfuzz, the exact form of what ``difflib.SequenceMatcher``
    approximates.  A result below ``cutoff`` may be returned as 0.0 (rapidfuzz then stops
    early).
    """
    return Indel.normalized_similarity(x, y, score_cutoff=cutoff)


def _fallback_score(a: _Prepared, b: _Prepared) -> float:
    """Score for texts without usable words (only emoji, stopwords, punctuation…)."""
    if a.fallback == b.fallback:
        return 1.0
    if not a.fallback or not b.fallback:
        return 0.0
    return _ratio(a.fallback, b.fallback)


def _jaccard(a: _Prepared, b: _Prepared) -> float:
    return len(a.words & b.words) / len(a.words | b.words)


def similarity(a: str, b: str) -> float:
    """How alike two short texts (idea titles, descriptions) are, from 0.0 to 1.0.

    The score is the *weighted mean* ``0.5 * J + 0.5 * R`` where

    * ``J`` is the Jaccard index of the two sets of :func:`normalize_words` (word overlap,
      insensitive to order, case, accents, plurals and stopwords), and
    * ``R`` is a character ratio (``2 * LCS / total length``, rapidfuzz's Indel normalized
      similarity) of the normalized words, sorted and joined with spaces (catches typos and
      near-identical spellings that Jaccard misses).

    A mean rather than a maximum keeps unrelated texts low: the character ratio of two unrelated
    phrases is often 0.2–0.4 just from common letters, which alone would look like a match.
    Texts with the same words in any order score 1.0.  When either text has no usable words
    (only emoji or stopwords, say), the ratio of the case-folded texts is used instead, so that
    identical texts still score 1.0.
    """
    first, second = _prepared(a), _prepared(b)
    if not first.words or not second.words:
        return _fallback_score(first, second)
    if first.joined == second.joined:
        return 1.0
    return _JACCARD_WEIGHT * _jaccard(first, second) + _RATIO_WEIGHT * _ratio(
        first.joined, second.joined
    )


class Candidates(Generic[K]):
    """Texts to compare submissions with, prepared once: each one's words, and for each
    word the candidates that have it, so that :func:`similar_items` looks only at those
    that share a word with the query (none other can reach a threshold of 0.5 or more).
    Kept per challenge by the repository (`storage/idea_texts.py`). Each candidate has a
    rank, and a tie goes to the lower: the order they were added in, unless each is given
    one (an idea's place in submission order, whatever order the ideas arrive in)."""

    def __init__(self, items: Iterable[tuple[K, str]] = ()) -> None:
        self._keys: list[K] = []
        self._texts: list[str] = []
        self._prepared: list[_Prepared] = []
        self._ranks: list[int] = []
        #: word -> the positions of the candidates that have it
        self._by_word: dict[str, list[int]] = {}
        #: the positions of the candidates without usable words (scored by `_fallback_score`)
        self._wordless: list[int] = []
        for key, text in items:
            self.append(key, text)

    def append(self, key: K, text: str, rank: int | None = None) -> None:
        """Add a candidate; `rank`: give one to every candidate, or to none."""
        position = len(self._keys)
        prepared = _prepared(text)
        self._keys.append(key)
        self._texts.append(text)
        self._prepared.append(prepared)
        self._ranks.append(position if rank is None else rank)
        for word in prepared.words:
            self._by_word.setdefault(word, []).append(position)
        if not prepared.words:
            self._wordless.append(position)

    def __iter__(self) -> Iterator[tuple[K, str]]:
        """The candidates by rank."""
        for at in sorted(range(len(self._keys)), key=self._ranks.__getitem__):
            yield self._keys[at], self._texts[at]

    def __len__(self) -> int:
        return len(self._keys)

    def sharing(self, words: frozenset[str], threshold: float) -> Iterable[tuple[int, int]]:
        """(position, words shared with the query) of the candidates with words that may
        score `threshold` or more against a query with these `words`, counted from the word
        lists without comparing any two sets. Without a shared word a candidate scores its
        character ratio alone, weighted by `_RATIO_WEIGHT`, and that ratio is below 1 for
        texts with different words: under `threshold` once the threshold is
        `_RATIO_WEIGHT` or more."""
        shared = Counter(chain.from_iterable(self._by_word.get(word, ()) for word in words))
        if threshold >= _RATIO_WEIGHT:
            return shared.items()
        return ((at, shared[at]) for at, text in enumerate(self._prepared) if text.words)


def similar_items(
    text: str, candidates: Iterable[tuple[K, str]], threshold: float, limit: int
) -> list[K]:
    """Keys of the ``candidates`` whose :func:`similarity` to ``text`` is >= ``threshold``.

    Best matches first (ties to the lower rank: see :class:`Candidates`), at most ``limit``
    keys. The query is prepared once; only candidates that could reach the threshold are
    looked at (those sharing a word with it, from the :class:`Candidates`' word lists), and
    the exact Jaccard part of each one's score is counted first (from the word lists, with
    no two sets compared). Candidates with the same Jaccard part are scored together, from
    the highest part down: rapidfuzz computes their character ratios in one call, given the
    least that could still matter as ``score_cutoff``. The best matches so far raise that
    least, and once even a perfect ratio could not be enough, no lower part can be: so
    thousands of candidates cost little more than the few that share a word. Scores are
    exactly those of :func:`similarity` (texts with the same words score 1.0 as a Jaccard
    index of 1 and a ratio of 1).
    """
    if limit <= 0:
        return []
    pool = candidates if isinstance(candidates, Candidates) else Candidates(candidates)
    query = _prepared(text)
    words, joined = query.words, query.joined
    size = len(words)
    # The best `limit` so far, as a min-heap of (score, -rank, index): a candidate enters
    # when it beats the worst of them (higher score, or the same score and a lower rank).
    # The order in which candidates are offered does not change the result.
    best: list[tuple[float, int, int]] = []
    ranks = pool._ranks

    def offer(score: float, index: int) -> None:
        if score < threshold:
            return
        entry = (score, -ranks[index], index)
        if len(best) < limit:
            heapq.heappush(best, entry)
        elif entry > best[0]:
            heapq.heapreplace(best, entry)

    prepared = pool._prepared
    for index in pool._wordless if size else range(len(pool)):
        offer(_fallback_score(query, prepared[index]), index)
    # The candidates the ratio decides, by their Jaccard part: those with as many words,
    # as many of them shared, have the same one.
    by_part: dict[tuple[int, int], list[int]] = defaultdict(list)
    if size:
        for index, shared in pool.sharing(words, threshold):
            by_part[shared, len(prepared[index].words)].append(index)
    parts = sorted(
        (
            # The Jaccard index, its union counted from the sizes (`_jaccard`, inlined).
            # Only candidates with the query's very words can have its very text, and
            # so a ratio of 1.
            (_JACCARD_WEIGHT * (shared / (size + count - shared)), shared == count == size, at)
            for (shared, count), at in by_part.items()
        ),
        key=lambda part: part[0],
        reverse=True,
    )
    for base, same_words, positions in parts:
        floor = max(threshold, best[0][0]) if len(best) == limit else threshold
        needed = (floor - base) / _RATIO_WEIGHT
        if needed > (1.0 if same_words else _UNREACHABLE):
            break  # and so for every later part: it is no higher
        cutoff = needed - _CUTOFF_SLACK if needed > _CUTOFF_SLACK else 0.0
        scored = process.extract(
            joined,
            [prepared[index].joined for index in positions],
            scorer=Indel.normalized_similarity,
            score_cutoff=cutoff,
            limit=None,
        )
        for _text, ratio, at in scored:
            offer(base + _RATIO_WEIGHT * ratio, positions[at])
    return [pool._keys[index] for *_, index in sorted(best, key=lambda e: (-e[0], -e[1]))]


def message_as_idea(content: str, title_max: int) -> dict[str, str]:
    """A chat message's text as an idea's form prefill: its first line the title (cut to
    `title_max`), the rest the description (or the whole text when it is one line). The
    core checks and cleans both when the form comes back, as for any submission."""
    text = content.strip()
    if not text:
        return {}
    first, _newline, rest = text.partition("\n")
    title = " ".join(first.split())
    if len(title) > title_max:
        title = title[: max(title_max - 1, 1)].rstrip() + "…"
    return {"title": title, "description": rest.strip() or text}
