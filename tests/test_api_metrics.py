"""Platform API calls are labelled by method, never by an id or a token."""

from __future__ import annotations

from yarl import URL

from adapters.discord.translate import discord_route
from adapters.slack.api import slack_method

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTA6c2VjcmV0"


def test_discord_routes_keep_the_shape_and_drop_ids_and_tokens() -> None:
    base = "http://127.0.0.1:5000/api/v10"
    assert discord_route("POST", URL(f"{base}/channels/123456789012345678/messages")) == (
        "POST /channels/{id}/messages"
    )
    assert discord_route("POST", URL(f"{base}/interactions/1234/{TOKEN}/callback")) == (
        "POST /interactions/{id}/{id}/callback"
    )
    assert (
        discord_route("PUT", URL(f"{base}/channels/1/messages/2/reactions/%F0%9F%91%8D/@me"))
        == "PUT /channels/{id}/messages/{id}/reactions/👍/@me"
    )


def test_slack_methods_and_response_urls() -> None:
    assert slack_method("POST", URL("https://slack.com/api/chat.postMessage")) == (
        "chat.postMessage"
    )
    hook = URL("https://hooks.slack.com/commands/T0001/1234567890/abcdefABCDEF0123456789xyz")
    assert slack_method("POST", hook) == "response_url"
