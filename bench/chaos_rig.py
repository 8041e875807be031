"""The rig of the chaos benchmark (bench/chaos.py): a fake Slack with time-window faults,
`cocreate run` processes, private PostgreSQL servers, Slack-like event delivery with
redelivery, and the checks (ground truth against the database, posts due against posts
made, tracebacks in the logs).

Everything started here is registered for clean-up: processes are killed and private
PostgreSQL servers stopped at exit, even when the benchmark is interrupted.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.slack import payloads
from tests.slack.fake_slack import Call, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
COCREATE = ROOT / ".venv" / "bin" / "cocreate"
SECRET = "chaos-signing-secret-0123456789abcdef"
TOKEN = "xoxb-chaos-bot-token"
TEAM = "T1"
BOT_USER = "UBOT"
MODERATOR = "U_MOD"
MOD_CHANNEL = "C_MODS"
FORM = "application/x-www-form-urlencoded"
VOTE = "+1"
#: What Slack waits for an answer to an event before it counts as failed.
SLACK_TIMEOUT_S = 3.0
SHARED_PG = "postgresql://postgres@127.0.0.1:5432"

# -- clean-up at exit ----------------------------------------------------------------------

_PIDS: set[int] = set()
_CLEANUPS: list[Callable[[], None]] = []


def _at_exit() -> None:
    for pid in list(_PIDS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    for step in reversed(_CLEANUPS):
        with contextlib.suppress(Exception):
            step()


atexit.register(_at_exit)


def free_port() -> int:
    """A port nobody listens on now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Keep temporary directories (`--keep`): their logs and databases, for a post-mortem.
KEEP = False


class Workdir:
    """A temporary directory, removed at `close` (and at exit) unless `KEEP`."""

    def __init__(self, prefix: str = "cocreate-chaos-") -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        _CLEANUPS.append(self.close)

    def close(self) -> None:
        if KEEP:
            if self.close in _CLEANUPS:
                _CLEANUPS.remove(self.close)
                print(f"  (kept {self.path})")
            return
        shutil.rmtree(self.path, ignore_errors=True)


# -- the fake Slack, with faults over a window of time -------------------------------------


