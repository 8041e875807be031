"""Slack faults: `ratelimited` waited out with Retry-After, 5xx and timeouts retried with
backoff, deleted messages, channels to join, and acks that never wait for slow work."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.messages import Card, CommunityRef, Post, PostKind, PostReceipt
from bot.model import BadgeKind
from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, running_world, submit, text_of
from tests.slack.fake_slack import FakeSlack, Fault

RATELIMITED = {"ok": False, "error": "ratelimited"}


async def test_ratelimited_calls_wait_out_retry_after(world: World) -> None:
    await open_challenge(world)
    world.fake.fail(
        "chat.postMessage", Fault(429, RATELIMITED, {"Retry-After": "7"}), Fault(429, RATELIMITED)
    )
    world.fake.fail("reactions.add", Fault(429, RATELIMITED, {"Retry-After": "30"}))

    def to_venue() -> int:
        return sum(c.args["channel"] == "C_IDEAS" for c in world.fake.of("chat.postMessage"))

    before = to_venue()
    answer = await submit(world, "U_ANA", "Lavender")
    assert "could not be sent" not in answer
    assert to_venue() - before == 3
    (post,) = world.idea_posts()
    assert world.fake.messages[post].reactions == {"+1": ["UBOT"]}
    # Retry-After is obeyed to the second (1 s when Slack gives none).
    assert world.sleeps.durations == [7.0, 1.0, 30.0]

    # /metrics counts every call by method and status, and the retries.
    def sample(name: str, **labels: str) -> float | None:
        return world.core.metrics.registry.get_sample_value(name, {"platform": "slack", **labels})

    calls, retries = "cocreate_platform_api_calls_total", "cocreate_platform_api_retries_total"
    assert sample(calls, method="chat.postMessage", status="429") == 2
    assert sample(calls, method="reactions.add", status="429") == 1
    assert (sample(calls, method="reactions.add", status="200") or 0) >= 1
    assert sample(retries, method="chat.postMessage") == 2
    assert sample(retries, method="reactions.add") == 1
    assert (sample("cocreate_ack_seconds_count") or 0) >= 2  # the commands' acks


async def test_server_errors_and_timeouts_are_retried_with_backoff(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with running_world(tmp_path, fake, http_timeout_s=0.2, reconcile_on_start=False) as world:
        await open_challenge(world)
        fake.fail("users.info", Fault(502), Fault(503))
        fake.fail("chat.postMessage", Fault(stall=True))  # times out after 0.2 s
        fake.fail("reactions.add", Fault(500))
        answer = await submit(world, "U_BEN", "Oat")
        assert "is in" in answer and "could not be sent" not in answer
        (post,) = world.idea_posts()
        assert fake.messages[post].reactions == {"+1": ["UBOT"]}
        # Exponential backoff from 0.25 s: 0.25, 0.5 for users.info; 0.25 for each other.
        assert world.sleeps.durations == [0.25, 0.5, 0.25, 0.25]
        assert sum(c.args["user"] == "U_BEN" for c in fake.of("users.info")) == 3


async def test_an_idea_whose_post_keeps_failing_is_saved_and_posted_when_slack_answers(
    world: World,
) -> None:
    await open_challenge(world)
    world.fake.fail("chat.postMessage", *[Fault(429, RATELIMITED, {"Retry-After": "1"})] * 4)
    answer = await submit(world, "U_ANA", "Lavender")
    assert "It is saved; it will be posted for voting with 👍 as soon as Slack answers" in answer
    assert "is posted" not in answer
    assert world.sleeps.durations == [1.0, 1.0, 1.0]
    assert world.idea_posts() == []
    # Slack answers again: the agenda's next run posts it, once.
    world.clock.advance(timedelta(seconds=3))
    await world.core.agenda.run_due()
    (post,) = world.idea_posts()
    assert world.fake.messages[post].reactions == {"+1": ["UBOT"]}
    await world.core.agenda.run_due()
    assert len(world.idea_posts()) == 1


async def test_a_badge_message_slack_keeps_failing_is_raised_for_a_later_try(
    world: World,
) -> None:
    """A fault on Slack's side that outlasts the retries is raised (the core tells the
    badge again later: tests/test_badge_news.py); a refusal is not worth another try."""
    publisher = world.core.publishers["slack"]
    team = CommunityRef("slack", "T1", "Team")

    def to_ana() -> int:
        return sum(c.args["channel"] == "U_ANA" for c in world.fake.of("chat.postMessage"))

    world.fake.fail("chat.postMessage", *[Fault(503)] * 10)
    with pytest.raises(SlackApiError):
        await publisher.badge_awarded(team, "U_ANA", BadgeKind.SPARK)
    world.fake.faults.clear()
    world.fake.fail("chat.postMessage", *[Fault(200, RATELIMITED)] * 10)
    with pytest.raises(SlackApiError):
        await publisher.badge_awarded(team, "U_ANA", BadgeKind.SPARK)
    world.fake.faults.clear()
    world.fake.fail("chat.postMessage", Fault(200, {"ok": False, "error": "user_not_found"}))
    await publisher.badge_awarded(team, "U_ANA", BadgeKind.SPARK)  # not raised
    before = to_ana()
    await publisher.badge_awarded(team, "U_ANA", BadgeKind.SPARK)
    assert to_ana() == before + 1


async def test_an_idea_post_update_slack_keeps_failing_is_raised_for_a_later_try(
    world: World,
) -> None:
    """A fault on Slack's side that outlasts the retries is raised (the change's follow-up
    shows the post again later: tests/test_followups.py); a refusal is logged."""
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    ((channel, ts),) = world.idea_posts()
    publisher = world.core.publishers["slack"]
    team = CommunityRef("slack", "T1", "Team")
    shown = Post(channel, PostKind.IDEA, Card("💡 #1 Lavender & honey", "Floral."), 1, 1)
    world.fake.fail("chat.update", *[Fault(503)] * 10)
    with pytest.raises(SlackApiError):
        await publisher.update(team, PostReceipt(channel, ts), shown)
    world.fake.faults.clear()
    world.fake.fail("chat.update", Fault(200, {"ok": False, "error": "cant_update_message"}))
    await publisher.update(team, PostReceipt(channel, ts), shown)  # not raised
    await publisher.update(team, PostReceipt(channel, ts), shown)
    assert "Floral." in world.fake.messages[(channel, ts)].text


async def test_a_deleted_message_is_handled(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "cocreate.slack")
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    world.fake.delete(*post)
    answer = await world.ask('/idea edit #1 title:"Lavender & honey"', user="U_ANA")
    assert "#1 is updated" in answer
    assert f"post {post[1]} in C_IDEAS was not updated: message_not_found" in caplog.text
    # A reaction event for the deleted post is still handled normally.
    assert await world.react(post, "U_BEN", added=False) == 200
    await world.settle()


async def test_the_bot_joins_a_public_venue_it_is_not_in(world: World) -> None:
    world.fake.not_joined.add("C_IDEAS")
    await open_challenge(world)
    assert [c.args["channel"] for c in world.fake.of("conversations.join")] == ["C_IDEAS"]
    assert world.fake.posts("C_IDEAS"), "the announcement was posted after joining"


async def post_submission(world: World, key: str) -> tuple[int, str, float]:
    """`/idea submit` with its text, answers under `key`: status, ack body, seconds."""
    fields = payloads.slash_command(
        "/idea",
        f'submit title:"{key}" description:"Submitted as {key}"',
        response_url=world.fake.response_url(key),
    )
    return await world.post(payloads.form_body(fields), "application/x-www-form-urlencoded")


async def test_a_quick_answer_is_the_ack_itself(world: World) -> None:
    await open_challenge(world)
    status, body, _ = await post_submission(world, "quick")
    await world.settle()
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral" and "Idea #1 is in" in text_of(answer)
    assert world.fake.of("chat.postEphemeral") == [], "no second answer"
    assert world.fake.answers("quick") == [answer], "nothing posted to the response_url"


async def test_every_request_is_acked_before_slow_work(tmp_path: Path, fake: FakeSlack) -> None:
    """A command whose answer is not ready within the budget is acked empty at its end
    and answered through the response_url once the slow work is done."""
    async with running_world(tmp_path, fake, answer_budget_s=0.2) as world:
        await open_challenge(world)
        world.fake.fail("chat.postMessage", Fault(stall=True))  # Slack is slow to post
        status, body, elapsed = await post_submission(world, "slow")
        assert status == 200 and body == ""
        assert elapsed < 1.0, f"the ack took {elapsed:.2f} s"
        assert world.fake.answers("slow") == []
        await world.fake.wait_for(lambda: world.fake.of("chat.postMessage")[-1].args.get("blocks"))
        world.fake.release()
        await world.settle()
        assert "Idea #1 is in" in text_of(world.fake.answers("slow")[-1])


async def test_a_slow_form_is_acked_in_time_and_updated_when_done(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with running_world(tmp_path, fake, form_budget_s=0.05, reconcile_on_start=False) as world:
        await open_challenge(world)
        await world.command("/idea submit", user="U_ANA")
        await world.settle()
        fake.fail("chat.postMessage", Fault(stall=True))
        ack = await world.submit_form({"title": "Slow", "description": "Form"}, user="U_ANA")
        assert ack["response_action"] == "update"
        assert "Working on it" in text_of(ack["view"])
        fake.release()
        await world.settle()
        (update,) = fake.of("views.update")
        assert "Idea #1 is in" in text_of(update.args["view"])
