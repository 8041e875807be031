""" "Submit as idea" on a message, through discord.py against the loopback fake: the form
prefilled with the message, the author asked by direct message, confirming or declining."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.discord.conftest import WAIT, Bot, World, running_challenge


def idea_posts(world: World) -> list[dict[str, Any]]:
    return [
        m
        for m in world.fake.posts_in(world.ideas)
        if m.get("embeds") and str(m["embeds"][0].get("title", "")).startswith("💡 #")
    ]


async def captured(world: World, text: str) -> tuple[dict[str, Any], str]:
    """Ben captures a message Ana wrote; returns the message and the answer's text."""
    general = world.fake.channel(world.guild, "general")
    message = world.fake.say(world.ana, general, text)
    record = await world.fake.message_command(world.ben, message)
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert record.callback_type == 9, record.callback  # the submission form
    fields = {row["label"]: row["component"].get("value") for row in record.data["components"]}
    assert fields["Title"] == "Oat milk lattes"
    assert fields["Description"] == "Please add oat milk @everyone"
    submitted = await world.submit(
        record, {"Title": fields["Title"], "Description": fields["Description"]}
    )
    return message, submitted.text()


async def test_the_context_menu_is_synced(bot: Bot, world: World) -> None:
    commands = world.fake.commands[str(world.guild.id)]
    (menu,) = [c for c in commands if c["name"] == "Submit as idea"]
    assert menu["type"] == 3 and menu["contexts"] == [0]


async def test_a_captured_message_is_posted_once_its_author_confirms(
    bot: Bot, world: World
) -> None:
    await running_challenge(world)
    message, answer = await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    assert "waits for Ana" in answer, answer
    assert not idea_posts(world)
    await world.fake.wait_until(lambda: world.fake.dms_to(world.ana))
    assert world.fake.dms_to(world.ana) == ["💡 Your message as idea #1?"]
    confirmed = await world.run(world.ana, "idea confirm", {"idea": "1"})
    assert "is in" in confirmed.text(), confirmed.text()
    post = world.fake.idea_message(1)
    embed = post["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed.get("fields", [])}
    link = f"https://discord.com/channels/{world.guild.id}/{message['channel_id']}/{message['id']}"
    assert fields["From the message"] == link
    assert "Ana" in fields["By"]
    assert "@everyone" not in embed["description"]  # nothing pings


async def test_the_author_declines(bot: Bot, world: World) -> None:
    await running_challenge(world)
    _, answer = await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    assert "waits for Ana" in answer, answer
    declined = await world.run(world.ana, "idea decline", {"idea": "1"})
    assert "declined" in declined.text(), declined.text()
    assert not idea_posts(world)
    again = await world.run(world.ana, "idea confirm", {"idea": "1"})
    assert "nothing to confirm" in again.text(), again.text()


async def test_a_capture_form_from_before_a_restart_is_not_the_callers_idea(
    new_bot: Callable[..., Bot], world: World
) -> None:
    first = await new_bot().start()
    await running_challenge(world)
    general = world.fake.channel(world.guild, "general")
    message = world.fake.say(world.ana, general, "Oat milk lattes\nPlease")
    form = await world.fake.message_command(world.ben, message)
    await asyncio.wait_for(form.answered.wait(), WAIT)
    await first.stop()

    await new_bot().start()  # what the form carried (the author) died with the process
    submitted = await world.submit(form, {"Title": "Oat milk lattes", "Description": "Please"})
    assert "That form expired" in submitted.text(), submitted.text()
    assert not idea_posts(world)