class ChaosSlack(FakeSlack):
    """tests/slack/fake_slack.py plus: the Web API answers HTTP 5xx while a time window is
    open (`fail_window`), and each message's post time is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.window: tuple[float, float, int, frozenset[str]] | None = None
        self.faulted: Counter[str] = Counter()
        #: (channel, ts) -> time.time() when the message was posted
        self.posted_at: dict[tuple[str, str], float] = {}

    def fail_window(self, seconds: float, status: int = 503, spare: Iterable[str] = ()) -> None:
        """From now on, for `seconds`, every Web API method but those in `spare` answers
        HTTP `status` (and does nothing)."""
        start = time.monotonic()
        self.window = (start, start + seconds, status, frozenset(spare))

    def window_open(self, method: str) -> int | None:
        if self.window is None:
            return None
        start, end, status, spare = self.window
        if start <= time.monotonic() < end and method not in spare:
            return status
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        status = self.window_open(method)
        if status is None:
            return await super()._api(request)
        self.calls.append(Call(method, {}, None))
        self.faulted[method] += 1
        body = {"ok": False, "error": "service_unavailable" if status == 503 else "fatal_error"}
        return web.Response(text=json.dumps(body), status=status, content_type="application/json")

    def _chat_postMessage(self, team: Any, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_postMessage(team, args)
        if answer.get("ok"):
            self.posted_at[(str(answer["channel"]), str(answer["ts"]))] = time.time()
        return answer


def start_fake(fake: ChaosSlack, users: Sequence[str]) -> None:
    fake.add_team(TEAM, TOKEN, bot_user=BOT_USER)
    fake.add_user(MODERATOR, "Moderator", admin=True)
    for user in users:
        fake.add_user(user, f"Member {user[1:]}")


def text_of(content: dict[str, Any] | None) -> str:
    """Everything a person reads in a message or an answer (its blocks' texts)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
                parts.append(str(node["text"]))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk((content or {}).get("blocks", []))
    return "\n".join(parts)


def header_of(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        if block.get("type") == "header":
            return str(block.get("text", {}).get("text", ""))
    return ""


# -- `cocreate run` processes --------------------------------------------------------------


@dataclass
class Settings:
    """The environment every `cocreate run` of the benchmark gets (besides its ports)."""

    values: dict[str, str] = field(
        default_factory=lambda: {
            "COCREATE_CORE__LOG_LEVEL": "INFO",
            "COCREATE_SLACK__ENABLED": "true",
            "COCREATE_SLACK__MODE": "http",
            "COCREATE_SLACK__HOST": "127.0.0.1",
            "COCREATE_SLACK__MODERATOR_CHANNEL": MOD_CHANNEL,
            "COCREATE_SCHEDULER__RETRY_BASE_SECONDS": "1",
            "COCREATE_SCHEDULER__RETRY_MAX_SECONDS": "5",
            "COCREATE_SCHEDULER__HEARTBEAT_SECONDS": "5",
        }
    )

    def shown(self) -> dict[str, str]:
        return dict(self.values)


class BotProcess:
    """One `cocreate run` slot: a fixed HTTP port and data directory; each start is a new
    process whose stderr (the log) goes to a file of its own."""

    def __init__(
        self, name: str, workdir: Path, db_url: str, api_url: str, settings: Settings
    ) -> None:
        self.name = name
        self.port = free_port()
        self.dir = workdir / name
        self.data = self.dir / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url
        self.api_url = api_url
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None
        self.logs: list[Path] = []
        self.starts = 0
        self.exit_codes: list[int | None] = []
        self.stop_hung = 0
        self.ready_seconds: list[float] = []
        #: time.monotonic() of the last start that came up
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COCREATE_", "SLACK_"))}
        env.update(self.settings.values)
        env.update(
            {
                "COCREATE_CORE__DATA_DIR": str(self.data),
                "COCREATE_STORAGE__URL": self.db_url,
                "COCREATE_SLACK__PORT": str(self.port),
                "COCREATE_SLACK__API_BASE_URL": self.api_url,
                "COCREATE_SLACK__BOT_TOKEN": TOKEN,
                "COCREATE_SLACK__SIGNING_SECRET": SECRET,
            }
        )
        return env

    async def start(self, http: aiohttp.ClientSession, timeout: float = 90.0) -> None:
        """Start and wait until /healthz answers (the HTTP endpoint is up)."""
        self.starts += 1
        log = self.dir / f"run-{self.starts}.log"
        self.logs.append(log)
        began = time.monotonic()
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(COCREATE),
                "run",
                cwd=self.dir,
                env=self.env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        _PIDS.add(self.process.pid)
        while time.monotonic() - began < timeout:
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"{self.name}: cocreate run exited with {self.process.returncode} at "
                    f"start:\n{tail(log)}"
                )
            with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
                async with http.get(
                    f"http://127.0.0.1:{self.port}/healthz",
                    timeout=aiohttp.ClientTimeout(total=1),
                ) as response:
                    if response.status == 200:
                        self.ready_seconds.append(time.monotonic() - began)
                        self.started_at = time.monotonic()
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name}: not listening after {timeout:.0f} s:\n{tail(log)}")

    async def wait_scheduler(self, timeout: float = 30.0) -> None:
        """Until the log says the scheduler started (the catch-up run is done)."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.logs and "scheduler started" in self.logs[-1].read_text(errors="replace"):
                return
            await asyncio.sleep(0.1)

    def kill9(self) -> None:
        if self.alive:
            assert self.process is not None
            os.kill(self.process.pid, signal.SIGKILL)

    async def wait_exit(self) -> None:
        if self.process is not None:
            code = await self.process.wait()
            _PIDS.discard(self.process.pid)
            self.exit_codes.append(code)
            self.process = None

    async def stop(self, grace: float = 40.0) -> None:
        """SIGTERM, then SIGKILL if it has not stopped after `grace` seconds (counted)."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.process.wait()), grace)
            except TimeoutError:
                self.stop_hung += 1
                self.kill9()
        await self.wait_exit()

    def log_text(self) -> str:
        """Every run's stderr, and any log file the process wrote in its data directory."""
        files = [*self.logs, *sorted(self.data.glob("*.log"))]
        return "".join(p.read_text(errors="replace") for p in files if p.exists())


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class LogFindings:
    tracebacks: int
    errors: int
    #: the last line of each traceback (the exception), most frequent first
    exceptions: list[tuple[str, int]]
    #: a few ERROR/WARNING lines worth showing, with their counts
    notable: list[tuple[str, int]]


