"""``[slack]``: the Slack adapter's own settings section (env ``COCREATE_SLACK__…``)."""

from __future__ import annotations

import zlib
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bot.settings import PlatformSection, Settings, blank_secret


class SlackSettings(PlatformSection):
    """``[slack]``: the Slack adapter. Tokens come only from the environment."""

    mode: Literal["http", "socket"] = Field(default="http", description="HTTP or Socket Mode.")
    bot_token: SecretStr | None = Field(default=None, description="xoxb- token (secret).")
    signing_secret: SecretStr | None = Field(default=None, description="Signing secret.")
    app_token: SecretStr | None = Field(default=None, description="xapp- token (secret).")
    client_id: str = Field(default="", description="OAuth client id (multi-workspace installs).")
    client_secret: SecretStr | None = Field(default=None, description="OAuth client secret.")
    host: str = Field(default="127.0.0.1", description="HTTP mode: address to listen on.")
    port: int = Field(default=3000, ge=0, le=65535, description="HTTP mode: port.")
    public_url: str = Field(default="", description="Public base URL, for the app manifest.")
    api_base_url: str = Field(
        default="https://slack.com/api/", description="Web API base URL (tests, own API host)."
    )
    admins: list[str] = Field(
        default_factory=list, description="User ids or user group ids who are moderators."
    )
    moderator_channel: str = Field(
        default="", description="Channel id for the review queue; empty = no review posts."
    )
    moderator_channels: dict[str, str] = Field(
        default_factory=dict,
        description="Team id -> its review queue channel id, where it is not moderator_channel.",
    )
    reconcile_days: int = Field(
        default=7, ge=0, description="Reconcile challenges closed this many days ago or later."
    )
    workspace_shards: int = Field(
        default=1,
        ge=1,
        description="Processes that share the workspaces' read-backs (several behind a load "
        "balancer): each reads back the workspaces of its own shard.",
    )
    workspace_shard: int = Field(
        default=0, ge=0, description="This process's shard, 0 to workspace_shards - 1."
    )

    @model_validator(mode="after")
    def _check_shard(self) -> SlackSettings:
        if self.workspace_shard >= self.workspace_shards:
            raise ValueError(
                f"workspace_shard {self.workspace_shard} is not below workspace_shards "
                f"{self.workspace_shards}"
            )
        return self

    def reads_back(self, team_id: str) -> bool:
        """Whether this process reads back the idea posts of this workspace."""
        return zlib.crc32(team_id.encode()) % self.workspace_shards == self.workspace_shard

    _strip_secrets = field_validator("bot_token", "signing_secret", "app_token", "client_secret")(
        blank_secret
    )


def slack_settings(settings: Settings) -> SlackSettings:
    return settings.section("slack", SlackSettings)
