"""The undocumented names of discord.py that `adapters/discord/internals.py` uses, checked
against the installed discord.py: an upgrade that moves one fails here first."""

from __future__ import annotations

import inspect

import discord
import pytest
import yarl
from discord.http import HTTPClient, Route

from adapters.discord import internals
from adapters.discord.client import CocreateClient, CocreateShardedClient
from adapters.discord.translate import REACTION_EVENTS


class _Hooks:
    async def setup(self, client: discord.Client) -> None: ...
    def gateway_reaction(self, *args: object) -> None: ...
    def ready(self, shard_id: int | None) -> None: ...
    async def interaction(self, interaction: discord.Interaction) -> None: ...


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_endpoints_are_class_attributes_that_requests_read() -> None:
    base, gateway = Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        internals.set_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gw")
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        assert yarl.URL("ws://127.0.0.1:9/gw/") == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    finally:
        Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.mark.parametrize("client_class", [CocreateClient, CocreateShardedClient])
async def test_parsers_and_sockets_are_where_the_adapter_reads_them(
    client_class: type[discord.Client],
) -> None:
    # Never logged in, so nothing to close.
    options = {"shard_count": 2} if client_class is CocreateShardedClient else {}
    client = client_class(_Hooks(), intents=discord.Intents.none(), **options)  # type: ignore[call-arg]
    parsers = internals.gateway_parsers(client)
    assert set(REACTION_EVENTS) <= set(parsers)
    assert all(callable(p) for p in parsers.values())
    # Not connected: no session yet, and no error.
    assert internals.gateway_position(client, None) == (None, None)
    assert internals.gateway_position(client, 81_384_788_765_712_384) == (None, None)
    assert internals.gateway_sessions(client) == set()
    assert _parameters(client._get_websocket)[:1] == ["guild_id"]


def test_rest_calls_keep_their_signatures() -> None:
    expected = {
        "get_message": ["self", "channel_id", "message_id"],
        "get_reaction_users": ["self", "channel_id", "message_id", "emoji", "limit", "after"],
        "add_role": ["self", "guild_id", "user_id", "role_id", "reason"],
        "get_global_commands": ["self", "application_id"],
        "get_guild_commands": ["self", "application_id", "guild_id"],
    }
    for name, parameters in expected.items():
        assert _parameters(getattr(HTTPClient, name))[: len(parameters)] == parameters, name
    assert isinstance(internals.rest(discord.Client(intents=discord.Intents.none())), HTTPClient)
