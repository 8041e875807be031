"""Benchmark: standings of a big challenge and the season leaderboard, on SQLite or PostgreSQL.

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

    The database's plans for (a), (c) and the participation line of (e) are printed too.

    Setup (not timed): ``cocreate.bootstrap.build`` on a fresh SQLite file in a temporary
    directory, or with ``--database`` on a scratch database of that PostgreSQL server
    (dropped afterwards); the community, the moderator and the challenge come from
    ``/challenge create`` and ``/challenge open`` through ``handle_command``. Members,
    ideas, votes, ``member_week_points`` and ``received_points`` are then bulk-loaded,
    the same rows on both backends: with plain ``sqlite3`` (one transaction,
    ``executemany`` fed by generators, ``PRAGMA synchronous=OFF``, the secondary indexes
    dropped during the load and recreated from their own SQL), or with asyncpg's COPY
    (one transaction, the foreign keys checked, then ``VACUUM ANALYZE`` and a
    checkpoint). The data are consistent: each idea's ``vote_count`` is
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
    .venv/bin/python bench/results.py --database postgresql://postgres@127.0.0.1:5432/test

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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench._support import (
    COMMUNITY,
    MODERATOR,
    BenchClock,
    BenchPublisher,
    PostgresScratch,
    Workdir,
    add_database_option,
    bench_settings,
    check,
    command,
    emit,
    peak_rss_mb,
    scratch_database,
    target,
    vocabulary,
)
from bot.core import Cocreate
from bot.digest import standings  # re-exported by bot.commands.results, defined here
from bot.messages import Actor
from bot.model import Challenge
from bot.weeks import season_weeks, week_of
from cocreate.bootstrap import build
from storage import hot_commands
from storage.hot_commands import CommandSql
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

#: the columns each loaded table is written with, in the order `Dataset` makes its rows
COLUMNS = {
    "members": "id community_id external_id display_name is_bot first_seen_at blocked",
    "ideas": (
        "id community_id challenge_id number title description author_id anonymous status "
        "status_note merged_into_id vote_count submitted_at published_at updated_at "
        "first_foreign_vote_at"
    ),
    "votes": "idea_id member_id challenge_id cast_at week voided",
    "member_week_points": "community_id member_id week private ideas_published votes_cast bonus",
    "received_points": "community_id challenge_id member_id week private votes",
}


def _sql_time(epoch: int) -> str:
    """As SQLAlchemy's SQLite dialect stores a naive UTC datetime."""
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch))


def _pg_time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


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


@dataclass(frozen=True)
class Ids:
    """Where the loaded rows start, in a database that already holds the challenge."""

    community: int
    challenge: int
    first_member: int
    first_idea: int
    first_number: int


