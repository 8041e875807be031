"""Benchmark: signed slash commands through the real bolt app of the Slack adapter.

What is measured
    1,000 signed slash commands (HMAC-SHA256 over ``v0:{ts}:{body}``, form-encoded exactly
    as Slack sends them) are POSTed to ``/slack/events`` with ``--concurrency`` requests in
    flight (default 16). Each request's latency is the time until its HTTP response, the
    ack, arrives. Reported: acks per second over the run, p50/p99/max ack latency, and,
    for the adapter, the time until every command has its answer: in its ack when the
    core had it within 1.5 s (counted as `answered_in_ack`), else at its response_url
    (the core's transaction, posts, reactions).

    Two servers, each in a process of its own, take the same 1,000 requests:

    * ``adapter``: ``SlackPlatform`` (bolt ``AsyncApp`` under our aiohttp runner) on the
      real core (``cocreate.bootstrap.build``, a fresh SQLite file), in HTTP mode;
    * ``bare``: a bolt ``AsyncApp`` with the same settings whose listener acks with a
      constant and does nothing else, under the same aiohttp runner.

    The ratio ``adapter acks/s ÷ bare acks/s`` is printed without a target: an answer
    ready within 1.5 s is the ack itself, so the adapter's acks wait for the core. Each
    server's CPU time for the burst, a command (``bot_cpu_ms_per_command``), moves less
    with the machine's drift than the rates do. A fake Slack Web API
    (tests/slack/fake_slack.py) on 127.0.0.1 answers both servers' calls (auth.test,
    users.info, chat.postMessage, reactions.add, response_urls) from a third process; the
    load generator is this one.

    The commands: 1,000 members of one workspace in a running challenge with 1,000 ideas
    (``--ideas``; set up first by seed members, not timed), then the mix of every command
    benchmark, 80 % reads and 20 % submissions: ``/cocreate results`` (25 %),
    ``/idea show #n`` (20 %), ``/challenge list`` (20 %), ``/cocreate leaderboard``
    (15 %) and ``/idea submit`` (20 %, each posts an idea with the bot's 👍; a member
    submits at most three ideas over the runs, the challenge's limit). Fifty warm-up
    commands precede each measured run.

    Then the same mix paced at ``--rate`` commands per second (200), each request sent
    on time whatever the others do: the ack p50/p99 of each server at that rate.

    Targets are printed next to the figures, never asserted: the adapter's answers per
    second (every answer delivered, end to end) at least 0.3 of the bare app's acks per
    second (``answers_ratio``); its ack p99 at the paced rate ≤ 50 ms (``ack_p99_ms``).

How to run (from the repository root)
    .venv/bin/python bench/slack_commands.py
    .venv/bin/python bench/slack_commands.py --commands 200 --concurrency 4   # smoke run
    .venv/bin/python bench/slack_commands.py --database postgresql://postgres@127.0.0.1:5432/test
        # Cocreate on a scratch database of that PostgreSQL server (SQLite by default)

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from adapters.slack.config import Tuning
from bench._support import (
    Workdir,
    add_database_option,
    cpu_seconds,
    emit,
    percentile,
    scratch_database,
    target,
)
from cocreate.startup import settle_heap
from tests.slack import payloads
from tests.slack.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
CHANNEL = "C_BENCH"
MEMBERS = 1000
IDEAS = 1000
RATE = 200.0
#: a member's ideas in the challenge (`limits.ideas_per_member`'s default)
IDEAS_PER_MEMBER = 3
#: seed members, one idea each
IDEAS_MAX = 2000
SETUP_BATCH = 20
WARMUP = 50
FORM = "application/x-www-form-urlencoded"


# -- the servers (each runs in a child process) -------------------------------------------


def _settings(workdir: Path, api_url: str, storage_url: str | None) -> Any:
    from bot.settings import load_settings

    config = workdir / "bench.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(
        config_path=config,
        environ={
            "COCREATE_STORAGE__URL": storage_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "COCREATE_SLACK__ENABLED": "true",
            "COCREATE_SLACK__BOT_TOKEN": TOKEN,
            "COCREATE_SLACK__SIGNING_SECRET": SECRET,
            "COCREATE_SLACK__API_BASE_URL": api_url,
            "COCREATE_SLACK__PORT": "0",
            "COCREATE_SLACK__ADMINS": '["U_MOD"]',
        },
    )


async def _serve(
    kind: str, workdir: Path, api_url: str, work_limit: int, storage_url: str | None
) -> None:
    """Start a server, print its port, and run until stdin closes."""
    from adapters.slack.api import SlackApi
    from adapters.slack.config import Tuning, slack_config
    from adapters.slack.platform import SlackPlatform
    from adapters.slack.runner import HttpRunner
    from cocreate.bootstrap import build

    settings = _settings(workdir, api_url, storage_url)
    stop: list[Any] = []
    if kind == "adapter":
        core = await build(settings)
        await core.start()
        tuning = Tuning(reconcile_on_start=False, max_concurrent_work=work_limit)
        platform = SlackPlatform(core, settings, tuning)
        await platform.start()
        settle_heap()  # as `cocreate run` does once everything has started
        port = platform.port
        stop = [platform.stop, core.stop]
    else:
        from slack_bolt.async_app import AsyncApp

        tuning = Tuning()
        api = SlackApi(slack_config(settings).api_base_url, tuning)
        bare = AsyncApp(
            signing_secret=SECRET, client=api.client(TOKEN), process_before_response=True
        )

        async def constant(ack: Any) -> None:
            await ack("ok")

        for group in ("idea", "challenge", "mod", "cocreate"):
            bare.command(f"/{group}")(constant)
        runner = HttpRunner(bare, "127.0.0.1", 0)
        await runner.start()
        port = runner.port
        stop = [runner.stop, api.close]
    print(f"PORT {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for step in stop:
        await step()


async def _fake() -> None:
    """The fake Slack Web API, in a process of its own."""
    fake = FakeSlack()
    await fake.start()
    fake.add_team("T1", TOKEN)
    fake.add_user("U_MOD", "Moderator", admin=True)
    for n in range(MEMBERS):
        fake.add_user(f"U{n:04d}", f"Member {n}")
    for n in range(IDEAS_MAX):
        fake.add_user(f"S{n:04d}", f"Seed member {n}")
    settle_heap()  # the fake's users, out of the collector's sight
    print(f"PORT {fake.port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fake.stop()


# -- the load (this process) ---------------------------------------------------------------


@dataclass
class Child:
    process: asyncio.subprocess.Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 60)


async def start_child(*args: str) -> Child:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert process.stdout is not None
    while line := (await asyncio.wait_for(process.stdout.readline(), 60)).decode():
        if line.startswith("PORT "):
            return Child(process, int(line.split()[1]))
    raise SystemExit(f"{' '.join(args)} did not start")


def command_body(line: str, user: str, key: str, fake: Child) -> str:
    group, _, text = line.partition(" ")
    fields = payloads.slash_command(
        group, text, user=user, channel=CHANNEL, response_url=f"{fake.url}/respond/{key}"
    )
    return payloads.form_body(fields)


def workload(
    count: int, fake: Child, tag: str, seed: int, submitted: dict[str, int], ideas: int = IDEAS
) -> list[tuple[str, str]]:
    """(key, body) of `count` commands from the members, in a fixed random order;
    `submitted`: each member's submissions so far, kept within the challenge's limit."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        user = f"U{rng.randrange(MEMBERS):04d}"
        roll = rng.random()
        if roll < 0.25:
            line = "/cocreate results"
        elif roll < 0.45:
            line = f"/idea show #{rng.randrange(1, ideas + 1)}"
        elif roll < 0.65:
            line = "/challenge list"
        elif roll < 0.80:
            line = "/cocreate leaderboard"
        elif submitted.get(user, 0) < IDEAS_PER_MEMBER:
            submitted[user] = submitted.get(user, 0) + 1
            line = f'/idea submit title:"Idea {tag} {n}" description:"From {user}, run {tag}."'
        else:
            line = "/cocreate results"
        key = f"{tag}-{n}-"
        out.append((key, command_body(line, user, key, fake)))
    return out


