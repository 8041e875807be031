"""Benchmark: reaction events through the adapters' entry point, into SQLite.

What is measured
    100,000 reaction events (85 % ADD, 15 % REMOVE of an earlier add, emoji 👍, unique
    event ids, monotonic platform times) from 10,000 members on the posts of 1,000 ideas,
    delivered to ``Cocreate.handle_reaction`` by 64 concurrent callers, as platforms
    deliver them. The path is the real one: the group-commit queue of ``bot/ingest.py``,
    the vote rules of ``bot/votes.py`` and ``storage/store.py`` on a fresh SQLite file
    (WAL) in a temporary directory.

    Reported: events/s over the delivery (and per tenth of it, to show a trend), p50/p99
    latency of one ``handle_reaction`` call (queueing included), the votes stored (read
    back with sqlite3 and compared with what the events must leave), the WAL file's size at
    the end of the delivery (``wal_mb``, which ``storage/inline_sqlite.py`` bounds), and a
    baseline: the same rows (one reaction-log row per delivered event plus the resulting
    vote rows) written with plain ``sqlite3.executemany`` in one transaction into a fresh
    WAL file with the same table shapes and indexes. The ratio
    ``entry_point_events_per_s / baseline_rows_per_s`` says how far the entry point is
    from the raw cost of storing the rows. A second reference, the *stack floor*, writes
    the same rows through this project's own SQLite engine with SQLAlchemy Core (async),
    one transaction per 64 events as the reaction writer commits, without any read or
    vote rule: the fastest the fixed stack could take these events on this machine.

    Time cap: the machine is shared, so delivery stops taking new events after
    ``--max-seconds`` (default 55 s; 0 = no cap). Callers take events in order from one
    iterator, so what was delivered is always a prefix of the planned events; the output
    says how many were delivered, and every figure (including the expected votes and the
    baseline) is about that prefix.

    Setup (not timed): ``cocreate.bootstrap.build`` with an in-memory publisher, a hand-driven
    clock and default settings; a moderator creates and opens a challenge with
    ``/challenge create`` and ``/challenge open``; 400 members submit the 1,000 ideas with
    ``/idea submit``; the publisher's receipts give the message ids the reactions target.

    Targets are printed next to the figures, never asserted: ≥ 10,000 events/s,
    p99 ≤ 10 ms, peak RSS ≤ 300 MB.

    PostgreSQL (``--database postgresql://user@host:port/db``): the same delivery into a
    scratch database created on that server (dropped afterwards); the baseline is then
    plain asyncpg ``executemany`` of the same rows, one transaction per 64 events, into
    tables of the same shapes, and ``baseline_per_s`` is in events/s (on SQLite it is the
    rows/s of the one-transaction sqlite3 baseline). There is no stack floor on PostgreSQL.

    Scale (``--scale``): the delivery of ``SCALE_EVENTS`` events is measured three times,
    each on a fresh database already holding 10k, 100k and 1M votes of the challenge (with
    their reaction states and vote log entries, spread over the 6 days since it opened),
    written in bulk by the benchmark and checkpointed (not timed: the write-back of the
    preload would otherwise fall into the delivery). Reported as ``events_per_s_at_10k``
    etc.

JSON keys every run prints (numbers): backend ("sqlite" or "postgresql"), events_per_s,
p99_ms, baseline_per_s, first_tenth_per_s, last_tenth_per_s; with --scale
events_per_s_at_10k, events_per_s_at_100k, events_per_s_at_1m (and the same figures of
each run under "scale").

How to run (from the repository root)
    .venv/bin/python bench/votes.py                   # full size, delivery capped at 55 s
    .venv/bin/python bench/votes.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/votes.py --scale [--database …]   # rate at 10k, 100k, 1M votes
    .venv/bin/python bench/votes.py --max-seconds 0   # full size, every event
    .venv/bin/python bench/votes.py --quick           # sizes / 10, a smoke run
    .venv/bin/python bench/votes.py --statements      # + SQL statements per batch, timed
    .venv/bin/python bench/votes.py --profile         # + cProfile of the delivery as well

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import hashlib
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench._support import (
    CHANNEL,
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
    percentile,
    scratch_database,
    target,
    vocabulary,
)
from bot.core import Cocreate
from bot.messages import Actor, ReactionAction, ReactionEvent
from bot.weeks import week_of
from cocreate.bootstrap import build
from cocreate.startup import settle_heap
from storage.database import create_engine
from storage.schema import reaction_log, votes

SEED = 42
EMOJI = "👍"
CONCURRENCY = 64
REMOVE_SHARE = 0.15
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DEFAULT_MAX_SECONDS = 55.0

TARGET_EVENTS_PER_S = 12_000
TARGET_P99_MS = 10.0
TARGET_PG_EVENTS_PER_S = 5_000
TARGET_PG_P99_MS = 25.0
#: events delivered at each size of --scale
SCALE_EVENTS = 20_000
SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TARGET_RSS_MB = 300.0
#: what --statements and --profile ask for
PROFILE_STATEMENTS = "statements"
PROFILE_CPU = "cprofile"


@dataclass(frozen=True)
class Sizes:
    events: int
    ideas: int
    members: int
    authors: int


FULL = Sizes(events=100_000, ideas=1_000, members=10_000, authors=400)
QUICK = Sizes(events=10_000, ideas=100, members=1_000, authors=40)


@dataclass
class Plan:
    """The pre-generated events, and for each the (idea index, member index) it is about."""

    events: list[ReactionEvent]
    pairs: list[tuple[int, int]]
    authors: int

    def expected_votes(self, delivered: int) -> list[tuple[int, int]]:
        """(idea index, member index) of the votes the first `delivered` events leave.

        Authors' reactions on their own ideas are no votes (self_votes is off).
        """
        present: set[tuple[int, int]] = set()
        for event, pair in zip(self.events[:delivered], self.pairs[:delivered], strict=True):
            if event.action is ReactionAction.ADD:
                present.add(pair)
            else:
                present.discard(pair)
        return sorted((i, m) for i, m in present if m != i % self.authors)


@dataclass
class Delivery:
    elapsed: float
    latencies: list[float]
    #: when each call returned, in seconds since the delivery started, in order
    done_at: list[float]
    effects: collections.Counter[str]
    capped: bool
    #: CPU time of the event loop's thread over the delivery (the writer, the callers and
    #: the background work; not the checkpoint thread), in seconds
    loop_cpu_s: float


def member_actor(i: int) -> Actor:
    return Actor(f"m{i}", f"Member {i}")


# -- setup ---------------------------------------------------------------------------


async def setup(app: Cocreate, clock: BenchClock, sizes: Sizes, rng: random.Random) -> None:
    """One open challenge and its ideas, through `handle_command` as adapters call it."""
    create = (
        '/challenge create title:"Greener streets" brief:"What would make our streets greener?"'
    )
    check(await app.handle_command(command(MODERATOR, create)), "challenge create")
    check(await app.handle_command(command(MODERATOR, "/challenge open greener-streets")), "open")
    clock.advance(timedelta(minutes=1))
    words = vocabulary(rng)
    for j in range(sizes.ideas):
        author = member_actor(j % sizes.authors)
        title = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} {j}"
        description = " ".join(rng.choice(words) for _ in range(14))
        reply = await app.handle_command(
            command(author, f'/idea submit title:"{title}" description:"{description}"')
        )
        check(reply, f"idea {j}")
        clock.advance(timedelta(seconds=1))


def plan_events(
    sizes: Sizes, posts: list[tuple[str, str]], start: datetime, rng: random.Random
) -> Plan:
    """Mostly adds, some removes of a reaction added before; popular ideas get more."""
    present: list[tuple[int, int]] = []
    where: dict[tuple[int, int], int] = {}
    events: list[ReactionEvent] = []
    pairs: list[tuple[int, int]] = []
    actors = [member_actor(i) for i in range(sizes.members)]
    at = start
    for n in range(sizes.events):
        at += timedelta(milliseconds=rng.randint(5, 1500))
        if present and rng.random() < REMOVE_SHARE:
            k = rng.randrange(len(present))
            pair = present[k]
            last = present.pop()
            if k < len(present):
                present[k] = last
                where[last] = k
            del where[pair]
            action = ReactionAction.REMOVE
        else:
            while True:
                # Skewed towards the first ideas: a few ideas draw most of the votes.
                pair = (int(sizes.ideas * rng.random() ** 1.5), rng.randrange(sizes.members))
                if pair not in where:
                    break
            where[pair] = len(present)
            present.append(pair)
            action = ReactionAction.ADD
        pairs.append(pair)
        idea, member = pair
        channel_id, message_id = posts[idea]
        events.append(
            ReactionEvent(
                community=COMMUNITY,
                channel_id=channel_id,
                message_id=message_id,
                action=action,
                at=at,
                member=actors[member],
                emoji=EMOJI,
                event_id=f"ev-{n}",
            )
        )
    return Plan(events, pairs, sizes.authors)


# -- delivery ------------------------------------------------------------------------


async def deliver(
    app: Cocreate,
    clock: BenchClock,
    events: list[ReactionEvent],
    concurrency: int,
    max_seconds: float,
) -> Delivery:
    """Events through `handle_reaction` by `concurrency` callers sharing one iterator."""
    source = iter(events)
    latencies: list[float] = []
    done_at: list[float] = []
    effects: collections.Counter[str] = collections.Counter()
    perf = time.perf_counter
    started = perf()
    cpu_started = time.thread_time()
    deadline = started + max_seconds if max_seconds > 0 else float("inf")
    capped = False

    async def caller() -> None:
        nonlocal capped
        for event in source:
            clock.set(event.at)
            t = perf()
            outcome = await app.handle_reaction(event)
            now = perf()
            latencies.append(now - t)
            done_at.append(now - started)
            effects[outcome.effect] += 1
            if now > deadline:
                capped = True
                return

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = perf() - started
    loop_cpu_s = time.thread_time() - cpu_started
    # A caller that stopped at the deadline leaves the others to finish what they took.
    capped = capped and len(latencies) < len(events)
    return Delivery(elapsed, latencies, done_at, effects, capped, loop_cpu_s)


def segment_rates(done_at: list[float], parts: int = 10) -> list[float]:
    """Events/s in each tenth of the delivered events, by completion order."""
    if len(done_at) < parts:
        return []
    size = len(done_at) // parts
    rates = []
    previous = 0.0
    for i in range(parts):
        end = done_at[(i + 1) * size - 1]
        rates.append(round(size / max(end - previous, 1e-9), 1))
        previous = end
    return rates


@dataclass
class StatementTally:
    """SQL statements the core sends, by kind, and the time spent in them (--statements,
    --profile): through SQLAlchemy, by their verb and table; straight to the driver
    (storage/hot_votes.py), by their name; and the group-commit batches' own time, their
    transaction's begin and commit included."""

    count: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    batches: int = 0
    batch_seconds: float = 0.0
    #: what `detach` runs to leave everything as `attach` found it
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def attach(self, app: Cocreate) -> None:
        from sqlalchemy import event

        from storage.hot_votes import PostgresHot, SqliteHot

        engine = app.db.engine.sync_engine  # type: ignore[attr-defined]
        starts: dict[int, float] = {}

        def _before(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: Any) -> None:
            starts[id(ctx)] = time.perf_counter()

        def _after(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: Any) -> None:
            key = _statement_kind(stmt)
            self.count[key] += 1
            started = starts.pop(id(ctx), None)
            if started is not None:
                self.seconds[key] += time.perf_counter() - started

        listeners = {"before_cursor_execute": _before, "after_cursor_execute": _after}
        for name, listener in listeners.items():
            event.listen(engine, name, listener)
            self._undo.append(functools.partial(event.remove, engine, name, listener))
        for hot in (SqliteHot, PostgresHot):
            for method in ("fetch", "execute", "executemany", "fetch_each"):
                original = hot.__dict__[method]
                setattr(hot, method, self._timed(original))
                self._undo.append(functools.partial(setattr, hot, method, original))

        ingest = app.ingest
        apply = ingest._transaction

        async def counted(events: list[ReactionEvent]) -> Any:
            self.batches += 1
            started = time.perf_counter()
            try:
                return await apply(events)
            finally:
                self.batch_seconds += time.perf_counter() - started

        ingest._transaction = counted  # type: ignore[method-assign]
        self._undo.append(functools.partial(delattr, ingest, "_transaction"))

    def _timed(self, statement: Any) -> Any:
        async def timed(hot: Any, name: str, *params: Any) -> Any:
            started = time.perf_counter()
            try:
                return await statement(hot, name, *params)
            finally:
                key = f"driver: {name}"
                self.count[key] += 1
                self.seconds[key] += time.perf_counter() - started

        return timed

    def detach(self) -> None:
        while self._undo:
            self._undo.pop()()

    def report(self) -> None:
        n = max(self.batches, 1)
        print(
            f"SQL statements per group-commit batch ({self.batches:,} batches, "
            f"{self.batch_seconds * 1000 / n:.2f} ms each; statements of the background "
            "work after a batch, such as the brigading watch's, are counted too):"
        )
        print("  per batch    ms/batch  statement")
        by_time = sorted(self.count, key=lambda k: -self.seconds[k])
        for key in by_time:
            print(f"  {self.count[key] / n:9.2f} {self.seconds[key] * 1000 / n:11.3f}  {key}")


