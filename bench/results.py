"""Benchmark: standings of a big challenge and the season leaderboard, on SQLite.

What is measured
    A community of 10,000 members with one challenge of 100,000 ideas and 1,000,000
    votes, and weekly points of all members over the current season (Q1 2026, "now" is
    2026-03-25). Each query below is run once to warm up, then repeated; the median and
    best wall times are reported:

    (a) top 10: ``standings(store, challenge, limit=10)`` (defined in ``bot.digest``,
        re-exported by ``bot.commands.results``) inside ``db.transaction()``, as
        ``/results`` computes it;
    (b) full standings: ``standings(store, challenge)`` with no limit (100,000 rows);
    (c) season leaderboard: ``store.leaderboard(community_id, rewards.weights,
        first_week, last_week, limit=1_000_000)`` over ``bot.weeks.season_weeks(now, 3)``
        (10,000 rows), inside ``db.transaction()``;
    (d) ``/leaderboard`` end to end through ``Cocreate.handle_command``;
    (e) ``/results`` end to end through ``Cocreate.handle_command`` (top 10 plus the
        participation line), for comparison with (a).

    The query plans SQLite picks for (a) and (c) are printed too.

    Setup (not timed): ``cocreate.bootstrap.build`` on a fresh SQLite file in a temporary
    directory; the community, the moderator and the challenge come from
    ``/challenge create`` and ``/challenge open`` through ``handle_command``. Members,
    ideas, votes, ``member_week_points`` and ``received_points`` are then bulk-loaded
    with plain ``sqlite3`` (one transaction, ``executemany`` fed by generators,
    ``PRAGMA synchronous=OFF``, the secondary indexes dropped during the load and
    recreated from their own SQL). The data are consistent: each idea's ``vote_count`` is
    the number of its vote rows, a vote is a distinct (idea, member) and never the
    author's, ``first_foreign_vote_at`` is the first vote's time, and the weekly points
    are exactly what the votes and publications earn per Monday week of
    ``bot.weeks.week_of``: ideas published and votes cast in ``member_week_points``,
    votes received in ``received_points`` (one challenge, credited in the week of the
    vote). 5 % of the ideas are anonymous: their publication and the votes they receive
    are their author's ``private`` rows, which the leaderboard leaves out. Reaction
    states, idea posts and the vote log are not loaded: nothing measured here reads them.
    The database's triggers sum the weekly points by month as they are loaded, as they
    do for the bot's own writes.

    ``--history-years N`` adds N earlier years of points: the season's weekly rows again,
    52, 104, … weeks earlier (no votes, ideas or challenges of their own), which the
    season's leaderboard must not read.

    Targets are printed next to the figures, never asserted: top 10 ≤ 20 ms,
    leaderboard ≤ 100 ms, peak RSS ≤ 200 MB (medians; ``top10_ms``, ``leaderboard_ms``
    and ``peak_rss_mb`` in the JSON line).

How to run (from the repository root)
    .venv/bin/python bench/results.py          # full size
    .venv/bin/python bench/results.py --quick  # sizes / 10, a smoke run
    .venv/bin/python bench/results.py --history-years 3   # with three earlier years

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import calendar
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from bench._support import (
    COMMUNITY,
    MODERATOR,
    BenchClock,
    BenchPublisher,
    Workdir,
    bench_settings,
    check,
    command,
    emit,
    peak_rss_mb,
    target,
    vocabulary,
)
from bot.core import Cocreate
from bot.digest import standings  # re-exported by bot.commands.results, defined here
from bot.messages import Actor
from bot.model import Challenge
from bot.weeks import season_weeks, week_of
from cocreate.bootstrap import build
from storage.store import SqlStore, _board_sql

SEED = 42
OPENED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the Monday of the season's first week
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
SEASON_MONTHS = 3
SUBMISSION_DAYS = 56  # ideas come in over the first eight weeks
ANONYMOUS_SHARE = 0.05  # ideas submitted anonymously: their points are private rows

TARGET_TOP10_MS = 20.0
TARGET_LEADERBOARD_MS = 100.0
TARGET_RSS_MB = 200.0


@dataclass(frozen=True)
class Sizes:
    members: int
    ideas: int
    votes: int


FULL = Sizes(members=10_000, ideas=100_000, votes=1_000_000)
QUICK = Sizes(members=1_000, ideas=10_000, votes=100_000)


@dataclass(frozen=True)
class Repeats:
    top10: int = 20
    full: int = 5
    leaderboard: int = 10
    leaderboard_command: int = 10
    results_command: int = 5


# -- bulk load -----------------------------------------------------------------------

_EPOCH_OPENED = calendar.timegm(OPENED.utctimetuple())
_EPOCH_NOW = calendar.timegm(NOW.utctimetuple())
_WEEK_S = 7 * 24 * 3600


def _sql_time(epoch: int) -> str:
    """As SQLAlchemy's SQLite dialect stores a naive UTC datetime."""
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch))


