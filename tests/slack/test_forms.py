"""Block Kit modals: opened with the trigger_id when a form command has no text, validated
on submission with the errors shown inline (`response_action: errors`)."""

from __future__ import annotations

import json

from tests.slack.conftest import World, open_challenge, submit, text_of


async def test_submission_errors_are_shown_inline_on_their_field(world: World) -> None:
    await open_challenge(world, 'terms:"Ideas become ours."')
    await world.command("/idea submit", user="U_ANA")
    await world.settle()
    view = world.fake.of("views.open")[-1].args["view"]
    assert [b["block_id"] for b in view["blocks"]] == [
        "opt:challenge",
        "opt:title",
        "opt:description",
        "opt:anonymous",
        "opt:accept_terms",
    ]

    # Checked before anything runs: a required field left empty, a title too long.
    ack = await world.submit_form({"title": "x" * 101, "description": ""}, user="U_ANA")
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"opt:title", "opt:description"}
    assert "limit is 100" in ack["errors"]["opt:title"]

    # Refused by the core: the message goes to the field it is about.
    ack = await world.submit_form({"title": "Lavender", "description": "Floral"}, user="U_ANA")
    assert ack["response_action"] == "errors"
    assert "accept_terms" in ack["errors"]["opt:accept_terms"]

    # A challenge that does not exist: shown on the challenge field.
    ack = await world.submit_form(
        {"challenge": "nope", "title": "Lavender", "description": "Floral"}, user="U_ANA"
    )
    assert "No challenge called 'nope'" in ack["errors"]["opt:challenge"]

    ack = await world.submit_form(
        {"title": "Lavender", "description": "Floral", "accept_terms": True, "anonymous": True},
        user="U_ANA",
    )
    assert ack["response_action"] == "update"
    assert "Idea #1 is in" in text_of(ack["view"])
    (post,) = world.idea_posts()
    assert "anonymous" in text_of({"blocks": world.fake.messages[post].blocks})


async def test_the_edit_form_carries_the_idea_typed_after_the_command(world: World) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    await world.command("/idea edit #1", user="U_ANA")
    await world.settle()
    view = world.fake.of("views.open")[-1].args["view"]
    assert view["title"]["text"] == "Edit idea #1"
    assert [b["block_id"] for b in view["blocks"]] == ["opt:title", "opt:description"]
    assert json.loads(view["private_metadata"])["pos"] == ["#1"]

    # Someone else's idea: refused, on the form.
    ack = await world.submit_form({"title": "Mine now"}, user="U_BEN", view=view)
    assert ack["response_action"] == "errors"
    assert "Only the author of #1" in next(iter(ack["errors"].values()))

    ack = await world.submit_form({"title": "Lavender & honey"}, user="U_ANA", view=view)
    assert ack["response_action"] == "update"
    (post,) = world.idea_posts()
    assert "#1 · Lavender & honey" in text_of({"blocks": world.fake.messages[post].blocks})


async def test_a_command_with_text_or_a_mistake_needs_no_form(world: World) -> None:
    answer = await world.ask("/idea bogus", user="U_ANA")
    assert "Unknown command `/idea bogus`" in answer
    assert "/idea submit" in answer
    help_text = await world.ask("/cocreate", user="U_ANA")
    assert "Cocreate runs co-creation challenges here" in help_text
    await world.ask('/challenge create title:"Typed" brief:"No form"', user="U_MAYA")
    assert not world.fake.of("views.open")


async def test_an_expired_trigger_says_how_to_type_it_instead(world: World) -> None:
    from tests.slack.fake_slack import Fault

    world.fake.fail("views.open", Fault(200, {"ok": False, "error": "expired_trigger_id"}))
    answer = await world.ask("/challenge create", user="U_MAYA")
    assert "The form didn't open" in answer and "expired_trigger_id" in answer
    assert "/challenge create title:" in answer
