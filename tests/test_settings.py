"""Tests for bot.settings: sources, precedence, validation, secrets and rendering."""

from __future__ import annotations

import inspect
import os
import tomllib
from pathlib import Path

import pytest

from bot.plugins import platform_plugins
from bot.settings import (
    ConfigError,
    env_var_name,
    load_settings,
    mask_url_password,
    render_effective,
    secret_keys,
    settings_class,
)

EXAMPLE = Path(__file__).parents[1] / "config.example.toml"


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no COCREATE_* variables in os.environ."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in list(os.environ):
        if name.upper().startswith("COCREATE_"):
            monkeypatch.delenv(name)
    return work


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def error_of(config_path: Path | str | None = None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(config_path, environ={} if environ is None else environ)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("config error: ")
    return message


# --- defaults and sources ---------------------------------------------------------------


def test_defaults_without_file(empty_cwd: Path) -> None:
    settings = load_settings(environ={})
    assert settings.config_file is None
    assert settings.core.data_dir == Path("data")
    assert settings.core.log_level == "INFO"
    assert settings.core.default_timezone == "UTC"
    assert settings.storage.url == ""
    assert settings.storage.busy_timeout_ms == 5000
    assert settings.storage.echo is False
    assert settings.limits.title_max == 100
    assert settings.limits.description_max == 1500
    assert settings.limits.reason_max == 500
    assert settings.limits.ideas_per_member == 3
    assert settings.limits.page_size == 10
    assert settings.badges.voice_votes == 10
    assert settings.badges.crowd_favourite_votes == 10
    assert settings.badges.regular_weeks == 3
    assert settings.points.idea_published == 3
    assert settings.points.vote_received == 1
    assert settings.points.vote_cast == 1
    assert settings.points.vote_cast_weekly_cap == 10
    assert settings.points.podium == [10, 6, 3]
    assert settings.points.shipped == 15
    assert settings.leaderboard.season_months == 3
    assert settings.similarity.threshold == 0.5
    assert settings.similarity.max_hints == 3
    assert settings.console.community == "console"
    assert settings.console.channel == "general"
    assert settings.console_history_path == Path("data") / "console_history"
    assert settings.discord.enabled is False
    assert settings.discord.token is None
    assert settings.slack.enabled is False
    assert settings.slack.bot_token is None
    assert settings.slack.signing_secret is None
    assert settings.slack.app_token is None
    assert settings.database_url == "sqlite+aiosqlite:///data/cocreate.db"


def test_defaults_read_os_environ_when_environ_not_given(
    empty_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCREATE_LIMITS__PAGE_SIZE", "5")
    monkeypatch.setenv("PAGE_SIZE", "7")  # not ours: ignored
    assert load_settings().limits.page_size == 5


def test_values_from_file(empty_cwd: Path) -> None:
    path = write(
        empty_cwd / "custom.toml",
        """
[core]
data_dir = "/srv/cocreate"
log_level = "debug"
default_timezone = "Europe/Paris"

[limits]
title_max = 80

[points]
podium = [5, 3, 1]

[leaderboard]
season_months = 6

[similarity]
threshold = 1

[discord]
enabled = true
""",
    )
    settings = load_settings(path, environ={})
    assert settings.config_file == path.absolute()
    assert settings.core.data_dir == Path("/srv/cocreate")
    assert settings.core.log_level == "DEBUG"
    assert settings.core.timezone.key == "Europe/Paris"
    assert settings.limits.title_max == 80
    assert settings.limits.page_size == 10  # untouched keys keep their default
    assert settings.points.podium == [5, 3, 1]
    assert settings.leaderboard.season_months == 6
    assert settings.similarity.threshold == 1.0
    assert settings.discord.enabled is True
    assert settings.database_url == "sqlite+aiosqlite:////srv/cocreate/cocreate.db"


def test_env_overrides_file(empty_cwd: Path) -> None:
    path = write(empty_cwd / "c.toml", "[limits]\ntitle_max = 80\npage_size = 20\n")
    settings = load_settings(
        path,
        environ={
            "COCREATE_LIMITS__TITLE_MAX": "60",
            "COCREATE_POINTS__PODIUM": "[3, 2, 1]",
            "COCREATE_STORAGE__ECHO": "true",
        },
    )
    assert settings.limits.title_max == 60
    assert settings.limits.page_size == 20
    assert settings.points.podium == [3, 2, 1]
    assert settings.storage.echo is True


def test_cocreate_config_env_var(empty_cwd: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere.toml", "[limits]\npage_size = 7\n")
    write(empty_cwd / "cocreate.toml", "[limits]\npage_size = 3\n")  # loses to COCREATE_CONFIG
    settings = load_settings(environ={"COCREATE_CONFIG": str(path)})
    assert settings.limits.page_size == 7
    assert settings.config_file == path


def test_explicit_path_beats_cocreate_config(empty_cwd: Path, tmp_path: Path) -> None:
    explicit = write(tmp_path / "explicit.toml", "[limits]\npage_size = 4\n")
    other = write(tmp_path / "other.toml", "[limits]\npage_size = 7\n")
    settings = load_settings(explicit, environ={"COCREATE_CONFIG": str(other)})
    assert settings.limits.page_size == 4


def test_cocreate_config_missing_file(empty_cwd: Path) -> None:
    message = error_of(environ={"COCREATE_CONFIG": "nowhere.toml"})
    assert "nowhere.toml" in message
    assert "COCREATE_CONFIG" in message


def test_discovers_cocreate_toml_in_cwd(empty_cwd: Path) -> None:
    write(empty_cwd / "cocreate.toml", "[console]\ncommunity = 'lab'\n")
    settings = load_settings(environ={})
    assert settings.console.community == "lab"
    assert settings.config_file is not None
    assert settings.config_file.resolve() == (empty_cwd / "cocreate.toml").resolve()
    first_line = render_effective(settings).splitlines()[0]
    assert first_line == f"# config file: {settings.config_file}"


def test_explicit_missing_file(empty_cwd: Path) -> None:
    message = error_of(empty_cwd / "missing.toml")
    assert "not found" in message
    assert "missing.toml" in message


# --- validation errors ------------------------------------------------------------------


def test_bad_value_names_key_value_and_file(empty_cwd: Path) -> None:
    write(empty_cwd / "cocreate.toml", "[limits]\ntitle_max = -5\n")
    message = error_of()
    assert "limits.title_max" in message
    assert "-5" in message
    assert "cocreate.toml" in message


def test_bad_value_from_env_names_variable(empty_cwd: Path) -> None:
    message = error_of(environ={"COCREATE_LIMITS__PAGE_SIZE": "26"})
    assert "limits.page_size" in message
    assert "'26'" in message
    assert "COCREATE_LIMITS__PAGE_SIZE" in message


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[core]\nlog_level = 'LOUD'\n", "core.log_level"),
        ("[core]\ndefault_timezone = 'Mars/Olympus'\n", "core.default_timezone"),
        ("[storage]\nbusy_timeout_ms = 0\n", "storage.busy_timeout_ms"),
        ("[limits]\nideas_per_member = 101\n", "limits.ideas_per_member"),
        ("[limits]\npage_size = 0\n", "limits.page_size"),
        ("[badges]\nregular_weeks = 0\n", "badges.regular_weeks"),
        ("[points]\npodium = [10, 6]\n", "points.podium"),
        ("[points]\npodium = [10, 6, -1]\n", "points.podium"),
        ("[leaderboard]\nseason_months = 5\n", "leaderboard.season_months"),
        ("[similarity]\nthreshold = 0\n", "similarity.threshold"),
        ("[similarity]\nthreshold = 1.5\n", "similarity.threshold"),
        ("[limits]\ntitle_max = 'many'\n", "limits.title_max"),
    ],
)
def test_invalid_values(empty_cwd: Path, toml: str, key: str) -> None:
    path = write(empty_cwd / "c.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert key in str(info.value)
    assert info.value.key == key


def test_unknown_key(empty_cwd: Path) -> None:
    path = write(empty_cwd / "c.toml", "[limits]\ntitle_mx = 80\n")
    message = error_of(path)
    assert "limits.title_mx" in message
    assert "unknown" in message
    assert "limits.title_max" in message  # suggestion


def test_unknown_section(empty_cwd: Path) -> None:
    message = error_of(write(empty_cwd / "c.toml", "[limitz]\ntitle_max = 80\n"))
    assert "limitz" in message
    assert "unknown" in message


def test_unknown_key_from_env(empty_cwd: Path) -> None:
    message = error_of(environ={"COCREATE_LIMITS__TITLEMAX": "80"})
    assert "limits.titlemax" in message
    assert "COCREATE_LIMITS__TITLEMAX" in message


def test_bad_json_list_from_env(empty_cwd: Path) -> None:
    message = error_of(environ={"COCREATE_POINTS__PODIUM": "10,6,3"})
    assert "points.podium" in message
    assert "COCREATE_POINTS__PODIUM" in message


def test_bad_toml_syntax(empty_cwd: Path) -> None:
    path = write(empty_cwd / "broken.toml", "[core]\nlog_level = \n")
    message = error_of(path)
    assert "broken.toml" in message
    assert "line 2" in message


def test_several_errors_on_one_line(empty_cwd: Path) -> None:
    path = write(empty_cwd / "c.toml", "[limits]\ntitle_max = 0\npage_size = 99\n")
    message = error_of(path)
    assert "limits.title_max" in message
    assert "limits.page_size" in message


# --- secrets ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", secret_keys())
def test_secret_in_file_is_refused(empty_cwd: Path, key: str) -> None:
    section, name = key.split(".")
    path = write(empty_cwd / "c.toml", f'[{section}]\n{name} = "super-secret-value"\n')
    message = error_of(path)
    assert f"{key} is a secret" in message
    assert env_var_name(key) in message
    assert "super-secret-value" not in message


def test_secret_keys() -> None:
    assert set(secret_keys()) == {
        "discord.token",
        "slack.bot_token",
        "slack.signing_secret",
        "slack.app_token",
        "slack.client_secret",
        "webhooks.secret_key",
    }


def test_secret_from_env_is_masked(empty_cwd: Path) -> None:
    secret = "xoxb-very-secret-token"
    settings = load_settings(
        environ={"COCREATE_DISCORD__TOKEN": secret, "COCREATE_SLACK__BOT_TOKEN": secret}
    )
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == secret
    rendered = render_effective(settings)
    assert secret not in rendered
    assert secret not in repr(settings)
    assert secret not in str(settings)
    assert "# token: set, masked (env COCREATE_DISCORD__TOKEN)" in rendered
    assert "# bot_token: set, masked (env COCREATE_SLACK__BOT_TOKEN)" in rendered
    assert "# signing_secret: unset (env COCREATE_SLACK__SIGNING_SECRET)" in rendered


def test_the_effective_configuration_is_toml_that_reads_back_alike(
    empty_cwd: Path, tmp_path: Path
) -> None:
    config = tmp_path / "in.toml"
    config.write_text(
        '[discord]\nshard_count = 2\nmoderator_channels = { "123" = "456" }\n'
        "[limits]\ntitle_max = 80\n"
    )
    settings = load_settings(config, environ={"COCREATE_DISCORD__TOKEN": "secret-value"})
    rendered = render_effective(settings)
    parsed = tomllib.loads(rendered)  # valid TOML, of the types the settings take
    assert parsed["discord"]["shard_count"] == 2 and parsed["limits"]["title_max"] == 80
    assert "token" not in parsed["discord"] and "secret-value" not in rendered
    assert "shard_ids" not in parsed["discord"]  # unset: a comment
    again = tmp_path / "again.toml"
    again.write_text(rendered)
    reread = load_settings(again, environ={"COCREATE_DISCORD__TOKEN": "secret-value"})
    assert reread.database_url == settings.database_url
    assert reread.console_history_path == settings.console_history_path
    for section in type(settings).model_fields:
        if section in ("storage", "console"):
            continue  # their defaults derive from data_dir: compared as effective above
        assert getattr(reread, section) == getattr(settings, section), section


def test_blank_secret_is_unset(empty_cwd: Path) -> None:
    settings = load_settings(environ={"COCREATE_DISCORD__TOKEN": "  "})
    assert settings.discord.token is None


# --- storage URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_storage_url_normalised(empty_cwd: Path, url: str, expected: str) -> None:
    settings = load_settings(environ={"COCREATE_STORAGE__URL": url})
    assert settings.database_url == expected


def test_storage_url_default_under_data_dir(empty_cwd: Path, tmp_path: Path) -> None:
    path = write(empty_cwd / "c.toml", f'[core]\ndata_dir = "{tmp_path.as_posix()}/d"\n')
    settings = load_settings(path, environ={})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/d/cocreate.db"
    assert settings.console_history_path == tmp_path / "d" / "console_history"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "no-scheme"])
