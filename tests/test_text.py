from __future__ import annotations

import re
import time
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.settings import SimilaritySettings
from bot.text import (
    Candidates,
    TextError,
    clean_user_text,
    display_inline,
    neutralize_mentions,
    normalize_words,
    similar_items,
    similarity,
    slugify,
)
from tests.similar_pairs import DIFFERENT, DUPLICATES, PAIRS

ZWSP = "\u200b"


def clean_title(text: str, max_len: int = 100) -> str:
    return clean_user_text(text, max_len=max_len, field="title", multiline=False)


def clean_description(text: str, max_len: int = 2000) -> str:
    return clean_user_text(text, max_len=max_len, field="description", multiline=True)


# --------------------------------------------------------------------------------------------
# clean_user_text
# --------------------------------------------------------------------------------------------


def test_clean_strips_and_keeps_text_as_given() -> None:
    assert clean_title("  Salted caramel  ") == "Salted caramel"
    assert clean_title("Salted   CARAMEL!!") == "Salted   CARAMEL!!"
    assert clean_title("\u3000Matcha\u00a0latte\n") == "Matcha\u00a0latte"


def test_clean_normalises_line_endings() -> None:
    assert clean_description("one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"
    assert clean_description("\r\n\r\n  para one\r\n\r\npara two \r\n") == "para one\n\npara two"


def test_clean_allows_tab() -> None:
    assert clean_title("a\tb") == "a\tb"
    assert clean_description("a\tb") == "a\tb"


@pytest.mark.parametrize("text", ["line one\nline two", "a\r\nb", "a\rb", "a\u2028b", "a\u2029b"])
def test_single_line_field_rejects_line_breaks(text: str) -> None:
    with pytest.raises(TextError, match=r"^The `title` text must be a single line\.$"):
        clean_title(text)


def test_multiline_field_accepts_line_breaks() -> None:
    assert clean_description("a\nb\u2028c") == "a\nb\u2028c"


@pytest.mark.parametrize(
    "text", ["", " ", "\n\t \r\n", "\u200b", "\u200d\u200c", "\ufeff", "\u3164", "\u2800 \u00ad"]
)
def test_empty_or_invisible(text: str) -> None:
    with pytest.raises(TextError, match=r"^The `title` text is empty\.$"):
        clean_title(text)
    with pytest.raises(TextError, match=r"^The `description` text is empty\.$"):
        clean_description(text)


def test_length_limit_counts_code_points() -> None:
    with pytest.raises(TextError) as info:
        clean_title("x" * 134)
    assert str(info.value) == "The `title` text is 134 characters long; the limit is 100."
    assert clean_title("x" * 100) == "x" * 100
    # 100 code points, each one 4 bytes in UTF-8 and 2 UTF-16 units: still fine.
    assert clean_title("🍓" * 100) == "🍓" * 100
    with pytest.raises(TextError, match="101 characters long"):
        clean_title("🍓" * 101)
    # The length is measured after stripping.
    assert clean_title("  " + "x" * 100 + "  ") == "x" * 100


def test_length_counts_combining_marks_as_code_points() -> None:
    decomposed = "e\u0301" * 3  # three é written with combining accents: 6 code points
    assert clean_title(decomposed, max_len=6) == decomposed
    with pytest.raises(TextError, match="6 characters long; the limit is 5"):
        clean_title(decomposed, max_len=5)


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x85", "\x9f"]
)
def test_control_characters_rejected(char: str) -> None:
    with pytest.raises(
        TextError, match=r"^The `title` text contains an invisible control character"
    ):
        clean_title(f"Salted{char}caramel")
    with pytest.raises(TextError, match="control character"):
        clean_description(f"Salted\n{char}caramel")


def test_control_character_message_names_the_code_point() -> None:
    with pytest.raises(TextError, match=r"\(U\+0000\)"):
        clean_title("a\x00b")


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_bidi_controls_rejected(char: str) -> None:
    with pytest.raises(TextError) as info:
        clean_title(f"admin{char}txt.exe")
    assert (
        str(info.value)
        == "The `title` text contains invisible direction controls; please remove them."
    )


