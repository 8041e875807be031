"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json: every endpoint,
parameter, response and error as the handlers answer them (tests check it with
schemathesis)."""

from __future__ import annotations

from typing import Any

from bot.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from bot.model import PUBLIC_STATUSES

VERSION = "1.0.0"
STATUSES = tuple(s.value for s in PUBLIC_STATUSES)

_TIME = {"type": ["string", "null"], "format": "date-time"}
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out = _json(_ref("Error"), description)
    if headers:
        out["headers"] = headers
    return out


_UNAUTHORIZED = {
    "description": "No token, or one that is unknown or revoked.",
    "headers": {
        "WWW-Authenticate": {
            "description": 'How to authenticate: `Bearer realm="cocreate"`.',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {"application/json": {"schema": _ref("Error")}},
}

_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "description": f"Items per page, {DEFAULT_LIMIT} by default.",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
}
_CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "The previous page's `next_cursor`, unchanged; leave it out for the first "
    "page. A cursor of another listing is refused (400).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
_CHALLENGE_ID = {
    "name": "challenge_id",
    "in": "path",
    "required": True,
    "description": "The challenge's id (`id` in /api/v1/challenges).",
    "schema": {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
}


def _page(item: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        **(extra or {}),
        "items": {"type": "array", "items": _ref(item)},
        "next_cursor": {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        },
        "next": {
            "type": ["string", "null"],
            "description": "The next page's path and query; null on the last page.",
        },
    }
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


_IDEA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "number",
        "challenge_id",
        "title",
        "description",
        "status",
        "status_note",
        "author",
        "anonymous",
        "votes",
        "submitted_at",
        "published_at",
    ],
    "properties": {
        "number": {"type": "integer", "description": "#n: unique in the community."},
        "challenge_id": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in PUBLIC_STATUSES]},
        "status_note": {"type": ["string", "null"]},
        "author": {
            "type": ["string", "null"],
            "description": "The author's display name; null when the idea is anonymous.",
        },
        "anonymous": {"type": "boolean"},
        "votes": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "Counted votes; null while the challenge's tallies are sealed.",
        },
        "submitted_at": {"type": "string", "format": "date-time"},
        "published_at": _TIME,
    },
}

_CHALLENGE = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "slug",
        "title",
        "brief",
        "terms",
        "phase",
        "sealed",
        "tallies_hidden",
        "vote_emoji",
        "timezone",
        "opened_at",
        "submissions_close_at",
        "voting_close_at",
        "closed_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "brief": {"type": "string"},
        "terms": {"type": ["string", "null"]},
        "phase": {"type": "string", "enum": ["open", "voting", "closed"]},
        "sealed": {"type": "boolean", "description": "Tallies stay sealed until the close."},
        "tallies_hidden": {
            "type": "boolean",
            "description": "Sealed and not closed yet: no votes, standings or ranking now.",
        },
        "vote_emoji": {"type": "string"},
        "timezone": {"type": "string"},
        "opened_at": _TIME,
        "submissions_close_at": _TIME,
        "voting_close_at": _TIME,
        "closed_at": _TIME,
    },
}

_STANDING = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rank", "place", "votes", "idea"],
    "properties": {
        "rank": {"type": "integer", "minimum": 1},
        "place": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 3,
            "description": "1, 2 or 3 on the podium, else null.",
        },
        "votes": {"type": "integer", "minimum": 0},
        "idea": _ref("Idea"),
    },
}

_LEADER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rank", "name", "points"],
    "properties": {
        "rank": {"type": "integer", "minimum": 1, "description": "Tied members share a rank."},
        "name": {"type": "string"},
        "points": {"type": "integer"},
    },
}

_ERROR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _operation(
    operation_id: str,
    summary: str,
    parameters: list[dict[str, Any]],
    ok: dict[str, Any],
    *,
    missing: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": ok,
        "400": _error("A parameter that isn't valid."),
        "401": _UNAUTHORIZED,
        "405": _error(
            "Only GET.",
            {"Allow": {"required": True, "schema": {"type": "string"}}},
        ),
        "429": _error(
            "Too many requests with this token (`[http] api_requests_per_minute`).",
            {
                "Retry-After": {
                    "description": "Seconds until the token may ask again.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            },
        ),
        "503": _error("The database is not answering; try again later."),
    }
    if missing:
        responses["404"] = _error("No such challenge in the token's community (or a draft).")
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    }


def document() -> dict[str, Any]:
    leaderboard_head = {
        "period": {"type": "string", "description": "`2026 Q1`, `week of 2026-03-02`, `all time`."},
        "first_week": {"type": ["string", "null"], "format": "date"},
        "last_week": {"type": ["string", "null"], "format": "date"},
    }
    standings_head = {
        "challenge_id": {"type": "integer"},
        "final": {"type": "boolean", "description": "The challenge is closed: final results."},
        "sealed": {
            "type": "boolean",
            "description": "Tallies are sealed until the close: `items` stays empty.",
        },
    }
    export_ok = {
        "description": "The brand report's export: every idea with status, votes and author "
        "(none for an anonymous idea; no votes while sealed).",
        "headers": {
            "Content-Disposition": {"required": True, "schema": {"type": "string"}},
        },
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["challenge", "ideas"],
                    "properties": {
                        "challenge": {"type": "string"},
                        "ideas": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
    }
    statuses = ", ".join(s.value for s in PUBLIC_STATUSES)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cocreate REST API",
            "version": VERSION,
            "description": "Read-only: a community's challenges, ideas, standings, "
            "leaderboard and exports, as its members see them (sealed tallies and "
            "anonymous authors stay hidden). Authenticate with a token from "
            "`/mod token create`.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/v1/challenges": {
                "get": _operation(
                    "listChallenges",
                    "The community's challenges (drafts aside), oldest first.",
                    [_LIMIT, _CURSOR],
                    _json(_ref("ChallengePage"), "A page of challenges."),
                )
            },
            "/v1/challenges/{challenge_id}": {
                "get": _operation(
                    "getChallenge",
                    "One challenge.",
                    [_CHALLENGE_ID],
                    _json(_ref("Challenge"), "The challenge."),
                    missing=True,
                )
            },
            "/v1/challenges/{challenge_id}/ideas": {
                "get": _operation(
                    "listIdeas",
                    "The challenge's public ideas with status and counted votes, by number.",
                    [
                        _CHALLENGE_ID,
                        {
                            "name": "status",
                            "in": "query",
                            "required": False,
                            "description": f"Only these statuses (comma-separated): {statuses}.",
                            "schema": {
                                "type": "string",
                                "enum": [s.value for s in PUBLIC_STATUSES],
                            },
                        },
                        _LIMIT,
                        _CURSOR,
                    ],
                    _json(_ref("IdeaPage"), "A page of ideas."),
                    missing=True,
                )
            },
            "/v1/challenges/{challenge_id}/standings": {
                "get": _operation(
                    "getStandings",
                    "The ranking: counted votes, highest first; a tie goes to the earlier idea.",
                    [_CHALLENGE_ID, _LIMIT, _CURSOR],
                    _json(_page("Standing", standings_head), "A page of the standings."),
                    missing=True,
                )
            },
            "/v1/challenges/{challenge_id}/export": {
                "get": _operation(
                    "exportChallenge",
                    "The challenge's ideas as CSV or JSON.",
                    [
                        _CHALLENGE_ID,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["csv", "json"], "default": "csv"},
                        },
                    ],
                    export_ok,
                    missing=True,
                )
            },
            "/v1/leaderboard": {
                "get": _operation(
                    "getLeaderboard",
                    "Members by points (those earned with anonymous ideas aside).",
                    [
                        {
                            "name": "period",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "enum": ["week", "season", "all"],
                                "default": "season",
                            },
                        },
                        {
                            "name": "week",
                            "in": "query",
                            "required": False,
                            "description": "A date in a past week: that week's leaderboard.",
                            "schema": {"type": "string", "format": "date"},
                        },
                        _LIMIT,
                        _CURSOR,
                    ],
                    _json(_page("Leader", leaderboard_head), "A page of the leaderboard."),
                )
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `/mod token create` (`ccr_…`).",
                }
            },
            "schemas": {
                "Challenge": _CHALLENGE,
                "ChallengePage": _page("Challenge"),
                "Idea": _IDEA,
                "IdeaPage": _page("Idea"),
                "Standing": _STANDING,
                "Leader": _LEADER,
                "Error": _ERROR,
            },
        },
    }