def _statement_kind(stmt: str) -> str:
    words = stmt.split()
    if not words:
        return "?"
    verb = words[0].upper()
    if verb == "SELECT":
        table = re.search(r"\bFROM (\w+)", stmt)
        kind = f"SELECT … FROM {table.group(1) if table else '?'}"
        if re.search(r"\(\w+\.\w+, \w+\.\w+\) IN", stmt):
            kind += " WHERE (a, b) IN (…)"
        return kind
    if verb in ("INSERT", "DELETE"):
        return " ".join(words[:3])
    if verb == "UPDATE":
        return " ".join(words[:4])
    return verb + (" " + words[1] if len(words) > 1 else "")


# -- baseline ------------------------------------------------------------------------

BASELINE_SCHEMA = """
CREATE TABLE reaction_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL,
    event_id VARCHAR(128),
    post_id INTEGER NOT NULL,
    idea_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    action VARCHAR(8) NOT NULL,
    emoji VARCHAR(64) NOT NULL,
    occurred_at DATETIME NOT NULL,
    recorded_at DATETIME NOT NULL,
    source VARCHAR(16) NOT NULL,
    effect VARCHAR(32) NOT NULL,
    UNIQUE (community_id, event_id)
);
CREATE INDEX ix_reaction_log_idea ON reaction_log (idea_id);
CREATE TABLE votes (
    idea_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    challenge_id INTEGER NOT NULL,
    cast_at DATETIME NOT NULL,
    week VARCHAR(10) NOT NULL,
    PRIMARY KEY (idea_id, member_id)
);
CREATE INDEX ix_votes_member ON votes (member_id, challenge_id);
CREATE INDEX ix_votes_challenge ON votes (challenge_id, cast_at);
"""


