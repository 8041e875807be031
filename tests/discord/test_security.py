"""Mentions that ping nobody, moderators only where it matters, one guild never another's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.discord import payloads as p
from tests.discord.conftest import (
    Bot,
    World,
    reaction_log,
    running_challenge,
    settings_for,
    vote_count,
)
from tests.discord.fake import INTENT_GUILD_MESSAGE_REACTIONS, embed_text


async def test_mentions_in_idea_text_ping_nobody(bot: Bot, world: World) -> None:
    fake = world.fake
    await running_challenge(world)
    role = fake.role_id(world.guild, "Helpers")
    title = "@everyone and @here look"
    description = f"Hey <@{world.ben.id}> and <@&{role}> and <@!{world.cleo.id}>, @everyone!"
    record = await world.run(world.ana, "idea submit", {"title": title, "description": description})
    assert "#1 is in" in record.embed["title"], record.text()
    post = fake.idea_message(1)
    text = embed_text(post["embeds"][0])
    assert "@everyone" not in text and "@here" not in text, text
    assert f"<@{world.ben.id}>" not in text and f"<@&{role}>" not in text, text
    assert not post["content"], "nothing outside the embed"
    bodies = fake.message_bodies()
    assert bodies, "the bot sent messages"
    for body in bodies:
        assert body["allowed_mentions"] == {"parse": []}, body
    # The answers to commands (interaction callbacks and edits) too.
    for answer in fake.interactions.values():
        for body in answer.edits + answer.followups:
            assert body["allowed_mentions"] == {"parse": []}, body


async def test_a_non_moderator_is_refused(bot: Bot, world: World) -> None:
    await running_challenge(world, (world.ana, "Oat latte"))
    for command, options in (
        ("challenge create", {"title": "Mine", "brief": "Mine too"}),
        ("challenge close", {"challenge": "snacks"}),
        ("mod block", {"member": world.ana}),
        ("mod status", {"idea": "1", "status": "declined"}),
    ):
        record = await world.run(world.ben, command, options)
        assert record.callback_type == 4, "refused in the first response"
        assert "Only moderators" in record.text(), (command, record.text())
    still = await world.run(world.ben, "challenge list")
    assert "open" in still.text()


async def test_moderator_roles_by_name_and_id(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    fake = world.fake
    stewards = fake.add_role(world.guild, "Stewards")
    settings = settings_for(
        fake, tmp_path, guild_ids=[world.guild.id], moderator_roles=["helpers", str(stewards)]
    )
    await new_bot(settings).start()
    helper = fake.add_person(world.guild, "Hal", roles=["Helpers"])
    steward = fake.add_person(world.guild, "Stu", roles=["Stewards"])
    made = await world.run(helper, "challenge create", {"title": "Snacks", "brief": "Which?"})
    assert made.embed["title"].startswith("📝"), made.text()
    opened = await world.run(steward, "challenge open", {"challenge": "snacks"})
    assert "is open" in opened.embed["title"], opened.text()
    refused = await world.run(world.ben, "challenge close", {"challenge": "snacks"})
    assert "Only moderators" in refused.text()


async def test_ids_from_another_guild_are_refused(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    other = fake.add_guild("Elsewhere", channels=("lounge", "staff"))
    lounge = fake.channel(other, "lounge")
    zed = fake.add_person(other, "Zed", moderator=True)
    settings = settings_for(
        fake,
        tmp_path,
        guild_ids=[world.guild.id, other.id],
        moderator_channel=str(world.mods),  # a channel of the first guild only
    )
    bot = await new_bot(settings).start()
    caplog.set_level(logging.INFO, logger="cocreate")

    # A venue in another guild: nothing is posted there.
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    made = await world.run(
        world.maya,
        "challenge create",
        {"title": "Sneaky", "brief": "Post elsewhere", "venue": lounge},
    )
    assert made.embed["title"].startswith("📝"), made.text()
    await world.run(world.maya, "challenge open", {"challenge": "sneaky"})
    assert not fake.posts_in(lounge)
    assert any("not in guild" in r.getMessage() for r in caplog.records)

    # An idea number of the first guild means nothing in the second.
    shown = await world.run(zed, "idea show", {"idea": "1"}, channel=lounge, guild=other)
    assert "no idea #1 here" in shown.text(), shown.text()

    # The second guild's review posts never go to the first guild's moderators' channel.
    await world.run(
        zed, "challenge create", {"title": "Theirs", "brief": "Review!", "review": True},
        channel=lounge, guild=other,
    )  # fmt: skip
    await world.run(zed, "challenge open", {"challenge": "theirs"}, channel=lounge, guild=other)
    before = len(fake.posts_in(world.mods))
    submitted = await world.run(
        zed,
        "idea submit",
        {"title": "Their idea", "description": "Theirs."},
        channel=lounge,
        guild=other,
    )
    assert "is in" in submitted.embed["title"], submitted.text()
    assert len(fake.posts_in(world.mods)) == before

    # A reaction that claims the other guild for this guild's post does not count.
    forged = p.reaction_add(
        guild_id=other.id,
        channel_id=world.ideas,
        message_id=post,
        member_payload=zed.member,
        emoji="👍",
    )
    sent = await fake.dispatch(
        "MESSAGE_REACTION_ADD", forged, guild_id=other.id, intent=INTENT_GUILD_MESSAGE_REACTIONS
    )
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 0
    assert not await reaction_log(bot, world.guild)


async def test_each_guild_reviews_in_its_own_moderator_channel(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    fake = world.fake
    other = fake.add_guild("Elsewhere", channels=("lounge", "staff"))
    lounge, staff = fake.channel(other, "lounge"), fake.channel(other, "staff")
    zed, yan = fake.add_person(other, "Zed", moderator=True), fake.add_person(other, "Yan")
    settings = settings_for(
        fake,
        tmp_path,
        guild_ids=[world.guild.id, other.id],
        moderator_channel=str(world.mods),
        moderator_channels={str(other.id): str(staff)},
    )
    await new_bot(settings).start()
    ideas = {"title": "Snacks", "brief": "Which snack?", "review": True}
    await world.run(world.maya, "challenge create", ideas)
    await world.run(world.maya, "challenge open", {"challenge": "snacks"})
    await world.run(zed, "challenge create", ideas | {"venue": lounge}, channel=lounge, guild=other)
    await world.run(zed, "challenge open", {"challenge": "snacks"}, channel=lounge, guild=other)

    idea = {"title": "Crisps", "description": "Salt and vinegar."}
    await world.run(world.ana, "idea submit", idea)
    await world.run(yan, "idea submit", idea | {"title": "Pretzels"}, channel=lounge, guild=other)

    (here,) = [p for p in fake.posts_in(world.mods) if "Review" in p["embeds"][0]["title"]]
    (there,) = [p for p in fake.posts_in(staff) if "Review" in p["embeds"][0]["title"]]
    assert "Crisps" in embed_text(here["embeds"][0])
    assert "Pretzels" in embed_text(there["embeds"][0])
