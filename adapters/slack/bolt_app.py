"""The bolt `AsyncApp`: a single-workspace app with a bot token, or a multi-workspace app
whose OAuth flow keeps its installations in our database."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from adapters.slack.api import SlackApi
from adapters.slack.config import SlackConfig
from adapters.slack.installations import InstallationStore, OAuthStateStore
from adapters.slack.manifest import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH

log = logging.getLogger("cocreate.slack")
bolt_log = logging.getLogger("cocreate.slack.bolt")


def authorization_url(api_base_url: str) -> str:
    """Where installers are sent: slack.com's, or the same host as a custom API."""
    parts = urlsplit(api_base_url)
    return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"


def build_bolt(
    config: SlackConfig,
    api: SlackApi,
    *,
    public_url: str = "",
    installations: InstallationStore | None = None,
    states: OAuthStateStore | None = None,
    before_authorize: Callable[..., Awaitable[Any]] | None = None,
) -> AsyncApp:
    """`process_before_response=True`: the HTTP response leaves when the listener returns
    (no 10 ms ack polling per request); listeners ack before anything slow, and reaction
    events are answered once committed. `before_authorize` is a middleware that runs
    before bolt's authorization."""
    verify = config.mode == "http"
    common = {
        "name": "cocreate",
        "logger": bolt_log,
        "process_before_response": True,
        "signing_secret": config.signing_secret or "",
        "request_verification_enabled": verify,
        "ssl_check_enabled": verify,
        "url_verification_enabled": verify,
    }
    if not config.oauth:
        return AsyncApp(client=api.client(config.bot_token), **common)  # type: ignore[arg-type]
    assert installations is not None and states is not None and config.client_secret
    client = api.client(None)
    redirect = public_url.rstrip("/") + REDIRECT_PATH if public_url else None
    oauth = AsyncOAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=redirect,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(config.api_base_url),
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        logger=bolt_log,
    )
    # One auth.test per token, not per request; the store caches its lookups too.
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=bolt_log,
        installation_store=installations,
        client_id=config.client_id,
        client_secret=config.client_secret,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    app = AsyncApp(
        client=client,
        oauth_settings=oauth,
        before_authorize=before_authorize,
        **common,  # type: ignore[arg-type]
    )
    app.enable_token_revocation_listeners()
    return app
