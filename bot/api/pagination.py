"""Pages of the REST API: `limit` (1 to 200, 50 by default) and an opaque `cursor` that
the previous page's `next_cursor` gave. A cursor belongs to one listing (the ideas of one
challenge, say): one used on another is refused, never misread."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.api.errors import bad_request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX = 200
#: A position is an id, an idea number or an offset, all below this (idea numbers are
#: 32-bit columns): a forged cursor past it is refused before it reaches the database.
POSITION_MAX = 2**31 - 1


@dataclass(frozen=True)
class PageRequest:
    """Up to `limit` items after `position` (an item's key, or an offset: the listing's
    choice; 0 is the start)."""

    listing: str
    limit: int
    position: int


def page_request(query: Mapping[str, str], listing: str) -> PageRequest:
    """The page asked for; ApiError 400 for a `limit` or `cursor` that isn't one."""
    raw = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise bad_request(f"`limit` is a whole number from 1 to {MAX_LIMIT}.")
        limit = int(raw)
    cursor = query.get("cursor")
    position = 0 if cursor is None else _position(cursor, listing)
    return PageRequest(listing, limit, position)


def encode_cursor(listing: str, position: int) -> str:
    text = f"{listing}:{position}".encode()
    return base64.urlsafe_b64encode(text).decode("ascii").rstrip("=")


def _position(cursor: str, listing: str) -> int:
    invalid = bad_request(
        "`cursor` is not one this listing gave: pass `next_cursor` from the previous page "
        "unchanged, or leave it out for the first page."
    )
    if not cursor or len(cursor) > CURSOR_MAX or not cursor.isascii():
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, ValueError):
        raise invalid from None
    name, _, number = text.rpartition(":")
    if (
        name != listing
        or not number.isdigit()
        or len(number) > len(str(POSITION_MAX))
        or int(number) > POSITION_MAX
        or encode_cursor(listing, int(number)) != cursor
    ):
        raise invalid
    return int(number)


def page(
    page_of: PageRequest,
    items: Sequence[dict[str, Any]],
    next_position: int | None,
    path: str,
    query: Mapping[str, str],
) -> dict[str, Any]:
    """The page's body: its items, and where the next one starts (None: this was the last).
    `next` is the next page's path and query, the other parameters kept."""
    if next_position is None:
        return {"items": list(items), "next_cursor": None, "next": None}
    cursor = encode_cursor(page_of.listing, next_position)
    kept = {k: v for k, v in query.items() if k != "cursor"}
    kept["cursor"] = cursor
    return {"items": list(items), "next_cursor": cursor, "next": f"{path}?{urlencode(kept)}"}