def test_storage_url_unsupported(empty_cwd: Path, url: str) -> None:
    message = error_of(environ={"COCREATE_STORAGE__URL": url})
    assert "storage.url" in message


def test_storage_url_password_masked(empty_cwd: Path) -> None:
    url = "postgresql://cocreate:hunter2@db.example/cocreate"
    settings = load_settings(environ={"COCREATE_STORAGE__URL": url})
    assert settings.database_url == "postgresql+asyncpg://cocreate:hunter2@db.example/cocreate"
    rendered = render_effective(settings)
    assert "hunter2" not in rendered
    assert "postgresql+asyncpg://cocreate:***@db.example/cocreate" in rendered
    assert "hunter2" not in repr(settings)
    message = error_of(environ={"COCREATE_STORAGE__URL": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in message


def test_mask_url_password() -> None:
    assert mask_url_password("postgresql+asyncpg://u:p@h/db") == "postgresql+asyncpg://u:***@h/db"
    assert mask_url_password("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert mask_url_password("sqlite+aiosqlite:///data/x.db") == "sqlite+aiosqlite:///data/x.db"


# --- rendering and the example file -----------------------------------------------------


def test_render_effective_lists_every_key(empty_cwd: Path) -> None:
    settings = load_settings(environ={})
    rendered = render_effective(settings)
    lines = rendered.splitlines()
    assert lines[0] == "# config file: none (built-in defaults)"
    assert "sqlite+aiosqlite:///data/cocreate.db" in rendered
    for section, section_field in settings_class().model_fields.items():
        assert f"[{section}]" in lines
        section_cls = section_field.annotation
        assert section_cls is not None
        for name in section_cls.model_fields:
            shown = (f"{name} = ", f"# {name}: ")  # a value, or unset or secret
            assert any(line.startswith(shown) for line in lines), f"{section}.{name}"


def test_render_effective_is_toml_without_secrets(empty_cwd: Path) -> None:
    data = tomllib.loads(render_effective(load_settings(environ={})))
    assert data["limits"]["title_max"] == 100
    assert data["points"]["podium"] == [10, 6, 3]


def test_example_config_loads_to_defaults(empty_cwd: Path) -> None:
    example = load_settings(EXAMPLE, environ={})
    defaults = load_settings(environ={})
    assert example.config_file == EXAMPLE
    assert example.model_dump() == defaults.model_dump()


def _example_of(section: str) -> Path:
    """config.example.toml, or a platform adapter's own one in its folder."""
    plugin = platform_plugins().get(section)
    if plugin is not None:
        own = Path(inspect.getfile(plugin.settings)).parent / "config.example.toml"
        if own.is_file():
            return own
    return EXAMPLE


def test_example_config_documents_every_setting() -> None:
    for section, section_field in settings_class().model_fields.items():
        text = _example_of(section).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        section_cls = section_field.annotation
        assert section_cls is not None
        for name in section_cls.model_fields:
            key = f"{section}.{name}"
            if key in secret_keys():
                assert name not in data.get(section, {})
                assert env_var_name(key) in text
            elif section_cls.model_fields[name].default is None:
                assert f"# {name} = " in text, key  # no TOML for "unset": shown commented
            else:
                assert name in data[section], key


def test_workspace_shards_share_out_the_read_backs(empty_cwd: Path) -> None:
    teams = [f"T{n:08d}" for n in range(200)]
    shards = [
        load_settings(
            environ={
                "COCREATE_SLACK__WORKSPACE_SHARDS": "3",
                "COCREATE_SLACK__WORKSPACE_SHARD": str(n),
            }
        ).slack
        for n in range(3)
    ]
    for team in teams:  # each workspace is read back by exactly one process
        assert sum(s.reads_back(team) for s in shards) == 1
    assert all(sum(s.reads_back(t) for t in teams) > 40 for s in shards)
    assert all(load_settings(environ={}).slack.reads_back(t) for t in teams)
    with pytest.raises(ConfigError, match="workspace_shard"):
        load_settings(
            environ={
                "COCREATE_SLACK__WORKSPACE_SHARDS": "2",
                "COCREATE_SLACK__WORKSPACE_SHARD": "2",
            }
        )
