"""The REST API through a real HTTP client on loopback, on both databases: tokens made
and revoked with the moderators' commands, scoping to the token's community, the chat's
privacy rules (sealed tallies, anonymous authors, drafts) in every endpoint and in the
export, and pagination that walks every item exactly once."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.api import Api, api_app
from bot.api.pagination import encode_cursor
from bot.messages import CommunityRef
from bot.settings import Settings, load_settings
from bot.web import WebServer
from cocreate.bootstrap import web_server
from storage.database import SqlDatabase
from storage.schema import api_tokens
from storage.store import SqlStore
from tests.faults import FlakyDatabase
from tests.harness import Harness

TOKEN = re.compile(r"ccr_[A-Za-z0-9_-]{43}")
OTHER = CommunityRef("test", "guild-2", "Other guild")
#: The author of the anonymous ideas: a name that no answer of the API may contain.
SECRET_AUTHOR = "Zed"


def api_settings(**extra: str) -> Settings:
    """The [http] server on a free port; the harness's clock stands still, so no token's
    rate would refill: the rate limit has its own test."""
    return load_settings(
        environ={
            "COCREATE_HTTP__PORT": "0",
            "COCREATE_HTTP__API_REQUESTS_PER_MINUTE": "1000000",
            **extra,
        }
    )


async def make_token(h: Harness, name: str = "Brand dashboard", **kw: Any) -> str:
    reply = await h.ok(f"/mod token create {name}", **kw)
    found = TOKEN.findall(reply.card.title + reply.card.body)
    assert len(found) == 1, reply.card
    return found[0]


@dataclass
class Scripted:
    """Ids of the scripted community's challenges."""

    flavour: int
    secret: int
    draft: int
    elsewhere: int


async def scripted(h: Harness) -> Scripted:
    """An open challenge with votes and an anonymous idea, a sealed one with votes and an
    anonymous idea, a draft, and another community's challenge."""
    await h.ok('/challenge create title:"Flavour" brief:"What next?"')
    await h.ok("/challenge open flavour")
    mango = await h.submit("ana", "Mango chilli")
    caramel = await h.submit("ben", "Salted caramel")
    hidden = await h.ok(
        '/idea submit flavour title:"Smoked tea" description:"Dark." anonymous:yes', "zed"
    )
    tea = int(hidden.card.title.split("#")[1].split()[0])
    for number, voters in ((mango, ["ben", "cleo", "dan"]), (tea, ["ana", "ben"])):
        for voter in voters:
            assert (await h.react(number, voter)).effect == "vote added"
    assert (await h.react(caramel, "ana")).effect == "vote added"

    await h.ok('/challenge create title:"Secret" brief:"Shh." sealed:yes venue:sealed-room')
    await h.ok("/challenge open secret")
    sealed = []
    for who, title, anonymous in (("ana", "Lemon", ""), ("zed", "Liquorice", " anonymous:yes")):
        reply = await h.ok(
            f'/idea submit secret title:"{title}" description:"Hmm."{anonymous}',
            who,
            channel="sealed-room",
        )
        sealed.append(int(reply.card.title.split("#")[1].split()[0]))
    for voter in ("ben", "cleo"):
        await h.react(sealed[1], voter)
    await h.react(sealed[0], "dan")

    await h.ok('/challenge create title:"Later" brief:"Not yet."')
    await h.ok('/challenge create title:"Elsewhere" brief:"Theirs."', community=OTHER)
    await h.ok("/challenge open elsewhere", community=OTHER)
    async with h.app.db.transaction() as store:
        ids = {c.slug: c.id for c in await store.challenges(1)}
        found = await store.find_community(OTHER)
        assert found is not None
        theirs = {c.slug: c.id for c in await store.challenges(found.id)}
    return Scripted(ids["flavour"], ids["secret"], ids["later"], theirs["elsewhere"])


@asynccontextmanager
async def serving(h: Harness) -> AsyncIterator[str]:
    """The [http] server as `cocreate run` builds it, on a free loopback port."""
    server = web_server(h.app, h.settings, [])
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


