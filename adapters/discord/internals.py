"""Every use of a name that discord.py does not document, in one place.

Each function says why no public API serves. `tests/discord/test_internals.py` checks
each name against the installed discord.py, so an upgrade that moves one fails there
first, not in production. discord.py is pinned below the next minor version in
`pyproject.toml`, and exactly in `requirements.lock`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
import yarl

#: A gateway event parser of discord.py: takes the dispatch's `d` payload.
Parser = Callable[[Any], None]


def set_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Send REST and gateway traffic to these URLs.

    Why private: discord.py has no option for the API base or the gateway URL; proxies
    and the loopback fakes of the tests need both."""
    discord.http.Route.BASE = api_base_url.rstrip("/")
    gateway = gateway_url.strip()
    if not gateway.endswith("/"):
        gateway += "/"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def gateway_parsers(client: discord.Client) -> dict[str, Parser]:
    """The client's gateway parsers by event name (`MESSAGE_REACTION_ADD`, …), which the
    caller may replace.

    Why private: a malformed payload raising in a parser ends `connect()`, and no public
    hook can skip it; and the public raw reaction events do not carry the dispatch's
    sequence number, which makes the reaction's event id."""
    parsers: dict[str, Parser] = client._connection.parsers
    return parsers


def gateway_position(client: discord.Client, guild_id: int | None) -> tuple[str | None, int | None]:
    """The session id and the sequence number of the gateway connection that serves this
    guild, as of the dispatch being parsed.

    Why private: the client exposes no public accessor for a shard's websocket."""
    try:
        ws = client._get_websocket(guild_id)
    except (KeyError, TypeError):  # sharded: no such shard here, or no guild to route by
        return None, None
    if ws is None:
        return None, None
    return ws.session_id, ws.sequence


def gateway_sessions(client: discord.Client) -> set[str]:
    """The ids of the gateway sessions the client holds now, one per shard.

    Why private: neither the client nor `ShardInfo` exposes the session id."""
    if isinstance(client, discord.AutoShardedClient):
        sockets = [info._parent.ws for info in client.shards.values()]
    else:
        sockets = [client.ws]
    return {ws.session_id for ws in sockets if ws is not None and ws.session_id}


def rest(client: discord.Client) -> Any:
    """discord.py's REST client (`discord.http.HTTPClient`).

    Why private: these calls have no public form that costs the same.
    - `get_message` and `get_reaction_users` read a post's reactors page by page, each page
      retried on its own at the rate limit; the public `Reaction.users()` needs the message
      fetched as a `Message` first and pages without retries of ours.
    - `add_role` grants a badge role in one call; `Member.add_roles` needs the member
      fetched first (the member cache is off).
    (`registered_commands` below reads the registered commands through it.)"""
    return client.http


async def registered_commands(
    client: discord.Client, application_id: int, guild_id: int | None
) -> list[dict[str, Any]]:
    """The commands registered globally (`guild_id` None) or in a guild, as Discord's JSON,
    with their full `name_localizations` and `description_localizations`.

    Why private: `HTTPClient.get_global_commands` and `get_guild_commands` (and the public
    `fetch_commands()`) do not ask for the localisations (`with_localizations=true`), so a
    changed translation would go unnoticed; `Route` and `HTTPClient.request` send the
    request with discord.py's rate limiting and retries."""
    if guild_id is None:
        route = discord.http.Route(
            "GET", "/applications/{application_id}/commands", application_id=application_id
        )
    else:
        route = discord.http.Route(
            "GET",
            "/applications/{application_id}/guilds/{guild_id}/commands",
            application_id=application_id,
            guild_id=guild_id,
        )
    found = await rest(client).request(route, params={"with_localizations": "true"})
    return [dict(c) for c in found or []]
