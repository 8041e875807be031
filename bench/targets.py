"""Every performance target, measured in one go: each benchmark runs in turn, in a process
of its own, and its JSON line is held against its targets.

What it does
    Runs the benchmarks below one after the other (never two at once: they would take
    CPU from each other), keeps each one's whole output in a log directory, reads the
    last JSON line each one prints, and prints one table: every target, the figure
    measured, and whether it is met. A benchmark that fails, or prints no JSON line,
    misses all of its targets. The last line is one JSON object with every verdict and
    every benchmark's figures.

    ==============  ==========================================  ==========================
    run             benchmark                                   targets
    ==============  ==========================================  ==========================
    votes           bench/votes.py, SQLite                      events/s, p99, ÷ baseline
    votes-pg        bench/votes.py --database (PostgreSQL)      events/s, p99, flat, ÷ base
    scale           bench/votes.py --scale, SQLite              at 1M ÷ at 10k
    scale-pg        bench/votes.py --scale --database           at 1M ÷ at 10k
    results         bench/results.py                            top 10, leaderboard, RSS
    results-pg      bench/results.py --database                 top 10, leaderboard, RSS
    startup         bench/startup.py                            first answer
    startup-pg      bench/startup.py --database postgres        first answer
    discord         bench/discord_commands.py                   answers ratio, ack p99
    discord-pg      bench/discord_commands.py --database        answers ratio, ack p99
    slack           bench/slack_commands.py                     answers ratio, ack p99
    slack-pg        bench/slack_commands.py --database          answers ratio, ack p99
    two-processes   bench/scale.py (PostgreSQL)                 2 ÷ 1 process, none lost
    ==============  ==========================================  ==========================

    The PostgreSQL runs use the shared server (127.0.0.1:5432, database ``test``; the
    benchmarks make their own scratch databases there). When it does not answer they
    are skipped, and say so.

    ``--quick`` runs each benchmark at its smoke size (a tenth, or 200 commands) and
    leaves out the two ``--scale`` runs, whose preload of a million votes is most of
    their time: quick figures are not the targets' sizes, so their verdicts only say
    that everything runs.

    The exit status is 0 when every target is met, 1 otherwise. The benchmarks never
    assert their targets, and no test runs this.

How to run (from the repository root)
    .venv/bin/python bench/targets.py                  # everything, full size (about 15 min)
    .venv/bin/python bench/targets.py --quick          # a smoke run (a few minutes)
    .venv/bin/python bench/targets.py --only votes,results --logs /tmp/bench-logs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_PG = "postgresql://postgres@127.0.0.1:5432/test"
#: no benchmark takes this long, even on a slow machine
TIMEOUT_S = 3600

Figures = Mapping[str, Any]


@dataclass(frozen=True)
class Run:
    key: str
    title: str
    script: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] | None = ()  # None: left out of quick runs
    postgres: bool = False


@dataclass(frozen=True)
class Target:
    run: str
    label: str
    value: Callable[[Figures], float]
    limit: float
    at_least: bool
    unit: str = ""

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def wanted(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.limit:,g}{self.unit and ' ' + self.unit}"


@dataclass(frozen=True)
class Verdict:
    target: Target
    value: float | None  # None: the run failed, or its JSON line lacks the figure
    why: str = ""

    @property
    def met(self) -> bool:
        return self.value is not None and self.target.met(self.value)


def key(name: str) -> Callable[[Figures], float]:
    return lambda f: float(f[name])


def ratio(top: str, bottom: str) -> Callable[[Figures], float]:
    return lambda f: float(f[top]) / float(f[bottom])


#: the quick runs' sizes, where a benchmark has no --quick
COMMANDS = ("--commands", "200")
STARTUP_QUICK = ("--posts", "100", "--starts", "1", "--window", "10")


def on_both(run: Run, database: tuple[str, ...] = ("--database", SHARED_PG)) -> tuple[Run, Run]:
    """A benchmark's run on SQLite and its run on PostgreSQL, which adds `database` (how
    that benchmark is pointed at the shared server) to its arguments."""
    quick = None if run.quick_args is None else (*run.quick_args, *database)
    args = (*run.args, *database)
    on_pg = Run(f"{run.key}-pg", f"{run.title}, PostgreSQL", run.script, args, quick, True)
    return replace(run, title=f"{run.title}, SQLite"), on_pg


RUNS: tuple[Run, ...] = (
    *on_both(Run("votes", "votes", "votes.py", (), ("--quick",))),
    *on_both(Run("scale", "votes at scale", "votes.py", ("--scale",), None)),
    *on_both(Run("results", "results", "results.py", (), ("--quick",))),
    *on_both(
        Run("startup", "start-up", "startup.py", (), STARTUP_QUICK), ("--database", "postgres")
    ),
    *on_both(
        Run("discord", "Discord commands", "discord_commands.py", (), (*COMMANDS, "--rate", "100"))
    ),
    *on_both(
        Run("slack", "Slack commands", "slack_commands.py", (), (*COMMANDS, "--concurrency", "4"))
    ),
    Run("two-processes", "two processes", "scale.py", (), ("--quick",), postgres=True),
)

#: events/s over the plain driver's rows/s (SQLite) or events/s (PostgreSQL) in the same run
OF_BASELINE = ratio("events_per_s", "baseline_per_s")
FLAT = ratio("last_tenth_per_s", "first_tenth_per_s")
AT_1M = ratio("events_per_s_at_1m", "events_per_s_at_10k")

# The targets of issue 14 (and of bench/scale.py's two processes), as the benchmarks print them.
_TARGETS: tuple[Target, ...] = (
    Target("votes", "events/s", key("events_per_s"), 12_000, True),
    Target("votes", "p99", key("p99_ms"), 10, False, "ms"),
    Target("votes", "÷ plain executemany rows/s", OF_BASELINE, 0.08, True),
    Target("votes", "peak RSS", key("peak_rss_mb"), 300, False, "MB"),
    Target("votes-pg", "events/s", key("events_per_s"), 5_000, True),
    Target("votes-pg", "p99", key("p99_ms"), 25, False, "ms"),
    Target("votes-pg", "last tenth ÷ first", FLAT, 0.8, True),
    Target("votes-pg", "÷ asyncpg executemany", OF_BASELINE, 0.15, True),
    Target("scale", "at 1M votes ÷ at 10k", AT_1M, 0.7, True),
    Target("results", "top 10 over 1M votes", key("top10_ms"), 20, False, "ms"),
    Target("results", "season leaderboard", key("leaderboard_ms"), 100, False, "ms"),
    Target("results", "peak RSS", key("peak_rss_mb"), 200, False, "MB"),
    Target("startup", "first answer", key("first_answer_s"), 2, False, "s"),
    Target("discord", "answers ÷ bare bot's", key("answers_ratio"), 0.3, True),
    Target("discord", "ack p99 at 200/s", key("ack_p99_ms"), 50, False, "ms"),
    Target("slack", "answers ÷ bare app's acks", key("answers_ratio"), 0.3, True),
    Target("slack", "ack p99 at 200/s", key("ack_p99_ms"), 50, False, "ms"),
    Target("two-processes", "2 processes ÷ 1", key("ratio"), 1.5, True),
    Target("two-processes", "votes lost", key("lost"), 0, False),
    Target("two-processes", "votes doubled", key("doubled"), 0, False),
    Target("two-processes", "posts missing", key("posts_missing"), 0, False),
    Target("two-processes", "posts doubled", key("posts_doubled"), 0, False),
)
#: the runs whose targets are the same on PostgreSQL (the votes have their own there)
SAME_ON_POSTGRES = ("scale", "results", "startup", "discord", "slack")
TARGETS: tuple[Target, ...] = _TARGETS + tuple(
    replace(t, run=f"{t.run}-pg") for t in _TARGETS if t.run in SAME_ON_POSTGRES
)


def json_line(output: str) -> dict[str, Any] | None:
    """The last line of `output` that is a JSON object (what every benchmark ends with)."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def verdicts(run: str, figures: Figures | None, failure: str = "") -> list[Verdict]:
    """Each target of `run` held against its figures (None: the run failed, `failure` says
    how)."""
    out = []
    for target in (t for t in TARGETS if t.run == run):
        if figures is None:
            out.append(Verdict(target, None, failure or "no figures"))
            continue
        try:
            out.append(Verdict(target, target.value(figures)))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as err:
            out.append(Verdict(target, None, f"no figure ({type(err).__name__}: {err})"))
    return out


