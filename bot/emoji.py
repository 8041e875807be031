"""How emoji compare, on every platform: without variation selectors or skin tones, so
that 👍🏽 counts as 👍 (the tone is kept apart, as the reaction's variant)."""

from __future__ import annotations

import unicodedata

SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
VARIATION_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})


def normalize_emoji(emoji: str) -> str:
    """Compare emoji without variation selectors or skin tones: 👍🏽 counts as 👍."""
    text = unicodedata.normalize("NFC", emoji.strip())
    return "".join(ch for ch in text if ch not in SKIN_TONES and ch not in VARIATION_SELECTORS)


def emoji_variant(emoji: str) -> str:
    """The skin tones of an emoji ("" for none): what tells 👍🏽 from 👍 on one post."""
    return "".join(ch for ch in unicodedata.normalize("NFC", emoji) if ch in SKIN_TONES)


def without_skin_tones(text: str) -> str:
    return "".join(ch for ch in text if ch not in SKIN_TONES)
