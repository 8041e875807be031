"""Slack payloads as the core's neutral language. Pure functions, tested on recorded payloads."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from adapters.slack.emoji import canonical_emoji, reaction_emoji
from bot.commands.spec import TEXT_KINDS, CommandSpec, Option, OptionKind
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
#: The message shortcut "Submit as idea" (in the app manifest).
CAPTURE_CALLBACK = "cocreate_capture"

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


# Payloads come from outside: a field of another type than Slack sends counts as absent.


def text(body: Mapping[str, Any], key: str) -> str:
    """A string field, or "" when it is missing or not a string."""
    value = body.get(key)
    return value if isinstance(value, str) else ""


def obj(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An object field, or {} when it is missing or not an object."""
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace of any payload: slash command, event callback or interaction."""
    return (
        text(body, "team_id")
        or text(body, "user_team_id")
        or text(obj(body, "team"), "id")
        or text(obj(body, "user"), "team_id")
        or text(obj(body, "view"), "team_id")
    )


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
        team_id=text(body, "team_id"),
        team_name=text(body, "team_domain"),
        channel_id=text(body, "channel_id"),
        user_id=text(body, "user_id"),
        user_name=text(body, "user_name"),
        group=text(body, "command").lstrip("/").strip().lower(),
        text=command_text(text(body, "text")),
        response_url=text(body, "response_url"),
        trigger_id=text(body, "trigger_id"),
    )


def slack_time(ts: object) -> datetime | None:
    """A Slack timestamp (`"1700000000.000100"`) as an aware UTC datetime."""
    if not isinstance(ts, str | int | float) or isinstance(ts, bool) or ts == "":
        return None
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
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
    event = obj(body, "event")
    action = _REACTIONS.get(text(event, "type"))
    item = obj(event, "item")
    if action is None or item.get("type") != "message":
        return None
    channel, ts, user = text(item, "channel"), text(item, "ts"), text(event, "user")
    if not channel or not ts or not user:
        return None
    return ReactionRef(
        team_id=team_of(body),
        channel_id=channel,
        message_ts=ts,
        user_id=user,
        action=action,
        emoji=reaction_emoji(text(event, "reaction")),
        at=slack_time(event.get("event_ts")) or slack_time(body.get("event_time")),
        event_id=text(body, "event_id") or None,
    )


def reaction_event(ref: ReactionRef, actor: Actor, received_at: datetime) -> ReactionEvent:
    """`received_at`: when the request reached us, by our clock."""
    return ReactionEvent(
        community=community(ref.team_id),
        channel_id=ref.channel_id,
        message_id=ref.message_ts,
        action=ref.action,
        at=ref.at or received_at,
        member=actor,
        emoji=ref.emoji,
        event_id=ref.event_id,
        received_at=received_at,
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
            if option is not None and option.kind in TEXT_KINDS and isinstance(value, str):
                options[name] = readable(value)
        wants_ids = any(
            o.positional and o.kind in (OptionKind.MEMBER, OptionKind.CHANNEL) for o in spec.options
        )
        if not wants_ids:
            positionals = tuple(readable(p) for p in positionals)
    return replace(inv, options=options, positionals=positionals)


# -- forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormMetadata:
    """What a form's `private_metadata` carries from views.open to its submission."""

    command: tuple[str, ...]
    channel_id: str
    positionals: tuple[str, ...]
    #: options fixed when the form opened (a captured message's author and link)
    given: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cmd": list(self.command),
            "ch": self.channel_id,
            "pos": list(self.positionals),
        }
        if self.given:
            out["opt"] = dict(self.given)
        return out


def form_metadata(raw: object) -> FormMetadata:
    """A form's metadata (JSON of `FormMetadata.as_dict`); empty when it is not that."""
    try:
        found = json.loads(raw) if isinstance(raw, str) and raw else {}
    except (ValueError, RecursionError):
        found = {}
    if not isinstance(found, Mapping):
        found = {}

    def words(key: str) -> tuple[str, ...]:
        value = found.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    given = found.get("opt")
    fixed = (
        {k: v for k, v in given.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(given, Mapping)
        else {}
    )
    return FormMetadata(words("cmd"), text(found, "ch"), words("pos"), fixed)


def message_text(raw: str) -> str:
    """A message's text as the person wrote it: references readable, entities unescaped."""
    return unescape(_MARKUP.sub(_readable, raw))


def message_link(channel_id: str, ts: str) -> str:
    """A link to a message (Slack opens it in the workspace of whoever follows it)."""
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


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
    value: object
    if kind == "checkboxes":
        return True if element.get("selected_options") else None
    if kind == "static_select":
        value = obj(element, "selected_option").get("value")
    elif kind == "conversations_select":
        value = element.get("selected_conversation")
    elif kind == "multi_conversations_select":
        chosen = element.get("selected_conversations")
        picked = [c for c in chosen if isinstance(c, str)] if isinstance(chosen, list) else []
        value = ",".join(picked)
    elif kind == "users_select":
        value = element.get("selected_user")
    else:
        value = element.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    if option.kind is OptionKind.EMOJI:
        return canonical_emoji(value)
    return value


def submitted_options(
    options: Sequence[Option], values: Mapping[str, Mapping[str, Any]]
) -> dict[str, OptionValue]:
    """The named option values of a form submission (empty inputs left out)."""
    out: dict[str, OptionValue] = {}
    for option in options:
        element = obj(obj(values, block_id(option)), "value")
        if not element:
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