def _week_keys() -> list[str]:
    weeks = []
    at = OPENED
    while at <= NOW:
        weeks.append(week_of(at))
        at += timedelta(days=7)
    return weeks


def _vote_counts(sizes: Sizes, rng: random.Random) -> list[int]:
    """Votes per idea, exactly `sizes.votes` in all: log-normal, a few ideas draw many."""
    weights = [rng.lognormvariate(0.0, 1.3) for _ in range(sizes.ideas)]
    scale = sizes.votes / sum(weights)
    cap = sizes.members // 2
    counts = [min(cap, int(w * scale)) for w in weights]
    short = sizes.votes - sum(counts)
    while short > 0:
        i = rng.randrange(sizes.ideas)
        if counts[i] < cap:
            counts[i] += 1
            short -= 1
    return counts


def bulk_load(
    db_file: Path, sizes: Sizes, community_id: int, challenge_id: int, history_years: int = 0
) -> dict[str, int]:
    """Members, ideas, votes and weekly points in one sqlite3 transaction; the points again
    for each of `history_years` earlier years."""
    rng = random.Random(SEED)
    weeks = _week_keys()
    n_weeks = len(weeks)
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    # Sorting for the recreated indexes spills to temporary files beyond this page cache,
    # so the load does not inflate the peak RSS that the benchmark reports.
    conn.execute("PRAGMA cache_size=-8192")  # 8 MB (32 MB made the load peak at 175 MB)
    first_member = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM members").fetchone()[0]
    first_idea = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM ideas").fetchone()[0]
    first_number = conn.execute(
        "SELECT next_idea_number FROM communities WHERE id = ?", (community_id,)
    ).fetchone()[0]

    # Secondary indexes of the loaded tables: dropped now, recreated after the load.
    tables = ("members", "ideas", "votes", "member_week_points", "received_points")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))})",
        tables,
    ).fetchall()

    words = vocabulary(rng)
    counts = _vote_counts(sizes, rng)
    authors = [rng.randrange(sizes.members) for _ in range(sizes.ideas)]
    anonymous = [rng.random() < ANONYMOUS_SHARE for _ in range(sizes.ideas)]
    submitted = sorted(
        _EPOCH_OPENED + 3600 + rng.randrange(SUBMISSION_DAYS * 86400) for _ in range(sizes.ideas)
    )
    first_vote = array.array("q", [0] * sizes.ideas)
    # points[((member * n_weeks + week) * 2 + private) * 3 + k]: k = 0 published,
    # 1 received, 2 cast (cast points are always public)
    points = array.array("i", [0] * (sizes.members * n_weeks * 6))

    def member_rows() -> Iterator[tuple[Any, ...]]:
        joined = _sql_time(_EPOCH_OPENED - 86400)
        for m in range(sizes.members):
            yield (first_member + m, community_id, f"m{m}", f"Member {m}", 0, joined, 0)

    def vote_rows() -> Iterator[tuple[Any, ...]]:
        members = range(sizes.members)
        for i in range(sizes.ideas):
            k = counts[i]
            if k == 0:
                continue
            author = authors[i]
            private = anonymous[i]
            voters = rng.sample(members, k + 1)
            if author in voters:
                voters.remove(author)
            else:
                voters.pop()
            voters.sort()
            start = submitted[i] + 60
            span = _EPOCH_NOW - start
            earliest = _EPOCH_NOW
            idea_id = first_idea + i
            for m in voters:
                at = start + int(span * rng.random() ** 2)  # most votes come early
                earliest = min(earliest, at)
                week = (at - _EPOCH_OPENED) // _WEEK_S
                points[(m * n_weeks + week) * 6 + 2] += 1
                points[((author * n_weeks + week) * 2 + private) * 3 + 1] += 1
                yield (idea_id, first_member + m, challenge_id, _sql_time(at), weeks[week])
            first_vote[i] = earliest

    def idea_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(sizes.ideas):
            at = _sql_time(submitted[i])
            week = (submitted[i] - _EPOCH_OPENED) // _WEEK_S
            points[((authors[i] * n_weeks + week) * 2 + anonymous[i]) * 3] += 1
            number = first_number + i
            title = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} #{number}"
            description = " ".join(rng.choice(words) for _ in range(24))
            first = _sql_time(first_vote[i]) if counts[i] else None
            yield (
                first_idea + i, community_id, challenge_id, number, title, description,
                first_member + authors[i], int(anonymous[i]), "published", None, None, counts[i],
                at, at, at, first,
            )  # fmt: skip

    def earlier(years: int) -> list[str]:
        """The season's week keys, `years` years (of 52 weeks) earlier."""
        return [(date.fromisoformat(w) - timedelta(weeks=52 * years)).isoformat() for w in weeks]

    def point_rows(weeks: list[str]) -> Iterator[tuple[Any, ...]]:
        """member_week_points: what members earned themselves, a row per (member, week,
        private) with any."""
        for m in range(sizes.members):
            for w in range(n_weeks):
                for private in (0, 1):
                    base = ((m * n_weeks + w) * 2 + private) * 3
                    published, cast = points[base], points[base + 2]
                    if published or cast:
                        member_id = first_member + m
                        yield (community_id, member_id, weeks[w], private, published, cast, 0)

    def received_rows(weeks: list[str]) -> Iterator[tuple[Any, ...]]:
        """received_points: votes credited to the authors, per (member, week, private)."""
        for m in range(sizes.members):
            for w in range(n_weeks):
                for private in (0, 1):
                    received = points[((m * n_weeks + w) * 2 + private) * 3 + 1]
                    if received:
                        member_id = first_member + m
                        yield (community_id, challenge_id, member_id, weeks[w], private, received)

    rows: dict[str, int] = {}
    conn.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.executemany(
        "INSERT INTO members (id, community_id, external_id, display_name, is_bot, "
        "first_seen_at, blocked) VALUES (?, ?, ?, ?, ?, ?, ?)",
        member_rows(),
    )
    conn.executemany(
        "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week) "
        "VALUES (?, ?, ?, ?, ?)",
        vote_rows(),
    )
    conn.executemany(
        "INSERT INTO ideas (id, community_id, challenge_id, number, title, description, "
        "author_id, anonymous, status, status_note, merged_into_id, vote_count, "
        "submitted_at, published_at, updated_at, first_foreign_vote_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        idea_rows(),
    )
    for years in range(history_years + 1):
        conn.executemany(
            "INSERT INTO member_week_points (community_id, member_id, week, private, "
            "ideas_published, votes_cast, bonus) VALUES (?, ?, ?, ?, ?, ?, ?)",
            point_rows(earlier(years)),
        )
        conn.executemany(
            "INSERT INTO received_points (community_id, challenge_id, member_id, week, "
            "private, votes) VALUES (?, ?, ?, ?, ?, ?)",
            received_rows(earlier(years)),
        )
    conn.execute(
        "UPDATE communities SET next_idea_number = ? WHERE id = ?",
        (first_number + sizes.ideas, community_id),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    for table in (*tables, "member_month_points", "received_month_points"):
        rows[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return rows


def check_consistency(db_file: Path, challenge_id: int, first_week: str) -> dict[str, int]:
    """The invariants the load promises, checked with SQL (not timed)."""
    with sqlite3.connect(db_file) as conn:
        mismatched = conn.execute(
            "SELECT count(*) FROM ideas i LEFT JOIN "
            "(SELECT idea_id, count(*) AS n FROM votes GROUP BY idea_id) v ON v.idea_id = i.id "
            "WHERE i.challenge_id = ? AND i.vote_count != coalesce(v.n, 0)",
            (challenge_id,),
        ).fetchone()[0]
        self_votes = conn.execute(
            "SELECT count(*) FROM votes v JOIN ideas i ON i.id = v.idea_id "
            "WHERE v.member_id = i.author_id"
        ).fetchone()[0]
        received = conn.execute(
            "SELECT (SELECT coalesce(sum(votes), 0) FROM received_points WHERE week >= ?1), "
            "(SELECT coalesce(sum(votes_cast), 0) FROM member_week_points WHERE week >= ?1), "
            "(SELECT count(*) FROM votes)",
            (first_week,),
        ).fetchone()
    conn.close()
    return {
        "ideas_with_wrong_vote_count": mismatched,
        "self_votes": self_votes,
        "points_received_minus_votes": received[0] - received[2],
        "points_cast_minus_votes": received[1] - received[2],
    }


# -- measuring -----------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    first_ms: float
    samples_ms: list[float]
    rows: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def best_ms(self) -> float:
        return min(self.samples_ms)

    def figures(self) -> dict[str, Any]:
        return {
            f"{self.name}_median_ms": round(self.median_ms, 2),
            f"{self.name}_best_ms": round(self.best_ms, 2),
            f"{self.name}_first_ms": round(self.first_ms, 2),
            f"{self.name}_runs": len(self.samples_ms),
            f"{self.name}_rows": self.rows,
        }


async def measure(name: str, repeats: int, job: Callable[[], Awaitable[int]]) -> Timing:
    """One warm-up run (reported as `first`), then `repeats` timed runs."""
    perf = time.perf_counter
    t = perf()
    rows = await job()
    first = (perf() - t) * 1000
    samples = []
    for _ in range(repeats):
        t = perf()
        rows = await job()
        samples.append((perf() - t) * 1000)
    return Timing(name, first, samples, rows)


class CapturedSql:
    """The last SELECT the core sent, to ask SQLite for its plan."""

    def __init__(self, app: Cocreate) -> None:
        from sqlalchemy import event

        self.statement: tuple[str, Any] | None = None
        self.enabled = False
        engine = app.db.engine.sync_engine  # type: ignore[attr-defined]

        @event.listens_for(engine, "before_cursor_execute")
        def _capture(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: Any) -> None:
            if self.enabled and stmt.lstrip().upper().startswith("SELECT"):
                self.statement = (stmt, params)

    def plan(self, db_file: Path, rendered: str | None = None) -> list[str]:
        """The plan of the last SELECT sent through Core, or of a statement rendered for
        the driver (which Core never sees)."""
        if rendered is not None:
            stmt, params = rendered, ()
        elif self.statement is not None:
            stmt, params = self.statement
        else:
            return []
        with sqlite3.connect(db_file) as conn:
            rows = conn.execute("EXPLAIN QUERY PLAN " + stmt, params).fetchall()
        conn.close()
        return [str(r[-1]) for r in rows]


async def run(sizes: Sizes, repeats: Repeats, work: Path, history_years: int = 0) -> dict[str, Any]:
    db_file = work / "bench.db"
    clock = BenchClock(OPENED)
    app = await build(bench_settings(db_file), clock, {"bench": BenchPublisher()})
    await app.start()

    t = time.perf_counter()
    create = '/challenge create title:"Greener streets" brief:"What would make streets greener?"'
    check(await app.handle_command(command(MODERATOR, create)), "challenge create")
    check(await app.handle_command(command(MODERATOR, "/challenge open greener-streets")), "open")
    async with app.db.transaction() as store:
        community = await store.find_community(COMMUNITY)
        assert community is not None
        challenge_id = (await store.challenges(community.id))[0].id
    rows = bulk_load(db_file, sizes, community.id, challenge_id, history_years)
    load_s = time.perf_counter() - t
    consistency = check_consistency(db_file, challenge_id, season_weeks(NOW, SEASON_MONTHS)[0])
    rss_after_load = peak_rss_mb()
    db_mb = sum(p.stat().st_size for p in work.glob("bench.db*")) / 2**20
    print(
        f"setup: {rows['members']:,} members, {rows['ideas']:,} ideas, {rows['votes']:,} votes, "
        f"{rows['member_week_points']:,} weekly points rows, "
        f"{rows['received_points']:,} received points rows (by month, which the database's "
        f"triggers summed as they were loaded: {rows['member_month_points']:,} and "
        f"{rows['received_month_points']:,}) in {load_s:.1f} s "
        f"({db_mb:.0f} MB on disk)"
    )
    print(f"  consistency: {', '.join(f'{k} = {v}' for k, v in consistency.items())}")
    print(f"  peak RSS so far: {rss_after_load:.1f} MB")

    clock.set(NOW)
    first_week, last_week = season_weeks(NOW, SEASON_MONTHS)
    weights = app.rewards.weights
    async with app.db.transaction() as store:
        challenge: Challenge = (await store.challenges(community.id))[0]

    async def top10() -> int:
        async with app.db.transaction() as store:
            return len(await standings(store, challenge, limit=10))

    async def full() -> int:
        async with app.db.transaction() as store:
            return len(await standings(store, challenge))

    async def leaderboard() -> int:
        async with app.db.transaction() as store:
            found = await store.leaderboard(
                community.id, weights, first_week, last_week, limit=1_000_000
            )
            return len(found)

    member = Actor("m42", "Member 42")

    async def leaderboard_command() -> int:
        reply = check(await app.handle_command(command(member, "/leaderboard")), "/leaderboard")
        return len(reply.card.body.splitlines())

    async def results_command() -> int:
        reply = check(
            await app.handle_command(command(member, "/results greener-streets")), "/results"
        )
        return len(reply.card.body.splitlines())

    captured = CapturedSql(app)
    captured.enabled = True
    await top10()
    top10_plan = captured.plan(db_file)
    await leaderboard()
    async with app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        span = await store._span(weights, first_week, last_week)  # by month, or by week
    board = _board_sql(sqlite_dialect(), community.id, weights, *span)
    leaderboard_plan = captured.plan(db_file, board)
    await results_command()  # its last query is the participation line's
    participation_plan = captured.plan(db_file)
    captured.enabled = False

    timings = [
        await measure("top10", repeats.top10, top10),
        await measure("full_standings", repeats.full, full),
        await measure("leaderboard", repeats.leaderboard, leaderboard),
        await measure("leaderboard_command", repeats.leaderboard_command, leaderboard_command),
        await measure("results_command", repeats.results_command, results_command),
    ]
    sample = check(await app.handle_command(command(member, "/leaderboard")), "/leaderboard")
    await app.stop()

    by_name = {t.name: t for t in timings}
    figures: dict[str, Any] = {
        "benchmark": "results",
        "quick": sizes is QUICK,
        "history_years": history_years,
        # the figures the targets are about (medians; peak_rss_mb is added at the end)
        "top10_ms": round(by_name["top10"].median_ms, 2),
        "leaderboard_ms": round(by_name["leaderboard"].median_ms, 2),
        "members": rows["members"],
        "ideas": rows["ideas"],
        "votes": rows["votes"],
        "member_week_points_rows": rows["member_week_points"],
        "received_points_rows": rows["received_points"],
        "member_month_points_rows": rows["member_month_points"],
        "received_month_points_rows": rows["received_month_points"],
        "leaderboard_by_month": span[2],
        "season_weeks": [first_week, last_week],
        "load_s": round(load_s, 2),
        "db_mb": round(db_mb, 1),
        "peak_rss_after_load_mb": rss_after_load,
        **consistency,
    }
    for timing in timings:
        figures.update(timing.figures())
    figures["top10_plan"] = top10_plan
    figures["leaderboard_plan"] = leaderboard_plan
    figures["participation_plan"] = participation_plan

    print()
    print(f"timings (one warm-up run, then N runs; season {first_week} .. {last_week}):")
    print(f"  {'':<34} {'median':>12} {'best':>9} {'first':>9} {'runs':>5} {'rows':>8}")
    for timing in timings:
        print(
            f"  {timing.name:<34} {timing.median_ms:>9.2f} ms {timing.best_ms:>9.2f} "
            f"{timing.first_ms:>9.2f} {len(timing.samples_ms):>5} {timing.rows:>8,}"
        )
    print()
    print(target("(a) top 10, median", by_name["top10"].median_ms, TARGET_TOP10_MS, "ms"))
    print(
        target(
            "(c) leaderboard, median",
            by_name["leaderboard"].median_ms,
            TARGET_LEADERBOARD_MS,
            "ms",
        )
    )
    print()
    print("query plan of (a):  " + " | ".join(top10_plan))
    print("query plan of (c):  " + " | ".join(leaderboard_plan))
    print("query plan of the participation line of (e):  " + " | ".join(participation_plan))
    print()
    print("/leaderboard as member m42 sees it:")
    print("  " + sample.card.title)
    for line in [*sample.card.body.splitlines()[:10], sample.card.footer]:
        print("  " + line)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes / 10 (a smoke run)")
    parser.add_argument(
        "--history-years",
        type=int,
        default=0,
        help="earlier years of points that the season's leaderboard must not read (default 0)",
    )
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    work = Workdir()
    try:
        figures = asyncio.run(run(sizes, Repeats(), work.path, options.history_years))
    finally:
        work.close()
    figures["peak_rss_mb"] = peak_rss_mb()
    print()
    print(target("peak RSS", figures["peak_rss_mb"], TARGET_RSS_MB, "MB"))
    emit(figures)


if __name__ == "__main__":
    main()