_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")
_NUMBERS = re.compile(r"\b\d+(\.\d+)?\b|Ev\w+|U\d{4}|1700000000\.\d+")


def scan_logs(texts: Iterable[str]) -> LogFindings:
    tracebacks = errors = 0
    exceptions: Counter[str] = Counter()
    notable: Counter[str] = Counter()
    for text in texts:
        lines = text.splitlines()
        for n, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                tracebacks += 1
                # The exception is the first unindented line after the frames.
                for follow in lines[n + 1 : n + 400]:
                    if follow and not follow.startswith((" ", "\t", "Traceback")):
                        if follow.startswith(("The above exception", "During handling")):
                            continue
                        exceptions[follow[:200]] += 1
                        break
            body = _STAMP.sub("", line)
            if body.startswith("ERROR"):
                errors += 1
            if body.startswith(("ERROR", "WARNING")):
                notable[_NUMBERS.sub("N", body)[:180]] += 1
    return LogFindings(tracebacks, errors, exceptions.most_common(8), notable.most_common(10))


# -- a private PostgreSQL server, and databases on the shared one ---------------------------


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb, pg_ctl) on a free port, in a temporary
    directory; run as the `postgres` user when we are root (initdb refuses root)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="cocreate-chaos-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "server.log"
        self.port = free_port()
        self.started = False
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        _CLEANUPS.append(self.destroy)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self._as, *args], check=False, capture_output=True, text=True, timeout=120
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )
        return done

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started = True

    def stop(self, mode: str = "immediate") -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
            self.started = False

    def destroy(self) -> None:
        if self.started or (self.data / "postmaster.pid").exists():
            self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
                check=False,
            )
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class SharedDatabase:
    """A fresh database with a unique name on the shared server (never stopped here)."""

    def __init__(self) -> None:
        self.name = f"cocreate_chaos_{uuid.uuid4().hex[:10]}"
        self.url = f"{SHARED_PG}/{self.name}"
        self.created = False

    async def create(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(f"{SHARED_PG}/postgres", timeout=10)
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        self.created = True
        _CLEANUPS.append(self._drop_sync)

    async def drop(self) -> None:
        if not self.created:
            return
        import asyncpg

        conn = await asyncpg.connect(f"{SHARED_PG}/postgres", timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created = False

    def _drop_sync(self) -> None:
        if self.created:
            subprocess.run(
                ["psql", f"{SHARED_PG}/postgres", "-c", f'DROP DATABASE IF EXISTS "{self.name}"'],
                capture_output=True,
                timeout=30,
                check=False,
            )


# -- commands, as Slack sends them ---------------------------------------------------------


class Commands:
    """Signed slash commands to a process; answers come back in the ack, or through the
    response_url when the work took longer."""

    def __init__(self, fake: ChaosSlack, http: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.http = http
        self._keys = itertools.count(1)

    async def ask(
        self, bot: BotProcess, line: str, *, user: str = MODERATOR, channel: str, timeout=30.0
    ) -> str:
        """Send `/group text`, return the text of its answer."""
        group, _, text = line.partition(" ")
        key = f"cmd{next(self._keys)}"
        fields = payloads.slash_command(
            group,
            text,
            team=TEAM,
            user=user,
            user_name=user.lower(),
            channel=channel,
            response_url=self.fake.response_url(key),
        )
        body = payloads.form_body(fields)
        headers = {"Content-Type": FORM, **payloads.sign(SECRET, body, int(time.time()))}
        async with self.http.post(bot.url, data=body.encode(), headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"{line!r}: HTTP {response.status}")
            ack = await response.text()
        if ack:
            return text_of(json.loads(ack))
        answers = await self.fake.wait_for(lambda: self.fake.answers(key), timeout=timeout)
        return text_of(answers[-1])


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_seconds(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


# -- reaction traffic, delivered like Slack delivers events --------------------------------


@dataclass
class IdeaPost:
    channel: str
    ts: str
    challenge: str  # slug
    number: int
    author: str


@dataclass
class Event:
    seq: int
    event_id: str
    post: IdeaPost
    user: str
    name: str
    added: bool
    at: datetime
    acked: bool = False
    attempts: int = 0
    targets: int = 1


@dataclass
class DeliveryStats:
    generated: int = 0
    acknowledged: int = 0
    attempts: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    no_answer: int = 0
    never_acknowledged: int = 0
    delivered_twice: int = 0
    ack_latencies: list[float] = field(default_factory=list)
    #: time.monotonic() of the latest acknowledgement
    last_ack_at: float = 0.0

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.ack_latencies)

        def pct(q: float) -> float:
            if not ordered:
                return 0.0
            return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000, 1)

        return {
            "events_generated": self.generated,
            "events_acknowledged": self.acknowledged,
            "deliveries": self.attempts,
            "refused": {str(k): v for k, v in sorted(self.refused.items())},
            "no_answer": self.no_answer,
            "never_acknowledged": self.never_acknowledged,
            "delivered_to_both": self.delivered_twice,
            "ack_p50_ms": pct(50),
            "ack_p99_ms": pct(99),
        }


class Traffic:
    """Members react and un-react on idea posts. Each change is made in the fake first
    (the ground truth that reactions.get reads back), then its event is delivered to the
    process(es) `route` names, and redelivered with X-Slack-Retry-Num after a non-2xx
    answer, a connection error or no answer within 3 s, until one is a 2xx."""

    def __init__(
        self,
        fake: ChaosSlack,
        users: Sequence[str],
        route: Callable[[Event], list[BotProcess]],
        retarget: Callable[[BotProcess], BotProcess],
        *,
        seed: int,
        concurrency: int = 64,
    ) -> None:
        self.fake = fake
        self.users = list(users)
        self.route = route
        self.retarget = retarget
        self.rng = random.Random(seed)
        self.posts: dict[str, list[IdeaPost]] = {}
        self.active: set[str] = set()
        self.stats = DeliveryStats()
        self.events: list[Event] = []
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._last_at = 0.0
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency * 2),
            timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S),
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()

    def add_posts(self, posts: Iterable[IdeaPost]) -> None:
        for post in posts:
            self.posts.setdefault(post.challenge, []).append(post)
            self.active.add(post.challenge)

    def freeze(self, challenge: str) -> None:
        """No more reactions on this challenge's posts (its deadline is near)."""
        self.active.discard(challenge)

    def one(self) -> Event | None:
        """A new reaction change, made in the fake; its delivery starts in the background."""
        candidates = [p for c in sorted(self.active) for p in self.posts[c]]
        if not candidates:
            return None
        post = self.rng.choice(candidates)
        user = self.rng.choice(self.users)
        roll = self.rng.random()
        name = VOTE if roll < 0.88 else ("+1::skin-tone-3" if roll < 0.94 else "heart")
        users = self.fake.messages[(post.channel, post.ts)].reactions.setdefault(name, [])
        added = user not in users
        if added:
            users.append(user)
        else:
            users.remove(user)
        # Strictly increasing platform times, as Slack's event_ts are for one member.
        now = max(time.time(), self._last_at + 0.000001)
        self._last_at = now
        seq = next(self._ids)
        event = Event(
            seq, f"Ev{seq:07d}", post, user, name, added, datetime.fromtimestamp(now, UTC)
        )
        self.events.append(event)
        self.stats.generated += 1
        targets = self.route(event)
        event.targets = len(targets)
        if len(targets) > 1:
            self.stats.delivered_twice += 1
        for bot in targets:
            self._spawn(self.deliver(event, bot))
        return event

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def generate(
        self,
        *,
        rate: float,
        count: int | None = None,
        seconds: float | None = None,
    ) -> int:
        """Changes at `rate` per second, for `count` changes or `seconds` seconds."""
        began = time.monotonic()
        made = 0
        while True:
            if count is not None and made >= count:
                break
            elapsed = time.monotonic() - began
            if seconds is not None and elapsed >= seconds:
                break
            ahead = made / rate - elapsed
            if ahead > 0:
                await asyncio.sleep(ahead)
            if self.one() is not None:
                made += 1
            else:
                await asyncio.sleep(0.05)
            if made % 50 == 0:
                await asyncio.sleep(0)
        return made

    async def deliver(self, event: Event, bot: BotProcess) -> None:
        payload = payloads.reaction(
            event.name,
            user=event.user,
            channel=event.post.channel,
            ts=event.post.ts,
            at=event.at,
            added=event.added,
            team=TEAM,
            event_id=event.event_id,
            item_user=BOT_USER,
        )
        body = json.dumps(payload)
        retry = 0
        reason = ""
        while True:
            headers = {
                "Content-Type": "application/json",
                **payloads.sign(SECRET, body, int(time.time())),
            }
            if retry:
                headers["X-Slack-Retry-Num"] = str(retry)
                headers["X-Slack-Retry-Reason"] = reason
            async with self._slots:
                self.stats.attempts += 1
                event.attempts += 1
                began = time.monotonic()
                try:
                    async with self._session.post(
                        bot.url, data=body.encode(), headers=headers
                    ) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError, OSError) as err:
                    status = 0
                    reason = (
                        "http_timeout" if isinstance(err, TimeoutError) else "connection_failed"
                    )
            if 200 <= status < 300:
                self.stats.ack_latencies.append(time.monotonic() - began)
                if not event.acked:
                    event.acked = True
                    self.stats.acknowledged += 1
                    self.stats.last_ack_at = time.monotonic()
                return
            if status:
                self.stats.refused[status] += 1
                reason = "http_error"
            else:
                self.stats.no_answer += 1
            retry += 1
            await asyncio.sleep(min(0.5 * 2 ** min(retry - 1, 4), 4.0) * self.rng.uniform(0.8, 1.2))
            bot = self.retarget(bot)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def settle(self, timeout: float) -> None:
        """Until every event is acknowledged, or `timeout` seconds (the rest are given up)."""
        began = time.monotonic()
        while self._tasks and time.monotonic() - began < timeout:
            await asyncio.sleep(0.1)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.stats.never_acknowledged = sum(1 for e in self.events if not e.acked)


