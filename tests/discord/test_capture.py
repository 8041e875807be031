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


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Label -> custom id of the buttons on a message."""
    return {
        c["label"]: c["custom_id"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if c.get("type") == 2
    }


async def asked(world: World) -> dict[str, Any]:
    """The direct message Ana got about her captured message."""
    await world.fake.wait_until(lambda: world.fake.dm_messages(world.ana))
    (dm,) = world.fake.dm_messages(world.ana)
    return dm


async def click(world: World, person: Any, dm: dict[str, Any], label: str) -> Any:
    record = await world.fake.click_dm(person, dm, buttons(dm)[label])
    await asyncio.wait_for(record.answered.wait(), WAIT)
    return record


async def test_the_direct_message_has_confirm_edit_and_decline_buttons(
    bot: Bot, world: World
) -> None:
    await running_challenge(world)
    await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    dm = await asked(world)
    guild = world.guild.id
    assert buttons(dm) == {
        "Confirm": f"cocreate:act:{guild}:idea-confirm:1",
        "Edit": f"cocreate:act:{guild}:idea-edit:1:form",
        "Decline": f"cocreate:act:{guild}:idea-decline:1",
    }
    # the commands are still named, for clients without buttons
    assert "/idea confirm #1" in dm["embeds"][0]["footer"]["text"]


async def test_the_author_confirms_with_the_button(bot: Bot, world: World) -> None:
    await running_challenge(world)
    await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    dm = await asked(world)
    # Ben (who captured it) can't confirm Ana's idea: the core refuses (to him, it is
    # not there at all while it waits for her).
    refused = await click(world, world.ben, dm, "Confirm")
    assert "There is no idea #1 here" in refused.text(), refused.text()
    assert not idea_posts(world)

    confirmed = await click(world, world.ana, dm, "Confirm")
    assert confirmed.callback_type == 5  # deferred, then answered privately in the DM
    assert "is in" in confirmed.text(), confirmed.text()
    post = world.fake.idea_message(1)
    assert "Oat milk lattes" in post["embeds"][0]["title"]
    await world.fake.wait_until(lambda: not world.fake.dm_messages(world.ana)[0]["components"])


async def test_the_author_declines_with_the_button(bot: Bot, world: World) -> None:
    await running_challenge(world)
    await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    dm = await asked(world)
    declined = await click(world, world.ana, dm, "Decline")
    assert "#1 is declined" in declined.text(), declined.text()
    assert not idea_posts(world)
    shown = await world.run(world.ana, "idea show", {"idea": "1"})
    assert "withdrawn" in shown.text().lower(), shown.text()


async def test_edit_opens_the_form_and_its_submission_edits_the_idea(
    bot: Bot, world: World
) -> None:
    await running_challenge(world)
    await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    dm = await asked(world)
    form = await click(world, world.ana, dm, "Edit")
    assert form.callback_type == 9, form.callback  # the /idea edit form
    assert form.data["title"].endswith("#1"), form.data["title"]
    labels = [row["label"] for row in form.data["components"]]
    assert labels == ["Title", "Description"]
    edited = await world.submit(form, {"Title": "Oat milk flat whites"})
    assert edited.callback_type == 5
    assert "#1" in edited.text(), edited.text()
    shown = await world.run(world.ana, "idea show", {"idea": "1"})
    assert "Oat milk flat whites" in shown.text(), shown.text()
    assert "Please add oat milk" in shown.text(), "a field left blank keeps its text"
    # still waiting for her: the buttons stay until she confirms or declines
    assert buttons(world.fake.dm_messages(world.ana)[0])
    confirmed = await click(world, world.ana, dm, "Confirm")
    assert "is in" in confirmed.text(), confirmed.text()
    assert "Oat milk flat whites" in world.fake.idea_message(1)["embeds"][0]["title"]


async def test_the_buttons_work_after_a_restart(new_bot: Callable[..., Bot], world: World) -> None:
    first = await new_bot().start()
    await running_challenge(world)
    await captured(world, "Oat milk lattes\nPlease add oat milk @everyone")
    dm = await asked(world)
    form = await click(world, world.ana, dm, "Edit")
    await first.stop()

    await new_bot().start()
    edited = await world.submit(form, {"Title": "Oat milk flat whites"})
    assert "#1" in edited.text() and "expired" not in edited.text(), edited.text()
    confirmed = await click(world, world.ana, dm, "Confirm")
    assert "is in" in confirmed.text(), confirmed.text()
    assert "Oat milk flat whites" in world.fake.idea_message(1)["embeds"][0]["title"]
