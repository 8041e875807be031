"""Files that go with replies and posts, and configuration mistakes caught at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.slack.config import slack_config
from adapters.slack.platform import SlackPlatform
from adapters.slack.translate import community
from bot.messages import Attachment, Card, Post, PostKind
from bot.settings import ConfigError
from tests.slack.conftest import (
    APP_TOKEN,
    World,
    open_challenge,
    running_world,
    slack_settings,
    submit,
    text_of,
)
from tests.slack.fake_slack import FakeSlack


async def test_an_export_goes_to_the_moderators_direct_messages(world: World) -> None:
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    answer = await world.ask("/cocreate export flavour", user="U_MAYA")
    assert "Export of 'Flavour'" in answer
    assert "in your direct messages with Cocreate" in answer
    ((channel, files),) = world.fake.files
    assert channel == "DU_MAYA"
    ((title, content),) = files
    assert title.endswith(".csv") and b"Lavender" in content


async def test_a_post_with_files_uploads_them_after_the_message(world: World) -> None:
    await open_challenge(world)
    chart = Attachment("chart.png", b"\x89PNG...", "image/png")
    receipt = await world.platform.publisher.publish(
        community("T1"),
        Post("C_BRAND", PostKind.REPORT, Card("Weekly report", "Figures"), attachments=(chart,)),
    )
    assert receipt.channel_id == "C_BRAND"
    assert world.fake.files == [("C_BRAND", [("chart.png", b"\x89PNG...")])]
    assert "Weekly report" in text_of({"blocks": world.fake.posts("C_BRAND")[0].blocks})


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"COCREATE_SLACK__BOT_TOKEN": ""}, "slack.bot_token"),
        ({"COCREATE_SLACK__SIGNING_SECRET": ""}, "slack.signing_secret"),
        ({"COCREATE_SLACK__MODE": "socket"}, "slack.app_token"),
        ({"COCREATE_SLACK__CLIENT_ID": "1.2"}, "slack.client_secret"),
        ({"COCREATE_SLACK__CLIENT_SECRET": "s"}, "slack.client_id"),
    ],
)
def test_missing_settings_are_named(
    tmp_path: Path, fake: FakeSlack, env: dict[str, str], key: str
) -> None:
    settings = slack_settings(tmp_path, fake, {"COCREATE_SLACK__BOT_TOKEN": "xoxb-x", **env})
    with pytest.raises(ConfigError) as caught:
        slack_config(settings)
    assert caught.value.key == key
    assert "COCREATE_SLACK__" in str(caught.value) or key == "slack.client_id"


def test_the_config_never_shows_its_secrets(tmp_path: Path, fake: FakeSlack) -> None:
    settings = slack_settings(tmp_path, fake)
    config = slack_config(settings)
    assert config.bot_token and config.bot_token not in repr(config)
    assert config.signing_secret and config.signing_secret not in repr(config)


async def test_refused_tokens_fail_the_start_with_the_key(tmp_path: Path, fake: FakeSlack) -> None:
    with pytest.raises(ConfigError) as caught:
        async with running_world(tmp_path, fake, env={"COCREATE_SLACK__BOT_TOKEN": "xoxb-wrong"}):
            pass
    assert caught.value.key == "slack.bot_token" and "invalid_auth" in str(caught.value)

    socket = {"COCREATE_SLACK__MODE": "socket", "COCREATE_SLACK__APP_TOKEN": APP_TOKEN}
    with pytest.raises(ConfigError) as caught:  # the fake does not know this app token
        async with running_world(tmp_path, fake, env=socket):
            pass
    assert caught.value.key == "slack.app_token"


def test_the_platform_keeps_the_composition_roots_names() -> None:
    from adapters.slack import SlackPlatform as exported

    assert exported is SlackPlatform
    assert SlackPlatform.name == "slack"