def test_lone_surrogate_rejected() -> None:
    with pytest.raises(TextError, match="broken character"):
        clean_title("a\ud83db")


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d👩\u200d👧\u200d👦 family ice cream",  # ZWJ sequence
        "🧑🏽\u200d🍳 chef's special",  # skin tone + ZWJ
        "👍🏿",
        "🏳️\u200d🌈 rainbow sorbet",  # variation selector + ZWJ
        "🇫🇷 crème brûlée",  # flag
        "Cre\u0300me bru\u0302le\u0301e",  # combining marks
        "抹茶アイスクリーム",
        "שלום עולם",  # Hebrew
        "آيس كريم بالفستق",  # Arabic
        "Zalgo z\u0336\u0321a\u0334l\u0337g\u0335o",
        "mixed \u200fRTL mark\u200e",  # bidi marks are fine
        "1\ufe0f\u20e3 keycap",
    ],
)
def test_rich_unicode_accepted(text: str) -> None:
    assert clean_title(text) == text
    assert clean_description(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=50))
def test_clean_either_returns_stripped_text_or_raises(text: str) -> None:
    try:
        result = clean_title(text)
    except TextError as exc:
        assert str(exc).startswith("The `title` text ")
    else:
        assert result == text.strip()
        assert len(result) <= 100


# --------------------------------------------------------------------------------------------
# neutralize_mentions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@everyone", f"@{ZWSP}everyone"),
        ("@here", f"@{ZWSP}here"),
        ("@channel", f"@{ZWSP}channel"),
        ("Hey @EveryOne look", f"Hey @{ZWSP}EveryOne look"),
        ("@HERE!", f"@{ZWSP}HERE!"),
        # Discord
        ("<@123456789>", f"<{ZWSP}@123456789>"),
        ("<@!123456789>", f"<{ZWSP}@!123456789>"),
        ("<@&987>", f"<{ZWSP}@&987>"),
        ("<#555>", f"<{ZWSP}#555>"),
        # Slack
        ("<!channel>", f"<{ZWSP}!channel>"),
        ("<!here>", f"<{ZWSP}!here>"),
        ("<!everyone>", f"<{ZWSP}!everyone>"),
        ("<!subteam^S123>", f"<{ZWSP}!subteam^S123>"),
        ("<!here|here>", f"<{ZWSP}!here|here>"),
        ("<@U123ABC>", f"<{ZWSP}@U123ABC>"),
        ("<#C123|general>", f"<{ZWSP}#C123|general>"),
        # Nested
        ("<@everyone>", f"<{ZWSP}@{ZWSP}everyone>"),
        # Untouched
        ("plain text", "plain text"),
        ("a < b and c > d", "a < b and c > d"),
        ("mail me @ home", "mail me @ home"),
        ("@everybody", "@everybody"),
        ("", ""),
    ],
)
def test_neutralize_mentions(text: str, expected: str) -> None:
    assert neutralize_mentions(text) == expected
    assert neutralize_mentions(expected) == expected


FORBIDDEN = re.compile(r"@everyone|@here|@channel|<!|<@|<#", re.IGNORECASE)

mention_fragments = st.sampled_from(
    ["@", "<", ">", "!", "#", "&", "^", "everyone", "here", "channel", "EVERYONE", "Here", "123",
     ZWSP, " ", "\n", "x", "U1", "subteam"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(mention_fragments).map("".join)))
def test_neutralize_mentions_is_idempotent_and_complete(text: str) -> None:
    once = neutralize_mentions(text)
    assert neutralize_mentions(once) == once
    assert FORBIDDEN.search(once) is None
    assert once.replace(ZWSP, "") == text.replace(ZWSP, "")


# --------------------------------------------------------------------------------------------
# display_inline
# --------------------------------------------------------------------------------------------


def test_display_inline_collapses_whitespace() -> None:
    assert display_inline("  Salted\n\ncaramel \t ice\u00a0cream\r\n") == "Salted caramel ice cream"


def test_display_inline_neutralizes_mentions() -> None:
    assert display_inline("ping @everyone\nnow <@123>") == f"ping @{ZWSP}everyone now <{ZWSP}@123>"


