"""The Slack app manifest, built from the core's command specs (`cocreate slack manifest`)."""

from __future__ import annotations

from typing import Any

from adapters.slack.settings import slack_settings
from adapters.slack.translate import CAPTURE_CALLBACK, GROUPS
from bot.commands import registry
from bot.commands.spec import CommandSpec, OptionKind
from bot.settings import Settings

APP_NAME = "Cocreate"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
PLACEHOLDER_URL = "https://cocreate.example.com"

#: What the adapter calls, and why.
BOT_SCOPES = (
    "commands",  # the four slash commands
    "chat:write",  # idea posts, announcements, results, review posts, badge DMs
    "chat:write.public",  # post in a venue channel the bot was not invited to
    "channels:join",  # join a public venue, so that its reactions reach the bot
    "reactions:read",  # reaction_added / reaction_removed, and reactions.get
    "reactions:write",  # the bot adds the vote reaction to every idea post
    "users:read",  # names, and whether a member is a workspace admin or owner
    "usergroups:read",  # moderators given as user groups in slack.admins
    "files:write",  # charts and CSV files of brand reports and exports
    "im:write",  # exports, /mydata and notices go to the member's direct messages
    "channels:history",  # an idea thread's reply_count and reply_users (no reply is read)
    "groups:history",  # the same in a private venue
)
BOT_EVENTS = ("app_home_opened", "reaction_added", "reaction_removed")
#: With OAuth installs, bolt removes the stored installation on these.
OAUTH_EVENTS = ("app_uninstalled", "tokens_revoked")

_GROUP_DESCRIPTIONS = {
    "idea": "Ideas",
    "challenge": "Challenges",
    "mod": "Moderation",
    "cocreate": "Cocreate",
}
DESCRIPTION_MAX = 2000
USAGE_HINT_MAX = 1000


def _members(group: str) -> list[tuple[str, CommandSpec]]:
    """(subcommand, spec) reachable as `/group subcommand`, by path or alias."""
    found: list[tuple[str, CommandSpec]] = []
    for spec in registry.specs:
        for path in (spec.path, *spec.aliases):
            if len(path) >= 2 and path[0] == group:
                found.append((" ".join(path[1:]), spec))
    return found


def _short_usage(sub: str, spec: CommandSpec) -> str:
    words = [sub]
    for option in spec.options:
        if option.positional and option.required:
            words.append("<#n>" if option.kind is OptionKind.IDEA else f"<{option.name}>")
    return " ".join(words)


def slash_commands(url: str | None) -> list[dict[str, Any]]:
    commands = []
    for group in GROUPS:
        members = _members(group)
        subs = ", ".join(sub for sub, _ in members)
        for_mods = all(spec.moderator for _, spec in members)
        description = f"{_GROUP_DESCRIPTIONS[group]}: {subs}"
        if for_mods:
            description += " (moderators)"
        hint = " | ".join(_short_usage(sub, spec) for sub, spec in members)
        command: dict[str, Any] = {
            "command": f"/{group}",
            "description": description[:DESCRIPTION_MAX],
            "usage_hint": hint[:USAGE_HINT_MAX],
            "should_escape": True,
        }
        if url:
            command["url"] = url
        commands.append(command)
    return commands


def _oauth(settings: Settings) -> bool:
    slack = slack_settings(settings)
    return bool(slack.client_id and slack.client_secret)


def manifest(settings: Settings) -> dict[str, Any]:
    """An app manifest to paste into https://api.slack.com/apps (From a manifest, JSON)."""
    slack = slack_settings(settings)
    socket = slack.mode == "socket"
    base = (slack.public_url or PLACEHOLDER_URL).rstrip("/")
    events_url = None if socket else base + EVENTS_PATH
    events = list(BOT_EVENTS) + (list(OAUTH_EVENTS) if _oauth(settings) else [])
    subscriptions: dict[str, Any] = {"bot_events": events}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events_url:
        subscriptions["request_url"] = events_url
        interactivity["request_url"] = events_url
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if _oauth(settings) and not socket:
        oauth_config["redirect_urls"] = [base + REDIRECT_PATH]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": "Co-creation challenges: ideas, votes by reaction, results, badges.",
            "long_description": (
                "Cocreate runs co-creation challenges in your workspace. A brand asks a "
                "question, members submit ideas with /idea submit, everyone votes by reacting "
                "to the idea posts, and Cocreate posts the standings and the final results and "
                "awards badges for taking part. Moderators run challenges with /challenge and "
                "review ideas with /mod. /cocreate help lists every command."
            ),
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": slash_commands(events_url),
            "shortcuts": [
                {
                    "name": "Submit as idea",
                    "type": "message",
                    "callback_id": CAPTURE_CALLBACK,
                    "description": "Turn this message into an idea for its author",
                }
            ],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }
