"""Finding things on Slack, through the real bolt app against the loopback fake:
`/cocreate roadmap`, `/cocreate ideas search:…`, and the roadmap on the App Home, with
anonymous authors kept anonymous and a sealed challenge's tallies kept sealed."""

from __future__ import annotations

from tests.slack import payloads
from tests.slack.conftest import World, text_of


async def test_the_roadmap_is_a_command_and_on_the_app_home(world: World) -> None:
    fake = world.fake
    await world.ask(
        '/challenge create title:"Flavour" brief:"Which flavour next?" sealed:yes',
        user="U_MAYA",
    )
    assert "is open" in await world.ask("/challenge open", user="U_MAYA")
    answer = await world.ask(
        '/idea submit title:"Lavender honey" description:"Floral" anonymous:yes', user="U_ANA"
    )
    assert "Idea #1 is in" in answer
    assert "Idea #2 is in" in await world.ask(
        '/idea submit title:"Oat fig" description:"Creamy"', user="U_BEN"
    )
    await world.react(world.idea_posts()[1], "U_CARL", "+1")
    await world.settle()
    assert "is now planned" in await world.ask("/mod status #1 planned", user="U_MAYA")
    assert "is now" in await world.ask("/mod status #2 implemented", user="U_MAYA")

    roadmap = await world.ask("/cocreate roadmap", user="U_DORA")
    assert "Roadmap" in roadmap and "Lavender honey" in roadmap and "Oat fig" in roadmap
    assert "by anonymous" in roadmap and "Ana" not in roadmap
    assert "vote" not in roadmap, "a sealed challenge's tallies stay sealed"

    found = await world.ask("/cocreate ideas search:lavender", user="U_DORA")
    assert "Lavender honey" in found and "Oat fig" not in found and "Ana" not in found
    assert "vote" not in found
    spilled = await world.ask("/cocreate ideas search:lavender honey", user="U_DORA")
    assert 'search:"lavender honey"' in spilled

    status = await world.event(payloads.app_home_opened("U_DORA", at=world.clock.now()))
    assert status == 200
    await world.settle()
    home = text_of(fake.home_views["U_DORA"])
    assert "Roadmap" in home and "Lavender honey" in home and "Planned" in home
    assert "Ana" not in home
