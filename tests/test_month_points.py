"""Points by month (storage/month_points.py, migration 0019): the months stay equal to the
weeks whatever writes the weeks, on both backends; the leaderboards of seasons and of all
time read them and equal a plain sum of the weeks; a changed weekly cap sums them again."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from bot.ports import PointsDelta, PointWeights, Received
from bot.settings import PointsSettings, load_settings
from bot.weeks import season_weeks
from cocreate.bootstrap import open_database
from storage.database import SqlDatabase
from storage.month_points import keep_cap, months_of, summed_with
from storage.schema import (
    member_month_points,
    member_week_points,
    received_month_points,
    received_points,
)
from storage.store import SqlStore, _board_sql
from tests.test_storage import NOW, add_members, challenge_settings, seed

#: Mondays from 2025-12-29 to 2026-07-27: weeks of eight months, a new year included
MONDAYS = [(date(2025, 12, 29) + timedelta(weeks=n)).isoformat() for n in range(31)]
WEIGHTS = PointWeights(idea_published=10, vote_received=3, vote_cast=1, vote_cast_weekly_cap=10)

Key = tuple[int, bool, int, str]


# -- which ranges are whole months -------------------------------------------------------


@pytest.mark.parametrize("season_months", [1, 2, 3, 4, 6, 12])
def test_a_season_is_whole_months(season_months: int) -> None:
    for day in range(0, 365, 9):
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)
        first, last = season_weeks(at, season_months)
        assert months_of(first, last) == (first[:7], last[:7])


def test_months_hold_exactly_the_weeks_of_the_range_or_are_not_used() -> None:
    weeks = [(date(2026, 1, 5) + timedelta(weeks=n)).isoformat() for n in range(56)]
    for first in [None, *weeks]:
        for last in [None, *weeks]:
            months = months_of(first, last)
            if months is None:
                continue
            low, high = months
            by_week = {w for w in weeks if (first or "") <= w <= (last or "~")}
            by_month = {w for w in weeks if (low or "") <= w[:7] <= (high or "~")}
            assert by_week == by_month, (first, last)
    assert months_of(None, None) == (None, None)
    assert months_of("2026-03-02", "2026-03-02") is None  # one week
    assert months_of("2026-03-09", None) is None  # from the second week of March
    assert months_of(None, "2026-03-23") is None  # March's last Monday is the 30th
    assert months_of("2026-03-02", "2026-03-30") == ("2026-03", "2026-03")


# -- the months follow the weeks ---------------------------------------------------------


async def _months(store: SqlStore, community_id: int) -> dict[str, dict[Key, tuple[int, ...]]]:
    """Both month tables of a community, rows of zeros left out."""
    out: dict[str, dict[Key, tuple[int, ...]]] = {}
    for table in (member_month_points, received_month_points):
        rows = await store.conn.execute(select(table).where(table.c.community_id == community_id))
        out[table.name] = {(r[0], bool(r[1]), r[2], r[3]): tuple(r[4:]) for r in rows if any(r[4:])}
    return out


async def _weeks_by_month(
    store: SqlStore, community_id: int, cap: int
) -> dict[str, dict[Key, tuple[int, ...]]]:
    """The same sums, made here from the weekly rows."""
    earned: dict[Key, list[int]] = {}
    w = member_week_points.c
    for r in await store.conn.execute(
        select(w.member_id, w.week, w.private, w.ideas_published, w.votes_cast, w.bonus).where(
            w.community_id == community_id
        )
    ):
        acc = earned.setdefault((community_id, bool(r.private), r.member_id, r.week[:7]), [0] * 3)
        acc[0] += r.ideas_published
        acc[1] += min(r.votes_cast, cap)
        acc[2] += r.bonus
    received = Counter[Key]()
    r_ = received_points.c
    for r in await store.conn.execute(
        select(r_.member_id, r_.week, r_.private, r_.votes).where(r_.community_id == community_id)
    ):
        received[(community_id, bool(r.private), r.member_id, r.week[:7])] += r.votes
    return {
        "member_month_points": {k: tuple(v) for k, v in earned.items() if any(v)},
        "received_month_points": {k: (n,) for k, n in received.items() if n},
    }


async def _board_by_weeks(
    store: SqlStore, community_id: int, weights: PointWeights, first: str | None, last: str | None
) -> dict[int, int]:
    """Points others see by member from `first` to `last`, summed here from the weeks."""
    points = Counter[int]()

    def within(row: Any) -> bool:
        return not row.private and (first or "") <= row.week <= (last or "~")

    w, r = member_week_points.c, received_points.c
    for row in await store.conn.execute(
        select(member_week_points).where(w.community_id == community_id)
    ):
        if within(row):
            capped = min(row.votes_cast, weights.vote_cast_weekly_cap)
            points[row.member_id] += (
                row.ideas_published * weights.idea_published
                + capped * weights.vote_cast
                + row.bonus
            )
    for row in await store.conn.execute(
        select(received_points).where(r.community_id == community_id)
    ):
        if within(row):
            points[row.member_id] += row.votes * weights.vote_received
    return {m: p for m, p in points.items() if p > 0}


async def _random_writes(store: SqlStore, rng: random.Random, steps: int) -> tuple[int, list[int]]:
    """Points written as the bot writes them (added, taken back, credited, credited again,
    accounts merged), the months checked against the weeks after every write."""
    community, alice, first_challenge = await seed(store)
    others = await add_members(store, community.id, "bob", "carol", "dave", "erin", "finn")
    members = [alice.id, *(m.id for m in others)]
    second_challenge = await store.add_challenge(
        community.id, "second", challenge_settings("Second"), ["chan-2"], alice.id, NOW
    )
    challenges = [first_challenge, second_challenge]
    merged = 0
    for _ in range(steps):
        kind = rng.random()
        if kind < 0.5:
            deltas = [
                PointsDelta(
                    rng.choice(members),
                    rng.choice(MONDAYS),
                    ideas_published=rng.choice([0, 0, 1]),
                    votes_cast=rng.randint(-2, 9),
                    bonus=rng.choice([0, 0, 3, 10, -1]),
                    private=rng.random() < 0.2,
                )
                for _ in range(rng.randint(1, 12))
            ]
            await store.add_points(community.id, deltas)
        elif kind < 0.9:
            rows = [
                Received(
                    rng.choice(members), rng.choice(MONDAYS), rng.random() < 0.2, rng.randint(-1, 4)
                )
                for _ in range(rng.randint(1, 8))
            ]
            if kind < 0.8:
                await store.add_received(community.id, rng.choice(challenges), rows)
            else:
                await store.replace_received(community.id, rng.choice(challenges), rows)
        elif merged < 2 and len(members) > 2:
            old, new = rng.sample(members, 2)
            await store.accounts.merge(old, new, NOW)
            members.remove(old)
            merged += 1
        assert await _months(store, community.id) == await _weeks_by_month(
            store, community.id, WEIGHTS.vote_cast_weekly_cap
        )
    return community.id, members


@pytest.mark.parametrize("seed_value", [1, 2])
async def test_the_months_are_the_weeks_summed_whatever_writes_the_weeks(
    database: SqlDatabase, seed_value: int
) -> None:
    async with database.transaction() as store:
        community_id, _ = await _random_writes(store, random.Random(seed_value), 60)
    # A community that leaves takes its months with it.
    async with database.transaction() as store:
        assert await store.member_data.purge_community(community_id) > 0
        assert await _months(store, community_id) == {
            "member_month_points": {},
            "received_month_points": {},
        }
        for table in (member_month_points, received_month_points):
            assert not list(await store.conn.execute(select(table)))


async def test_leaderboards_of_whole_months_equal_the_sum_of_their_weeks(
    database: SqlDatabase,
) -> None:
    async with database.transaction() as store:
        community_id, members = await _random_writes(store, random.Random(7), 50)
    seasons = {
        season_weeks(datetime.fromisoformat(m).replace(tzinfo=UTC), n)
        for m in MONDAYS
        for n in (1, 3, 6)
    }
    ranges: list[tuple[str | None, str | None]] = [(None, None), *sorted(seasons)]
    async with database.transaction() as store:
        for first, last in ranges:
            assert months_of(first, last) is not None
            span = await store._span(WEIGHTS, first, last)
            assert span[2], (first, last)  # summed by month
            expected = await _board_by_weeks(store, community_id, WEIGHTS, first, last)
            board = await store.leaderboard(community_id, WEIGHTS, first, last, limit=100)
            assert {r.member_id: r.points for r in board} == expected, (first, last)
            top, mine, ranked = await store.leaderboard_of(
                community_id, WEIGHTS, first, last, 3, members[0]
            )
            assert ranked == len(expected)
            assert [(r.member_id, r.points) for r in top] == [
                (r.member_id, r.points) for r in board[:3]
            ]
            assert (mine.points if mine else 0) == expected.get(members[0], 0)


async def test_a_new_cap_sums_the_months_again_and_other_caps_read_the_weeks(
    database: SqlDatabase,
) -> None:
    async with database.transaction() as store:
        community_id, members = await _random_writes(store, random.Random(11), 40)
    season = season_weeks(datetime(2026, 2, 10, tzinfo=UTC), 3)
    other = PointWeights(idea_published=10, vote_received=3, vote_cast=1, vote_cast_weekly_cap=4)

    async def board(weights: PointWeights) -> tuple[dict[int, int], dict[int, int], bool]:
        async with database.transaction() as store:
            rows = await store.leaderboard(community_id, weights, *season, limit=100)
            expected = await _board_by_weeks(store, community_id, weights, *season)
            by_month = (await store._span(weights, *season))[2]
        return {r.member_id: r.points for r in rows}, expected, by_month

    # The months hold cap 10: a process with cap 4 reads the weeks, and is right.
    shown, expected, by_month = await board(other)
    assert (shown, by_month) == (expected, False)
    assert expected != (await board(WEIGHTS))[1]  # the cap makes a difference here

    assert await keep_cap(database.engine, 4) is True
    assert await keep_cap(database.engine, 4) is False  # once is enough
    async with database.transaction() as store:
        assert await summed_with(store.conn) == 4
        assert await _months(store, community_id) == await _weeks_by_month(store, community_id, 4)
        # The triggers sum with the new cap from now on.
        await store.add_points(community_id, [PointsDelta(members[0], MONDAYS[5], votes_cast=7)])
        assert await _months(store, community_id) == await _weeks_by_month(store, community_id, 4)
    shown, expected, by_month = await board(other)
    assert (shown, by_month) == (expected, True)
    shown, expected, by_month = await board(WEIGHTS)
    assert (shown, by_month) == (expected, False)


async def test_a_start_sums_the_months_with_the_configured_cap(tmp_path: Path) -> None:
    async def start(**env: str) -> int:
        settings = load_settings(environ={"COCREATE_CORE__DATA_DIR": str(tmp_path), **env})
        engine = await open_database(settings)
        try:
            async with engine.connect() as connection:
                return await summed_with(connection)
        finally:
            await engine.dispose()

    assert await start() == PointsSettings().vote_cast_weekly_cap
    assert await start(COCREATE_POINTS__VOTE_CAST_WEEKLY_CAP="3") == 3
    assert await start() == PointsSettings().vote_cast_weekly_cap


async def test_a_season_leaderboard_reads_its_own_months_alone(
    sqlite_database: SqlDatabase,
) -> None:
    """Flat as the history grows: SQLite looks the season's months up by their key."""
    first, last = season_weeks(datetime(2026, 5, 6, tzinfo=UTC), 3)
    board = _board_sql(sqlite_dialect(), 1, WEIGHTS, *months_of(first, last) or (None, None), True)
    async with sqlite_database.transaction() as store:
        plan = " | ".join(
            str(row[-1]) for row in await store.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {board}")
        )
    for table in ("member_month_points", "received_month_points"):
        assert (
            f"SEARCH {table} USING PRIMARY KEY "
            "(community_id=? AND private=? AND month>? AND month<?)" in plan
        ), plan
