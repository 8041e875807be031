"""The registry of platform adapters: what an entry point brings, and that nothing else is
needed for a platform to have its settings, its start-up checks, its commands and its
place in `cocreate run`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

import pytest
from pydantic import Field, SecretStr

from bot import plugins
from bot import settings as settings_module
from bot.plugins import ENTRY_POINT_GROUP, PlatformCommand, PlatformPlugin, platform_plugins
from bot.ports import Core, Platform
from bot.settings import ConfigError, PlatformSection, Settings, load_settings, render_effective
from cocreate.bootstrap import platforms
from cocreate.cli import EXIT_CONFIG, main
from cocreate.startup import check_platforms


class PigeonSettings(PlatformSection):
    """``[pigeon]``: a platform that exists only in this test."""

    loft: str = Field(default="roof", description="Where the pigeons live.")
    key: SecretStr | None = Field(default=None, description="Secret, env only.")


class PigeonPlatform:
    name = "pigeon"

    def __init__(self, core: Core, settings: Settings) -> None:
        self.loft = settings.section("pigeon", PigeonSettings).loft

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def connected(self) -> bool:
        return True


def _problems(settings: Settings) -> Sequence[ConfigError]:
    if settings.section("pigeon", PigeonSettings).key is None:
        return (ConfigError("pigeon.key is not set", key="pigeon.key"),)
    return ()


def _coo(settings: Settings) -> int:
    print("coo from", settings.section("pigeon", PigeonSettings).loft)
    return 0


def _create(core: Core, settings: Settings) -> Platform:
    return PigeonPlatform(core, settings)


pigeon = PlatformPlugin(
    name="pigeon",
    title="Pigeon post",
    settings=PigeonSettings,
    create=_create,
    problems=_problems,
    commands=(PlatformCommand("coo", "say hello", _coo),),
)


def _clear() -> None:
    platform_plugins.cache_clear()
    settings_module.settings_class.cache_clear()
    settings_module.secret_keys.cache_clear()


@pytest.fixture
def with_pigeon(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The registry as if a package had declared `pigeon = "tests.test_plugins:pigeon"`."""
    installed = metadata.entry_points(group=ENTRY_POINT_GROUP)
    extra = metadata.EntryPoint("pigeon", "tests.test_plugins:pigeon", ENTRY_POINT_GROUP)

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        assert group == ENTRY_POINT_GROUP
        return [*installed, extra]

    monkeypatch.setattr(plugins, "entry_points", entry_points)
    _clear()
    yield
    monkeypatch.undo()
    _clear()


def test_discord_and_slack_are_found_through_their_entry_points() -> None:
    found = platform_plugins()
    assert {"discord", "slack"} <= set(found)
    settings = load_settings(environ={"COCREATE_SLACK__ENABLED": "true"})
    assert settings.platforms["slack"].enabled is True
    assert settings.platforms["discord"].enabled is False
    assert {"discord.token", "slack.bot_token"} <= set(settings_module.secret_keys())


@pytest.mark.usefixtures("with_pigeon")
def test_a_registered_platform_has_its_section_secrets_checks_commands_and_place(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = load_settings(
        environ={"COCREATE_PIGEON__ENABLED": "true", "COCREATE_PIGEON__LOFT": "barn"}
    )
    assert settings.section("pigeon", PigeonSettings).loft == "barn"
    assert "pigeon.key" in settings_module.secret_keys()
    assert "[pigeon]" in render_effective(settings)
    assert "# key: unset (env COCREATE_PIGEON__KEY)" in render_effective(settings)

    with pytest.raises(ConfigError, match=r"pigeon\.key is not set"):
        check_platforms(settings)
    keyed = load_settings(
        environ={"COCREATE_PIGEON__ENABLED": "true", "COCREATE_PIGEON__KEY": "s3cret"}
    )
    check_platforms(keyed)
    made = platforms(object(), keyed)  # type: ignore[arg-type]
    assert [p.name for p in made] == ["pigeon"]

    assert main(["pigeon", "coo"]) == 0
    assert "coo from roof" in capsys.readouterr().out


@pytest.mark.usefixtures("with_pigeon")
def test_a_platform_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[pigeon]\nkey = "in the file"\n')
    with pytest.raises(ConfigError, match="COCREATE_PIGEON__KEY"):
        load_settings(config, environ={})


def test_a_section_nobody_registered_is_an_unknown_section(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[pigeon]\nenabled = true\n")
    with pytest.raises(ConfigError, match="pigeon: unknown section"):
        load_settings(config, environ={})
    assert main(["--config", str(config), "config", "check"]) == EXIT_CONFIG


def test_an_entry_point_that_is_not_a_plugin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = metadata.EntryPoint("pigeon", "tests.test_plugins:PigeonSettings", ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugins, "entry_points", lambda *, group: [wrong])
    platform_plugins.cache_clear()
    try:
        with pytest.raises(TypeError, match="not the PlatformPlugin named 'pigeon'"):
            platform_plugins()
    finally:
        monkeypatch.undo()
        platform_plugins.cache_clear()


def test_loading_the_settings_loads_no_platform_sdk() -> None:
    """The registry reads each adapter's plugin.py: that must stay light (startup time)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bot.settings import load_settings\n"
        "load_settings(environ={})\n"
        "print(sorted(m for m in ('discord', 'slack_bolt', 'slack_sdk') if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