class Dataset:
    """The loaded rows, made by generators as they are written (a million tuples kept
    would be most of the peak RSS reported), the same on both backends: `stamp` and
    `flag` write a time and a boolean as the backend's driver takes them.

    The votes decide the points they earn and each idea's first vote, so `votes` runs
    before `points` and `received`, and before `ideas` when those carry their first
    vote. The texts have a random stream of their own: the votes drawn do not depend on
    whether the ideas are written before them."""

    def __init__(
        self,
        sizes: Sizes,
        ids: Ids,
        stamp: Callable[[int], Any],
        flag: Callable[[bool], Any],
    ) -> None:
        self.sizes, self.ids, self.stamp, self.flag = sizes, ids, stamp, flag
        self.rng = rng = random.Random(SEED)
        self.texts = random.Random(SEED + 1)
        self.words = vocabulary(rng)
        self.weeks = _week_keys()
        self.counts = _vote_counts(sizes, rng)
        self.authors = [rng.randrange(sizes.members) for _ in range(sizes.ideas)]
        self.anonymous = [rng.random() < ANONYMOUS_SHARE for _ in range(sizes.ideas)]
        self.submitted = sorted(
            _EPOCH_OPENED + 3600 + rng.randrange(SUBMISSION_DAYS * 86400)
            for _ in range(sizes.ideas)
        )
        self.first_vote = array.array("q", [0] * sizes.ideas)
        # points[((member * n_weeks + week) * 2 + private) * 3 + k]: k = 0 published,
        # 1 received, 2 cast (cast points are always public)
        self.points = array.array("i", [0] * (sizes.members * len(self.weeks) * 6))

    def members(self) -> Iterator[tuple[Any, ...]]:
        ids, stamp, no = self.ids, self.stamp, self.flag(False)
        joined = stamp(_EPOCH_OPENED - 86400)
        for m in range(self.sizes.members):
            yield (ids.first_member + m, ids.community, f"m{m}", f"Member {m}", no, joined, no)

    def votes(self) -> Iterator[tuple[Any, ...]]:
        rng, ids, stamp, points = self.rng, self.ids, self.stamp, self.points
        n_weeks, no = len(self.weeks), self.flag(False)
        members = range(self.sizes.members)
        for i in range(self.sizes.ideas):
            k = self.counts[i]
            if k == 0:
                continue
            author = self.authors[i]
            private = self.anonymous[i]
            voters = rng.sample(members, k + 1)
            if author in voters:
                voters.remove(author)
            else:
                voters.pop()
            voters.sort()
            start = self.submitted[i] + 60
            span = _EPOCH_NOW - start
            earliest = _EPOCH_NOW
            idea_id = ids.first_idea + i
            for m in voters:
                at = start + int(span * rng.random() ** 2)  # most votes come early
                earliest = min(earliest, at)
                week = (at - _EPOCH_OPENED) // _WEEK_S
                points[(m * n_weeks + week) * 6 + 2] += 1
                points[((author * n_weeks + week) * 2 + private) * 3 + 1] += 1
                yield (
                    idea_id,
                    ids.first_member + m,
                    ids.challenge,
                    stamp(at),
                    self.weeks[week],
                    no,
                )
            self.first_vote[i] = earliest

    def ideas(self, *, first_votes: bool) -> Iterator[tuple[Any, ...]]:
        """The ideas; their first vote's time only when `first_votes` (the votes were
        drawn), else None."""
        ids, stamp, words, texts = self.ids, self.stamp, self.words, self.texts
        n_weeks = len(self.weeks)
        for i in range(self.sizes.ideas):
            at = stamp(self.submitted[i])
            week = (self.submitted[i] - _EPOCH_OPENED) // _WEEK_S
            anonymous = self.anonymous[i]
            self.points[((self.authors[i] * n_weeks + week) * 2 + anonymous) * 3] += 1
            number = ids.first_number + i
            title = f"{texts.choice(words)} {texts.choice(words)} {texts.choice(words)} #{number}"
            description = " ".join(texts.choice(words) for _ in range(24))
            first = stamp(self.first_vote[i]) if first_votes and self.counts[i] else None
            yield (
                ids.first_idea + i, ids.community, ids.challenge, number, title, description,
                ids.first_member + self.authors[i], self.flag(anonymous), "published", None,
                None, self.counts[i], at, at, at, first,
            )  # fmt: skip

    def earlier(self, years: int) -> list[str]:
        """The season's week keys, `years` years (of 52 weeks) earlier."""
        return [
            (date.fromisoformat(w) - timedelta(weeks=52 * years)).isoformat() for w in self.weeks
        ]

    def points_rows(self, weeks: list[str]) -> Iterator[tuple[Any, ...]]:
        """member_week_points: what members earned themselves, a row per (member, week,
        private) with any."""
        points, n_weeks = self.points, len(self.weeks)
        for m in range(self.sizes.members):
            for w in range(n_weeks):
                for private in (False, True):
                    base = ((m * n_weeks + w) * 2 + private) * 3
                    published, cast = points[base], points[base + 2]
                    if published or cast:
                        yield (
                            self.ids.community, self.ids.first_member + m, weeks[w],
                            self.flag(private), published, cast, 0,
                        )  # fmt: skip

    def received_rows(self, weeks: list[str]) -> Iterator[tuple[Any, ...]]:
        """received_points: votes credited to the authors, per (member, week, private)."""
        points, n_weeks, ids = self.points, len(self.weeks), self.ids
        for m in range(self.sizes.members):
            for w in range(n_weeks):
                for private in (False, True):
                    received = points[((m * n_weeks + w) * 2 + private) * 3 + 1]
                    if received:
                        yield (
                            ids.community, ids.challenge, ids.first_member + m, weeks[w],
                            self.flag(private), received,
                        )  # fmt: skip


