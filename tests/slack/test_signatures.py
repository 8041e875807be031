"""Requests that Slack did not sign, or signed too long ago, get a 401 and change nothing."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from storage.schema import communities, ideas, reaction_log
from tests.slack import payloads
from tests.slack.conftest import SIGNING_SECRET, World


async def count(world: World, table) -> int:  # type: ignore[no-untyped-def]
    async with world.core.db.transaction() as store:
        return int((await store.conn.execute(select(func.count()).select_from(table))).scalar())  # type: ignore[attr-defined]


async def test_bad_and_stale_signatures_get_401_and_nothing_is_recorded(world: World) -> None:
    command = payloads.slash_command(
        "/idea",
        'submit title:"Forged" description:"x"',
        response_url=world.fake.response_url("forged"),
    )
    body = payloads.form_body(command)
    form = "application/x-www-form-urlencoded"
    reaction = json.dumps(
        payloads.reaction("+1", user="U_BEN", channel="C_IDEAS", ts="1.1", at=world.clock.now())
    )
    calls_before = len(world.fake.calls)

    wrong_secret = await world.post(body, form, secret="not-the-signing-secret")
    stale = await world.post(body, form, timestamp=int(time.time()) - 301)
    from_the_future = await world.post(
        reaction, "application/json", timestamp=int(time.time()) + 600
    )
    tampered_headers = payloads.sign(SIGNING_SECRET, body, int(time.time()))
    async with world.http.post(
        world.url + "/slack/events",
        data=body.replace("Forged", "Forgee").encode(),
        headers={"Content-Type": form, **tampered_headers},
    ) as response:
        tampered = response.status
    async with world.http.post(
        world.url + "/slack/events",
        data=json.dumps({"type": "url_verification", "challenge": "abc"}).encode(),
        headers={"Content-Type": "application/json"},
    ) as response:
        unsigned = response.status

    assert [wrong_secret[0], stale[0], from_the_future[0], tampered, unsigned] == [401] * 5
    await world.settle()
    assert len(world.fake.calls) == calls_before, "no Slack API call was made"
    assert world.fake.answers("forged") == []
    assert await count(world, communities) == 0
    assert await count(world, ideas) == 0
    assert await count(world, reaction_log) == 0

    # The same request, signed now, goes through.
    status, _, _ = await world.post(body, form)
    assert status == 200
    await world.settle()
    assert world.fake.answers("forged"), "the signed command was answered"


async def test_a_signed_url_verification_is_answered(world: World) -> None:
    status, body, _ = await world.post(
        json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV", "token": "x"}),
        "application/json",
    )
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV" in body