def test_display_inline_drops_controls() -> None:
    assert display_inline("a\u202eb\x07c\x00d") == "ab c d"


def test_display_inline_drops_exactly_the_control_characters() -> None:
    """Every code point of Unicode's category Cc shows as a space, and only those; the
    bidi controls go; everything else stays."""
    bidi = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
    for code in range(0x110000):
        ch = chr(code)
        if unicodedata.category(ch) == "Cc":
            expected = " "
        elif code in bidi:
            expected = ""
        else:
            continue
        assert display_inline(f"a{ch}b") == f"a{expected}b", hex(code)
    kept = "".join(
        chr(c)
        for c in range(0x20, 0x3000)
        if unicodedata.category(chr(c)) != "Cc" and c not in bidi and not chr(c).isspace()
    )
    assert display_inline(kept) == neutralize_mentions(kept)


def test_display_inline_removing_controls_cannot_rebuild_a_mention() -> None:
    assert display_inline("<\u202e@123> @\u2066everyone") == f"<{ZWSP}@123> @{ZWSP}everyone"


def test_display_inline_truncates_with_ellipsis() -> None:
    assert display_inline("Salted caramel ice cream", 10) == "Salted ca…"
    assert len(display_inline("Salted caramel ice cream", 10)) <= 10
    assert display_inline("Salted caramel", 14) == "Salted caramel"
    assert display_inline("Salted caramel", 13) == "Salted caram…"
    assert display_inline("Salted caramel", 1) == "…"
    assert display_inline("Salted caramel", 7) == "Salted…"  # no space before the ellipsis


def test_display_inline_truncation_counts_code_points() -> None:
    assert display_inline("🍓🍓🍓🍓", 3) == "🍓🍓…"


def test_display_inline_avoids_cutting_zwj_sequences() -> None:
    family = "👩\u200d👩\u200d👧\u200d👦"
    result = display_inline(f"ab{family}cd", 5)
    assert result == "ab…"
    assert display_inline("cafe\u0301s", 6) == "cafe\u0301s"
    assert display_inline("cafe\u0301s!", 6) == "cafe\u0301…"
    assert display_inline("cafe\u0301s!", 5) == "caf…"  # not "cafe…" without its accent


def test_display_inline_rejects_bad_max_len() -> None:
    with pytest.raises(ValueError):
        display_inline("x", 0)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=30))
def test_display_inline_properties(text: str, max_len: int) -> None:
    result = display_inline(text, max_len)
    assert len(result) <= max_len
    assert "\n" not in result
    assert "  " not in result
    assert result == result.strip()
    assert FORBIDDEN.search(result) is None


# --------------------------------------------------------------------------------------------
# slugify
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Salted Caramel", "salted-caramel"),
        ("  Crème brûlée!!  ", "creme-brulee"),
        ("Straße & Smørrebrød", "strasse-smorrebrod"),
        ("Ice-cream -- 2.0", "ice-cream-2-0"),
        ("ﬁne ｆｕｌｌｗｉｄｔｈ", "fine-fullwidth"),
        ("🍓 Strawberry 🍓", "strawberry"),
        ("🍓🍫", ""),
        ("抹茶アイス", ""),
        ("", ""),
        ("---", ""),
    ],
)
def test_slugify(title: str, expected: str) -> None:
    assert slugify(title) == expected


def test_slugify_max_len() -> None:
    slug = slugify("The quick brown fox jumps over the lazy dog again and again")
    assert len(slug) <= 40
    assert slug == "the-quick-brown-fox-jumps-over-the-lazy"
    assert slugify("abcdefghij", max_len=4) == "abcd"
    assert not slugify("abc defghijklmnop", max_len=5).endswith("-")


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=60))
def test_slugify_properties(title: str, max_len: int) -> None:
    slug = slugify(title, max_len)
    assert len(slug) <= max_len
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", slug)


