"""A whole challenge in a guild, through the real discord.py and the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from tests.discord.conftest import WAIT, Bot, World, running_challenge
from tests.discord.fake import embed_text


def review_buttons(message: dict[str, Any]) -> dict[str, str]:
    """Label -> custom id of the buttons on a message."""
    return {
        c["label"]: c["custom_id"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if c.get("type") == 2
    }


async def test_a_whole_challenge(bot: Bot, world: World) -> None:
    fake = world.fake

    # A moderator creates the challenge; the brief comes from the modal.
    create = await world.run(world.maya, "challenge create", {"review": True})
    assert create.callback_type == 9, "the modal is the first answer"
    labels = [row["label"] for row in create.data["components"]]
    assert labels[:3] == ["Title", "Brief", "Terms"]
    created = await world.submit(
        create, {"Title": "Flavour of the year", "Brief": "Which *new* flavour should we launch?"}
    )
    assert created.callback_type == 4, "a submitted form is answered in its first response"
    assert "ready as a draft" in created.embed["title"]
    slug = "flavour-of-the-year"
    assert slug in created.text()

    opened = await world.run(world.maya, "challenge open", {"challenge": slug})
    assert "is open" in opened.embed["title"], opened.text()
    announcement = fake.posts_in(world.ideas)[-1]
    assert "Flavour of the year" in embed_text(announcement["embeds"][0])
    assert "\\*new\\*" in announcement["embeds"][0]["description"], "markdown shown literally"

    # Ana submits through the modal; the idea waits for review in the moderators' channel.
    submit = await world.run(world.ana, "idea submit")
    assert submit.callback_type == 9
    fields = [row["label"] for row in submit.data["components"]]
    assert fields == ["Title", "Description", "Anonymous", "Accept terms"]
    submitted = await world.submit(
        submit, {"Title": "Salted caramel", "Description": "Sweet and salty, like the sea."}
    )
    assert "#1" in submitted.embed["title"]
    review = fake.posts_in(world.mods)[-1]
    assert "Review #1" in review["embeds"][0]["title"]
    buttons = review_buttons(review)
    assert buttons == {
        "Approve": "cocreate:review:approve:1",
        "Reject": "cocreate:review:reject:1",
    }

    # Ben submits with the options alone (no modal), Cleo too.
    ben = await world.run(
        world.ben, "idea submit", {"title": "Pistachio", "description": "Green and nutty."}
    )
    assert ben.callback_type == 4 and "#2" in ben.embed["title"]
    cleo = await world.run(
        world.cleo, "idea submit", {"title": "Spam flavour", "description": "Buy my stuff."}
    )
    assert "#3" in cleo.embed["title"]

    # A member may not use the moderators' buttons; the core refuses.
    refused = await fake.click(world.dan, int(review["id"]), buttons["Approve"])
    await refused.answered.wait()
    assert "Only moderators" in refused.text()

    # Maya approves #1 and #2 with the buttons, and rejects #3 with a reason.
    for number in (1, 2):
        message = next(
            m
            for m in fake.posts_in(world.mods)
            if m["embeds"][0]["title"].startswith(f"🗂️ Review #{number}")
        )
        click = await fake.click(
            world.maya, int(message["id"]), f"cocreate:review:approve:{number}"
        )
        await click.answered.wait()
        assert "approved" in click.text().lower(), click.text()
        await fake.wait_until(partial(lambda m: not m["components"], message), WAIT)
        assert "Approved by Maya" in m_footer(message)
    spam = next(m for m in fake.posts_in(world.mods) if "Review #3" in m["embeds"][0]["title"])
    reject = await fake.click(world.maya, int(spam["id"]), "cocreate:review:reject:3")
    await reject.answered.wait()
    assert reject.callback_type == 9, "Reject asks for a reason first"
    rejected = await world.submit(reject, {"Reason": "Advertising is not an idea."})
    assert "rejected" in rejected.text().lower(), rejected.text()

    # The idea posts are embeds, and the bot added the vote reaction to each.
    post1, post2 = fake.idea_message(1), fake.idea_message(2)
    assert fake.reactors(int(post1["id"]), "👍") == [fake.bot_id]
    assert fake.reactors(int(post2["id"]), "👍") == [fake.bot_id]
    assert "React with 👍 to vote" in post1["embeds"][0]["footer"]["text"]

    # Votes: three members and the author on #1 (the author's own vote doesn't count,
    # nor does the bot's), two members on #2, and an emoji that is not the vote emoji.
    sent = []
    for person in (world.ben, world.cleo, world.dan, world.ana):
        sent += await fake.react(person.id, int(post1["id"]), "👍")
    for person in (world.ana, world.dan):
        sent += await fake.react(person.id, int(post2["id"]), "👍")
    sent += await fake.react(world.ben.id, int(post2["id"]), "🎉")
    await bot.received(sent)

    standings = await world.run(world.ben, "results")
    text = standings.text()
    assert "#1 Salted caramel — 3 votes" in text, text
    assert "#2 Pistachio — 2 votes" in text, text
    assert "Spam flavour" not in text

    # Closing reads the votes back from Discord first, then posts the final results.
    before = len(fake.requests_to("GET", r"/reactions/"))
    closed = await world.run(world.maya, "challenge close", {"challenge": slug})
    assert "is closed" in closed.embed["title"], closed.text()
    assert len(fake.requests_to("GET", r"/reactions/")) >= before + 2
    final = fake.posts_in(world.ideas)[-1]
    text = embed_text(final["embeds"][0])
    assert "Final results" in text
    assert "🥇 #1 Salted caramel — 3 votes" in text, text
    assert "🥈 #2 Pistachio — 2 votes" in text, text

    # Every interaction answered or acknowledged well within 3 s.
    for record in fake.interactions.values():
        assert record.callback_type in (4, 5, 8, 9), record.callback
        assert record.ack_latency < 3.0
    # Nothing the bot sent could ping anyone.
    for body in fake.message_bodies():
        assert body.get("allowed_mentions") == {"parse": []}, body


def m_footer(message: dict[str, Any]) -> str:
    return str((message["embeds"][0].get("footer") or {}).get("text", ""))


async def test_a_form_opened_before_a_restart_still_submits(
    new_bot: Callable[..., Bot], world: World
) -> None:
    first = await new_bot().start()
    await running_challenge(world, (world.ben, "Oat latte"))
    submit_form = await world.run(world.ana, "idea submit")
    edit_form = await world.run(world.ben, "idea edit", {"idea": "1"})
    assert submit_form.callback_type == edit_form.callback_type == 9
    await first.stop()

    await new_bot().start()  # the forms' objects died with the old process
    submitted = await world.submit(
        submit_form, {"Title": "Salted caramel", "Description": "Sweet and salty."}
    )
    assert submitted.callback_type == 4
    assert "#2" in submitted.embed["title"], submitted.text()
    assert world.fake.idea_message(2)["embeds"][0]["title"] == "💡 #2 · Salted caramel"
    # The idea number came with the slash command, not the form: asked again, text kept.
    edited = await world.submit(edit_form, {"Title": "Oat flat white", "Description": ""})
    assert "Oat flat white" in edited.text(), edited.text()
    assert world.fake.idea_message(1)["embeds"][0]["title"] == "💡 #1 · Oat latte"


async def test_review_buttons_still_work_after_a_restart(
    new_bot: Callable[..., Bot], world: World
) -> None:
    fake = world.fake
    first = await new_bot().start()
    await running_challenge(world, review=True)
    submitted = await world.run(
        world.ana, "idea submit", {"title": "Salted caramel", "description": "Sweet and salty."}
    )
    assert "#1" in submitted.embed["title"]
    review = fake.posts_in(world.mods)[-1]
    await first.stop()

    await new_bot().start()  # a new process: nothing of the old one in memory
    click = await fake.click(world.maya, int(review["id"]), "cocreate:review:approve:1")
    await asyncio.wait_for(click.answered.wait(), WAIT)
    assert "approved" in click.text().lower(), click.text()
    assert fake.idea_message(1)["embeds"][0]["title"] == "💡 #1 · Salted caramel"
    await fake.wait_until(lambda: not review["components"])
    assert "Approved by Maya" in m_footer(review)
