"""Brigading alerts: an organic challenge raises none; a raid of new accounts, or votes far
faster than the challenge's pace, is flagged to the moderators once, with the evidence."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from adapters.console.demo import IDEAS, MEMBERS
from bot.alerts import is_new, judge
from bot.messages import MODERATORS, Actor, Post
from bot.ports import RecentVote
from bot.settings import AlertsSettings, load_settings
from tests.harness import START, Harness


@pytest.fixture
def h(new_harness: Callable[..., Harness]) -> Harness:
    return new_harness()


def alerts(h: Harness) -> list[Post]:
    return [
        s.post
        for s in h.publisher.sent
        if s.post.channel_id == MODERATORS and s.post.card.title.startswith("🚨")
    ]


def established(name: str, rng: random.Random) -> Actor:
    """A member as the demo's are: accounts of months or years, in the server for weeks."""
    return Actor(
        name,
        name.title(),
        account_created_at=START - timedelta(days=rng.randint(90, 2500)),
        joined_at=START - timedelta(days=rng.randint(14, 400)),
    )


async def play_organic(h: Harness, rng: random.Random) -> None:
    """The demo's story: its members submit its ideas, then vote at a human pace (a few
    reactions each, minutes apart, over several days)."""
    await h.challenge("submissions_close:7d voting_close:14d")
    actors = {m: established(m, rng) for m in MEMBERS}
    for author, title, _ in IDEAS:
        await h.submit(author, title)
        h.clock.advance(timedelta(hours=3))
    for _ in range(4):
        for member in rng.sample(MEMBERS, 9):
            for number in rng.sample(range(1, len(IDEAS) + 1), 3):
                await h.react(number, member, actor=actors[member])
                h.clock.advance(timedelta(minutes=rng.randint(1, 20)))
            h.clock.advance(timedelta(hours=rng.randint(1, 5)))
        h.clock.advance(timedelta(hours=12))
    await h.app.drain()


async def test_an_organic_challenge_raises_no_alert(h: Harness) -> None:
    await play_organic(h, random.Random(7))
    standings = (await h.ok("/results")).card.body
    top = int(standings.splitlines()[0].split("— ")[1].split()[0])
    assert top >= h.settings.alerts.min_votes  # the ideas were judged, not skipped
    assert alerts(h) == []


async def test_a_raid_of_new_accounts_is_flagged_within_its_first_20_votes(h: Harness) -> None:
    await play_organic(h, random.Random(11))
    raid_start = h.clock.now()
    flagged_at = None
    for n in range(1, 41):
        raider = Actor(
            f"raider{n}",
            f"Raider {n}",
            account_created_at=raid_start - timedelta(days=2),
            joined_at=raid_start - timedelta(minutes=30),
        )
        await h.react(3, raider.external_id, actor=raider)
        h.clock.advance(timedelta(seconds=40))
        await h.app.drain()
        if flagged_at is None and alerts(h):
            flagged_at = n
    assert flagged_at is not None and flagged_at <= 20, flagged_at
    sent = alerts(h)
    # Each rule alerts once per idea, however long the raid goes on.
    assert len({p.card.body for p in sent}) == len(sent) <= 2
    card = sent[0].card
    assert "#3" in card.title
    assert "accounts younger than 30 days" in "\n".join(p.card.body for p in sent)
    voters = dict(card.fields)["Latest voters (ages when they voted)"]
    assert "Raider" in voters and "account 2 d" in voters
    assert "/mod voters #3" in card.footer


async def test_votes_far_faster_than_the_challenge_pace_are_flagged(h: Harness) -> None:
    """On Slack nobody's age is known: the pace alone tells a raid."""
    await h.challenge("submissions_close:7d voting_close:14d")
    for n in range(1, 5):
        await h.submit(f"author{n}", f"Idea {n}")
    for day in range(3):  # the usual pace: a few votes a day on each idea
        for number in range(1, 5):
            await h.react(number, f"fan{day}")
        h.clock.advance(timedelta(days=1))
    for n in range(15):
        await h.react(2, f"sock{n}")
        h.clock.advance(timedelta(minutes=2))
    await h.app.drain()
    (alert,) = alerts(h)
    assert "#2" in alert.card.title
    found = re.match(
        r"(\d+) votes in the last 2 hours, where an idea of this challenge "
        r"usually gets (\d+\.\d) in that time",
        alert.card.body,
    )
    assert found, alert.card.body
    assert 10 <= int(found.group(1)) <= 15 and float(found.group(2)) < 1


async def test_a_busy_opening_across_every_idea_is_not_a_raid(h: Harness) -> None:
    """Everything is fast right after an announcement: the usual pace keeps up with it."""
    await h.challenge("submissions_close:7d voting_close:14d")
    for n in range(1, 11):
        await h.submit(f"author{n}", f"Idea {n}")
    rng = random.Random(3)
    for _ in range(300):
        await h.react(rng.randint(1, 10), f"fan{rng.randint(1, 60)}")
        h.clock.advance(timedelta(seconds=1))
    await h.app.drain()
    standings = (await h.ok("/results")).card.body
    assert int(standings.splitlines()[0].split("— ")[1].split()[0]) >= 15  # judged often
    assert alerts(h) == []


async def test_votes_moved_by_a_merge_are_not_a_pace(h: Harness) -> None:
    await h.challenge("submissions_close:7d voting_close:14d")
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Crunchy caramel")
    for n in range(14):  # spread over days: no pace
        await h.react(2, f"fan{n}")
        h.clock.advance(timedelta(hours=6))
    await h.ok("/mod merge #2 into:#1")
    await h.react(1, "late")
    await h.app.drain()
    assert alerts(h) == []


async def test_alerts_can_be_turned_off(new_harness: Callable[..., Harness]) -> None:
    h = new_harness(load_settings(environ={"COCREATE_ALERTS__ENABLED": "false"}))
    await h.challenge()
    await h.submit("ana", "Salted caramel")
    for n in range(30):
        new = START - timedelta(days=1)
        await h.react(1, f"r{n}", actor=Actor(f"r{n}", f"R{n}", account_created_at=new))
    await h.app.drain()
    assert alerts(h) == []


def vote(minutes: int, account_days: float | None, joined_days: float | None) -> RecentVote:
    at = START + timedelta(minutes=minutes)
    return RecentVote(
        1,
        "Kim",
        at,
        None if account_days is None else at - timedelta(days=account_days),
        None if joined_days is None else at - timedelta(days=joined_days),
    )


def test_newness_needs_the_platform_to_say_how_old() -> None:
    s = AlertsSettings()
    assert is_new(vote(0, 29.9, None), s)
    assert not is_new(vote(0, 30, None), s)
    assert is_new(vote(0, 400, 6.9), s)
    assert not is_new(vote(0, None, None), s)  # Slack: unknown is not new


def test_an_idea_is_judged_only_from_min_votes() -> None:
    s = AlertsSettings()
    raid = [vote(i, 1, 0.1) for i in range(s.min_votes - 1)]
    assert judge(raid, usual=0.5, settings=s) == []
    raid.append(vote(s.min_votes, 1, 0.1))
    assert {f.rule for f in judge(raid, usual=0.5, settings=s)} == {"pace", "newcomers"}
    assert judge(raid, usual=3.0, settings=s)[0].rule == "newcomers"  # 10 is not 5 × 3
    settled = [vote(i, 900, 100) for i in range(10)]
    assert judge(settled, usual=3.0, settings=s) == []