def table(results: Sequence[tuple[Run, list[Verdict]]]) -> str:
    lines = [f"  {'run':<28} {'figure':<28} {'measured':>12}  {'target':<14} verdict"]
    for run, found in results:
        for v in found:
            measured = "—" if v.value is None else f"{v.value:,.3g}"
            if v.value is not None and abs(v.value) >= 1000:
                measured = f"{v.value:,.0f}"
            verdict = ("meets" if v.met else "MISSES") + (f" ({v.why})" if v.why else "")
            lines.append(
                f"  {run.title:<28} {v.target.label:<28} {measured:>12}  "
                f"{v.target.wanted():<14} {verdict}"
            )
    return "\n".join(lines)


def postgres_answers() -> str | None:
    """None when the shared PostgreSQL answers, else why not."""
    try:
        import asyncpg  # type: ignore[import-untyped]

        async def probe() -> None:
            conn = await asyncpg.connect(SHARED_PG, timeout=3)
            await conn.close()

        asyncio.run(probe())
    except Exception as err:  # any failure to connect means: skip the PostgreSQL runs
        return f"no PostgreSQL at {SHARED_PG}: {type(err).__name__}: {err}"
    return None


def measure(run: Run, quick: bool, logs: Path) -> tuple[dict[str, Any] | None, str]:
    """Run one benchmark; its figures, or None and why."""
    args = run.quick_args if quick else run.args
    assert args is not None
    command = [sys.executable, str(ROOT / "bench" / run.script), *args]
    log = logs / f"{run.key}.log"
    began = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return None, f"no answer within {TIMEOUT_S} s"
    took = time.monotonic() - began
    figures = json_line(log.read_text(encoding="utf-8", errors="replace"))
    print(f"  {run.title}: {took:,.0f} s, exit {done.returncode}, output in {log}", flush=True)
    if done.returncode != 0:
        return None, f"exit status {done.returncode}, see {log}"
    if figures is None:
        return None, f"no JSON line, see {log}"
    return figures, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke sizes; no --scale runs")
    parser.add_argument("--only", help="comma-separated runs: " + ", ".join(r.key for r in RUNS))
    parser.add_argument("--logs", type=Path, help="where each benchmark's output goes")
    options = parser.parse_args()
    chosen = [r for r in RUNS if not options.quick or r.quick_args is not None]
    if options.only:
        wanted = {k.strip() for k in options.only.split(",") if k.strip()}
        unknown = wanted - {r.key for r in RUNS}
        if unknown:
            raise SystemExit(f"unknown runs: {', '.join(sorted(unknown))}")
        chosen = [r for r in chosen if r.key in wanted]
    logs = options.logs or Path(tempfile.mkdtemp(prefix="cocreate-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    no_postgres = postgres_answers() if any(r.postgres for r in chosen) else None
    print(f"{len(chosen)} benchmarks on {os.cpu_count()} CPUs, one at a time; logs in {logs}")
    results: list[tuple[Run, list[Verdict]]] = []
    figures_of: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for run in chosen:
        if run.postgres and no_postgres:
            skipped[run.key] = no_postgres
            print(f"  {run.title}: skipped, {no_postgres}")
            continue
        figures, failure = measure(run, options.quick, logs)
        figures_of[run.key] = figures
        results.append((run, verdicts(run.key, figures, failure)))
    print()
    print(table(results))
    found = [v for _, vs in results for v in vs]
    missed = [v for v in found if not v.met]
    print(f"\n  {len(found) - len(missed)} of {len(found)} targets met", end="")
    print(f"; skipped: {', '.join(skipped)}" if skipped else "")
    if options.quick:
        print("  (quick: smoke sizes, not the targets' sizes)")
    summary = {
        "benchmark": "targets",
        "quick": options.quick,
        "met": len(found) - len(missed),
        "missed": len(missed),
        "skipped": skipped,
        "verdicts": [
            {
                "run": run.key,
                "figure": v.target.label,
                "value": v.value,
                "target": v.target.wanted(),
                "met": v.met,
                **({"why": v.why} if v.why else {}),
            }
            for run, vs in results
            for v in vs
        ],
        "figures": figures_of,
        "logs": str(logs),
    }
    print(json.dumps(summary, default=str))
    sys.exit(0 if not missed else 1)


if __name__ == "__main__":
    main()
