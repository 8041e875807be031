"""Members' data on Discord, through the real discord.py against the fake: `/mydata`
arrives as a direct message with the JSON file; a member who closed their direct
messages gets it with the (ephemeral) answer; leaving a guild marks its community as
left, joining it again does not any more."""

from __future__ import annotations

from sqlalchemy import select

from adapters.discord.translate import community
from storage.schema import communities
from tests.discord.conftest import Bot, World, running_challenge
from tests.discord.fake import EPHEMERAL, Fault, InteractionRecord


def ephemeral(record: InteractionRecord) -> bool:
    """The bot deferred the command as ephemeral: only its caller sees the answer."""
    return bool(((record.callback or {}).get("data") or {}).get("flags", 0) & EPHEMERAL)


async def left_at(bot: Bot, guild_id: int) -> object:
    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(guild_id))
        assert found is not None
        conn = store.member_data.conn  # type: ignore[attr-defined]
        return await conn.scalar(select(communities.c.left_at).where(communities.c.id == found.id))


async def test_mydata_is_a_direct_message_with_the_file(bot: Bot, world: World) -> None:
    await running_challenge(world, (world.ana, "Pickled mango"))
    record = await world.run(world.ana, "mydata")
    assert ephemeral(record)
    assert "Sent to your direct messages" in record.text(), record.text()
    ((user_id, body, files),) = world.fake.direct_messages
    assert user_id == world.ana.id
    assert body["embeds"][0]["title"] == "📦 Your data in Cocreate"
    assert body["allowed_mentions"]["parse"] == []
    (name,) = files
    assert name.startswith("cocreate-mydata-discord-") and name.endswith(".json")
    # What was uploaded is the export itself (the fake keeps file names; read it back here).
    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(world.guild.id))
        assert found is not None
        ideas = await store.member_data.member_ideas(
            (await store.member_by_external(found.id, str(world.ana.id))).id  # type: ignore[union-attr]
        )
    assert [i["title"] for i in ideas] == ["Pickled mango"]


async def test_closed_direct_messages_put_the_file_in_the_answer(bot: Bot, world: World) -> None:
    world.fake.faults.append(Fault("POST", r"^/users/@me/channels$", status=403, count=5))
    record = await world.run(world.ben, "mydata")
    assert "couldn't send you a direct message" in record.text(), record.text()
    assert world.fake.direct_messages == []
    answers = [r for r in world.fake.requests if r.path.startswith("/interactions/") and r.files]
    assert any(f.startswith("cocreate-mydata-discord-") for r in answers for f in r.files)


async def test_forgetme_asks_for_a_code_first(bot: Bot, world: World) -> None:
    first = await world.run(world.cleo, "forgetme")
    assert "cannot be undone" in first.text() and "/forgetme confirm:" in first.text()
    assert ephemeral(first)


async def test_a_guild_that_removes_the_bot_is_marked_left_until_it_comes_back(
    bot: Bot, world: World
) -> None:
    await running_challenge(world)
    assert await left_at(bot, world.guild.id) is None
    await bot.received(await world.fake.remove_bot(world.guild.id))
    assert await left_at(bot, world.guild.id) is not None
    await bot.received(await world.fake.add_bot(world.guild))
    assert await left_at(bot, world.guild.id) is None
