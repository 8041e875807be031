"""Benchmark: what a transaction costs this process, around the statements it runs.

What is measured
    A command makes two to five transactions, each a handful of point reads and small
    writes, so on PostgreSQL what a transaction costs around its statements weighs on
    every command. This process's CPU time (and the wall time) a transaction, over
    ``--runs`` transactions in a row, best of ``--repeats``:

    * ``empty``: ``SqlDatabase.transaction()`` with no statement;
    * ``one write``: one statement of the commands (``seen_before``: a request's key
      recorded, the keys already known returned), as the Slack replay guard runs it;
    * ``three reads``: the member lookup of a command three times over.

    Baseline, in the same run: the driver alone, one connection kept, the same statement
    in a transaction begun and committed on it (asyncpg's ``transaction()``, or sqlite3's
    BEGIN IMMEDIATE and COMMIT). The ratio is the driver's CPU over ours for ``one write``.

    On a fresh SQLite file, or with ``--database`` on a scratch database of that
    PostgreSQL server (dropped afterwards). No target: the figures say what a transaction
    costs, next to the plain driver's.

How to run (from the repository root)
    .venv/bin/python bench/transactions.py
    .venv/bin/python bench/transactions.py --database postgresql://postgres@127.0.0.1:5432/test

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    Workdir,
    add_database_option,
    emit,
    scratch_database,
)
from storage.database import SqlDatabase, create_engine
from storage.hot_commands import POSTGRES, SQLITE
from storage.migrate import upgrade
from storage.store import SqlStore

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def timed(runs: int, repeats: int, one: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    """µs of this process's CPU and of wall time a call, the best of `repeats` series."""
    best_cpu = best_wall = float("inf")
    for series in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(runs):
            await one(series * runs + n)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / runs)
        best_wall = min(best_wall, (time.perf_counter() - wall) / runs)
    return {"cpu_us": round(best_cpu * 1e6, 1), "wall_us": round(best_wall * 1e6, 1)}


async def ours(db: SqlDatabase, runs: int, repeats: int) -> dict[str, dict[str, float]]:
    async def empty(_: int) -> None:
        async with db.transaction():
            pass

    async def one_write(n: int) -> None:
        async with db.transaction() as store:
            await store.seen_before([f"ours-{n}"], NOW, None)

    async def three_reads(n: int) -> None:
        async with db.transaction() as store:
            assert isinstance(store, SqlStore)
            for _ in range(3):
                await store._members_by_external(1, [f"member-{n}"])

    return {
        "empty": await timed(runs, repeats, empty),
        "one write": await timed(runs, repeats, one_write),
        "three reads": await timed(runs, repeats, three_reads),
    }


async def driver_alone(db_file: Path, dsn: str | None, runs: int, repeats: int) -> dict[str, float]:
    """`seen_before`'s statement on the driver alone, in a transaction of its own each time."""
    keys = "add_request_keys"
    if dsn is not None:
        import asyncpg  # type: ignore[import-untyped]

        pg = await asyncpg.connect(dsn)
        try:

            async def pg_one(n: int) -> None:
                async with pg.transaction():
                    await pg.fetch(POSTGRES[keys], [f"driver-{n}"], NOW)

            return await timed(runs, repeats, pg_one)
        finally:
            await pg.close()
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")  # as storage.database.create_engine sets it
    try:
        stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")

        async def sqlite_one(n: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(SQLITE[keys], (f'["driver-{n}"]', stamp)).fetchall()
            conn.execute("COMMIT")

        return await timed(runs, repeats, sqlite_one)
    finally:
        conn.close()


async def run(runs: int, repeats: int, database: str | None) -> dict[str, Any]:
    work = Workdir()
    db_file = work.path / "bench.db"
    try:
        async with scratch_database(database, "tx") as scratch:
            url = scratch.url if scratch is not None else f"sqlite+aiosqlite:///{db_file}"
            db = SqlDatabase(create_engine(url))
            try:
                await upgrade(db.engine)
                figures = await ours(db, runs, repeats)
            finally:
                await db.close()
            dsn = scratch.dsn if scratch is not None else None
            baseline = await driver_alone(db_file, dsn, runs, repeats)
    finally:
        work.close()
    backend = "postgresql" if database else "sqlite"
    print(f"a transaction on {backend}, best of {repeats} series of {runs:,}:")
    for name, values in (*figures.items(), ("the driver alone, one write", baseline)):
        print(f"  {name:<28} {values['cpu_us']:>8.1f} µs CPU {values['wall_us']:>8.1f} µs wall")
    ratio = baseline["cpu_us"] / figures["one write"]["cpu_us"]
    print(f"  the driver's CPU over ours, one write: {ratio:.2f}")
    return {
        "benchmark": "transactions",
        "backend": backend,
        "runs": runs,
        "repeats": repeats,
        **{f"{name.replace(' ', '_')}_cpu_us": v["cpu_us"] for name, v in figures.items()},
        **{f"{name.replace(' ', '_')}_wall_us": v["wall_us"] for name, v in figures.items()},
        "baseline_cpu_us": baseline["cpu_us"],
        "baseline_wall_us": baseline["wall_us"],
        "of_baseline": round(ratio, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1000, help="transactions a series (1000)")
    parser.add_argument("--repeats", type=int, default=3, help="series, the best kept (3)")
    add_database_option(parser)
    args = parser.parse_args()
    emit(asyncio.run(run(args.runs, args.repeats, args.database)))


if __name__ == "__main__":
    main()