# --------------------------------------------------------------------------------------------
# normalize_words
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Salted Caramel", ["salt", "caramel"]),
        ("The new Strawberries and Cream, please!", ["strawberri", "cream"]),
        ("Crème Brûlée", ["crem", "brule"]),
        ("a an the and or of to for with in on our my we i it is be new more please", []),
        ("ice_cream", ["ice", "cream"]),
        ("BAKING cookies", ["bak", "cooki"]),
        ("2 scoops", ["2", "scoop"]),
        ("抹茶 アイス", ["抹茶", "アイス"]),
        ("", []),
    ],
)
def test_normalize_words(text: str, expected: list[str]) -> None:
    assert normalize_words(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("cookie", "cookies"),
        ("berry", "berries"),
        ("peach", "peaches"),
        ("box", "boxes"),
        ("bake", "baking"),
        ("bake", "baked"),
        ("chill", "chilled"),
        ("stir", "stirred"),
        ("cake", "CAKES"),
        ("glass", "glasses"),
        ("café", "CAFE"),
    ],
)
def test_normalize_words_stems_consistently(a: str, b: str) -> None:
    assert normalize_words(a) == normalize_words(b)


def test_normalize_words_returns_a_fresh_list() -> None:
    words = normalize_words("salted caramel")
    words.append("x")
    assert normalize_words("salted caramel") == ["salt", "caramel"]


# --------------------------------------------------------------------------------------------
# similarity / similar_items
# --------------------------------------------------------------------------------------------


def test_similarity_required_examples() -> None:
    assert similarity("Salted caramel ice cream", "Ice cream with salted caramel") >= 0.6
    assert similarity("Salted caramel", "Mint chocolate chip") <= 0.2


@pytest.mark.parametrize(
    "text", ["Salted caramel", "🍓🍫", "the", "抹茶アイス", "", "Ice cream!!"]
)  # fmt: skip
def test_similarity_identical_is_one(text: str) -> None:
    assert similarity(text, text) == 1.0


def test_similarity_ignores_case_accents_order_and_plurals() -> None:
    assert similarity("CRÈME brûlée", "creme brulee") == 1.0
    assert similarity("Strawberries and cream", "cream, strawberry") == 1.0


def test_similarity_typos_and_partial_overlap() -> None:
    assert similarity("Salted caramel", "Salted caramell") >= 0.6
    assert similarity("Mango sorbet", "Mango chili sorbet") >= 0.6
    assert 0.2 < similarity("Salted caramel", "Salted peanut") < 0.6


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Vanilla", "Chocolate"),
        ("Pistachio gelato", "Lemon sorbet"),
        ("Salted caramel", "🍓🍫"),
        ("Salted caramel", ""),
    ],
)
def test_similarity_unrelated_is_low(a: str, b: str) -> None:
    assert similarity(a, b) <= 0.2
    assert similarity(b, a) <= 0.2


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_similarity_range_and_symmetry(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == similarity(b, a)
    assert similarity(a, a) == 1.0


CANDIDATES = [
    (1, "Mint chocolate chip"),
    (2, "Ice cream with salted caramel"),
    (3, "Salted caramel"),
    (4, "Lemon sorbet"),
    (5, "Salted caramel ice-cream"),
    (6, "Salted caramel ice cream"),
]


def test_similar_items_best_first_and_threshold() -> None:
    result = similar_items("Salted caramel ice cream", CANDIDATES, 0.6, 10)
    assert result[:3] == [2, 5, 6]  # all 1.0, ties keep the candidates' order
    assert 3 in result
    assert 1 not in result
    assert 4 not in result


def test_ties_go_to_the_lower_rank_whatever_order_the_candidates_were_added_in() -> None:
    """Candidates given ranks (an idea's place in submission order) and added in another
    order give the hints that the same candidates added in rank order do."""
    ranked = Candidates[int]()
    for rank in (5, 0, 3, 1, 4, 2):
        ranked.append(*CANDIDATES[rank], rank=rank)
    assert list(ranked) == CANDIDATES
    for limit in (1, 2, 3, 10):
        expected = similar_items("Salted caramel ice cream", CANDIDATES, 0.6, limit)
        assert similar_items("Salted caramel ice cream", ranked, 0.6, limit) == expected
    assert similar_items("Salted caramel ice cream", ranked, 0.6, 1) == [2]


def test_similar_items_limit() -> None:
    assert similar_items("Salted caramel ice cream", CANDIDATES, 0.6, 2) == [2, 5]
    assert similar_items("Salted caramel ice cream", CANDIDATES, 0.6, 0) == []


def test_similar_items_accepts_any_key_type_and_iterables() -> None:
    candidates = ((f"idea-{i}", title) for i, title in CANDIDATES)
    assert similar_items("mint choc chip", candidates, 0.5, 3) == ["idea-1"]
    assert similar_items("anything", [], 0.1, 3) == []


def test_similar_items_matches_similarity() -> None:
    texts = [t for _, t in CANDIDATES] + ["🍓🍫", "", "Mango", "salted", "caramel salted"]
    query = "salted caramel"
    for threshold in (0.0, 0.3, 0.5, 0.7, 1.0):
        expected = sorted(
            (i for i, t in enumerate(texts) if similarity(query, t) >= threshold),
            key=lambda i: -similarity(query, texts[i]),
        )
        assert similar_items(query, list(enumerate(texts)), threshold, 100) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=30),
    st.lists(st.text(max_size=30), max_size=8),
    st.floats(min_value=0.0, max_value=1.0),
)
@example("0Þ", ["00"], 0.2)  # a ratio of exactly 0.4 that rapidfuzz's cutoff dropped
def test_similar_items_prefilter_loses_nothing(
    query: str, texts: list[str], threshold: float
) -> None:
    result = similar_items(query, list(enumerate(texts)), threshold, 100)
    expected = [i for i, t in enumerate(texts) if similarity(query, t) >= threshold]
    assert sorted(result) == expected
    scores = [similarity(query, texts[i]) for i in result]
    assert scores == sorted(scores, reverse=True)


