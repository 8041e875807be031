"""A challenge's ideas as CSV or JSON, for brand teams: in full for moderators; for a
channel (the brand report), with no author of an anonymous idea and, while tallies are
sealed, no votes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from bot.ports import ExportRow

COLUMNS = (
    "number",
    "title",
    "description",
    "status",
    "status_note",
    "merged_into",
    "votes",
    "author",
    "author_id",
    "anonymous",
    "submitted_at",
    "published_at",
    "updated_at",
    "posts",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text as given, except that a spreadsheet never runs it as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA) else text


def _record(row: ExportRow, *, public: bool = False, sealed: bool = False) -> dict[str, object]:
    hidden = public and row.anonymous
    return {
        "number": row.number,
        "title": row.title,
        "description": row.description,
        "status": row.status.value,
        "status_note": row.status_note,
        "merged_into": row.merged_into,
        "votes": None if sealed else row.votes,
        "author": None if hidden else row.author,
        "author_id": None if hidden else row.author_id,
        "anonymous": row.anonymous,
        "submitted_at": row.submitted_at,
        "published_at": row.published_at,
        "updated_at": row.updated_at,
        "posts": row.posts,
    }


def to_csv(rows: Sequence[ExportRow], *, public: bool = False, sealed: bool = False) -> bytes:
    """Moderators' export by default; `public` for a channel (no author of an anonymous
    idea), `sealed` while tallies are sealed (the votes column left empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        record = _record(row, public=public, sealed=sealed)
        writer.writerow([_cell(record[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheets read UTF-8


def to_json(
    rows: Sequence[ExportRow], challenge: str, *, public: bool = False, sealed: bool = False
) -> bytes:
    """The same records as `to_csv`, under the same `public` and `sealed` rules."""
    records = [
        {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in _record(r, public=public, sealed=sealed).items()
        }
        for r in rows
    ]
    return json.dumps(
        {"challenge": challenge, "ideas": records}, ensure_ascii=False, indent=2
    ).encode()
