"""Data migrations: a community as revision 0002 stored it comes through the vote log
migrations (0003, 0004) with its votes, counts, points, badges and posts intact.

The database is built at 0002 with Alembic, filled with plain SQL on the tables as 0002
shaped them (reflected, not storage.schema's), then brought to the head. Checks go through
SqlStore and the bot's own vote log code. PostgreSQL runs with a session time zone other
than UTC, as a server may be set up.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from alembic import command
from sqlalchemy import MetaData, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot import votelog
from bot.counting import Counting, exported
from bot.ports import PointWeights
from bot.settings import PointsSettings
from bot.weeks import week_of
from storage.database import SqlDatabase, create_engine
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.store import SqlStore
from tests.conftest import (
    BACKENDS,
    CONNECT_TIMEOUT_S,
    _asyncpg_dsn,
    _require_postgres,
    _sqlalchemy_url,
    postgres_url,
)

RELEASED = "0002"

W1 = "2025-03-03"  # Monday of challenge A's votes
W2 = "2025-03-10"  # Monday of challenge B's votes

COMMUNITY = 1
ADA, BO, CY, DI, ED, FLO = 1, 2, 3, 4, 5, 6
NAMES = {ADA: "Ada", BO: "Bo", CY: "Cy", DI: "Di", ED: "Ed", FLO: "Flo"}
CLOSED, OPEN = 1, 2

#: idea id (= number): challenge, author, anonymous, status, merged into, vote_count as 0002
#: kept it (a head counts its family's voters once, its author's never; #4's count stayed
#: as it was when it was merged).
IDEAS = {
    1: (CLOSED, BO, False, "published", None, 3),
    2: (CLOSED, CY, False, "shortlisted", None, 2),
    3: (OPEN, DI, False, "published", None, 3),
    4: (OPEN, ED, False, "merged", 3, 3),
    5: (OPEN, FLO, True, "published", None, 3),
}

#: The reaction events 0002 logged, in order: idea, member, action, emoji, effect.
EVENTS = [
    # challenge A, week W1
    (1, ADA, "add", "👍", "vote added"),
    (1, CY, "add", "👍", "vote added"),
    (1, BO, "add", "👍", "ignored: self-vote"),
    (1, DI, "add", "👍🏽", "vote added"),
    (2, ED, "add", "👍", "vote added"),
    (2, ED, "remove", "👍", "vote removed"),
    (2, FLO, "add", "👍", "vote added"),
    (2, ADA, "add", "👍", "vote added"),
    (2, DI, "add", "🎉", "ignored: not the vote emoji"),
    # challenge B, week W2 (#4 was merged into #3 after these)
    (3, ADA, "add", "👍", "vote added"),
    (4, BO, "add", "👍", "vote added"),
    (3, BO, "add", "👍", "vote added"),
    (4, CY, "add", "👍", "vote added"),
    (4, DI, "add", "👍", "vote added"),
    (5, ADA, "add", "👍", "vote added"),
    (5, BO, "add", "👍", "vote added"),
    (5, CY, "add", "👍", "vote added"),
    (5, FLO, "add", "👍", "ignored: self-vote"),
]

#: member_week_points as 0002 kept them: (ideas_published, votes_received, votes_cast, bonus)
POINTS = {
    (ADA, W1): (0, 0, 2, 0),
    (BO, W1): (1, 3, 0, 10),  # 10: first place of challenge A
    (CY, W1): (1, 2, 1, 0),
    (DI, W1): (0, 0, 1, 0),
    (ED, W1): (0, 0, 0, 0),
    (FLO, W1): (0, 0, 1, 0),
    (ADA, W2): (0, 0, 2, 0),
    (BO, W2): (0, 0, 3, 0),
    (CY, W2): (0, 0, 2, 0),
    (DI, W2): (1, 2, 1, 0),
    (ED, W2): (1, 3, 0, 0),
    (FLO, W2): (1, 3, 0, 0),
}

#: Points per week before the migration, by hand (published 3, received 1, cast 1, cap 10).
TOTALS = {
    W1: {ADA: 2, BO: 3 + 3 + 10, CY: 3 + 2 + 1, DI: 1, FLO: 1},
    W2: {ADA: 2, BO: 3, CY: 2, DI: 3 + 2 + 1, ED: 3 + 3, FLO: 3 + 3},
}
#: Flo's publication (3) and 3 votes received in W2 came with the anonymous #5: private now.
PUBLIC_TOTALS = {W1: TOTALS[W1], W2: {**TOTALS[W2], FLO: 0}}

#: received_points from the entries 0002 logged: (challenge, member, week, private) -> votes
#: (Cy's W1: Ed's vote on #2 added and removed, Flo's and Ada's; Di's W2: Ada's and Bo's on
#: #3; Ed's W2: Bo's, Cy's and Di's on #4; Flo's W2, private: #5's three).
RECEIVED = {
    (CLOSED, BO, W1, False): 3,
    (CLOSED, CY, W1, False): 2,
    (OPEN, DI, W2, False): 2,
    (OPEN, ED, W2, False): 3,
    (OPEN, FLO, W2, True): 3,
}

#: The migration's correction entries (idea, member, counted): #4 is merged into #3, so its
#: votes stop counting for it and count for #3, once per member and never for #3's author
#: Di (Bo counts for #3 already).
CORRECTIONS = {(3, CY, 1), (4, BO, -1), (4, CY, -1), (4, DI, -1)}
#: What they credit in their week, as every later entry would ("points follow counted
#: votes"): Di receives Cy's vote, Ed gives back the three that #4 received in W2 (in all,
#: Ed's received votes come to 0, Di's to 3: #3's count).
MOVED = {(OPEN, DI, False): 1, (OPEN, ED, False): -3}

#: What the log must count: the ranking as 0002 had it (nothing for the merged #4).
STANDINGS = {CLOSED: {1: 3, 2: 2}, OPEN: {3: 3, 5: 3}}


def _received_after(moved: str) -> dict[tuple[int, int, str, bool], int]:
    """received_points after the migration, its corrections recorded in week `moved`."""
    out = Counter(RECEIVED)
    for (challenge, member, private), n in MOVED.items():
        out[(challenge, member, moved, private)] += n
    return {k: n for k, n in out.items() if n}


def _points_after(moved: str) -> tuple[dict[str, dict[int, int]], dict[str, dict[int, int]]]:
    """Points per week after the migration (received 1 point a vote): as others see them,
    and in all."""
    public = {w: dict(p) for w, p in PUBLIC_TOTALS.items()}
    everything = {w: dict(p) for w, p in TOTALS.items()}
    for totals in (public, everything):
        for (_, member, _), n in MOVED.items():
            week = totals.setdefault(moved, {})
            week[member] = week.get(member, 0) + n
    return public, everything


def _week_start(week: str) -> datetime:
    return datetime.fromisoformat(week).replace(tzinfo=UTC)


def _event_time(n: int, idea: int) -> datetime:
    week = W1 if IDEAS[idea][0] == CLOSED else W2
    return _week_start(week) + timedelta(days=1, hours=9, minutes=n, microseconds=123456 + n)


def _vote_rows() -> dict[tuple[int, int], datetime]:
    """(idea, member) -> cast_at of the votes the events left."""
    held: dict[tuple[int, int], datetime] = {}
    for n, (idea, member, _, _, effect) in enumerate(EVENTS):
        if effect == "vote added":
            held[(idea, member)] = _event_time(n, idea)
        elif effect == "vote removed":
            del held[(idea, member)]
    return held


class Community0002:
    """Inserts the community into tables as 0002 shaped them."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.tables = MetaData()
        self.tables.reflect(connection)

    def when(self, value: datetime | None) -> datetime | None:
        # The application stored naive UTC on SQLite, aware times on PostgreSQL.
        if value is None:
            return None
        return value.replace(tzinfo=None) if self.sqlite else value

    def add(self, table: str, *rows: dict[str, Any]) -> None:
        t = self.tables.tables[table]
        values = [
            {k: self.when(v) if isinstance(v, datetime) else v for k, v in row.items()}
            for row in rows
        ]
        self.conn.execute(insert(t), values)

    def fill(self) -> None:
        start = _week_start(W1) - timedelta(days=30)
        self.add(
            "communities",
            {
                "id": COMMUNITY,
                "platform": "discord",
                "external_id": "guild-1",
                "name": "Makers",
                "next_idea_number": 6,
                "created_at": start,
            },
        )
        self.add(
            "members",
            *(
                {
                    "id": m,
                    "community_id": COMMUNITY,
                    "external_id": f"user-{m}",
                    "display_name": name,
                    "is_bot": False,
                    "first_seen_at": start,
                    "account_created_at": start - timedelta(days=400),
                    "joined_at": start,
                    "blocked": False,
                }
                for m, name in NAMES.items()
            ),
        )
        challenge = {
            "community_id": COMMUNITY,
            "brief": "What should we build?",
            "terms": None,
            "created_by": ADA,
            "created_at": start,
            "submissions_close": None,
            "voting_close": None,
            "deleted_at": None,
            "vote_emoji": "👍",
            "ideas_per_member": 3,
            "review": False,
            "self_votes": False,
            "min_account_age_s": 0,
            "min_member_age_s": 0,
            "sealed": False,
            "schedule": "weekly",
            "timezone": "Europe/Berlin",
            "report_venue": None,
        }
        self.add(
            "challenges",
            {
                **challenge,
                "id": CLOSED,
                "slug": "spring",
                "title": "Spring",
                "phase": "closed",
                "opened_at": _week_start(W1),
                "submissions_close_at": _week_start(W1) + timedelta(days=1),
                "voting_close_at": _week_start(W1) + timedelta(days=5),
                "closed_at": _week_start(W1) + timedelta(days=5),
            },
            {
                **challenge,
                "id": OPEN,
                "slug": "summer",
                "title": "Summer",
                "phase": "open",
                "opened_at": _week_start(W2),
                "submissions_close_at": None,
                "voting_close_at": None,
                "closed_at": None,
            },
        )
        self.add(
            "venues",
            {"id": 1, "challenge_id": CLOSED, "channel_id": "chan-1"},
            {"id": 2, "challenge_id": OPEN, "channel_id": "chan-1"},
        )
        for i in sorted(IDEAS, key=lambda i: IDEAS[i][4] is not None):  # heads first
            challenge_id, author, anonymous, status, merged_into, count = IDEAS[i]
            week = W1 if challenge_id == CLOSED else W2
            self.add(
                "ideas",
                {
                    "id": i,
                    "community_id": COMMUNITY,
                    "challenge_id": challenge_id,
                    "number": i,
                    "title": f"Idea {i}",
                    "description": "…",
                    "author_id": author,
                    "anonymous": anonymous,
                    "status": status,
                    "status_note": None,
                    "merged_into_id": merged_into,
                    "vote_count": count,
                    "submitted_at": _week_start(week),
                    "published_at": _week_start(week),
                    "updated_at": _week_start(week) + timedelta(days=2),
                    "first_foreign_vote_at": _week_start(week) + timedelta(days=1),
                },
            )
        self.add(
            "idea_posts",
            *(
                {
                    "id": i,
                    "community_id": COMMUNITY,
                    "idea_id": i,
                    "channel_id": "chan-1",
                    "message_id": f"msg-{i}",
                    "posted_at": _week_start(W1 if IDEAS[i][0] == CLOSED else W2),
                    "settled_at": None,
                }
                for i in IDEAS
            ),
        )
        votes = _vote_rows()
        self.add(
            "votes",
            *(
                {
                    "idea_id": i,
                    "member_id": m,
                    "challenge_id": IDEAS[i][0],
                    "cast_at": at,
                    "week": W1 if IDEAS[i][0] == CLOSED else W2,
                }
                for (i, m), at in votes.items()
            ),
        )
        self.add(
            "reaction_log",
            *(
                {
                    "community_id": COMMUNITY,
                    "event_id": f"evt-{n + 1}",
                    "post_id": idea,
                    "idea_id": idea,
                    "member_id": member,
                    "action": action,
                    "emoji": emoji,
                    "occurred_at": _event_time(n, idea) - timedelta(milliseconds=40),
                    "recorded_at": _event_time(n, idea),
                    "source": "event",
                    "effect": effect,
                }
                for n, (idea, member, action, emoji, effect) in enumerate(EVENTS)
            ),
        )
        states: dict[tuple[int, int], tuple[bool, datetime]] = {}
        for n, (idea, member, action, emoji, _) in enumerate(EVENTS):
            if emoji.startswith("👍"):
                states[(idea, member)] = (action == "add", _event_time(n, idea))
        self.add(
            "reaction_states",
            *(
                {"post_id": i, "member_id": m, "present": present, "changed_at": at}
                for (i, m), (present, at) in states.items()
            ),
        )
        self.add(
            "member_week_points",
            *(
                {
                    "community_id": COMMUNITY,
                    "member_id": m,
                    "week": week,
                    "ideas_published": p,
                    "votes_received": r,
                    "votes_cast": c,
                    "bonus": b,
                }
                for (m, week), (p, r, c, b) in POINTS.items()
            ),
        )
        closed = _week_start(W1) + timedelta(days=5)
        self.add(
            "badges",
            {
                "id": 1,
                "community_id": COMMUNITY,
                "member_id": BO,
                "kind": "spark",
                "key": f"spark:{BO}",
                "challenge_id": CLOSED,
                "idea_id": 1,
                "awarded_at": _week_start(W1),
            },
            {
                "id": 2,
                "community_id": COMMUNITY,
                "member_id": BO,
                "kind": "gold",
                "key": f"gold:{CLOSED}",
                "challenge_id": CLOSED,
                "idea_id": 1,
                "awarded_at": closed,
            },
        )
        post = {
            "claimed_by": "bot-1",
            "next_attempt_at": None,
            "last_error": None,
        }
        self.add(
            "scheduled_posts",
            {
                **post,
                "id": 1,
                "challenge_id": CLOSED,
                "kind": "final",
                "period": "final",
                "due_at": closed,
                "state": "sent",
                "claimed_at": closed,
                "attempts": 1,
                "sent_at": closed + timedelta(seconds=2),
                "message_ids": '["chan-1 msg-90"]',
            },
            {
                **post,
                "id": 2,
                "challenge_id": OPEN,
                "kind": "digest",
                "period": W2,
                "due_at": _week_start(W2) + timedelta(days=7),
                "state": "failed",
                "claimed_at": _week_start(W2) + timedelta(days=7),
                "attempts": 5,
                "sent_at": None,
                "message_ids": None,
                "last_error": "403 Forbidden",
            },
        )


