"""Configuration of Cocreate.

Sources, in increasing priority:

1. built-in defaults (the field defaults below);
2. a TOML file (see :func:`load_settings` for which one);
3. environment variables ``COCREATE_<SECTION>__<KEY>``, e.g. ``COCREATE_STORAGE__URL``.

Secrets (tokens) are accepted only from the environment; a secret key in the TOML file
is an error. ``.env`` files are never read, and no environment variable other than the
``COCREATE_*`` ones (including ``COCREATE_CONFIG``) influences the configuration.

Every problem with the configuration surfaces as a :class:`ConfigError` whose message is
one line naming the offending key in dotted form (``limits.title_max``).
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
import zoneinfo
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.types import Traversable

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "BadgesSettings",
    "ConfigError",
    "ConsoleSettings",
    "CoreSettings",
    "DataSettings",
    "LeaderboardSettings",
    "LimitsSettings",
    "PlatformSection",
    "PointsSettings",
    "Section",
    "Settings",
    "SimilaritySettings",
    "StorageSettings",
    "env_var_name",
    "load_settings",
    "mask_url_password",
    "render_effective",
    "secret_keys",
    "settings_class",
]

S = TypeVar("S", bound="PlatformSection")

ENV_PREFIX = "COCREATE_"
ENV_NESTED_DELIMITER = "__"
CONFIG_ENV_VAR = "COCREATE_CONFIG"
DEFAULT_CONFIG_FILE = "cocreate.toml"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SEASON_MONTHS = (1, 2, 3, 4, 6, 12)

# Database URL schemes we accept, mapped to the async driver we actually use.
_URL_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class ConfigError(Exception):
    """Bad configuration. ``str(err)`` is one line naming the offending key.

    ``key`` is the dotted key at fault (``limits.title_max``) when there is a single one.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        message = " ".join(message.split())  # always exactly one line
        if not message.startswith("config error:"):
            message = f"config error: {message}"
        super().__init__(message)
        self.key = key


def env_var_name(key: str) -> str:
    """The variable for a dotted key: ``storage.url`` -> ``COCREATE_STORAGE__URL``."""
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(part.upper() for part in key.split("."))


def mask_url_password(url: str) -> str:
    """Mask the password of a URL: ``postgresql+asyncpg://user:***@host/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, host = netloc.rsplit("@", 1)
    if ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


def _normalise_database_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(
            "not a database URL (expected sqlite:///path/to/file.db or postgresql://user@host/db)"
        )
    driver = _URL_SCHEMES.get(scheme.lower())
    if driver is None:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:// (sqlite+aiosqlite://) "
            "or postgresql:// (postgresql+asyncpg://)"
        )
    return f"{driver}://{rest}"


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


class Section(BaseModel):
    """A section of the settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CoreSettings(Section):
    """``[core]``: where data lives, logging and the default time zone."""

    data_dir: Path = Field(
        default=Path("data"), description="Directory for the database and other state."
    )
    log_level: str = Field(default="INFO", description="One of DEBUG, INFO, WARNING, ERROR.")
    default_timezone: str = Field(
        default="UTC", description="IANA time zone used when a community has none."
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        value = value.strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                "unknown time zone (expected an IANA name such as Europe/Paris)"
            ) from exc
        return value

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        """``default_timezone`` as a ``ZoneInfo``."""
        return zoneinfo.ZoneInfo(self.default_timezone)


class StorageSettings(Section):
    """``[storage]``: the database."""

    url: str = Field(
        default="",
        description="Database URL; empty means sqlite+aiosqlite:///<data_dir>/cocreate.db.",
    )
    busy_timeout_ms: int = Field(default=5000, gt=0, description="SQLite busy timeout (ms).")
    echo: bool = Field(default=False, description="Log every SQL statement.")
    outage_buffer: int = Field(
        default=10_000,
        ge=0,
        description="Reaction events kept in memory while the database is down (Discord).",
    )
    connect_wait_seconds: float = Field(
        default=60,
        ge=0,
        description="At start, how long to keep trying a database that does not answer.",
    )
    pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections a process keeps open (10 more while busy).",
    )

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return _normalise_database_url(value)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Never show a password embedded in the URL.
        for name, value in super().__repr_args__():
            yield name, (mask_url_password(value) if name == "url" else value)


