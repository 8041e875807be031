"""Follow-ups (bot/followups.py): what a change owes the platforms once it has committed
is done then, again later when that failed or its process died, and given up only past
`scheduler.give_up_hours`, with an error. Badge news (bot/badge_news.py) is never owed for
an anonymous idea's badge; a changed idea's posts are shown again as it now is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.followups import LEASE
from bot.model import BadgeKind
from tests.harness import Harness

OPEN = "voting_close:14d"


def told(h: Harness, outcome: str) -> float:
    sample = h.app.metrics.registry.get_sample_value(
        "cocreate_followups_total", {"kind": "badge", "outcome": outcome}
    )
    return sample or 0.0


async def waiting(h: Harness) -> bool:
    """Whether any follow-up waits to be done."""
    async with h.app.db.transaction() as store:
        return await store.followups.next_due() is not None


async def spark_failed_once(h: Harness) -> Harness:
    """Ana earns 💡 Spark, and the platform fails to take it once."""
    await h.challenge(OPEN)
    h.publisher.fail_badges = 1
    await h.submit("ana", "Salted caramel")
    await h.app.drain()
    return h


async def test_a_badge_the_platform_could_not_take_is_told_when_its_retry_falls_due(
    new_harness: Callable[..., Harness],
) -> None:
    h = await spark_failed_once(new_harness())
    assert h.publisher.badges == []
    assert (told(h, "done"), told(h, "retry")) == (0, 1)
    # the agenda wakes for it, and tells it then (not before)
    due = await h.app.agenda.next_due()
    assert due is not None and h.clock.now() < due <= h.clock.now() + timedelta(seconds=2)
    await h.app.agenda.run_due()
    assert h.publisher.badges == []
    h.clock.advance_to(due)
    await h.app.agenda.run_due()
    assert h.publisher.badges == [("ana", BadgeKind.SPARK)]
    # told once: later runs tell nothing again
    h.tick(60)
    await h.app.agenda.run_due()
    assert h.publisher.badges == [("ana", BadgeKind.SPARK)]
    assert (told(h, "done"), told(h, "retry"), await waiting(h)) == (1, 1, False)


async def test_news_its_process_never_told_is_told_by_another_once_its_lease_ran_out(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = new_harness()
    await crashed.challenge(OPEN)

    async def died_first(*_: object) -> None:  # the process dies once the award committed
        return None

    monkeypatch.setattr(crashed.app.followups, "run_now", died_first)
    await crashed.submit("ana", "Salted caramel")
    await crashed.app.drain()
    assert crashed.publisher.badges == []

    other = new_harness()
    other.clock.advance_to(crashed.clock.now())
    await other.app.agenda.run_due()
    assert other.publisher.badges == []  # held for the process that awarded it
    due = await other.app.agenda.next_due()
    assert due == crashed.clock.now() + LEASE
    other.clock.advance_to(due)
    await other.app.agenda.run_due()
    assert other.publisher.badges == [("ana", BadgeKind.SPARK)]


async def test_a_claim_of_a_process_that_died_while_telling_lapses_with_its_lease(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await spark_failed_once(new_harness())
    stuck = asyncio.Event()

    async def hangs(*_: object) -> None:
        stuck.set()
        await asyncio.Event().wait()  # the process dies while the platform is asked

    monkeypatch.setattr(h.publisher, "badge_awarded", hangs)
    h.tick()
    claimed_at = h.clock.now()
    dying = asyncio.create_task(h.app.followups.run_due())  # claims the retry, then hangs
    await stuck.wait()
    dying.cancel()
    other = new_harness()
    other.clock.advance_to(claimed_at)
    await other.app.agenda.run_due()
    assert other.publisher.badges == []  # claimed by the process that died
    due = await other.app.agenda.next_due()
    assert due == claimed_at + LEASE
    other.clock.advance_to(due)
    await other.app.agenda.run_due()
    assert other.publisher.badges == [("ana", BadgeKind.SPARK)]


async def test_two_processes_sweeping_at_once_tell_each_badge_once(
    new_harness: Callable[..., Harness],
) -> None:
    first, second = new_harness(), new_harness()
    await first.challenge(OPEN)
    first.publisher.fail_badges = 3
    for who in ("ana", "ben", "cleo"):
        await first.submit(who, f"Idea of {who}")
    await first.app.drain()
    assert first.publisher.badges == []
    for h in (first, second):
        h.clock.advance_to(first.clock.now() + timedelta(minutes=5))
    await asyncio.gather(first.app.followups.run_due(), second.app.followups.run_due())
    both = first.publisher.badges + second.publisher.badges
    assert sorted(both) == [(w, BadgeKind.SPARK) for w in ("ana", "ben", "cleo")]


async def test_an_anonymous_ideas_badge_is_never_told_even_by_the_sweep(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(OPEN)
    await h.ok('/idea submit title:"Secret" description:"Shh" anonymous:yes', "ana")
    await h.app.drain()
    h.tick(60 * 24)
    await h.app.agenda.run_due()
    assert h.publisher.badges == []
    assert not await waiting(h)
    assert "Spark" in (await h.ok("/badges", "ana")).card.body


async def test_a_platform_that_never_takes_it_is_given_up_past_the_give_up_hours(
    new_harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = new_harness()
    await h.challenge(OPEN)
    h.publisher.fail_badges = -1
    await h.submit("ana", "Salted caramel")
    await h.app.drain()
    hours = h.settings.scheduler.give_up_hours
    with caplog.at_level(logging.ERROR, logger="bot.followups"):
        await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(hours=hours + 1))
    assert h.publisher.badges == []
    assert told(h, "given up") == 1
    assert told(h, "retry") > 5  # backing off: tried again and again, not every second
    assert told(h, "retry") < hours * 3600 / h.settings.scheduler.retry_max_seconds + 20
    assert any("gave up badge follow-up" in r.getMessage() for r in caplog.records)
    assert not await waiting(h)
    assert "Spark" in (await h.ok("/badges", "ana")).card.body


# -- an idea's posts, shown again as it now is ------------------------------------------


def shown_status(h: Harness, number: int) -> list[str]:
    """The status each update of idea #`number`'s post showed, in order."""
    return [
        value
        for _receipt, post in h.publisher.updates
        if post.idea_number == number
        for name, value in post.card.fields
        if name == "Status"
    ]


