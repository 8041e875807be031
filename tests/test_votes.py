"""Votes from reactions, through the core's reaction entry point, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.messages import Actor, CommunityRef, ReactionAction, ReactionEvent
from bot.settings import load_settings
from bot.votes import Effect
from tests.harness import Harness


async def votes_of(h: Harness, number: int) -> int:
    async with h.app.db.transaction() as store:
        idea = await store.idea_by_number((await store.find_community(h.community)).id, number)
        assert idea is not None
        return idea.vote_count


@pytest.fixture
async def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    await harness.challenge()
    await harness.submit("ana", "Salted caramel")
    await harness.submit("ben", "Mint chip")
    return harness


async def test_a_vote_counts_once_and_a_removal_withdraws_it(h: Harness) -> None:
    assert (await h.react(1, "ben")).effect == Effect.ADDED
    assert (await h.react(1, "ben")).effect == Effect.NO_CHANGE
    assert await votes_of(h, 1) == 1
    h.tick()
    assert (await h.react(1, "ben", add=False)).effect == Effect.REMOVED
    assert await votes_of(h, 1) == 0


async def test_self_votes_and_the_bot_do_not_count(h: Harness) -> None:
    assert (await h.react(1, "ana")).effect == Effect.SELF_VOTE
    bot = Actor("cocreate-bot", "Cocreate", is_bot=True)
    assert (await h.react(1, "x", actor=bot)).effect == Effect.BOT
    assert await votes_of(h, 1) == 0


async def test_a_replayed_event_changes_nothing(h: Harness) -> None:
    event = h.event(1, "ben", event_id="same")
    assert (await h.app.handle_reaction(event)).effect == Effect.ADDED
    h.tick()
    await h.react(1, "ben", add=False)
    replay = await h.app.handle_reaction(event)
    assert replay.duplicate
    assert await votes_of(h, 1) == 0


async def test_add_and_remove_out_of_order_end_removed(h: Harness) -> None:
    added_at = h.clock.now()
    removed_at = added_at + timedelta(seconds=5)
    h.tick(10)
    remove = h.event(1, "ben", ReactionAction.REMOVE, at=removed_at)
    add = h.event(1, "ben", ReactionAction.ADD, at=added_at)
    await h.app.handle_reaction(remove)
    assert (await h.app.handle_reaction(add)).effect == Effect.STALE
    assert await votes_of(h, 1) == 0


async def test_one_vote_per_member_across_venues(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("venue:general,ideas")
    await h.submit("ana", "Salted caramel")
    assert {s.receipt.channel_id for s in h.publisher.sent if s.post.idea_number == 1} == {
        "general",
        "ideas",
    }
    await h.react(1, "ben", channel="general")
    assert (await h.react(1, "ben", channel="ideas")).effect == Effect.NO_CHANGE
    assert await votes_of(h, 1) == 1
    h.tick()
    assert (await h.react(1, "ben", add=False, channel="general")).effect == Effect.NO_CHANGE
    assert await votes_of(h, 1) == 1
    h.tick()
    assert (await h.react(1, "ben", add=False, channel="ideas")).effect == Effect.REMOVED
    assert await votes_of(h, 1) == 0


async def test_other_emoji_count_nothing_but_skin_tones_do(h: Harness) -> None:
    assert (await h.react(1, "ben", emoji="🎉")).effect == Effect.OTHER_EMOJI
    assert (await h.react(1, "cleo", emoji="👍🏽")).effect == Effect.ADDED
    assert await votes_of(h, 1) == 1


async def test_clear_removes_every_vote_on_the_post(h: Harness) -> None:
    await h.react(1, "ben")
    await h.react(1, "cleo")
    h.tick()
    clear = h.event(1, "", ReactionAction.CLEAR, emoji=None)
    assert (await h.app.handle_reaction(clear)).effect == Effect.REMOVED
    assert await votes_of(h, 1) == 0


async def test_unknown_messages_and_other_communities_are_ignored(h: Harness) -> None:
    receipt = h.publisher.idea_message(1)
    stranger = ReactionEvent(
        community=CommunityRef("test", "guild-2"),
        channel_id=receipt.channel_id,
        message_id=receipt.message_id,
        action=ReactionAction.ADD,
        at=h.clock.now(),
        member=h.actor("ben"),
        emoji="👍",
        event_id="x1",
    )
    assert (await h.app.handle_reaction(stranger)).effect == Effect.NOT_AN_IDEA
    other = ReactionEvent(
        h.community, "general", "nope", ReactionAction.ADD, h.clock.now(), h.actor("ben"), "👍"
    )
    assert (await h.app.handle_reaction(other)).effect == Effect.NOT_AN_IDEA
    assert await votes_of(h, 1) == 0


async def test_votes_after_the_close_neither_count_nor_withdraw(h: Harness) -> None:
    await h.react(1, "ben")
    h.tick()
    await h.ok("/challenge close flavour")
    h.tick()
    assert (await h.react(1, "ben", add=False)).effect == Effect.CLOSED
    assert (await h.react(2, "cleo")).effect == Effect.CLOSED
    assert await votes_of(h, 1) == 1
    assert await votes_of(h, 2) == 0


async def test_minimum_account_age_and_blocked_members(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("min_account_age:7d")
    await h.submit("ana", "Salted caramel")
    young = h.actor("newbie", account_created_at=h.clock.now() - timedelta(days=1))
    old = h.actor("veteran", account_created_at=h.clock.now() - timedelta(days=400))
    assert (await h.react(1, "newbie", actor=young)).effect == Effect.ACCOUNT_AGE
    assert (await h.react(1, "veteran", actor=old)).effect == Effect.ADDED
    await h.ok("/mod block veteran")
    await h.ok("/challenge edit flavour min_account_age:0")
    h.tick()
    await h.react(1, "veteran", add=False, actor=old)
    h.tick()
    assert (await h.react(1, "veteran", actor=old)).effect == Effect.BLOCKED
    assert await votes_of(h, 1) == 0


async def test_reconcile_makes_stored_votes_match_the_platform(h: Harness) -> None:
    await h.react(1, "ben")
    await h.react(1, "cleo")
    receipt = h.publisher.idea_message(1)
    h.tick(60)
    now_reacting = [h.actor("cleo"), h.actor("dan"), h.actor("eve"), h.actor("ana")]
    result = await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": now_reacting}
    )
    assert (result.added, result.removed) == (3, 1)  # dan, eve, ana in; ben out
    assert await votes_of(h, 1) == 3  # cleo, dan, eve: ana's own vote does not count
    again = await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": now_reacting}
    )
    assert (again.added, again.removed) == (0, 0)
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        log = await store.reaction_log(community.id)
    reconciled = [e for e in log if e.source == "reconcile"]
    assert sorted(e.effect for e in reconciled) == sorted(
        [Effect.ADDED, Effect.ADDED, Effect.SELF_VOTE, Effect.REMOVED]
    )


async def test_merge_moves_votes_once_per_member_and_unmerge_restores(h: Harness) -> None:
    await h.submit("cleo", "Salted caramel swirl")
    for who in ("ben", "dan"):
        await h.react(1, who)
    for who in ("ben", "eve"):
        await h.react(3, who)
    reply = await h.ok("/mod merge #3 into:#1")
    assert "3 votes" in reply.card.body  # ben, dan, eve: ben once
    assert await votes_of(h, 1) == 3
    await h.ok("/mod unmerge #3")
    assert await votes_of(h, 1) == 2
    assert await votes_of(h, 3) == 2


async def test_badges_for_crowd_favourites_and_voices(new_harness: Callable[..., Harness]) -> None:
    settings = load_settings(
        environ={"COCREATE_BADGES__CROWD_FAVOURITE_VOTES": "2", "COCREATE_BADGES__VOICE_VOTES": "2"}
    )
    h = new_harness(settings)
    await h.challenge()
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    await h.react(1, "cleo")
    await h.react(1, "dan")
    await h.react(2, "cleo")
    reply = await h.ok("/badges ana", "ana")
    assert "Crowd favourite" in reply.card.body
    reply = await h.ok("/badges", "cleo")
    assert "Voice" in reply.card.body
    h.tick()
    await h.react(1, "dan", add=False)
    reply = await h.ok("/badges ana", "ana")
    assert "Crowd favourite" in reply.card.body  # never revoked by a recount
