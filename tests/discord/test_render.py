"""Neutral cards to embeds: escaping, limits, review buttons, forms. Pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord import render
from adapters.discord.commands import commands_signature
from adapters.discord.forms import form_fields, form_title, needs_form
from bot.commands import registry
from bot.messages import Card, CardAction, PostKind
from bot.settings import load_settings


def embed_length(data: Any) -> int:
    total = len(data.get("title", "")) + len(data.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in data.get("fields", []))
    return total + len((data.get("footer") or {}).get("text", ""))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**bold** _it_ ~~gone~~ ||secret||", r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \|\|secret\|\|"),
        ("[free nitro](https://evil.example)", r"\[free nitro\](https://evil.example)"),
        (
            "# Huge\n> quoted\n-# small\n- item\n1. first",
            "\\# Huge\n\\> quoted\n\\-# small\n\\- item\n1\\. first",
        ),
        ("Try `/idea submit accept_terms:yes`", "Try `/idea submit accept_terms:yes`"),
        ("It`s odd", "It\\`s odd"),
        ("see https://example.com/a_b_c", "see https://example.com/a_b_c"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_markdown_is_shown_literally(text: str, shown: str) -> None:
    assert render.escape(text) == shown


def test_a_card_becomes_one_embed() -> None:
    card = Card("💡 #1 · *Title*", "Body _text_", (("By", "Ana"), ("Votes", "")), "React with 👍")
    data = render.post_embed(card, PostKind.IDEA).to_dict()
    assert data["title"] == "💡 #1 · \\*Title\\*"
    assert data["description"] == "Body \\_text\\_"
    assert [(f["name"], f["value"]) for f in data["fields"]] == [("By", "Ana"), ("Votes", "\u200b")]
    assert data["footer"]["text"] == "React with 👍", "footers are not markdown"
    assert data["color"] == render.COLOURS[PostKind.IDEA]


def test_long_cards_stay_within_discord_limits() -> None:
    standings = "\n".join(f"{n}. #{n} Idea number {n} — {n} votes" for n in range(1, 400))
    card = Card("T" * 300, "D" * 5000, tuple((f"Field {n}", standings) for n in range(30)), "F")
    data = render.card_embed(card).to_dict()
    assert len(data["title"]) <= render.TITLE_MAX
    assert len(data["description"]) <= render.DESCRIPTION_MAX
    assert len(data["fields"]) <= render.FIELDS_MAX
    assert all(len(f["value"]) <= render.FIELD_VALUE_MAX for f in data["fields"])
    assert embed_length(data) <= render.EMBED_TOTAL_MAX
    assert "not shown here" in data["fields"][-1]["value"]


def test_a_long_field_is_split_at_line_ends() -> None:
    lines = "\n".join(f"line {n:04d} " + "x" * 40 for n in range(60))
    data = render.card_embed(Card("Standings", "", (("All ideas", lines),))).to_dict()
    names = [f["name"] for f in data["fields"]]
    assert names[0] == "All ideas" and set(names[1:]) == {"\u200b"}
    joined = "\n".join(f["value"] for f in data["fields"])
    assert joined == render.escape(lines)


def test_review_custom_ids_round_trip() -> None:
    assert render.review_custom_id("approve", 12) == "cocreate:review:approve:12"
    assert render.parse_review_custom_id("cocreate:review:reject:7") == ("reject", 7)
    assert render.parse_review_custom_id("cocreate:review:delete:7") is None
    assert render.parse_review_custom_id("cocreate:review:approve:12x") is None


def test_forms_come_from_the_specs() -> None:
    limits = load_settings(environ={}).limits
    submit = registry.find(("idea", "submit"))
    create = registry.find(("challenge", "create"))
    edit = registry.find(("idea", "edit"))
    assert submit and create and edit
    assert [(f.option.name, f.required) for f in form_fields(submit, limits)] == [
        ("title", True),
        ("description", True),
        ("anonymous", False),
        ("accept_terms", False),
    ]
    assert [f.option.name for f in form_fields(create, limits)] == ["title", "brief", "terms"]
    assert [f.required for f in form_fields(edit, limits)] == [False, False]
    assert needs_form(submit, {}, limits)
    assert needs_form(submit, {"title": "x"}, limits), "the description is missing"
    assert not needs_form(submit, {"title": "x", "description": "y"}, limits)
    assert needs_form(create, {"title": "x"}, limits), "the brief comes from the form"
    assert not needs_form(edit, {"idea": "3", "title": "x"}, limits)
    assert form_title(edit, {"idea": "#3"}) == "Edit your idea · #3"
    assert len(form_title(create, {})) <= 45
    assert not needs_form(registry.find(("idea", "show")), {}, limits)  # type: ignore[arg-type]


def test_the_command_signature_ignores_what_discord_adds() -> None:
    ours = [
        {
            "name": "mod",
            "description": "Moderation",
            "type": 1,
            "default_member_permissions": 32,
            "contexts": [0],
            "nsfw": False,
            "options": [
                {"name": "note", "description": "why", "type": 3, "required": False},
            ],
        }
    ]
    theirs = [
        {
            **ours[0],
            "id": "1",
            "application_id": "2",
            "version": "3",
            "default_member_permissions": "32",
            "options": [{"name": "note", "description": "why", "type": 3}],
        }
    ]
    assert commands_signature(ours) == commands_signature(theirs)
    changed = [{**theirs[0], "description": "Moderators"}]
    assert commands_signature(ours) != commands_signature(changed)


def test_a_card_buttons_custom_id_names_the_guild_command_and_idea() -> None:
    edit = CardAction("Edit", ("idea", "edit"), 12, form=True)
    custom_id = render.action_custom_id(123456789012345678, edit)
    assert custom_id == "cocreate:act:123456789012345678:idea-edit:12:form"
    assert len(custom_id) <= 100
    assert render.parse_action_custom_id(custom_id) == (
        123456789012345678,
        ("idea", "edit"),
        12,
        True,
    )
    assert render.parse_action_custom_id("cocreate:act:1:idea-confirm:12") == (
        1,
        ("idea", "confirm"),
        12,
        False,
    )
    assert render.parse_action_custom_id("cocreate:act:x:idea-confirm:12") is None