async def test_a_status_the_platform_could_not_show_is_shown_when_its_retry_falls_due(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(OPEN)
    await h.submit("ana", "Salted caramel")
    h.publisher.fail_updates = 1
    await h.ok("/mod status #1 planned")
    assert shown_status(h, 1) == []
    due = await h.app.agenda.next_due()
    assert due is not None and h.clock.now() < due <= h.clock.now() + timedelta(seconds=2)
    h.clock.advance_to(due)
    await h.app.agenda.run_due()
    assert shown_status(h, 1) == ["planned"]
    h.tick(60)
    await h.app.agenda.run_due()
    assert len(shown_status(h, 1)) == 1  # shown once
    assert not await waiting(h)


async def test_a_change_its_process_never_showed_is_shown_by_another_once_its_hold_ran_out(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = new_harness()
    await crashed.challenge(OPEN)
    await crashed.submit("ana", "Salted caramel")
    await crashed.app.drain()

    async def died_first(*_: object) -> None:  # the process dies once the change committed
        return None

    monkeypatch.setattr(crashed.app.followups, "run_now", died_first)
    await crashed.ok("/mod status #1 planned")
    assert shown_status(crashed, 1) == []
    other = new_harness()
    other.clock.advance_to(crashed.clock.now())
    await other.app.agenda.run_due()
    assert shown_status(other, 1) == []  # held for the process that made the change
    due = await other.app.agenda.next_due()
    assert due == crashed.clock.now() + LEASE
    other.clock.advance_to(due)
    await other.app.agenda.run_due()
    assert shown_status(other, 1) == ["planned"]
    assert not await waiting(other)
