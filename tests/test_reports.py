"""Reports add up, through the core's entry points with an injected clock, on both backends:
weekly figures from the vote log sum to the final totals, the first week compares with
nothing, the final brand report covers the whole challenge, the final results replace a
weekly post in the last day, quiet weeks get a nudge or nothing, and reports keep sealed
tallies and anonymous authors to themselves."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import report
from bot.core import Cocreate
from bot.messages import Post, PostKind
from bot.ports import Database
from bot.settings import ConfigError, load_settings
from storage.database import SqlDatabase
from tests.conftest import OpenDatabase
from tests.harness import START, Harness
from tests.test_properties import _EXAMPLES

THREE_WEEKS = "submissions_close:14d voting_close:21d report_venue:brand"


@pytest.fixture(autouse=True)
def charts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[tuple[str, int]], bool]]:
    """No drawing (test_agenda checks the PNG): the leaders each chart was given."""
    drawn: list[tuple[list[tuple[str, int]], bool]] = []

    def chart(
        title: str,
        days: Sequence[date],
        votes: Sequence[int],
        ideas: Sequence[int],
        leaders: Sequence[tuple[str, int]],
        *,
        sealed: bool = False,
    ) -> bytes:
        drawn.append((list(leaders), sealed))
        return b"png"

    monkeypatch.setattr(report, "activity_chart", chart)
    return drawn


def posts(h: Harness, kind: PostKind, title: str) -> list[Post]:
    return [p for p in h.publisher.of_kind(kind) if p.card.title.startswith(title)]


def field(post: Post, name: str) -> str:
    return dict(post.card.fields)[name]


def vote_figures(text: str) -> tuple[int, int]:
    """(added, removed) of "… · votes +7 −3", "… · votes +7" or "… · 7 votes"."""
    found = re.search(r"votes \+(\d+)(?: −(\d+))?", text)
    if found:
        return int(found.group(1)), int(found.group(2) or 0)
    found = re.search(r"(\d+) votes?\b", text)
    assert found, text
    return int(found.group(1)), 0


def total_votes(participation: str) -> int:
    """The counted votes of "3 ideas · 4 voters · 5 votes"."""
    found = re.search(r"(\d+) votes?\b", participation)
    assert found, participation
    return int(found.group(1))


def rows(post: Post) -> list[dict[str, str]]:
    (ideas,) = [a for a in post.attachments if a.filename.endswith(".csv")]
    return list(csv.DictReader(io.StringIO(ideas.content.decode("utf-8-sig"))))


async def keys(db: Database, challenge_id: int = 1) -> dict[tuple[str, str], str]:
    async with db.transaction() as store:
        return {(p.kind, p.period): p.state for p in await store.scheduled_posts([challenge_id])}


# -- the weeks add up ----------------------------------------------------------------------


async def test_weekly_figures_add_up_to_the_final_totals_with_a_removal_and_a_merge(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(THREE_WEEKS)
    for who, title in (("ana", "Alpha"), ("ben", "Beta"), ("cleo", "Gamma")):
        await h.submit(who, title)
    for number, who in ((1, "dan"), (1, "eve"), (2, "dan"), (3, "eve")):
        await h.react(number, who)
    await h.app.agenda.travel(h.clock, START + timedelta(days=7, hours=1))
    await h.react(1, "eve", add=False)  # a removal
    await h.ok("/mod merge #2 into:#1")  # dan counts for #1 already: his vote on #2 goes
    await h.react(3, "fred")
    await h.app.agenda.travel(h.clock, START + timedelta(days=14, hours=1))
    await h.react(1, "gus")
    await h.app.agenda.travel(h.clock, START + timedelta(days=22))

    weekly = [field(p, "This week") for p in posts(h, PostKind.RESULTS, "📊")]
    assert weekly == [
        "3 new ideas · 2 voters · 4 votes",
        "0 new ideas · 1 voter · votes +1 −2",
    ]
    (final,) = posts(h, PostKind.RESULTS, "🏆")
    (final_report,) = posts(h, PostKind.REPORT, "📈 Final")
    by_week = field(final_report, "Week by week").splitlines()
    assert [line.split(": ", 1)[1] for line in by_week] == [
        "3 new ideas · votes +4",
        "0 new ideas · votes +1 −2",
        "0 new ideas · votes +1",
    ]
    assert by_week[-1].startswith("Week 3, to the close")
    nets = [a - r for a, r in map(vote_figures, by_week)]
    assert sum(nets) == total_votes(field(final, "Participation")) == 2 + 2  # #1, #3
    # the weekly posts are the first weeks of the same figures
    assert list(map(vote_figures, weekly)) == list(map(vote_figures, by_week[:2]))
    # Rising: what the log credited to each idea in the week
    (first_report, second_report) = posts(h, PostKind.REPORT, "📈 Brand")
    assert field(first_report, "Rising").splitlines() == [
        "#1 · Alpha +2",
        "#2 · Beta +1",
        "#3 · Gamma +1",
    ]
    assert field(second_report, "Rising") == "#3 · Gamma +1"
    assert field(second_report, "Votes") == "+1 −2, net -1 (▼5 on the week before)"


async def test_the_first_brand_report_compares_with_no_week_before_the_challenge(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(THREE_WEEKS)
    await h.submit("ana", "Alpha")
    await h.react(1, "ben")
    await h.app.agenda.travel(h.clock, START + timedelta(days=7, hours=1))
    await h.submit("cleo", "Beta")
    await h.react(2, "ben")
    await h.react(2, "dan")
    await h.app.agenda.travel(h.clock, START + timedelta(days=14, hours=1))
    first, second = posts(h, PostKind.REPORT, "📈 Brand")
    assert first.card.body == "The first week to Mon 9 Mar 2026, 09:00 UTC."
    assert "week before" not in str(first.card)
    assert dict(first.card.fields) | {"Top ideas": ""} == {
        "New ideas": "1 (first week)",
        "Active members": "2 (first week)",
        "Votes": "+1 (first week)",
        "Voters": "1 (first week)",
        "Contributors": "0 returning members · 2 new members",
        "Rising": "#1 · Alpha +1",
        "Top ideas": "",
    }
    assert second.card.body.endswith("compared with the week before.")
    assert field(second, "New ideas") == "1 (same as the week before)"
    assert field(second, "Votes") == "+2 (▲1 on the week before)"
    assert field(second, "Active members") == "3 (▲1 on the week before)"


# -- the final brand report ------------------------------------------------------------------


async def test_the_final_brand_report_covers_the_whole_challenge(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    # An earlier challenge: Ana and Ben take part in it.
    await h.ok(
        '/challenge create title:"Snacks" brief:"Which?" submissions_close:1d voting_close:2d'
    )
    await h.ok("/challenge open snacks")
    await h.submit("ana", "Pretzels")
    await h.react(1, "ben")
    await h.app.agenda.travel(h.clock, START + timedelta(days=3))
    # Everything happens in the first week; the last week before the close is quiet.
    await h.challenge("submissions_close:7d voting_close:21d report_venue:brand")
    members = ["ana", "ben", "cleo", "dan", "eve", "fred", "gus", "hal", "ida", "jo", "kim"]
    for n, who in enumerate(members, start=2):
        await h.submit(who, f"Idea {n}")
    for k, who in enumerate(members[1:]):  # 10 voters, 18 votes
        await h.react(2 + k, who)
        if k < 8:
            await h.react(2 + (k + 2) % 11, who)
    await h.app.agenda.travel(h.clock, START + timedelta(days=25))

    (final,) = posts(h, PostKind.RESULTS, "🏆 Final results: Flavour")
    (final_report,) = posts(h, PostKind.REPORT, "📈 Final brand report")
    participation = field(final, "Participation")
    assert participation == "11 ideas · 10 voters · 18 votes"
    assert field(final_report, "Totals") == f"{participation} · 11 active members"
    assert field(final_report, "Contributors") == "2 returning members · 9 new members"
    by_week = field(final_report, "Week by week").splitlines()
    assert len(by_week) == 4
    assert by_week[0].endswith("11 new ideas · votes +18")
    assert by_week[-1].endswith("0 new ideas · votes +0")
    assert final_report.card.body == (
        "The whole challenge, from Thu 5 Mar 2026, 09:00 UTC to Thu 26 Mar 2026, 09:00 UTC."
    )
    assert len(field(final_report, "Top ideas").splitlines()) == 5
    assert [a.filename for a in final_report.attachments] == [
        "flavour-2026-03-26-final-activity.png",
        "flavour-2026-03-26-final-ideas.csv",
    ]
    # the standings' sum is the total
    assert sum(int(r["votes"]) for r in rows(final_report)) == 18


# -- the last day --------------------------------------------------------------------------


async def test_no_weekly_post_within_the_last_day_the_final_results_replace_it(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:7d voting_close:14d2h report_venue:brand")
    await h.submit("ana", "Alpha")
    await h.app.agenda.travel(h.clock, START + timedelta(days=8))
    await h.react(1, "ben")  # the second week is not quiet
    await h.app.agenda.travel(h.clock, START + timedelta(days=15))
    titles = [p.card.title for p in h.publisher.of_kind(PostKind.RESULTS)]
    assert titles == ["📊 This week in Flavour", "🏆 Final results: Flavour"]
    states = await keys(database)
    assert states[("weekly", "2026-03-16T09:00")] == "skipped"  # 2 hours before the close
    assert states[("report", "2026-03-16T09:00")] == "skipped"
    assert states[("final", "final")] == states[("report", "final")] == "sent"
    # never posted later, by this process or another
    sent = len(h.publisher.sent)
    assert await h.app.agenda.run_due() == 0
    again = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    assert await again.agenda.run_due() == 0
    assert len(h.publisher.sent) == sent
    await again.drain()


# -- quiet weeks ---------------------------------------------------------------------------


async def test_a_quiet_week_gets_a_nudge_and_no_brand_report(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:20d voting_close:28d report_venue:brand")
    await h.submit("ana", "Alpha")
    await h.app.agenda.travel(h.clock, START + timedelta(days=15))
    weekly = [p for p in h.publisher.of_kind(PostKind.RESULTS)]
    assert [p.card.title for p in weekly] == [
        "📊 This week in Flavour",
        "👋 A quiet week in Flavour",
    ]
    nudge = weekly[1].card
    assert not nudge.fields, "no zero-filled copy of the last post"
    assert "`/idea submit` until Sun 22 Mar 2026, 09:00 UTC" in nudge.body
    assert "Vote with 👍 on the ideas you like; voting closes Mon 30 Mar 2026, 09:00 UTC" in (
        nudge.body
    )
    assert len(posts(h, PostKind.REPORT, "📈")) == 1
    assert (await keys(h.app.db))[("report", "2026-03-16T09:00")] == "skipped"
    # while voting, only voting is asked for
    await h.app.agenda.travel(h.clock, START + timedelta(days=22))  # 23 March: quiet
    last = h.publisher.of_kind(PostKind.RESULTS)[-1].card
    assert last.title == "👋 A quiet week in Flavour"
    assert "/idea submit" not in last.body and "voting closes" in last.body


async def test_a_quiet_week_posts_nothing_with_quiet_weeks_skip(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness(load_settings(environ={"COCREATE_SCHEDULER__QUIET_WEEKS": "skip"}))
    await h.challenge("submissions_close:20d voting_close:28d report_venue:brand")
    await h.submit("ana", "Alpha")
    await h.app.agenda.travel(h.clock, START + timedelta(days=15))
    kinds = [s.post.kind for s in h.publisher.sent[2:]]  # after the announcement and the idea
    assert kinds == [PostKind.RESULTS, PostKind.REPORT]  # the first week's only
    states = await keys(database)
    assert states[("weekly", "2026-03-16T09:00")] == "skipped"
    assert states[("report", "2026-03-16T09:00")] == "skipped"
    sent = len(h.publisher.sent)
    for _ in range(2):  # a replay and a restart change nothing
        assert await h.app.agenda.run_due() == 0
        again = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
        assert await again.agenda.run_due() == 0
        await again.drain()
    assert len(h.publisher.sent) == sent
    assert await keys(database) == states


def test_quiet_weeks_is_nudge_or_skip() -> None:
    assert load_settings(environ={}).scheduler.quiet_weeks == "nudge"
    with pytest.raises(ConfigError, match="quiet_weeks"):
        load_settings(environ={"COCREATE_SCHEDULER__QUIET_WEEKS": "sometimes"})


# -- sealed and anonymous ------------------------------------------------------------------


async def test_a_sealed_brand_report_shows_no_idea_votes_nor_their_order(
    new_harness: Callable[..., Harness], charts: list[tuple[list[tuple[str, int]], bool]]
) -> None:
    h = new_harness()
    await h.challenge(f"sealed:yes {THREE_WEEKS}")
    await h.submit("ana", "Alpha")
    await h.submit("ben", "Beta")
    for who in ("cleo", "dan", "eve"):
        await h.react(2, who)
    await h.react(1, "cleo")
    await h.app.agenda.travel(h.clock, START + timedelta(days=7, hours=1))
    (sealed,) = posts(h, PostKind.REPORT, "📈 Brand")
    text = str(sealed.card)
    assert "Rising" not in dict(sealed.card.fields)
    assert field(sealed, "Top ideas") == "sealed until the close"
    assert "Alpha" not in text and "Beta" not in text
    assert field(sealed, "Votes") == "+4 (first week)"  # overall counts tell no order
    assert [r["votes"] for r in rows(sealed)] == ["", ""]
    assert charts[-1] == ([], True)
    # at the close, the tallies are shown
    await h.app.agenda.travel(h.clock, START + timedelta(days=22))
    (final,) = posts(h, PostKind.REPORT, "📈 Final")
    assert field(final, "Top ideas").splitlines() == ["#2 · Beta — 3", "#1 · Alpha — 1"]
    assert [r["votes"] for r in rows(final)] == ["1", "3"]
    assert charts[-1] == ([("#2 Beta", 3), ("#1 Alpha", 1)], False)


async def test_the_report_csv_names_no_author_of_an_anonymous_idea_the_export_does(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(THREE_WEEKS)
    await h.ok('/idea submit title:"Secret" description:"Shh" anonymous:yes', "ana")
    await h.submit("ben", "Open")
    await h.app.agenda.travel(h.clock, START + timedelta(days=7, hours=1))
    (brand,) = posts(h, PostKind.REPORT, "📈 Brand")
    assert [(r["title"], r["author"], r["author_id"], r["anonymous"]) for r in rows(brand)] == [
        ("Secret", "", "", "yes"),
        ("Open", "Ben", "ben", "no"),
    ]
    export = (await h.ok("/export flavour")).attachments[0].content.decode("utf-8-sig")
    moderators = list(csv.DictReader(io.StringIO(export)))
    assert [(r["author"], r["author_id"]) for r in moderators] == [("Ana", "ana"), ("Ben", "ben")]


# -- property ------------------------------------------------------------------------------

VOTERS = ("dan", "eve", "fred", "gus")


@dataclass(frozen=True)
class Vote:
    idea: int
    member: int
    add: bool


@dataclass(frozen=True)
class Wait:
    hours: int


steps = st.lists(
    st.one_of(
        st.builds(Vote, st.integers(1, 3), st.integers(0, 3), st.booleans()),
        st.builds(Wait, st.sampled_from([5, 30, 70, 170])),
    ),
    min_size=3,
    max_size=25,
)


@settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=steps)
async def test_weekly_nets_add_up_to_the_final_total_for_any_votes(
    fresh: OpenDatabase, ops: list[Vote | Wait]
) -> None:
    async with fresh() as database:
        h = Harness(database)
        await h.challenge("submissions_close:20d voting_close:28d report_venue:brand")
        for who, title in (("ana", "Alpha"), ("ben", "Beta"), ("cleo", "Gamma")):
            await h.submit(who, title)
        for op in ops:
            if h.clock.now() >= START + timedelta(days=27):
                break
            if isinstance(op, Vote):
                await h.react(op.idea, VOTERS[op.member], op.add)
            else:
                await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(hours=op.hours))
        await h.app.agenda.travel(h.clock, START + timedelta(days=29))
        (final,) = posts(h, PostKind.RESULTS, "🏆")
        (final_report,) = posts(h, PostKind.REPORT, "📈 Final")
        by_week = [vote_figures(line) for line in field(final_report, "Week by week").splitlines()]
        assert sum(a - r for a, r in by_week) == total_votes(field(final, "Participation"))
        # each weekly results post is its week's figures; quiet weeks got a nudge
        weekly = [vote_figures(field(p, "This week")) for p in posts(h, PostKind.RESULTS, "📊")]
        assert weekly == [by_week[0], *(w for w in by_week[1:3] if w != (0, 0))]
        await h.close()
