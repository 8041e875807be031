"""A shorter run in Socket Mode: the same bolt app over a fake Socket Mode websocket, every
envelope acked with its id."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.slack import payloads
from tests.slack.conftest import APP_TOKEN, running_world, text_of, vote_counts
from tests.slack.fake_slack import FakeSlack

SOCKET = {"COCREATE_SLACK__MODE": "socket", "COCREATE_SLACK__APP_TOKEN": APP_TOKEN}


async def test_a_challenge_runs_in_socket_mode(tmp_path: Path, fake: FakeSlack) -> None:
    fake.app_tokens.add(APP_TOKEN)
    async with running_world(tmp_path, fake, env=SOCKET, reconcile_on_start=False) as world:
        assert world.platform.port is None, "no HTTP server in Socket Mode"
        await asyncio.wait_for(fake.socket_connected.wait(), 5)
        assert fake.of("apps.connections.open")[0].token == APP_TOKEN

        async def command(line: str, user: str, key: str) -> dict[str, Any]:
            group, _, text = line.partition(" ")
            body = payloads.slash_command(
                group, text, user=user, response_url=fake.response_url(key)
            )
            ack = await fake.envelope("slash_commands", body)
            await world.settle()
            return ack

        ack = await command('/challenge create title:"Flavour" brief:"b"', "U_MAYA", "c1")
        assert "ready as a draft" in text_of(ack["payload"]), "answered in the ack"
        assert ack["payload"]["response_type"] == "ephemeral"
        assert fake.answers("c1") == [ack["payload"]], "as Slack shows it, once"
        await command("/challenge open flavour", "U_MAYA", "c2")

        # The form, in Socket Mode too: the ack says nothing, the form opens.
        ack = await command("/idea submit", "U_ANA", "c3")
        assert set(ack) == {"envelope_id"}
        view = fake.of("views.open")[-1].args["view"]
        submitted = payloads.view_submission(
            {**view, "id": "V1"}, {"title": "Lavender", "description": "Floral"}, user="U_ANA"
        )
        ack = await fake.envelope("interactive", submitted)
        assert ack["payload"]["response_action"] == "update"
        assert "Idea #1 is in" in text_of(ack["payload"]["view"])

        (post,) = world.idea_posts()
        event = payloads.reaction(
            "+1", user="U_BEN", channel=post[0], ts=post[1], at=world.clock.now(), event_id="Ev1"
        )
        ack = await fake.envelope("events_api", event)
        assert "envelope_id" in ack
        await fake.envelope("events_api", event)  # delivered again: counted once
        await world.settle()
        assert await vote_counts(world) == {1: 1}

        await command("/cocreate results", "U_CARL", "c4")
        assert "#1 Lavender — 1 vote" in text_of(fake.answers("c4")[-1])
