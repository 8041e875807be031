"""Slack payloads as Slack sends them (fields and shapes recorded from real deliveries),
and request signing."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

APP_ID = "A0COCREATE"


def trigger_id() -> str:
    """A fresh trigger_id: Slack makes one per command, click or submission, and a
    repeated one is a replay (in any run on the same database)."""
    return f"13345224609.738474920.{uuid.uuid4().hex}"


def sign(secret: str, body: str, timestamp: int) -> dict[str, str]:
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def slash_command(
    command: str,
    text: str,
    *,
    team: str = "T1",
    user: str = "U_ANA",
    user_name: str = "ana",
    channel: str = "C_IDEAS",
    response_url: str = "",
    trigger: str | None = None,
) -> dict[str, str]:
    """The form fields of a slash command (Slack escapes &, < and > in the text)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "ideas",
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": escaped,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger or trigger_id(),
    }


def form_body(fields: dict[str, str]) -> str:
    return urlencode(fields)


def event_callback(
    event: dict[str, Any], *, team: str = "T1", event_id: str = "Ev01", at: datetime
) -> dict[str, Any]:
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(at.timestamp()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6InJlYWN0aW9uX2FkZGVkIn0",
    }


def reaction(
    name: str,
    *,
    user: str,
    channel: str,
    ts: str,
    at: datetime,
    added: bool = True,
    team: str = "T1",
    event_id: str = "Ev01",
    item_user: str = "UBOT",
) -> dict[str, Any]:
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{at.timestamp():.6f}",
    }
    return event_callback(event, team=team, event_id=event_id, at=at)


def app_home_opened(user: str, *, team: str = "T1", at: datetime) -> dict[str, Any]:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{at.timestamp():.6f}",
    }
    return event_callback(event, team=team, event_id="EvHome", at=at)


def block_action(
    action_id: str,
    value: str,
    *,
    user: str,
    team: str = "T1",
    channel: str,
    message: dict[str, Any],
    response_url: str,
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
        "trigger_id": trigger_id(),
        "team": {"id": team, "domain": team.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "moderators"},
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"review:{value}",
                "text": {"type": "plain_text", "text": "Approve", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1700000100.000000",
            }
        ],
    }


def message_action(
    callback_id: str,
    *,
    user: str,
    channel: str,
    message: dict[str, Any],
    response_url: str,
    team: str = "T1",
) -> dict[str, Any]:
    """A message shortcut (`message_action`) run on `message` by `user`."""
    return {
        "type": "message_action",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "action_ts": "1700000200.000000",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }


def view_submission(
    view: dict[str, Any], values: dict[str, Any], *, user: str, team: str = "T1"
) -> dict[str, Any]:
    """`values`: option name -> text, bool (checkbox), or list (multi select)."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        name = block["block_id"].split(":", 1)[1]
        element = block["element"]
        kind = element["type"]
        given = values.get(name)
        if kind == "checkboxes":
            chosen = element["options"] if given else []
            state[block["block_id"]] = {"value": {"type": kind, "selected_options": chosen}}
        elif kind == "multi_conversations_select":
            state[block["block_id"]] = {
                "value": {"type": kind, "selected_conversations": given or []}
            }
        elif kind == "conversations_select":
            state[block["block_id"]] = {"value": {"type": kind, "selected_conversation": given}}
        elif kind == "static_select":
            chosen = {"value": given} if given else None
            state[block["block_id"]] = {"value": {"type": kind, "selected_option": chosen}}
        elif kind == "users_select":
            state[block["block_id"]] = {"value": {"type": kind, "selected_user": given}}
        else:
            state[block["block_id"]] = {"value": {"type": kind, "value": given}}
    submitted = {
        **view,
        "state": {"values": state},
        "hash": "156772938.1827394",
        "app_id": APP_ID,
        "bot_id": "BUBOT",
    }
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})
