"""The database down and back: gateway votes are kept meanwhile, and their posts read back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.discord.conftest import WAIT, Bot, World, running_challenge, settings_for, voters
from tests.discord.outage import DatabaseOutage


async def test_votes_cast_while_the_database_is_down_are_kept(
    bot: Bot, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    post1, post2 = await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai"))
    outage = DatabaseOutage(bot.core.db)
    caplog.set_level(logging.INFO)
    outage.down = True
    sent = await fake.react(world.ben.id, post1, "👍")
    sent += await fake.react(world.cleo.id, post1, "👍🏽")
    sent += await fake.react(world.dan.id, post2, "👍")
    sent += await fake.react(world.cleo.id, post2, "👍")
    sent += await fake.unreact(world.cleo.id, post2, "👍")
    await bot.parsed(sent)
    while bot.core.ingest.backlog < len(sent):  # the core keeps them, in memory
        await outage.next_refusal()
    assert bot.platform is not None and bot.platform.reactions is not None
    assert bot.platform.reactions.pending == len(sent), "none settled, none lost"
    lists_before = len(fake.requests_to("GET", r"/reactions/"))
    messages_before = len(fake.requests_to("GET", r"/messages/\d+$"))

    outage.down = False
    await bot.idle()
    assert await voters(bot, world.guild, 1) == {world.ben.id, world.cleo.id}
    assert await voters(bot, world.guild, 2) == {world.dan.id}
    # The posts were read back once the database answered again.
    messages = fake.requests_to("GET", r"/messages/\d+$")[messages_before:]
    assert {int(r.path.rsplit("/", 1)[1]) for r in messages} == {post1, post2}
    lists = fake.requests_to("GET", r"/reactions/")[lists_before:]
    assert {int(r.path.split("/")[4]) for r in lists} == {post1, post2}
    # Told once, not once per event, and no traceback.
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    assert not [r for r in caplog.records if "could not be recorded" in r.getMessage()]
    down = [r for r in caplog.records if "not answering" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in caplog.records]


async def test_a_ready_during_an_outage_reads_votes_back_once_it_is_over(
    new_bot: Callable[..., Bot], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    bot = await new_bot(catch_up_retry=0.01).start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    assert bot.platform is not None
    readies = bot.platform.readies
    outage = DatabaseOutage(bot.core.db)
    caplog.set_level(logging.INFO)
    outage.down = True
    refused = asyncio.create_task(outage.next_refusal())
    await fake.disconnect(resumable=False)
    # Meanwhile, a vote the new session never hears about.
    await fake.react(world.ben.id, post, "👍", deliver=False)
    await refused  # the catch-up after the new READY found the database down
    assert bot.platform.readies > readies

    outage.down = False
    await bot.idle()
    assert await voters(bot, world.guild, 1) == {world.ben.id}
    assert any("waits for the database" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info], "no traceback"


async def test_stopping_during_an_outage_does_not_wait_for_the_database(
    new_bot: Callable[..., Bot], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    bot = await new_bot(drain_timeout=0.01).start()
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    outage = DatabaseOutage(bot.core.db)
    outage.down = True
    sent = await fake.react(world.ben.id, post, "👍")
    await bot.parsed(sent)
    while bot.core.ingest.backlog < len(sent):
        await outage.next_refusal()
    assert bot.platform is not None
    caplog.set_level(logging.WARNING, logger="cocreate.discord")
    await asyncio.wait_for(bot.platform.stop(), WAIT)
    assert any("waiting for the database" in r.getMessage() for r in caplog.records)
    outage.down = False  # the core's own stop waits for it


async def test_votes_past_the_outage_buffer_are_read_back(
    new_bot: Callable[..., Bot], world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    settings = settings_for(
        fake,
        tmp_path,
        storage={"outage_buffer": 1},
        guild_ids=[world.guild.id],
        moderator_channel=str(world.mods),
    )
    bot = await new_bot(settings).start()
    post1, post2 = await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai"))
    outage = DatabaseOutage(bot.core.db)
    caplog.set_level(logging.INFO)
    outage.down = True
    sent = await fake.react(world.ben.id, post1, "👍")
    sent += await fake.react(world.cleo.id, post1, "👍🏾")
    sent += await fake.react(world.dan.id, post2, "👍")
    await bot.parsed(sent)
    assert bot.platform is not None and bot.platform.reactions is not None
    while bot.platform.reactions.pending > 1:  # one kept, the others not
        await outage.next_refusal()
    assert bot.core.ingest.backlog == 1

    outage.down = False
    await bot.idle()
    assert await voters(bot, world.guild, 1) == {world.ben.id, world.cleo.id}
    assert await voters(bot, world.guild, 2) == {world.dan.id}
    full = [r for r in caplog.records if "no longer kept" in r.getMessage()]
    assert len(full) == 1, "told once"
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
