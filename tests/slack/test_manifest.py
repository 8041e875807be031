"""`cocreate slack manifest`: an app manifest built from the core's command specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.slack.manifest import BOT_SCOPES, manifest
from bot.commands import registry
from bot.settings import load_settings
from cocreate.cli import main


def settings_with(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    config = tmp_path / "cocreate.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(
        config_path=config, environ={f"COCREATE_SLACK__{k.upper()}": v for k, v in env.items()}
    )


def test_every_command_of_the_core_is_reachable_through_the_four_slash_commands(
    tmp_path: Path,
) -> None:
    app = manifest(settings_with(tmp_path, public_url="https://bot.example.org/"))
    commands = {c["command"]: c for c in app["features"]["slash_commands"]}
    assert set(commands) == {"/idea", "/challenge", "/mod", "/cocreate"}
    for spec in registry.specs:
        on_slack = [p for p in (spec.path, *spec.aliases) if f"/{p[0]}" in commands]
        assert on_slack, f"{spec.name} cannot be reached from Slack"
        for path in on_slack:
            command = commands[f"/{path[0]}"]
            assert " ".join(path[1:]) in command["usage_hint"]
            assert " ".join(path[1:]) in command["description"]
    for command in commands.values():
        assert command["url"] == "https://bot.example.org/slack/events"
        assert command["should_escape"] is True
        assert len(command["usage_hint"]) <= 1000
    assert "edit <#n>" in commands["/idea"]["usage_hint"]
    settings = app["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == "https://bot.example.org/slack/events"
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://bot.example.org/slack/events",
    }
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "reaction_added",
        "reaction_removed",
    }
    assert app["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert {"commands", "chat:write", "reactions:read", "reactions:write", "users:read"} <= set(
        BOT_SCOPES
    )
    assert "redirect_urls" not in app["oauth_config"]
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert 175 <= len(app["display_information"]["long_description"]) <= 4000


def test_socket_mode_needs_no_urls_and_oauth_adds_the_redirect(tmp_path: Path) -> None:
    app = manifest(settings_with(tmp_path, mode="socket"))
    assert app["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in app["settings"]["event_subscriptions"]
    assert all("url" not in c for c in app["features"]["slash_commands"])

    oauth = manifest(
        settings_with(
            tmp_path, public_url="https://bot.example.org", client_id="1.2", client_secret="s"
        )
    )
    assert oauth["oauth_config"]["redirect_urls"] == [
        "https://bot.example.org/slack/oauth_redirect"
    ]
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        oauth["settings"]["event_subscriptions"]["bot_events"]
    )


def test_the_cli_prints_the_manifest_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COCREATE_SLACK__PUBLIC_URL", "https://bot.example.org")
    monkeypatch.setenv("COCREATE_SLACK__CLIENT_SECRET", "never-printed-secret")
    assert main(["slack", "manifest"]) == 0
    out = capsys.readouterr().out
    app = json.loads(out)
    assert app["display_information"]["name"] == "Cocreate"
    assert "never-printed-secret" not in out