class Client:
    def __init__(self, http: aiohttp.ClientSession, base: str, token: str | None) -> None:
        self.http = http
        self.base = base
        self.token = token
        #: every body answered, to search for what must never appear
        self.bodies: list[str] = []

    async def get(self, path: str, status: int = 200, token: str | None = None) -> Any:
        headers = (
            {"Authorization": f"Bearer {token or self.token}"} if (token or self.token) else {}
        )
        async with self.http.get(self.base + path, headers=headers) as response:
            text = await response.text()
            self.bodies.append(text)
            assert response.status == status, (path, response.status, text)
            if response.content_type == "application/json":
                return json.loads(text)
            return text

    async def walk(self, path: str) -> list[Any]:
        """Every item of a listing, following `next` from page to page."""
        items: list[Any] = []
        link: str | None = path
        while link is not None:
            page = await self.get(link)
            items += page["items"]
            link = page["next"]
        return items


# -- tokens -------------------------------------------------------------------------------


async def test_tokens_are_made_by_moderators_shown_once_and_stored_as_hashes(
    database: SqlDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = Harness(database)
    refused = await h.refused("/mod token create Sneaky", "ana", mod=False)
    assert "Moderators only" in refused
    assert await h.refused("/mod token list", "ana", mod=False)

    token = await make_token(h, "Brand dashboard")
    listed = await h.ok("/mod token list")
    assert "Brand dashboard" in listed.card.body and token[:10] in listed.card.body
    assert token not in listed.card.body and token[10:] not in listed.card.body

    async with database.transaction() as store:
        assert isinstance(store, SqlStore)
        rows = (await store.conn.execute(select(api_tokens))).mappings().all()
    assert len(rows) == 1
    row = dict(rows[0])
    assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["shown"] == token[:10] and row["revoked_at"] is None
    assert not any(token in str(value) for value in row.values())

    # Another community's moderators neither see nor revoke it.
    assert "No tokens yet" in (await h.ok("/mod token list", community=OTHER)).card.body
    assert "no API token 1" in await h.refused("/mod token revoke 1", community=OTHER)
    assert "no API token 99" in await h.refused("/mod token revoke 99")
    assert await h.refused("/mod token revoke 1", "ana", mod=False)

    revoked = await h.ok("/mod token revoke 1")
    assert "revoked" in revoked.card.title and token not in revoked.card.body
    assert "already revoked" in await h.refused("/mod token revoke 1")
    assert "revoked" in (await h.ok("/mod token list")).card.body
    log = (await h.ok("/mod log")).card.body
    assert "created API token 1" in log and "revoked API token 1" in log and token not in log
    assert caplog.records and not any(token in r.getMessage() for r in caplog.records)
    await h.close()


async def test_the_token_repository_keeps_to_its_community(database: SqlDatabase) -> None:
    h = Harness(database)
    await make_token(h)
    await make_token(h, "Theirs", community=OTHER)
    start = h.clock.now()
    async with database.transaction() as store:
        ours, theirs = await store.api_tokens(1), await store.api_tokens(2)
        assert [(t.id, t.name) for t in ours] == [(1, "Brand dashboard")]
        assert [(t.id, t.name) for t in theirs] == [(2, "Theirs")]
        assert await store.revoke_api_token(1, 2, start) is None
        assert await store.revoke_api_token(1, 99, start) is None
        # The last use is written at most once a minute.
        await store.api_token_used(1, start)
        await store.api_token_used(1, start + timedelta(seconds=30))
    async with database.transaction() as store:
        assert (await store.api_tokens(1))[0].last_used_at == start
        assert (await store.api_tokens(2))[0].active
        await store.api_token_used(1, start + timedelta(minutes=2))
        revoked = await store.revoke_api_token(1, 1, start + timedelta(minutes=3))
        assert revoked is not None and not revoked.active
        # Revoking again keeps the first time.
        again = await store.revoke_api_token(1, 1, start + timedelta(minutes=9))
        assert again is not None and again.revoked_at == start + timedelta(minutes=3)
        assert again.last_used_at == start + timedelta(minutes=2)
    await h.close()


# -- the API ------------------------------------------------------------------------------


async def test_a_brand_tool_reads_what_members_see_and_nothing_more(database: SqlDatabase) -> None:
    h = Harness(database, api_settings())
    ids = await scripted(h)
    token = await make_token(h)
    theirs = await make_token(h, "Their tool", community=OTHER)
    async with serving(h) as base, aiohttp.ClientSession() as http:
        api = Client(http, base, token)

        # No token, a malformed one, an unknown one: 401 with a challenge to authenticate.
        async with http.get(f"{base}/api/v1/challenges") as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert (await response.json())["error"]["code"] == "unauthorized"
        await api.get("/api/v1/challenges", 401, token="ccr_" + "x" * 43)
        await api.get("/api/v1/challenges", 401, token="not-a-token")

        # Only GET, and every error in JSON.
        for method in ("POST", "DELETE", "HEAD"):
            async with http.request(method, f"{base}/api/v1/leaderboard") as response:
                assert response.status == 405 and response.headers["Allow"] == "GET"
        async with http.get(f"{base}/api/v2/nothing") as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "not_found"

        # The OpenAPI document needs no token.
        async with http.get(f"{base}/api/openapi.json") as response:
            assert response.status == 200
            assert (await response.json())["openapi"].startswith("3.")

        # Challenges: the community's own, drafts aside; anything else is a 404.
        listed = await api.walk("/api/v1/challenges")
        assert [c["id"] for c in listed] == [ids.flavour, ids.secret]
        secret = await api.get(f"/api/v1/challenges/{ids.secret}")
        assert secret["sealed"] and secret["tallies_hidden"] and secret["phase"] == "open"
        for missing in (ids.draft, ids.elsewhere, 10**9):
            for tail in ("", "/ideas", "/standings", "/export"):
                body = await api.get(f"/api/v1/challenges/{missing}{tail}", 404)
                assert body["error"]["code"] == "not_found"
        await api.get("/api/v1/challenges/abc", 400)
        # Their token reads their challenge and nothing of ours.
        their_list = await api.get("/api/v1/challenges", token=theirs)
        assert [c["id"] for c in their_list["items"]] == [ids.elsewhere]
        await api.get(f"/api/v1/challenges/{ids.flavour}", 404, token=theirs)

        # Ideas with status and counted votes; the anonymous author stays hidden.
        ideas = {i["title"]: i for i in await api.walk(f"/api/v1/challenges/{ids.flavour}/ideas")}
        assert {t: i["votes"] for t, i in ideas.items()} == {
            "Mango chilli": 3,
            "Salted caramel": 1,
            "Smoked tea": 2,
        }
        assert ideas["Mango chilli"]["author"] == "Ana"
        assert ideas["Smoked tea"]["author"] is None and ideas["Smoked tea"]["anonymous"]
        assert all(i["status"] == "published" for i in ideas.values())

        standings = await api.get(f"/api/v1/challenges/{ids.flavour}/standings")
        assert not standings["sealed"] and not standings["final"]
        assert [
            (s["rank"], s["idea"]["title"], s["votes"], s["place"]) for s in standings["items"]
        ] == [
            (1, "Mango chilli", 3, 1),
            (2, "Smoked tea", 2, 2),
            (3, "Salted caramel", 1, 3),
        ]

        # Sealed: no votes anywhere, no standings, no order by votes.
        sealed_ideas = await api.walk(f"/api/v1/challenges/{ids.secret}/ideas")
        assert [i["title"] for i in sealed_ideas] == ["Lemon", "Liquorice"]
        assert all(i["votes"] is None for i in sealed_ideas)
        assert sealed_ideas[1]["author"] is None
        sealed_standings = await api.get(f"/api/v1/challenges/{ids.secret}/standings")
        assert sealed_standings["sealed"] and sealed_standings["items"] == []

        # The exports: the brand report's rules.
        text = await api.get(f"/api/v1/challenges/{ids.secret}/export")
        records = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert [r["title"] for r in records] == ["Lemon", "Liquorice"]
        assert all(r["votes"] == "" for r in records)
        assert records[1]["author"] == "" and records[1]["author_id"] == ""
        exported = await api.get(f"/api/v1/challenges/{ids.secret}/export?format=json")
        assert all(i["votes"] is None for i in exported["ideas"])
        assert exported["ideas"][1]["author"] is None
        exported = await api.get(f"/api/v1/challenges/{ids.flavour}/export?format=json")
        votes = {i["title"]: i["votes"] for i in exported["ideas"]}
        assert votes == {"Mango chilli": 3, "Salted caramel": 1, "Smoked tea": 2}
        await api.get(f"/api/v1/challenges/{ids.flavour}/export?format=xml", 400)

        # The leaderboard: points as others see them.
        board = await api.get("/api/v1/leaderboard?period=all")
        assert board["period"] == "all time" and board["items"]
        assert all(row["name"] != SECRET_AUTHOR for row in board["items"])
        await api.get("/api/v1/leaderboard?period=year", 400)
        await api.get("/api/v1/leaderboard?week=someday", 400)
        week = await api.get("/api/v1/leaderboard?week=2026-03-03")
        assert week["first_week"] == week["last_week"] == "2026-03-02"

        # Nothing any answer said names the anonymous ideas' author.
        assert not any(SECRET_AUTHOR in body or '"zed"' in body for body in api.bodies)

        # Closed, a sealed challenge shows everything, as its final results do.
        await h.ok("/challenge close secret")
        closed = await api.get(f"/api/v1/challenges/{ids.secret}/standings")
        assert closed["final"] and not closed["sealed"]
        assert [(s["idea"]["title"], s["votes"]) for s in closed["items"]] == [
            ("Liquorice", 2),
            ("Lemon", 1),
        ]
        assert closed["items"][0]["idea"]["author"] is None
        exported = await api.get(f"/api/v1/challenges/{ids.secret}/export?format=json")
        assert [i["votes"] for i in exported["ideas"]] == [1, 2]
        assert not any(SECRET_AUTHOR in body for body in api.bodies)

        # A revoked token stops at once; the last use was recorded.
        await h.ok("/mod token revoke 1")
        await api.get("/api/v1/challenges", 401)
        async with database.transaction() as store:
            assert isinstance(store, SqlStore)
            used = (await store.conn.execute(select(api_tokens.c.last_used_at))).scalars().all()
        assert used[0] is not None
    await h.close()


async def test_pages_walk_every_item_exactly_once(database: SqlDatabase) -> None:
    h = Harness(database, api_settings())
    await h.challenge()
    numbers = [await h.submit(f"m{i}", f"Idea number {i}") for i in range(7)]
    for number, votes in zip(numbers, (3, 1, 3, 0, 2, 1, 0), strict=True):
        for v in range(votes):
            await h.react(number, f"voter{v}")
    for extra in ("Second", "Third"):
        await h.ok(f'/challenge create title:"{extra}" brief:"More."')
        await h.ok(f"/challenge open {extra.lower()}")
    token = await make_token(h)
    async with serving(h) as base, aiohttp.ClientSession() as http:
        api = Client(http, base, token)
        everything = (await api.get("/api/v1/challenges/1/ideas?limit=200"))["items"]
        assert len(everything) == 7
        for limit in (1, 2, 3, 7):
            walked = await api.walk(f"/api/v1/challenges/1/ideas?limit={limit}")
            assert walked == everything
        ranked = (await api.get("/api/v1/challenges/1/standings"))["items"]
        assert [s["rank"] for s in ranked] == list(range(1, 8))
        assert await api.walk("/api/v1/challenges/1/standings?limit=3") == ranked
        board = (await api.get("/api/v1/leaderboard?period=all&limit=200"))["items"]
        assert len(board) > 7
        assert await api.walk("/api/v1/leaderboard?period=all&limit=2") == board
        challenges = await api.walk("/api/v1/challenges?limit=1")
        assert [c["slug"] for c in challenges] == ["flavour", "second", "third"]

        # Pages go by key: an idea withdrawn between two pages skips nothing after it.
        first_page = await api.get("/api/v1/challenges/1/ideas?limit=2")
        await h.ok(f"/idea withdraw #{numbers[0]}", "m0")
        rest = await api.walk(first_page["next"])
        assert [i["number"] for i in rest] == numbers[2:]

        # The parameters given are kept in `next`; a bad page is a 400, never a 500.
        first = await api.get("/api/v1/challenges/1/ideas?limit=2&status=published")
        assert "status=published" in first["next"] and "limit=2" in first["next"]
        cursor = first["next_cursor"]
        for bad in (
            "limit=0",
            "limit=201",
            "limit=abc",
            "limit=-1",
            "cursor=",
            "cursor=%%%",
            "cursor=bm9wZQ",
            f"cursor={cursor}x",
            "status=pending%20review",
        ):
            body = await api.get(f"/api/v1/challenges/1/ideas?{bad}", 400)
            assert body["error"]["code"] == "bad_request"
        # A forged cursor of the right listing with a position no column holds: a 400 too.
        for position in (2**31, 10**40):
            forged = encode_cursor("ideas.1", position)
            await api.get(f"/api/v1/challenges/1/ideas?cursor={forged}", 400)
            forged = encode_cursor("standings.1", position)
            await api.get(f"/api/v1/challenges/1/standings?cursor={forged}", 400)
        end = encode_cursor("ideas.1", 2**31 - 1)
        assert (await api.get(f"/api/v1/challenges/1/ideas?cursor={end}"))["items"] == []
        # A cursor of one listing is refused by another.
        await api.get(f"/api/v1/challenges/1/standings?cursor={cursor}", 400)
        await api.get(f"/api/v1/challenges/2/ideas?cursor={cursor}", 400)
    await h.close()


async def test_the_api_can_be_turned_off(sqlite_database: SqlDatabase) -> None:
    h = Harness(sqlite_database, api_settings(COCREATE_HTTP__API_ENABLED="false"))
    token = await make_token(h)
    async with serving(h) as base, aiohttp.ClientSession() as http:
        api = Client(http, base, token)
        await api.get("/api/v1/challenges", 404)
        await api.get("/api/openapi.json", 404)
        assert await api.get("/healthz") == "ok"
    await h.close()


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer  ", "bearer ccr_short", "ccr_"])
async def test_malformed_authorization_is_a_401(sqlite_database: SqlDatabase, header: str) -> None:
    h = Harness(sqlite_database, api_settings())
    async with (
        serving(h) as base,
        aiohttp.ClientSession() as http,
        http.get(f"{base}/api/v1/leaderboard", headers={"Authorization": header}) as r,
    ):
        assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer realm=")
        assert (await r.json())["error"]["code"] == "unauthorized"
    await h.close()


async def test_a_database_that_does_not_answer_is_a_503(sqlite_database: SqlDatabase) -> None:
    flaky = FlakyDatabase(sqlite_database)
    h = Harness(sqlite_database, api_settings())
    token = await make_token(h)
    api = Api(flaky, h.clock, h.app.rewards.weights, 3, 60)  # type: ignore[arg-type]
    server = WebServer("127.0.0.1", 0, h.app.metrics, {}, {"/api": lambda: api_app(api)})
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            client = Client(http, f"http://127.0.0.1:{server.port}", token)
            assert (await client.get("/api/v1/challenges"))["items"] == []
            flaky.down = True
            body = await client.get("/api/v1/challenges", 503)
            assert body["error"]["code"] == "unavailable"
            flaky.down = False
            await client.get("/api/v1/leaderboard")
    finally:
        await server.stop()
        await h.close()


async def test_a_token_past_its_rate_is_told_when_to_come_back(
    sqlite_database: SqlDatabase,
) -> None:
    """Each token has its own bucket: as many requests at once as its rate a minute, then
    at that pace; past it a 429 says when to come back."""
    h = Harness(sqlite_database, api_settings(COCREATE_HTTP__API_REQUESTS_PER_MINUTE="3"))
    token, other = await make_token(h), await make_token(h, "Spreadsheet")
    async with serving(h) as base, aiohttp.ClientSession() as http:
        client = Client(http, base, token)
        for _ in range(3):
            await client.get("/api/v1/leaderboard")
        async with http.get(
            f"{base}/api/v1/challenges", headers={"Authorization": f"Bearer {token}"}
        ) as refused:
            assert refused.status == 429
            assert refused.headers["Retry-After"] == "20"  # 3 a minute: one every 20 s
            error = (await refused.json())["error"]
            assert error["code"] == "rate_limited" and "3 a minute" in error["message"]
        await client.get("/api/v1/challenges", token=other)  # its own bucket
        h.clock.advance(timedelta(seconds=19))
        await client.get("/api/v1/challenges", 429)
        h.clock.advance(timedelta(seconds=1))
        await client.get("/api/v1/challenges")
        await client.get("/api/v1/challenges", 429)
        h.clock.advance(timedelta(minutes=5))  # refills to 3, no more
        for _ in range(3):
            await client.get("/api/v1/challenges")
        await client.get("/api/v1/challenges", 429)
    await h.close()
