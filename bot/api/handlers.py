"""The REST API's endpoints: every one a GET, read as a member of the token's community,
in one transaction (the token checked, then the read)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot import privacy
from bot.api.auth import community_of, presented_token
from bot.api.errors import bad_request, json_errors, not_found, rate_limited
from bot.api.limits import RateLimit
from bot.api.openapi import document
from bot.api.pagination import page, page_request
from bot.api.views import MODERATOR, challenge_json, idea_json, leader_json, standing_json
from bot.digest import standings
from bot.errors import UserError
from bot.export import to_csv, to_json
from bot.model import PUBLIC_STATUSES, Challenge, IdeaStatus, Phase
from bot.ports import Clock, Database, PointWeights, Store
from bot.tokens import token_digest
from bot.weeks import leaderboard_period

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PERIODS = ("week", "season", "all")
FORMATS = ("csv", "json")
PAGING = ("limit", "cursor")
STATUS_FILTERS = {s.value: s for s in PUBLIC_STATUSES}


class Api:
    """The endpoints, on the core's database, clock and point weights; each token may
    make `per_minute` requests a minute."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        weights: PointWeights,
        season_months: int,
        per_minute: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self.weights = weights
        self.season_months = season_months
        self.limit = RateLimit(per_minute, clock)

    def routes(self) -> list[web.RouteDef]:
        get = _get_only
        return [
            get("/openapi.json", self.openapi),
            get("/v1/challenges", self.challenges),
            get("/v1/challenges/{challenge_id}", self.challenge),
            get("/v1/challenges/{challenge_id}/ideas", self.ideas),
            get("/v1/challenges/{challenge_id}/standings", self.standings),
            get("/v1/challenges/{challenge_id}/export", self.export),
            get("/v1/leaderboard", self.leaderboard),
        ]

    # -- reading as the token's community ------------------------------------------

    @asynccontextmanager
    async def _reading(self, request: web.Request, *takes: str) -> AsyncIterator[tuple[Store, int]]:
        """The store, and the community of the request's token; 401 without a valid one,
        429 past the token's rate (before the database is asked), then 400 for a query
        parameter other than those the endpoint `takes` (a typo such as `limt` is told,
        not ignored)."""
        digest = token_digest(presented_token(request.headers.get("Authorization", "")))
        wait_s = self.limit.wait(digest)
        if wait_s:
            raise rate_limited(self.limit.per_minute, wait_s)
        async with self.db.transaction() as store:
            community_id = await community_of(store, digest, self.clock.now())
            _known(request, takes)
            yield store, community_id

    async def _challenge(self, store: Store, community_id: int, request: web.Request) -> Challenge:
        """The path's challenge, if the token's community has it and members may see it."""
        raw = request.match_info["challenge_id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise bad_request("The challenge id is a positive whole number.")
        wanted = int(raw)
        for c in await store.challenges(community_id):
            if c.id == wanted and privacy.challenge_visible(c, moderator=MODERATOR):
                return c
        raise not_found(f"There is no challenge {wanted} here. /api/v1/challenges lists them.")

    # -- endpoints -------------------------------------------------------------------

    async def openapi(self, request: web.Request) -> web.Response:
        return _json(document())

    async def challenges(self, request: web.Request) -> web.Response:
        async with self._reading(request, *PAGING) as (store, community_id):
            asked = page_request(request.query, "challenges")
            found = await store.challenges(community_id)
        shown = sorted(
            (c for c in found if privacy.challenge_visible(c, moderator=MODERATOR)),
            key=lambda c: c.id,
        )
        after = [c for c in shown if c.id > asked.position]
        items = after[: asked.limit]
        more = len(after) > asked.limit
        body = page(
            asked,
            [challenge_json(c) for c in items],
            items[-1].id if more else None,
            request.path,
            request.query,
        )
        return _json(body)

    async def challenge(self, request: web.Request) -> web.Response:
        async with self._reading(request) as (store, community_id):
            found = await self._challenge(store, community_id, request)
        return _json(challenge_json(found))

    async def ideas(self, request: web.Request) -> web.Response:
        async with self._reading(request, "status", *PAGING) as (store, community_id):
            challenge = await self._challenge(store, community_id, request)
            statuses = _statuses(request.query.get("status"))
            asked = page_request(request.query, f"ideas.{challenge.id}")
            after = await store.ideas_after(challenge.id, statuses, asked.position, asked.limit + 1)
            items = after[: asked.limit]
            names = await store.members_by_ids({i.author_id for i in items})
        more = len(after) > asked.limit
        body = page(
            asked,
            [idea_json(i, challenge, names[i.author_id].display_name) for i in items],
            items[-1].number if more else None,
            request.path,
            request.query,
        )
        return _json(body)

    async def standings(self, request: web.Request) -> web.Response:
        async with self._reading(request, *PAGING) as (store, community_id):
            challenge = await self._challenge(store, community_id, request)
            asked = page_request(request.query, f"standings.{challenge.id}")
            sealed = not privacy.votes_visible(challenge, moderator=MODERATOR)
            # From the top: the podium places are decided there.
            upto = asked.position + asked.limit + 1
            ranked = [] if sealed else await standings(store, challenge, limit=upto)
            window = ranked[asked.position : asked.position + asked.limit + 1]
            items = window[: asked.limit]
            names = await store.members_by_ids({s.idea.author_id for s in items})
        more = len(window) > asked.limit
        body = page(
            asked,
            [standing_json(s, challenge, names[s.idea.author_id].display_name) for s in items],
            asked.position + asked.limit if more else None,
            request.path,
            request.query,
        )
        head = {"challenge_id": challenge.id, "final": challenge.phase is Phase.CLOSED}
        return _json({**head, "sealed": sealed, **body})

    async def leaderboard(self, request: web.Request) -> web.Response:
        async with self._reading(request, "period", "week", *PAGING) as (store, community_id):
            period = request.query.get("period", "season")
            if period not in PERIODS:
                raise bad_request("`period` is week, season or all.")
            try:
                label, first, last = leaderboard_period(
                    period, request.query.get("week"), self.clock.now(), self.season_months
                )
            except UserError as err:
                raise bad_request(err.message) from None
            asked = page_request(request.query, f"leaderboard.{first}.{last}")
            rows = await store.leaderboard(
                community_id, self.weights, first, last, asked.limit + 1, asked.position
            )
        items = rows[: asked.limit]
        more = len(rows) > asked.limit
        body = page(
            asked,
            [leader_json(r) for r in items],
            asked.position + asked.limit if more else None,
            request.path,
            request.query,
        )
        head = {"period": label, "first_week": first, "last_week": last}
        return _json({**head, **body})

    async def export(self, request: web.Request) -> web.Response:
        async with self._reading(request, "format") as (store, community_id):
            challenge = await self._challenge(store, community_id, request)
            kind = request.query.get("format", "csv")
            if kind not in FORMATS:
                raise bad_request("`format` is csv or json.")
            rows = await store.export_rows(challenge.id)
        # The brand report's rules: no author of an anonymous idea, no votes while sealed.
        sealed = not privacy.votes_visible(challenge, moderator=MODERATOR)
        stem = f"{challenge.slug}-{self.clock.now():%Y%m%d-%H%M}"
        if kind == "json":
            body = to_json(rows, challenge.title, public=True, sealed=sealed)
            content_type = "application/json"
        else:
            body = to_csv(rows, public=True, sealed=sealed)
            content_type = "text/csv"
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'},
        )


def _get_only(path: str, handler: Handler) -> web.RouteDef:
    """A GET route, and no HEAD: every other method is a 405 that says `Allow: GET`."""
    return web.get(path, handler, allow_head=False)


def _json(body: object) -> web.Response:
    """JSON in UTF-8 as it reads (emoji and accents as they are, not escaped)."""
    return web.json_response(body, dumps=_dumps)


def _dumps(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)


def _known(request: web.Request, takes: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query) - set(takes))
    if unknown:
        accepted = ", ".join(f"`{name}`" for name in takes) or "no parameters"
        raise bad_request(f"Unknown parameter `{unknown[0]}`: this endpoint takes {accepted}.")


def _statuses(raw: str | None) -> tuple[IdeaStatus, ...]:
    if raw is None:
        return PUBLIC_STATUSES
    status = STATUS_FILTERS.get(raw)
    if status is None:
        raise bad_request(f"`status` is one of {', '.join(STATUS_FILTERS)}.")
    return (status,)


def api_app(api: Api) -> web.Application:
    """The API as an aiohttp application, to mount at /api."""
    app = web.Application(middlewares=[json_errors])
    app.add_routes(api.routes())
    return app
