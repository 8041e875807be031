"""Raw reaction events (add, remove, clear, clear-emoji) through the gateway to the core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.discord import payloads as p
from tests.discord.conftest import Bot, World, reaction_log, running_challenge, vote_count
from tests.discord.fake import INTENT_GUILD_MESSAGE_REACTIONS


async def test_the_same_reaction_event_twice_counts_once(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    add = await fake.react(world.ben.id, post, "👍")
    await bot.received(add)
    assert await vote_count(bot, world.guild, 1) == 1

    session, seq = add[0]
    await fake.replay(session, seq)  # the very same dispatch again
    await bot.received(add)
    assert await vote_count(bot, world.guild, 1) == 1

    # Ben takes his vote back; a late replay of his old "add" must not bring it back.
    remove = await fake.unreact(world.ben.id, post, "👍")
    await bot.received(remove)
    assert await vote_count(bot, world.guild, 1) == 0
    await fake.replay(session, seq)
    await bot.received(add)
    assert await vote_count(bot, world.guild, 1) == 0

    effects = [(e.action, e.effect) for e in await reaction_log(bot, world.guild)]
    assert effects == [("add", "vote added"), ("remove", "vote removed")], effects


async def test_two_real_adds_of_one_member_are_one_vote(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    data = p.reaction_add(
        guild_id=world.guild.id,
        channel_id=world.ideas,
        message_id=post,
        member_payload=world.ben.member,
        emoji="👍",
    )
    sent = await fake.dispatch(
        "MESSAGE_REACTION_ADD", data, guild_id=world.guild.id, intent=INTENT_GUILD_MESSAGE_REACTIONS
    )
    sent += await fake.dispatch(
        "MESSAGE_REACTION_ADD", data, guild_id=world.guild.id, intent=INTENT_GUILD_MESSAGE_REACTIONS
    )
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1


async def test_clear_and_clear_emoji(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    sent = []
    for person in (world.ben, world.cleo, world.dan):
        sent += await fake.react(person.id, post, "👍")
    sent += await fake.react(world.ben.id, post, "🎉")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 3

    # A moderator removes every 🎉: votes stay.
    await fake.clear_reactions(post, "🎉")
    sent = await fake.react(world.cleo.id, post, "🎉")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 3

    # Every 👍 removed: no votes.
    await fake.clear_reactions(post, "👍")
    sent = await fake.react(world.dan.id, post, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1

    # Everything removed.
    await fake.clear_reactions(post)
    sent = await fake.react(world.dan.id, post, "🎉")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 0


async def test_the_bots_own_reaction_never_reaches_the_core(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    assert fake.reactors(post, "👍") == [fake.bot_id]
    # The fake sent the bot's own MESSAGE_REACTION_ADD over the gateway; make sure it was read.
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.received(sent)
    log = await reaction_log(bot, world.guild)
    assert [e.action for e in log] == ["add"]
    assert await vote_count(bot, world.guild, 1) == 1


async def test_account_and_membership_age_travel_with_the_event(bot: Bot, world: World) -> None:
    fake = world.fake
    now = datetime.now(UTC)
    fresh_account = fake.add_person(world.guild, "Newbie", created_at=now - timedelta(days=1))
    fresh_member = fake.add_person(
        world.guild,
        "Joiner",
        created_at=now - timedelta(days=900),
        joined_at=now - timedelta(hours=2),
    )
    (post,) = await running_challenge(
        world,
        (world.ana, "Oat latte"),
        min_account_age="30d",
        min_member_age="7d",
    )
    sent = []
    for person in (fresh_account, fresh_member, world.ben):
        sent += await fake.react(person.id, post, "👍")
    await bot.received(sent)
    effects = sorted(e.effect for e in await reaction_log(bot, world.guild))
    assert effects == [
        "ignored: account too new",
        "ignored: member too new",
        "vote added",
    ], effects
    assert await vote_count(bot, world.guild, 1) == 1


async def test_malformed_gateway_payloads_are_skipped(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    guild = world.guild.id
    bad = [
        ("MESSAGE_REACTION_ADD", {"guild_id": str(guild), "user_id": "x"}),
        ("MESSAGE_REACTION_REMOVE", {"message_id": str(post)}),
        ("MESSAGE_REACTION_REMOVE_ALL", None),
        ("GUILD_CREATE", {"id": "not a number"}),
        ("CHANNEL_UPDATE", {"id": str(world.ideas)}),
        ("SOMETHING_NEW", {"what": "an event this discord.py does not know"}),
    ]
    sent = []
    for event, data in bad:
        sent += await fake.dispatch(event, data, guild_id=guild)  # type: ignore[arg-type]
    # An interaction without a field discord.py indexes directly (since 2.6).
    incomplete = fake.command_payload(world.ben, world.ideas, "cocreate help")
    del incomplete["attachment_size_limit"]
    sent += await fake.dispatch("INTERACTION_CREATE", incomplete, guild_id=guild)
    await bot.received(sent)
    # Still alive: votes count and commands answer.
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1
    answer = await world.run(world.ben, "cocreate help")
    assert "Cocreate" in answer.embed["title"]


async def test_a_frame_that_is_not_json_costs_a_reconnect_only(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    identified = len(fake.identifies)
    await fake.send_raw("this is not JSON {")
    await fake.wait_until(lambda: len(fake.identifies) > identified)
    await fake.wait_until(lambda: bot.platform is not None and bot.platform.readies >= 2)
    await bot.idle()
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1
