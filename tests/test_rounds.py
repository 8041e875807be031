"""Challenges that repeat (issue 11, part 5): the next round is made when a round closes,
opened on schedule with the same settings and venues, and its announcement recaps the
last round's podium; on SQLite and PostgreSQL, with the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core import Cocreate
from bot.messages import PostKind
from bot.model import Challenge, ChallengeSettings, Phase
from bot.rounds import next_opening, round_settings
from storage.database import SqlDatabase
from tests.harness import START, Harness

DAY = timedelta(days=1)


async def rounds(db: SqlDatabase) -> list[Challenge]:
    async with db.transaction() as store:
        return await store.challenges(1)


def announcements(h: Harness) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return [
        (s.receipt.channel_id, s.post.card.title, s.post.card.fields)
        for s in h.publisher.sent
        if s.post.kind is PostKind.ANNOUNCEMENT
    ]


async def test_a_weekly_challenge_opens_its_next_round_with_the_last_podium(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:3d voting_close:5d repeat:weekly venue:general,ideas")
    await h.submit("ana", "Salted caramel")
    await h.ok('/idea submit title:"Secret mint" description:"Shh" anonymous:yes', "ben")
    await h.submit("cleo", "Lemon")
    for voter in ("dan", "eve"):
        await h.react(2, voter)
    await h.react(1, "dan")
    await h.app.agenda.travel(h.clock, START + 5 * DAY)  # round 1 closes
    first, second = await rounds(database)
    assert first.phase is Phase.CLOSED
    assert (second.slug, second.title, second.phase) == (
        "flavour-round-2",
        "Flavour (round 2)",
        Phase.DRAFT,
    )
    assert (second.round, second.previous_id, second.opens_at) == (2, first.id, START + 7 * DAY)
    assert second.venues == ("general", "ideas")
    assert replace(second.settings, title=first.title) == first.settings
    final = next(s.post.card for s in h.publisher.sent if s.post.card.title.startswith("🏆"))
    assert (
        "Next round",
        "`flavour-round-2` opens Mon 9 Mar 2026, 09:00 UTC, with the same settings and venues.",
    ) in final.fields
    info = await h.ok("/challenge info flavour-round-2")
    assert ("Opens", "Mon 9 Mar 2026, 09:00 UTC") in info.card.fields
    assert ("Repeats", "weekly (round 2)") in info.card.fields

    await h.app.agenda.travel(h.clock, START + 7 * DAY)  # round 2 opens on schedule
    _, second = await rounds(database)
    assert second.phase is Phase.OPEN and second.opened_at == START + 7 * DAY
    assert (second.submissions_close_at, second.voting_close_at) == (
        START + 10 * DAY,
        START + 12 * DAY,
    )
    latest = announcements(h)[-2:]
    assert [(c, t) for c, t, _ in latest] == [
        ("general", "📣 🏁 Flavour (round 2)  (`flavour-round-2`)"),
        ("ideas", "📣 🏁 Flavour (round 2)  (`flavour-round-2`)"),
    ]
    recap = dict(latest[0][2])["Last round's podium (Flavour)"]
    assert recap.splitlines() == [
        "🥇 #2 Secret mint — anonymous · 2 votes",
        "🥈 #1 Salted caramel — Ana · 1 vote",
    ]
    # members submit to the new round; round 3 follows when it closes
    await h.submit("ana", "Blood orange")
    await h.app.agenda.travel(h.clock, START + 13 * DAY)
    titles = [c.title for c in await rounds(database)]
    assert titles == ["Flavour", "Flavour (round 2)", "Flavour (round 3)"]
    third = (await rounds(database))[2]
    assert (third.slug, third.opens_at) == ("flavour-round-3", START + 14 * DAY)
    last = [t for _, t, f in announcements(h)]
    assert last.count("📣 🏁 Flavour (round 2)  (`flavour-round-2`)") == 2  # once per venue


async def test_closing_by_hand_makes_the_next_round_once(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("voting_close:10d repeat:monthly")
    h.clock.advance(2 * DAY)
    reply = await h.ok("/challenge close flavour")
    assert "the next round, `flavour-round-2`, opens Thu 2 Apr 2026, 09:00 UTC" in (reply.card.body)
    second = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    for _ in range(3):
        await h.app.agenda.run_due()
        await second.agenda.run_due()
    assert [c.slug for c in await rounds(database)] == ["flavour", "flavour-round-2"]
    await second.agenda.travel(h.clock, datetime(2026, 4, 2, 9, tzinfo=UTC))
    await h.app.agenda.run_due()
    opened = [t for _, t, _ in announcements(h)]
    assert opened == ["📣 🏁 Flavour  (`flavour`)", "📣 🏁 Flavour (round 2)  (`flavour-round-2`)"]
    no_podium = dict(announcements(h)[-1][2])["Last round's podium (Flavour)"]
    assert no_podium == "No idea won a place last round: yours could be the first!"
    await second.drain()


async def test_deleting_the_next_round_ends_the_series(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("voting_close:2d repeat:weekly")
    await h.app.agenda.travel(h.clock, START + 3 * DAY)
    await h.ok("/challenge delete flavour-round-2")
    await h.app.agenda.travel(h.clock, START + 30 * DAY)
    assert [c.slug for c in await rounds(database)] == ["flavour"]
    assert len(announcements(h)) == 1


async def test_repeat_off_makes_this_round_the_last(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("voting_close:2d repeat:quarterly")
    await h.app.agenda.travel(h.clock, START + 3 * DAY)
    await h.ok("/challenge edit flavour-round-2 repeat:off")
    await h.app.agenda.travel(h.clock, datetime(2026, 6, 10, tzinfo=UTC))
    found = await rounds(database)
    assert [(c.slug, c.phase, c.opened_at) for c in found] == [
        ("flavour", Phase.CLOSED, START),
        ("flavour-round-2", Phase.CLOSED, datetime(2026, 6, 2, 9, tzinfo=UTC)),
    ]
    refused = await h.refused('/challenge create title:"X" brief:"Y" repeat:daily')
    assert "weekly, monthly, quarterly, off" in refused


def _challenge(repeat: str, opened: datetime, **kw: object) -> Challenge:
    settings = ChallengeSettings(
        title="Flavour (round 4)",
        brief="b",
        terms=None,
        submissions_close="2026-02-03T09:00:00+00:00",
        voting_close="7d",
        vote_emoji="👍",
        ideas_per_member=3,
        review=False,
        self_votes=False,
        min_account_age=timedelta(0),
        min_member_age=timedelta(0),
        sealed=False,
        schedule="0 9 * * mon",
        timezone="Europe/Paris",
        report_venue=None,
        repeat=repeat,
    )
    fields: dict[str, object] = {
        "id": 1,
        "community_id": 1,
        "slug": "flavour-round-4",
        "phase": Phase.CLOSED,
        "settings": settings,
        "venues": ("general",),
        "created_by": 1,
        "created_at": opened,
        "opened_at": opened,
        "submissions_close_at": None,
        "voting_close_at": None,
        "closed_at": None,
        "round": 4,
        **kw,
    }
    return Challenge(**fields)  # type: ignore[arg-type]


def test_rounds_keep_the_wall_clock_and_the_length() -> None:
    jan31 = datetime(2026, 1, 31, 8, tzinfo=UTC)  # 09:00 in Paris
    monthly = _challenge("monthly", jan31)
    assert next_opening(monthly, jan31 + DAY) == datetime(2026, 2, 28, 8, tzinfo=UTC)
    # across the change to summer time: still 09:00 in Paris
    quarterly = _challenge("quarterly", jan31)
    assert next_opening(quarterly, jan31 + DAY) == datetime(2026, 4, 30, 7, tzinfo=UTC)
    # a round that ran longer than its cadence: the first step after its close
    weekly = _challenge("weekly", jan31)
    assert next_opening(weekly, jan31 + 10 * DAY) == jan31 + 14 * DAY
    assert next_opening(weekly, jan31 + 14 * DAY) == jan31 + 14 * DAY
    # the scheduled opening is the rhythm, though a moderator opened it a day late
    late = _challenge("weekly", jan31 + DAY, opens_at=jan31)
    assert next_opening(late, jan31 + 3 * DAY) == jan31 + 7 * DAY
    nxt = round_settings(monthly)
    assert (nxt.title, nxt.submissions_close, nxt.voting_close) == (
        "Flavour (round 5)",
        "3d1h",  # a date becomes how long after the opening it was
        "7d",
    )