def test_similar_items_is_fast_on_thousands_of_candidates() -> None:
    words = "salted caramel chocolate mint chip vanilla strawberry cheesecake cookie dough mango"
    vocabulary = words.split()
    n = len(vocabulary)
    candidates = [
        (i, f"{vocabulary[i % n]} {vocabulary[(i * 7) % n]} {vocabulary[(i * 13) % n]} {i}")
        for i in range(5000)
    ]
    start = time.perf_counter()
    similar_items("Salted caramel ice cream with pecans", candidates, 0.6, 5)
    assert time.perf_counter() - start < 2.0


# --------------------------------------------------------------------------------------------
# Labelled pairs (tests/similar_pairs.py) at the default threshold
# --------------------------------------------------------------------------------------------

DEFAULT_THRESHOLD = SimilaritySettings().threshold


def test_labelled_pairs_are_enough_and_balanced() -> None:
    assert DEFAULT_THRESHOLD == 0.5
    assert len(PAIRS) >= 50
    assert len(DUPLICATES) >= 20 and len(DIFFERENT) >= 20


@pytest.mark.parametrize(
    ("a", "b", "duplicate", "why"), PAIRS, ids=[f"{a}|{b}" for a, b, _, _ in PAIRS]
)
def test_labelled_pair_gets_its_verdict(a: str, b: str, duplicate: bool, why: str) -> None:
    score = similarity(a, b)
    assert (score >= DEFAULT_THRESHOLD) == duplicate, f"{why}: {score:.3f}"
    assert similarity(b, a) == score


def test_labelled_pairs_through_similar_items() -> None:
    for a, b, duplicate, _ in PAIRS:
        expected = ["b"] if duplicate else []
        assert similar_items(a, [("b", b)], DEFAULT_THRESHOLD, 3) == expected, (a, b)


def test_a_word_swapped_for_a_synonym_is_still_hinted() -> None:
    # The hint errs on the side of showing: a missed duplicate splits the votes, a shown
    # one costs a glance ("Mango sorbet" and "Lemon sorbet" are shown as similar too).
    assert similarity("Mint chocolate chip ice cream", "Mint chocolate chip gelato") >= 0.6
    assert similarity("Black sesame gelato", "Black sesame ice cream") >= 0.5
    assert similarity("Pistachio gelato", "Pistachio gelatto") >= 0.6
    assert similarity("Black sesame", "Black sesame ice cream") > 0.55
