"""`capture.reaction` on Discord, through discord.py against the loopback fake: reacting
with 💡 to a member's message offers it to its author as an idea; it is never a vote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest_asyncio

from adapters.discord.translate import community
from bot.model import IdeaStatus
from tests.discord.conftest import Bot, World, reaction_log, running_challenge, settings_for
from tests.discord.fake import FakeDiscord

MESSAGE_CONTENT = 1 << 15


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord(allow_privileged_intents=True).start()
    try:
        yield server
    finally:
        await server.stop()


def capturing(fake: FakeDiscord, world: World, tmp_path: Path, emoji: str = "💡") -> object:
    return settings_for(
        fake,
        tmp_path,
        capture={"reaction": emoji},
        guild_ids=[world.guild.id],
        moderator_channel=str(world.mods),
    )


async def idea_status(bot: Bot, world: World, number: int) -> IdeaStatus | None:
    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(world.guild.id))
        assert found is not None
        idea = await store.idea_by_number(found.id, number)
        return idea.status if idea else None


async def test_a_reaction_offers_the_message_to_its_author(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    bot = await new_bot(capturing(world.fake, world, tmp_path)).start()
    assert world.fake.identifies[-1]["intents"] & MESSAGE_CONTENT
    await running_challenge(world)
    general = world.fake.channel(world.guild, "general")
    message = world.fake.say(world.ana, general, "Oat milk lattes\nPlease add oat milk")
    await bot.received(await world.fake.react(world.ben.id, int(message["id"]), "💡"))
    await world.fake.wait_until(lambda: world.fake.dms_to(world.ana))
    assert world.fake.dms_to(world.ana) == ["💡 Your message as idea #1?"]
    await world.fake.wait_until(lambda: world.fake.dms_to(world.ben))
    assert world.fake.dms_to(world.ben) == ["📨 Idea #1 waits for Ana"]
    assert await idea_status(bot, world, 1) is IdeaStatus.AWAITING_AUTHOR
    assert await reaction_log(bot, world.guild) == []  # no vote, not even an ignored one
    confirmed = await world.run(world.ana, "idea confirm", {"idea": "1"})
    assert "is in" in confirmed.text(), confirmed.text()
    post = world.fake.idea_message(1)
    fields = {f["name"]: f["value"] for f in post["embeds"][0].get("fields", [])}
    link = f"https://discord.com/channels/{world.guild.id}/{general}/{message['id']}"
    assert fields["From the message"] == link


async def test_the_capture_emoji_on_an_idea_post_is_no_capture(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    bot = await new_bot(capturing(world.fake, world, tmp_path, "👍")).start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    await bot.received(await world.fake.react(world.ben.id, post, "👍"))
    assert [e.effect for e in await reaction_log(bot, world.guild)] == ["vote added"]
    assert world.fake.dms_to(world.ben) == []


async def test_a_bots_message_and_an_empty_one_are_not_captured(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path
) -> None:
    bot = await new_bot(capturing(world.fake, world, tmp_path)).start()
    await running_challenge(world)
    general = world.fake.channel(world.guild, "general")
    empty = world.fake.say(world.ana, general, "   ")
    await bot.received(await world.fake.react(world.ben.id, int(empty["id"]), "💡"))
    helper = world.fake.add_person(world.guild, "Helper", bot=True)
    said = world.fake.say(helper, general, "Oat milk lattes\nPlease add oat milk")
    await bot.received(await world.fake.react(world.ben.id, int(said["id"]), "💡"))
    assert world.fake.dms_to(world.ana) == [] and world.fake.dms_to(world.ben) == []
    assert await idea_status(bot, world, 1) is None


async def test_without_the_setting_nothing_happens(bot: Bot, world: World) -> None:
    assert not world.fake.identifies[-1]["intents"] & MESSAGE_CONTENT
    await running_challenge(world)
    general = world.fake.channel(world.guild, "general")
    message = world.fake.say(world.ana, general, "Oat milk lattes\nPlease add oat milk")
    await bot.received(await world.fake.react(world.ben.id, int(message["id"]), "💡"))
    assert world.fake.dms_to(world.ana) == [] and world.fake.dms_to(world.ben) == []
    assert await idea_status(bot, world, 1) is None
