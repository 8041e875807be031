"""Read-backs against live votes: every skin tone counts, and a list asked for before a
gateway event never undoes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.discord.conftest import WAIT, Bot, World, reaction_log, running_challenge, voters
from tests.discord.fake import emoji_key


async def test_a_read_back_in_flight_does_not_undo_live_votes(
    new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    bot = await new_bot().start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    await bot.received(await fake.react(world.ben.id, post, "👍"))
    await bot.stop()

    # While the bot is down, Dan votes (with a skin tone).
    await fake.react(world.dan.id, post, "👍🏽", deliver=False)
    # After the restart, the 👍 list is taken at once but arrives late.
    slow = fake.slow_list(post, "👍")
    restarted = await new_bot().start(settle=False)
    await asyncio.wait_for(slow.asked.wait(), WAIT)

    # While it is on its way, Cleo votes and Ben takes his vote back.
    sent = await fake.react(world.cleo.id, post, "👍")
    sent += await fake.unreact(world.ben.id, post, "👍")
    await restarted.recorded(sent)
    assert await voters(restarted, world.guild, 1) == {world.cleo.id}
    assert slow.taken is not None
    assert world.ben.id in slow.taken and world.cleo.id not in slow.taken, "the list is stale"

    slow.release.set()
    await restarted.idle()
    assert await voters(restarted, world.guild, 1) == {world.cleo.id, world.dan.id}
    log = await reaction_log(restarted, world.guild)
    assert not [e for e in log if e.effect == "stale"], "the live events stand"
    assert [(e.source, e.action, e.effect) for e in log if e.source == "reconcile"] == [
        ("reconcile", "add", "vote added")
    ], "the read-back only added Dan's vote"


async def test_a_vote_stays_while_any_skin_tone_of_it_does(
    new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    bot = await new_bot().start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    sent = await fake.react(world.ben.id, post, "👍")
    sent += await fake.react(world.ben.id, post, "👍🏽")
    await bot.received(sent)
    assert await voters(bot, world.guild, 1) == {world.ben.id}
    await bot.received(await fake.unreact(world.ben.id, post, "👍"))
    assert await voters(bot, world.guild, 1) == {world.ben.id}, "his 👍🏽 still stands"
    await bot.stop()

    # While the bot is down, Cleo votes with 👍🏿 only.
    await fake.react(world.cleo.id, post, "👍🏿", deliver=False)
    restarted = await new_bot().start()  # reads every variant back
    assert await voters(restarted, world.guild, 1) == {world.ben.id, world.cleo.id}
    read = fake.requests_to("GET", rf"/{post}/reactions/")
    assert {"👍🏽", "👍🏿"} <= {emoji_key(r.path.rsplit("/", 1)[1]) for r in read}

    await restarted.received(await fake.unreact(world.ben.id, post, "👍🏽"))
    assert await voters(restarted, world.guild, 1) == {world.cleo.id}
