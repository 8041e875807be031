"""Reaction events: retries deduplicated on event_id in the database, and events for
workspaces, channels and items the bot does not know ignored and logged."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storage.schema import reaction_log
from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, submit, vote_counts


async def test_a_retried_event_with_the_same_event_id_is_counted_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "cocreate.slack")
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()

    assert await world.react(post, "U_BEN", event_id="Ev0001") == 200
    # Slack did not see the first answer in time: the same event comes again, twice.
    retries = [
        await world.react(
            post,
            "U_BEN",
            event_id="Ev0001",
            headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"},
        )
        for n in (1, 2)
    ]
    assert retries == [200, 200]
    await world.settle()
    assert await vote_counts(world) == {1: 1}

    # And when a retry races the first delivery, the database still counts it once.
    await world.react(post, "U_CARL", event_id="Ev0002")
    await world.react(post, "U_CARL", event_id="Ev0002", headers={"X-Slack-Retry-Num": "1"})
    await world.settle()
    assert await vote_counts(world) == {1: 2}
    async with world.core.db.transaction() as store:
        ids = [r.event_id for r in await store.conn.execute(select(reaction_log.c.event_id))]  # type: ignore[attr-defined]
    assert sorted(i for i in ids if i) == ["Ev0001", "Ev0002"]
    assert "already counted" in caplog.text
    assert "Slack retry 1 (http_timeout) of event Ev0001" in caplog.text


async def test_events_the_bot_does_not_know_are_ignored_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "cocreate.slack")
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    calls = len(world.fake.calls)

    # A workspace this single-workspace install does not serve: nothing is asked of Slack.
    assert await world.react(post, "U_BEN", team="T9") == 200
    await world.settle()
    assert len(world.fake.calls) == calls
    # A channel with no idea posts, and a message that is not an idea post.
    assert await world.react(("C_RANDOM", "1699999999.000001"), "U_BEN") == 200
    assert await world.react(("C_IDEAS", "1699999999.000002"), "U_BEN") == 200
    # A reaction to a file.
    on_file = payloads.reaction("+1", user="U_BEN", channel="C", ts="1", at=world.clock.now())
    on_file["event"]["item"] = {"type": "file", "file": "F0001"}
    assert await world.event(on_file) == 200
    await world.settle()

    assert await vote_counts(world) == {1: 0}
    assert "workspace 'T9' ignored: not installed here" in caplog.text
    assert "reaction in C_RANDOM on 1699999999.000001 ignored: not an idea post" in caplog.text
    assert "reaction in C_IDEAS on 1699999999.000002 ignored: not an idea post" in caplog.text
    # Nothing was asked of Slack for the unknown workspace.
    assert all(
        c.args.get("user") != "U_BEN" or c.method == "users.info" for c in world.fake.calls[calls:]
    )


async def test_the_bots_own_vote_reaction_never_reaches_the_core(world: World) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    assert world.fake.messages[post].reactions == {"+1": ["UBOT"]}
    assert await world.react(post, "UBOT") == 200  # Slack echoes the bot's own reaction
    await world.settle()
    assert await vote_counts(world) == {1: 0}
    async with world.core.db.transaction() as store:
        rows = list(await store.conn.execute(select(reaction_log)))  # type: ignore[attr-defined]
    assert rows == []
