"""What the REST API says about challenges, ideas, standings and the leaderboard: the
members' view, under the chat's rules (bot/privacy.py): no tally while a sealed challenge
runs, no author of an anonymous idea, no draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import privacy
from bot.model import Challenge, Idea, LeaderboardRow, Standing

#: The API reads as a member, never as a moderator.
MODERATOR = False


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def challenge_json(c: Challenge) -> dict[str, Any]:
    return {
        "id": c.id,
        "slug": c.slug,
        "title": c.title,
        "brief": c.settings.brief,
        "terms": c.settings.terms,
        "phase": c.phase.value,
        "sealed": c.settings.sealed,
        "tallies_hidden": not privacy.votes_visible(c, moderator=MODERATOR),
        "vote_emoji": c.settings.vote_emoji,
        "timezone": c.settings.timezone,
        "opened_at": _time(c.opened_at),
        "submissions_close_at": _time(c.submissions_close_at),
        "voting_close_at": _time(c.voting_close_at),
        "closed_at": _time(c.closed_at),
    }


def idea_json(idea: Idea, challenge: Challenge, author_name: str) -> dict[str, Any]:
    visible = privacy.votes_visible(challenge, moderator=MODERATOR)
    return {
        "number": idea.number,
        "challenge_id": idea.challenge_id,
        "title": idea.title,
        "description": idea.description,
        "status": idea.status.value,
        "status_note": idea.status_note,
        "author": privacy.author_shown(idea, author_name, moderator=MODERATOR),
        "anonymous": idea.anonymous,
        "votes": idea.vote_count if visible else None,
        "submitted_at": _time(idea.submitted_at),
        "published_at": _time(idea.published_at),
    }


def standing_json(s: Standing, challenge: Challenge, author_name: str) -> dict[str, Any]:
    return {
        "rank": s.rank,
        "place": s.place,
        "votes": s.votes,
        "idea": idea_json(s.idea, challenge, author_name),
    }


def leader_json(row: LeaderboardRow) -> dict[str, Any]:
    return {"rank": row.rank, "name": row.display_name, "points": row.points}
