"""Cards to Block Kit: pure functions, checked on their output."""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.slack import blocks
from bot.commands import registry
from bot.messages import ActionStyle, Card, CardAction
from bot.settings import LimitsSettings
from bot.text import display_inline, neutralize_mentions

HOSTILE = "<!channel> <!here> <!everyone> <@U123> <#C456|general> <!subteam^S1> <https://x.io|hi> &"
#: What Slack would turn into a ping, a link or an entity if it reached it unescaped.
ACTIVE = re.compile(r"<[@#!]|<https?:|&(?!amp;|lt;|gt;)")


def texts(node: Any) -> list[dict[str, Any]]:
    """Every text object in a block tree."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text"):
            found.append(node)
        for value in node.values():
            found += texts(value)
    elif isinstance(node, list):
        for item in node:
            found += texts(item)
    return found


def test_user_text_can_never_ping_or_link() -> None:
    card = Card(
        title=f"💡 #1 · {display_inline(HOSTILE)}",
        body=neutralize_mentions(HOSTILE + "\n" + HOSTILE),
        fields=(("By", HOSTILE), ("Challenge", "Fish & <chips>")),
        footer=HOSTILE,
    )
    message = blocks.message(card)
    assert not ACTIVE.search(message["text"])
    for text in texts(message["blocks"]):
        if text["type"] == "mrkdwn":
            assert text["verbatim"] is True
            assert not ACTIVE.search(text["text"]), text
    rendered = json.dumps(message)
    assert "&lt;" in rendered and "&amp;" in rendered
    # Escaped, not stripped: people read what was written.
    assert "&lt;!channel&gt;" in rendered or "&lt;\u200b!channel&gt;" in rendered


def test_a_card_becomes_header_sections_fields_and_context() -> None:
    card = Card("💡 #3 · Oat", "Creamy\nand vegan", (("By", "Ana"), ("Challenge", "Flavour")), "f")
    out = blocks.card_blocks(card)
    assert [b["type"] for b in out] == ["header", "section", "section", "context"]
    assert out[0]["text"] == {"type": "plain_text", "text": "💡 #3 · Oat", "emoji": True}
    assert out[1]["text"]["text"] == "Creamy\nand vegan"
    assert [f["text"] for f in out[2]["fields"]] == ["*By*\nAna", "*Challenge*\nFlavour"]


def test_long_text_is_split_within_slack_limits_and_never_inside_an_entity() -> None:
    body = ("&" * 2999 + "\n") * 3 + "x" * 7000
    out = blocks.card_blocks(Card("t", body))
    sections = [b["text"]["text"] for b in out if b["type"] == "section"]
    assert all(len(t) <= blocks.SECTION_TEXT for t in sections)
    joined = "".join(sections)
    assert joined.replace("\n", "").count("&amp;") == 3 * 2999
    assert all(not re.search(r"&(?!amp;)", t) for t in sections)


def test_many_and_long_fields_fit() -> None:
    fields = (*tuple((f"F{i}", f"v{i}") for i in range(23)), ("Commands", "line\n" * 400))
    out = blocks.card_blocks(Card("t", "", fields))
    grids = [b for b in out if b.get("fields")]
    assert [len(g["fields"]) for g in grids] == [10, 10, 3]
    long = [b for b in out if b["type"] == "section" and "text" in b]
    assert long[0]["text"]["text"].startswith("*Commands*\n")
    assert all(len(b["text"]["text"]) <= blocks.SECTION_TEXT for b in long)


def test_a_message_has_at_most_fifty_blocks() -> None:
    card = Card("t", "\n".join("x" * 2990 for _ in range(80)))
    out = blocks.message(card)["blocks"]
    assert len(out) == blocks.MESSAGE_BLOCKS
    assert "shortened" in out[-1]["elements"][0]["text"]


def test_a_review_post_has_approve_and_reject_buttons_then_the_verdict() -> None:
    message = blocks.review_message(Card("🗂️ Review #4 · Oat", "Creamy"), 4)
    actions = message["blocks"][-1]
    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (blocks.APPROVE_ACTION, "4"),
        (blocks.REJECT_ACTION, "4"),
    ]
    done = blocks.reviewed_blocks(message["blocks"], "✅ Approved by <@U1> & co")
    assert all(b["type"] != "actions" for b in done)
    assert done[-1]["elements"][0]["text"] == "✅ Approved by &lt;@U1&gt; &amp; co"


def test_forms_are_built_from_the_command_specs() -> None:
    spec = registry.find(("challenge", "create"))
    assert spec is not None
    view = blocks.form_view(spec, spec.options, {"cmd": list(spec.path)}, LimitsSettings())
    assert view["type"] == "modal" and view["callback_id"] == blocks.FORM_CALLBACK
    assert len(view["title"]["text"]) <= blocks.MODAL_TITLE
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert set(inputs) == {f"opt:{o.name}" for o in spec.options}
    assert inputs["opt:title"]["optional"] is False
    assert inputs["opt:title"]["element"]["max_length"] == LimitsSettings().title_max
    assert inputs["opt:brief"]["element"]["multiline"] is True
    assert inputs["opt:venue"]["element"]["type"] == "multi_conversations_select"
    assert inputs["opt:review"]["element"]["type"] == "checkboxes"
    assert inputs["opt:ideas_per_member"]["element"]["type"] == "number_input"
    assert json.loads(view["private_metadata"]) == {"cmd": ["challenge", "create"]}

    submit = registry.find(("idea", "submit"))
    assert submit is not None
    view = blocks.form_view(submit, submit.options, {}, LimitsSettings())
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert inputs["opt:title"]["optional"] is False  # the form requires what the core needs
    assert inputs["opt:description"]["optional"] is False
    assert inputs["opt:anonymous"]["optional"] is True


def test_the_home_view_stays_within_a_hundred_blocks() -> None:
    cards = [Card(f"c{i}", "x", tuple((f"f{j}", "v") for j in range(30))) for i in range(40)]
    view = blocks.home_view(cards)
    assert view["type"] == "home"
    assert len(view["blocks"]) <= blocks.VIEW_BLOCKS


def test_a_cards_buttons_come_last_and_name_their_command() -> None:
    actions = (
        CardAction("Confirm", ("idea", "confirm"), 7, style=ActionStyle.PRIMARY),
        CardAction("Edit", ("idea", "edit"), 7, form=True),
    )
    out = blocks.message(Card("💡 Your message as idea #7?", "Text", actions=actions))
    last = out["blocks"][-1]
    assert last["type"] == "actions"
    assert [(e["action_id"], e["value"], e.get("style")) for e in last["elements"]] == [
        ("cocreate_act:idea-confirm", "7", "primary"),
        ("cocreate_act:idea-edit:form", "7", None),
    ]
    back = blocks.card_action("cocreate_act:idea-edit:form", "7")
    assert back == CardAction("", ("idea", "edit"), 7, form=True)
    for action_id, value in [
        ("cocreate_act:idea-confirm", "7x"),
        ("cocreate_act:idea-confirm:other", "7"),
        ("cocreate_act:Idea-confirm", "7"),
        ("cocreate_review_approve", "7"),
    ]:
        assert blocks.card_action(action_id, value) is None
