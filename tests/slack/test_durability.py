"""Nothing acknowledged is lost: a reaction event is answered 200 only once its vote is
committed, and 503 (in Socket Mode: no ack) while the database is down, so that Slack
delivers it again; delivered again, it counts once."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.schema import reaction_states
from tests.slack import payloads
from tests.slack.conftest import (
    APP_TOKEN,
    DatabaseDown,
    LogWatch,
    World,
    open_challenge,
    running_world,
    submit,
    vote_counts,
)
from tests.slack.fake_slack import FakeSlack, Fault
from tests.slack.test_oauth import OAUTH, install

SOCKET = {"COCREATE_SLACK__MODE": "socket", "COCREATE_SLACK__APP_TOKEN": APP_TOKEN}
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


async def test_a_reaction_is_answered_once_its_vote_is_committed(world: World) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    # Nothing is awaited but the answer: the vote is in the database when it comes.
    assert await world.react(post, "U_BEN") == 200
    assert await vote_counts(world) == {1: 1}
    assert await world.react(post, "U_BEN", added=False) == 200
    assert await vote_counts(world) == {1: 0}


async def test_a_slow_users_info_holds_the_answer_only_briefly(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with running_world(
        tmp_path, fake, reconcile_on_start=False, reactor_lookup_s=0.05
    ) as world:
        await open_challenge(world)
        await submit(world, "U_ANA", "Lavender")
        (post,) = world.idea_posts()

        # users.info hangs: the answer waits for it only `reactor_lookup_s`, then the
        # vote counts under Carl's bare user id, stamped with the time it arrived.
        fake.fail("users.info", Fault(stall=True))
        arrived = world.clock.now()
        reacting = asyncio.create_task(world.react(post, "U_CARL"))
        await fake.wait_for(lambda: any(c.args["user"] == "U_CARL" for c in fake.of("users.info")))
        world.clock.advance(timedelta(minutes=5))
        assert await reacting == 200
        assert await vote_counts(world) == {1: 1}
        async with world.core.db.transaction() as store:
            seen = await store.conn.execute(select(reaction_states.c.seen_at))  # type: ignore[attr-defined]
            assert [row.seen_at for row in seen] == [arrived]
        fake.release()
        await world.settle()


async def test_reactions_while_the_database_is_down_are_refused_and_count_once_delivered_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    assert await world.react(post, "U_DORA", event_id="EvDora1") == 200
    await world.settle()
    caplog.set_level(logging.INFO)
    caplog.clear()

    during = [("U_BEN", True, "EvBen"), ("U_CARL", True, "EvCarl"), ("U_DORA", False, "EvDora2")]
    with DatabaseDown(world.core) as outage:
        statuses = [
            await world.react(post, user, added=added, event_id=event_id)
            for user, added, event_id in during
        ]
        assert statuses == [503, 503, 503], "Slack must deliver them again"
        outage.back()
    await world.core.drain()  # the core notices that the database answers again

    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    for _, _, event_id in during:
        about = [r for r in caplog.records if event_id in r.getMessage()]
        assert len(about) == 1, [r.getMessage() for r in about]
        assert "database is down" in about[0].getMessage()

    # Slack delivers each again (and, its retry racing ours, once more): each counts once.
    for attempt in ("1", "2"):
        for user, added, event_id in during:
            headers = {**RETRY, "X-Slack-Retry-Num": attempt}
            assert (
                await world.react(post, user, added=added, event_id=event_id, headers=headers)
                == 200
            )
    await world.settle()
    assert await vote_counts(world) == {1: 2}  # Ben and Carl; Dora took hers back


async def test_with_oauth_installs_an_event_is_refused_when_its_installation_cannot_be_read(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.oauth_codes["code-1"] = {"team": "T1", "token": "xoxb-t1-oauth", "installer": "U_MAYA"}
    async with running_world(tmp_path, fake, env=OAUTH, reconcile_on_start=False) as world:
        assert (await install(world, "code-1"))[0] == 200
        await open_challenge(world)
        await submit(world, "U_ANA", "Lavender")
        (post,) = world.idea_posts()
        world.sleeps.now += 3600  # the installation is no longer cached
        caplog.set_level(logging.INFO)
        caplog.clear()

        # Bolt would find no installation and answer 200 itself: the event would be lost.
        with DatabaseDown(world.core):
            assert await world.react(post, "U_BEN", event_id="EvBen") == 503
        await world.core.drain()
        assert not [r for r in caplog.records if r.exc_info]
        (line,) = [r.getMessage() for r in caplog.records if "EvBen" in r.getMessage()]
        assert "database is down" in line

        assert await world.react(post, "U_BEN", event_id="EvBen", headers=RETRY) == 200
        await world.settle()
        assert await vote_counts(world) == {1: 1}


async def test_in_socket_mode_an_event_that_was_not_committed_is_not_acked(
    tmp_path: Path, fake: FakeSlack, log_watch: LogWatch
) -> None:
    fake.app_tokens.add(APP_TOKEN)
    async with running_world(tmp_path, fake, env=SOCKET, reconcile_on_start=False) as world:
        await asyncio.wait_for(fake.socket_connected.wait(), 5)
        for n, (user, line) in enumerate(
            [
                ("U_MAYA", '/challenge create title:"Flavour" brief:"b"'),
                ("U_MAYA", "/challenge open flavour"),
                ("U_ANA", '/idea submit title:"Lavender" description:"Floral"'),
            ]
        ):
            group, _, text = line.partition(" ")
            body = payloads.slash_command(
                group, text, user=user, response_url=fake.response_url(f"c{n}")
            )
            await fake.envelope("slash_commands", body)
            await world.settle()
        (post,) = world.idea_posts()
        event = payloads.reaction(
            "+1", user="U_BEN", channel=post[0], ts=post[1], at=world.clock.now(), event_id="Ev1"
        )

        with DatabaseDown(world.core):
            unacked = await fake.send_envelope("events_api", event)
            await log_watch.wait_for("Ev1 not recorded")
            # Its handling is over; any ack of it would have come before this one's.
            on_a_file = payloads.reaction(
                "+1", user="U_BEN", channel="C", ts="1", at=world.clock.now()
            )
            on_a_file["event"]["item"] = {"type": "file", "file": "F1"}
            await fake.envelope("events_api", on_a_file)
            assert not unacked.done(), "an event that was not committed was acked"
        await world.core.drain()

        # Slack sends the envelope again: acked now, and counted once however often.
        for attempt in (1, 2):
            ack = await fake.send_envelope("events_api", event, retry_attempt=attempt)
            assert "envelope_id" in await asyncio.wait_for(ack, 5)
        await world.settle()
        assert await vote_counts(world) == {1: 1}
        unacked.cancel()