# -- the checks ----------------------------------------------------------------------------


def is_vote(name: str) -> bool:
    return name == VOTE or name.startswith(VOTE + "::")


def truth(fake: ChaosSlack, posts: Iterable[IdeaPost]) -> dict[tuple[str, int], set[str]]:
    """(challenge, idea number) -> who holds a vote reaction on any of its posts now,
    neither the bot nor the idea's author."""
    out: dict[tuple[str, int], set[str]] = {}
    for post in posts:
        voters = out.setdefault((post.challenge, post.number), set())
        message = fake.messages.get((post.channel, post.ts))
        if message is None:
            continue
        for name, users in message.reactions.items():
            if is_vote(name):
                voters.update(u for u in users if u not in (BOT_USER, post.author))
    return out


@dataclass
class Stored:
    votes: set[tuple[str, int, str]]
    counts: dict[tuple[str, int], int]
    authors: dict[tuple[str, int], str]
    #: (challenge slug, number, title, status) of every idea
    ideas: list[tuple[str, int, str, str]]
    logged_events: set[str]
    scheduled: list[dict[str, Any]]
    phases: dict[str, str]
    #: (member, badge kind) -> badges stored
    badges: Counter[tuple[str, str]]


QUERIES = {
    "votes": "SELECT c.slug, i.number, m.external_id FROM votes v "
    "JOIN ideas i ON i.id = v.idea_id JOIN challenges c ON c.id = i.challenge_id "
    "JOIN members m ON m.id = v.member_id",
    "ideas": "SELECT c.slug, i.number, i.vote_count, m.external_id, i.title, i.status "
    "FROM ideas i "
    "JOIN challenges c ON c.id = i.challenge_id JOIN members m ON m.id = i.author_id",
    "log": "SELECT event_id FROM reaction_log WHERE event_id IS NOT NULL",
    "scheduled": "SELECT c.slug, s.kind, s.period, s.state, s.attempts, s.message_ids, "
    "s.claimed_by FROM scheduled_posts s JOIN challenges c ON c.id = s.challenge_id",
    "phases": "SELECT slug, phase FROM challenges",
    "badges": "SELECT m.external_id, b.kind FROM badges b JOIN members m ON m.id = b.member_id",
}