def _sql_time(at: datetime) -> str:
    """As SQLAlchemy's SQLite dialect stores a naive UTC datetime."""
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Rows:
    """The rows the delivered events must leave: one reaction-log row per event, and the
    final votes, each as a dict of column values (datetimes as datetimes)."""

    log: list[dict[str, Any]]
    votes: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.log) + len(self.votes)


def expected_rows(plan: Plan, delivered: int, expected: list[tuple[int, int]]) -> Rows:
    log_rows = []
    cast_at: dict[tuple[int, int], datetime] = {}
    for e, (idea, member) in zip(plan.events[:delivered], plan.pairs[:delivered], strict=True):
        added = e.action is ReactionAction.ADD
        log_rows.append(
            {
                "community_id": 1,
                "event_id": e.event_id,
                "post_id": idea + 1,
                "idea_id": idea + 1,
                "member_id": member + 1,
                "action": e.action.value,
                "emoji": EMOJI,
                "occurred_at": e.at,
                "recorded_at": e.at,
                "source": "event",
                "effect": "vote added" if added else "vote removed",
            }
        )
        if added:
            cast_at[(idea, member)] = e.at
    vote_rows = [
        {
            "idea_id": idea + 1,
            "member_id": member + 1,
            "challenge_id": 1,
            "cast_at": cast_at[(idea, member)],
            "week": week_of(cast_at[(idea, member)]),
        }
        for idea, member in expected
    ]
    return Rows(log_rows, vote_rows)


