"""Votes read back from Discord: after a restart, after a failed resume, page by page."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.discord.conftest import Bot, World, running_challenge, vote_count
from tests.discord.fake import FakeDiscord, Person


def ground_truth(fake: FakeDiscord, post: int, author: Person) -> int:
    """Who reacts with 👍 on the fake, minus the bot and the author."""
    return len([u for u in fake.reactors(post, "👍") if u not in (fake.bot_id, author.id)])


async def test_a_restart_reconciles_what_happened_while_down(
    new_bot: Callable[..., Bot], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    bot = await new_bot().start()
    post1, post2 = await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai"))
    sent = []
    for person in (world.ben, world.cleo):
        sent += await fake.react(person.id, post1, "👍")
    sent += await fake.react(world.dan.id, post2, "👍")
    await bot.received(sent)
    assert (await vote_count(bot, world.guild, 1), await vote_count(bot, world.guild, 2)) == (2, 1)
    await bot.stop()

    # While the bot is down: a crowd arrives on #1 (more than one page of reactors), Cleo
    # takes her vote back, Dan moves his vote from #2 to #1, and Ana votes for #2.
    crowd = [fake.add_person(world.guild, f"Fan {n}") for n in range(130)]
    for person in crowd:
        await fake.react(person.id, post1, "👍", deliver=False)
    await fake.unreact(world.cleo.id, post1, "👍", deliver=False)
    await fake.unreact(world.dan.id, post2, "👍", deliver=False)
    await fake.react(world.dan.id, post1, "👍", deliver=False)
    await fake.react(world.ana.id, post2, "👍", deliver=False)

    caplog.set_level(logging.INFO, logger="cocreate")
    restarted = await new_bot().start()  # start() returns after READY; idle() after catch-up
    assert await vote_count(restarted, world.guild, 1) == ground_truth(fake, post1, world.ana)
    assert await vote_count(restarted, world.guild, 2) == ground_truth(fake, post2, world.ben)
    assert await vote_count(restarted, world.guild, 1) == 1 + 130 + 1  # Ben, the crowd, Dan

    pages = [r for r in fake.requests_to("GET", rf"/messages/{post1}/reactions/") if r.query]
    assert [r.query.get("limit") for r in pages[-2:]] == ["100", "100"]
    assert "after" in pages[-1].query, "the second page starts after the first"
    assert any("discord votes read back after READY" in r.getMessage() for r in caplog.records)
    assert any("reconciled discord:" in r.getMessage() for r in caplog.records), "changes logged"


async def test_a_failed_resume_leads_to_ready_and_a_catch_up(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    assert bot.platform is not None
    readies = bot.platform.readies
    await fake.disconnect(resumable=False)
    # Meanwhile, two votes that the new session will never hear about.
    await fake.react(world.ben.id, post, "👍", deliver=False)
    await fake.react(world.cleo.id, post, "👍", deliver=False)
    await fake.wait_until(lambda: bot.platform is not None and bot.platform.readies > readies)
    await bot.idle()
    assert fake.resumes, "discord.py tried to resume first"
    assert await vote_count(bot, world.guild, 1) == 2


async def test_a_successful_resume_replays_instead(bot: Bot, world: World) -> None:
    fake = world.fake
    (post,) = await running_challenge(world, (world.ana, "Oat latte"))
    assert bot.platform is not None
    readies = bot.platform.readies
    gets = len(fake.requests_to("GET", r"/reactions/"))
    await fake.disconnect(resumable=True)
    sent = await fake.react(world.ben.id, post, "👍")  # kept by the fake for RESUME
    await fake.wait_until(lambda: fake.connected())
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 1) == 1
    assert bot.platform.readies == readies, "a RESUME is not a READY"
    assert len(fake.requests_to("GET", r"/reactions/")) == gets, "nothing to read back"


async def test_a_post_deleted_by_hand_is_marked_not_emptied(bot: Bot, world: World) -> None:
    fake = world.fake
    post1, post2 = await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai"))
    sent = []
    for person in (world.ben, world.cleo):
        sent += await fake.react(person.id, post1, "👍")
    await bot.received(sent)
    fake.delete_message(post1)

    # A new session reads votes back: the deleted post is skipped, its votes stay.
    assert bot.platform is not None
    readies = bot.platform.readies
    await fake.disconnect(resumable=False)
    await fake.wait_until(lambda: bot.platform is not None and bot.platform.readies > readies)
    await bot.idle()
    assert await vote_count(bot, world.guild, 1) == 2
    notices = [m for m in fake.posts_in(world.mods) if "deleted" in m["embeds"][0]["title"]]
    assert len(notices) == 1, "the moderators are told once"
    assert "#1" in notices[0]["embeds"][0]["description"]

    # Changing the idea re-renders its posts: the deleted one is skipped, no crash.
    status = await world.run(world.maya, "mod status", {"idea": "1", "status": "shortlisted"})
    assert status.embed["title"], status.text()
    assert not [r for r in fake.requests_to("PATCH", rf"/messages/{post1}$")]
    assert len([m for m in fake.posts_in(world.mods) if "deleted" in m["embeds"][0]["title"]]) == 1
    # The other post still works.
    sent = await fake.react(world.dan.id, post2, "👍")
    await bot.received(sent)
    assert await vote_count(bot, world.guild, 2) == 1


async def test_reading_back_is_spread_out(new_bot: Callable[..., Bot], world: World) -> None:
    fake = world.fake
    bot = await new_bot().start()
    posts = await running_challenge(
        world, *((p, f"Idea {n}") for n, p in enumerate((world.ana, world.ben, world.cleo) * 2))
    )
    await bot.stop()
    message = r"^/channels/\d+/messages/\d+$"
    before = len(fake.requests_to("GET", message))
    await new_bot(reconcile_pace=0.05, reconcile_concurrency=2).start()
    reads = fake.requests_to("GET", message)[before:]
    assert sorted(int(r.path.split("/")[4]) for r in reads) == sorted(posts)
    assert not fake.requests_to("GET", r"/reactions/"), "a list of the bot alone is not read"
    # Two readers, a pause after each read: six reads take at least two pauses each.
    assert reads[-1].at - reads[0].at >= 2 * 0.05


def test_channels_are_interleaved() -> None:
    from adapters.discord.reconcile import interleave
    from bot.messages import CommunityRef, IdeaPostRef

    ref = CommunityRef("discord", "1")
    posts = [IdeaPostRef(ref, c, f"{c}{n}", "👍", n, 1) for c in "ab" for n in range(3)]
    assert [p.message_id for p in interleave(posts)] == ["a0", "b0", "a1", "b1", "a2", "b2"]
