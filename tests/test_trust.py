"""Fair, private and verifiable results, through the core's entry points on both backends:
sealed stays sealed, anonymous stays anonymous, points follow counted votes, badges and
places are awarded once, and an exported vote log can be checked from the file alone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.audit import verify_file
from bot.messages import PostKind, Reply
from bot.model import BadgeKind
from bot.settings import load_settings
from tests.harness import Harness

TWO_WEEKS = "submissions_close:7d voting_close:14d"


def points_of(reply: Reply) -> int:
    """The all-time points in a /badges footer ("6 points all time (…)")."""
    found = re.match(r"(\d+) points? all time", reply.card.footer)
    assert found, reply.card.footer
    return int(found.group(1))


async def close(h: Harness) -> str:
    """Travel past the close; the final results post's text."""
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=15))
    (final,) = [p for p in h.publisher.of_kind(PostKind.RESULTS) if p.card.title.startswith("🏆")]
    return "\n".join([final.card.body, *(v for _, v in final.card.fields), final.card.footer])


def hot(**badges: str) -> Callable[..., Harness]:
    return lambda make: make(
        load_settings(environ={f"COCREATE_BADGES__{k.upper()}": v for k, v in badges.items()})
    )


# -- sealed --------------------------------------------------------------------------------


async def test_a_sealed_challenge_reveals_no_tally_until_the_close(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(load_settings(environ={"COCREATE_BADGES__CROWD_FAVOURITE_VOTES": "2"}))
    await h.challenge(f"sealed:yes {TWO_WEEKS}")
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    seen = [
        (await h.ok("/leaderboard", "cleo")).card.body,
        (await h.ok("/badges ana", "cleo")).card,
        (await h.ok("/badges", "ana")).card,
    ]
    for who in ("cleo", "dan", "eve"):
        await h.react(1, who)
    # What members see of the authors is exactly what they saw before the votes (voters
    # earn their own points for voting, which tells nothing about any tally).
    board = (await h.ok("/leaderboard", "cleo")).card.body.splitlines()
    assert [line for line in board if "Ana" in line or "Ben" in line] == seen[0].splitlines()
    assert (await h.ok("/badges ana", "cleo")).card == seen[1]
    assert (await h.ok("/badges", "ana")).card == seen[2]  # no 🔥, no received points yet
    assert "sealed until close" in str((await h.ok("/idea show #1", "cleo")).card.fields)
    assert "sealed" in await h.refused("/results", "cleo")
    # The author's edit refusal is the same with votes (#1) and without (#2).
    with_votes = await h.refused('/idea edit #1 title:"Salted caramel swirl"', "ana")
    without = await h.refused('/idea edit #2 title:"Mint"', "ben")
    assert "votes" not in with_votes
    assert with_votes.replace("#1", "#N") == without.replace("#2", "#N")
    # At the close the votes are credited, and 🔥 is awarded.
    await close(h)
    assert points_of(await h.ok("/badges ana", "cleo")) == 3 + 3 + 10  # published, votes, 🥇
    assert "🔥 Crowd favourite for #1" in (await h.ok("/badges ana", "cleo")).card.body


async def test_unsealing_a_running_challenge_credits_its_votes_and_sealing_takes_them_back(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(TWO_WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    await h.react(1, "cleo")
    assert points_of(await h.ok("/badges ana", "ben")) == 5
    await h.ok("/challenge edit flavour sealed:yes")
    assert points_of(await h.ok("/badges ana", "ben")) == 3
    await h.ok("/challenge edit flavour sealed:no")
    assert points_of(await h.ok("/badges ana", "ben")) == 5


# -- anonymous -----------------------------------------------------------------------------


async def test_what_an_anonymous_idea_earns_is_shown_to_its_author_only(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(TWO_WEEKS)
    await h.ok('/idea submit title:"Secret" description:"Shh" anonymous:yes', "ana")
    for who in ("ben", "cleo"):
        await h.react(1, who)
    final = await close(h)
    assert "Ana" not in final and "anonymous" in final
    assert points_of(await h.ok("/badges ana", "ben")) == 0
    assert "Ana" not in (await h.ok("/leaderboard period:all", "ben")).card.body
    mine = await h.ok("/badges", "ana")
    assert points_of(mine) == 3 + 2 + 10
    assert "15 from anonymous ideas" in mine.card.footer
    assert (
        "+15 from your anonymous ideas"
        in (await h.ok("/leaderboard period:all", "ana")).card.footer
    )
    assert points_of(await h.ok("/badges ana")) == 15  # moderators see it all
    # 💡 and 🥇 were earned with the anonymous idea: no role or message tells anyone.
    await h.app.drain()
    assert h.publisher.badges == []
    await h.ok('/challenge create title:"Again" brief:"?" voting_close:14d')
    await h.ok("/challenge open again")
    await h.ok('/idea submit title:"Open" description:"Signed" challenge:again', "cleo")
    await h.app.drain()
    assert h.publisher.badges == [("cleo", BadgeKind.SPARK)]


# -- points follow counted votes -----------------------------------------------------------


async def test_a_merge_moves_the_points_of_the_votes_to_the_surviving_author_and_back(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(TWO_WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Salted caramel again")
    for who in ("cleo", "dan"):
        await h.react(1, who)
    for who in ("dan", "eve"):
        await h.react(2, who)
    assert (points_of(await h.ok("/badges ana")), points_of(await h.ok("/badges ben"))) == (5, 5)
    await h.ok("/mod merge #2 into:#1")
    # cleo, dan and eve count for #1 now (dan once): 3 for ana; ben keeps his publication.
    assert (points_of(await h.ok("/badges ana")), points_of(await h.ok("/badges ben"))) == (6, 3)
    await h.ok("/mod unmerge #2")
    assert (points_of(await h.ok("/badges ana")), points_of(await h.ok("/badges ben"))) == (5, 5)


async def test_a_withdrawn_idea_stops_counting_and_its_points_go(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(TWO_WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    await h.ok("/idea withdraw #1", "ana")
    assert points_of(await h.ok("/badges ana")) == 0
    async with h.app.db.transaction() as store:
        (entry,) = [e for e in await store.vote_log(1) if e.action == "withdraw"]
    assert (entry.effect, entry.counted) == ("idea withdrawn", -1)


# -- badges and places ---------------------------------------------------------------------


async def test_crowd_favourite_is_once_per_idea_and_names_it(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(load_settings(environ={"COCREATE_BADGES__CROWD_FAVOURITE_VOTES": "2"}))
    await h.challenge(f"ideas_per_member:3 {TWO_WEEKS}")
    await h.submit("ana", "Salted caramel")
    await h.submit("ana", "Mint chip")
    for number in (1, 2):
        for who in ("ben", "cleo"):
            await h.react(number, who)
    h.tick()
    await h.react(1, "cleo", add=False)
    await h.react(1, "cleo")  # over the threshold again: not a second badge
    body = (await h.ok("/badges", "ana")).card.body
    assert body.count("🔥") == 2
    assert "🔥 Crowd favourite for #1" in body and "🔥 Crowd favourite for #2" in body


async def test_a_member_holds_one_podium_place_and_the_next_idea_moves_up(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(f"ideas_per_member:3 {TWO_WEEKS}")
    await h.submit("ana", "First")
    await h.submit("ana", "Second")
    await h.submit("ben", "Third")
    for number, voters in ((1, "cleo dan eve"), (2, "cleo dan"), (3, "cleo")):
        for who in voters.split():
            await h.react(number, who)
    final = await close(h)
    assert "🥇 #1 First — 3 votes" in final
    assert "2. #2 Second — 2 votes" in final  # ana holds a place already
    assert "🥈 #3 Third — 1 vote" in final
    assert "one place per member" in final
    assert "Podium (2nd)" in (await h.ok("/badges ben")).card.body
    assert "Podium (2nd)" not in (await h.ok("/badges ana")).card.body


async def test_a_challenge_may_allow_several_places_for_one_member(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(f"ideas_per_member:3 multiple_places:yes {TWO_WEEKS}")
    await h.submit("ana", "First")
    await h.submit("ana", "Second")
    for number, voters in ((1, "cleo dan"), (2, "cleo")):
        for who in voters.split():
            await h.react(number, who)
    final = await close(h)
    assert "🥇 #1 First" in final and "🥈 #2 Second" in final


async def test_regular_is_awarded_once_per_member_and_challenge(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(load_settings(environ={"COCREATE_BADGES__REGULAR_WEEKS": "1"}))
    await h.challenge("ideas_per_member:3 submissions_close:14d voting_close:21d")
    await h.ok('/challenge create title:"Packaging" brief:"What box?" voting_close:21d')
    await h.ok("/challenge open packaging")
    await h.ok('/idea submit flavour title:"Salted caramel" description:"Sweet"', "ana")
    h.clock.advance(timedelta(days=7))
    await h.ok('/idea submit flavour title:"Mint chip" description:"Fresh"', "ana")
    await h.ok('/idea submit packaging title:"Paper tub" description:"Less plastic"', "ana")
    badges = (await h.ok("/badges", "ana")).card.body
    assert badges.count("📅") == 2, badges  # one in each challenge, not one per idea
    assert "📅 Regular in Flavour" in badges and "📅 Regular in Packaging" in badges


# -- the verifiable vote log ---------------------------------------------------------------


async def test_an_exported_vote_log_verifies_and_an_edited_one_does_not(
    new_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    h = new_harness()
    await h.challenge(TWO_WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Salted caramel again")
    for who in ("cleo", "dan", "ben"):
        await h.react(1, who)
    await h.react(2, "eve")
    await h.react(2, "ben")  # a self-vote: logged, not counted
    await h.ok("/mod merge #2 into:#1")
    h.tick()
    await h.react(1, "dan", add=False)
    final = await close(h)
    reply = await h.ok("/export flavour format:votes")
    (file,) = reply.attachments
    assert "Cleo" not in file.content.decode() and "cleo" not in file.content.decode()
    path = tmp_path / file.filename
    path.write_bytes(file.content)
    head = re.search(r"head ([0-9a-f]{64})", final)
    assert head, final
    ok, lines = verify_file(path, head.group(1))
    assert ok, lines
    assert "#1 3" in lines[1]  # cleo, ben (his vote on #1) and eve: dan took his back
    # One entry changed: the chain breaks there.
    records = [json.loads(line) for line in file.content.decode().splitlines()]
    forged = next(r for r in records if r.get("effect") == "vote removed")
    forged["counted"] = 0
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    ok, lines = verify_file(path, head.group(1))
    assert not ok and "NOT verified" in lines[-1]
    assert any("chain breaks" in line for line in lines)
    # A log recomputed from the forged entry no longer matches the published head.
    assert "Only moderators" in await h.refused("/export flavour format:votes", "cleo")
