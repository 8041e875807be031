"""The message shortcut "Submit as idea", through slack-bolt against the loopback fake:
the submission form prefilled with the message, the author asked by direct message,
confirming or declining."""

from __future__ import annotations

from typing import Any

from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, text_of


async def capture(world: World, text: str, *, by: str = "U_BEN", author: str = "U_ANA") -> str:
    """`by` runs the shortcut on a message `author` wrote, and submits the form as it
    was prefilled; returns what the form then shows."""
    message = world.fake.say("C_GENERAL", author, text)
    status, _ = await world.interact(
        payloads.message_action(
            "cocreate_capture",
            user=by,
            channel="C_GENERAL",
            message=message,
            response_url=world.fake.response_url("capture"),
        )
    )
    assert status == 200
    await world.settle()
    view = world.fake.of("views.open")[-1].args["view"]
    assert view["title"]["text"] == "Submit as idea"
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert "opt:author" not in elements and "opt:source" not in elements
    prefill = {
        name.split(":", 1)[1]: e["initial_value"]
        for name, e in elements.items()
        if "initial_value" in e
    }
    assert prefill == {
        "title": "Oat milk lattes",
        "description": "Please add oat milk @everyone & more",
    }
    ack = await world.submit_form(prefill, user=by, view=view)
    assert ack["response_action"] == "update", ack
    await world.settle()
    return text_of(ack["view"])


async def test_a_captured_message_is_posted_once_its_author_confirms(world: World) -> None:
    await open_challenge(world)
    shown = await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    assert "waits for Ana" in shown, shown
    assert not world.idea_posts()
    (dm,) = world.fake.dms("U_ANA")
    asked = text_of({"blocks": dm.blocks})
    assert "/idea confirm #1" in asked and "@everyone" not in asked
    confirmed = await world.ask("/idea confirm #1", user="U_ANA")
    assert "is in" in confirmed, confirmed
    (post,) = world.idea_posts()
    posted = text_of({"blocks": world.fake.messages[post].blocks})
    message_ts = next(m.ts for m in world.fake.posts("C_GENERAL"))
    assert f"https://slack.com/archives/C_GENERAL/p{message_ts.replace('.', '')}" in posted
    assert "Ana" in posted


async def test_the_author_declines(world: World) -> None:
    await open_challenge(world)
    await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    declined = await world.ask("/idea decline #1", user="U_ANA")
    assert "declined" in declined, declined
    assert not world.idea_posts()
    again = await world.ask("/idea confirm #1", user="U_ANA")
    assert "nothing to confirm" in again, again


async def test_a_bot_message_is_not_captured(world: World) -> None:
    await open_challenge(world)
    message = world.fake.say("C_GENERAL", "", "Daily digest")
    message.pop("user")
    message["bot_id"] = "B_OTHER"
    status, _ = await world.interact(
        payloads.message_action(
            "cocreate_capture",
            user="U_BEN",
            channel="C_GENERAL",
            message=message,
            response_url=world.fake.response_url("bot"),
        )
    )
    assert status == 200
    await world.settle()
    assert not world.fake.of("views.open")
    assert "Only a member's message" in str(world.fake.answers("bot"))


def dm_buttons(world: World, user: str = "U_ANA") -> dict[str, dict[str, Any]]:
    """Label -> button of the first direct message `user` got (the question)."""
    dm = world.fake.dms(user)[0]
    return {
        e["text"]["text"]: e
        for block in dm.blocks
        if block.get("type") == "actions"
        for e in block["elements"]
    }


async def click(world: World, label: str, *, user: str, key: str) -> None:
    dm = world.fake.dms("U_ANA")[0]
    button = dm_buttons(world)[label]
    message = {"type": "message", "ts": dm.ts, "text": dm.text, "blocks": dm.blocks}
    status, _ = await world.interact(
        payloads.block_action(
            button["action_id"],
            button["value"],
            user=user,
            channel=dm.channel,
            message=message,
            response_url=world.fake.response_url(key),
        )
    )
    assert status == 200
    await world.settle()


async def test_the_direct_message_has_confirm_edit_and_decline_buttons(world: World) -> None:
    await open_challenge(world)
    await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    shown = {
        label: (b["action_id"], b["value"], b.get("style"))
        for label, b in dm_buttons(world).items()
    }
    assert shown == {
        "Confirm": ("cocreate_act:idea-confirm", "1", "primary"),
        "Edit": ("cocreate_act:idea-edit:form", "1", None),
        "Decline": ("cocreate_act:idea-decline", "1", "danger"),
    }


async def test_the_author_confirms_with_the_button(world: World) -> None:
    await open_challenge(world)
    await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    # Ben (who captured it) clicks: the core refuses, nothing is posted.
    await click(world, "Confirm", user="U_BEN", key="ben")
    assert "There is no idea #1 here" in text_of(world.fake.answers("ben")[-1])
    assert not world.idea_posts()

    await click(world, "Confirm", user="U_ANA", key="ana")
    answer = world.fake.answers("ana")[-1]
    assert answer["response_type"] == "ephemeral"
    assert "is in" in text_of(answer), answer
    (post,) = world.idea_posts()
    assert "Oat milk lattes" in text_of({"blocks": world.fake.messages[post].blocks})
    # the direct message loses its buttons
    assert not dm_buttons(world)


async def test_the_author_declines_with_the_button(world: World) -> None:
    await open_challenge(world)
    await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    await click(world, "Decline", user="U_ANA", key="ana")
    assert "#1 is declined" in text_of(world.fake.answers("ana")[-1])
    assert not world.idea_posts()
    again = await world.ask("/idea confirm #1", user="U_ANA")
    assert "nothing to confirm" in again, again


async def test_edit_opens_the_form_and_its_submission_edits_the_idea(world: World) -> None:
    await open_challenge(world)
    await capture(world, "Oat milk lattes\nPlease add oat milk <!everyone> &amp; more")
    opened = len(world.fake.of("views.open"))
    await click(world, "Edit", user="U_ANA", key="ana")
    assert len(world.fake.of("views.open")) == opened + 1
    view = world.fake.of("views.open")[-1].args["view"]
    assert view["title"]["text"] == "Edit idea #1"
    assert [b["block_id"] for b in view["blocks"]] == ["opt:title", "opt:description"]
    ack = await world.submit_form({"title": "Oat milk flat whites"}, user="U_ANA", view=view)
    assert ack["response_action"] == "update", ack
    await world.settle()
    shown = await world.ask("/idea show #1", user="U_ANA")
    assert "Oat milk flat whites" in shown and "Please add oat milk" in shown, shown
    assert dm_buttons(world), "still waiting for her"
    await click(world, "Confirm", user="U_ANA", key="ana")
    (post,) = world.idea_posts()
    assert "Oat milk flat whites" in text_of({"blocks": world.fake.messages[post].blocks})
