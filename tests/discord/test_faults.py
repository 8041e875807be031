"""Faults from the fake: rate limits, server errors, time-outs, missing permissions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.resilience import RetryPolicy
from bot.messages import Card, CommunityRef, Post, PostKind, PostReceipt
from bot.model import BadgeKind
from bot.settings import Settings
from tests.discord.conftest import (
    FAST,
    Bot,
    World,
    running_challenge,
    settings_for,
    vote_count,
)
from tests.discord.fake import Fault


def idea_posts(world: World) -> list[dict[str, Any]]:
    return [
        m
        for m in world.fake.posts_in(world.ideas)
        if str(m["embeds"][0].get("title", "")).startswith("💡")
    ]


async def test_a_429_and_a_500_do_not_lose_a_post(bot: Bot, world: World) -> None:
    fake = world.fake
    await running_challenge(world)
    path = rf"^/channels/{world.ideas}/messages$"
    before = len(fake.requests_to("POST", path))
    fake.faults.append(Fault("POST", path, status=500))  # discord.py retries it after 1 s
    fake.faults.append(Fault("POST", path, status=429, retry_after=0.05))
    record = await world.run(
        world.ana, "idea submit", {"title": "Oat latte", "description": "Creamy."}
    )
    assert "#1 is in" in record.embed["title"], record.text()
    assert not record.embed.get("footer"), "no post was reported as unsent"
    assert [f.hits for f in fake.faults] == [1, 1]
    assert bot.app is not None  # /metrics counts each call by route and status
    registry = bot.app.metrics.registry
    route = {"platform": "discord", "method": "POST /channels/{id}/messages"}
    for status in ("500", "429", "200"):
        calls = registry.get_sample_value(
            "cocreate_platform_api_calls_total", {**route, "status": status}
        )
        assert (calls or 0) >= 1, status
    acks = registry.get_sample_value("cocreate_ack_seconds_count", {"platform": "discord"})
    assert (acks or 0) >= 1
    assert len(idea_posts(world)) == 1, "posted exactly once"
    assert len(fake.requests_to("POST", path)) == before + 3
    # The post's receipt was kept: votes on it count.
    post = int(idea_posts(world)[0]["id"])
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1


async def test_a_503_and_a_timeout_are_retried_without_a_duplicate(
    new_bot: Callable[..., Bot], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    bot = await new_bot(policy=RetryPolicy(attempts=4, timeout=0.3, base_delay=0.01)).start()
    await running_challenge(world)
    path = rf"^/channels/{world.ideas}/messages$"
    fake.faults.append(Fault("POST", path, status=503))
    # The next attempt is applied by the fake, but its answer never comes back.
    fake.faults.append(Fault("POST", path, hang="after"))
    caplog.set_level(logging.WARNING, logger="cocreate.discord")
    record = await world.run(
        world.ana, "idea submit", {"title": "Oat latte", "description": "Creamy."}
    )
    assert "#1 is in" in record.embed["title"], record.text()
    attempts = fake.requests_to("POST", path)[-3:]
    assert len({a.body["nonce"] for a in attempts}) == 1, "every attempt carries one nonce"
    assert all(a.body.get("enforce_nonce") for a in attempts)
    assert len(idea_posts(world)) == 1, "the retry after the time-out did not post twice"
    retries = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert any("HTTP 503" in m for m in retries) and any("timed out" in m for m in retries)
    assert bot.app is not None
    retried = bot.app.metrics.registry.get_sample_value(
        "cocreate_platform_api_retries_total", {"platform": "discord", "method": "rest"}
    )
    assert (retried or 0) >= 2
    post = int(idea_posts(world)[0]["id"])
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1


async def test_reading_votes_back_survives_server_errors(
    new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    bot = await new_bot().start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    await bot.stop()
    for person in (world.ben, world.cleo, world.dan):
        await fake.react(person.id, post, "👍", deliver=False)
    fake.faults.append(Fault("GET", r"/reactions/", status=503, count=2))
    fake.faults.append(Fault("GET", r"/reactions/", status=429, retry_after=0.02))
    restarted = await new_bot().start()
    assert [f.hits for f in fake.faults] == [2, 1]
    assert await vote_count(restarted, world.guild, 1) == 3


def spark_role(world: World, tmp_path: Path) -> tuple[Settings, int]:
    """Settings whose 💡 Spark badge grants a role of the guild, and that role's id."""
    sparks = world.fake.add_role(world.guild, "Sparks")
    settings = settings_for(
        world.fake,
        tmp_path,
        guild_ids=[world.guild.id],
        moderator_channel=str(world.mods),
        badge_roles={"spark": str(sparks)},
    )
    return settings, sparks


