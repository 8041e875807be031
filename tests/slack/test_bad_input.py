"""Bad input gets a clear answer: a body bolt could not read, or that our listeners could
not take, is refused with a 4xx and one log line, never a 500 or a traceback. Good input is
read as Slack meant it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from tests.slack import payloads
from tests.slack.conftest import (
    APP_TOKEN,
    SIGNING_SECRET,
    World,
    open_challenge,
    running_world,
    vote_counts,
)
from tests.slack.fake_slack import FakeSlack

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEEP = 100_000


def event(**fields: Any) -> str:
    reaction = {
        "type": "reaction_added",
        "user": "U_BEN",
        "reaction": "+1",
        "item": {"type": "message", "channel": "C_IDEAS", "ts": "1700000000.000001"},
        "event_ts": "1700000000.000002",
    }
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": reaction}
    for path, value in fields.items():
        *parents, last = path.split("__")
        node: dict[str, Any] = body
        for key in parents:
            node = node[key]
        node[last] = value
    return json.dumps(body)


def click(**fields: Any) -> str:
    payload = payloads.block_action(
        "review:approve",
        "1",
        user="U_MAYA",
        channel="C_MODS",
        message={"ts": "1.2"},
        response_url="",
    )
    return payloads.interaction_body({**payload, **fields})


#: (what is wrong, body, content type, headers): signed unless the headers say otherwise
BAD: list[tuple[str, str | bytes, str, dict[str, str] | None]] = [
    ("JSON that does not parse", '{"type": "event_callback", "event": ', JSON, None),
    ("JSON that is not an object", "[1, 2, 3]", JSON, None),
    ("a payload= field that is not JSON", "payload=%7Bnot+json", FORM, None),
    ("a payload= field that is a list", "payload=%5B%5D", FORM, None),
    ('"event": "x"', event(event="x"), JSON, None),
    ("an event user that is an object", event(event__user={}), JSON, None),
    ("numbers where strings are expected", event(event__user=5, event__item__ts=1.5), JSON, None),
    ("a team that is a number", event(team=7), JSON, None),
    ('"user": {} in a click', click(user={}), FORM, None),
    ("a click without actions", click(actions=[]), FORM, None),
    ("JSON nested 100,000 deep", "[" * DEEP + "]" * DEEP, JSON, None),
    ("a payload= nested 100,000 deep", "payload=" + "%5B" * DEEP + "%5D" * DEEP, FORM, None),
    ("a body that is not UTF-8", b'{"type": "event_callback", "x": "\xff"}', JSON, None),
    (
        "a timestamp header that is not a number, unsigned",
        event(),
        JSON,
        {"X-Slack-Request-Timestamp": "noon", "X-Slack-Signature": "v0=0"},
    ),
    ("no signing headers, and a body that is not JSON", "{oops", JSON, {}),
    ("a body over 1 MiB", '{"text": "' + "x" * (1024 * 1024) + '"}', JSON, None),
]


@pytest.mark.parametrize(
    ("body", "content_type", "headers"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
async def test_a_malformed_request_gets_a_4xx_and_one_log_line(
    world: World,
    caplog: pytest.LogCaptureFixture,
    body: str | bytes,
    content_type: str,
    headers: dict[str, str] | None,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    raw = body if isinstance(body, bytes) else body.encode()
    if headers is None:
        headers = payloads.sign(SIGNING_SECRET, raw.decode("utf-8", "replace"), int(time.time()))
    async with world.http.post(
        world.url + "/slack/events", data=raw, headers={"Content-Type": content_type, **headers}
    ) as response:
        status = response.status
        await response.read()
    await world.settle()

    assert 400 <= status < 500
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and f"refused with {status}" in lines[0], lines
    assert world.fake.calls == [c for c in world.fake.calls if c.method == "auth.test"]


async def test_the_refusals_say_what_was_wrong(world: World) -> None:
    expected = {
        event(event="x"): (400, "body.event is a string, not an object"),
        event(event__item__ts=1.5): (400, "body.event.item.ts is a number, not a string"),
        click(user={}): (400, "body.user.id is missing"),
        "[" * DEEP + "]" * DEEP: (400, "JSON nested more than 64 levels deep"),
    }
    for body, (status, reason) in expected.items():
        content_type = FORM if body.startswith("payload=") else JSON
        assert (await world.post(body, content_type))[:2] == (status, reason)
    # A signed request that is well formed goes through as before, and so does Slack's
    # ssl_check, which may come unsigned.
    assert await world.event(json.loads(event())) == 200
    async with world.http.post(
        world.url + "/slack/events",
        data=b"ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO",
        headers={"Content-Type": FORM},
    ) as response:
        assert response.status == 200


async def test_a_malformed_envelope_in_socket_mode_is_acked_and_dropped(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.app_tokens.add(APP_TOKEN)
    env = {"COCREATE_SLACK__MODE": "socket", "COCREATE_SLACK__APP_TOKEN": APP_TOKEN}
    async with running_world(tmp_path, fake, env=env, reconcile_on_start=False) as world:
        await asyncio.wait_for(fake.socket_connected.wait(), 5)
        caplog.set_level(logging.INFO)
        caplog.clear()
        ack = await fake.envelope("events_api", json.loads(event(event__item="x")))
        assert set(ack) == {"envelope_id"}  # sending it again would not make it readable
        await world.settle()
        assert not [r for r in caplog.records if r.exc_info]
        (line,) = [r.getMessage() for r in caplog.records]
        assert "dropped: body.event.item is a string, not an object" in line
        assert await vote_counts(world) == {}


async def test_a_command_with_the_word_payload_in_it_is_answered(world: World) -> None:
    # Bolt alone reads any form body containing "payload" as an interactivity payload.
    await open_challenge(world)
    answer = await world.ask('/idea submit title:"Less payload" description:"Lighter"')
    assert "Idea #1 is in" in answer
