"""Slack payloads as the core's neutral language. Pure functions, tested on recorded payloads."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from adapters.slack.emoji import canonical_emoji, reaction_emoji
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.messages import (
    Actor,
    CommunityRef,
    Invocation,
    OptionValue,
    ReactionAction,
    ReactionEvent,
)

PLATFORM = "slack"
#: The four slash commands; the other top-level commands are subcommands of /cocreate.
GROUPS = ("idea", "challenge", "mod", "cocreate")

_REACTIONS = {"reaction_added": ReactionAction.ADD, "reaction_removed": ReactionAction.REMOVE}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def unescape(text: str) -> str:
    """Slack escapes `&`, `<` and `>` in the text it sends; the core wants what was typed."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


#: Slack markup in the text of a slash command (the commands have `should_escape`, so a
#: typed @name, #channel or URL arrives as <@U1|name>, <#C1|name> or <https://…>).
_MARKUP = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")
_REFERENCE = re.compile(r"<([@#])([^<>|]+)(?:\|([^<>]*))?>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_TEXT_KINDS = (OptionKind.TEXT, OptionKind.LONG_TEXT)


def _readable(match: re.Match[str]) -> str:
    sigil, target, label = match.group(1), match.group(2), match.group(3)
    if sigil == "@":
        return f"@{label or target}"
    if sigil == "#":
        return f"#{label or target}"
    if sigil == "!":
        name = target.split("^", 1)[0]
        return _SPECIAL.get(name) or (label if label else f"@{name}")
    return f"{label} ({target})" if label and label != target else target


def readable(text: str) -> str:
    """Member and channel references in free text as the person typed them: `<@U1|ana>`
    is `@ana`, `<#C1|general>` is `#general`. (The core neutralises any mention when it
    displays the text.)"""
    return _REFERENCE.sub(_readable, text)


def command_text(raw: str) -> str:
    """A slash command's text, unescaped. Slack markup other than member and channel
    references (which the core's member and channel options read) becomes readable first,
    while a `<` the person typed is still `&lt;` and cannot be taken for markup."""
    return unescape(
        _MARKUP.sub(lambda m: m.group(0) if m.group(1) in ("@", "#") else _readable(m), raw)
    )


def community(team_id: str, name: str = "") -> CommunityRef:
    return CommunityRef(PLATFORM, team_id, name)


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace of any payload: slash command, event callback or interaction."""
    team = body.get("team_id") or body.get("user_team_id")
    if not team and isinstance(body.get("team"), Mapping):
        team = body["team"].get("id")
    if not team and isinstance(body.get("user"), Mapping):
        team = body["user"].get("team_id")
    if not team and isinstance(body.get("view"), Mapping):
        team = body["view"].get("team_id")
    return str(team or "")


@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    team_name: str
    channel_id: str
    user_id: str
    user_name: str
    group: str
    text: str
    response_url: str
    trigger_id: str

    @property
    def line(self) -> str:
        """The command in the core's text grammar: `/idea submit …` → `idea submit …`."""
        if not self.text.strip() and self.group == "cocreate":
            return "cocreate help"
        return f"{self.group} {self.text}".strip()

    @property
    def community(self) -> CommunityRef:
        return community(self.team_id, self.team_name)


def slash_command(body: Mapping[str, Any]) -> SlashCommand:
    """A slash command payload (form fields, as bolt parses them)."""
    return SlashCommand(
        team_id=str(body.get("team_id", "")),
        team_name=str(body.get("team_domain", "")),
        channel_id=str(body.get("channel_id", "")),
        user_id=str(body.get("user_id", "")),
        user_name=str(body.get("user_name", "")),
        group=str(body.get("command", "")).lstrip("/").strip().lower(),
        text=command_text(str(body.get("text", ""))),
        response_url=str(body.get("response_url", "")),
        trigger_id=str(body.get("trigger_id", "")),
    )


def slack_time(ts: str | float | int | None) -> datetime | None:
    """A Slack timestamp (`"1700000000.000100"`) as an aware UTC datetime."""
    if ts is None or ts == "":
        return None
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class ReactionRef:
    """What a reaction event names, before the reactor is looked up."""

    team_id: str
    channel_id: str
    message_ts: str
    user_id: str
    action: ReactionAction
    emoji: str
    at: datetime | None
    event_id: str | None


def reaction_ref(body: Mapping[str, Any]) -> ReactionRef | None:
    """A `reaction_added` / `reaction_removed` event callback, or None when the reaction
    is not on a message (files and file comments have no idea posts)."""
    event = body.get("event") or {}
    action = _REACTIONS.get(str(event.get("type", "")))
    item = event.get("item") or {}
    if action is None or item.get("type") != "message":
        return None
    channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
    if not channel or not ts or not user:
        return None
    return ReactionRef(
        team_id=team_of(body),
        channel_id=str(channel),
        message_ts=str(ts),
        user_id=str(user),
        action=action,
        emoji=reaction_emoji(str(event.get("reaction", ""))),
        at=slack_time(event.get("event_ts")) or slack_time(body.get("event_time")),
        event_id=str(body["event_id"]) if body.get("event_id") else None,
    )


def reaction_event(ref: ReactionRef, actor: Actor, received_at: datetime) -> ReactionEvent:
    return ReactionEvent(
        community=community(ref.team_id),
        channel_id=ref.channel_id,
        message_id=ref.message_ts,
        action=ref.action,
        at=ref.at or received_at,
        member=actor,
        emoji=ref.emoji,
        event_id=ref.event_id,
    )


def slack_invocation(inv: Invocation, spec: CommandSpec | None = None) -> Invocation:
    """Slack-specific input made neutral: an `emoji` typed as `:+1:` is the emoji 👍, and
    free text loses Slack's markup; ids stay where the command wants a member or channel."""
    options = dict(inv.options)
    positionals = inv.positionals
    if isinstance(options.get("emoji"), str):
        options["emoji"] = canonical_emoji(str(options["emoji"]))
    if spec is not None:
        for name, value in options.items():
            option = spec.option(name)
            if option is not None and option.kind in _TEXT_KINDS and isinstance(value, str):
                options[name] = readable(value)
        wants_ids = any(
            o.positional and o.kind in (OptionKind.MEMBER, OptionKind.CHANNEL) for o in spec.options
        )
        if not wants_ids:
            positionals = tuple(readable(p) for p in positionals)
    return replace(inv, options=options, positionals=positionals)


# -- forms ---------------------------------------------------------------------------------


def block_id(option: Option) -> str:
    return f"opt:{option.name}"


def covered_options(spec: CommandSpec, positionals: Sequence[str]) -> list[Option]:
    """The positional options that words typed after the command already fill (the core's
    binder gives any extra words to the last one)."""
    slots = [o for o in spec.options if o.positional]
    return slots[: min(len(positionals), len(slots))]


def form_options(spec: CommandSpec, positionals: Sequence[str]) -> list[Option]:
    """The options a form asks for: every option the typed words did not fill."""
    covered = {o.name for o in covered_options(spec, positionals)}
    return [o for o in spec.options if o.name not in covered]


def submitted_value(option: Option, element: Mapping[str, Any]) -> OptionValue | None:
    """One input's value from `view.state.values`, or None when left empty."""
    kind = element.get("type")
    value: OptionValue | None
    if kind == "checkboxes":
        return True if element.get("selected_options") else None
    if kind == "static_select":
        chosen = element.get("selected_option") or {}
        value = chosen.get("value")
    elif kind == "conversations_select":
        value = element.get("selected_conversation")
    elif kind == "multi_conversations_select":
        value = ",".join(element.get("selected_conversations") or []) or None
    elif kind == "users_select":
        value = element.get("selected_user")
    else:
        value = element.get("value")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if option.kind is OptionKind.EMOJI and isinstance(value, str):
        return canonical_emoji(value)
    return value


def submitted_options(
    options: Sequence[Option], values: Mapping[str, Mapping[str, Any]]
) -> dict[str, OptionValue]:
    """The named option values of a form submission (empty inputs left out)."""
    out: dict[str, OptionValue] = {}
    for option in options:
        element = (values.get(block_id(option)) or {}).get("value")
        if element is None:
            continue
        value = submitted_value(option, element)
        if value is not None:
            out[option.name] = value
    return out


def error_field(message: str, options: Sequence[Option]) -> Option | None:
    """The form field an error message is about (`title`: …, The title is …), if any."""
    lowered = message.casefold()
    for option in options:
        name = option.name.casefold()
        if f"`{name}`" in lowered or f"`{name}:" in lowered:
            return option
    for option in options:
        words = option.name.replace("_", " ").casefold()
        if re.search(rf"\bthe {re.escape(words)}\b", lowered):
            return option
    return None