@asynccontextmanager
async def _engine(backend: str, tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, str | None]]:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own (as conftest's
    postgres_database makes them), in a session time zone that is not UTC."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cocreate.db'}")
        try:
            yield engine, None
        finally:
            await engine.dispose()
        return
    url = postgres_url()
    await _require_postgres(url)
    schema = f"m_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT_S)
    try:
        await admin.execute("SET lock_timeout = '10s'")
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        settings = {"search_path": schema, "application_name": schema, "timezone": "Asia/Tokyo"}
        engine = create_async_engine(
            _sqlalchemy_url(url), connect_args={"server_settings": settings}
        )
        try:
            yield engine, schema
        finally:
            await engine.dispose()
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = $1 AND pid <> pg_backend_pid()",
                schema,
            )
            await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


async def _at_released(engine: AsyncEngine, schema: str | None) -> None:
    """The database at 0002, holding the community."""

    def build(connection: Connection) -> None:
        command.upgrade(alembic_config(connection, schema), RELEASED)

    async with engine.begin() as connection:
        await connection.run_sync(build)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: Community0002(c).fill())


async def _snapshot(store: SqlStore) -> dict[str, Any]:
    """Everything the checks look at, to compare a second upgrade with the first."""
    community = await store.community_by_id(COMMUNITY)
    logs = {c: [astuple(e) for e in await store.vote_log(c)] for c in (CLOSED, OPEN)}
    return {
        "community": community,
        "logs": logs,
        "chains": {c: await store.chain(c) for c in (CLOSED, OPEN)},
        "ideas": await store.ideas_by_ids(IDEAS),
        "posts": await store.posts_by_ids([1, 2]),
        "badges": await store.badges(COMMUNITY),
        "received": await _received(store),
        "points": await _week_points(store),
    }