async def read_database(url: str) -> Stored:
    """The database as the process left it, read directly (sqlite3 or asyncpg)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        conn = sqlite3.connect(path)
        try:
            for name, sql in QUERIES.items():
                rows[name] = [tuple(r) for r in conn.execute(sql)]
        finally:
            conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            for name, sql in QUERIES.items():
                rows[name] = [tuple(r) for r in await pg.fetch(sql)]
        finally:
            await pg.close()
    return Stored(
        votes={(str(s), int(n), str(u)) for s, n, u in rows["votes"]},
        counts={(str(r[0]), int(r[1])): int(r[2]) for r in rows["ideas"]},
        authors={(str(r[0]), int(r[1])): str(r[3]) for r in rows["ideas"]},
        ideas=[(str(r[0]), int(r[1]), str(r[4]), str(r[5])) for r in rows["ideas"]],
        logged_events={str(e) for (e,) in rows["log"]},
        scheduled=[
            dict(
                zip(
                    ("challenge", "kind", "period", "state", "attempts", "message_ids", "by"),
                    r,
                    strict=True,
                )
            )
            for r in rows["scheduled"]
        ],
        phases={str(s): str(p) for s, p in rows["phases"]},
        badges=Counter((str(u), str(k)) for u, k in rows["badges"]),
    )


@dataclass
class VoteCheck:
    truth: int
    stored: int
    lost: int
    doubled: int
    count_mismatch: int
    acked_not_recorded: int
    examples: list[str]


def check_votes(
    expected: dict[tuple[str, int], set[str]], stored: Stored, events: Sequence[Event]
) -> VoteCheck:
    want = {(c, n, u) for (c, n), users in expected.items() for u in users}
    scope = set(expected)
    have = {v for v in stored.votes if (v[0], v[1]) in scope}
    lost = want - have
    extra = have - want
    mismatch = 0
    for key in scope:
        rows = sum(1 for v in have if (v[0], v[1]) == key)
        mismatch += abs(stored.counts.get(key, 0) - rows)
    # Acknowledged vote-emoji events of members other than the author that left no trace
    # in the reaction log: acknowledged but never recorded.
    unrecorded = [
        e
        for e in events
        if e.acked
        and is_vote(e.name)
        and e.user != e.post.author
        and e.event_id not in stored.logged_events
    ]
    examples = [f"lost {c} #{n} vote of {u}" for c, n, u in sorted(lost)[:3]]
    examples += [f"doubled {c} #{n} vote of {u}" for c, n, u in sorted(extra)[:3]]
    examples += [
        f"acked, not recorded: {e.event_id} {'add' if e.added else 'remove'} :{e.name}: "
        f"by {e.user} on {e.post.challenge} #{e.post.number}"
        for e in unrecorded[:3]
    ]
    return VoteCheck(
        truth=len(want),
        stored=len(have),
        lost=len(lost),
        doubled=len(extra) + mismatch,
        count_mismatch=mismatch,
        acked_not_recorded=len(unrecorded),
        examples=examples,
    )


@dataclass
class PostCheck:
    due: int
    made: int
    missing: int
    doubled: int
    unexpected: int
    notices: int
    badge_dms: int
    badge_dms_doubled: int
    #: badges stored whose member got no direct message of them
    badge_dms_missing: int
    #: notices to an idea's followers in their direct messages (its final place, say), and
    #: those a member got more than once
    follower_dms: int
    follower_dms_doubled: int
    final_tallies_wrong: int
    #: "kind slug channel" -> seconds from the deadline to the post (final results, notices)
    delays_s: dict[str, float]
    examples: list[str]


@dataclass
class Expected:
    """The posts that must exist, each once: (kind, challenge title, channel, idea title)."""

    keys: set[tuple[str, str, str, str]] = field(default_factory=set)
    #: challenge title -> its slug, for challenges with deadlines
    slugs: dict[str, str] = field(default_factory=dict)
    #: (kind, challenge title) -> the deadline (time.time()) the post follows
    deadlines: dict[tuple[str, str], float] = field(default_factory=dict)

    def challenge(self, title: str, venues: Sequence[str]) -> None:
        for venue in venues:
            self.keys.add(("announce", title, venue, ""))

    def idea(self, challenge_title: str, venues: Sequence[str], idea_title: str) -> None:
        """An idea's post in each venue; once its challenge's final results fall due (call
        `final` first), its final place told in the post's thread as well."""
        final = ("final", challenge_title) in self.deadlines
        for venue in venues:
            self.keys.add(("idea", challenge_title, venue, idea_title))
            if final:
                self.keys.add(("placed", challenge_title, venue, idea_title))

    def voting(self, title: str, slug: str, venues: Sequence[str], closes_at: float) -> None:
        self.slugs[title] = slug
        self.deadlines[("voting", title)] = closes_at
        for venue in venues:
            self.keys.add(("voting", title, venue, ""))

    def final(self, title: str, slug: str, venues: Sequence[str], closes_at: float) -> None:
        self.slugs[title] = slug
        self.deadlines[("final", title)] = closes_at
        for venue in venues:
            self.keys.add(("final", title, venue, ""))


