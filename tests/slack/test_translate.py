"""Payloads to neutral events: pure functions on recorded payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.slack import translate
from adapters.slack.emoji import canonical_emoji, reaction_emoji, reaction_name, same_emoji
from bot.commands import registry
from bot.core import parse_invocation
from bot.messages import Actor, ReactionAction
from tests.slack import payloads

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "emoji"),
    [
        ("+1", "👍"),
        ("thumbsup", "👍"),
        ("+1::skin-tone-2", "👍🏻"),  # the tone is kept: each is a reaction of its own
        ("thumbsup::skin-tone-6", "👍🏿"),
        ("heart", "❤️"),
        ("tada", "🎉"),
        ("partyparrot", ":partyparrot:"),
        (":partyparrot:", ":partyparrot:"),
        ("Custom-Emoji_2", ":Custom-Emoji_2:"),
    ],
)
def test_reaction_names_become_the_emoji_the_core_compares(name: str, emoji: str) -> None:
    assert reaction_emoji(name) == emoji


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (":+1:", "👍"),
        (":thumbsup:", "👍"),
        (":+1::skin-tone-3:", "👍"),
        ("👍", "👍"),
        ("thumbsup", "👍"),
        (":partyparrot:", ":partyparrot:"),
        ("partyparrot", ":partyparrot:"),
        ("🦄", "🦄"),
    ],
)
def test_an_emoji_typed_in_slack_is_stored_as_the_core_compares_it(typed: str, stored: str) -> None:
    assert canonical_emoji(typed) == stored


def test_vote_emoji_and_reaction_names_meet_both_ways() -> None:
    assert reaction_name("👍") == "+1"
    assert reaction_name("👍🏽") == "+1"
    assert reaction_name("❤️") == reaction_name("❤") == "heart"
    assert reaction_name(":partyparrot:") == "partyparrot"
    assert reaction_name("🫠🫠") is None
    assert same_emoji("+1::skin-tone-4", "👍")
    assert same_emoji("thumbsup", ":+1:")
    assert same_emoji("partyparrot", ":partyparrot:")
    assert not same_emoji("heart", "👍")


def test_a_slash_command_keeps_what_was_typed() -> None:
    body = payloads.slash_command(
        "/idea", 'submit title:"Fish & chips" description:"a <b> c"', user="U_ANA"
    )
    assert "&amp;" in body["text"] and "&lt;b&gt;" in body["text"]
    command = translate.slash_command(body)
    assert command.group == "idea"
    assert command.line == 'idea submit title:"Fish & chips" description:"a <b> c"'
    inv = parse_invocation(command.line, command.community, command.channel_id, Actor("U", "u"))
    assert inv.command == ("idea", "submit")
    assert inv.options == {"title": "Fish & chips", "description": "a <b> c"}
    assert inv.community.platform == "slack" and inv.community.external_id == "T1"


def test_a_bare_cocreate_is_help_and_aliases_reach_the_top_level_commands() -> None:
    assert translate.slash_command(payloads.slash_command("/cocreate", "")).line == "cocreate help"
    inv = parse_invocation("cocreate results", translate.community("T1"), "C1", Actor("U", "u"))
    assert registry.find(inv.command) is registry.find(("results",))


def test_an_emoji_option_typed_as_a_slack_name_is_the_emoji() -> None:
    inv = parse_invocation(
        'challenge create title:"x" brief:"y" emoji::+1::skin-tone-2:',
        translate.community("T1"),
        "C1",
        Actor("U", "u"),
    )
    assert translate.slack_invocation(inv).options["emoji"] == "👍"


def test_a_reaction_event_becomes_a_reaction_event_of_the_core() -> None:
    body = payloads.reaction(
        "+1::skin-tone-2",
        user="U_BEN",
        channel="C_IDEAS",
        ts="1700000000.000001",
        at=AT,
        added=False,
        event_id="Ev42",
    )
    ref = translate.reaction_ref(body)
    assert ref is not None
    event = translate.reaction_event(ref, Actor("U_BEN", "Ben"), datetime.now(UTC))
    assert event.community == translate.community("T1")
    assert (event.channel_id, event.message_id) == ("C_IDEAS", "1700000000.000001")
    assert event.action is ReactionAction.REMOVE
    assert event.emoji == "👍🏻"
    assert event.event_id == "Ev42"
    assert event.at == AT
    assert event.member == Actor("U_BEN", "Ben")


def test_reactions_to_files_and_unknown_events_are_not_reactions() -> None:
    body = payloads.reaction("+1", user="U", channel="C", ts="1.0", at=AT)
    body["event"]["item"] = {"type": "file", "file": "F1"}
    assert translate.reaction_ref(body) is None
    body["event"] = {"type": "member_joined_channel", "user": "U"}
    assert translate.reaction_ref(body) is None


def test_the_team_of_every_payload_shape() -> None:
    assert translate.team_of(payloads.slash_command("/idea", "")) == "T1"
    assert translate.team_of(payloads.reaction("+1", user="U", channel="C", ts="1", at=AT)) == "T1"
    view = {"blocks": [], "private_metadata": ""}
    assert translate.team_of(payloads.view_submission(view, {}, user="U", team="T7")) == "T7"
    assert translate.team_of({"user": {"id": "U", "team_id": "T8"}}) == "T8"


def test_form_fields_are_what_the_typed_words_left_open() -> None:
    submit = registry.find(("idea", "submit"))
    edit = registry.find(("idea", "edit"))
    assert submit is not None and edit is not None
    names = [o.name for o in translate.form_options(submit, ())]
    assert names == ["challenge", "title", "description", "anonymous", "accept_terms"]
    names = [o.name for o in translate.form_options(submit, ("flavour", "two"))]
    assert names == ["title", "description", "anonymous", "accept_terms"]
    assert [o.name for o in translate.form_options(edit, ("#3",))] == ["title", "description"]


def test_submitted_values_by_input_type() -> None:
    spec = registry.find(("challenge", "create"))
    assert spec is not None
    options = {o.name: o for o in spec.options}
    values = {
        "opt:title": {"value": {"type": "plain_text_input", "value": "  "}},
        "opt:brief": {"value": {"type": "plain_text_input", "value": "Why?"}},
        "opt:venue": {
            "value": {"type": "multi_conversations_select", "selected_conversations": ["C1", "C2"]}
        },
        "opt:report_venue": {
            "value": {"type": "conversations_select", "selected_conversation": "C9"}
        },
        "opt:review": {"value": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
        "opt:sealed": {"value": {"type": "checkboxes", "selected_options": []}},
        "opt:ideas_per_member": {"value": {"type": "number_input", "value": "5"}},
        "opt:emoji": {"value": {"type": "plain_text_input", "value": ":tada:"}},
    }
    got = translate.submitted_options(list(options.values()), values)
    assert got == {
        "brief": "Why?",
        "venue": "C1,C2",
        "report_venue": "C9",
        "review": True,
        "ideas_per_member": "5",
        "emoji": "🎉",
    }


def test_an_error_message_names_its_field() -> None:
    spec = registry.find(("idea", "submit"))
    assert spec is not None
    fields = list(spec.options)
    assert translate.error_field("`title`: too long", fields) is spec.option("title")
    assert translate.error_field("The description is empty.", fields) is spec.option("description")
    assert translate.error_field("Add `accept_terms:yes` to accept", fields) is spec.option(
        "accept_terms"
    )
    assert translate.error_field("Challenge 'x' is closed.", fields) is None


def test_slack_markup_in_command_text_becomes_what_was_typed() -> None:
    # What Slack sends when a member types: @ana, #general, @here, a link, and "<b> & co".
    raw = (
        'submit title:"Hi <@U1|ana> &lt;b&gt; &amp; co" '
        'description:"<!here> see <https://x.io|docs> in <#C1|general>"'
    )
    body = {**payloads.slash_command("/idea", ""), "text": raw}
    command = translate.slash_command(body)
    inv = parse_invocation(command.line, command.community, command.channel_id, Actor("U", "u"))
    inv = translate.slack_invocation(inv, registry.find(inv.command))
    assert inv.options == {
        "title": "Hi @ana <b> & co",
        "description": "@here see docs (https://x.io) in #general",
    }


def test_member_and_channel_options_keep_their_ids() -> None:
    body = {**payloads.slash_command("/mod", ""), "text": "block <@U1|ana>"}
    command = translate.slash_command(body)
    inv = parse_invocation(command.line, command.community, command.channel_id, Actor("U", "u"))
    assert translate.slack_invocation(inv, registry.find(inv.command)).positionals == ("<@U1|ana>",)
    body = {
        **payloads.slash_command("/challenge", ""),
        "text": 'create title:"x" venue:<#C9|ideas>',
    }
    command = translate.slash_command(body)
    inv = parse_invocation(command.line, command.community, command.channel_id, Actor("U", "u"))
    assert translate.slack_invocation(inv, registry.find(inv.command)).options["venue"] == (
        "<#C9|ideas>"
    )


def test_fields_of_the_wrong_type_count_as_absent() -> None:
    def reaction(**event: object) -> dict[str, object]:
        body = payloads.reaction("+1", user="U_BEN", channel="C", ts="1.0", at=AT)
        return {**body, "event": {**body["event"], **event}}

    assert translate.reaction_ref({**reaction(), "event": "x"}) is None
    assert translate.reaction_ref(reaction(user={})) is None
    assert (
        translate.reaction_ref(reaction(item={"type": "message", "channel": 5, "ts": 1.5})) is None
    )
    assert translate.reaction_ref(reaction(item="x")) is None
    ref = translate.reaction_ref({**reaction(reaction=7, event_ts=[]), "event_id": 5})
    assert ref is not None and ref.event_id is None and ref.at == AT
    assert translate.team_of({"team": 5, "user": "U", "view": [], "team_id": 9}) == ""
    command = translate.slash_command({"team_id": "T1", "command": ["/idea"], "text": 5})
    assert (command.group, command.text, command.line) == ("", "", "")
    assert translate.slack_time(True) is None and translate.slack_time({}) is None
    assert translate.slack_time("nan") is None


def test_form_metadata_that_is_not_ours_is_empty() -> None:
    empty = translate.FormMetadata((), "", ())
    for raw in (None, 5, "", "not json", "[1]", "[" * 5000 + "]" * 5000):
        assert translate.form_metadata(raw) == empty
    odd = translate.form_metadata('{"cmd": "idea", "ch": 5, "pos": [1, "#2"]}')
    assert odd == translate.FormMetadata((), "", ("#2",))
    ours = translate.FormMetadata(("idea", "edit"), "C1", ("#3",))
    assert translate.form_metadata(json.dumps(ours.as_dict())) == ours


def test_submitted_values_of_the_wrong_type_are_left_out() -> None:
    spec = registry.find(("challenge", "create"))
    assert spec is not None
    values = {
        "opt:title": "x",
        "opt:brief": {"value": {"type": "plain_text_input", "value": 5}},
        "opt:venue": {
            "value": {"type": "multi_conversations_select", "selected_conversations": "C"}
        },
        "opt:report_venue": {"value": {"type": "static_select", "selected_option": "C9"}},
        "opt:review": {"value": []},
    }
    assert translate.submitted_options(list(spec.options), values) == {}
