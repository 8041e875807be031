"""Slack names reactions (`+1`, `thumbsup`, `+1::skin-tone-2`); the core compares emoji.

`reaction_emoji` turns a reaction name into the Unicode emoji for the common names and
into `:name:` for everything else (custom emoji), so that a challenge configured with a
Unicode emoji or with a Slack name compares equal to the reactions members add.
`reaction_name` goes the other way, for `reactions.add` and `reactions.get`.
"""

from __future__ import annotations

import re

from bot.emoji import normalize_emoji, without_skin_tones

#: Slack short names (and aliases) of common emoji. The first name of each emoji is the one
#: the bot uses with `reactions.add`.
_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("👍", ("+1", "thumbsup")),
    ("👎", ("-1", "thumbsdown")),
    ("❤️", ("heart",)),
    ("🧡", ("orange_heart",)),
    ("💛", ("yellow_heart",)),
    ("💚", ("green_heart",)),
    ("💙", ("blue_heart",)),
    ("💜", ("purple_heart",)),
    ("🖤", ("black_heart",)),
    ("🤍", ("white_heart",)),
    ("💖", ("sparkling_heart",)),
    ("💕", ("two_hearts",)),
    ("💗", ("heartpulse",)),
    ("💓", ("heartbeat",)),
    ("🫶", ("heart_hands",)),
    ("🔥", ("fire", "flame")),
    ("🎉", ("tada",)),
    ("🎊", ("confetti_ball",)),
    ("🥳", ("partying_face",)),
    ("👏", ("clap",)),
    ("🙌", ("raised_hands",)),
    ("🙏", ("pray",)),
    ("💪", ("muscle",)),
    ("👌", ("ok_hand",)),
    ("✌️", ("v",)),
    ("🤞", ("crossed_fingers", "hand_with_index_and_middle_fingers_crossed")),
    ("🤝", ("handshake",)),
    ("👋", ("wave",)),
    ("✋", ("hand", "raised_hand")),
    ("☝️", ("point_up",)),
    ("👆", ("point_up_2",)),
    ("👉", ("point_right",)),
    ("👈", ("point_left",)),
    ("👇", ("point_down",)),
    ("👊", ("facepunch", "punch")),
    ("✊", ("fist",)),
    ("💡", ("bulb",)),
    ("⭐", ("star",)),
    ("🌟", ("star2",)),
    ("✨", ("sparkles",)),
    ("💫", ("dizzy",)),
    ("⚡", ("zap",)),
    ("💥", ("boom", "collision")),
    ("🚀", ("rocket",)),
    ("✅", ("white_check_mark",)),
    ("✔️", ("heavy_check_mark",)),
    ("☑️", ("ballot_box_with_check",)),
    ("❌", ("x",)),
    ("➕", ("heavy_plus_sign",)),
    ("➖", ("heavy_minus_sign",)),
    ("⬆️", ("arrow_up",)),
    ("🔼", ("arrow_up_small",)),
    ("💯", ("100",)),
    ("👀", ("eyes",)),
    ("😀", ("grinning",)),
    ("😃", ("smiley",)),
    ("😄", ("smile",)),
    ("😁", ("grin",)),
    ("😆", ("laughing", "satisfied")),
    ("😅", ("sweat_smile",)),
    ("😂", ("joy",)),
    ("🤣", ("rolling_on_the_floor_laughing", "rofl")),
    ("🙂", ("slightly_smiling_face",)),
    ("🙃", ("upside_down_face",)),
    ("😉", ("wink",)),
    ("😊", ("blush",)),
    ("😇", ("innocent",)),
    ("😍", ("heart_eyes",)),
    ("🤩", ("star-struck", "grinning_face_with_star_eyes")),
    ("😋", ("yum",)),
    ("😎", ("sunglasses",)),
    ("🤓", ("nerd_face",)),
    ("🤔", ("thinking_face",)),
    ("🤗", ("hugging_face",)),
    ("🤯", ("exploding_head", "shocked_face_with_exploding_head")),
    ("😮", ("open_mouth",)),
    ("😲", ("astonished",)),
    ("😱", ("scream",)),
    ("😢", ("cry",)),
    ("😭", ("sob",)),
    ("😡", ("rage",)),
    ("😐", ("neutral_face",)),
    ("😴", ("sleeping",)),
    ("🤖", ("robot_face",)),
    ("👻", ("ghost",)),
    ("🙈", ("see_no_evil",)),
    ("🦄", ("unicorn_face",)),
    ("🐝", ("bee", "honeybee")),
    ("🌱", ("seedling",)),
    ("🍀", ("four_leaf_clover",)),
    ("🌻", ("sunflower",)),
    ("🌹", ("rose",)),
    ("🌈", ("rainbow",)),
    ("☀️", ("sunny",)),
    ("❄️", ("snowflake",)),
    ("🌍", ("earth_africa",)),
    ("☕", ("coffee",)),
    ("🍕", ("pizza",)),
    ("🍔", ("hamburger",)),
    ("🌮", ("taco",)),
    ("🍰", ("cake",)),
    ("🎂", ("birthday",)),
    ("🍪", ("cookie",)),
    ("🍩", ("doughnut",)),
    ("🍦", ("icecream",)),
    ("🍫", ("chocolate_bar",)),
    ("🍓", ("strawberry",)),
    ("🍋", ("lemon",)),
    ("🍎", ("apple",)),
    ("🍌", ("banana",)),
    ("🥑", ("avocado",)),
    ("🍺", ("beer",)),
    ("🍷", ("wine_glass",)),
    ("🍾", ("champagne", "bottle_with_popping_cork")),
    ("🎁", ("gift",)),
    ("🎈", ("balloon",)),
    ("🎯", ("dart",)),
    ("🏆", ("trophy",)),
    ("🥇", ("first_place_medal",)),
    ("🥈", ("second_place_medal",)),
    ("🥉", ("third_place_medal",)),
    ("🏅", ("sports_medal", "medal")),
    ("👑", ("crown",)),
    ("💎", ("gem",)),
    ("💰", ("moneybag",)),
    ("🔔", ("bell",)),
    ("📣", ("mega",)),
    ("📌", ("pushpin",)),
    ("📝", ("memo", "pencil")),
    ("🔗", ("link",)),
    ("🛠️", ("hammer_and_wrench",)),
    ("⚙️", ("gear",)),
    ("📈", ("chart_with_upwards_trend",)),
    ("📊", ("bar_chart",)),
    ("🏁", ("checkered_flag",)),
    ("🚩", ("triangular_flag_on_post",)),
    ("💬", ("speech_balloon",)),
    ("🎨", ("art",)),
    ("🎵", ("musical_note",)),
    ("⚠️", ("warning",)),
    ("🆕", ("new",)),
    ("🆒", ("cool",)),
    ("🔝", ("top",)),
    ("♻️", ("recycle",)),
)

