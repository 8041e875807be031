"""Chaos benchmark: `cocreate run` as a subprocess against a loopback fake Slack, under
crashes, database outages, two processes on one database and a Slack outage.

What is run
    A fake Slack Web API (tests/slack/fake_slack.py, with time-window faults added in
    bench/chaos_rig.py) runs in this process on 127.0.0.1. `cocreate run` runs as a child
    process in Slack HTTP mode, pointed at the fake, with these settings besides the
    database URL, ports and secrets: log level INFO, moderator channel C_MODS,
    scheduler.retry_base_seconds=1, scheduler.retry_max_seconds=5 and
    scheduler.heartbeat_seconds=5 (shorter than the defaults 2 / 300 / 60 so that
    retries and catch-ups happen within the run).

    Each scenario sets up, with signed slash commands sent exactly as Slack sends them,
    challenge A (venues C_A1 and C_A2) and challenge B (venue C_B) with ideas from 40
    members, then members react and un-react on the idea posts (88 % 👍, 6 % 👍 with a
    skin tone, 6 % ❤️ which does not vote). Each change is made in the fake first, so the
    fake holds the ground truth that the bot's read-backs (reactions.get) see, then its
    event is POSTed, signed, to the process; an event that gets no 2xx answer within 3 s
    (an error, a refused connection, a time-out) is redelivered with X-Slack-Retry-Num
    after 0.5, 1, 2, 4, 4, … s until one is a 2xx, as Slack redelivers. Where a deadline
    falls inside the scenario, reactions on that challenge stop two seconds before it, so
    that the ground truth of its final results is the fake's state.

    Scenarios (`--only NAME`):

    kill9-sqlite, kill9-postgres
        A storm of 6,000 reaction events (600/s, at most 64 deliveries in flight); once
        40 % are acknowledged, and 1.5 s after challenge A's voting closed (so while its
        final results are being prepared: votes read back, then posted), the process is
        killed with SIGKILL and started again on the same data (the SQLite file; a fresh
        database on the shared PostgreSQL server, dropped afterwards); the storm goes on,
        unacknowledged events are redelivered. Three ideas are submitted during the
        storm (one may meet the dead process: Slack then tells the member, no post due).
    outage
        A private PostgreSQL (initdb, pg_ctl on a free port) under 60 events/s: 10 s of
        traffic, then the server is stopped (`pg_ctl stop -m immediate`) for 20 s and
        started again, then 15 s more. Challenge A's submissions close 5 s and its voting
        closes 12 s into the outage: its "submissions closed" notice and final results
        must come, once, after the database is back.
    two-processes
        Two `cocreate run` on one database of the shared PostgreSQL server, each with its
        own HTTP port and scheduler; 6,000 events at 400/s, each sent to one of them at
        random, 10 % to both. Challenge A's voting closes halfway: both schedulers race
        for its final results, which must be posted once.
    5xx
        Every Web API method of the fake but reactions.get answers HTTP 503 for 60 s,
        under 40 events/s; challenge A's voting closes 10 s into that window and two ideas
        are submitted 3 s into it. After the window, the final results and the idea posts
        must be posted exactly once. (reactions.get is spared so that the read-back before
        the final results, 1.2 s per idea post, ends inside the window and the posting
        itself meets the errors; with reactions.get failing too, each post's read-back
        takes 3 retries and the final results are only tried after the window.)

    After each scenario the processes get SIGTERM, and the database is read directly.
    Figures: events generated and acknowledged (a 2xx answer), deliveries, refusals by
    status, never acknowledged; votes in the truth (for each idea, who holds a vote
    reaction on any of its posts at the end, minus the bot and the idea's author) and
    stored (vote rows); lost (truth − stored); doubled (stored − truth, plus every vote
    by which an idea's vote_count differs from its vote rows); acknowledged vote events
    absent from the reaction log; posts due (each challenge's announcement, each stored
    idea's post, and each notice and final results that fell due, per venue; once a
    challenge's final results fall due, each idea's final place in its post's thread, in
    the right thread and with its true votes) and posts made of those, missing, doubled
    or unexpected; how long after its deadline each notice and final results came; the
    final results' tallies that differ from the truth; scheduled posts left unsent in
    the database; badge direct messages beyond the badges stored; notices to followers in
    their direct messages, and those a member got twice; reactions.get calls; tracebacks
    and ERROR lines in the processes' logs (their stderr, and any *.log in their data
    directories).

    Targets (printed, never asserted): 0 lost, 0 doubled, every due post made exactly
    once, no follower told the same twice, 0 tracebacks, every event acknowledged in the
    end.

How to run (from the repository root; needs the shared PostgreSQL on 127.0.0.1:5432 for
kill9-postgres and two-processes, and the system's PostgreSQL binaries for outage)
    .venv/bin/python bench/chaos.py                   # every scenario, full size (~8 min)
    .venv/bin/python bench/chaos.py --quick           # 1,000-event storms, 8 s outage,
                                                      # 25 s of 5xx, 5 ideas a challenge
    .venv/bin/python bench/chaos.py --keep            # keep the logs and databases
    .venv/bin/python bench/chaos.py --only outage     # one scenario

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench import chaos_rig as rig
from bench._support import emit, vocabulary

SCENARIOS = ("kill9-sqlite", "kill9-postgres", "outage", "two-processes", "5xx")
USERS = [f"U{n:04d}" for n in range(1, 41)]
VENUES = {"A": ("C_A1", "C_A2"), "B": ("C_B",)}


@dataclass(frozen=True)
class Size:
    storm: int = 6000
    storm_rate: float = 600.0
    kill_at: float = 0.4
    ideas: int = 10
    outage_s: float = 20.0
    outage_before_s: float = 10.0
    outage_after_s: float = 15.0
    outage_rate: float = 60.0
    two_storm: int = 6000
    two_rate: float = 400.0
    window_s: float = 60.0
    window_lead_s: float = 5.0
    window_deadline_s: float = 10.0
    window_after_s: float = 15.0
    window_rate: float = 40.0
    #: how long to wait for the due posts once every event is acknowledged
    wait_posts_s: float = 120.0

    @classmethod
    def quick(cls) -> Size:
        return cls(
            storm=1000,
            storm_rate=150.0,
            ideas=5,
            outage_s=8.0,
            outage_before_s=5.0,
            outage_after_s=8.0,
            two_storm=1000,
            two_rate=300.0,
            window_s=25.0,
            window_deadline_s=5.0,
            window_after_s=8.0,
        )


# -- one scenario's world ------------------------------------------------------------------


@dataclass
class Challenge:
    letter: str
    title: str
    slug: str
    venues: tuple[str, ...]
    posts: list[rig.IdeaPost] = field(default_factory=list)


class World:
    """The fake, the processes, the traffic and what must come out of them."""

    def __init__(self, name: str, seed: int, settings: rig.Settings) -> None:
        self.name = name
        self.seed = seed
        self.settings = settings
        self.rng = random.Random(seed)
        self.words = vocabulary(random.Random(seed), 200)
        self.work = rig.Workdir()
        self.fake = rig.ChaosSlack()
        self.bots: list[rig.BotProcess] = []
        self.expected = rig.Expected()
        self.challenges: dict[str, Challenge] = {}
        self.timeline: list[str] = []
        self.began = time.monotonic()
        self.http: aiohttp.ClientSession | None = None
        self.commands: rig.Commands | None = None
        self.traffic: rig.Traffic | None = None
        self._background: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> World:
        await self.fake.start()
        rig.start_fake(self.fake, USERS)
        self.http = aiohttp.ClientSession()
        self.commands = rig.Commands(self.fake, self.http)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for bot in self.bots:
            if bot.alive:
                bot.kill9()
                await bot.wait_exit()
        if self.traffic is not None:
            await self.traffic.close()
        if self.http is not None:
            await self.http.close()
        await self.fake.stop()
        self.work.close()

    def note(self, text: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.began:6.1f} s  {text}")

    def bot(self, name: str, db_url: str) -> rig.BotProcess:
        bot = rig.BotProcess(name, self.work.path, db_url, self.fake.api_url, self.settings)
        self.bots.append(bot)
        return bot

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def start_traffic(
        self,
        route: Callable[[rig.Event], list[rig.BotProcess]],
        retarget: Callable[[rig.BotProcess], rig.BotProcess],
    ) -> rig.Traffic:
        self.traffic = rig.Traffic(self.fake, USERS, route, retarget, seed=self.seed)
        for challenge in self.challenges.values():
            self.traffic.add_posts(challenge.posts)
        return self.traffic

    async def ask(self, bot: rig.BotProcess, line: str, *, user: str, channel: str) -> str:
        assert self.commands is not None
        return await self.commands.ask(bot, line, user=user, channel=channel)

    # -- setup -----------------------------------------------------------------------------

    async def challenge(self, bot: rig.BotProcess, letter: str, ideas: int) -> Challenge:
        venues = VENUES[letter]
        title = f"Chaos {letter}"
        created = await self.ask(
            bot,
            f'/challenge create title:"{title}" brief:"Which idea should win?" '
            f"venue:{','.join(venues)}",
            user=rig.MODERATOR,
            channel=venues[0],
        )
        found = re.search(r"short name is `([^`]+)`", created)
        if "ready as a draft" not in created or not found:
            raise RuntimeError(f"/challenge create: {created}")
        challenge = Challenge(letter, title, found.group(1), venues)
        self.challenges[letter] = challenge
        opened = await self.ask(
            bot, f"/challenge open {challenge.slug}", user=rig.MODERATOR, channel=venues[0]
        )
        if "is open" not in opened:
            raise RuntimeError(f"/challenge open: {opened}")
        self.expected.challenge(title, venues)
        authors: dict[str, str] = {}
        for n in range(ideas):
            author = USERS[(n * 7 + ord(letter)) % len(USERS)]
            idea = f"{letter}-{n + 1:02d} {self.words[n + 20 * (ord(letter) - 64)].capitalize()}"
            answer = await self.submit(bot, challenge, idea, author)
            if "is in" not in answer:
                raise RuntimeError(f"/idea submit: {answer}")
            authors[idea] = author
        wanted = len(authors) * len(venues)

        def posted() -> list[rig.IdeaPost]:
            out = []
            for (channel, ts), message in list(self.fake.messages.items()):
                if channel not in venues:
                    continue
                head = rig.header_of(message.blocks)
                found = re.match(r"^💡 #(\d+) · (.+)$", head)
                if found and found.group(2) in authors:
                    author = authors[found.group(2)]
                    out.append(
                        rig.IdeaPost(channel, ts, challenge.slug, int(found.group(1)), author)
                    )
            return out if len(out) >= wanted else []

        challenge.posts = await self.fake.wait_for(posted, timeout=60)
        self.note(f"challenge {challenge.slug}: {ideas} ideas in {', '.join(venues)}")
        return challenge

    async def submit(
        self, bot: rig.BotProcess, challenge: Challenge, title: str, author: str
    ) -> str:
        return await self.ask(
            bot,
            f'/idea submit {challenge.slug} title:"{title}" description:"Chaos idea {title}."',
            user=author,
            channel=challenge.venues[0],
        )

    async def deadline(
        self,
        bot: rig.BotProcess,
        challenge: Challenge,
        voting_close: float,
        submissions_close: float | None = None,
    ) -> None:
        """Set challenge's deadlines (epoch seconds, whole seconds); its reactions stop 2 s
        before its voting closes."""
        line = f"/challenge edit {challenge.slug} voting_close:{rig.iso(_at(voting_close))}"
        if submissions_close is not None:
            line += f" submissions_close:{rig.iso(_at(submissions_close))}"
            self.expected.voting(
                challenge.title, challenge.slug, challenge.venues, submissions_close
            )
        answer = await self.ask(bot, line, user=rig.MODERATOR, channel=challenge.venues[0])
        if "is updated" not in answer:
            raise RuntimeError(f"/challenge edit: {answer}")
        self.expected.final(challenge.title, challenge.slug, challenge.venues, voting_close)
        self.note(
            f"{challenge.slug}: voting closes in {voting_close - time.time():.1f} s"
            + (
                f", submissions in {submissions_close - time.time():.1f} s"
                if submissions_close
                else ""
            )
        )

        async def freeze() -> None:
            await asyncio.sleep(max(0.0, voting_close - 2.0 - time.time()))
            if self.traffic is not None:
                self.traffic.freeze(challenge.slug)
            self.note(f"reactions on {challenge.slug} stop (2 s before its close)")
            await asyncio.sleep(max(0.0, voting_close - time.time()))
            self.note(f"{challenge.slug}: voting_close passes")

        self.spawn(freeze())

    # -- the end ---------------------------------------------------------------------------

    async def wait_posts(self, timeout: float) -> None:
        """Until every due post (announcements, notices, final results) exists, or timeout."""
        titles = [c.title for c in self.challenges.values()]
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            made = {rig.classify(m, titles) for m in list(self.fake.messages.values()) if m.blocks}
            if all(k in made for k in self.expected.keys if k[0] != "idea"):
                return
            await asyncio.sleep(0.5)
        self.note(f"gave up waiting for due posts after {timeout:.0f} s")

    async def settle_reconcile(self, since: float, posts: int) -> None:
        """The read-back after a start (reactions.get paced at 1.2 s per post) is done."""
        wait = since + 1.3 * posts + 3.0 - time.monotonic()
        if wait > 0:
            self.note(f"waiting {wait:.0f} s for the read-back after the last start")
            await asyncio.sleep(wait)

    async def finish(
        self, db_url: str, *, settle_timeout: float = 120.0, posts_timeout: float = 120.0
    ) -> dict[str, Any]:
        assert self.traffic is not None
        await self.traffic.settle(settle_timeout)
        self.note(
            f"every event answered 2xx ({self.traffic.stats.never_acknowledged} never acknowledged)"
        )
        await self.wait_posts(posts_timeout)
        starts = [b.started_at for b in self.bots if b.started_at]
        await self.settle_reconcile(
            max(starts), sum(len(c.posts) for c in self.challenges.values())
        )
        await asyncio.sleep(2.0)  # late duplicates would show by now
        for bot in self.bots:
            await bot.stop()
        self.note("processes stopped (SIGTERM)")
        stored = await rig.read_database(db_url)
        return self.figures(stored)

    def figures(self, stored: rig.Stored) -> dict[str, Any]:
        assert self.traffic is not None
        posts = [p for c in self.challenges.values() for p in c.posts]
        expected_votes = rig.truth(self.fake, posts)
        votes = rig.check_votes(expected_votes, stored, self.traffic.events)
        by_slug = {c.slug: c for c in self.challenges.values()}
        for slug, _number, title, status in stored.ideas:
            if slug in by_slug and status in ("published",):
                challenge = by_slug[slug]
                self.expected.idea(challenge.title, challenge.venues, title)
        tallies: dict[str, dict[int, int]] = {}
        for (slug, number), users in expected_votes.items():
            tallies.setdefault(slug, {})[number] = len(users)
        titles = [c.title for c in self.challenges.values()]
        checked = rig.check_posts(self.fake, self.expected, titles, tallies, stored.badges)
        logs = rig.scan_logs(b.log_text() for b in self.bots)
        delivery = self.traffic.stats.figures()
        phases = {slug: stored.phases.get(slug, "?") for slug in by_slug}
        out: dict[str, Any] = {
            **delivery,
            "votes_truth": votes.truth,
            "votes_stored": votes.stored,
            "lost": votes.lost,
            "doubled": votes.doubled,
            "vote_count_mismatch": votes.count_mismatch,
            "acked_not_recorded": votes.acked_not_recorded,
            "posts_due": checked.due,
            "posts_made": checked.made,
            "posts_missing": checked.missing,
            "posts_doubled": checked.doubled,
            "posts_unexpected": checked.unexpected,
            "final_tallies_wrong": checked.final_tallies_wrong,
            "posted_after_deadline_s": checked.delays_s,
            "reactions_get_calls": len(self.fake.of("reactions.get")),
            "moderator_notices": checked.notices,
            "badge_dms": checked.badge_dms,
            "badge_dms_doubled": checked.badge_dms_doubled,
            "badge_dms_missing": checked.badge_dms_missing,
            "follower_dms": checked.follower_dms,
            "follower_dms_doubled": checked.follower_dms_doubled,
            "phases": phases,
            "scheduled_posts_not_sent": sum(
                1 for p in stored.scheduled if p["state"] not in ("sent", "skipped")
            ),
            "tracebacks": logs.tracebacks,
            "error_lines": logs.errors,
            "process_starts": sum(b.starts for b in self.bots),
            "ready_s": [round(s, 1) for b in self.bots for s in b.ready_seconds],
            "exit_codes": [c for b in self.bots for c in b.exit_codes],
            "stop_hung": sum(b.stop_hung for b in self.bots),
            "web_api_5xx_answered": sum(self.fake.faulted.values()),
            "seconds": round(time.monotonic() - self.began, 1),
        }
        out["targets_met"] = bool(
            out["lost"] == 0
            and out["doubled"] == 0
            and checked.missing == 0
            and checked.doubled == 0
            and checked.unexpected == 0
            and checked.follower_dms_doubled == 0
            and checked.badge_dms_missing == 0
            and out["tracebacks"] == 0
            and out["never_acknowledged"] == 0
        )
        out["_evidence"] = {
            "votes": votes.examples,
            "posts": checked.examples,
            "exceptions": logs.exceptions,
            "log_lines": logs.notable,
            "scheduled": [
                f"{p['challenge']} {p['kind']} {str(p['period'])[:24]}: {p['state']} after "
                f"{p['attempts']} attempts, claimed by {p['by']}"
                for p in stored.scheduled
                if p["state"] not in ("sent", "skipped")
            ],
            "timeline": self.timeline,
            "logs": [str(p) for b in self.bots for p in b.logs],
        }
        return out


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def whole_second(epoch: float) -> float:
    """Deadlines are typed to the second: round up."""
    return float(int(epoch) + 1)


# -- the scenarios -------------------------------------------------------------------------


async def kill9(size: Size, backend: str, seed: int, settings: rig.Settings) -> dict[str, Any]:
    shared: rig.SharedDatabase | None = None
    async with World(f"kill9-{backend}", seed, settings) as world:
        if backend == "sqlite":
            db_url = f"sqlite:///{world.work.path / 'cocreate.db'}"
        else:
            shared = rig.SharedDatabase()
            await shared.create()
            db_url = shared.url
        try:
            assert world.http is not None
            bot = world.bot("bot", db_url)
            await bot.start(world.http)
            await bot.wait_scheduler()
            world.note(f"cocreate run up on {backend}, port {bot.port}")
            challenge_a = await world.challenge(bot, "A", size.ideas)
            challenge_b = await world.challenge(bot, "B", size.ideas)
            # A's voting closes during the storm, shortly before the kill: the kill lands
            # while its final results are being prepared (votes read back, then posted).
            storm_at = time.time() + 1.0
            kill_guess = size.kill_at * size.storm / size.storm_rate
            closes = whole_second(storm_at + max(3.0, kill_guess - 1.5))
            await world.deadline(bot, challenge_a, closes)
            traffic = world.start_traffic(lambda e: [bot], lambda b: bot)
            killed: dict[str, float] = {}

            async def crash() -> None:
                while (
                    traffic.stats.acknowledged < size.kill_at * size.storm
                    or time.time() < closes + 1.5
                ):
                    await asyncio.sleep(0.02)
                bot.kill9()
                killed["at"] = time.monotonic()
                world.note(
                    f"SIGKILL with {traffic.stats.acknowledged} of {traffic.stats.generated} "
                    "events acknowledged"
                )
                await bot.wait_exit()
                assert world.http is not None
                await bot.start(world.http)
                world.note(
                    f"restarted: listening {time.monotonic() - killed['at']:.1f} s after the kill"
                )

            async def ideas_during() -> None:
                for n in range(3):
                    await asyncio.sleep(size.storm / size.storm_rate * (0.25 + 0.2 * n))
                    title = f"B-{90 + n} {world.words[150 + n].capitalize()}"
                    try:
                        answer = await world.submit(
                            bot, challenge_b, title, USERS[(n * 11) % len(USERS)]
                        )
                    except Exception as err:  # the process may be down: Slack says so
                        answer = f"no answer ({type(err).__name__})"
                    world.note(f"idea submitted during the storm: {answer.splitlines()[0][:60]}")

            crasher = world.spawn(crash())
            world.spawn(ideas_during())
            await asyncio.sleep(max(0.0, storm_at - time.time()))
            world.note(f"storm: {size.storm} events at {size.storm_rate:.0f}/s")
            await traffic.generate(rate=size.storm_rate, count=size.storm)
            world.note(f"storm generated ({traffic.stats.acknowledged} acknowledged so far)")
            await crasher
            result = await world.finish(db_url, posts_timeout=size.wait_posts_s)
        finally:
            if shared is not None:
                for bot in world.bots:
                    await bot.stop()
                await shared.drop()
        result["database"] = backend
        return world_result(world, result)


async def outage(size: Size, seed: int, settings: rig.Settings) -> dict[str, Any]:
    pg = rig.PrivatePostgres()
    try:
        await asyncio.to_thread(pg.init)
        await asyncio.to_thread(pg.start)
        async with World("outage", seed, settings) as world:
            assert world.http is not None
            world.note(f"private PostgreSQL on port {pg.port}")
            bot = world.bot("bot", pg.url)
            await bot.start(world.http)
            await bot.wait_scheduler()
            challenge_a = await world.challenge(bot, "A", size.ideas)
            await world.challenge(bot, "B", size.ideas)
            down_at = time.time() + size.outage_before_s + 2.0
            await world.deadline(
                bot,
                challenge_a,
                voting_close=whole_second(down_at + 0.6 * size.outage_s),
                submissions_close=whole_second(down_at + 0.25 * size.outage_s),
            )
            traffic = world.start_traffic(lambda e: [bot], lambda b: bot)

            async def stop_database() -> None:
                await asyncio.sleep(max(0.0, down_at - time.time()))
                await asyncio.to_thread(pg.stop, "immediate")
                world.note(f"PostgreSQL stopped (immediate) for {size.outage_s:.0f} s")
                await asyncio.sleep(size.outage_s)
                await asyncio.to_thread(pg.start)
                world.note("PostgreSQL started again")

            outage_task = world.spawn(stop_database())
            seconds = (down_at - time.time()) + size.outage_s + size.outage_after_s
            world.note(f"traffic: {size.outage_rate:.0f} events/s for {seconds:.0f} s")
            await traffic.generate(rate=size.outage_rate, seconds=seconds)
            await outage_task
            world.note("traffic stops")
            result = await world.finish(pg.url, posts_timeout=size.wait_posts_s)
            result["database"] = "postgresql (private server)"
            return world_result(world, result)
    finally:
        await asyncio.to_thread(pg.destroy)


async def two_processes(size: Size, seed: int, settings: rig.Settings) -> dict[str, Any]:
    shared = rig.SharedDatabase()
    await shared.create()
    try:
        async with World("two-processes", seed, settings) as world:
            assert world.http is not None
            first = world.bot("bot1", shared.url)
            second = world.bot("bot2", shared.url)
            await first.start(world.http)
            await first.wait_scheduler()
            await second.start(world.http)
            await second.wait_scheduler()
            world.note(f"two processes on {shared.name}: ports {first.port}, {second.port}")
            challenge_a = await world.challenge(first, "A", size.ideas)
            await world.challenge(second, "B", size.ideas)
            storm_s = size.two_storm / size.two_rate
            await world.deadline(first, challenge_a, whole_second(time.time() + storm_s / 2 + 2))
            rng = random.Random(seed + 1)
            both = [first, second]

            def route(event: rig.Event) -> list[rig.BotProcess]:
                return both if rng.random() < 0.10 else [rng.choice(both)]

            traffic = world.start_traffic(route, lambda b: rng.choice(both))
            world.note(f"storm: {size.two_storm} events at {size.two_rate:.0f}/s, 10 % to both")
            await traffic.generate(rate=size.two_rate, count=size.two_storm)
            world.note("storm generated")
            result = await world.finish(shared.url, posts_timeout=size.wait_posts_s)
            result["database"] = "postgresql (shared server, fresh database)"
            sent_by = sorted({str(p["by"]).split(":")[1] for p in await _finals(shared.url)})
            result["final_claimed_by_pids"] = sent_by
            return world_result(world, result)
    finally:
        await shared.drop()


async def _finals(url: str) -> list[dict[str, Any]]:
    stored = await rig.read_database(url)
    return [p for p in stored.scheduled if p["kind"] == "final"]


async def server_errors(size: Size, seed: int, settings: rig.Settings) -> dict[str, Any]:
    async with World("5xx", seed, settings) as world:
        assert world.http is not None
        db_url = f"sqlite:///{world.work.path / 'cocreate.db'}"
        bot = world.bot("bot", db_url)
        await bot.start(world.http)
        await bot.wait_scheduler()
        challenge_a = await world.challenge(bot, "A", size.ideas)
        challenge_b = await world.challenge(bot, "B", size.ideas)
        window_at = time.time() + size.window_lead_s + 2.0
        await world.deadline(bot, challenge_a, whole_second(window_at + size.window_deadline_s))
        traffic = world.start_traffic(lambda e: [bot], lambda b: bot)

        async def window() -> None:
            await asyncio.sleep(max(0.0, window_at - time.time()))
            world.fake.fail_window(size.window_s, 503, spare={"reactions.get"})
            world.note(
                f"every Web API method but reactions.get answers 503 for {size.window_s:.0f} s"
            )
            await asyncio.sleep(3.0)
            for n in range(2):
                title = f"B-{80 + n} {world.words[170 + n].capitalize()}"
                answer = await world.submit(bot, challenge_b, title, USERS[(n * 13 + 5) % 40])
                world.note(f"idea submitted in the window: {answer.splitlines()[0][:60]}")
            await asyncio.sleep(max(0.0, window_at + size.window_s - time.time()))
            world.note("the window closes: the Web API answers again")

        window_task = world.spawn(window())
        seconds = (window_at - time.time()) + size.window_s + size.window_after_s
        world.note(f"traffic: {size.window_rate:.0f} events/s for {seconds:.0f} s")
        await traffic.generate(rate=size.window_rate, seconds=seconds)
        await window_task
        world.note("traffic stops")
        result = await world.finish(db_url, posts_timeout=size.wait_posts_s)
        result["database"] = "sqlite"
        return world_result(world, result)


def world_result(world: World, result: dict[str, Any]) -> dict[str, Any]:
    result["scenario"] = world.name
    return result


# -- output --------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> None:
    r = result
    verdict = "meets the targets" if r.get("targets_met") else "MISSES the targets"
    print(f"\n== {r['scenario']} ({r.get('database', '')}): {verdict}, {r['seconds']} s")
    if "error" in r:
        print(f"  scenario failed: {r['error']}")
        return
    refused = ", ".join(f"{n}× HTTP {s}" for s, n in r["refused"].items()) or "none"
    print(
        f"  events: {r['events_generated']:,} generated, {r['events_acknowledged']:,} "
        f"acknowledged, {r['never_acknowledged']} never; {r['deliveries']:,} deliveries "
        f"(refused: {refused}; no answer: {r['no_answer']}); to both: {r['delivered_to_both']}"
    )
    print(f"  ack latency: p50 {r['ack_p50_ms']} ms, p99 {r['ack_p99_ms']} ms")
    print(
        f"  votes: truth {r['votes_truth']:,}, stored {r['votes_stored']:,}; "
        f"lost {r['lost']}, doubled {r['doubled']} (vote_count off by {r['vote_count_mismatch']}); "
        f"acknowledged but not in the reaction log: {r['acked_not_recorded']}"
    )
    print(
        f"  posts: due {r['posts_due']}, made {r['posts_made']}; missing {r['posts_missing']}, "
        f"doubled {r['posts_doubled']}, unexpected {r['posts_unexpected']}; final tallies "
        f"wrong {r['final_tallies_wrong']}; posted after their deadline (s): "
        f"{r['posted_after_deadline_s'] or '-'}"
    )
    print(
        f"  phases {r['phases']}; scheduled posts not sent {r['scheduled_posts_not_sent']}; "
        f"moderator notices {r['moderator_notices']}; badge DMs {r['badge_dms']} "
        f"(beyond the badges stored: {r['badge_dms_doubled']}, badges stored but never told: "
        f"{r['badge_dms_missing']}); notices to followers "
        f"{r['follower_dms']} (a member told the same more than once: "
        f"{r['follower_dms_doubled']})"
    )
    print(
        f"  log: {r['tracebacks']} tracebacks, {r['error_lines']} ERROR lines; starts "
        f"{r['process_starts']} (ready after {r['ready_s']} s), exit codes {r['exit_codes']}, "
        f"SIGTERM stops that hung {r['stop_hung']}"
    )
    print(f"  reactions.get calls (read-backs): {r['reactions_get_calls']}")
    if r.get("web_api_5xx_answered"):
        print(f"  Web API calls answered 5xx by the fake: {r['web_api_5xx_answered']}")
    if "final_claimed_by_pids" in r:
        print(f"  final results claimed by process(es) {r['final_claimed_by_pids']}")
    evidence = r["_evidence"]
    for line in evidence["timeline"]:
        print(f"    {line}")
    for line in evidence["votes"] + evidence["posts"] + evidence["scheduled"]:
        print(f"    ! {line}")
    for text, n in evidence["exceptions"]:
        print(f"    traceback ×{n}: {text}")
    for text, n in evidence["log_lines"]:
        print(f"    log ×{n}: {text}")


async def run(names: Sequence[str], size: Size, seed: int) -> list[dict[str, Any]]:
    settings = rig.Settings()
    results = []
    for name in names:
        began = time.monotonic()
        try:
            if name == "kill9-sqlite":
                result = await kill9(size, "sqlite", seed, settings)
            elif name == "kill9-postgres":
                result = await kill9(size, "postgres", seed, settings)
            elif name == "outage":
                result = await outage(size, seed, settings)
            elif name == "two-processes":
                result = await two_processes(size, seed, settings)
            else:
                result = await server_errors(size, seed, settings)
        except Exception as err:  # a scenario that could not run is a figure too
            where = traceback.extract_tb(err.__traceback__)[-3:]
            result = {
                "scenario": name,
                "error": f"{type(err).__name__}: {err}"[:2000]
                + " at "
                + " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(where)),
                "targets_met": False,
                "seconds": round(time.monotonic() - began, 1),
            }
        report(result)
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller storms, shorter windows")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run this scenario")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directories (logs, databases)"
    )
    parser.add_argument(
        "--wait-posts",
        type=float,
        default=Size.wait_posts_s,
        metavar="SECONDS",
        help="how long to wait for due posts after the traffic (default 120)",
    )
    args = parser.parse_args()
    rig.KEEP = args.keep
    size = replace(Size.quick() if args.quick else Size(), wait_posts_s=args.wait_posts)
    names = args.only or list(SCENARIOS)
    print(
        f"chaos: {', '.join(names)}{' (quick)' if args.quick else ''}; {rig.machine()}; "
        f"settings {rig.Settings().shown()}"
    )

    async def guarded() -> list[dict[str, Any]]:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if task is not None:
                loop.add_signal_handler(sig, task.cancel)
        return await run(names, size, args.seed)

    results = asyncio.run(guarded())
    scenarios = {}
    for r in results:
        figures = {k: v for k, v in r.items() if not k.startswith("_") and k != "scenario"}
        evidence = r.get("_evidence", {})
        figures["problems"] = (
            evidence.get("votes", []) + evidence.get("posts", []) + evidence.get("scheduled", [])
        )[:10] + [f"traceback ×{n}: {text}" for text, n in evidence.get("exceptions", [])][:5]
        scenarios[r["scenario"]] = figures
    emit(
        {
            "benchmark": "chaos",
            "quick": args.quick,
            "machine": rig.machine(),
            "settings": rig.Settings().shown(),
            "scenarios": scenarios,
            "targets_met": all(r.get("targets_met") for r in results),
        }
    )


if __name__ == "__main__":
    main()