_IDEA = re.compile(r"^💡 #(\d+) · (.+)$")
_TALLY = re.compile(r"#(\d+) .*? — (\d+) votes?$")
#: the final place of an idea, told in its post's thread (bot/notices.py, `placed`)
_PLACED = re.compile(r"^🏁 #(\d+) (.+?) finished ")
_PLACED_VOTES = re.compile(r"Final results of .+: (\d+) votes?\.$")


def _owner(idea: str, titles: Sequence[str]) -> str:
    """The title of the challenge an idea's title ("A-01 …") belongs to."""
    return next((t for t in titles if idea.startswith(t.split()[-1] + "-")), "?")


def classify(message: Any, titles: Sequence[str]) -> tuple[str, str, str, str] | None:
    """A message as (kind, challenge title, channel, idea title), or None if not a post."""
    header = header_of(message.blocks)
    channel = message.channel
    if header.startswith("💡 "):
        found = _IDEA.match(header)
        idea = found.group(2) if found else header
        return ("idea", _owner(idea, titles), channel, idea)
    placed = _PLACED.match(header)
    if placed and message.thread_ts:
        return ("placed", _owner(placed.group(2), titles), channel, placed.group(2))
    for title in titles:
        if header.startswith("📣 ") and title in header:
            return ("announce", title, channel, "")
        if header == f"⏳ Submissions for {title} are closed":
            return ("voting", title, channel, "")
        if header == f"🏆 Final results: {title}":
            return ("final", title, channel, "")
        if header == f"📊 This week in {title}":
            return ("weekly", title, channel, "")
    return ("other", header[:40], channel, "")


