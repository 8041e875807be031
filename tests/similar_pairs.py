"""Labelled pairs of idea texts for the duplicate hint of ``/idea submit``.

Each entry is ``(a, b, duplicate, why)``: ``duplicate`` is the verdict a person would give
("this idea was already submitted") and the one :func:`bot.text.similarity` must reach at the
default threshold (``SimilaritySettings.threshold``, 0.5).  The texts are titles, or
"title description" as ``/idea submit`` compares them.
"""

from __future__ import annotations

#: Near-duplicates: the same idea written differently.
DUPLICATES: list[tuple[str, str, str]] = [
    # Word order and filler words.
    ("Salted caramel ice cream", "Ice cream with salted caramel", "reordered, filler"),
    ("Honey lavender", "Lavender honey", "reordered"),
    ("Mango chili sorbet", "Sorbet of mango and chili", "reordered, stopwords"),
    ("Coffee and donuts", "Donuts & coffee", "reordered, punctuation"),
    ("Tiramisu gelato", "Gelato tiramisù", "reordered, accent"),
    ("Black sesame", "Black sesame ice cream", "added the obvious 'ice cream'"),
    ("Salted caramel crunch", "Salted caramel crunch with extra crunch", "added words"),
    ("Pumpkin spice latte", "Pumpkin spice latte please, it is the best", "added filler"),
    ("Lemon sorbet", "Our new lemon sorbet", "stopwords only"),
    ("Mint chocolate chip", "Mint choc chip", "abbreviation"),
    # Plurals and word forms.
    ("Strawberry cheesecake", "Cheesecake, strawberries", "reordered, plural"),
    ("Peanut butter cup", "Peanut butter cups", "plural"),
    ("Banana split", "Banana splits", "plural"),
    ("Cookie dough", "Cookies and dough", "plural, stopword"),
    ("Toasted marshmallow", "Toasting marshmallows", "word forms"),
    ("Baked apple crumble", "Baking apples crumble", "word forms"),
    # Typos.
    ("Pistachio gelato", "Pistachio gelatto", "typo"),
    ("Raspberry ripple", "Rasberry ripple", "typo"),
    ("Vanilla bean", "Vanila bean", "typo"),
    ("Chocolate brownie sundae", "Choclate brownie sundae", "typo"),
    ("Blueberry muffin flavour", "Blueberry muffin flavor", "spelling variant"),
    ("Salted caramel", "Salted caramell", "typo"),
    ("Hazelnut praline", "Hazlenut praline", "transposed letters"),
    # Accents and case.
    ("Crème brûlée", "creme brulee", "accents, case"),
    ("Matcha latte ice cream", "MATCHA LATTE ICE CREAM", "case"),
    ("Café au lait", "CAFE AU LAIT", "accents, case"),
    ("Rocky road", "rocky-road!", "punctuation"),
    ("Crème brûlée", "Creme brulee ice cream", "accents, added words"),
    # Title plus description, as /idea submit compares them.
    (
        "Salted caramel ice cream With crunchy bits",
        "Ice cream with salted caramel Crunchy bits",
        "title and description reordered",
    ),
    (
        "Stracciatella Creamy vanilla with chocolate flakes",
        "Straciatella Creamy vanilla with flakes of chocolate",
        "typo in the title, description reworded",
    ),
    (
        "Lemon basil sorbet Fresh lemons and basil from the garden",
        "Basil lemon sorbet Lemons and fresh basil",
        "reordered, shortened",
    ),
    (
        "Earl Grey ice cream Tea flavoured, not too sweet",
        "Earl grey ice-cream Not too sweet tea flavour",
        "reordered description",
    ),
    # Emoji and other scripts.
    ("🍓🍫", "🍓🍫", "same emoji"),
    ("🍓 Strawberry 🍓", "Strawberry", "emoji decoration"),
    ("抹茶 アイス", "抹茶  アイス", "CJK, spacing"),
]

#: Different ideas, even when they share words.
DIFFERENT: list[tuple[str, str, str]] = [
    # Different flavours sharing common words.
    ("Salted caramel", "Salted peanut", "one shared word"),
    ("Strawberry ice cream", "Chocolate ice cream", "shared 'ice cream'"),
    ("Chocolate chip cookie", "Chocolate orange", "shared 'chocolate'"),
    ("Peanut butter cup", "Almond butter toast", "shared 'butter'"),
    ("Lemon sorbet", "Lemon meringue pie", "shared 'lemon'"),
    ("Vanilla milkshake", "Banana milkshake", "shared 'milkshake', rhyming"),
    ("Mint chocolate chip", "Mint lemonade", "shared 'mint'"),
    ("Raspberry ripple", "Raspberry cheesecake", "shared 'raspberry'"),
    ("Pistachio gelato", "Hazelnut gelato", "shared 'gelato'"),
    ("Salted caramel crunch", "Honeycomb crunch", "shared 'crunch'"),
    ("Black sesame", "Black forest gateau", "shared 'black'"),
    (
        "Strawberry sorbet Fresh and fruity",
        "Mango sorbet Fresh and creamy",
        "shared kind and description words",
    ),
    (
        "Salted caramel ice cream With crunchy bits",
        "Mint chocolate chip Fresh",
        "title and description, unrelated",
    ),
    # Unrelated ideas.
    ("Salted caramel", "Mint chocolate chip", "unrelated"),
    ("Vanilla", "Chocolate", "unrelated single words"),
    ("Pistachio gelato", "Lemon sorbet", "unrelated"),
    ("Rocky road", "Matcha latte", "unrelated"),
    ("Tiramisu", "Rum and raisin", "unrelated"),
    ("Lavender honey", "Chili chocolate", "unrelated"),
    ("Birthday cake", "Black cherry", "unrelated, same initials"),
    ("Earl Grey ice cream", "Strawberry cheesecake", "unrelated"),
    # Emoji-only and odd texts.
    ("🍓🍫", "🍋🍊", "different emoji"),
    ("🍓🍫", "Salted caramel", "emoji against words"),
    ("🍓", "Strawberry", "emoji against its name"),
    ("", "Salted caramel", "empty"),
    ("抹茶 アイス", "Matcha ice cream", "other script against its translation"),
    ("!!!", "Salted caramel", "punctuation only"),
]

PAIRS: list[tuple[str, str, bool, str]] = [(a, b, True, why) for a, b, why in DUPLICATES] + [
    (a, b, False, why) for a, b, why in DIFFERENT
]