class LimitsSettings(Section):
    """``[limits]``: sizes of user input and of pages."""

    title_max: int = Field(default=100, gt=0, description="Max characters in an idea title.")
    description_max: int = Field(
        default=1500, gt=0, description="Max characters in an idea description."
    )
    reason_max: int = Field(default=500, gt=0, description="Max characters in a vote reason.")
    ideas_per_member: int = Field(
        default=3, ge=1, le=100, description="Ideas one member may submit per challenge."
    )
    page_size: int = Field(default=10, ge=1, le=25, description="Items per listing page.")


class BadgesSettings(Section):
    """``[badges]``: thresholds for badges."""

    voice_votes: int = Field(default=10, ge=1, description="Votes cast to earn 'Voice'.")
    crowd_favourite_votes: int = Field(
        default=10, ge=1, description="Votes received by one idea to earn 'Crowd favourite'."
    )
    regular_weeks: int = Field(
        default=3, ge=1, description="Consecutive active weeks to earn 'Regular'."
    )


class PointsSettings(Section):
    """``[points]``: how many points each action is worth."""

    idea_published: int = Field(default=3, ge=0, description="Points for publishing an idea.")
    vote_received: int = Field(default=1, ge=0, description="Points per vote received.")
    vote_cast: int = Field(default=1, ge=0, description="Points per vote cast.")
    vote_cast_weekly_cap: int = Field(
        default=10, ge=0, description="Max points from casting votes per week."
    )
    podium: list[int] = Field(
        default_factory=lambda: [10, 6, 3],
        min_length=3,
        max_length=3,
        description="Points for 1st, 2nd and 3rd place of a challenge.",
    )
    shipped: int = Field(default=15, ge=0, description="Points when an idea is shipped.")

    @field_validator("podium")
    @classmethod
    def _check_podium(cls, value: list[int]) -> list[int]:
        if any(points < 0 for points in value):
            raise ValueError("podium points must be non-negative")
        return value


class LeaderboardSettings(Section):
    """``[leaderboard]``: seasons.

    A season is a calendar block of ``season_months`` months, starting in January: with 3,
    seasons are Jan-Mar, Apr-Jun, Jul-Sep and Oct-Dec.
    """

    season_months: int = Field(default=3, description="Season length: 1, 2, 3, 4, 6 or 12.")

    @field_validator("season_months")
    @classmethod
    def _check_season_months(cls, value: int) -> int:
        if value not in SEASON_MONTHS:
            raise ValueError(
                f"must be one of {', '.join(map(str, SEASON_MONTHS))} (a divisor of 12)"
            )
        return value


class SimilaritySettings(Section):
    """``[similarity]``: hints about similar existing ideas."""

    threshold: float = Field(
        default=0.5, gt=0, le=1, description="Minimum similarity score (0 < x <= 1)."
    )
    max_hints: int = Field(default=3, ge=0, description="Max similar ideas shown.")


class AlertsSettings(Section):
    """``[alerts]``: when the moderators' channel is told that an idea's votes look like
    brigading. Both rules look at the counted votes an idea gained in the last
    ``window_minutes``, and judge only from ``min_votes`` of them."""

    enabled: bool = Field(default=True, description="Watch the votes for brigading.")
    window_minutes: int = Field(
        default=120, ge=5, le=10_080, description="The recent votes: this many minutes."
    )
    min_votes: int = Field(
        default=10, ge=2, description="Recent votes an idea needs before it is judged."
    )
    pace_factor: float = Field(
        default=5.0,
        gt=1,
        description="Alert when an idea's recent votes exceed this many times the "
        "challenge's usual pace (votes per idea in such a window, on average since it "
        "opened).",
    )
    young_account_days: int = Field(
        default=30, ge=0, description="An account younger than this many days is new."
    )
    young_member_days: int = Field(
        default=7, ge=0, description="A member who joined less than this many days ago is new."
    )
    young_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Alert when at least this share of an idea's recent votes come from "
        "new accounts or new members.",
    )


class ConsoleSettings(Section):
    """``[console]``: the local console adapter."""

    community: str = Field(default="console", min_length=1, description="Community name.")
    channel: str = Field(default="general", min_length=1, description="Channel name.")
    history_file: str = Field(
        default="", description="Readline history; empty means <data_dir>/console_history."
    )


def blank_secret(value: SecretStr | None) -> SecretStr | None:
    """A secret that is only blanks counts as unset."""
    if value is None:
        return None
    secret = value.get_secret_value().strip()
    return SecretStr(secret) if secret else None


class PlatformSection(Section):
    """The section of a platform adapter (``[discord]``, ``[slack]``), which the adapter
    declares itself (see `bot.plugins`)."""

    enabled: bool = Field(default=False, description="Run this platform's adapter.")