async def _received(store: SqlStore) -> dict[tuple[int, int, str, bool], int]:
    from storage.schema import received_points as r

    rows = await store.conn.execute(
        select(r.c.challenge_id, r.c.member_id, r.c.week, r.c.private, r.c.votes).where(
            r.c.community_id == COMMUNITY
        )
    )
    return {(int(a), int(b), str(c), bool(d)): int(n) for a, b, c, d, n in rows}


async def _week_points(store: SqlStore) -> dict[tuple[int, str, bool], tuple[int, int, int]]:
    """member_week_points: (member, week, private) -> (published, cast, bonus)."""
    from storage.schema import member_week_points as t

    rows = await store.conn.execute(
        select(
            t.c.member_id, t.c.week, t.c.private, t.c.ideas_published, t.c.votes_cast, t.c.bonus
        ).where(t.c.community_id == COMMUNITY)
    )
    return {(int(m), str(w), bool(p)): (int(a), int(c), int(b)) for m, w, p, a, c, b in rows}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_released_community_comes_through_the_vote_log_migrations(
    backend: str, tmp_path: Path
) -> None:
    async with _engine(backend, tmp_path) as (engine, schema):
        await _at_released(engine, schema)
        assert await current_revision(engine, schema) == RELEASED

        await upgrade(engine, schema)
        assert await current_revision(engine, schema) == head_revision()

        database = SqlDatabase(engine)
        p = PointsSettings()
        weights = PointWeights(
            p.idea_published, p.vote_received, p.vote_cast, p.vote_cast_weekly_cap
        )
        async with database.transaction() as store:
            community = await store.community_by_id(COMMUNITY)
            assert len(community.audit_key) == 64
            int(community.audit_key, 16)
            challenges = {c.id: c for c in await store.challenges(COMMUNITY)}
            assert set(challenges) == {CLOSED, OPEN}
            ideas = await store.ideas_by_ids(IDEAS)

            for challenge_id, challenge in challenges.items():
                entries = await exported(store, community, challenge)  # raises if altered
                rows = await store.vote_log(challenge_id)
                dumped = [e.as_json() for e in entries]
                verdict = votelog.verify(dumped, store_head := (await store.chain(challenge_id))[1])
                assert verdict.ok, verdict.problems
                assert (verdict.entries, verdict.head) == (len(rows), store_head)
                assert await store.chain(challenge_id) == (len(rows), store_head)
                # Every event 0002 logged is there, in its order, as it happened.
                old = [e for e in EVENTS if IDEAS[e[0]][0] == challenge_id]
                assert len(rows) >= len(old)
                assert [(r.idea_id, r.member_id, r.action, r.emoji, r.effect) for r in rows][
                    : len(old)
                ] == old
                assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
                assert all(r.event_id is not None for r in rows[: len(old)])
                # The counts 0002 kept are what the log counts, idea by idea; every idea's
                # count is its standing in the log (the merged #4's 0, not the 3 0002 left),
                # and who counts for it by the running code's rule.
                standings = votelog.standings(entries)
                assert standings == STANDINGS[challenge_id]
                mine = [i for i, idea in ideas.items() if idea.challenge_id == challenge_id]
                for i in mine:
                    rule = (await Counting().counted(store, [i], challenge))[i]
                    assert ideas[i].vote_count == standings.get(i, 0) == len(rule)
                    if ideas[i].status.public:
                        assert ideas[i].vote_count == IDEAS[i][5]
                counted = votelog.verify(dumped, claimed_standings=standings)
                assert counted.ok, counted.problems

            # Pseudonyms: the same member is the same name in both logs, keyed per community.
            ada = votelog.pseudonym(community.audit_key, ADA)
            assert (await exported(store, community, challenges[OPEN]))[0].member == ada

            # Votes kept, none voided; the merged idea still points at its head.
            for i, (_, author, anonymous, status, merged_into, _) in IDEAS.items():
                idea = ideas[i]
                assert (idea.author_id, idea.anonymous, idea.status.value) == (
                    author,
                    anonymous,
                    status,
                )
                assert idea.merged_into_id == merged_into
            voters = await store.voters(IDEAS)
            assert {(v.idea_id, v.member_id): v.cast_at for v in voters} == _vote_rows()
            assert not any(v.voided for v in voters)
            assert await store.voided_members([CLOSED, OPEN], NAMES) == set()

            # The corrections, all recorded at the migration, in the week `moved`.
            fixes = [r for r in await store.vote_log(OPEN) if r.source == "migration"]
            assert {(r.idea_id, r.member_id, r.counted) for r in fixes} == CORRECTIONS
            assert len({r.recorded_at for r in fixes}) == 1
            moved = week_of(fixes[0].recorded_at)
            assert not [r for r in await store.vote_log(CLOSED) if r.source == "migration"]

            # Points: received votes per author and week as the log credits them, apart for
            # the anonymous idea; crediting them again (a seal, an unseal, a close) changes
            # nothing.
            assert await _received(store) == _received_after(moved)
            for challenge in challenges.values():
                await Counting().credit(store, challenge)
            assert await _received(store) == _received_after(moved)
            public_totals, totals = _points_after(moved)
            for week in sorted({W1, W2, moved}):
                board = await store.leaderboard(COMMUNITY, weights, week, week, 100)
                shown = {m: n for m, n in public_totals[week].items() if n > 0}
                assert {r.member_id: r.points for r in board} == shown
            # All time is summed by month (0019 summed the weeks there was, by month).
            board = await store.leaderboard(COMMUNITY, weights, None, None, 100)
            all_time = {m: sum(t.get(m, 0) for t in public_totals.values()) for m in NAMES}
            assert {r.member_id: r.points for r in board} == {
                m: n for m, n in all_time.items() if n > 0
            }
            for m in NAMES:
                everything = sum(t.get(m, 0) for t in totals.values())
                public = sum(t.get(m, 0) for t in public_totals.values())
                assert await store.member_points(COMMUNITY, m, weights) == (public, everything)

            # The publication of the anonymous #5 is Flo's private point now, as the bot
            # records it: others see its weight less, Flo's total is what it was.
            assert await _week_points(store) == {
                **{(m, w, False): (p, c, b) for (m, w), (p, _, c, b) in POINTS.items()},
                (FLO, W2, False): (0, 0, 0),
                (FLO, W2, True): (1, 0, 0),
            }
            before_0004 = sum(TOTALS[w].get(FLO, 0) for w in (W1, W2))
            assert await store.member_points(COMMUNITY, FLO, weights) == (
                before_0004 - weights.idea_published - 3 * weights.vote_received,
                before_0004,
            )

            # Badges and scheduled posts survive; a failed post is tried again.
            assert [
                (b.member_id, b.kind.value, b.challenge_id) for b in await store.badges(COMMUNITY)
            ] == [(BO, "spark", CLOSED), (BO, "gold", CLOSED)]
            posts = {p.id: p for p in await store.posts_by_ids([1, 2])}
            final, digest = posts[1], posts[2]
            assert (final.kind, final.period, final.state, final.message_ids) == (
                "final",
                "final",
                "sent",
                ("chan-1 msg-90",),
            )
            assert (digest.kind, digest.period, digest.state, digest.attempts) == (
                "digest",
                W2,
                "retry",
                5,
            )
            assert (
                digest.next_attempt_at == digest.claimed_at == _week_start(W2) + timedelta(days=7)
            )
            assert digest.last_error == "403 Forbidden" and digest.payload is None
            before = await _snapshot(store)

        # Once at the head, upgrading again changes nothing.
        await upgrade(engine, schema)
        assert await current_revision(engine, schema) == head_revision()
        async with database.transaction() as store:
            assert await _snapshot(store) == before
        await database.close()