#: the tables the load writes, and those the database's triggers fill from them
LOADED = tuple(COLUMNS)
COUNTED = (*LOADED, "member_month_points", "received_month_points")


def _insert(table: str) -> str:
    columns = COLUMNS[table].split()
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def bulk_load(db_file: Path, sizes: Sizes, ids_of: Ids, history_years: int = 0) -> dict[str, int]:
    """Members, ideas, votes and weekly points in one sqlite3 transaction; the points again
    for each of `history_years` earlier years."""
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    # Sorting for the recreated indexes spills to temporary files beyond this page cache,
    # so the load does not inflate the peak RSS that the benchmark reports.
    conn.execute("PRAGMA cache_size=-8192")  # 8 MB (32 MB made the load peak at 175 MB)
    # Secondary indexes of the loaded tables: dropped now, recreated after the load.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(LOADED))})",
        LOADED,
    ).fetchall()
    data = Dataset(sizes, ids_of, _sql_time, int)
    conn.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.executemany(_insert("members"), data.members())
    conn.executemany(_insert("votes"), data.votes())
    conn.executemany(_insert("ideas"), data.ideas(first_votes=True))
    for years in range(history_years + 1):
        conn.executemany(_insert("member_week_points"), data.points_rows(data.earlier(years)))
        conn.executemany(_insert("received_points"), data.received_rows(data.earlier(years)))
    conn.execute(
        "UPDATE communities SET next_idea_number = ? WHERE id = ?",
        (ids_of.first_number + sizes.ideas, ids_of.community),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return rows


async def bulk_load_pg(
    dsn: str, sizes: Sizes, ids_of: Ids, history_years: int = 0
) -> dict[str, int]:
    """The same rows in one PostgreSQL transaction, with COPY. The foreign keys hold
    throughout, so the ideas go in before their votes, and their first vote's time is
    set from the votes after. Then VACUUM ANALYZE, as autovacuum would after a load
    this size, and a checkpoint, so that the server does not write the load's pages
    back while the queries are timed."""
    import asyncpg  # type: ignore[import-untyped]

    data = Dataset(sizes, ids_of, _pg_time, bool)
    pg = await asyncpg.connect(dsn)
    try:
        async with pg.transaction():

            async def copy(table: str, records: Iterator[tuple[Any, ...]]) -> None:
                await pg.copy_records_to_table(
                    table, columns=COLUMNS[table].split(), records=records
                )

            await copy("members", data.members())
            await copy("ideas", data.ideas(first_votes=False))
            await copy("votes", data.votes())
            await pg.execute(
                "UPDATE ideas SET first_foreign_vote_at = v.first FROM (SELECT idea_id, "
                "min(cast_at) AS first FROM votes GROUP BY idea_id) v WHERE v.idea_id = ideas.id"
            )
            for years in range(history_years + 1):
                await copy("member_week_points", data.points_rows(data.earlier(years)))
                await copy("received_points", data.received_rows(data.earlier(years)))
            await pg.execute(
                "UPDATE communities SET next_idea_number = $1 WHERE id = $2",
                ids_of.first_number + sizes.ideas,
                ids_of.community,
            )
            for table in ("members", "ideas"):  # their ids were given: the sequences follow
                await pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
        await pg.execute("VACUUM ANALYZE")
        try:
            await pg.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            print("note: no CHECKPOINT after the load (needs pg_checkpoint)")
        return {t: await pg.fetchval(f"SELECT count(*) FROM {t}") for t in COUNTED}
    finally:
        await pg.close()


#: the load's invariants, each a number that must be 0
CONSISTENCY = {
    "ideas_with_wrong_vote_count": (
        "SELECT count(*) FROM ideas i LEFT JOIN "
        "(SELECT idea_id, count(*) AS n FROM votes GROUP BY idea_id) v ON v.idea_id = i.id "
        "WHERE i.challenge_id = :challenge AND i.vote_count != coalesce(v.n, 0)"
    ),
    "self_votes": (
        "SELECT count(*) FROM votes v JOIN ideas i ON i.id = v.idea_id "
        "WHERE v.member_id = i.author_id"
    ),
    "points_received_minus_votes": (
        "SELECT (SELECT coalesce(sum(votes), 0) FROM received_points WHERE week >= :week) "
        "- (SELECT count(*) FROM votes)"
    ),
    "points_cast_minus_votes": (
        "SELECT (SELECT coalesce(sum(votes_cast), 0) FROM member_week_points "
        "WHERE week >= :week) - (SELECT count(*) FROM votes)"
    ),
}


async def check_consistency(app: Cocreate, challenge_id: int, first_week: str) -> dict[str, int]:
    """The invariants the load promises, checked with SQL (not timed)."""
    values = {"challenge": challenge_id, "week": first_week}
    out = {}
    async with app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        for name, sql in CONSISTENCY.items():
            bound = {k: v for k, v in values.items() if f":{k}" in sql}
            out[name] = int((await store.conn.execute(text(sql), bound)).scalar_one())
    return out


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
    """The last SELECT the core sent, through Core or straight to the driver (the
    commands' statements, storage/hot_commands.py), and the last of each of the commands'
    statements by name, to ask the database for its plan. `close` gives the commands'
    statements back."""

    def __init__(self, app: Cocreate) -> None:
        from sqlalchemy import event

        self.app = app
        self.statement: tuple[str, Any] | None = None
        self.named: dict[str, tuple[str, Any]] = {}
        self.enabled = False
        engine = app.db.engine.sync_engine  # type: ignore[attr-defined]

        @event.listens_for(engine, "before_cursor_execute")
        def _capture(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: Any) -> None:
            self._saw(stmt, params)

        named = hot_commands.SQLITE if engine.dialect.name == "sqlite" else hot_commands.POSTGRES
        fetch, fetch_rendered = CommandSql.fetch, CommandSql.fetch_rendered

        async def fetch_seen(sql: CommandSql, name: str, *params: Any) -> list[Sequence[Any]]:
            self._saw(named[name], params)
            if self.enabled:
                self.named[name] = named[name], params
            return await fetch(sql, name, *params)

        async def rendered_seen(
            sql: CommandSql, statement: str, *params: Any
        ) -> list[Sequence[Any]]:
            self._saw(statement, params)
            return await fetch_rendered(sql, statement, *params)

        CommandSql.fetch = fetch_seen  # type: ignore[method-assign, assignment]
        CommandSql.fetch_rendered = rendered_seen  # type: ignore[method-assign, assignment]
        self._originals = fetch, fetch_rendered

    def _saw(self, stmt: str, params: Any) -> None:
        if self.enabled and stmt.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statement = (stmt, params)

    def close(self) -> None:
        CommandSql.fetch, CommandSql.fetch_rendered = self._originals  # type: ignore[method-assign]

    async def plan(self, rendered: str | None = None, *, name: str | None = None) -> list[str]:
        """The plan of the last SELECT sent, of the last of the commands' statements called
        `name`, or of a statement rendered for the driver (which Core never sees)."""
        if rendered is not None:
            stmt, params = rendered, ()
        elif name is not None:
            stmt, params = self.named[name]
        elif self.statement is not None:
            stmt, params = self.statement
        else:
            return []
        async with self.app.db.transaction() as store:
            assert isinstance(store, SqlStore)
            sqlite = store.conn.dialect.name == "sqlite"
            explain = ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + stmt
            result = await (
                store.conn.exec_driver_sql(explain, params)
                if params
                else store.conn.exec_driver_sql(explain)
            )
            return [str(row[-1]).strip() for row in result.all()]


async def run(
    sizes: Sizes,
    repeats: Repeats,
    work: Path,
    history_years: int = 0,
    database: str | None = None,
) -> dict[str, Any]:
    """The load and the timings, on a SQLite file in `work`, or on a scratch database of
    the PostgreSQL server that `database` names."""
    async with scratch_database(database, "results") as scratch:
        return await _run(sizes, repeats, work, history_years, scratch)


async def _run(
    sizes: Sizes,
    repeats: Repeats,
    work: Path,
    history_years: int,
    scratch: PostgresScratch | None,
) -> dict[str, Any]:
    db_file = work / "bench.db"
    clock = BenchClock(OPENED)
    settings = bench_settings(db_file, scratch.url if scratch is not None else None)
    app = await build(settings, clock, {"bench": BenchPublisher()})
    await app.start()

    t = time.perf_counter()
    create = '/challenge create title:"Greener streets" brief:"What would make streets greener?"'
    check(await app.handle_command(command(MODERATOR, create)), "challenge create")
    check(await app.handle_command(command(MODERATOR, "/challenge open greener-streets")), "open")
    async with app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        community = await store.find_community(COMMUNITY)
        assert community is not None
        challenge_id = (await store.challenges(community.id))[0].id

        conn = store.conn

        async def one(sql: str, **values: Any) -> int:
            return int((await conn.execute(text(sql), values)).scalar_one())

        ids = Ids(
            community=community.id,
            challenge=challenge_id,
            first_member=await one("SELECT coalesce(max(id), 0) + 1 FROM members"),
            first_idea=await one("SELECT coalesce(max(id), 0) + 1 FROM ideas"),
            first_number=await one(
                "SELECT next_idea_number FROM communities WHERE id = :c", c=community.id
            ),
        )
    if scratch is None:
        rows = bulk_load(db_file, sizes, ids, history_years)
    else:
        rows = await bulk_load_pg(scratch.dsn, sizes, ids, history_years)
    load_s = time.perf_counter() - t
    consistency = await check_consistency(app, challenge_id, season_weeks(NOW, SEASON_MONTHS)[0])
    rss_after_load = peak_rss_mb()
    if scratch is None:
        db_mb = sum(p.stat().st_size for p in work.glob("bench.db*")) / 2**20
    else:
        async with app.db.transaction() as store:
            assert isinstance(store, SqlStore)
            size = "SELECT pg_database_size(current_database())"
            db_mb = int((await store.conn.exec_driver_sql(size)).scalar_one()) / 2**20
    print(
        f"setup ({'SQLite' if scratch is None else 'PostgreSQL'}): {rows['members']:,} members, "
        f"{rows['ideas']:,} ideas, {rows['votes']:,} votes, "
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
    top10_plan = await captured.plan()
    await leaderboard()
    async with app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        span = await store._span(weights, first_week, last_week)  # by month, or by week
        board = _board_sql(store.conn.dialect, community.id, weights, *span)
    leaderboard_plan = await captured.plan(board)
    await results_command()
    # by name: the webhooks' worker may look for work after the command, before this
    participation_plan = await captured.plan(name="participation")
    captured.close()

    timings = [
        await measure("top10", repeats.top10, top10),
        await measure("full_standings", repeats.full, full),
        await measure("leaderboard", repeats.leaderboard, leaderboard),
        await measure("leaderboard_command", repeats.leaderboard_command, leaderboard_command),
        await measure("results_command", repeats.results_command, results_command),
    ]
    sample = check(await app.handle_command(command(member, "/leaderboard")), "/leaderboard")
    await app.stop()
    board_seen = [*sample.card.body.splitlines(), sample.card.footer]

    by_name = {t.name: t for t in timings}
    figures: dict[str, Any] = {
        "benchmark": "results",
        "backend": "sqlite" if scratch is None else "postgresql",
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
        "leaderboard_seen": board_seen,
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
    for line in board_seen:
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
    add_database_option(parser)
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    work = Workdir()
    try:
        figures = asyncio.run(
            run(sizes, Repeats(), work.path, options.history_years, options.database)
        )
    finally:
        work.close()
    figures["peak_rss_mb"] = peak_rss_mb()
    print()
    print(target("peak RSS", figures["peak_rss_mb"], TARGET_RSS_MB, "MB"))
    emit(figures)


if __name__ == "__main__":
    main()