_SKIN_TONE_NAME = re.compile(r"::skin-tone-\d+$")
_CUSTOM = re.compile(r"^:([a-z0-9_+'\-]+)(?:::skin-tone-\d+)?:$", re.IGNORECASE)
_BARE_NAME = re.compile(r"^[a-z0-9_+'\-]+$", re.IGNORECASE)


EMOJI_BY_NAME: dict[str, str] = {name: emoji for emoji, names in _NAMES for name in names}
NAME_BY_EMOJI: dict[str, str] = {normalize_emoji(emoji): names[0] for emoji, names in _NAMES}


def reaction_emoji(name: str) -> str:
    """A Slack reaction name as the emoji the core compares, skin tone kept:
    `+1` → 👍, `+1::skin-tone-3` → 👍🏼, `partyparrot` → `:partyparrot:`."""
    text = name.strip().strip(":")
    base = _SKIN_TONE_NAME.sub("", text)
    emoji = EMOJI_BY_NAME.get(base.lower())
    if emoji is None:
        return f":{base}:"
    tones = re.findall(r"skin-tone-([2-6])", text[len(base) :])
    return emoji + "".join(chr(0x1F3FB + int(t) - 2) for t in tones)


def reaction_name(emoji: str) -> str | None:
    """The name to use with `reactions.add` for a challenge's vote emoji, or None when
    Slack has no name we know for it."""
    text = emoji.strip()
    custom = _CUSTOM.match(text)
    if custom:
        return custom.group(1)
    if _BARE_NAME.match(text):
        return text
    return NAME_BY_EMOJI.get(normalize_emoji(text))


def same_emoji(reaction: str, vote_emoji: str) -> bool:
    """Whether a reaction name counts as this vote emoji."""
    return normalize_emoji(reaction_emoji(reaction)) == normalize_emoji(canonical_emoji(vote_emoji))


def canonical_emoji(text: str) -> str:
    """An emoji typed in Slack as the core should store it: Slack clients send 👍 as
    `:+1:`, so `:+1:` and `thumbsup` become 👍 and `:partyparrot:` stays as it is."""
    value = text.strip()
    custom = _CUSTOM.match(value)
    if custom:
        value = reaction_emoji(custom.group(1))
    elif _BARE_NAME.match(value):
        value = reaction_emoji(value)
    return without_skin_tones(value)
