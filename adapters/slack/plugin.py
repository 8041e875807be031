"""The Slack adapter's registration (entry point `cocreate.platforms: slack`).

Light on purpose: loading the settings must not import slack-bolt."""

from __future__ import annotations

import json
from collections.abc import Sequence

from adapters.slack.config import slack_config
from adapters.slack.settings import SlackSettings
from bot.plugins import PlatformCommand, PlatformPlugin
from bot.ports import Core, Platform
from bot.settings import ConfigError, Settings


def _create(core: Core, settings: Settings) -> Platform:
    from adapters.slack.platform import SlackPlatform

    return SlackPlatform(core, settings)


def _problems(settings: Settings) -> Sequence[ConfigError]:
    try:
        slack_config(settings)
    except ConfigError as err:
        return (err,)
    return ()


def _manifest(settings: Settings) -> int:
    from adapters.slack.manifest import manifest

    print(json.dumps(manifest(settings), indent=2, ensure_ascii=False))
    return 0


plugin = PlatformPlugin(
    name="slack",
    title="Slack",
    settings=SlackSettings,
    create=_create,
    problems=_problems,
    commands=(PlatformCommand("manifest", "print the app manifest", _manifest),),
)
