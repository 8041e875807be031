"""A conversation per idea on Discord, through the real discord.py and the fake Discord:
a public thread on each idea post, a forum post with a status tag in a forum channel,
activity from Discord's own counts, and notices by direct message, in the thread (without
a ping) for a member whose DMs are closed (50007)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from adapters.discord.translate import community
from bot.messages import ThreadRef
from tests.discord.conftest import FAST, WAIT, Bot, World, running_challenge
from tests.discord.fake import Fault


def thread_texts(world: World, thread_id: int) -> list[str]:
    out = []
    for m in world.fake.thread_posts(thread_id):
        embed: dict[str, Any] = (m.get("embeds") or [{}])[0]
        out.append(f"{embed.get('title', '')}\n{embed.get('description', '')}")
    return out


async def settle(bot: Bot) -> None:
    await asyncio.wait_for(bot.core.drain(), WAIT)


async def idea_of(bot: Bot, world: World, number: int) -> Any:
    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(world.guild.id))
        assert found is not None
        return await store.idea_by_number(found.id, number)


async def test_each_idea_post_opens_a_thread_whose_activity_is_counted_and_told(
    bot: Bot, world: World
) -> None:
    fake = world.fake
    fake.closed_dms.add(world.dan.id)
    posts = await running_challenge(world, (world.ana, "Salted caramel"))
    await settle(bot)

    # A public thread on the idea's message, named after the idea.
    thread = fake.threads[posts[0]]
    assert thread["name"] == "#1 Salted caramel" and thread["parent_id"] == str(world.ideas)

    sent = []
    for person in (world.ben, world.cleo, world.dan):
        sent += await fake.react(person.id, posts[0], "👍")
    await bot.received(sent)

    # Discussed: Discord counts the messages and the members; the bot reads neither.
    fake.reply_in_thread(posts[0], world.ben, "Love it")
    fake.reply_in_thread(posts[0], world.cleo, "With sea salt?")
    fake.reply_in_thread(posts[0], world.ben, "Yes")
    await bot.core.refresh_activity((await idea_of(bot, world, 1)).challenge_id)
    shown = await world.run(world.cleo, "idea show", {"idea": "1"})
    assert "3 replies from 2 people" in shown.text(), shown.text()

    # Discord also tells of a thread's message count (THREAD_UPDATE, Guilds intent).
    fake.reply_in_thread(posts[0], world.cleo, "And caramel sauce")
    sent = await fake.dispatch("THREAD_UPDATE", fake.threads[posts[0]], guild_id=world.guild.id)
    await bot.parsed(sent)
    await bot.idle()
    shown = await world.run(world.cleo, "idea show", {"idea": "1"})
    assert "4 replies from 2 people" in shown.text(), shown.text()

    # A status change: the thread is told, followers get DMs, and Dan (DMs closed, 50007)
    # is told in the thread by name, pinging nobody.
    changed = await world.run(
        world.maya, "mod status", {"idea": "1", "status": "shortlisted", "note": "Great"}
    )
    assert "shortlisted" in changed.text(), changed.text()
    await settle(bot)
    texts = thread_texts(world, posts[0])
    assert any("is now shortlisted" in t and "Great" in t for t in texts), texts
    assert fake.dms_to(world.ana) == ["📣 Your idea #1 Salted caramel is now shortlisted"]
    assert (
        fake.dms_to(world.ben)
        == fake.dms_to(world.cleo)
        == ["📣 #1 Salted caramel is now shortlisted"]
    )
    assert fake.dms_to(world.dan) == []
    told = [t for t in texts if "For Dan (direct messages are closed)" in t]
    assert len(told) == 1, texts
    for body in fake.message_bodies():
        assert body.get("allowed_mentions") == {"parse": []}, body
    notices = await world.run(world.maya, "mod notices", {"idea": "1"})
    assert "in the thread (direct messages closed)" in notices.text(), notices.text()
    # The bot's own notes in the thread are no replies.
    assert fake.threads[posts[0]]["message_count"] == 6
    await bot.core.refresh_activity((await idea_of(bot, world, 1)).challenge_id)
    shown = await world.run(world.cleo, "idea show", {"idea": "1"})
    assert "4 replies from 2 people" in shown.text(), shown.text()


async def test_in_a_forum_each_idea_is_a_post_tagged_with_its_status(
    bot: Bot, world: World
) -> None:
    fake = world.fake
    forum = fake.add_forum(world.guild, "idea-forum")
    posts = await running_challenge(
        world, (world.ana, "Salted caramel"), (world.ben, "Caramel, salted"), venue=forum
    )
    await settle(bot)
    # Each idea is a forum post (its starter message is the idea), tagged with its status:
    # the tag was made, moderated, since the forum had none.
    assert [fake.threads[p]["parent_id"] for p in posts] == [str(forum)] * 2
    assert fake.threads[posts[0]]["name"] == "#1 Salted caramel"
    assert fake.tag_names(posts[0]) == ["published"]
    made = fake.guild_channel(world.guild, forum)["available_tags"]
    assert [(t["name"], t["moderated"]) for t in made] == [("published", True)]

    sent = []
    for person in (world.cleo, world.dan):
        sent += await fake.react(person.id, posts[0], "👍")
    sent += await fake.react(world.maya.id, posts[1], "👍")
    await bot.received(sent)

    await world.run(world.maya, "mod status", {"idea": "1", "status": "planned"})
    await settle(bot)
    assert fake.tag_names(posts[0]) == ["planned"]
    assert any("is now planned" in t for t in thread_texts(world, posts[0]))
    assert fake.dms_to(world.cleo) == ["📣 #1 Salted caramel is now planned"]

    # A merge: both posts name each other; the duplicate is tagged merged; its voter hears
    # where the vote went.
    await world.run(world.maya, "mod merge", {"duplicate": "2", "into": "1"})
    await settle(bot)
    assert any("merged into #1 Salted caramel" in t for t in thread_texts(world, posts[1]))
    assert any(
        "#2 Caramel, salted was merged into this idea" in t for t in thread_texts(world, posts[0])
    )
    assert fake.tag_names(posts[1]) == ["merged"]
    assert fake.dms_to(world.ben) == [
        "🔗 Your idea #2 Caramel, salted was merged into #1 Salted caramel"
    ]
    assert fake.dms_to(world.maya)[-1].startswith("🔗 #2 Caramel, salted was merged")

    # The final results: the place, once to each follower, and in the post.
    await world.run(world.maya, "challenge close", {"challenge": "snacks"})
    await settle(bot)
    assert [t for t in fake.dms_to(world.ana) if "finished" in t] == [
        "🏁 Your idea #1 Salted caramel finished 🥇 1st place"
    ]
    assert any("finished 🥇 1st place" in t for t in thread_texts(world, posts[0]))


async def test_a_forum_tag_discord_keeps_failing_is_raised_for_a_later_try(
    bot: Bot, world: World
) -> None:
    """A 503 that outlasts the retries is raised (the change's follow-up tags the post
    again later: tests/test_followups.py); a 403 is logged, not worth another try."""
    fake = world.fake
    forum = fake.add_forum(world.guild, "idea-forum")
    (post,) = await running_challenge(world, (world.ana, "Salted caramel"), venue=forum)
    await settle(bot)
    publisher = bot.core.publishers["discord"]
    thread = ThreadRef(str(forum), str(post), forum=True)
    path = rf"^/channels/{post}$"
    fake.faults.append(Fault("PATCH", path, status=503, count=FAST.attempts))
    with pytest.raises(discord.HTTPException):
        await publisher.thread_status(community(world.guild.id), thread, "planned")
    assert fake.tag_names(post) == ["published"]
    fake.faults.append(Fault("PATCH", path, status=403))
    await publisher.thread_status(community(world.guild.id), thread, "planned")  # not raised
    await publisher.thread_status(community(world.guild.id), thread, "planned")
    assert fake.tag_names(post) == ["planned"]
