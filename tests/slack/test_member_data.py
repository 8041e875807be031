"""Members' data on Slack, through the real bolt app against the fake Slack: `/cocreate
mydata` arrives in the member's direct messages as a JSON file; `app_uninstalled` (and
`tokens_revoked` for the bot's tokens) marks the workspace as left, and a command there
afterwards means the app is back."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from adapters.slack.translate import community
from storage.schema import communities
from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, submit, text_of


async def left_at(world: World, team: str = "T1") -> datetime | None:
    async with world.core.db.transaction() as store:
        found = await store.find_community(community(team))
        assert found is not None
        conn = store.member_data.conn  # type: ignore[attr-defined]
        value: datetime | None = await conn.scalar(
            select(communities.c.left_at).where(communities.c.id == found.id)
        )
        return value


async def test_mydata_arrives_as_a_file_in_direct_messages(world: World) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender honey")
    answer = await world.ask("/cocreate mydata", user="U_ANA")
    assert "Your data is on its way" in answer
    assert "Sent to your direct messages with Cocreate" in answer
    texts = [text_of({"blocks": m.blocks}) for m in world.fake.posts("DU_ANA")]
    assert sum("Your data in Cocreate" in t for t in texts) == 1, texts
    ((channel, files),) = world.fake.files
    assert channel == "DU_ANA"
    ((title, content),) = files
    assert title.startswith("cocreate-mydata-slack-") and title.endswith(".json")
    data = json.loads(content)
    assert data["member"]["platform_id"] == "U_ANA"
    assert [i["title"] for i in data["ideas"]] == ["Lavender honey"]


async def test_forgetme_asks_for_a_code_first(world: World) -> None:
    answer = await world.ask("/cocreate forgetme", user="U_BEN")
    assert "cannot be undone" in answer and "/forgetme confirm:" in answer


def removal(event: dict[str, object], world: World) -> dict[str, object]:
    return payloads.event_callback(event, event_id=world.next_event_id(), at=world.clock.now())


async def test_app_uninstalled_marks_the_workspace_as_left(world: World) -> None:
    await open_challenge(world)
    assert await left_at(world) is None
    assert await world.event(removal({"type": "app_uninstalled"}, world)) == 200
    await world.settle()
    assert await left_at(world) == world.clock.now()
    # A command there again: the app is back, and nothing will be deleted.
    await world.ask("/challenge list", user="U_ANA")
    assert await left_at(world) is None


async def test_tokens_revoked_counts_only_for_the_bots_tokens(world: World) -> None:
    await open_challenge(world)
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U_ANA"]}}
    assert await world.event(removal(users_only, world)) == 200
    await world.settle()
    assert await left_at(world) is None
    bots = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
    assert await world.event(removal(bots, world)) == 200
    await world.settle()
    assert await left_at(world) is not None