async def send_all(
    http: aiohttp.ClientSession, port: int, bodies: list[tuple[str, str]], concurrency: int
) -> tuple[list[float], float, int]:
    """POST every body, signed just before the run; latencies (s), the run's length, and
    how many acks carried their command's answer."""
    url = f"http://127.0.0.1:{port}/slack/events"
    now = int(time.time())
    signed = [(body, payloads.sign(SECRET, body, now)) for _, body in bodies]
    queue = iter(signed)
    latencies: list[float] = []
    in_ack: list[bool] = []

    async def worker() -> None:
        for body, headers in queue:
            started = time.perf_counter()
            in_ack.append(await post(http, url, body, headers))
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began, sum(in_ack)


async def post(http: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str]) -> bool:
    """One signed request; whether its ack carried the command's answer."""
    async with http.post(
        url, data=body.encode(), headers={"Content-Type": FORM, **headers}
    ) as response:
        answer = await response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}")
    return bool(answer.strip())


async def answered(http: aiohttp.ClientSession, fake: Child, prefix: str, count: int) -> None:
    """Until the fake has received `count` response_url answers under `prefix` (the
    commands not answered in their ack)."""
    if count <= 0:
        return
    params = {"prefix": prefix, "count": str(count), "timeout": "300"}
    async with http.get(f"{fake.url}/_answered", params=params) as response:
        if response.status != 200:
            raise SystemExit(f"answers missing under {prefix}: HTTP {response.status}")


