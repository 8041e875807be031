"""The types that bolt and our listeners take for granted in a Slack payload, checked
before dispatch.

Bolt indexes payloads without looking (`body["event"].get(…)`, `body["actions"][0]`,
`"id" in body["team"]`), so a field of the wrong type raised inside it: a 500 and a
traceback. Only the fields read somewhere are described here; any other may hold anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Obj:
    """A JSON object: the listed fields, when present, have these shapes."""

    fields: Mapping[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListOf:
    item: Shape
    nonempty: bool = False


@dataclass(frozen=True)
class MapOf:
    """A JSON object keyed by ids (`view.state.values`): every value has this shape."""

    value: Shape


#: a JSON type, a structure, or a tuple of alternatives
Shape = type | Obj | ListOf | MapOf | tuple["Shape", ...]

NONE = type(None)
MAYBE_TEXT = (str, NONE)
NUMBER = (int, float)

TEAM = (NONE, str, Obj({"id": str, "domain": str, "enterprise_id": MAYBE_TEXT}, ("id",)))
ENTERPRISE = (NONE, str, Obj({"id": MAYBE_TEXT, "name": MAYBE_TEXT}))
USER = (str, Obj({"id": str, "name": str, "username": str, "team_id": str}, ("id",)))
CHANNEL = (str, Obj({"id": str, "name": str}, ("id",)))
ITEM = Obj({"type": str, "channel": str, "ts": str}, ("type",))
MESSAGE = Obj(
    {"ts": str, "thread_ts": MAYBE_TEXT, "subtype": MAYBE_TEXT, "text": str, "blocks": ListOf(dict)}
)
EVENT = Obj(
    {
        "type": str,
        "subtype": MAYBE_TEXT,
        "user": USER,
        "user_team": MAYBE_TEXT,
        "team": MAYBE_TEXT,
        "reaction": str,
        "item": ITEM,
        "item_user": MAYBE_TEXT,
        "event_ts": str,
        "tab": str,
        "channel": CHANNEL,
        "channel_type": str,
        "bot_id": MAYBE_TEXT,
        "thread_ts": MAYBE_TEXT,
        "text": str,
        "message": MESSAGE,
        "previous_message": MESSAGE,
        "tokens": Obj({"oauth": ListOf(str), "bot": ListOf(str)}),
    },
    ("type",),
)
AUTHORIZATION = Obj(
    {
        "enterprise_id": MAYBE_TEXT,
        "team_id": MAYBE_TEXT,
        "user_id": MAYBE_TEXT,
        "is_bot": bool,
        "is_enterprise_install": bool,
    }
)
ELEMENT = Obj(
    {
        "type": str,
        "value": MAYBE_TEXT,
        "selected_option": (NONE, Obj({"value": str})),
        "selected_options": ListOf(Obj({"value": str})),
        "selected_conversation": MAYBE_TEXT,
        "selected_conversations": ListOf(str),
        "selected_user": MAYBE_TEXT,
    }
)
VIEW = Obj(
    {
        "id": str,
        "type": str,
        "callback_id": str,
        "team_id": MAYBE_TEXT,
        "app_installed_team_id": MAYBE_TEXT,
        "private_metadata": str,
        "state": Obj({"values": MapOf(MapOf(ELEMENT))}),
        "blocks": ListOf(dict),
    }
)
ACTION = Obj(
    {"action_id": str, "block_id": str, "value": str, "type": str, "action_ts": str},
    ("action_id",),
)
#: Every kind of payload we receive: slash commands (form fields), event callbacks,
#: block actions, view submissions, url_verification and ssl_check.
PAYLOAD = Obj(
    {
        "type": str,
        "token": str,
        "api_app_id": str,
        "team_id": MAYBE_TEXT,
        "team_domain": str,
        "team": TEAM,
        "enterprise_id": MAYBE_TEXT,
        "enterprise": ENTERPRISE,
        "context_team_id": MAYBE_TEXT,
        "context_enterprise_id": MAYBE_TEXT,
        "is_enterprise_install": (bool, str),
        "is_ext_shared_channel": bool,
        "user_id": str,
        "user_name": str,
        "user": USER,
        "channel_id": str,
        "channel_name": str,
        "channel": CHANNEL,
        "command": str,
        "text": str,
        "callback_id": str,
        "trigger_id": str,
        "thread_ts": MAYBE_TEXT,
        "response_url": str,
        "response_urls": ListOf(Obj({"response_url": str})),
        "event": EVENT,
        "event_id": str,
        "event_time": NUMBER,
        "authorizations": ListOf(AUTHORIZATION),
        "view": VIEW,
        "actions": ListOf(ACTION, nonempty=True),
        "message": MESSAGE,
        "challenge": str,
    }
)


def mismatch(value: Any, shape: Shape = PAYLOAD, path: str = "body") -> str | None:
    """What in `value` does not have the expected shape (`body.event is a string`), or
    None when it all fits."""
    if isinstance(shape, tuple):
        misfits = [mismatch(value, option, path) for option in shape]
        if None in misfits:
            return None
        # An object or a list that is wrong inside: say where.
        inside = [m for option, m in zip(shape, misfits, strict=True) if _container(option, value)]
        return inside[0] if inside else f"{path} is {_kind(value)}"
    if isinstance(shape, type):
        fits = isinstance(value, shape) and not (shape is not bool and isinstance(value, bool))
        return None if fits else f"{path} is {_kind(value)}, not {_name(shape)}"
    if isinstance(shape, Obj):
        if not isinstance(value, dict):
            return f"{path} is {_kind(value)}, not an object"
        for key in shape.required:
            if key not in value:
                return f"{path}.{key} is missing"
        for key, inner in shape.fields.items():
            if key in value and (found := mismatch(value[key], inner, f"{path}.{key}")):
                return found
        return None
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return f"{path} is {_kind(value)}, not a list"
        if shape.nonempty and not value:
            return f"{path} is empty"
        for i, item in enumerate(value):
            if found := mismatch(item, shape.item, f"{path}[{i}]"):
                return found
        return None
    if not isinstance(value, dict):
        return f"{path} is {_kind(value)}, not an object"
    for item in value.values():
        if found := mismatch(item, shape.value, f"{path}.*"):
            return found
    return None


def _container(shape: Shape, value: Any) -> bool:
    """Whether `shape` is the structure `value` is of (an object, a list)."""
    if isinstance(value, dict):
        return isinstance(shape, Obj | MapOf)
    return isinstance(value, list) and isinstance(shape, ListOf)


_KINDS = {
    NONE: "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _name(shape: type) -> str:
    return _KINDS.get(shape, shape.__name__)
