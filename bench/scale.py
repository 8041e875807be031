"""Benchmark: the same reaction load through one, then two `cocreate run` processes sharing
one PostgreSQL database.

What is run
    The chaos rig (bench/chaos_rig.py, bench/chaos.py's World): a fake Slack Web API in
    this process on 127.0.0.1, and `cocreate run` processes in Slack HTTP mode pointed at
    it, on a fresh database of the shared PostgreSQL server (dropped afterwards). Each
    setup (1 process, then 2) creates two challenges of `--ideas` ideas each (one posted in
    two venues, one in one) through signed slash commands, then 40 members react and
    un-react on the idea posts as fast as the processes take them: `--events` changes, at
    most 64 deliveries in flight, the events dealt to the processes in turn (as a load
    balancer does), each redelivered after a non-2xx answer as Slack redelivers. Each
    change is made in the fake first: the fake holds the ground truth.

    Reported per setup: events acknowledged per second (first event sent to last one
    acknowledged), ack p50/p99, and the checks of the chaos benchmark: votes lost and
    doubled against the fake's ground truth, and the due posts (the challenge's
    announcement and every idea's post, in each venue) made exactly once. Then the ratio
    of the two setups' rates. The load generator runs in this process on the same two
    cores, so it takes its share of the machine in both setups.

    CPU: the CPU seconds per 1,000 events of the bots, of this process (the fake Slack and
    the load generator) and of the PostgreSQL server (every backend, read from /proc), and
    from them the rate that all the machine's cores would give if busy with this work
    alone. Its ratio to the 1-process rate (`cpu_ceiling_ratio`) is the most that a second
    process can bring on this machine.

    Target (printed, never asserted): at least 1.5× with 2 processes, 0 lost or doubled,
    every due post made exactly once.

JSON keys (numbers): events_per_s_1, events_per_s_2, ratio, cpu_ceiling_ratio, lost,
doubled, posts_missing, posts_doubled (summed over both setups); each setup's figures under
"setups".

How to run (from the repository root; needs the PostgreSQL server on 127.0.0.1:5432)
    .venv/bin/python bench/scale.py              # 4,000 events per setup
    .venv/bin/python bench/scale.py --quick      # 1,000 events per setup
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import chaos_rig as rig
from bench._support import cpu_seconds
from bench.chaos import World

TARGET_RATIO = 1.5
CORES = os.cpu_count() or 1


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuShares:
    """CPU time spent during the load by the bots, by this process (the fake Slack and the
    load generator) and by the PostgreSQL server (all its backends): what bounds the rate
    when the cores are shared."""

    def __init__(self, bot_pids: list[int]) -> None:
        self.bot_pids = bot_pids
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        own = os.times()
        return {
            "bots": sum(cpu_seconds(p) or 0.0 for p in self.bot_pids),
            "fake_and_load": own.user + own.system,
            "postgres": sum(cpu_seconds(p) or 0.0 for p in _postgres_pids()),
        }

    def per_1000(self, events: int) -> dict[str, float]:
        end = self._now()
        return {k: round((end[k] - self.start[k]) * 1000 / max(events, 1), 3) for k in end}


async def setup(processes: int, events: int, ideas: int, seed: int) -> dict[str, Any]:
    shared = rig.SharedDatabase()
    await shared.create()
    try:
        async with World(f"{processes} process(es)", seed, rig.Settings()) as world:
            assert world.http is not None
            bots = [world.bot(f"bot{n + 1}", shared.url) for n in range(processes)]
            for bot in bots:
                await bot.start(world.http)
                await bot.wait_scheduler()
            for letter in ("A", "B"):  # two challenges: two vote logs to append to
                await world.challenge(bots[0], letter, ideas)
            turn = itertools.cycle(bots)
            traffic = world.start_traffic(lambda _: [next(turn)], lambda _: next(turn))
            cpu = CpuShares([b.process.pid for b in bots if b.process is not None])
            began = time.monotonic()
            await traffic.generate(rate=1e9, count=events)  # as fast as they are taken
            await traffic.settle(timeout=300.0)
            elapsed = max(traffic.stats.last_ack_at - began, 1e-9)
            shares = cpu.per_1000(traffic.stats.acknowledged)
            result = await world.finish(shared.url, posts_timeout=60.0)
            result["processes"] = processes
            result["events_per_s"] = round(traffic.stats.acknowledged / elapsed, 1)
            result["elapsed_s"] = round(elapsed, 2)
            result["cpu_s_per_1000_events"] = shares
            # If every core were busy with this work alone: the rate the machine allows.
            result["cpu_bound_events_per_s"] = round(CORES * 1000 / sum(shares.values()), 1)
            return result
    finally:
        await shared.drop()


def show(r: dict[str, Any]) -> None:
    print(f"\n== {r['processes']} process(es)")
    print(
        f"  {r['events_acknowledged']:,} of {r['events_generated']:,} events acknowledged in "
        f"{r['elapsed_s']} s: {r['events_per_s']:,.0f} events/s; ack p50 {r['ack_p50_ms']} ms, "
        f"p99 {r['ack_p99_ms']} ms"
    )
    print(
        f"  votes: truth {r['votes_truth']:,}, stored {r['votes_stored']:,}; lost {r['lost']}, "
        f"doubled {r['doubled']} (vote_count off by {r['vote_count_mismatch']})"
    )
    cpu = r["cpu_s_per_1000_events"]
    print(
        f"  CPU seconds per 1,000 events: bots {cpu['bots']}, fake Slack and load generator "
        f"{cpu['fake_and_load']}, PostgreSQL {cpu['postgres']}; all {CORES} cores busy with "
        f"this alone would take {r['cpu_bound_events_per_s']:,.0f} events/s"
    )
    print(
        f"  posts: due {r['posts_due']}, made {r['posts_made']}; missing {r['posts_missing']}, "
        f"doubled {r['posts_doubled']}; tracebacks {r['tracebacks']}, ERROR lines "
        f"{r['error_lines']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 events per setup")
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--ideas", type=int, default=25, help="ideas per challenge (25)")
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args()
    events = 1000 if options.quick else options.events
    print(f"load average before: {os.getloadavg()[0]:.2f}; {events:,} events per setup")
    runs = [asyncio.run(setup(n, events, options.ideas, options.seed)) for n in (1, 2)]
    for r in runs:
        r.pop("_evidence", None)
        show(r)
    ratio = runs[1]["events_per_s"] / max(runs[0]["events_per_s"], 1e-9)
    checks = {
        k: sum(int(r[k]) for r in runs)
        for k in ("lost", "doubled", "posts_missing", "posts_doubled")
    }
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\nratio, 2 processes ÷ 1: {ratio:.2f} (target ≥ {TARGET_RATIO}: {verdict})")
    ceiling = runs[1]["cpu_bound_events_per_s"] / max(runs[0]["events_per_s"], 1e-9)
    print(
        f"the CPU of this machine allows at most {ceiling:.2f}× with 2 processes: the 1-process "
        f"rate against what {CORES} busy cores give at the 2-process CPU cost per event"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    figures = {
        "benchmark": "scale",
        "events_per_s_1": runs[0]["events_per_s"],
        "events_per_s_2": runs[1]["events_per_s"],
        "ratio": round(ratio, 3),
        "cpu_ceiling_ratio": round(ceiling, 3),
        **checks,
        "setups": runs,
    }
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