def check_posts(
    fake: ChaosSlack,
    expected: Expected,
    titles: Sequence[str],
    tallies: dict[str, dict[int, int]],
    badges: Counter[tuple[str, str]],
) -> PostCheck:
    """Posts due against posts made, per venue; and the final results' tallies against
    the truth (`tallies`: challenge slug -> idea number -> votes)."""
    made: Counter[tuple[str, str, str, str]] = Counter()
    notices = badge_dms = 0
    dms: Counter[tuple[str, str]] = Counter()
    told: Counter[tuple[str, str]] = Counter()  # followers' notices, by member and title
    wrong = 0
    delays: dict[str, float] = {}
    examples: list[str] = []
    for (channel, ts), message in list(fake.messages.items()):
        if channel == MOD_CHANNEL:
            notices += 1
            continue
        if channel.startswith("D"):
            header = header_of(message.blocks)
            if header.startswith(BADGE_DM):
                badge_dms += 1
                dms[(channel[1:], header)] += 1
            else:
                told[(channel[1:], header)] += 1
            continue
        key = classify(message, titles)
        if key is None:
            continue
        if key[0] == "placed":
            why = _misplaced(fake, message, key, tallies, expected)
            if why is not None:
                key = ("other", why, channel, "")
        made[key] += 1
        deadline = expected.deadlines.get((key[0], key[1]))
        posted = fake.posted_at.get((channel, ts))
        if deadline is not None and posted is not None:
            slug = expected.slugs[key[1]]
            delays[f"{key[0]} {slug} {channel}"] = round(posted - deadline, 1)
        if key[0] == "final" and key[1] in expected.slugs:
            slug = expected.slugs[key[1]]
            for line in text_of({"blocks": message.blocks}).splitlines():
                found = _TALLY.search(line.strip())
                if found:
                    number, votes = int(found.group(1)), int(found.group(2))
                    right = tallies.get(slug, {}).get(number)
                    if right is not None and right != votes:
                        wrong += 1
                        if len(examples) < 6:
                            examples.append(
                                f"final results in {channel} say #{number} has {votes} votes, "
                                f"truth {right}"
                            )
    due = len(expected.keys)
    got = sum(made[k] for k in expected.keys)
    missing = [k for k in expected.keys if made[k] == 0]
    doubled = sum(max(0, made[k] - 1) for k in expected.keys)
    unexpected = {k: n for k, n in made.items() if k not in expected.keys}
    examples += [f"missing {k[0]} {k[1]} {k[3]} in {k[2]}".replace("  ", " ") for k in missing[:4]]
    examples += [
        f"{made[k]}× {k[0]} {k[1]} {k[3]} in {k[2]}" for k in expected.keys if made[k] > 1
    ][:4]
    examples += [f"unexpected {n}× {k}" for k, n in list(unexpected.items())[:4]]
    return PostCheck(
        due=due,
        made=got,
        missing=len(missing),
        doubled=doubled,
        unexpected=sum(unexpected.values()),
        notices=notices,
        badge_dms=badge_dms,
        badge_dms_doubled=beyond(dms, badge_news(badges)),
        badge_dms_missing=beyond(badge_news(badges), dms),
        follower_dms=sum(told.values()),
        follower_dms_doubled=sum(n - 1 for n in told.values()),
        final_tallies_wrong=wrong,
        delays_s=delays,
        examples=examples,
    )