async def setup(http: aiohttp.ClientSession, server: Child, fake: Child, ideas: int) -> None:
    """The challenge and its ideas, through the adapter like everything else (not timed):
    each idea by a seed member of its own, a few at a time."""
    lines = [
        ("U_MOD", '/challenge create title:"Bench" brief:"What should we build?"'),
        ("U_MOD", "/challenge open bench"),
    ]
    for n, (user, line) in enumerate(lines):
        key = f"setup-{n}-"
        *_, in_ack = await send_all(
            http, server.port, [(key, command_body(line, user, key, fake))], 1
        )
        await answered(http, fake, key, 1 - in_ack)
    for start in range(0, ideas, SETUP_BATCH):
        numbers = range(start, min(start + SETUP_BATCH, ideas))
        key = f"seed{start}-"
        bodies = [
            (
                f"{key}{n}-",
                command_body(
                    f'/idea submit title:"Seed {n}" description:"Seed idea {n}."',
                    f"S{n:04d}",
                    f"{key}{n}-",
                    fake,
                ),
            )
            for n in numbers
        ]
        *_, in_ack = await send_all(http, server.port, bodies, 4)
        await answered(http, fake, key, len(numbers) - in_ack)


async def send_paced(
    http: aiohttp.ClientSession, port: int, bodies: list[tuple[str, str]], rate: float
) -> tuple[list[float], int]:
    """POST every body at `rate` per second, each on time whatever the others do;
    the ack latencies (s), and how many acks carried their command's answer."""
    url = f"http://127.0.0.1:{port}/slack/events"
    now = int(time.time())
    signed = [(body, payloads.sign(SECRET, body, now)) for _, body in bodies]
    latencies: list[float] = []
    in_ack: list[bool] = []

    async def one(body: str, headers: dict[str, str]) -> None:
        started = time.perf_counter()
        in_ack.append(await post(http, url, body, headers))
        latencies.append(time.perf_counter() - started)

    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for n, (body, headers) in enumerate(signed):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(body, headers)))
    await asyncio.gather(*tasks)
    return latencies, sum(in_ack)


def figures(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "acks_per_s": round(len(latencies) / seconds, 1),
        "ack_p50_ms": round(percentile(ordered, 50) * 1000, 2),
        "ack_p99_ms": round(percentile(ordered, 99) * 1000, 2),
        "ack_max_ms": round(ordered[-1] * 1000, 2),
    }


