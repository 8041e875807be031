"""``[discord]``: the Discord adapter's own settings section (env ``COCREATE_DISCORD__…``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.settings import PlatformSection, Settings, blank_secret


class DiscordSettings(PlatformSection):
    """``[discord]``: the Discord adapter. The token comes only from the environment."""

    token: SecretStr | None = Field(default=None, description="Bot token (secret, env only).")
    guild_ids: list[int] = Field(
        default_factory=list, description="Guilds for instant guild-scoped command sync."
    )
    moderator_roles: list[str] = Field(
        default_factory=list, description="Role ids or names whose members are moderators."
    )
    moderator_channel: str = Field(
        default="", description="Channel id for the review queue; empty = no review posts."
    )
    moderator_channels: dict[str, str] = Field(
        default_factory=dict,
        description="Guild id -> its review queue channel id, where it is not moderator_channel.",
    )
    badge_roles: dict[str, str] = Field(
        default_factory=dict, description="Badge kind (spark, voice, …) -> role id it grants."
    )
    api_base_url: str = Field(
        default="https://discord.com/api/v10", description="REST base URL (proxies, tests)."
    )
    gateway_url: str = Field(
        default="wss://gateway.discord.gg", description="Gateway URL (proxies, tests)."
    )
    shard_count: int | None = Field(default=None, ge=1, description="Shards; set = auto-sharded.")
    shard_ids: list[int] | None = Field(default=None, description="Shards this process runs.")
    answer_within_s: float = Field(
        default=1.5,
        ge=0,
        le=2.5,
        description="A reply this quick is a command's first response; else it defers (0: always).",
    )
    reconcile_days: int = Field(
        default=7, ge=0, description="Reconcile challenges closed this many days ago or later."
    )

    _strip_secrets = field_validator("token")(blank_secret)


def discord_settings(settings: Settings) -> DiscordSettings:
    return settings.section("discord", DiscordSettings)