class HttpSettings(Section):
    """``[http]``: the server of /healthz, /readyz, /metrics and the REST API (/api),
    whatever platforms run."""

    enabled: bool = Field(default=False, description="Serve health and metrics over HTTP.")
    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on (0.0.0.0 in a container, for the health check "
        "and Prometheus).",
    )
    port: int = Field(default=9464, ge=0, le=65535, description="Port to listen on.")
    api_enabled: bool = Field(
        default=True,
        description="Serve the read-only REST API under /api (only to holders of a token "
        "from /mod token create).",
    )
    api_requests_per_minute: int = Field(
        default=120,
        ge=1,
        le=1_000_000,
        description="Requests one API token may make a minute, in each process (as many at "
        "once); past that the API answers 429 with Retry-After.",
    )


class LoggingSettings(Section):
    """``[logging]``: how log lines are written (the level is ``core.log_level``)."""

    format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line each; json: one JSON object per line, with "
        "the command, community, challenge and error id where they apply.",
    )


class SchedulerSettings(Section):
    """``[scheduler]``: deadlines and scheduled posts."""

    grace_hours: float = Field(
        default=24, ge=0, description="Missed posts younger than this are caught up at start."
    )
    retry_attempts: int = Field(
        default=5, ge=1, description="Failed sends of a post before the moderators are told."
    )
    retry_base_seconds: float = Field(default=2, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(
        default=300, gt=0, description="Longest delay between two tries of a post or a follow-up."
    )
    give_up_hours: float = Field(
        default=72,
        gt=0,
        description=(
            "A post still unsent this long after it was due fails; so does a follow-up "
            "(a badge to tell, posts to show again) this long after it was owed."
        ),
    )
    heartbeat_seconds: float = Field(
        default=60, gt=0, description="The agenda re-reads the tables at least this often."
    )
    quiet_weeks: Literal["nudge", "skip"] = Field(
        default="nudge",
        description="A week without new ideas or votes gets a short nudge to take part "
        "instead of its weekly results (nudge), or no post at all (skip).",
    )
    reminder_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 365,
        description="Each venue is reminded this long before submissions close and before "
        "voting closes (0: no reminders); a challenge's `reminder:` option overrides it.",
    )
    loop_schedule: str = Field(
        default="0 10 1 * *",
        description='When "You said, we did" is posted to each community\'s venues: cron '
        "text in core.default_timezone (default the 1st of each month, 10:00); empty: never "
        "on a schedule, only with `/results loop`.",
    )

    @field_validator("loop_schedule")
    @classmethod
    def _check_loop_schedule(cls, value: str) -> str:
        from bot.grammar import GrammarError, parse_cron

        if not value.strip():
            return ""
        try:
            return parse_cron(value)
        except GrammarError as exc:
            raise ValueError(str(exc)) from exc


