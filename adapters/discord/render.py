"""Neutral cards to Discord embeds, within Discord's limits, with markdown escaped.

Every string of a `Card` is literal text (mentions already made inert by the core), so
markdown characters are escaped wherever Discord would render them: the title, the
description and the fields. Footers are shown verbatim by Discord, so they are not.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Sequence

import discord

from bot.i18n import n_
from bot.messages import Card, CardAction, PostKind

#: Every message the bot sends pings nobody.
NO_MENTIONS = discord.AllowedMentions.none()

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
BLANK = "\u200b"
ELLIPSIS = "…"

COLOURS = {
    PostKind.IDEA: 0x57F287,
    PostKind.ANNOUNCEMENT: 0x5865F2,
    PostKind.RESULTS: 0xF1C40F,
    PostKind.NOTICE: 0x99AAB5,
    PostKind.REVIEW: 0xFEE75C,
    PostKind.REPORT: 0x2C2F33,
}
REPLY_COLOUR = 0x5865F2
ERROR_COLOUR = 0xED4245
WARNING_COLOUR = 0xE67E22

# Review buttons: the custom id carries the action and the idea number, so the buttons
# keep working after a restart (discord.py matches them with DynamicItem templates).
REVIEW_PREFIX = "cocreate:review"
REVIEW_TEMPLATE = r"cocreate:review:(?P<action>approve|reject):(?P<number>[0-9]{1,9})"
_REVIEW_RE = re.compile(REVIEW_TEMPLATE)

# The buttons of a card (a captured idea's Confirm / Edit / Decline, in a direct message):
# the custom id carries the community's guild (a DM has none), the command, the idea and
# whether the command's form opens first, so the click is rebuilt after a restart too.
ACTION_PREFIX = "cocreate:act"
ACTION_TEMPLATE = (
    r"cocreate:act:(?P<guild>[0-9]{1,20}):(?P<command>[a-z]+(?:-[a-z]+){0,2})"
    r":(?P<number>[0-9]{1,9})(?P<form>:form)?"
)
_ACTION_RE = re.compile(ACTION_TEMPLATE)


_SPECIAL = re.compile(r"([\\*_~|`\[\]])")
_LINE_START = re.compile(r"^(\s*)([>#-]|\d+\.)", re.MULTILINE)


_URL = re.compile(r"(https?://[^\s<>]+)")


def _escape_plain(text: str) -> str:
    pieces = _URL.split(text)  # URLs stay as they are, so that they keep working
    text = "".join(p if n % 2 else _SPECIAL.sub(r"\\\1", p) for n, p in enumerate(pieces))

    def line_start(match: re.Match[str]) -> str:
        mark = match.group(2)
        escaped = mark[:-1] + "\\." if mark.endswith(".") else "\\" + mark
        return match.group(1) + escaped

    return _LINE_START.sub(line_start, text)


@functools.lru_cache(maxsize=1024)
def escape(text: str) -> str:
    """Text shown literally in Discord markdown: emphasis, strike-through, spoilers,
    quotes, headings, lists and masked links are escaped.

    Backtick pairs on one line stay code spans (Discord shows their content literally,
    links and mentions included), so the core's `/commands` read as code; with an odd
    number of backticks, every one is escaped.

    Kept for the texts seen last: most of what the bot says (help, results, idea titles)
    is said again and again.
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return _escape_plain(text)
    out: list[str] = []
    for n, part in enumerate(parts):
        if n % 2 == 0:
            out.append(_escape_plain(part))
        elif part.strip() and "\n" not in part:
            out.append(f"`{part}`")
        else:
            out.append("\\`" + _escape_plain(part) + "\\`")
    return "".join(out)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _chunks(value: str, limit: int) -> list[str]:
    """A field value in pieces of at most `limit`, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in value.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def card_embed(card: Card, colour: int = REPLY_COLOUR) -> discord.Embed:
    """One embed for a card: long fields split over several, everything within limits."""
    title = truncate(escape(card.title), TITLE_MAX) if card.title else None
    description = truncate(escape(card.body), DESCRIPTION_MAX) if card.body else None
    footer = truncate(card.footer, FOOTER_MAX) if card.footer else None
    fields: list[tuple[str, str]] = []
    for name, value in card.fields:
        shown_name = truncate(escape(name), FIELD_NAME_MAX) or BLANK
        for n, piece in enumerate(_chunks(escape(value), FIELD_VALUE_MAX)):
            fields.append((shown_name if n == 0 else BLANK, piece or BLANK))
    budget = EMBED_TOTAL_MAX - len(title or "") - len(footer or "")
    if description and len(description) > budget // 2 and fields:
        description = truncate(description, max(budget // 2, 1))
    budget -= len(description or "")
    kept: list[tuple[str, str]] = []
    for n, (name, value) in enumerate(fields):
        cost = len(name) + len(value)
        room_for_note = len(fields) - n > 1
        if len(kept) >= FIELDS_MAX - (1 if room_for_note else 0) or cost > budget - 40:
            left = len(fields) - n
            kept.append(
                (
                    BLANK,
                    n_(
                        "… and {n} more part not shown here",
                        "… and {n} more parts not shown here",
                        left,
                    ),
                )
            )
            break
        kept.append((name, value))
        budget -= cost
    embed = discord.Embed(title=title, description=description, colour=colour)
    for name, value in kept:
        embed.add_field(name=name, value=value, inline=False)
    if footer:
        embed.set_footer(text=footer)
    return embed


def post_embed(card: Card, kind: PostKind) -> discord.Embed:
    return card_embed(card, COLOURS.get(kind, REPLY_COLOUR))


def reply_embed(card: Card, ok: bool) -> discord.Embed:
    return card_embed(card, REPLY_COLOUR if ok else ERROR_COLOUR)


def notice_embed(title: str, text: str) -> discord.Embed:
    """A note from the bot itself to the moderators (a missing permission, a lost post):
    the adapter's own text, with channel, role and member references that render."""
    return discord.Embed(
        title=truncate(title, TITLE_MAX),
        description=truncate(text, DESCRIPTION_MAX),
        colour=WARNING_COLOUR,
    )


