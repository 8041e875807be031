"""Benchmark: the core's CPU time per command, by command, with no platform around it.

What is measured
    A challenge holding 1,000 ideas (submitted through ``handle_command`` by 400 members,
    as in ``bench/votes.py``), on a SQLite file, with an in-memory publisher and a
    hand-driven clock. Then 200 of each command of the command benchmarks' mix, each from
    a member new to the database: ``/results``, ``/idea show N``, ``/ideas``,
    ``/challenge info``, ``/leaderboard``, ``/cocreate help`` and ``/idea submit`` (a new
    idea each time, its duplicate hint over the challenge's ideas). Reported: the
    process's CPU time per command, which is what bounds the answers of
    ``bench/discord_commands.py`` and ``bench/slack_commands.py`` once the platform's
    own work is taken out, and the mix's weighted mean (80 % reads, 20 % submissions).

    ``--profile COMMAND`` adds a cProfile of that command's 200 runs (the core's and the
    repository's functions, by cumulative time).

How to run (from the repository root)
    .venv/bin/python bench/command_costs.py
    .venv/bin/python bench/command_costs.py --profile submit

The last line of output is one JSON object: ``ms_per_command`` by command, and
``mix_ms_per_command``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    BenchClock,
    BenchPublisher,
    Workdir,
    add_database_option,
    bench_settings,
    check,
    command,
    emit,
    scratch_database,
)
from bench.votes import START, Sizes, setup
from bot.messages import Actor
from bot.settings import Settings
from cocreate.bootstrap import build
from cocreate.startup import settle_heap

RUNS = 200
IDEAS = 1000
#: the command benchmarks' mix: 80 % reads in equal parts, 20 % submissions
READS = ("results", "show", "ideas", "info", "leaderboard", "help")


def commands(rng: random.Random) -> dict[str, Callable[[int], str]]:
    return {
        "results": lambda i: "/results",
        "show": lambda i: f"/idea show {rng.randint(1, IDEAS)}",
        "ideas": lambda i: "/ideas",
        "info": lambda i: "/challenge info",
        "leaderboard": lambda i: "/leaderboard",
        "help": lambda i: "/cocreate help",
        "submit": lambda i: (
            f'/idea submit title:"Brand new thing {i} {rng.random():.6f}" '
            f'description:"Something quite different ({i}) to say about it"'
        ),
    }


async def measure(
    settings: Settings, profiled: str | None, profiler: cProfile.Profile | None
) -> dict[str, float]:
    """The core's CPU a command, by command, on a challenge of `IDEAS` ideas."""
    clock = BenchClock(START)
    app = await build(settings, clock, {"bench": BenchPublisher()})
    await app.start()
    try:
        await setup(app, clock, Sizes(IDEAS, IDEAS, 1000, 400), random.Random(1))
        await app.drain()
        settle_heap()  # as `cocreate run` does once it has started
        costs: dict[str, float] = {}
        for name, make in commands(random.Random(2)).items():
            if profiler is not None and name == profiled:
                profiler.enable()
            began = time.process_time()
            for i in range(RUNS):
                actor = Actor(f"{name}-{i}", f"Member {name} {i}")
                check(await app.handle_command(command(actor, make(i))), name)
                clock.advance(timedelta(seconds=1))
            await app.drain()
            costs[name] = round(1000 * (time.process_time() - began) / RUNS, 3)
            if profiler is not None and name == profiled:
                profiler.disable()
            print(f"  {name:<12} {costs[name]:7.2f} ms CPU a command")
    finally:
        await app.stop()
    return costs


async def run(profiled: str | None, database: str | None = None) -> dict[str, Any]:
    work = Workdir()
    profiler = cProfile.Profile() if profiled else None
    try:
        async with scratch_database(database, "costs") as scratch:
            settings = bench_settings(work.path / "bench.db", scratch.url if scratch else None)
            costs = await measure(settings, profiled, profiler)
    finally:
        work.close()
    mix = 0.8 * sum(costs[r] for r in READS) / len(READS) + 0.2 * costs["submit"]
    print(f"  {'the mix':<12} {mix:7.2f} ms CPU a command (80 % reads, 20 % submissions)")
    if profiler is not None:
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(r"(bot|storage)/", 40)
    return {
        "benchmark": "command_costs",
        "backend": "postgresql" if database else "sqlite",
        "ideas": IDEAS,
        "runs": RUNS,
        "ms_per_command": costs,
        "mix_ms_per_command": round(mix, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", metavar="COMMAND", choices=[*READS, "submit"])
    add_database_option(parser)
    args = parser.parse_args()
    emit(asyncio.run(run(args.profile, args.database)))


if __name__ == "__main__":
    main()
