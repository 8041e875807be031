"""A whole challenge in a Slack workspace, in HTTP mode, through the real bolt app: modals,
text commands, idea posts with the bot's own vote reaction, reaction events, results,
final results, badge messages and the App Home."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.slack import payloads
from tests.slack.conftest import SECRETS, World, text_of


def view_of(ack: dict[str, Any]) -> str:
    return text_of(ack.get("view"))


async def test_a_whole_challenge_runs_in_http_mode(
    world: World, caplog: pytest.LogCaptureFixture, no_secrets_in_logs: Callable[[], None]
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = world.fake

    # A workspace admin opens the form with a bare /challenge create and fills it in.
    key = await world.command("/challenge create", user="U_MAYA")
    await world.settle()
    assert not fake.answers(key), "the form opens instead of an answer"
    modal = fake.of("views.open")[-1].args
    assert modal["trigger_id"] and modal["view"]["type"] == "modal"
    ack = await world.submit_form(
        {"title": "Flavour", "brief": "Which flavour next?", "venue": ["C_IDEAS"]},
        user="U_MAYA",
    )
    assert ack["response_action"] == "update"
    assert "Flavour" in view_of(ack) and "draft" in view_of(ack)

    answer = await world.ask("/challenge open flavour", user="U_MAYA")
    assert "is open" in answer
    world.clock.advance(timedelta(hours=1))
    announcement = fake.posts("C_IDEAS")[-1]
    assert "Which flavour next?" in text_of({"blocks": announcement.blocks})

    # Ana submits with the modal, Ben with text.
    key = await world.command("/idea submit", user="U_ANA")
    await world.settle()
    ack = await world.submit_form(
        {"title": "Lavender honey", "description": "Floral & sweet"}, user="U_ANA"
    )
    assert ack["response_action"] == "update", ack
    assert "Idea #1 is in" in view_of(ack)
    answer = await world.ask(
        '/idea submit title:"Oat & fig" description:"Creamy, <b>vegan</b>"', user="U_BEN"
    )
    assert "Idea #2 is in" in answer

    posts = world.idea_posts()
    assert len(posts) == 2
    first, second = posts
    # The bot adds the vote reaction itself, and that reaction never counts.
    assert fake.messages[first].reactions == {"+1": ["UBOT"]}
    assert "Floral &amp; sweet" in text_of({"blocks": fake.messages[first].blocks})

    # Votes arrive as reaction events, in the forms Slack sends 👍.
    assert await world.react(first, "U_BEN", "+1") == 200
    assert await world.react(first, "U_CARL", "+1::skin-tone-3") == 200
    assert await world.react(second, "U_ANA", "thumbsup") == 200
    assert await world.react(second, "U_BEN", "+1") == 200  # a self-vote: ignored
    assert await world.react(second, "U_CARL", "heart") == 200  # not the vote emoji
    await world.settle()

    standings = await world.ask("/cocreate results", user="U_DORA")
    assert "#1 Lavender honey — 2 votes" in standings
    assert "#2 Oat &amp; fig — 1 vote" in standings  # mrkdwn escaping

    # Removing a reaction removes the vote.
    await world.react(first, "U_CARL", "+1::skin-tone-3", added=False)
    await world.settle()
    standings = await world.ask("/cocreate results", user="U_DORA")
    assert "#1 Lavender honey — 1 vote" in standings

    # Before the final results, the votes are read back from Slack, as of the close.
    world.clock.advance(timedelta(days=1))
    fake.react(*second, "+1", "U_DORA")  # a vote whose event never arrived
    closed = await world.ask("/challenge close flavour", user="U_MAYA")
    assert "is closed" in closed
    reads = {(c.args["channel"], c.args["timestamp"]) for c in fake.of("reactions.get")}
    assert reads == {first, second}
    assert "#2 Oat &amp; fig — 2 votes" in text_of({"blocks": fake.posts("C_IDEAS")[-1].blocks})
    final = text_of({"blocks": fake.posts("C_IDEAS")[-1].blocks})
    assert "Final results" in final and "Lavender honey" in final
    dms = [m for m in fake.posts() if m.channel.startswith("D")]
    assert any("Spark" in text_of({"blocks": m.blocks}) for m in dms)

    # The App Home shows Ana's badges and points, her rank, and the challenges.
    status = await world.event(payloads.app_home_opened("U_ANA", at=world.clock.now()))
    assert status == 200
    await world.settle()
    home = text_of(fake.home_views["U_ANA"])
    assert "badge" in home and "Spark" in home
    assert "rank" in home
    assert "Flavour" in home
    no_secrets_in_logs()
    # Nor is any configured secret written to the database.
    await world.settle()
    path = Path(world.core.settings.database_url.split("///", 1)[1])
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert stored and not any(secret.encode() in stored for secret in SECRETS)
