"""A request that Slack signed once runs once: a replay (the same signed body, or the same
trigger_id) within the signing window gets a 200 and does nothing, in this process or in
another one on the same database."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.schema import ideas
from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, running_world, text_of
from tests.slack.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"


async def idea_count(world: World) -> int:
    async with world.core.db.transaction() as store:
        found = await store.conn.execute(select(func.count()).select_from(ideas))  # type: ignore[attr-defined]
        return int(found.scalar())


def submission(world: World, key: str, trigger: str | None = None) -> str:
    fields = payloads.slash_command(
        "/idea",
        'submit title:"Lavender" description:"Floral"',
        response_url=world.fake.response_url(key),
        trigger=trigger,
    )
    return payloads.form_body(fields)


def replays_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "replayed" in r.getMessage()]


async def test_a_replayed_signed_command_runs_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await open_challenge(world)
    caplog.set_level(logging.INFO, "cocreate.slack")
    body, signed_at = submission(world, "first"), int(time.time())

    acks = []
    for _ in range(3):  # the captured request, sent again byte for byte
        status, answer, _ = await world.post(body, FORM, timestamp=signed_at)
        assert status == 200
        acks.append(answer)
        await world.settle()
    assert "Idea #1 is in" in acks[0] and acks[1:] == ["", ""], "replays get an empty ack"

    assert await idea_count(world) == 1
    assert len(world.fake.answers("first")) == 1
    assert "Idea #1 is in" in text_of(world.fake.answers("first")[0])
    assert replays_logged(caplog) == ["/idea replayed (same trigger): ignored"] * 2
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_command_with_a_trigger_id_seen_before_runs_once(world: World) -> None:
    await open_challenge(world)
    trigger = payloads.trigger_id()
    # Signed at another second, or with another response_url: the same trigger all the same.
    assert (await world.post(submission(world, "a", trigger), FORM))[0] == 200
    await world.settle()
    for key, signed_at in (("a", int(time.time()) - 10), ("b", None)):
        assert (await world.post(submission(world, key, trigger), FORM, timestamp=signed_at))[
            0
        ] == 200
        await world.settle()
    assert await idea_count(world) == 1
    assert len(world.fake.answers("a")) == 1 and world.fake.answers("b") == []


async def test_a_replay_sent_to_another_process_on_the_same_database_does_nothing(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "cocreate.slack")
    async with running_world(tmp_path, fake, reconcile_on_start=False) as first:
        await open_challenge(first)
        body, signed_at = submission(first, "one"), int(time.time())
        assert (await first.post(body, FORM, timestamp=signed_at))[0] == 200
        await first.settle()
        async with running_world(tmp_path, fake, reconcile_on_start=False) as second:
            assert second.url != first.url
            assert (await second.post(body, FORM, timestamp=signed_at))[0] == 200
            await second.settle()
            assert await idea_count(second) == 1
    assert len(fake.answers("one")) == 1
    assert replays_logged(caplog) == ["/idea replayed (same trigger): ignored"]


async def test_a_replayed_form_submission_or_review_click_acts_once(world: World) -> None:
    await open_challenge(world, "review:yes")

    # A form submission, replayed: the second ack is empty and nothing more is submitted.
    await world.command("/idea submit", user="U_ANA")
    await world.settle()
    view = {**world.fake.of("views.open")[-1].args["view"], "id": "V1"}
    values = {"title": "Lavender", "description": "Floral"}
    body = payloads.interaction_body(payloads.view_submission(view, values, user="U_ANA"))
    signed_at = int(time.time())
    status, first, _ = await world.post(body, FORM, timestamp=signed_at)
    assert status == 200 and "review it first" in first
    status, again, _ = await world.post(body, FORM, timestamp=signed_at)
    assert (status, again) == (200, "")
    await world.settle()
    assert await idea_count(world) == 1

    # The review button, clicked once and replayed: one approval, one answer, one update.
    (review,) = world.fake.posts("C_MODS")
    approve = next(e for e in review.blocks[-1]["elements"] if e["text"]["text"] == "Approve")
    message: dict[str, Any] = {"type": "message", "ts": review.ts, "blocks": review.blocks}
    click = payloads.block_action(
        approve["action_id"],
        approve["value"],
        user="U_MAYA",
        channel="C_MODS",
        message=message,
        response_url=world.fake.response_url("maya"),
    )
    body = payloads.interaction_body(click)
    for _ in range(2):
        assert (await world.post(body, FORM, timestamp=signed_at))[0] == 200
        await world.settle()
    (answer,) = world.fake.answers("maya")
    assert "#1 is approved" in text_of(answer)
    assert len(world.fake.of("chat.update")) == 1
    assert len(world.idea_posts()) == 1


async def test_a_replayed_refusal_or_form_is_answered_once(world: World) -> None:
    """The adapter's own answers (a command it cannot read, a form it opens) record the
    request's keys first, as the core does for the commands it runs."""
    await open_challenge(world)
    signed_at = int(time.time())
    unreadable = payloads.form_body(
        payloads.slash_command("/idea", 'submit title:"Lavender', trigger=payloads.trigger_id())
    )
    acks = [(await world.post(unreadable, FORM, timestamp=signed_at))[1] for _ in range(2)]
    assert "didn't work" in acks[0] and acks[1] == ""

    form = payloads.form_body(payloads.slash_command("/idea", "submit"))
    for _ in range(2):
        assert (await world.post(form, FORM, timestamp=signed_at))[0] == 200
        await world.settle()
    assert len(world.fake.of("views.open")) == 1