def review_custom_id(action: str, number: int) -> str:
    return f"{REVIEW_PREFIX}:{action}:{number}"


def parse_review_custom_id(custom_id: str) -> tuple[str, int] | None:
    match = _REVIEW_RE.fullmatch(custom_id)
    if match is None:
        return None
    return match.group("action"), int(match.group("number"))


def action_custom_id(guild_id: int | str, action: CardAction) -> str:
    form = ":form" if action.form else ""
    return f"{ACTION_PREFIX}:{guild_id}:{'-'.join(action.command)}:{action.idea_number}{form}"


def parse_action_custom_id(custom_id: str) -> tuple[int, tuple[str, ...], int, bool] | None:
    """(guild id, command path, idea number, opens the form) of a card button's id."""
    match = _ACTION_RE.fullmatch(custom_id)
    if match is None:
        return None
    path = tuple(match.group("command").split("-"))
    return int(match.group("guild")), path, int(match.group("number")), bool(match.group("form"))


def files(attachments: Iterable[object]) -> list[discord.File]:
    """Fresh discord.File objects for a post's or a reply's attachments (one set per send)."""
    out: list[discord.File] = []
    for attachment in attachments:
        name = str(getattr(attachment, "filename", "file"))
        content = getattr(attachment, "content", b"")
        out.append(discord.File(io.BytesIO(bytes(content)), filename=name))
    return out


def attachments_of(thing: object) -> Sequence[object]:
    """A post's or a reply's attachments (none for cores without attachment support)."""
    found = getattr(thing, "attachments", ())
    return tuple(found or ())