async def test_badge_roles_are_granted(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    fake = world.fake
    settings, sparks = spark_role(world, tmp_path)
    bot = await new_bot(settings).start()
    await running_challenge(world, (world.ana, "Oat latte"))
    await bot.idle()
    assert (world.guild.id, world.ana.id, sparks) in fake.role_grants
    grants = fake.requests_to("PUT", rf"/members/{world.ana.id}/roles/{sparks}$")
    assert len(grants) == 1


async def test_a_badge_role_that_discord_keeps_failing_is_raised_for_a_later_try(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    """A 503 that outlasts the retries is raised (the core tells the badge again later:
    tests/test_badge_news.py); a member who left (404) is not worth another try."""
    fake = world.fake
    settings, sparks = spark_role(world, tmp_path)
    bot = await new_bot(settings).start()
    publisher = bot.core.publishers["discord"]
    guild = CommunityRef("discord", str(world.guild.id), "Guild")
    path = rf"/members/{world.ana.id}/roles/{sparks}$"
    fake.faults.append(Fault("PUT", path, status=503, count=FAST.attempts))
    with pytest.raises(discord.HTTPException):
        await publisher.badge_awarded(guild, str(world.ana.id), BadgeKind.SPARK)
    assert not fake.role_grants
    await publisher.badge_awarded(guild, str(world.ana.id), BadgeKind.SPARK)
    assert (world.guild.id, world.ana.id, sparks) in fake.role_grants
    fake.faults.append(Fault("PUT", rf"/members/{world.ben.id}/roles/", status=404))
    await publisher.badge_awarded(guild, str(world.ben.id), BadgeKind.SPARK)  # not raised


async def test_an_idea_post_update_that_discord_keeps_failing_is_raised_for_a_later_try(
    bot: Bot, world: World
) -> None:
    """A 503 that outlasts the retries is raised (the change's follow-up shows the post
    again later: tests/test_followups.py); a 403 is logged, not worth another try."""
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    publisher = bot.core.publishers["discord"]
    guild = CommunityRef("discord", str(world.guild.id), "Guild")
    receipt = PostReceipt(str(world.ideas), str(post))
    shown = Post(str(world.ideas), PostKind.IDEA, Card("💡 #1 Oat latte", "Creamy."), 1, 1)
    path = rf"^/channels/{world.ideas}/messages/{post}$"
    fake = world.fake
    fake.faults.append(Fault("PATCH", path, status=503, count=FAST.attempts))
    with pytest.raises(discord.HTTPException):
        await publisher.update(guild, receipt, shown)
    fake.faults.append(Fault("PATCH", path, status=403))
    await publisher.update(guild, receipt, shown)  # not raised
    await publisher.update(guild, receipt, shown)
    assert fake.messages[post]["embeds"][0]["description"] == "Creamy."


async def test_a_missing_permission_for_badge_roles_is_told_not_fatal(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    fake.forbid_role_grants = True
    settings, sparks = spark_role(world, tmp_path)
    bot = await new_bot(settings).start()
    caplog.set_level(logging.WARNING, logger="cocreate.discord")
    await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai"))
    await bot.idle()
    assert not fake.role_grants
    assert any("Manage Roles" in r.getMessage() for r in caplog.records)
    notices = [m for m in fake.posts_in(world.mods) if "badge role" in m["embeds"][0]["title"]]
    assert len(notices) == 1, "told once, not for every badge"
    assert f"<@&{sparks}>" in notices[0]["embeds"][0]["description"]
    # Still fully working.
    answer = await world.run(world.cleo, "results")
    assert "Oat latte" in answer.text()


async def test_review_posts_without_a_moderator_channel_are_skipped(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    settings = settings_for(fake, tmp_path, guild_ids=[world.guild.id])
    await new_bot(settings).start()
    caplog.set_level(logging.INFO, logger="cocreate.discord")
    await running_challenge(world, review=True)
    record = await world.run(
        world.ana, "idea submit", {"title": "Oat latte", "description": "Creamy."}
    )
    assert "#1 is in" in record.embed["title"]
    assert not record.embed.get("footer"), "the member is not told about the moderators' setup"
    assert not fake.posts_in(world.mods)
    assert any("no discord.moderator_channel" in r.getMessage() for r in caplog.records)
