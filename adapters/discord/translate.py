"""Discord payloads to the core's neutral language: pure functions, no discord.py objects.

Everything here takes the JSON the gateway or the API sends (or plain values taken from
it) and returns `bot.messages` values, so it is tested on recorded payloads alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yarl import URL

from bot.emoji import normalize_emoji
from bot.messages import Actor, CommunityRef, OptionValue, ReactionAction, ReactionEvent

PLATFORM = "discord"
DISCORD_EPOCH_MS = 1_420_070_400_000

#: Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5

#: Gateway reaction events and what each one does to a vote.
REACTION_EVENTS = {
    "MESSAGE_REACTION_ADD": ReactionAction.ADD,
    "MESSAGE_REACTION_REMOVE": ReactionAction.REMOVE,
    "MESSAGE_REACTION_REMOVE_ALL": ReactionAction.CLEAR,
    "MESSAGE_REACTION_REMOVE_EMOJI": ReactionAction.CLEAR,
}

Payload = Mapping[str, Any]


def snowflake_time(snowflake: int | str) -> datetime:
    """When a Discord id was made: a user id tells when the account was created."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp from a payload (`joined_at`), aware, or None."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def community(guild_id: int | str, name: str = "") -> CommunityRef:
    return CommunityRef(PLATFORM, str(guild_id), name)


def is_moderator(
    permissions: int,
    role_ids: Collection[int | str],
    role_names: Collection[str],
    moderator_roles: Collection[str],
) -> bool:
    """Manage Server (or Administrator), or one of the configured roles by id or by name."""
    if permissions & (MANAGE_GUILD | ADMINISTRATOR):
        return True
    if not moderator_roles:
        return False
    ids = {str(r) for r in role_ids}
    names = {n.casefold() for n in role_names}
    for wanted in moderator_roles:
        key = wanted.strip()
        if key.isdigit() and key in ids:
            return True
        if key.lstrip("@").casefold() in names:
            return True
    return False


def display_name(user: Payload, nick: str | None = None) -> str:
    """What people see: the server nickname, else the global name, else the username."""
    return str(nick or user.get("global_name") or user.get("username") or user.get("id", ""))


def user_actor(user: Payload, *, known_name: str | None = None) -> Actor:
    """A user object (reactor lists): no roles or join time in it."""
    return Actor(
        external_id=str(user["id"]),
        display_name=known_name or display_name(user),
        is_bot=bool(user.get("bot", False)),
        account_created_at=snowflake_time(user["id"]),
    )


def member_actor(
    member: Payload,
    *,
    permissions: int = 0,
    role_names: Collection[str] = (),
    moderator_roles: Collection[str] = (),
) -> Actor:
    """A guild member object (interactions, reaction adds): roles, nickname and join time."""
    user = member["user"]
    roles = member.get("roles") or []
    return Actor(
        external_id=str(user["id"]),
        display_name=display_name(user, member.get("nick")),
        is_moderator=is_moderator(permissions, roles, role_names, moderator_roles),
        is_bot=bool(user.get("bot", False)),
        account_created_at=snowflake_time(user["id"]),
        joined_at=parse_time(member.get("joined_at")),
    )


def emoji_text(emoji: Payload | None) -> str | None:
    """`👍` for a standard emoji, `<:name:id>` (or `<a:name:id>`) for a custom one."""
    if not emoji:
        return None
    if emoji.get("id"):
        prefix = "a" if emoji.get("animated") else ""
        return f"<{prefix}:{emoji.get('name') or '_'}:{emoji['id']}>"
    name = emoji.get("name")
    return str(name) if name else None


def emoji_route(emoji: str) -> str:
    """The form the REST routes take: `👍`, or `name:id` for a custom emoji."""
    text = emoji.strip()
    if text.startswith("<") and text.endswith(">"):
        parts = text[1:-1].split(":")
        if len(parts) == 3:
            return f"{parts[1]}:{parts[2]}"
    return text


def same_emoji(a: str, b: str) -> bool:
    """One emoji whatever its skin tone or variation selector (👍🏽 is 👍); a custom emoji
    by its id (renamed or not, animated or not)."""
    route_a, route_b = emoji_route(a), emoji_route(b)
    if ":" in route_a and ":" in route_b:
        return route_a.rsplit(":", 1)[1] == route_b.rsplit(":", 1)[1]
    return normalize_emoji(route_a) == normalize_emoji(route_b)


