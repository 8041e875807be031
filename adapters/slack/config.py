"""What the Slack adapter needs from `[slack]`, checked once, and its tuning knobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from adapters.slack.settings import slack_settings
from bot.settings import ConfigError, Settings, env_var_name

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Tuning:
    """Timings of the adapter. The defaults are for production; tests pass small ones."""

    #: total time for one Web API call (the shared aiohttp session's timeout)
    http_timeout_s: float = 10.0
    #: retries after `ratelimited` (each waits Retry-After), 5xx, timeouts and resets
    rate_limit_retries: int = 3
    max_retry_after_s: float = 120.0
    server_error_retries: int = 3
    connection_retries: int = 3
    backoff_s: float = 0.5
    #: reactions.get is Tier 3 (50+ per minute per workspace): one call per this interval
    reconcile_interval_s: float = 1.2
    #: users.info and usergroups.users.list answers are kept this long
    directory_ttl_s: float = 300.0
    #: a reaction event waits this long for users.info, then counts under the bare user id
    #: (its ack waits for the commit, and Slack wants it within 3 s)
    reactor_lookup_s: float = 1.0
    #: a form submission may wait this long for the core before the modal is acked
    form_budget_s: float = 2.0
    #: a slash command's answer that comes within this long is its ack; 0: ack first
    answer_budget_s: float = 1.5
    #: commands handled at once after their ack; more wait their turn
    max_concurrent_work: int = 32
    #: reconcile idea posts after start-up
    reconcile_on_start: bool = True
    socket_ping_interval_s: float = 10.0
    sleep: Sleep = field(default=asyncio.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)


@dataclass(frozen=True)
class SlackConfig:
    """The `[slack]` section, validated: which install mode, and the secrets it needs."""

    mode: Literal["http", "socket"]
    oauth: bool
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    client_id: str
    client_secret: str | None
    api_base_url: str

    def __repr__(self) -> str:  # never show a secret
        return f"SlackConfig(mode={self.mode!r}, oauth={self.oauth}, api={self.api_base_url!r})"


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else None


def _missing(key: str, why: str) -> ConfigError:
    return ConfigError(
        f"slack.{key} is not set: {why} (set the environment variable "
        f"{env_var_name('slack.' + key)})",
        key=f"slack.{key}",
    )


def slack_config(settings: Settings) -> SlackConfig:
    """The adapter's configuration, or a ConfigError naming the missing key.

    Multi-workspace (OAuth) installs are used when `client_id` and `client_secret` are both
    set; otherwise the app is a single-workspace install with `bot_token`.
    """
    slack = slack_settings(settings)
    bot_token = _secret(slack.bot_token)
    client_secret = _secret(slack.client_secret)
    oauth = bool(slack.client_id and client_secret)
    if slack.client_id and not client_secret:
        raise _missing("client_secret", "OAuth installs need client_id and client_secret")
    if client_secret and not slack.client_id:
        raise ConfigError(
            "slack.client_id is not set: OAuth installs need client_id and client_secret",
            key="slack.client_id",
        )
    if not oauth and not bot_token:
        raise _missing(
            "bot_token", "a single-workspace install needs it (or set client_id and client_secret)"
        )
    signing_secret = _secret(slack.signing_secret)
    app_token = _secret(slack.app_token)
    if slack.mode == "http" and not signing_secret:
        raise _missing("signing_secret", "HTTP mode verifies every request with it")
    if slack.mode == "socket" and not app_token:
        raise _missing("app_token", "Socket Mode connects with the xapp- app-level token")
    base = slack.api_base_url.strip() or "https://slack.com/api/"
    return SlackConfig(
        mode=slack.mode,
        oauth=oauth,
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        client_id=slack.client_id,
        client_secret=client_secret,
        api_base_url=base if base.endswith("/") else base + "/",
    )