def _misplaced(
    fake: ChaosSlack,
    message: Any,
    key: tuple[str, str, str, str],
    tallies: dict[str, dict[int, int]],
    expected: Expected,
) -> str | None:
    """Why a final place told in a thread is wrong, if it is: not in the thread of the
    idea it names, or not with that idea's true votes."""
    placed = _PLACED.match(header_of(message.blocks))
    if placed is None:
        return None
    number = int(placed.group(1))
    parent = fake.messages.get((message.channel, message.thread_ts))
    found = _IDEA.match(header_of(parent.blocks)) if parent is not None else None
    if found is None or int(found.group(1)) != number:
        return f"idea #{number}'s final place in another thread"
    right = tallies.get(expected.slugs.get(key[1], ""), {}).get(number)
    for line in text_of({"blocks": message.blocks}).splitlines():
        votes = _PLACED_VOTES.search(line.strip())
        if votes and right is not None and int(votes.group(1)) != right:
            return f"idea #{number} placed with {votes.group(1)} votes, truth {right}"
    return None


#: how a badge's direct message begins ("🎖️ You earned 💡 Spark")
BADGE_DM = "🎖️ You earned "


def beyond(counted: Counter[tuple[str, str]], allowed: Counter[tuple[str, str]]) -> int:
    """How many of `counted` go beyond what `allowed` allows, key by key: direct messages
    "You earned <badge>" beyond the badges of that kind stored for the member (a member
    earns 🗳️ Voice once per challenge, so two can be right), or badges stored beyond the
    messages that told of them."""
    return sum(max(0, n - allowed[key]) for key, n in counted.items())


def badge_news(badges: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """(member, kind) of the badges stored, as (member, header) of the messages telling
    of them."""
    from bot.model import BadgeKind

    stored: Counter[tuple[str, str]] = Counter()
    for (user, kind), n in badges.items():
        with contextlib.suppress(ValueError):
            stored[(user, f"{BADGE_DM}{BadgeKind(kind).label}")] += n
    return stored


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
