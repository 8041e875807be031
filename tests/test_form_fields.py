"""Which fields a command's form requires: one rule, for Discord's modals and Slack's views."""

from __future__ import annotations

from bot.commands import registry
from bot.commands.spec import CommandSpec


def _required(path: tuple[str, ...]) -> set[str]:
    spec = registry.find(path)
    assert isinstance(spec, CommandSpec)
    return {o.name for o in spec.options if spec.form_requires(o)}


def test_a_new_idea_needs_its_title_and_description() -> None:
    assert _required(("idea", "submit")) == {"title", "description"}


def test_an_edit_keeps_what_is_left_blank() -> None:
    assert _required(("idea", "edit")) == {"idea"}


def test_a_challenge_needs_its_title_and_brief_and_no_yes_no_is_ever_required() -> None:
    assert _required(("challenge", "create")) == {"title", "brief"}
