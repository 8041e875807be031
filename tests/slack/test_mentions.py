"""Mention injection: what members write can never ping anyone or become a link. Checked
on the blocks the adapter actually sends to chat.postMessage."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.slack.conftest import World, open_challenge, text_of

#: Slack syntax that would ping (<!channel>, <!here>, <!everyone>, <!subteam^…>, <@U…>),
#: link a channel (<#C…>) or a URL (<https://…|…>) if it reached Slack unescaped.
ACTIVE = re.compile(r"<[@#!]|<https?:")
INJECTION = "<!channel> <!here> <!everyone> <@U_MAYA> <#C_GENERAL|general> <!subteam^S1|@mods>"


def text_objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text"):
            found.append(node)
        for value in node.values():
            found += text_objects(value)
    elif isinstance(node, list):
        for item in node:
            found += text_objects(item)
    return found


def assert_inert(args: dict[str, Any]) -> None:
    assert not ACTIVE.search(str(args.get("text", ""))), args.get("text")
    for text in text_objects(args.get("blocks", [])):
        assert not ACTIVE.search(text["text"]), text
        if text["type"] == "mrkdwn":
            assert text.get("verbatim") is True, "Slack must not auto-link user text"
    assert args.get("link_names") in (False, None, "false", "0")


async def test_mention_injection_in_idea_text_produces_no_ping(world: World) -> None:
    await open_challenge(world)
    # By text: Slack sends <, > and & escaped, the adapter unescapes, the core stores it.
    answer = await world.ask(
        f'/idea submit title:"Hi @channel @here <!here>" description:"{INJECTION} '
        f'<https://evil.example|free money> & @everyone"',
        user="U_ANA",
    )
    assert "Idea #1 is in" in answer
    # By form: what is typed in a modal arrives unescaped.
    await world.command("/idea submit", user="U_BEN")
    await world.settle()
    ack = await world.submit_form(
        {"title": "<@U_MAYA> look", "description": f"{INJECTION}\n<https://x.example|x>"},
        user="U_BEN",
    )
    assert ack["response_action"] == "update", ack

    posted = world.fake.of("chat.postMessage")
    ideas = [c.args for c in posted if "React with" in text_of(c.args)]
    assert len(ideas) == 2
    for call in posted:
        assert_inert(call.args)
    first = json.dumps(ideas[0], ensure_ascii=False)
    # What was written is still shown, as text.
    assert "&lt;" in first and "!channel" in first and "free money" in first
    assert "&amp; @\u200beveryone" in first

    # The same for the answers through the response_url and the modal's result view.
    for _, body in world.fake.responses:
        assert_inert(body)
    assert_inert({"blocks": ack["view"]["blocks"]})

    # Editing re-renders with chat.update: just as inert.
    await world.ask(f'/idea edit #1 title:"{INJECTION}"', user="U_ANA")
    updates = world.fake.of("chat.update")
    assert updates
    for call in updates:
        assert_inert(call.args)


async def test_mentions_typed_as_slack_markup_are_inert_too(world: World) -> None:
    """What Slack sends when a member types @channel, @here, @maya or #general (markup,
    not escaped text)."""
    from tests.slack import payloads

    await open_challenge(world)
    fields = payloads.slash_command("/idea", "", response_url=world.fake.response_url("raw"))
    fields["text"] = (
        'submit title:"<!channel> wake up" '
        'description:"<!here> <!everyone> <@U_MAYA|maya> <#C_GENERAL|general> '
        '<!subteam^S1|@mods> <https://evil.example|free money>"'
    )
    status, _, _ = await world.post(payloads.form_body(fields), "application/x-www-form-urlencoded")
    assert status == 200
    await world.settle()
    assert "Idea #1 is in" in text_of(world.fake.answers("raw")[-1])
    (idea,) = [c.args for c in world.fake.of("chat.postMessage") if "React with" in text_of(c.args)]
    assert_inert(idea)
    shown = text_of(idea)
    assert "wake up" in shown and "maya" in shown and "free money (https://evil.example)" in shown
