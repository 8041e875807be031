"""Rules that keep results fair and private: found by an audit of the console against the
product description (merges, closed results, sealed tallies, anonymous authors, podium)."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Card, PostKind
from tests.harness import Harness


def text(card: Card) -> str:
    return "\n".join([card.title, card.body, *(f"{k}: {v}" for k, v in card.fields)])


def last_results(h: Harness) -> str:
    return text(h.publisher.of_kind(PostKind.RESULTS)[-1].card)


async def test_a_merge_does_not_turn_a_self_vote_into_a_counted_vote(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge()
    await h.submit("ana", "Alpha")
    await h.submit("ben", "Beta")
    await h.react(1, "dan")
    await h.react(2, "ana")  # a fair vote for Ben's idea, until it merges into Ana's
    await h.react(2, "dan")
    await h.ok("/mod merge #2 into:#1")
    results = (await h.ok("/results", "cleo")).card
    assert "#1 Alpha — 1 vote" in results.body, results.body
    assert "1 idea · 2 voters · 1 vote" in text(results)
    await h.ok("/mod unmerge #2")
    assert "#2 Beta — 2 votes" in (await h.ok("/results", "cleo")).card.body


async def test_a_closed_challenge_keeps_its_ideas_as_judged(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge()
    await h.submit("ana", "Alpha")
    await h.submit("ben", "Beta")
    await h.react(2, "cleo")
    await h.ok("/challenge close flavour")
    assert "results are final" in await h.refused("/idea withdraw #2", "ben")
    assert "results are final" in await h.refused('/idea edit #1 title:"Better"', "ana")
    assert "🥇 #2 Beta — 1 vote" in (await h.ok("/results flavour", "dan")).card.body
    await h.ok("/mod status #2 implemented")  # moderators still close the loop


async def test_withdrawn_and_merged_ideas_can_still_be_looked_up(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("review:yes")
    for who, title in (("ana", "Alpha"), ("ben", "Beta"), ("cleo", "Gamma"), ("eve", "Delta")):
        await h.submit(who, title)
    for number in (1, 2, 3):
        await h.ok(f"/mod approve #{number}")
    await h.ok("/idea withdraw #1", "ana")
    await h.ok("/mod merge #2 into:#3")
    assert dict((await h.ok("/idea show #1", "dan")).card.fields)["Status"] == "withdrawn"
    assert "merged" in dict((await h.ok("/idea show #2", "dan")).card.fields)["Status"]
    assert "no idea #4" in await h.refused("/idea show #4", "dan")  # never published


async def test_sealed_posts_show_neither_order_nor_tallies(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    h.settings.badges.crowd_favourite_votes = 2
    await h.challenge("sealed:yes")
    await h.submit("ana", "Alpha")
    await h.submit("ben", "Beta")
    for voter in ("cleo", "dan"):
        await h.react(2, voter)
    await h.app.drain()
    await h.ok("/results post flavour")
    posted = last_results(h)
    assert "🥇" not in posted and "1." not in posted, posted
    assert posted.index("#2 Beta — sealed") < posted.index("#1 Alpha — sealed")  # newest first
    assert "Crowd" not in posted
    await h.ok("/challenge close flavour")
    assert "🥇 #2 Beta — 2 votes" in text(h.publisher.of_kind(PostKind.RESULTS)[-1].card)


async def test_badges_of_anonymous_ideas_do_not_name_their_authors(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge()
    await h.ok('/idea submit title:"Secret" description:"Shh." anonymous:yes', "ana")
    await h.react(1, "ben")
    await h.ok("/challenge close flavour")
    final = last_results(h)
    assert "🥇 #1 Secret — 1 vote" in final
    assert "Podium (1st) — anonymous" in final and "Ana" not in final, final
    assert "Podium" not in (await h.ok("/badges ana", "ben")).card.body
    assert "Podium" in (await h.ok("/badges", "ana")).card.body
    assert "Podium" in (await h.ok("/badges ana")).card.body  # moderators see everything


async def test_only_ideas_with_votes_take_podium_places(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge()
    await h.submit("ana", "Alpha")
    await h.submit("ben", "Beta")
    await h.react(1, "cleo")
    await h.ok("/challenge close flavour")
    final = last_results(h)
    assert "🥇 #1 Alpha — 1 vote" in final
    assert "2. #2 Beta — 0 votes" in final and "🥈" not in final, final
