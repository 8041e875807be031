"""Starting and stopping: `cocreate run`, `cocreate discord sync`, tokens, shards."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import discord
import pytest

from adapters.discord import DiscordPlatform
from adapters.discord.sync import sync_commands
from bot.clock import SystemClock
from bot.commands import registry
from cocreate.bootstrap import build, platforms
from tests.discord.conftest import WAIT, Bot, World, running_challenge, settings_for, vote_count
from tests.discord.fake import FakeDiscord, Fault

ROOT = Path(__file__).resolve().parents[2]


async def test_discord_sync_registers_the_commands_globally(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    assert await sync_commands(settings_for(fake, tmp_path)) == 0
    synced = fake.commands["global"]
    assert {c["name"] for c in synced} >= {"idea", "challenge", "mod", "results"}
    assert not fake.identifies, "REST only: no gateway connection"


async def test_discord_sync_without_a_good_token(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    settings.discord.token = None
    assert await sync_commands(settings) == 2
    fake.faults.append(Fault("GET", r"^/users/@me$", status=401))
    assert await sync_commands(settings_for(fake, tmp_path)) == 1
    assert "global" not in fake.commands


async def test_the_composition_root_builds_the_platform(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    app = await build(settings, SystemClock())
    try:
        (platform,) = platforms(app, settings)
        assert isinstance(platform, DiscordPlatform) and platform.name == "discord"
        settings.discord.token = None
        with pytest.raises(RuntimeError, match="COCREATE_DISCORD__TOKEN"):
            await platform.start()
    finally:
        await app.stop()


async def test_a_refused_token_fails_the_start(fake: FakeDiscord, tmp_path: Path) -> None:
    app = await build(settings_for(fake, tmp_path), SystemClock())
    try:
        platform = DiscordPlatform(app, app.settings, guild_ready_timeout=0.05)
        fake.faults.append(Fault("GET", r"^/users/@me$", status=401))
        with pytest.raises(discord.LoginFailure):
            await platform.start()
        assert platform.client is not None and platform.client.is_closed()
        assert not fake.identifies
    finally:
        await app.stop()


async def test_shards_use_an_auto_sharded_client(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    fake = world.fake
    settings = settings_for(
        fake, tmp_path, guild_ids=[world.guild.id], shard_count=2, moderator_channel=str(world.mods)
    )
    bot = await new_bot(settings).start()
    assert bot.platform is not None
    assert isinstance(bot.platform.client, discord.AutoShardedClient)
    assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    sent = await fake.react(world.ben.id, post, "👍")
    assert len(sent) == 1, "only the guild's shard hears of it"
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1


async def test_cocreate_run_runs_a_challenge_and_stops_on_sigterm(
    fake: FakeDiscord, world: World, tmp_path: Path
) -> None:
    """The way a new user tries it: the real command line, pointed at the fake."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COCREATE_")},
        "COCREATE_CORE__DATA_DIR": str(tmp_path / "data"),
        "COCREATE_DISCORD__ENABLED": "true",
        "COCREATE_DISCORD__TOKEN": "test-token",
        "COCREATE_DISCORD__API_BASE_URL": fake.base_url,
        "COCREATE_DISCORD__GATEWAY_URL": fake.gateway_url,
        "COCREATE_DISCORD__GUILD_IDS": f"[{world.guild.id}]",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cocreate.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until(lambda: fake.connected() and str(world.guild.id) in fake.commands, 30)
        synced = fake.commands[str(world.guild.id)]
        # the slash commands' top-level names, and the message menu "Submit as idea"
        assert len(synced) == len({p[0] for p in _paths()}) + 1
        (post,) = await running_challenge(world, (world.ana, "Oat latte"))
        for person in (world.ben, world.cleo):
            await fake.react(person.id, post, "👍")
        closed = await world.run(world.maya, "challenge close", {"challenge": "snacks"})
        assert "is closed" in closed.embed["title"], closed.text()
        final = fake.posts_in(world.ideas)[-1]["embeds"][0]
        assert "🥇 #1 Oat latte — 2 votes" in final.get("description", "") + str(final)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), WAIT * 2)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"Discord stopped" in stderr


def _paths() -> list[tuple[str, ...]]:
    from adapters.discord.commands import discord_paths

    return list(discord_paths(registry.specs))


async def test_a_restart_syncs_only_when_the_commands_changed(
    new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    path = rf"^/applications/\d+/guilds/{world.guild.id}/commands$"
    first = await new_bot().start()
    await first.stop()
    assert len(fake.requests_to("PUT", path)) == 1
    await new_bot().start()
    assert len(fake.requests_to("PUT", path)) == 1, "nothing changed: no second sync"
    assert len(fake.requests_to("GET", path)) == 2
    # Discord's copy differs (someone edited a description): the next start syncs again.
    fake.commands[str(world.guild.id)][0]["description"] = "stale"
    await new_bot().start()
    assert len(fake.requests_to("PUT", path)) == 2