#: When the sealed variant of challenge A closed: a week after its votes.
SEALED_CLOSE = _week_start(W2) + timedelta(days=2)


def _seal_both(connection: Connection) -> None:
    """Both challenges sealed, A closed in W2; Flo's public W2 row without the publication."""
    community = Community0002(connection)
    t = community.tables.tables
    challenges, points = t["challenges"], t["member_week_points"]
    connection.execute(update(challenges).values(sealed=True))
    connection.execute(
        update(challenges)
        .where(challenges.c.id == CLOSED)
        .values(closed_at=community.when(SEALED_CLOSE))
    )
    connection.execute(
        update(points)
        .where((points.c.member_id == FLO) & (points.c.week == W2))
        .values(ideas_published=0)
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sealed_challenges_credit_nothing_until_closed_then_all_in_the_closing_week(
    backend: str, tmp_path: Path
) -> None:
    async with _engine(backend, tmp_path) as (engine, schema):
        await _at_released(engine, schema)
        async with engine.begin() as connection:
            await connection.run_sync(_seal_both)

        await upgrade(engine, schema)

        database = SqlDatabase(engine)
        async with database.transaction() as store:
            challenges = {c.id: c for c in await store.challenges(COMMUNITY)}
            assert all(c.settings.sealed for c in challenges.values())
            # A's votes in the week it closed (W2, not W1 when they were cast); the open B's
            # (its corrections too) not yet. Crediting again changes nothing.
            credited = {(CLOSED, BO, W2, False): 3, (CLOSED, CY, W2, False): 2}
            assert week_of(SEALED_CLOSE) == W2
            assert await _received(store) == credited
            for challenge in challenges.values():
                await Counting().credit(store, challenge)
            assert await _received(store) == credited

            # Counts are the log's, sealed or not.
            ideas = await store.ideas_by_ids(IDEAS)
            for challenge_id, challenge in challenges.items():
                community = await store.community_by_id(COMMUNITY)
                standings = votelog.standings(await exported(store, community, challenge))
                assert standings == STANDINGS[challenge_id]
                for i, idea in ideas.items():
                    if idea.challenge_id == challenge_id:
                        assert idea.vote_count == standings.get(i, 0)

            # Flo's public row lacked the publication of #5: left as it was, nothing moved.
            points = await _week_points(store)
            assert points[(FLO, W2, False)] == (0, 0, 0)
            assert not [k for k in points if k[2]]
        await database.close()
