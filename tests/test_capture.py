"""Capturing an idea from a chat message: the author confirms, edits or declines it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core import parse_invocation
from bot.messages import PostKind, Reply
from bot.model import IdeaStatus
from tests.harness import Harness

LINK = "https://chat.example/archives/general/p123"


@pytest.fixture
async def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    await harness.challenge()
    return harness


async def capture(h: Harness, text: str, who: str = "mod", author: str = "ana") -> Reply:
    """What the platforms send: the command, with the message's author described."""
    inv = parse_invocation(text, h.community, "general", h.actor(who, who == "mod"))
    inv = type(inv)(**{**inv.__dict__, "people": (h.actor(author),)})
    return await h.app.handle_command(inv)


async def status_of(h: Harness, number: int) -> IdeaStatus:
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        idea = await store.idea_by_number(community.id, number)
        assert idea is not None
        return idea.status


async def test_a_captured_idea_waits_for_its_author_then_is_posted(h: Harness) -> None:
    reply = await capture(
        h, f'/idea capture ana title:"Oat milk" description:"We need it @everyone" source:{LINK}'
    )
    assert reply.ok, reply.card
    assert reply.card.title == "📨 Idea #1 waits for Ana"
    assert "Ana got a direct message" in reply.card.footer
    assert not h.publisher.of_kind(PostKind.IDEA)
    (dm,) = h.publisher.dms
    assert dm[0] == "ana"
    assert "Mod suggests your message" in dm[1].body
    assert "@\u200beveryone" in dm[1].body  # nothing pings
    assert "/idea confirm #1" in dm[1].footer
    # Buttons for the platforms that have them: each runs its command as who clicks.
    assert [(a.label, a.usage, a.form) for a in dm[1].actions] == [
        ("Confirm", "/idea confirm #1", False),
        ("Edit", "/idea edit #1", True),
        ("Decline", "/idea decline #1", False),
    ]
    assert dict(dm[1].fields)["From the message"] == LINK
    # Nobody else sees it, and moderators can't approve it in the author's place.
    assert "no idea #1" in await h.refused("/idea show #1", "ben")
    assert "Only the author" in await h.refused("/idea confirm #1", "mod")
    assert "not waiting for review" in await h.refused("/mod approve #1")
    assert await status_of(h, 1) is IdeaStatus.AWAITING_AUTHOR
    # The author edits, then confirms: it is posted as theirs, with the link.
    await h.ok('/idea edit #1 title:"Oat milk, please"', "ana")
    confirmed = await h.ok("/idea confirm #1", "ana")
    assert confirmed.card.title == "💡 Idea #1 is in!"
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    assert post.card.title == "💡 #1 · Oat milk, please"
    fields = dict(post.card.fields)
    assert fields["By"] == "Ana" and fields["From the message"] == LINK
    shown = await h.ok("/idea show #1", "ben")
    assert dict(shown.card.fields)["From the message"] == LINK
    assert "nothing to confirm" in await h.refused("/idea confirm #1", "ana")


async def test_the_author_declines(h: Harness) -> None:
    await capture(h, '/idea capture ana title:"Oat milk" description:"Please"')
    assert "no idea #1" in await h.refused("/idea decline #1", "ben")
    declined = await h.ok("/idea decline #1", "ana")
    assert declined.card.title == "🗑️ #1 is declined"
    assert await status_of(h, 1) is IdeaStatus.WITHDRAWN
    assert not h.publisher.of_kind(PostKind.IDEA)
    assert "nothing to confirm" in await h.refused("/idea confirm #1", "ana")


async def test_capturing_your_own_message_submits_it(h: Harness) -> None:
    reply = await capture(
        h, f'/idea capture ana title:"Oat milk" description:"Please" source:{LINK}', "ana"
    )
    assert reply.card.title == "💡 Idea #1 is in!"
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    assert dict(post.card.fields)["From the message"] == LINK
    assert not h.publisher.dms


async def test_review_after_confirming_and_closed_dms(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("review:yes")
    h.publisher.closed_dms.add("ana")
    reply = await capture(h, '/idea capture ana title:"Oat milk" description:"Please"')
    assert "couldn't send Ana a direct message" in reply.card.footer
    assert "/ideas mine" in reply.card.footer
    assert not h.publisher.of_kind(PostKind.REVIEW)  # not before the author confirms
    await h.ok("/idea confirm #1", "ana")
    assert h.publisher.of_kind(PostKind.REVIEW)
    await h.ok("/mod approve #1")
    assert h.publisher.of_kind(PostKind.IDEA)


async def test_bad_links_and_unknown_authors_are_refused(h: Harness) -> None:
    assert "source:" in await h.refused(
        '/idea capture ana title:"T" description:"D" source:javascript:alert(1)'
    )
    assert "don't know a member" in await h.refused('/idea capture zed title:"T" description:"D"')


async def test_captures_waiting_for_one_author_are_bounded(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("ideas_per_member:2")
    for n in (1, 2):
        assert (await capture(h, f'/idea capture ana title:"Idea {n}" description:"D"')).ok
    refused = await capture(h, '/idea capture ana title:"Idea 3" description:"D"')
    assert not refused.ok and "already has 2 captured ideas" in refused.card.body
    assert len(h.publisher.dms) == 2
    await h.ok("/idea decline #1", "ana")
    assert (await capture(h, '/idea capture ana title:"Idea 3" description:"D"')).ok
