"""`capture.reaction` on Slack, through slack-bolt against the loopback fake: reacting
with :bulb: to a member's message offers it to its author as an idea; it is never a vote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy import select

from storage.schema import ideas
from tests.slack.conftest import (
    World,
    open_challenge,
    running_world,
    submit,
    text_of,
    vote_counts,
)
from tests.slack.fake_slack import FakeSlack


@pytest_asyncio.fixture
async def capturing(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[World]:
    env = {"COCREATE_CAPTURE__REACTION": "💡"}
    async with running_world(tmp_path, fake, env=env, reconcile_on_start=False) as running:
        yield running


async def statuses(world: World) -> dict[int, str]:
    async with world.core.db.transaction() as store:
        rows = await store.conn.execute(select(ideas.c.number, ideas.c.status))  # type: ignore[attr-defined]
        return {r.number: r.status for r in rows}


def dm_texts(world: World, user: str) -> list[str]:
    return [text_of({"blocks": m.blocks}) for m in world.fake.dms(user)]


async def test_a_reaction_offers_the_message_to_its_author(capturing: World) -> None:
    world = capturing
    await open_challenge(world)
    said = world.fake.say("C_GENERAL", "U_ANA", "Oat milk lattes\nPlease add oat milk <!everyone>")
    assert await world.react(("C_GENERAL", said["ts"]), "U_BEN", "bulb") == 200
    await world.settle()
    (asked,) = dm_texts(world, "U_ANA")
    assert "Your message as idea #1?" in asked and "/idea confirm #1" in asked, asked
    assert "@everyone" not in asked
    (answer,) = dm_texts(world, "U_BEN")
    assert "waits for Ana" in answer, answer
    assert await statuses(world) == {1: "awaiting author"}
    assert not world.fake.of("reactions.get")  # never the vote path
    confirmed = await world.ask("/idea confirm #1", user="U_ANA")
    assert "is in" in confirmed, confirmed
    (post,) = world.idea_posts()
    posted = text_of({"blocks": world.fake.messages[post].blocks})
    assert f"https://slack.com/archives/C_GENERAL/p{said['ts'].replace('.', '')}" in posted


async def test_a_reply_in_a_thread_is_read_from_its_thread(capturing: World) -> None:
    world = capturing
    await open_challenge(world)
    said = world.fake.say("C_GENERAL", "U_CARL", "What should we do?")
    world.fake.reply(("C_GENERAL", said["ts"]), "U_ANA", "Oat milk lattes\nPlease")
    (reply,) = world.fake.thread(("C_GENERAL", said["ts"]))
    assert await world.react(("C_GENERAL", reply.ts), "U_ANA", "bulb") == 200
    await world.settle()
    answer = dm_texts(world, "U_ANA")[0]  # her own message: submitted at once
    assert "Idea #1 is in" in answer, answer
    assert await statuses(world) == {1: "published"}


async def test_the_emoji_on_an_idea_post_and_on_a_bots_message(capturing: World) -> None:
    world = capturing
    await open_challenge(world)
    await submit(world, "U_ANA", "Oat latte")
    (post,) = world.idea_posts()
    assert await world.react(post, "U_BEN", "bulb") == 200  # the app's post: the vote path
    said = world.fake.say("C_GENERAL", "", "Daily digest")
    world.fake.messages[("C_GENERAL", said["ts"])].bot_id = "B_OTHER"
    await world.react(("C_GENERAL", said["ts"]), "U_BEN", "bulb", item_user="U_OTHERBOT")
    empty = world.fake.say("C_GENERAL", "U_ANA", "  ")
    await world.react(("C_GENERAL", empty["ts"]), "U_BEN", "bulb")
    await world.settle()
    assert dm_texts(world, "U_BEN") == []
    assert not [t for t in dm_texts(world, "U_ANA") if "as idea" in t]
    assert await statuses(world) == {1: "published"}


async def test_without_the_setting_nothing_happens(world: World) -> None:
    await open_challenge(world)
    said = world.fake.say("C_GENERAL", "U_ANA", "Oat milk lattes\nPlease add oat milk")
    assert await world.react(("C_GENERAL", said["ts"]), "U_BEN", "bulb") == 200
    await world.settle()
    assert dm_texts(world, "U_ANA") == [] and dm_texts(world, "U_BEN") == []
    assert not world.fake.of("conversations.history")
    assert await statuses(world) == {}


async def test_the_vote_emoji_as_the_capture_emoji_still_votes_on_idea_posts(
    tmp_path: Path, fake: FakeSlack
) -> None:
    env = {"COCREATE_CAPTURE__REACTION": "👍"}
    async with running_world(tmp_path, fake, env=env, reconcile_on_start=False) as world:
        await open_challenge(world)
        await submit(world, "U_ANA", "Oat latte")
        (post,) = world.idea_posts()
        assert await world.react(post, "U_BEN", "+1") == 200
        await world.settle()
        assert await vote_counts(world) == {1: 1}
        assert dm_texts(world, "U_BEN") == []
