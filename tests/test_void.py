"""`/mod void`, `/mod unvoid` and `/mod voters`: a moderator sets aside a member's votes in
a challenge, in the vote log and the moderator log, and can restore them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot import votelog
from bot.messages import Actor
from tests.harness import START, Harness


@pytest.fixture
def h(new_harness: Callable[..., Harness]) -> Harness:
    return new_harness()


async def standings(h: Harness) -> list[str]:
    return (await h.ok("/results")).card.body.splitlines()


async def points(h: Harness, who: str) -> str:
    return (await h.ok(f"/badges {who}", "mod")).card.body


async def voted(h: Harness) -> None:
    await h.challenge("voting_close:14d")
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    for member in ("cleo", "dan"):
        await h.react(1, member)
    await h.react(2, "cleo")


async def test_void_sets_a_members_votes_aside_and_unvoid_restores_them(h: Harness) -> None:
    await voted(h)
    assert await standings(h) == ["🥇 #1 Salted caramel — 2 votes", "🥈 #2 Mint chip — 1 vote"]
    reply = await h.ok("/mod void cleo")
    assert reply.card.title == "🧹 Cleo's votes in Flavour are void"
    assert "2 votes (#1, #2) no longer count" in reply.card.body
    assert await standings(h) == ["🥇 #1 Salted caramel — 1 vote", "2. #2 Mint chip — 0 votes"]
    # Their new votes are kept aside too, and a second void is refused.
    assert (await h.react(2, "cleo", add=False)).effect == "vote removed"
    assert (await h.react(2, "cleo")).effect == "ignored: voided by a moderator"
    assert "already void" in await h.refused("/mod void cleo flavour")
    reply = await h.ok("/mod unvoid cleo flavour")
    assert "2 votes (#1, #2) count again" in reply.card.body
    assert await standings(h) == ["🥇 #1 Salted caramel — 2 votes", "🥈 #2 Mint chip — 1 vote"]
    assert "are not void" in await h.refused("/mod unvoid cleo")
    log = (await h.ok("/mod log")).card.body
    assert "voided the votes of Cleo (flavour)" in log
    assert "restored the votes of Cleo (flavour)" in log


async def test_void_takes_back_the_points_the_votes_gave(h: Harness) -> None:
    await voted(h)
    authors_before = await h.ok("/leaderboard", "ana")
    await h.ok("/mod void cleo")
    after = await h.ok("/leaderboard", "ana")
    # Ana received one vote fewer; Cleo cast none that count.
    assert authors_before.card.body != after.card.body
    lines = dict(line.split(". ", 1)[1].split(" — ") for line in after.card.body.splitlines())
    assert lines["Ana"] == "4 points"  # 3 for publishing, 1 received
    assert lines.get("Cleo") is None
    await h.ok("/mod unvoid cleo")
    assert (await h.ok("/leaderboard", "ana")).card.body == authors_before.card.body


async def test_void_and_unvoid_are_entries_of_the_vote_log_which_still_verifies(
    h: Harness,
) -> None:
    await voted(h)
    await h.ok("/mod void cleo")
    await h.ok("/mod unvoid cleo")
    reply = await h.ok("/export flavour format:votes")
    lines = [json.loads(line) for line in reply.attachments[0].content.decode().splitlines()]
    entries = [e for e in lines if "summary" not in e]
    effects = [(e["action"], e["effect"], e["counted"]) for e in entries[-6:]]
    assert effects.count(("void", "voided by a moderator", -1)) == 2
    assert effects.count(("unvoid", "restored by a moderator", 1)) == 2
    verdict = votelog.verify(entries, claimed_standings={1: 2, 2: 1})
    assert verdict.ok, verdict.problems


async def test_void_is_for_moderators_and_for_this_community_only(h: Harness) -> None:
    await voted(h)
    assert "Only moderators" in await h.refused("/mod void cleo", "ana", mod=False)
    assert "Only moderators" in await h.refused("/mod voters #1", "ana", mod=False)
    assert "don't know a member" in await h.refused("/mod void @everyone")
    assert "No challenge called" in await h.refused("/mod void cleo elsewhere")
    other = h.community.__class__(h.community.platform, "guild-2", "Other guild")
    await h.ok('/challenge create title:"Other" brief:"?"', community=other)
    assert "don't know a member" in await h.refused("/mod void cleo", community=other)
    assert "no idea #1" in (await h.refused("/mod voters #1", community=other)).casefold()


async def test_a_closed_challenges_votes_stay_as_they_are(h: Harness) -> None:
    await voted(h)
    h.clock.advance(timedelta(days=15))
    await h.app.agenda.run_due()
    assert "results are final" in await h.refused("/mod void cleo flavour")


async def test_voters_lists_ages_and_when_they_voted(h: Harness) -> None:
    await h.challenge()
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Crunchy caramel")
    kim = Actor(
        "kim",
        "Kim",
        account_created_at=START - timedelta(days=3),
        joined_at=START - timedelta(hours=5),
    )
    await h.react(1, "kim", actor=kim)
    h.tick(90)
    await h.react(2, "lee")
    await h.ok("/mod merge #2 into:#1")
    await h.ok("/mod void lee")
    card = (await h.ok("/mod voters #1")).card
    assert card.title == "🗳️ Voters of #1 · Salted caramel"
    lee, kim_line = card.body.splitlines()
    assert lee.startswith("Lee · account age unknown · join date unknown · voted Mon 2 Mar")
    assert lee.endswith("· on #2 · void")
    assert kim_line.startswith("Kim · account 3 d · joined 5 h · voted Mon 2 Mar 2026, 09:00")
    assert dict(card.fields)["New accounts or members"].startswith("1 of 2 votes")