class WebhooksSettings(Section):
    """``[webhooks]``: events sent to the moderators' HTTPS endpoints."""

    enabled: bool = Field(
        default=True,
        description="Deliver events, and let moderators add endpoints (off: events wait).",
    )
    allow_private: bool = Field(
        default=False,
        description="Allow http:// and loopback, private or link-local addresses (tests).",
    )
    timeout_seconds: float = Field(
        default=10, gt=0, le=60, description="How long one delivery may take."
    )
    retry_base_seconds: float = Field(default=30, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(
        default=3600, gt=0, description="Longest delay between two tries of a delivery."
    )
    give_up_hours: float = Field(
        default=72, gt=0, description="A delivery still failing this long after its event fails."
    )
    failure_limit: int = Field(
        default=20, ge=1, description="Failed deliveries in a row before an endpoint is disabled."
    )
    failure_hours: float = Field(
        default=24,
        ge=0,
        description="...and only once the first of them is at least this many hours old.",
    )
    poll_seconds: float = Field(
        default=5, gt=0, description="The delivery worker looks for due deliveries this often."
    )
    max_endpoints: int = Field(default=10, ge=1, description="Endpoints per community.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key the endpoints' signing secrets are derived from (secret, env only; "
        "keep it: a new key changes every secret). Unset: no endpoint can be added.",
    )

    _strip_secrets = field_validator("secret_key")(blank_secret)


class DataSettings(Section):
    """``[data]``: members' data, and the data of communities that removed the bot."""

    left_grace_days: float = Field(
        default=30,
        ge=0,
        description="Days a community's data is kept after the bot was removed from it.",
    )


class CaptureSettings(Section):
    """``[capture]``: chat messages that become ideas."""

    reaction: str = Field(
        default="",
        max_length=64,
        description="Reacting with this emoji to a message offers it to its author as an "
        "idea (empty: off). On Discord it needs the privileged Message Content intent.",
    )


class NoticesSettings(Section):
    """``[notices]``: direct messages to the followers of an idea."""

    enabled: bool = Field(
        default=True, description="Send notices (off: they wait in the database)."
    )
    per_second: float = Field(
        default=10,
        gt=0,
        le=50,
        description="At most this many notices a second (the platforms' limits stay far).",
    )
    batch: int = Field(default=50, ge=1, le=1000, description="Notices claimed at a time.")
    retry_base_seconds: float = Field(default=30, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(
        default=3600, gt=0, description="Longest delay between two tries of a notice."
    )
    give_up_hours: float = Field(
        default=72, gt=0, description="A notice still failing this long after it was made fails."
    )
    poll_seconds: float = Field(
        default=30, gt=0, description="The notice worker looks for retries this often."
    )


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------


@dataclass
class _LoadContext:
    """What :func:`load_settings` passes to :meth:`Settings.settings_customise_sources`."""

    toml_file: Path | None
    toml_label: str
    environ: Mapping[str, str]
    toml_data: dict[str, Any] = field(default_factory=dict)


_LOAD_CONTEXT: ContextVar[_LoadContext | None] = ContextVar("cocreate_settings_load", default=None)


def _cocreate_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Only the ``COCREATE_*`` variables (minus ``COCREATE_CONFIG``), keys upper-cased."""
    result: dict[str, str] = {}
    for name, value in environ.items():
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper != CONFIG_ENV_VAR:
            result[upper] = value
    return result


class _EnvSource(EnvSettingsSource):
    """``COCREATE_*`` variables from a given mapping (``os.environ`` by default)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # case_sensitive is False: pydantic-settings matches lower-cased names.
        return {name.lower(): value for name, value in _cocreate_env(self._environ).items()}

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        # Wrap secrets as early as possible so they never show up in debug logs or errors.
        for key in secret_keys():
            section, name = key.split(".")
            values = data.get(section)
            if isinstance(values, dict) and isinstance(values.get(name), str):
                values[name] = SecretStr(values[name])
        return data


class _TomlSource(TomlConfigSettingsSource):
    """The TOML file, with clear errors and secrets refused."""

    def __init__(self, settings_cls: type[BaseSettings], context: _LoadContext) -> None:
        self._context = context
        super().__init__(settings_cls, toml_file=context.toml_file)

    def _read_file(self, path: Path | Traversable) -> dict[str, Any]:
        label = self._context.toml_label
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML in {label}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"invalid TOML in {label}: not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {label}: {exc.strerror or exc}") from None
        for key in secret_keys():
            section, name = key.split(".")
            values = data.get(section)
            if isinstance(values, dict) and name in values:
                raise ConfigError(
                    f"{key} is a secret: set it with the environment variable "
                    f"{env_var_name(key)}, not in the config file [in {label}]",
                    key=key,
                )
        self._context.toml_data = data
        return data


# --------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------


class Settings(BaseSettings):
    """The whole configuration. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        env_file=None,
        secrets_dir=None,
        extra="forbid",
        validate_assignment=True,
    )

    core: CoreSettings = Field(default_factory=CoreSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    badges: BadgesSettings = Field(default_factory=BadgesSettings)
    points: PointsSettings = Field(default_factory=PointsSettings)
    leaderboard: LeaderboardSettings = Field(default_factory=LeaderboardSettings)
    similarity: SimilaritySettings = Field(default_factory=SimilaritySettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    webhooks: WebhooksSettings = Field(default_factory=WebhooksSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    notices: NoticesSettings = Field(default_factory=NoticesSettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)

    _config_file: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest priority first: init kwargs > environment > TOML file (> defaults).
        # No .env file and no secrets directory.
        context = _LOAD_CONTEXT.get()
        environ: Mapping[str, str] = os.environ if context is None else context.environ
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            _EnvSource(settings_cls, environ),
        ]
        if context is not None and context.toml_file is not None:
            sources.append(_TomlSource(settings_cls, context))
        return tuple(sources)

    @property
    def config_file(self) -> Path | None:
        """The TOML file these settings were loaded from (absolute), or None for defaults."""
        return self._config_file

    @property
    def database_url(self) -> str:
        """The effective async database URL."""
        if self.storage.url:
            return self.storage.url
        return f"sqlite+aiosqlite:///{self.core.data_dir.as_posix()}/cocreate.db"

    def section(self, name: str, kind: type[S]) -> S:
        """A platform adapter's own section, typed as it declares it."""
        found = getattr(self, name, None)
        if not isinstance(found, kind):
            raise ConfigError(f"there is no [{name}] section: is its adapter installed?")
        return found

    @property
    def platforms(self) -> dict[str, PlatformSection]:
        """The platform adapters' sections by name, whether enabled or not."""
        return {
            name: section
            for name in type(self).model_fields
            if isinstance(section := getattr(self, name), PlatformSection)
        }

    @property
    def console_history_path(self) -> Path:
        """The effective console history file."""
        if self.console.history_file:
            return Path(self.console.history_file).expanduser()
        return self.core.data_dir / "console_history"


@cache
def settings_class() -> type[Settings]:
    """`Settings` with a section for each platform adapter the registry finds."""
    from bot.plugins import platform_plugins

    sections: dict[str, Any] = {
        name: (plugin.settings, Field(default_factory=plugin.settings))
        for name, plugin in platform_plugins().items()
    }
    made: type[Settings] = create_model(
        "Settings", __base__=Settings, __doc__=Settings.__doc__, **sections
    )
    return made


@cache
def secret_keys() -> tuple[str, ...]:
    """Dotted keys that are secrets: environment only, masked everywhere."""
    keys: list[str] = []
    for section_name, section_field in settings_class().model_fields.items():
        section_cls = section_field.annotation
        assert isinstance(section_cls, type) and issubclass(section_cls, BaseModel)
        for name, key_field in section_cls.model_fields.items():
            annotation = key_field.annotation
            if annotation is SecretStr or SecretStr in get_args(annotation):
                keys.append(f"{section_name}.{name}")
    return tuple(keys)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def _resolve_config_file(
    config_path: str | Path | None, environ: Mapping[str, str]
) -> tuple[Path | None, str]:
    """The TOML file to read (absolute) and how to name it in messages."""
    if config_path is not None:
        path, origin = Path(config_path).expanduser(), "path given explicitly"
    elif environ.get(CONFIG_ENV_VAR):
        path, origin = Path(environ[CONFIG_ENV_VAR]).expanduser(), f"from {CONFIG_ENV_VAR}"
    else:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.is_file():
            return None, "built-in defaults"
        return default.absolute(), DEFAULT_CONFIG_FILE
    if not path.exists():
        raise ConfigError(f"config file not found: {path} ({origin})")
    if not path.is_file():
        raise ConfigError(f"config file is not a regular file: {path} ({origin})")
    return path.absolute(), str(path)


def load_settings(
    config_path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load the configuration.

    The TOML file is ``config_path`` if given (it must exist), else ``$COCREATE_CONFIG`` if set
    (it must exist), else ``./cocreate.toml`` if it exists, else none (built-in defaults).
    Environment variables ``COCREATE_<SECTION>__<KEY>`` override the file.

    ``environ`` replaces ``os.environ`` (for tests); it is never modified.

    Raises ConfigError, and only ConfigError, for any bad input.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    toml_file, label = _resolve_config_file(config_path, env)
    context = _LoadContext(toml_file=toml_file, toml_label=label, environ=env)
    token = _LOAD_CONTEXT.set(context)
    try:
        settings = settings_class()()
    except ValidationError as exc:
        raise _config_error_from_validation(exc, context) from None
    except SettingsError as exc:
        # e.g. a COCREATE_* variable holding invalid JSON for a list or a section.
        raise _config_error_from_settings_error(exc, context) from None
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{type(exc).__name__}: {exc}") from None
    finally:
        _LOAD_CONTEXT.reset(token)
    settings._config_file = toml_file
    return settings


# --------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(settings)"


def _source_of(loc: tuple[int | str, ...], context: _LoadContext) -> str | None:
    names = [part for part in loc if isinstance(part, str)][:2]
    env = _cocreate_env(context.environ)
    for depth in range(len(names), 0, -1):
        var = env_var_name(".".join(names[:depth]))
        if var in env:
            return f"env {var}"
    node: Any = context.toml_data
    for name in names:
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return context.toml_label


def _suggestion(loc: tuple[int | str, ...]) -> str:
    names = [part for part in loc if isinstance(part, str)]
    if len(names) == 1:
        candidates = list(settings_class().model_fields)
    elif len(names) == 2 and names[0] in settings_class().model_fields:
        section_cls = settings_class().model_fields[names[0]].annotation
        assert isinstance(section_cls, type) and issubclass(section_cls, BaseModel)
        candidates = list(section_cls.model_fields)
    else:
        return ""
    close = difflib.get_close_matches(names[-1], candidates, n=1)
    if not close:
        return ""
    return f" (did you mean {'.'.join([*names[:-1], close[0]])}?)"


def _describe_value(key: str, value: Any) -> str:
    if key in secret_keys() or isinstance(value, SecretStr):
        return ""
    if isinstance(value, dict):
        return ""
    if key == "storage.url" and isinstance(value, str):
        value = mask_url_password(value)
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f" (got {text})"


def _config_error_from_validation(exc: ValidationError, context: _LoadContext) -> ConfigError:
    parts: list[str] = []
    keys: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        key = _dotted(loc)
        keys.append(key)
        if error["type"] == "extra_forbidden":
            kind = "section" if len(loc) == 1 else "key"
            text = f"{key}: unknown {kind}{_suggestion(loc)}"
        else:
            message = error["msg"].removeprefix("Value error, ")
            section_key = ".".join(str(part) for part in loc[:2])
            text = f"{key}: {message}{_describe_value(section_key, error['input'])}"
        source = _source_of(loc, context)
        if source:
            text += f" [from {source}]"
        parts.append(text)
    return ConfigError("; ".join(parts), key=keys[0] if len(keys) == 1 else None)


def _is_complex(key: str) -> bool:
    """Whether the env variable for ``key`` must hold JSON (a whole section, or a list)."""
    parts = key.split(".")
    section_field = settings_class().model_fields.get(parts[0])
    if section_field is None or len(parts) > 2:
        return False
    if len(parts) == 1:
        return True
    section_cls = section_field.annotation
    assert isinstance(section_cls, type) and issubclass(section_cls, BaseModel)
    key_field = section_cls.model_fields.get(parts[1])
    return key_field is not None and get_origin(key_field.annotation) is list


def _config_error_from_settings_error(exc: SettingsError, context: _LoadContext) -> ConfigError:
    for var, value in sorted(_cocreate_env(context.environ).items()):
        key = var.removeprefix(ENV_PREFIX).lower().replace(ENV_NESTED_DELIMITER, ".")
        if not _is_complex(key):
            continue
        try:
            json.loads(value)
        except ValueError:
            if "." in key:
                expected = "a JSON list, e.g. [10, 6, 3]"
            else:
                expected = 'a JSON object, e.g. {"title_max": 80}'
            has_secret = any(secret.startswith(f"{key}.") for secret in secret_keys())
            shown = "" if has_secret else f" (got {value!r:.80})"
            return ConfigError(f"{key}: expected {expected}{shown} [from env {var}]", key=key)
    return ConfigError(str(exc).replace(f'"{_EnvSource.__name__}"', "the environment"))


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return json.dumps(value.as_posix(), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (
            f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(v)}" for k, v in value.items()
        )
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    return json.dumps(str(value), ensure_ascii=False)


def render_effective(settings: Settings) -> str:
    """The effective configuration as TOML that `load_settings` reads back to the same
    settings: secrets and unset values appear only as comments."""
    source = str(settings.config_file) if settings.config_file else "none (built-in defaults)"
    lines = [
        f"# config file: {source}",
        f"# database URL: {mask_url_password(settings.database_url)}",
        "# secrets are read only from COCREATE_* environment variables and shown masked",
    ]
    for section_name in type(settings).model_fields:
        section = getattr(settings, section_name)
        assert isinstance(section, BaseModel)
        lines += ["", f"[{section_name}]"]
        for name in type(section).model_fields:
            key = f"{section_name}.{name}"
            value = getattr(section, name)
            if key in secret_keys():  # from the environment only: never a value here
                state = "set, masked" if value is not None else "unset"
                lines.append(f"# {name}: {state} (env {env_var_name(key)})")
            elif value is None:  # TOML has no null: the key is left out
                lines.append(f"# {name}: unset")
            elif key == "storage.url":
                comment = "" if value else "  # default: <data_dir>/cocreate.db"
                url = mask_url_password(settings.database_url)
                lines.append(f"{name} = {_toml_value(url)}{comment}")
            elif key == "console.history_file":
                comment = "" if value else "  # default: <data_dir>/console_history"
                lines.append(f"{name} = {_toml_value(settings.console_history_path)}{comment}")
            else:
                lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
