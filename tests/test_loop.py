""" "You said, we did" (issue 11, part 5): on the schedule and with `/results loop`, the
ideas whose status moved to planned, in progress or implemented since the last one, each
posted once (a replay, a restart between claim and send, a second process); on SQLite and
PostgreSQL, with the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Cocreate
from bot.messages import Card
from bot.settings import load_settings
from storage.database import SqlDatabase
from tests.harness import Harness

APRIL = datetime(2026, 4, 1, 10, tzinfo=UTC)
MAY = datetime(2026, 5, 1, 10, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, 10, tzinfo=UTC)
TITLE = "📣 You said, we did"


def loops(h: Harness) -> list[tuple[str, Card]]:
    return [
        (s.receipt.channel_id, s.post.card) for s in h.publisher.sent if s.post.card.title == TITLE
    ]


async def ideas(h: Harness) -> None:
    await h.challenge("submissions_close:30d voting_close:60d venue:general,ideas")
    await h.submit("ana", "Salted caramel")
    await h.ok('/idea submit title:"Secret mint" description:"Shh" anonymous:yes', "ben")
    await h.submit("cleo", "Lemon @everyone")
    await h.submit("dan", "Pistachio")
    await h.ok("/mod status #1 planned")
    await h.ok("/mod status #2 in_progress Next month, in every shop")
    await h.ok("/mod status #3 declined")
    await h.ok("/mod status #4 shortlisted")


async def test_the_monthly_post_lists_what_moved_since_the_last_one(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await ideas(h)
    await h.app.agenda.travel(h.clock, APRIL)
    await h.app.agenda.run_due()
    posted = loops(h)
    assert [channel for channel, _ in posted] == ["general", "ideas"]
    card = posted[0][1]
    assert card.body == "What became of your ideas so far: 2 ideas moved on."
    assert card.fields == (
        ("🔨 In progress", "#2 Secret mint — by anonymous, in Flavour: Next month, in every shop"),
        ("🗓️ Planned", "#1 Salted caramel — by Ana, in Flavour"),
    )
    h.tick()
    await h.ok("/mod status #1 implemented")
    await h.ok("/mod status #1 implemented Out now")  # no change of status: not news again
    await h.ok("/mod status #3 planned")  # a mention in a title stays inert
    # the challenge closed on 1 May: the post goes to the venues of the last one closed
    await h.app.agenda.travel(h.clock, MAY)
    card = loops(h)[-1][1]
    assert (
        card.body == "What became of your ideas since Wed 1 Apr 2026, 10:00 UTC: 2 ideas moved on."
    )
    assert dict(card.fields) == {
        "🚀 Implemented": "#1 Salted caramel — by Ana, in Flavour: Out now",
        "🗓️ Planned": "#3 Lemon @\u200beveryone — by Cleo, in Flavour",
    }
    await h.app.agenda.travel(h.clock, JUNE + timedelta(days=3))  # nothing moved: no post
    assert len(loops(h)) == 4


async def test_results_loop_posts_on_demand_for_moderators_and_shows_members(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await ideas(h)
    mine = await h.ok("/results loop", "eve")
    assert mine.ephemeral and mine.card.title == TITLE
    assert "#1 Salted caramel — by Ana, in Flavour" in dict(mine.card.fields)["🗓️ Planned"]
    assert mine.card.footer == (
        "Only you see this: it is what the next post in the channels will list."
    )
    preview = await h.ok("/results loop preview:yes")
    assert preview.card.footer == "Only you see this. `/results loop` posts it to #general, #ideas"
    assert loops(h) == []
    done = await h.ok("/results loop")
    assert done.card.title == '📣 "You said, we did" is posted'
    assert done.card.body.startswith("2 ideas, in #general, #ideas.")
    assert len(loops(h)) == 2
    again = await h.refused("/results loop")
    assert (
        "No idea has moved to planned, in progress or implemented since the last one "
        "(Mon 2 Mar 2026, 09:00 UTC)" in again
    )
    h.tick(60 * 24)
    await h.ok("/mod status #4 planned")
    h.tick()
    await h.ok("/results loop")
    assert [dict(c.fields) for _, c in loops(h)][-1] == {
        "🗓️ Planned": "#4 Pistachio — by Dan, in Flavour"
    }
    # the scheduled one covers only what moved after the last post
    await h.app.agenda.travel(h.clock, APRIL + timedelta(hours=1))
    assert len(loops(h)) == 4


async def test_no_venue_and_nothing_moved_post_nothing(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    assert "nothing to post" in await h.refused("/results loop")
    await h.ok('/challenge create title:"Draft" brief:"Not yet"')
    await h.app.agenda.travel(h.clock, APRIL + timedelta(hours=1))
    assert loops(h) == []


async def test_a_restart_between_claim_and_send_posts_it_once(
    database: SqlDatabase, new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = new_harness()
    await ideas(h)
    h.clock.advance_to(APRIL)

    async def died(claimed: object) -> list[object]:  # the process stops after the commit
        return []

    monkeypatch.setattr(h.app.agenda, "send_claimed", died)
    await h.app.agenda.run_due()
    assert loops(h) == []
    await h.close()
    h.clock.advance(timedelta(minutes=4))  # the dead claim's lease runs out
    later = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    second = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    for _ in range(3):
        await later.agenda.run_due()
        await second.agenda.run_due()
    assert [channel for channel, _ in loops(h)] == ["general", "ideas"]
    async with database.transaction() as store:
        posts = [p for p in await store.unsent_posts(1)]
    assert posts == []
    await later.drain()
    await second.drain()


async def test_the_schedule_is_a_setting(new_harness: Callable[..., Harness]) -> None:
    weekly = load_settings(environ={"COCREATE_SCHEDULER__LOOP_SCHEDULE": "0 17 * * fri"})
    h = new_harness(weekly)
    await ideas(h)
    assert await h.app.agenda.next_due() == datetime(2026, 3, 6, 17, tzinfo=UTC)
    await h.app.agenda.travel(h.clock, datetime(2026, 3, 6, 18, tzinfo=UTC))
    assert len(loops(h)) == 2


async def test_an_empty_schedule_posts_only_on_demand(new_harness: Callable[..., Harness]) -> None:
    h = new_harness(load_settings(environ={"COCREATE_SCHEDULER__LOOP_SCHEDULE": ""}))
    await ideas(h)
    assert await h.app.agenda.next_due() == datetime(2026, 3, 9, 9, tzinfo=UTC)  # weekly results
    await h.app.agenda.travel(h.clock, APRIL + timedelta(days=40))
    assert loops(h) == []