async def run(
    count: int,
    concurrency: int,
    work_limit: int,
    ideas: int,
    rate: float,
    database: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "backend": "postgresql" if database else "sqlite",
        "commands": count,
        "concurrency": concurrency,
        "work_limit": work_limit,
        "ideas": ideas,
        "paced_rate_per_s": rate,
    }
    work = Workdir()
    fake = await start_child("--fake")
    try:
        async with (
            scratch_database(database, "slack") as scratch,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        ):
            for kind in ("bare", "adapter"):
                (work.path / kind).mkdir()
                server = await start_child(
                    "--serve",
                    kind,
                    "--workdir",
                    str(work.path / kind),
                    "--api",
                    fake.url + "/api/",
                    "--work-limit",
                    str(work_limit),
                    # The adapter's database; the bare app has none.
                    *(("--storage-url", scratch.url) if scratch and kind == "adapter" else ()),
                )
                try:
                    if kind == "adapter":
                        await setup(http, server, fake, ideas)
                    submitted: dict[str, int] = {}  # across this server's runs
                    warmup = workload(WARMUP, fake, f"w{kind}", 1, submitted, ideas)
                    *_, in_ack = await send_all(http, server.port, warmup, 4)
                    if kind == "adapter":
                        await answered(http, fake, f"w{kind}-", WARMUP - in_ack)
                    bodies = workload(count, fake, f"m{kind}", 2, submitted, ideas)
                    settle_heap()  # the planned load, likewise
                    cpu_before = cpu_seconds(server.process.pid)
                    began = time.perf_counter()
                    latencies, seconds, in_ack = await send_all(
                        http, server.port, bodies, concurrency
                    )
                    results[kind] = figures(latencies, seconds)
                    if kind == "adapter":
                        results[kind]["answered_in_ack"] = in_ack
                        await answered(http, fake, f"m{kind}-", count - in_ack)
                        done = time.perf_counter() - began
                        results[kind]["all_answered_s"] = round(done, 3)
                        results[kind]["answers_per_s"] = round(count / done, 1)
                    cpu_after = cpu_seconds(server.process.pid)
                    if cpu_before is not None and cpu_after is not None:
                        results[kind]["bot_cpu_ms_per_command"] = round(
                            (cpu_after - cpu_before) * 1000 / count, 3
                        )
                    bodies = workload(count, fake, f"p{kind}", 3, submitted, ideas)
                    began = time.perf_counter()
                    paced, in_ack = await send_paced(http, server.port, bodies, rate)
                    paced.sort()
                    results[kind]["paced_ack_p50_ms"] = round(percentile(paced, 50) * 1000, 2)
                    results[kind]["paced_ack_p99_ms"] = round(percentile(paced, 99) * 1000, 2)
                    if kind == "adapter":
                        await answered(http, fake, f"p{kind}-", count - in_ack)
                        done = time.perf_counter() - began
                        results[kind]["paced_all_answered_s"] = round(done, 3)
                finally:
                    await server.close()
    finally:
        await fake.close()
        work.close()
    results["throughput_ratio"] = round(
        results["adapter"]["acks_per_s"] / results["bare"]["acks_per_s"], 3
    )
    results["answers_ratio"] = round(
        results["adapter"]["answers_per_s"] / results["bare"]["acks_per_s"], 3
    )
    results["ack_p99_ms"] = results["adapter"]["paced_ack_p99_ms"]
    return results


def report(results: dict[str, Any]) -> None:
    print(
        f"{results['commands']} signed slash commands, {results['concurrency']} in flight, "
        f"adapter work limit {results['work_limit']}, on {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for kind in ("bare", "adapter"):
        f = results[kind]
        print(f"{kind}:")
        print(f"  acks/s {f['acks_per_s']:>10,.1f}")
        print(f"  ack p50 {f['ack_p50_ms']:>9.2f} ms   p99 {f['ack_p99_ms']:.2f} ms")
        print(
            f"  at {results['paced_rate_per_s']:g}/s: ack p50 {f['paced_ack_p50_ms']:.2f} ms   "
            f"p99 {f['paced_ack_p99_ms']:.2f} ms"
        )
        if "all_answered_s" in f:
            print(
                f"  every answer delivered after {f['all_answered_s']:.2f} s "
                f"({f['answers_per_s']:,.1f} commands/s end to end), "
                f"{f['answered_in_ack']:,} of them in the ack"
            )
        if "bot_cpu_ms_per_command" in f:
            cpu = f["bot_cpu_ms_per_command"]
            print(f"  the server's CPU a command in the burst: {cpu:.3f} ms")
    # Not a target: an answer ready within 1.5 s is the ack itself, so the acks wait for it.
    print(f"  acks ratio (adapter / bare)             {results['throughput_ratio']:>5.2f}")
    print(
        target(
            "answers ratio (adapter / bare acks)", results["answers_ratio"], 0.3, "", at_least=True
        )
    )
    print(
        target(
            f"adapter ack p99 at {results['paced_rate_per_s']:g}/s", results["ack_p99_ms"], 50, "ms"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--ideas", type=int, default=IDEAS, help=f"ideas in the challenge beforehand ({IDEAS})"
    )
    parser.add_argument(
        "--rate", type=float, default=RATE, help=f"paced commands per second ({RATE:g})"
    )
    parser.add_argument(
        "--work-limit",
        type=int,
        default=Tuning().max_concurrent_work,
        help="commands the adapter works on at once after their ack (Tuning.max_concurrent_work)",
    )
    add_database_option(parser, "the adapter's database on ")
    parser.add_argument("--serve", choices=["adapter", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--storage-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.workdir, args.api, args.work_limit, args.storage_url))
        return
    if args.fake:
        asyncio.run(_fake())
        return
    if not 0 < args.ideas <= IDEAS_MAX:
        raise SystemExit(f"--ideas: 1 to {IDEAS_MAX}")
    results = asyncio.run(
        run(args.commands, args.concurrency, args.work_limit, args.ideas, args.rate, args.database)
    )
    report(results)
    emit(results)


if __name__ == "__main__":
    main()