def baseline(db_file: Path, rows: Rows) -> float:
    """The rows with plain sqlite3 in one transaction; seconds."""
    log_rows = [
        tuple(_sql_time(v) if isinstance(v, datetime) else v for v in r.values()) for r in rows.log
    ]
    vote_rows = [
        tuple(_sql_time(v) if isinstance(v, datetime) else v for v in r.values())
        for r in rows.votes
    ]
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # as storage.database.create_engine sets it
    conn.executescript(BASELINE_SCHEMA)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        f"INSERT INTO reaction_log ({', '.join(rows.log[0])}) VALUES ({', '.join('?' * 11)})",
        log_rows,
    )
    conn.executemany(
        "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week) "
        "VALUES (?, ?, ?, ?, ?)",
        vote_rows,
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def stack_floor(db_file: Path, rows: Rows) -> float:
    """The rows through this project's own engine and SQLAlchemy Core statements, in one
    transaction per batch of CONCURRENCY events (as the reaction writer commits): what the
    fixed stack costs to store them, with no reads and no vote rules. Seconds."""
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    async with engine.begin() as conn:
        for statement in BASELINE_SCHEMA.split(";"):
            if statement.strip():
                await conn.exec_driver_sql(statement)
    batches = max(1, -(-len(rows.log) // CONCURRENCY))
    per_batch = -(-len(rows.votes) // batches)
    started = time.perf_counter()
    for b in range(batches):
        async with engine.begin() as conn:
            await conn.execute(
                insert(reaction_log), rows.log[b * CONCURRENCY : (b + 1) * CONCURRENCY]
            )
            chunk = rows.votes[b * per_batch : (b + 1) * per_batch]
            if chunk:
                await conn.execute(insert(votes), chunk)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


# -- PostgreSQL baseline and read-back ----------------------------------------------

PG_BASELINE_SCHEMA = (
    BASELINE_SCHEMA.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    .replace("DATETIME", "TIMESTAMPTZ")
    .replace("INTEGER", "BIGINT")
)


async def pg_baseline(dsn: str, rows: Rows, delivered: int) -> float:
    """The rows with plain asyncpg executemany, one transaction per CONCURRENCY events,
    into tables of the same shapes in a schema of their own; seconds."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS baseline CASCADE; CREATE SCHEMA baseline")
        await conn.execute("SET search_path = baseline")
        await conn.execute(PG_BASELINE_SCHEMA)
        columns = list(rows.log[0])
        log_sql = (
            f"INSERT INTO reaction_log ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'${n + 1}' for n in range(len(columns)))})"
        )
        vote_sql = (
            "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week) "
            "VALUES ($1, $2, $3, $4, $5)"
        )
        log_rows = [tuple(r.values()) for r in rows.log]
        vote_rows = [tuple(r.values()) for r in rows.votes]
        batches = max(1, -(-len(log_rows) // CONCURRENCY))
        per_batch = -(-len(vote_rows) // batches)
        started = time.perf_counter()
        for b in range(batches):
            async with conn.transaction():
                await conn.executemany(log_sql, log_rows[b * CONCURRENCY : (b + 1) * CONCURRENCY])
                chunk = vote_rows[b * per_batch : (b + 1) * per_batch]
                if chunk:
                    await conn.executemany(vote_sql, chunk)
        elapsed = time.perf_counter() - started
        await conn.execute("DROP SCHEMA baseline CASCADE")
    finally:
        await conn.close()
    return elapsed


async def stored_counts(backend: str, db_file: Path, dsn: str | None) -> tuple[int, int, int]:
    """(votes, reaction-log rows, members) as stored."""
    queries = [
        "SELECT count(*) FROM votes",
        "SELECT count(*) FROM reaction_log",
        "SELECT count(*) FROM members",
    ]
    if backend == "sqlite":
        conn = sqlite3.connect(db_file)
        try:
            found = [int(conn.execute(q).fetchone()[0]) for q in queries]
        finally:
            conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(dsn)
        try:
            found = [int(await pg.fetchval(q)) for q in queries]
        finally:
            await pg.close()
    return found[0], found[1], found[2]


# -- votes already stored (--scale) --------------------------------------------------


async def preload(
    backend: str,
    db_file: Path,
    dsn: str | None,
    sizes: Sizes,
    stored: int,
    since: datetime,
    until: datetime,
) -> float:
    """`stored` votes on the challenge's ideas, from members of their own (p0, p1, …), with
    their reaction states and vote log entries, cast evenly over [since, until); written in
    bulk, as if they had come through the entry point. Seconds it took."""
    t = time.perf_counter()
    per_idea = -(-stored // sizes.ideas)
    voters = [f"p{j}" for j in range(per_idea)]
    step = (until - since) / max(stored, 1)
    fake = hashlib.sha256(b"preloaded").hexdigest()
    if backend == "sqlite":
        conn = sqlite3.connect(db_file, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            seen = _sql_time(since)
            conn.executemany(
                "INSERT INTO members (community_id, external_id, display_name, is_bot, "
                "first_seen_at, blocked) VALUES (1, ?, ?, 0, ?, 0)",
                [(v, v, seen) for v in voters],
            )
            ids = dict(
                conn.execute("SELECT external_id, id FROM members WHERE external_id LIKE 'p%'")
            )
            (base,) = conn.execute(
                "SELECT coalesce(max(seq), 0) FROM reaction_log WHERE challenge_id = 1"
            ).fetchone()
            emitted = 0
            chunk: list[tuple[int, int, datetime]] = []

            def flush() -> None:
                nonlocal emitted
                conn.executemany(
                    "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week, voided) "
                    "VALUES (?, ?, 1, ?, ?, 0)",
                    [(i, m, _sql_time(at), week_of(at)) for i, m, at in chunk],
                )
                conn.executemany(
                    "INSERT INTO reaction_states (post_id, member_id, variant, present, "
                    "changed_at, seen_at, synced) VALUES (?, ?, '', 1, ?, ?, 0)",
                    [(i, m, _sql_time(at), _sql_time(at)) for i, m, at in chunk],
                )
                conn.executemany(
                    "INSERT INTO reaction_log (community_id, challenge_id, seq, event_id, "
                    "post_id, idea_id, member_id, action, emoji, occurred_at, recorded_at, "
                    "source, effect, counted, credited_idea_id, hash) VALUES (1, 1, ?, ?, ?, ?, "
                    "?, 'add', ?, ?, ?, 'event', 'vote added', 1, ?, ?)",
                    [
                        (
                            base + emitted + k + 1,
                            f"pre-{emitted + k}",
                            i,
                            i,
                            m,
                            EMOJI,
                            _sql_time(at),
                            _sql_time(at),
                            i,
                            fake,
                        )
                        for k, (i, m, at) in enumerate(chunk)
                    ],
                )
                emitted += len(chunk)
                chunk.clear()

            for n, (idea, voter) in enumerate(_preload_pairs(stored, sizes.ideas)):
                chunk.append((idea + 1, ids[voters[voter]], since + step * n))
                if len(chunk) >= 50_000:
                    flush()
            if chunk:
                flush()
            conn.execute(
                "INSERT INTO vote_chains (challenge_id, entries, head) VALUES (1, ?, ?) "
                "ON CONFLICT (challenge_id) DO UPDATE SET entries = excluded.entries, "
                "head = excluded.head",
                (base + emitted, fake),
            )
            conn.execute(
                "UPDATE ideas SET vote_count = (SELECT count(*) FROM votes v "
                "WHERE v.idea_id = ideas.id AND NOT v.voided)"
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            # The preload's WAL is set-up too: copied into the file now, not by the bot's
            # checkpoints during the measured delivery.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(dsn)
        try:
            async with pg.transaction():
                await pg.executemany(
                    "INSERT INTO members (community_id, external_id, display_name, is_bot, "
                    "first_seen_at, blocked) VALUES (1, $1, $1, false, $2, false)",
                    [(v, since) for v in voters],
                )
                ids = dict(
                    await pg.fetch(
                        "SELECT external_id, id FROM members WHERE external_id LIKE 'p%'"
                    )
                )
                base = await pg.fetchval(
                    "SELECT coalesce(max(seq), 0) FROM reaction_log WHERE challenge_id = 1"
                )

                def pairs() -> Iterator[tuple[int, int, datetime]]:
                    # Made again for each table, not kept: a million rows of tuples would
                    # be most of the process's peak memory, which the benchmark reports.
                    for n, (idea, voter) in enumerate(_preload_pairs(stored, sizes.ideas)):
                        yield idea + 1, ids[voters[voter]], since + step * n

                await pg.copy_records_to_table(
                    "votes",
                    columns=["idea_id", "member_id", "challenge_id", "cast_at", "week", "voided"],
                    records=((i, m, 1, at, week_of(at), False) for i, m, at in pairs()),
                )
                await pg.copy_records_to_table(
                    "reaction_states",
                    columns=[
                        "post_id",
                        "member_id",
                        "variant",
                        "present",
                        "changed_at",
                        "seen_at",
                        "synced",
                    ],
                    records=((i, m, "", True, at, at, False) for i, m, at in pairs()),
                )
                await pg.copy_records_to_table(
                    "reaction_log",
                    columns=[
                        "community_id",
                        "challenge_id",
                        "seq",
                        "event_id",
                        "post_id",
                        "idea_id",
                        "member_id",
                        "action",
                        "emoji",
                        "occurred_at",
                        "recorded_at",
                        "source",
                        "effect",
                        "counted",
                        "credited_idea_id",
                        "hash",
                    ],
                    records=(
                        (
                            1,
                            1,
                            base + n + 1,
                            f"pre-{n}",
                            i,
                            i,
                            m,
                            "add",
                            EMOJI,
                            at,
                            at,
                            "event",
                            "vote added",
                            1,
                            i,
                            fake,
                        )
                        for n, (i, m, at) in enumerate(pairs())
                    ),
                )
                await pg.execute(
                    "INSERT INTO vote_chains (challenge_id, entries, head) VALUES (1, $1, $2) "
                    "ON CONFLICT (challenge_id) DO UPDATE SET entries = excluded.entries, "
                    "head = excluded.head",
                    base + stored,
                    fake,
                )
                await pg.execute(
                    "UPDATE ideas SET vote_count = (SELECT count(*) FROM votes v "
                    "WHERE v.idea_id = ideas.id AND NOT v.voided)"
                )
            await pg.execute("VACUUM ANALYZE")
            # The preload's write-back is set-up too: without a checkpoint here, the server
            # wrote a million rows' pages back during the measured delivery (asyncpg's own
            # baseline ran at a quarter of its rate in that run).
            try:
                await pg.execute("CHECKPOINT")
            except asyncpg.InsufficientPrivilegeError:
                print("note: no CHECKPOINT after the preload (needs pg_checkpoint)")
        finally:
            await pg.close()
    return time.perf_counter() - t


def _preload_pairs(stored: int, ideas: int) -> Any:
    """(idea index, preload voter index): every idea gets its share."""
    for n in range(stored):
        yield n % ideas, n // ideas


# -- main ----------------------------------------------------------------------------


async def run(
    sizes: Sizes,
    work: Path,
    max_seconds: float,
    profile: str | None,
    database: str | None = None,
    stored: int = 0,
    events: int | None = None,
) -> dict[str, Any]:
    db_file = work / "bench.db"
    backend = "postgresql" if database else "sqlite"
    async with scratch_database(database, "bench") as scratch:
        return await _run(
            sizes, work, db_file, backend, scratch, max_seconds, profile, stored, events
        )


async def _run(
    sizes: Sizes,
    work: Path,
    db_file: Path,
    backend: str,
    scratch: PostgresScratch | None,
    max_seconds: float,
    profile: str | None,
    stored: int,
    events: int | None,
) -> dict[str, Any]:
    clock = BenchClock(START)
    publisher = BenchPublisher()
    rng = random.Random(SEED)
    dsn = scratch.dsn if scratch is not None else None

    t = time.perf_counter()
    settings = bench_settings(db_file, scratch.url if scratch is not None else None)
    app = await build(settings, clock, {"bench": publisher})
    await app.start()
    await setup(app, clock, sizes, rng)
    setup_s = time.perf_counter() - t
    posts = [(channel, message) for _, channel, message in publisher.idea_posts]
    assert len(posts) == sizes.ideas, f"expected {sizes.ideas} idea posts, got {len(posts)}"
    assert all(channel == CHANNEL for channel, _ in posts)
    print(
        f"setup ({backend}): challenge + {sizes.ideas:,} ideas by {sizes.authors:,} authors "
        f"through handle_command in {setup_s:.1f} s "
        f"({setup_s / sizes.ideas * 1000:.1f} ms per idea)"
    )
    if stored:
        opened = clock.now()
        clock.advance(timedelta(days=6))
        took = await preload(backend, db_file, dsn, sizes, stored, opened, clock.now())
        print(f"preloaded {stored:,} votes with their states and log entries in {took:.1f} s")

    t = time.perf_counter()
    if events is not None:
        sizes = Sizes(events, sizes.ideas, sizes.members, sizes.authors)
    plan = plan_events(sizes, posts, clock.now() + timedelta(minutes=5), rng)
    adds = sum(e.action is ReactionAction.ADD for e in plan.events)
    print(
        f"events: {len(plan.events):,} pre-generated ({adds:,} add, "
        f"{len(plan.events) - adds:,} remove) from {sizes.members:,} members "
        f"in {time.perf_counter() - t:.1f} s"
    )

    tally = StatementTally() if profile else None
    if tally is not None:
        tally.attach(app)
    profiler = None
    if profile == PROFILE_CPU:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    settle_heap()  # as `cocreate run` does once it has started
    d = await deliver(app, clock, plan.events, CONCURRENCY, max_seconds)
    if profiler is not None:
        profiler.disable()
    if tally is not None:
        tally.detach()
    # Before the stop: closing the last connection checkpoints and removes the WAL.
    wal = db_file.with_name(db_file.name + "-wal")
    wal_mb = wal.stat().st_size / 2**20 if wal.exists() else 0.0
    await app.stop()
    delivered = len(d.latencies)

    stored_votes, logged, members = await stored_counts(backend, db_file, dsn)
    db_mb = sum(p.stat().st_size for p in work.glob("bench.db*")) / 2**20

    expected = plan.expected_votes(delivered)
    rows = expected_rows(plan, delivered, expected)
    base_rows = len(rows)
    floor_s = None
    if backend == "sqlite":
        base_s = baseline(work / "baseline.db", rows)
        floor_s = await stack_floor(work / "floor.db", rows)
        baseline_per_s = base_rows / base_s
    else:
        assert dsn is not None
        base_s = await pg_baseline(dsn, rows, delivered)
        baseline_per_s = delivered / base_s

    latencies = sorted(d.latencies)
    events_per_s = delivered / d.elapsed
    segments = segment_rates(d.done_at)
    figures: dict[str, Any] = {
        "benchmark": "votes",
        "backend": backend,
        "quick": sizes.ideas == QUICK.ideas,
        "events_planned": len(plan.events),
        "events_delivered": delivered,
        "capped": d.capped,
        "max_seconds": max_seconds,
        "ideas": sizes.ideas,
        "members": sizes.members,
        "votes_stored_before": stored,
        "concurrency": CONCURRENCY,
        "setup_s": round(setup_s, 2),
        "elapsed_s": round(d.elapsed, 3),
        "events_per_s": round(events_per_s, 1),
        "entry_point_events_per_s": round(events_per_s, 1),
        "loop_cpu_us_per_event": round(d.loop_cpu_s * 1e6 / delivered, 1),
        "events_per_s_by_tenth": segments,
        "first_tenth_per_s": segments[0] if segments else None,
        "last_tenth_per_s": segments[-1] if segments else None,
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3),
        "stored_votes": stored_votes,
        "expected_votes": len(expected) + stored,
        "reaction_log_rows": logged,
        "members_stored": members,
        "db_mb": round(db_mb, 1) if backend == "sqlite" else None,
        "wal_mb": round(wal_mb, 1) if backend == "sqlite" else None,
        "baseline_rows": base_rows,
        "baseline_s": round(base_s, 3),
        "baseline_per_s": round(baseline_per_s, 1),
        "baseline_unit": "rows/s" if backend == "sqlite" else "events/s",
        "ratio_to_baseline": round(events_per_s / baseline_per_s, 5),
        "effects": dict(d.effects.most_common()),
        "badges_announced": dict(publisher.badges.most_common()),
    }
    if floor_s is not None:
        floor_events_per_s = delivered / floor_s
        figures["stack_floor_s"] = round(floor_s, 3)
        figures["stack_floor_events_per_s"] = round(floor_events_per_s, 1)
        figures["ratio_entry_point_to_stack_floor"] = round(events_per_s / floor_events_per_s, 3)

    rate_target = TARGET_EVENTS_PER_S if backend == "sqlite" else TARGET_PG_EVENTS_PER_S
    p99_target = TARGET_P99_MS if backend == "sqlite" else TARGET_PG_P99_MS
    print()
    print(f"delivery: {delivered:,} of {len(plan.events):,} events, {CONCURRENCY} callers")
    if d.capped:
        print(
            f"  CAPPED: no new events after {max_seconds:g} s (--max-seconds); the figures "
            f"are about the {delivered:,} events delivered"
        )
    print(f"  elapsed                            {d.elapsed:>12,.2f} s")
    print(target("throughput", events_per_s, rate_target, "events/s", at_least=True))
    print(f"  the event loop's CPU an event      {figures['loop_cpu_us_per_event']:>12,.1f} µs")
    if segments:
        print(f"  events/s by tenth of the delivery: {', '.join(f'{r:,.0f}' for r in segments)}")
        print(f"  last tenth ÷ first tenth = {segments[-1] / max(segments[0], 1e-9):.2f}")
    print(f"  p50 latency                        {figures['p50_ms']:>12,.2f} ms")
    print(target("p99 latency", figures["p99_ms"], p99_target, "ms"))
    print(f"  max latency                        {figures['max_ms']:>12,.2f} ms")
    print(f"  outcomes: {', '.join(f'{k}: {v:,}' for k, v in d.effects.most_common())}")
    badges = ", ".join(f"{k}: {v:,}" for k, v in publisher.badges.most_common()) or "none"
    print(f"  badges announced to the publisher: {badges}")
    print(
        f"  stored: {stored_votes:,} votes (expected {len(expected) + stored:,}), "
        f"{logged:,} reaction-log rows, {members:,} members"
    )
    if backend == "sqlite":
        print(f"  WAL file at the end of the delivery {wal_mb:>11,.1f} MB")
    print()
    if backend == "sqlite":
        print(f"baseline: plain sqlite3 executemany, one transaction, WAL: {base_rows:,} rows")
        print(f"  elapsed                            {base_s:>12,.3f} s")
        print(f"  rows/s                             {baseline_per_s:>12,.0f}")
        print(f"  entry point events/s ÷ baseline rows/s = {events_per_s / baseline_per_s:.5f}")
    else:
        print(
            f"baseline: plain asyncpg executemany, one transaction per {CONCURRENCY} events: "
            f"{base_rows:,} rows"
        )
        print(f"  elapsed                            {base_s:>12,.3f} s")
        print(f"  events/s                           {baseline_per_s:>12,.0f}")
        print(f"  entry point ÷ baseline = {events_per_s / baseline_per_s:.3f}")
    if floor_s is not None:
        print()
        print(
            "stack floor: the same rows through SQLAlchemy Core (async) on this project's "
            f"SQLite engine, one transaction per {CONCURRENCY} events, no reads, no vote rules"
        )
        print(f"  elapsed                            {floor_s:>12,.3f} s")
        print(f"  events/s                           {delivered / floor_s:>12,.0f}")
        print(f"  entry point ÷ stack floor = {events_per_s * floor_s / delivered:.3f}")

    if tally is not None:
        print()
        tally.report()
    if profiler is not None:
        import pstats

        print()
        print("cProfile of the delivery, own time (cumulative figures of coroutines mislead):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
    return figures


async def run_scale(
    work: Path, max_seconds: float, database: str | None, events: int
) -> dict[str, Any]:
    """The delivery of `events` events on databases already holding 10k, 100k, 1M votes."""
    runs: dict[str, dict[str, Any]] = {}
    for label, stored in SCALES.items():
        print(f"\n== scale: {stored:,} votes stored ==")
        sub = work / label
        sub.mkdir()
        runs[label] = await run(FULL, sub, max_seconds, None, database, stored, events)
    rates = {label: r["events_per_s"] for label, r in runs.items()}
    ratio = rates["1m"] / max(rates["10k"], 1e-9)
    print()
    print("scale: events/s at " + ", ".join(f"{k}: {v:,.0f}" for k, v in rates.items()))
    verdict = "meets" if ratio >= 0.7 else "MISSES"
    print(f"  rate at 1M ÷ rate at 10k = {ratio:.2f} (target ≥ 0.7: {verdict})")
    last = runs["1m"]
    figures: dict[str, Any] = {
        "benchmark": "votes",
        "scale": {k: {f: r[f] for f in _KEY_FIGURES} for k, r in runs.items()},
    }
    figures.update({f: last[f] for f in _KEY_FIGURES})
    figures.update({f"events_per_s_at_{k}": v for k, v in rates.items()})
    figures["ratio_1m_to_10k"] = round(ratio, 3)
    return figures


_KEY_FIGURES = (
    "backend",
    "events_per_s",
    "p99_ms",
    "baseline_per_s",
    "first_tenth_per_s",
    "last_tenth_per_s",
    "events_delivered",
    "capped",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes / 10 (a smoke run)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=DEFAULT_MAX_SECONDS,
        help=f"stop taking new events after this long (default {DEFAULT_MAX_SECONDS:g}; 0: never)",
    )
    parser.add_argument(
        "--profile",
        action="store_const",
        const=PROFILE_CPU,
        help="cProfile the delivery, and tally its SQL statements",
    )
    parser.add_argument(
        "--statements",
        dest="profile",
        action="store_const",
        const=PROFILE_STATEMENTS,
        help="tally the delivery's SQL statements and time them (no cProfile to slow them)",
    )
    add_database_option(parser)
    parser.add_argument(
        "--scale",
        action="store_true",
        help=f"events/s of {SCALE_EVENTS:,} events with 10k, 100k and 1M votes stored",
    )
    parser.add_argument(
        "--scale-events", type=int, default=SCALE_EVENTS, help="events per --scale run"
    )
    options = parser.parse_args()
    database = options.database
    sizes = QUICK if options.quick else FULL
    work = Workdir()
    try:
        if options.scale:
            figures = asyncio.run(
                run_scale(work.path, options.max_seconds, database, options.scale_events)
            )
        else:
            figures = asyncio.run(
                run(sizes, work.path, options.max_seconds, options.profile, database)
            )
    finally:
        work.close()
    figures["peak_rss_mb"] = peak_rss_mb()
    print()
    print(target("peak RSS", figures["peak_rss_mb"], TARGET_RSS_MB, "MB"))
    emit(figures)


if __name__ == "__main__":
    main()
