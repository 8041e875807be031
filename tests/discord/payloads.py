"""Complete Discord payloads, shaped like the ones the real API and gateway send.

discord.py indexes many fields directly, so a payload missing one raises inside the
library (see the testing notes); every factory here fills all of them. The fake server
and the pure translation tests share these shapes.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

Json = dict[str, Any]

#: Permission bits used in tests.
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 6) | (1 << 16) | (1 << 31)  # view, send, …


def snowflake(at: datetime | None = None) -> int:
    """A fresh snowflake whose timestamp is `at` (now by default)."""
    when = at or datetime.now(UTC)
    ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False, global_name: str | None = None) -> Json:
    return {
        "id": str(user_id),
        "username": name.lower().replace(" ", "_"),
        "global_name": global_name if global_name is not None else name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def member(
    user_payload: Json,
    *,
    roles: list[int] | None = None,
    joined_at: datetime | None = None,
    nick: str | None = None,
    permissions: int | None = None,
) -> Json:
    data: Json = {
        "user": user_payload,
        "roles": [str(r) for r in roles or []],
        "joined_at": iso(joined_at or datetime(2024, 1, 1, tzinfo=UTC)),
        "nick": nick,
        "avatar": None,
        "banner": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "premium_since": None,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(role_id: int, name: str, *, permissions: int = 0, position: int = 1) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, *, position: int = 0) -> Json:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    channels: list[Json],
    roles: list[Json],
    members: list[Json] | None = None,
) -> Json:
    """A full GUILD_CREATE payload."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": iso(datetime(2024, 1, 1, tzinfo=UTC)),
        "large": False,
        "unavailable": False,
        "member_count": len(members or []),
        "voice_states": [],
        "members": members or [],
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def embed_from_dict(data: Json) -> Json:
    return dict(data)


def message(
    message_id: int,
    channel_id: int,
    author: Json,
    *,
    guild_id: int | None = None,
    content: str = "",
    embeds: list[Json] | None = None,
    components: list[Json] | None = None,
    flags: int = 0,
    nonce: str | None = None,
    timestamp: datetime | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
) -> Json:
    data: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(timestamp or datetime.now(UTC)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": embeds or [],
        "reactions": [],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if nonce is not None:
        data["nonce"] = nonce
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    return data


def partial_emoji(emoji: str) -> Json:
    """`👍` or `<:name:id>` / `<a:name:id>` as the gateway's emoji object."""
    if emoji.startswith("<") and emoji.endswith(">"):
        animated, name, emoji_id = emoji[1:-1].split(":")
        return {"id": emoji_id, "name": name, "animated": animated == "a"}
    return {"id": None, "name": emoji}


def reaction_add(
    *,
    guild_id: int,
    channel_id: int,
    message_id: int,
    member_payload: Json,
    emoji: str,
    message_author_id: int | None = None,
) -> Json:
    data: Json = {
        "type": 0,
        "user_id": member_payload["user"]["id"],
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "guild_id": str(guild_id),
        "member": member_payload,
        "emoji": partial_emoji(emoji),
        "burst": False,
        "burst_colors": [],
    }
    if message_author_id is not None:
        data["message_author_id"] = str(message_author_id)
    return data


def reaction_remove(
    *, guild_id: int, channel_id: int, message_id: int, user_id: int, emoji: str
) -> Json:
    return {
        "type": 0,
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "guild_id": str(guild_id),
        "emoji": partial_emoji(emoji),
        "burst": False,
    }


def reaction_remove_all(*, guild_id: int, channel_id: int, message_id: int) -> Json:
    return {"channel_id": str(channel_id), "message_id": str(message_id), "guild_id": str(guild_id)}


def reaction_remove_emoji(*, guild_id: int, channel_id: int, message_id: int, emoji: str) -> Json:
    return {
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "guild_id": str(guild_id),
        "emoji": partial_emoji(emoji),
    }


def interaction(
    *,
    interaction_id: int,
    application_id: int,
    kind: int,
    data: Json | None,
    guild_id: int | None,
    channel: Json,
    member_payload: Json | None = None,
    user_payload: Json | None = None,
    message_payload: Json | None = None,
    token: str | None = None,
    app_permissions: int = 0,
    locale: str = "en-US",
) -> Json:
    """INTERACTION_CREATE: `kind` 2 command, 3 component, 4 autocomplete, 5 modal submit."""
    payload: Json = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token or f"tok-{interaction_id}",
        "version": 1,
        "locale": locale,
        "guild_locale": "en-US",
        "app_permissions": str(app_permissions),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {},
        "context": 0 if guild_id else 1,
        "attachment_size_limit": 10 * 1024 * 1024,
        "channel": channel,
        "channel_id": channel["id"],
    }
    if data is not None:
        payload["data"] = data
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
        payload["member"] = member_payload
    else:
        payload["user"] = user_payload
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def application(app_id: int, owner: Json) -> Json:
    return {
        "id": str(app_id),
        "name": "Cocreate",
        "icon": None,
        "description": "Co-creation challenges",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "guild_id": None,
        "primary_sku_id": None,
        "slug": None,
        "cover_image": None,
        "flags": 0,
        "approximate_guild_count": 1,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": None,
        "custom_install_url": None,
        "integration_types_config": {},
        "bot": None,
    }
