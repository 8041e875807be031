"""Pieces shared by the benchmarks: a hand-driven clock, an in-memory publisher, settings
on a throwaway SQLite file, figures and the final JSON line."""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.messages import (
    Actor,
    CommunityRef,
    Invocation,
    Post,
    PostKind,
    PostReceipt,
    Reply,
    ThreadRef,
)
from bot.settings import Settings, load_settings

PLATFORM = "bench"
COMMUNITY = CommunityRef(PLATFORM, "bench-community", "Bench")
CHANNEL = "ideas"
MODERATOR = Actor("mod", "Moderator", is_moderator=True)


SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Made-up words for idea texts. Real words would make ideas look alike to the
    similarity hints of `/idea submit`, which cost setup time and are not measured."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class BenchClock:
    """Stands still until moved by hand; always aware UTC (the core's `Clock` port)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        """Move to `at`, never backwards."""
        self._now = max(self._now, at.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass
class BenchPublisher:
    """Keeps posts in memory and answers with message ids, like a platform would."""

    #: (idea number, channel, message id) of every idea post, in publication order
    idea_posts: list[tuple[int, str, str]] = field(default_factory=list)
    published: int = 0
    updated: int = 0
    direct_messages: int = 0
    #: badges announced to the platform, by kind
    badges: collections.Counter[str] = field(default_factory=collections.Counter)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        self.published += 1
        message_id = f"msg-{next(self._ids)}"
        if post.kind is PostKind.IDEA and post.idea_number is not None:
            self.idea_posts.append((post.idea_number, post.channel_id, message_id))
        return PostReceipt(post.channel_id, message_id)

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        self.updated += 1

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: Any
    ) -> None:
        self.badges[str(getattr(badge, "value", badge))] += 1

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        return ThreadRef(receipt.channel_id, receipt.message_id)

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Any
    ) -> PostReceipt:
        self.published += 1
        return PostReceipt(thread.channel_id, f"msg-{next(self._ids)}")

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Any,
        attachments: Sequence[Any] = (),
    ) -> str:
        self.direct_messages += 1
        return f"dm-{next(self._ids)}"

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        return None

    async def thread_activity(self, community: CommunityRef, thread: ThreadRef) -> Any:
        return None


class Workdir:
    """A fresh temporary directory (`tempfile.mkdtemp`), removed by `close`."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="cocreate-bench-"))

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def bench_settings(db_file: Path, url: str | None = None) -> Settings:
    """Built-in defaults plus the database URL (a SQLite file unless `url` is given).

    An empty TOML file is passed explicitly so that a `cocreate.toml` in the working
    directory cannot change what is measured.
    """
    empty = db_file.parent / "bench.toml"
    empty.write_text("", encoding="utf-8")
    return load_settings(
        config_path=empty,
        environ={"COCREATE_STORAGE__URL": url or f"sqlite+aiosqlite:///{db_file.as_posix()}"},
    )


def _postgres_url(value: str) -> str:
    if not value.startswith("postgres"):
        raise argparse.ArgumentTypeError("expected a postgresql:// URL (without it: SQLite)")
    return value


def add_database_option(parser: argparse.ArgumentParser, whose: str = "") -> None:
    """`--database URL`: run on a scratch database of that PostgreSQL server instead of
    a SQLite file (`whose`: whose database it is, when the benchmark runs more than one
    program)."""
    parser.add_argument(
        "--database",
        type=_postgres_url,
        metavar="URL",
        help=f"{whose}a PostgreSQL server (postgresql://user@host:port/db): a scratch "
        "database is created there for the run and dropped after it (default: SQLite)",
    )


class PostgresScratch:
    """A fresh database on a PostgreSQL server for one benchmark run, dropped by `close`.

    `url` names any database on the server (postgresql://user@host:port/db, any driver
    prefix); the scratch database is created next to it."""

    def __init__(self, url: str, name: str) -> None:
        from sqlalchemy.engine import make_url

        base = make_url(url)
        self.name = name
        self._admin_dsn = base.set(drivername="postgresql").render_as_string(False)
        self.dsn = base.set(drivername="postgresql", database=name).render_as_string(False)
        self.url = base.set(drivername="postgresql+asyncpg", database=name).render_as_string(False)

    async def create(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        admin = await asyncpg.connect(self._admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            await admin.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await admin.close()

    async def close(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self._admin_dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def scratch_database(url: str | None, purpose: str) -> AsyncIterator[PostgresScratch | None]:
    """A scratch database for this run on the PostgreSQL server that `url` names (its
    name says `purpose`), dropped afterwards; None without a URL: the run is on SQLite."""
    if url is None:
        yield None
        return
    scratch = PostgresScratch(url, f"cocreate_{purpose}_{os.getpid()}")
    await scratch.create()
    try:
        yield scratch
    finally:
        await scratch.close()


def command(actor: Actor, text: str, channel: str = CHANNEL) -> Invocation:
    """A text command as the console and Slack adapters parse it."""
    from bot.core import parse_invocation

    return parse_invocation(text, COMMUNITY, channel, actor)


def check(reply: Reply, what: str) -> Reply:
    if not reply.ok:
        raise SystemExit(f"setup failed: {what}: {reply.card.title}: {reply.card.body}")
    return reply


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {"median_ms": round(statistics.median(ms), 3), "best_ms": round(min(ms), 3)}


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def target(label: str, value: float, limit: float, unit: str, *, at_least: bool = False) -> str:
    """A figure next to its target; informative only, never asserted."""
    met = value >= limit if at_least else value <= limit
    sign = "≥" if at_least else "≤"
    verdict = "meets" if met else "MISSES"
    return f"  {label:<34} {value:>12,.2f} {unit:<8} (target {sign} {limit:,} {unit}: {verdict})"


def emit(figures: dict[str, Any]) -> None:
    """The last line of output: every figure as one JSON object."""
    print(json.dumps(figures, sort_keys=False))
