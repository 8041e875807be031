"""Finding things and help on Discord, through discord.py against the loopback fake:
/roadmap and /help are synced top-level commands, /ideas finds by words, status and
author, and anonymous authors stay anonymous."""

from __future__ import annotations

from tests.discord.conftest import Bot, World, running_challenge


async def test_roadmap_and_help_are_synced_and_answer(bot: Bot, world: World) -> None:
    names = {c["name"] for c in world.fake.commands[str(world.guild.id)]}
    assert {"roadmap", "help"} <= names
    await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Cold brew"))
    anonymous = await world.run(
        world.cleo,
        "idea submit",
        {"title": "Secret syrup", "description": "Hazelnut, described.", "anonymous": True},
    )
    assert "is in" in anonymous.embed["title"], anonymous.text()
    for number, status in ((1, "planned"), (3, "in_progress")):
        done = await world.run(world.maya, "mod status", {"idea": str(number), "status": status})
        assert "is now" in done.embed["title"], done.text()

    roadmap = await world.run(world.dan, "roadmap")
    text = roadmap.text()
    assert "Roadmap" in roadmap.embed["title"]
    assert "Oat latte" in text and "Secret syrup" in text and "Cold brew" not in text
    assert "by anonymous" in text and "Cleo" not in text
    assert text.index("Planned") < text.index("In progress")

    found = await world.run(world.dan, "ideas", {"search": "hazelnut"})
    assert "Secret syrup" in found.text() and "Cleo" not in found.text()
    mine = await world.run(world.cleo, "ideas", {"mine": True})
    assert "Secret syrup" in mine.text() and "Oat latte" not in mine.text()
    planned = await world.run(world.dan, "ideas", {"status": "planned"})
    assert "Oat latte" in planned.text() and "Secret syrup" not in planned.text()

    helped = await world.run(world.dan, "help", {"command": "ideas"})
    assert helped.embed["title"] == "❓ /ideas"
    assert "Example" in helped.text() and "/ideas search:caramel" in helped.text()
