"""Benchmark: slash commands through the real discord.py against the fake Discord.

What is measured
    Cocreate runs as a user runs it, `python -m cocreate.cli run` in its own process, with
    its token and its two URLs pointed at the fake Discord of `tests/discord/fake.py`,
    which runs in this process (aiohttp on 127.0.0.1) and plays the guild: it sends each
    slash command as an INTERACTION_CREATE over the gateway and times the bot's answers
    on its REST endpoints.

    - Burst: 1,000 commands sent at once. Throughput is commands fully answered per
      second (first send to last answer). The ack latency of a command is the time from
      its INTERACTION_CREATE to its interaction callback: Cocreate's reply itself when
      the core has it within `answer_within_s` (1.5 s), else a deferral ("thinking…");
      the answer latency runs to the response or edit that carries the core's reply.
      The bot process's CPU time for the burst, a command (`bot_cpu_ms_per_command`),
      moves less with the machine's drift than the rates do. `deferred` counts the
      commands whose first response was a deferral: each costs the bot a second call,
      so once a burst takes longer than 1.5 s the ratio falls by more than the time
      alone would say. A command still not
      answered 120 s after the last was sent (its acknowledgement given up on: on a
      loaded machine the fake can be too slow for the adapter's short attempts) is
      counted as `unanswered` and left out of the rates and latencies.
    - Paced: 1,000 commands at 200 per second; ack p50 and p99.
    - Baseline: the same, against a bare discord.py bot (a plain `discord.Client`, no
      command tree) that answers every interaction with a constant message. Its ack is
      its answer. The ratio is Cocreate's burst throughput over the bare bot's.

    The command mix is what members do during a running challenge: 80 % reads
    (`/results`, `/idea show`, `/ideas`, `/challenge info`, `/leaderboard`,
    `/cocreate help`), 20 % `/idea submit` with the text in the options (each posts an
    idea, which the bot reacts to). Commands come from 1,000 members, each new to the
    database at first. Cocreate's database is a fresh SQLite file; it logs at INFO.

    Setup (not timed): a moderator creates and opens a challenge; 1,000 ideas are
    submitted (`--ideas`), so the reads and the duplicate hint work over a full challenge;
    50 warm-up commands.

    Targets are printed next to the figures, never asserted: Cocreate's burst answers ≥
    0.3 of the bare bot's (`answers_ratio`), the adapter alone ≥ 0.6; ack p99 ≤ 50 ms at
    200 commands/s (`ack_p99_ms`).

How to run (from the repository root)
    .venv/bin/python bench/discord_commands.py
    .venv/bin/python bench/discord_commands.py --commands 200 --rate 100   # a smoke run
    .venv/bin/python bench/discord_commands.py --database postgresql://postgres@127.0.0.1:5432/test
        # Cocreate on a scratch database of that PostgreSQL server (SQLite by default)

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
from tests.discord.fake import FakeDiscord, Guild, InteractionRecord, Person

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.3
TARGET_ADAPTER_RATIO = 0.6
IDEAS = 1000
#: seed submissions in flight at once during the setup
SETUP_BATCH = 20
TARGET_ACK_P99_MS = 50.0
SETTLE_S = 120.0
#: BENCH_PROFILE=cocreate|adapter|bare: cProfile that bot into /tmp/<name>.prof
PROFILED = os.environ.get("BENCH_PROFILE", "")
#: What Cocreate logs once it has read back the votes cast before its session began.
CAUGHT_UP = "discord votes read back after READY"


@dataclass
class Scene:
    fake: FakeDiscord
    guild: Guild
    channel: int
    moderator: Person
    members: list[Person]
    ideas: int = 0


def make_scene(fake: FakeDiscord, members: int) -> Scene:
    guild = fake.add_guild("Bench", channels=("ideas",))
    return Scene(
        fake=fake,
        guild=guild,
        channel=fake.channel(guild, "ideas"),
        moderator=fake.add_person(guild, "Moderator", moderator=True),
        members=[fake.add_person(guild, f"Member {n}") for n in range(members)],
    )


# -- the bots -----------------------------------------------------------------------------


def bot_environment(
    fake: FakeDiscord, scene: Scene, data_dir: Path, storage_url: str | None = None
) -> dict[str, str]:
    """The bot's environment: its data directory's SQLite file, or `storage_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCREATE_")}
    if storage_url is not None:
        env["COCREATE_STORAGE__URL"] = storage_url
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "COCREATE_CORE__DATA_DIR": str(data_dir),
            "COCREATE_CORE__LOG_LEVEL": "INFO",
            "COCREATE_DISCORD__ENABLED": "true",
            "COCREATE_DISCORD__TOKEN": "bench-token",
            "COCREATE_DISCORD__API_BASE_URL": fake.base_url,
            "COCREATE_DISCORD__GATEWAY_URL": fake.gateway_url,
            "COCREATE_DISCORD__GUILD_IDS": f"[{scene.guild.id}]",
        }
    )
    return env


async def launch(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    handle = log.open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=log.parent, env=env, stdout=handle, stderr=handle
        )
    finally:
        handle.close()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def bare_bot() -> None:
    """The baseline: discord.py answering every interaction with a constant."""
    import discord

    from adapters.discord.internals import set_endpoints

    set_endpoints(
        os.environ["COCREATE_DISCORD__API_BASE_URL"], os.environ["COCREATE_DISCORD__GATEWAY_URL"]
    )
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.Client(
        intents=intents,
        chunk_guilds_at_startup=False,
        max_messages=None,
        guild_ready_timeout=0.1,
        allowed_mentions=discord.AllowedMentions.none(),
    )

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    task = asyncio.create_task(client.start(os.environ["COCREATE_DISCORD__TOKEN"]))
    await stopping.wait()
    await client.close()
    await asyncio.gather(task, return_exceptions=True)


class StubCore:
    """Answers every command at once with a constant card: what the Discord adapter
    costs on its own (defer, Invocation, embed, edit), without the core's database work."""

    def __init__(self, settings: Any) -> None:
        from bot.clock import SystemClock
        from bot.metrics import Metrics

        self.settings = settings
        self.clock = SystemClock()
        self.metrics = Metrics()

    def add_publisher(self, platform: str, publisher: Any) -> None:
        pass

    def add_reconciler(self, platform: str, reconciler: Any) -> None:
        pass

    async def handle_command(self, invocation: Any) -> Any:
        from bot.messages import Card, Reply

        return Reply(Card("ok", "/" + " ".join(invocation.command)))

    async def handle_reaction(self, event: Any, *, patient: bool = False) -> Any:
        from bot.messages import ReactionOutcome

        return ReactionOutcome("no change")

    async def reconcile_targets(self, platform: str, closed_within: Any) -> list[Any]:
        return []

    async def complete_challenges(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    async def complete_ideas(self, *args: Any) -> list[Any]:
        return []

    def task_group(self, name: str, limit: int = 64) -> Any:
        from bot.tasks import Background

        return Background(name, limit)

    def language_of(self, community: Any, member_external_id: Any, locale: Any = None) -> str:
        return "en"

    async def drain(self) -> None:
        pass


async def adapter_bot() -> None:
    """The Discord adapter as `cocreate run` starts it, on the stubbed core."""
    import logging

    from adapters.discord import DiscordPlatform
    from bot.settings import load_settings

    settings = load_settings()
    logging.basicConfig(level=settings.core.log_level)
    platform = DiscordPlatform(StubCore(settings), settings)  # type: ignore[arg-type]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await platform.start()
    await stopping.wait()
    await platform.stop()


# -- driving ------------------------------------------------------------------------------


async def answered(record: InteractionRecord, wait: float = SETTLE_S) -> None:
    await asyncio.wait_for(record.answered.wait(), wait)


async def all_answered(records: list[InteractionRecord], wait: float = SETTLE_S) -> None:
    """Every answer, or as many as come within `wait`: a command whose acknowledgement
    the bot gave up on (its attempts timed out against a fake too busy to answer them, as
    on a loaded machine) is never answered, and `figures_of` counts it as unanswered."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(r.answered.wait() for r in records)), wait)


def command_mix(
    scene: Scene, n: int, rng: random.Random
) -> list[tuple[Person, str, dict[str, Any]]]:
    """`n` commands: 80 % reads, 20 % submissions, from members in turn."""
    out: list[tuple[Person, str, dict[str, Any]]] = []
    reads: list[tuple[str, Any]] = [
        ("results", lambda: {}),
        ("idea show", lambda: {"idea": str(rng.randint(1, max(scene.ideas, 1)))}),
        ("ideas", lambda: {"sort": rng.choice(["top", "new"])}),
        ("challenge info", lambda: {}),
        ("leaderboard", lambda: {}),
        ("cocreate help", lambda: {}),
    ]
    for i in range(n):
        person = scene.members[i % len(scene.members)]
        if rng.random() < 0.2:
            word = rng.choice(["oat", "chai", "mint", "yuzu", "cocoa", "maple", "rose", "fig"])
            options = {
                "title": f"{word.capitalize()} idea {i}",
                "description": f"A {word} flavour, number {i}, for everyone.",
            }
            out.append((person, "idea submit", options))
        else:
            name, make = rng.choice(reads)
            out.append((person, name, make()))
    return out


async def burst(
    scene: Scene, commands: list[tuple[Person, str, dict[str, Any]]]
) -> dict[str, float]:
    fake = scene.fake
    payloads = [fake.command_payload(p, scene.channel, c, o) for p, c, o in commands]
    started = time.perf_counter()
    records = [await fake.send_interaction(payload) for payload in payloads]
    await all_answered(records)
    return figures_of(records, started)


async def paced(
    scene: Scene, commands: list[tuple[Person, str, dict[str, Any]]], rate: float
) -> dict[str, float]:
    fake = scene.fake
    payloads = [fake.command_payload(p, scene.channel, c, o) for p, c, o in commands]
    loop = asyncio.get_running_loop()
    start = loop.time()
    started = time.perf_counter()
    records = []
    for n, payload in enumerate(payloads):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        records.append(await fake.send_interaction(payload))
    await all_answered(records)
    return figures_of(records, started)


def figures_of(records: list[InteractionRecord], started: float) -> dict[str, float]:
    """The answered commands' rates and latencies, and how many were never answered."""
    acked = [(r, at) for r in records if (at := r.callback_at) is not None]
    done = [(r, at) for r in records if (at := r.answered_at) is not None]
    acks = sorted(at - r.sent_at for r, at in acked)
    answers = sorted(at - r.sent_at for r, at in done)
    finished = max(at for _, at in done)
    last_ack = max(at for _, at in acked)
    failed = sum(1 for r, _ in done if not r.messages or "wrong" in r.text())
    return {
        "commands": len(records),
        "unanswered": len(records) - len(done),
        "seconds": round(finished - started, 3),
        "per_s": round(len(done) / (finished - started), 1),
        "acks_per_s": round(len(acked) / (last_ack - started), 1),
        "ack_p50_ms": round(percentile(acks, 50) * 1000, 2),
        "ack_p99_ms": round(percentile(acks, 99) * 1000, 2),
        "answer_p50_ms": round(percentile(answers, 50) * 1000, 2),
        "answer_p99_ms": round(percentile(answers, 99) * 1000, 2),
        "internal_errors": failed,
        "deferred": sum(1 for r, _ in acked if r.callback_type == 5),
    }


async def wait_connected(fake: FakeDiscord, scene: Scene, process: Any, commands: bool) -> None:
    def ready() -> bool:
        if process.returncode is not None:
            raise SystemExit(f"the bot exited with {process.returncode}")
        synced = not commands or str(scene.guild.id) in fake.commands
        return bool(fake.connected()) and synced

    await fake.wait_until(ready, 60)
    # READY is sent; give the bot its guild_ready_timeout to dispatch it, measured by a
    # first command that is answered.
    probe = await fake.command(scene.moderator, scene.channel, "cocreate help")
    await answered(probe, 30)


async def wait_caught_up(log: Path) -> None:
    """Wait for the bot's catch-up after READY, which runs once the guild wait is over.
    Started before the challenge exists, it would otherwise read back the idea posts that
    the setup makes meanwhile, at the rate limit, during the measured runs (by timing: the
    bare bot has no such work)."""
    deadline = time.monotonic() + 60
    while CAUGHT_UP not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the bot did not log {CAUGHT_UP!r} within 60 s")
        await asyncio.sleep(0.05)


async def setup_challenge(scene: Scene, ideas: int) -> None:
    fake = scene.fake
    for command, options in (
        ("challenge create", {"title": "Flavours", "brief": "Which flavour next?"}),
        ("challenge open", {"challenge": "flavours"}),
    ):
        record = await fake.command(scene.moderator, scene.channel, command, options)
        await answered(record, 30)
        if "wrong" in record.text() or not record.messages:
            raise SystemExit(f"setup failed: {command}: {record.text()}")
    for start in range(0, ideas, SETUP_BATCH):
        records = [
            await fake.command(
                scene.members[-1 - n % len(scene.members)],
                scene.channel,
                "idea submit",
                {"title": f"Seed idea {n}", "description": f"Seed idea number {n}."},
            )
            for n in range(start, min(start + SETUP_BATCH, ideas))
        ]
        await asyncio.gather(*(answered(r, 60) for r in records))
        for record in records:
            if "wrong" in record.text() or "💡" not in record.text():
                raise SystemExit(f"setup failed: idea submit: {record.text()}")
    scene.ideas = ideas


@dataclass
class Contender:
    label: str
    key: str
    args: list[str]
    syncs_commands: bool
    needs_challenge: bool


def contenders() -> list[Contender]:
    script = str(Path(__file__).resolve())
    return [
        Contender("cocreate", "cocreate", ["-m", "cocreate.cli", "run"], True, True),
        Contender("adapter only (core stubbed)", "adapter", [script, "--adapter-bot"], True, False),
        Contender("bare discord.py", "bare", [script, "--bare-bot"], False, False),
    ]


async def measure(
    scene: Scene,
    contender: Contender,
    options: argparse.Namespace,
    work: Path,
    rng: random.Random,
    storage_url: str | None,
) -> tuple[dict[str, float], dict[str, float]]:
    env = bot_environment(scene.fake, scene, work / contender.key, storage_url)
    args = contender.args
    if contender.key == PROFILED:
        args = ["-m", "cProfile", "-o", f"/tmp/{contender.key}.prof", *args]
    process = await launch(args, env, work / f"{contender.key}.log")
    try:
        await wait_connected(scene.fake, scene, process, commands=contender.syncs_commands)
        if contender.needs_challenge:
            await wait_caught_up(work / f"{contender.key}.log")
            await setup_challenge(scene, options.ideas)
        await burst(scene, command_mix(scene, 50, rng))
        # The fake's records out of the collector's sight: a full collection of this
        # process (100-500 ms) would stall the fake in the middle of the run.
        settle_heap()
        before = cpu_seconds(process.pid)
        fast = await burst(scene, command_mix(scene, options.commands, rng))
        after = cpu_seconds(process.pid)
        if before is not None and after is not None:
            fast["bot_cpu_ms_per_command"] = round((after - before) * 1000 / options.commands, 3)
        steady = await paced(scene, command_mix(scene, options.commands, rng), options.rate)
    finally:
        await stop(process)
    return fast, steady


async def run(options: argparse.Namespace, work: Path) -> dict[str, Any]:
    rng = random.Random(7)
    fake = await FakeDiscord().start()
    fake.record_requests = False
    scene = make_scene(fake, options.members)
    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    database = options.database
    try:
        async with scratch_database(database, "discord") as scratch:
            for contender in contenders():
                if contender.key not in options.only.split(","):
                    continue
                # Only Cocreate has a database: the other two stub the core or have none.
                url = scratch.url if scratch is not None and contender.needs_challenge else None
                results[contender.key] = await measure(scene, contender, options, work, rng, url)
    finally:
        await fake.stop()
    if options.keep:
        print(f"logs in {work}")
    for contender in contenders():
        if contender.key not in results:
            continue
        fast, steady = results[contender.key]
        for label, values in (
            (f"{contender.label}, burst", fast),
            (f"  at {options.rate:g}/s", steady),
        ):
            print(
                f"  {label:<38} {values['per_s']:>8,.1f}/s  "
                f"ack p50 {values['ack_p50_ms']:>7.2f} p99 {values['ack_p99_ms']:>7.2f} ms  "
                f"answer p50 {values['answer_p50_ms']:>8.2f} p99 {values['answer_p99_ms']:>8.2f} ms"
            )
            if values["deferred"]:
                print(f"    {values['deferred']:,} of {values['commands']:,} deferred first")
            if values["unanswered"]:
                print(f"    {values['unanswered']:,} of {values['commands']:,} never answered")
    cpu = [(k, fast.get("bot_cpu_ms_per_command")) for k, (fast, _) in results.items()]
    print(
        "  the bot's CPU a command in the burst: "
        + ", ".join(f"{key} {ms:.3f} ms" for key, ms in cpu if ms is not None)
    )
    if len(results) < len(contenders()):
        return {"benchmark": "discord_commands", "partial": results}
    ours, ours_paced = results["cocreate"]
    adapter, adapter_paced = results["adapter"]
    base, base_paced = results["bare"]
    ratio = ours["per_s"] / base["per_s"]
    adapter_ratio = adapter["per_s"] / base["per_s"]
    print()
    print(target("burst throughput vs bare", ratio, TARGET_RATIO, "x", at_least=True))
    print(
        target("  adapter alone vs bare", adapter_ratio, TARGET_ADAPTER_RATIO, "x", at_least=True)
    )
    print(
        target(f"ack p99 at {options.rate:g}/s", ours_paced["ack_p99_ms"], TARGET_ACK_P99_MS, "ms")
    )
    return {
        "benchmark": "discord_commands",
        "backend": "postgresql" if database else "sqlite",
        "commands": options.commands,
        "ideas": options.ideas,
        "paced_rate_per_s": options.rate,
        "answers_ratio": round(ratio, 3),
        "ack_p99_ms": ours_paced["ack_p99_ms"],
        "cocreate_burst": ours,
        "cocreate_paced": ours_paced,
        "adapter_only_burst": adapter,
        "adapter_only_paced": adapter_paced,
        "bare_burst": base,
        "bare_paced": base_paced,
        "throughput_ratio": round(ratio, 3),
        "adapter_only_ratio": round(adapter_ratio, 3),
        "cocreate_commands_per_s": ours["per_s"],
        "bare_commands_per_s": base["per_s"],
        "cocreate_ack_p50_ms": ours["ack_p50_ms"],
        "cocreate_ack_p99_ms": ours["ack_p99_ms"],
        "cocreate_paced_ack_p99_ms": ours_paced["ack_p99_ms"],
        "internal_errors": ours["internal_errors"] + ours_paced["internal_errors"],
        "unanswered": ours["unanswered"] + ours_paced["unanswered"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=1000, help="commands per run (1000)")
    parser.add_argument("--rate", type=float, default=200.0, help="paced rate per second (200)")
    parser.add_argument("--members", type=int, default=1000, help="members sending them (1000)")
    parser.add_argument(
        "--ideas", type=int, default=IDEAS, help=f"ideas in the challenge beforehand ({IDEAS})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument(
        "--only", default="cocreate,adapter,bare", help="which bots to measure (all three)"
    )
    add_database_option(parser, "Cocreate's database on ")
    parser.add_argument("--bare-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--adapter-bot", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_bot:
        asyncio.run(bare_bot())
        return
    if options.adapter_bot:
        asyncio.run(adapter_bot())
        return
    work = Workdir()
    try:
        figures = asyncio.run(run(options, work.path))
    finally:
        if not options.keep:
            work.close()
    emit(figures)


if __name__ == "__main__":
    main()
