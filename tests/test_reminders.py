"""Deadlines people notice (issue 11, part 3): a reminder in each venue before submissions
close and before voting closes, through the exactly-once path, on SQLite and PostgreSQL,
with the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core import Cocreate
from bot.messages import PostKind
from bot.settings import load_settings
from storage.database import SqlDatabase
from tests.harness import START, Harness

DAY = timedelta(days=1)


def reminders(h: Harness) -> list[tuple[str, str, datetime]]:
    """(channel, title, when sent) of each reminder."""
    return [
        (s.receipt.channel_id, s.post.card.title, when)
        for s, when in zip(h.publisher.sent, h.sent_at, strict=True)
        if s.post.kind is PostKind.NOTICE and s.post.card.title.startswith("⏰")
    ]


def watch(h: Harness) -> None:
    """Record the clock's time of every post (the harness's publisher does not)."""
    h.sent_at: list[datetime] = []  # type: ignore[misc]
    publish = h.publisher.publish

    async def timed(community, post):  # type: ignore[no-untyped-def]
        receipt = await publish(community, post)
        h.sent_at.append(h.clock.now())
        return receipt

    h.publisher.publish = timed  # type: ignore[method-assign]


async def keys(db: SqlDatabase, kind: str = "reminder") -> dict[str, str]:
    async with db.transaction() as store:
        return {p.period: p.state for p in await store.scheduled_posts([1]) if p.kind == kind}


async def test_each_venue_is_reminded_once_before_each_deadline(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    watch(h)
    await h.challenge("submissions_close:7d voting_close:14d venue:general,ideas")
    await h.app.agenda.travel(h.clock, START + 20 * DAY)
    await h.app.agenda.run_due()
    assert reminders(h) == [
        ("general", "⏰ Last call for ideas: Flavour", START + 6 * DAY),
        ("ideas", "⏰ Last call for ideas: Flavour", START + 6 * DAY),
        ("general", "⏰ Voting closes soon: Flavour", START + 13 * DAY),
        ("ideas", "⏰ Voting closes soon: Flavour", START + 13 * DAY),
    ]
    first = next(s.post.card for s in h.publisher.sent if s.post.card.title.startswith("⏰"))
    assert first.body.startswith("Submissions close in 24 hours, on Mon 9 Mar 2026, 09:00 UTC.")
    assert "`/idea submit flavour`" in first.body
    assert await keys(h.app.db) == {
        "submissions@2026-03-09T09:00:00": "sent",
        "voting@2026-03-16T09:00:00": "sent",
    }


async def test_one_reminder_when_both_deadlines_are_the_same(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    watch(h)
    await h.challenge("submissions_close:5d voting_close:5d")
    await h.app.agenda.travel(h.clock, START + 6 * DAY)
    assert reminders(h) == [("general", "⏰ Last call: Flavour", START + 4 * DAY)]
    card = next(s.post.card for s in h.publisher.sent if s.post.card.title.startswith("⏰"))
    assert card.body.startswith("Submissions and voting close in 24 hours")


async def test_the_lead_time_is_a_setting_and_a_challenge_option(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    settings = load_settings(environ={"COCREATE_SCHEDULER__REMINDER_HOURS": "48"})
    h = new_harness(settings)
    watch(h)
    await h.challenge("submissions_close:7d voting_close:14d")
    await h.ok('/challenge create title:"Snacks" brief:"Which?" voting_close:3d reminder:6h')
    await h.ok("/challenge open snacks")
    await h.ok('/challenge create title:"Quiet" brief:"Shh" voting_close:3d reminder:off')
    await h.ok("/challenge open quiet")
    info = await h.ok("/challenge info snacks")
    assert ("Reminders", "6 h before each deadline") in info.card.fields
    await h.app.agenda.travel(h.clock, START + 15 * DAY)
    assert reminders(h) == [
        ("general", "⏰ Last call: Snacks", START + 3 * DAY - timedelta(hours=6)),
        ("general", "⏰ Last call for ideas: Flavour", START + 5 * DAY),
        ("general", "⏰ Voting closes soon: Flavour", START + 12 * DAY),
    ]


async def test_no_reminder_once_the_phase_ended_or_the_challenge_closed(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    watch(h)
    await h.challenge("submissions_close:7d voting_close:14d")
    await h.ok('/challenge create title:"Snacks" brief:"Which?" voting_close:7d')
    await h.ok("/challenge open snacks")
    h.clock.advance(2 * DAY)
    await h.ok("/challenge advance flavour")  # submissions closed by hand: no last call
    await h.ok("/challenge close snacks")  # closed: no reminder at all
    await h.app.agenda.travel(h.clock, START + 15 * DAY)
    assert [title for _, title, _ in reminders(h)] == ["⏰ Voting closes soon: Flavour"]


async def test_a_phase_shorter_than_the_lead_time_gets_no_reminder(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    watch(h)
    # the announcement names the deadline; voting's last 12 hours follow the notice that
    # submissions closed, which names it too
    await h.challenge("submissions_close:12h voting_close:36h")
    await h.app.agenda.travel(h.clock, START + 3 * DAY)
    assert reminders(h) == []


async def test_a_changed_deadline_plans_its_reminder_again(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    watch(h)
    await h.challenge("submissions_close:7d voting_close:14d")
    h.clock.advance(2 * DAY)
    # moved before its reminder: only the new deadline is reminded of
    await h.ok("/challenge edit flavour submissions_close:9d")
    await h.app.agenda.travel(h.clock, START + 8 * DAY + timedelta(hours=12))
    # moved after its reminder was sent: the new deadline gets one too
    await h.ok("/challenge edit flavour submissions_close:10d")
    await h.app.agenda.travel(h.clock, START + 11 * DAY)
    assert [(title, at) for _, title, at in reminders(h)] == [
        ("⏰ Last call for ideas: Flavour", START + 8 * DAY),
        ("⏰ Last call for ideas: Flavour", START + 9 * DAY),
    ]
    assert await keys(h.app.db) == {
        "submissions@2026-03-11T09:00:00": "sent",
        "submissions@2026-03-12T09:00:00": "sent",
    }


async def test_a_restart_between_claim_and_send_reminds_once(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:7d voting_close:14d")
    h.clock.advance(6 * DAY)
    async with database.transaction() as store:  # claimed by a process that then died
        await store.claim_post(
            1, "reminder", "submissions@2026-03-09T09:00:00", h.clock.now(), "dead:1", h.clock.now()
        )
    assert await h.app.agenda.run_due() == 0  # the claim is held
    h.clock.advance(timedelta(minutes=4))  # its lease runs out
    later = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    assert await later.agenda.run_due() == 1
    assert await later.agenda.run_due() == 0
    assert await h.app.agenda.run_due() == 0
    titles = [s.post.card.title for s in h.publisher.sent]
    assert titles.count("⏰ Last call for ideas: Flavour") == 1
    assert await keys(database) == {"submissions@2026-03-09T09:00:00": "sent"}
    await later.drain()


async def test_a_reminder_whose_deadline_moved_is_not_retried(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:7d voting_close:14d")
    h.publisher.fail = True
    await h.app.agenda.travel(h.clock, START + 6 * DAY)  # the reminder fails: a retry waits
    assert await keys(database) == {"submissions@2026-03-09T09:00:00": "retry"}
    await h.ok("/challenge edit flavour submissions_close:8d")
    h.publisher.fail = False
    await h.app.agenda.travel(h.clock, START + 7 * DAY + timedelta(hours=1))
    assert await keys(database) == {
        "submissions@2026-03-09T09:00:00": "skipped",  # its deadline moved
        "submissions@2026-03-10T09:00:00": "sent",
    }
    titles = [s.post.card.title for s in h.publisher.sent]
    assert titles.count("⏰ Last call for ideas: Flavour") == 1


async def test_two_processes_remind_once(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:7d voting_close:14d")
    second = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    for _ in range(15):
        h.clock.advance(DAY)
        await h.app.agenda.run_due()
        await second.agenda.run_due()
    titles = [s.post.card.title for s in h.publisher.sent if s.post.card.title.startswith("⏰")]
    assert titles == ["⏰ Last call for ideas: Flavour", "⏰ Voting closes soon: Flavour"]
    await second.drain()


async def test_the_timer_wakes_for_a_reminder(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("submissions_close:7d voting_close:14d")
    assert await h.app.agenda.next_due() == START + 6 * DAY
    assert datetime(2026, 3, 8, 9, tzinfo=UTC) == START + 6 * DAY