@dataclass(frozen=True)
class Tally:
    """One reaction as a message lists it: its emoji (each skin tone is a reaction of its
    own), how many react with it (super reactions aside), and whether the bot does."""

    emoji: str
    count: int
    me: bool

    @property
    def only_the_bot(self) -> bool:
        return self.me and self.count <= 1


def vote_tallies(message: Payload, vote_emoji: str) -> list[Tally]:
    """The reactions of a message (`GET /channels/{c}/messages/{m}`) that are the vote emoji
    in some variant (👍, 👍🏽, 👍🏿 …), in the message's order."""
    out: list[Tally] = []
    for reaction in message.get("reactions") or []:
        emoji = emoji_text(reaction.get("emoji"))
        if emoji is None or not same_emoji(emoji, vote_emoji):
            continue
        details = reaction.get("count_details") or {}
        count = details.get("normal", reaction.get("count", 0))
        out.append(Tally(emoji, int(count or 0), bool(reaction.get("me"))))
    return out


def reaction_event_id(
    session_id: str | None, sequence: int | None, message_id: str, user_id: str | None
) -> str | None:
    """A stable id for one gateway dispatch: a replay (a RESUME re-sending what was already
    received, or a duplicate delivery) has the same session and sequence number, and two
    real actions never do. Without them, None: the event is not deduplicated."""
    if not session_id or sequence is None:
        return None
    return f"dc:{session_id}:{sequence}:{message_id}:{user_id or '-'}"


def reaction_event(
    event: str,
    data: Payload,
    *,
    received_at: datetime,
    session_id: str | None = None,
    sequence: int | None = None,
    bot_user_id: int | str | None = None,
    known_name: str | None = None,
) -> ReactionEvent | None:
    """A gateway reaction dispatch as the core's ReactionEvent, stamped `received_at` (our
    clock when the dispatch was parsed: a read-back asked for later wins over it).

    None for what the core must never see: events outside a guild, and the bot's own
    reactions (its vote emoji on every idea post). Raises KeyError or ValueError on a
    payload that lacks what a reaction event needs.
    """
    action = REACTION_EVENTS[event]
    guild_id = data.get("guild_id")
    if not guild_id:
        return None
    user_id = data.get("user_id")
    if bot_user_id is not None and user_id is not None and str(user_id) == str(bot_user_id):
        return None
    message_id = str(int(data["message_id"]))
    channel_id = str(int(data["channel_id"]))
    actor: Actor | None = None
    if action is not ReactionAction.CLEAR:
        if user_id is None:
            raise KeyError("user_id")
        member = data.get("member")
        if member and member.get("user"):
            actor = member_actor(member)
        else:
            actor = Actor(
                external_id=str(int(user_id)),
                display_name=known_name or "",
                account_created_at=snowflake_time(user_id),
            )
    emoji = emoji_text(data.get("emoji"))
    if action is not ReactionAction.CLEAR and emoji is None:
        raise KeyError("emoji")
    return ReactionEvent(
        community=community(guild_id),
        channel_id=channel_id,
        message_id=message_id,
        action=action,
        at=received_at,
        member=actor,
        emoji=emoji,
        event_id=reaction_event_id(
            session_id, sequence, message_id, actor.external_id if actor else None
        ),
        received_at=received_at,
    )


def core_options(values: Mapping[str, Any]) -> dict[str, OptionValue]:
    """Slash-command values (already turned into str, int or bool by the command's
    transformers) without the options left out."""
    out: dict[str, OptionValue] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool | int | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out


#: A path segment that names one thing (a snowflake, a token): not part of a label.
_VARIABLE = re.compile(r"/(?:\d+|[A-Za-z0-9_\-.]{25,})(?=/|$)")


def discord_route(method: str, url: URL) -> str:
    """A call's label for the metrics: `POST /channels/{id}/messages`, without the API
    version and any id or token."""
    path = re.sub(r"^/api(?:/v\d+)?", "", url.path)
    return f"{method} {_VARIABLE.sub('/{id}', path)}"
