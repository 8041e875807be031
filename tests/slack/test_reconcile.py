"""Reactions added or removed while the bot was down are read back with reactions.get
(full=true) after start-up, paced within Tier 3."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from tests.harness import START
from tests.slack.conftest import Sleeps, open_challenge, running_world, submit, vote_counts
from tests.slack.fake_slack import FakeSlack, Fault


async def test_reactions_made_while_the_bot_was_down_are_reconciled(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_world(tmp_path, fake) as world:
        await open_challenge(world)
        for user, title in (("U_ANA", "Lavender"), ("U_BEN", "Oat"), ("U_CARL", "Fig")):
            await submit(world, user, title)
        lavender, oat, fig = world.idea_posts()
        await world.react(lavender, "U_CARL")
        await world.react(fig, "U_DORA")
        await world.settle()
        assert await vote_counts(world) == {1: 1, 2: 0, 3: 1}

    # The bot is down. Members keep reacting; one takes a vote back; a post is deleted.
    fake.react(*lavender, "+1::skin-tone-2", "U_DORA")
    fake.messages[lavender].reactions["+1"].remove("U_CARL")
    fake.react(*oat, "thumbsup", "U_ANA")
    fake.react(*oat, "heart", "U_CARL")  # not the vote emoji
    fake.delete(*fig)

    sleeps = Sleeps()
    later = START + timedelta(hours=1)
    async with running_world(tmp_path, fake, sleeps=sleeps, start=later) as world:
        await world.settle()  # the reconciliation started with the adapter
        assert await vote_counts(world) == {1: 1, 2: 1, 3: 1}
        voters = await world.ask("/cocreate results", user="U_MAYA")
        assert "#1 Lavender — 1 vote" in voters and "#2 Oat — 1 vote" in voters

    reads = fake.of("reactions.get")
    assert [(c.args["channel"], c.args["timestamp"]) for c in reads] == [lavender, oat, fig]
    assert all(str(c.args["full"]).lower() in ("true", "1") for c in reads)
    # Paced: one reactions.get per 1.2 s per workspace (Tier 3 allows 50+ a minute).
    assert len(sleeps.durations) == 2
    assert sleeps.durations == [pytest.approx(1.2), pytest.approx(1.2)]
    # The deleted post is skipped and logged; its votes are kept.
    assert "not reconciled: message_not_found" in caplog.text
    assert "reconciled slack:C_IDEAS/" in caplog.text


async def test_a_stop_does_not_wait_for_the_read_back(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The read-back after start is paced at Tier 3 (minutes for many posts); a stop
    ends it at once, and the next start reads back again."""
    async with running_world(tmp_path, fake) as world:
        await open_challenge(world)
        await submit(world, "U_ANA", "Lavender")
    fake.fail("reactions.get", Fault(stall=True))
    later = START + timedelta(hours=1)
    async with running_world(tmp_path, fake, start=later) as world:
        await fake.wait_for(lambda: fake.of("reactions.get"))  # under way, and stalled
        await world.platform.stop()
        assert "unfinished tasks at stop" not in caplog.text
        assert len(fake.of("reactions.get")) == 1, "not tried again: it was stopped"
    fake.release()
    async with running_world(tmp_path, fake, start=later) as world:
        await world.settle()
    assert len(fake.of("reactions.get")) == 2, "read back again at the next start"
