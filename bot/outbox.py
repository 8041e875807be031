"""Posts that commands make, kept in the scheduled posts' table until they are sent.

A command's posts (an idea post, a review post, a status update) are claimed in the same
transaction as the change they announce, and sent once it has committed, through the
agenda's exactly-once path: a post that fails is retried with backoff, across restarts,
and never given up on silently. Their content is stored as JSON, since what they say
was decided by the command (scheduled posts are built when they are sent).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import reminders
from bot.i18n import _
from bot.messages import Card, Post, PostKind

#: The `kind` of a command's post in the scheduled posts' table.
KIND = "post"


@dataclass(frozen=True)
class Outgoing:
    """One post of a command, to one or more channels."""

    kind: PostKind
    channels: tuple[str, ...]
    card: Card
    idea_id: int | None = None
    idea_number: int | None = None
    vote_emoji: str | None = None

    def post(self, channel: str) -> Post:
        return Post(channel, self.kind, self.card, self.idea_id, self.idea_number, self.vote_emoji)

    def period(self) -> str:
        """A key of its own: each command's post is claimed once."""
        return f"{self.kind.value}:{uuid.uuid4().hex}"

    def payload(self) -> str:
        return json.dumps(
            {
                "kind": self.kind.value,
                "channels": list(self.channels),
                "card": {
                    "title": self.card.title,
                    "body": self.card.body,
                    "fields": [list(f) for f in self.card.fields],
                    "footer": self.card.footer,
                },
                "idea_id": self.idea_id,
                "idea_number": self.idea_number,
                "vote_emoji": self.vote_emoji,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_payload(cls, text: str) -> Outgoing:
        data: dict[str, Any] = json.loads(text)
        card = data["card"]
        return cls(
            PostKind(data["kind"]),
            tuple(data["channels"]),
            Card(
                card["title"],
                card["body"],
                tuple((str(a), str(b)) for a, b in card["fields"]),
                card["footer"],
            ),
            data.get("idea_id"),
            data.get("idea_number"),
            data.get("vote_emoji"),
        )

    def describe(self) -> str:
        """What the post is: "the post of idea #12"."""
        number = self.idea_number
        if number is None:
            return {
                PostKind.IDEA: _("the post"),
                PostKind.REVIEW: _("the review post"),
                PostKind.NOTICE: _("an update"),
                PostKind.RESULTS: _("a results post"),
                PostKind.ANNOUNCEMENT: _("an announcement post"),
                PostKind.REPORT: _("a report post"),
            }[self.kind]
        return {
            PostKind.IDEA: _("the post of idea #{number}", number=number),
            PostKind.REVIEW: _("the review post of idea #{number}", number=number),
            PostKind.NOTICE: _("an update of idea #{number}", number=number),
            PostKind.RESULTS: _("a results post"),
            PostKind.ANNOUNCEMENT: _("an announcement post of idea #{number}", number=number),
            PostKind.REPORT: _("a report post of idea #{number}", number=number),
        }[self.kind]


def group(posts: Sequence[Post]) -> list[Outgoing]:
    """A command's posts, one per content: the same card to several venues is one post."""
    out: list[Outgoing] = []
    for p in posts:
        last = out[-1] if out else None
        if last is not None and (
            last.kind,
            last.card,
            last.idea_id,
            last.idea_number,
            last.vote_emoji,
        ) == (p.kind, p.card, p.idea_id, p.idea_number, p.vote_emoji):
            out[-1] = Outgoing(
                last.kind,
                (*last.channels, p.channel_id),
                last.card,
                last.idea_id,
                last.idea_number,
                last.vote_emoji,
            )
        else:
            out.append(
                Outgoing(p.kind, (p.channel_id,), p.card, p.idea_id, p.idea_number, p.vote_emoji)
            )
    return out


def describe(kind: str, period: str, payload: str | None) -> str:
    """What a post in the table is, for people: "the post of idea #12", "the final results"."""
    if payload is not None:
        return Outgoing.from_payload(payload).describe()
    if kind == reminders.KIND:
        return reminders.describe(period)
    if kind == "report":
        if period == "final":
            return _("the final brand report")
        # TRANSLATORS: {period} is a week, such as "2026-W10".
        return _("the brand report of {period}", period=period)
    if kind == "weekly":
        # TRANSLATORS: {period} is a week, such as "2026-W10".
        return _("the weekly results of {period}", period=period)
    return {
        "announce": _("the announcement"),
        "voting": _("the notice that submissions closed"),
        "final": _("the final results"),
    }.get(kind, f"{kind} {period}")
