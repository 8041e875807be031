"""Nothing acknowledged is lost: two processes on one PostgreSQL database, a database that
goes down and comes back, and a timer that never stops."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.core import Cocreate
from bot.errors import StorageUnavailable, UserError
from bot.ingest import DEFERRED
from bot.messages import IdeaPostRef, PostKind, ReactionAction, ReactionEvent
from bot.votes import Effect
from scheduler import Timer
from storage.database import SqlDatabase, classify
from storage.schema import member_week_points, members, reaction_log, received_points
from storage.store import SqlStore
from tests.faults import FlakyDatabase, PausingDatabase
from tests.harness import Harness

only_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


async def voters(h: Harness, number: int) -> set[str]:
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        idea = await store.idea_by_number(community.id, number)
        assert idea is not None
        ids = {v.member_id for v in await store.voters([idea.id])}
        found = {m.external_id for m in (await store.members_by_ids(ids)).values()}
        assert idea.vote_count == len(found), "the count agrees with the vote rows"
        return found


async def points(h: Harness) -> dict[str, tuple[int, int]]:
    """(votes cast, votes received) of each member, over every week."""
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        t, r = member_week_points.c, received_points.c
        cast = await store.conn.execute(
            select(members.c.external_id, func.sum(t.votes_cast))
            .join(members, members.c.id == t.member_id)
            .group_by(members.c.external_id)
        )
        received = await store.conn.execute(
            select(members.c.external_id, func.sum(r.votes))
            .join(members, members.c.id == r.member_id)
            .group_by(members.c.external_id)
        )
        totals = {m: [int(n), 0] for m, n in cast}
        for m, n in received:
            totals.setdefault(m, [0, 0])[1] = int(n)
        return {m: (c, n) for m, (c, n) in totals.items() if c or n}


async def waiting_for_a_lock(db: SqlDatabase) -> None:
    """Until another connection of this test waits for a lock (PostgreSQL)."""
    for _ in range(500):
        async with db.engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND application_name = current_setting('application_name')"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second process never waited for the first one's lock")


@pytest.fixture
async def h(database: SqlDatabase) -> Harness:
    harness = Harness(database)
    await harness.challenge()
    await harness.submit("ana", "Salted caramel")
    await harness.submit("ana", "Mint chip")
    harness.tick(10)
    return harness


def second_process(h: Harness, db: Any) -> Cocreate:
    """Another Cocreate on the same database, as a second process would be."""
    return Cocreate(db, h.settings, h.clock, {"test": h.publisher})


# -- two processes ---------------------------------------------------------------------


@only_postgresql
async def test_two_processes_decide_one_members_vote_one_at_a_time(
    h: Harness, database: SqlDatabase
) -> None:
    """A reads ben's vote state, B removes ben's reaction meanwhile: B waits for A, then
    decides on what A wrote. (Both once read, decided and wrote at the same time: vote rows,
    reaction states and points then disagreed.)"""
    await h.react(2, "ben")  # ben is a known member
    paused = PausingDatabase(database)
    a, b = second_process(h, paused), second_process(h, database)
    gate = paused.pause_at("votes_for")
    added_at = h.clock.now()
    first = asyncio.create_task(a.handle_reaction(h.event(1, "ben", at=added_at)))
    await gate.reached.wait()
    h.tick()
    remove = h.event(1, "ben", ReactionAction.REMOVE, at=h.clock.now())
    second = asyncio.create_task(b.handle_reaction(remove))
    await waiting_for_a_lock(database)
    gate.release.set()
    assert (await first).effect == Effect.ADDED
    assert (await second).effect == Effect.REMOVED
    assert await voters(h, 1) == set()
    assert await points(h) == {"ben": (1, 0), "ana": (0, 1)}  # the vote on #2 only
    await a.ingest.stop()
    await b.ingest.stop()


@only_postgresql
async def test_an_event_delivered_to_two_processes_counts_once_without_an_error(
    h: Harness, database: SqlDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    paused = PausingDatabase(database)
    a, b = second_process(h, paused), second_process(h, database)
    gate = paused.pause_at("votes_for")
    event = h.event(1, "newbie", event_id="Ev-same")  # a member nobody has seen yet
    first = asyncio.create_task(a.handle_reaction(event))
    await gate.reached.wait()
    second = asyncio.create_task(b.handle_reaction(event))
    await waiting_for_a_lock(database)
    gate.release.set()
    outcomes = sorted([(await first).effect, (await second).effect])
    assert outcomes == sorted([Effect.ADDED, Effect.DUPLICATE])
    assert await voters(h, 1) == {"newbie"}
    assert "IntegrityError" not in caplog.text and "Traceback" not in caplog.text
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        named = await store.conn.scalar(
            select(func.count()).where(members.c.external_id == "newbie")
        )
        logged = await store.conn.scalar(
            select(func.count()).where(reaction_log.c.event_id == "Ev-same")
        )
    assert (named, logged) == (1, 1)
    await a.ingest.stop()
    await b.ingest.stop()


@only_postgresql
async def test_a_member_new_to_both_processes_is_created_once(
    h: Harness, database: SqlDatabase
) -> None:
    paused = PausingDatabase(database)
    a, b = second_process(h, paused), second_process(h, database)
    gate = paused.pause_at("ensure_members")  # A created the member, not committed yet
    first = asyncio.create_task(a.handle_reaction(h.event(1, "zoe")))
    await gate.reached.wait()
    second = asyncio.create_task(b.handle_reaction(h.event(2, "zoe")))
    await waiting_for_a_lock(database)
    gate.release.set()
    assert [(await first).effect, (await second).effect] == [Effect.ADDED, Effect.ADDED]
    assert await voters(h, 1) == await voters(h, 2) == {"zoe"}
    await a.ingest.stop()
    await b.ingest.stop()


@dataclass
class Truth:
    """What the events imply: the latest event per (post, member) wins by its time."""

    latest: dict[tuple[int, str], tuple[datetime, bool]] = field(default_factory=dict)

    def apply(self, idea: int, member: str, at: datetime, present: bool) -> None:
        old = self.latest.get((idea, member))
        if old is None or old[0] <= at:
            self.latest[(idea, member)] = (at, present)

    def voters(self, idea: int) -> set[str]:
        return {m for (i, m), (_, present) in self.latest.items() if i == idea and present}


def storm(
    h: Harness, rng: random.Random, size: int, round_: int
) -> Iterator[tuple[ReactionEvent, str]]:
    """Events for few members and ideas (collisions are the point), each with the process
    that gets it: "a", "b" or "both"."""
    base = h.clock.now()
    for n in range(size):
        action = rng.choice([ReactionAction.ADD, ReactionAction.ADD, ReactionAction.REMOVE])
        at = base + timedelta(seconds=n)
        event = h.event(
            rng.choice([1, 2]),
            rng.choice(["ben", "cleo", "dan"]),
            action,
            at=at,
            event_id=f"storm-{round_}-{n}",
        )
        yield event, rng.choice(["a", "a", "b", "b", "both"])


async def test_two_processes_on_one_database_end_in_the_state_the_events_imply(
    h: Harness, database: SqlDatabase
) -> None:
    """Interleaved, concurrent, some delivered to both: the votes are the events' truth,
    the points match the votes, and each event id is recorded once."""
    a, b = h.app, second_process(h, database)
    truth = Truth()
    rng = random.Random(8)
    for round_ in range(4):
        work = []
        for event, where in storm(h, rng, 40, round_):
            assert event.member is not None
            number = 1 if event.message_id == h.publisher.idea_message(1).message_id else 2
            truth.apply(number, event.member.external_id, event.at, event.action.value == "add")
            targets = [a, b] if where == "both" else [a if where == "a" else b]
            work += [app.handle_reaction(event) for app in targets]
        rng.shuffle(work)
        await asyncio.gather(*work)
        h.tick(5)
    assert await voters(h, 1) == truth.voters(1)
    assert await voters(h, 2) == truth.voters(2)
    cast = {m: 0 for m in ("ben", "cleo", "dan")}
    for number in (1, 2):
        for m in truth.voters(number):
            cast[m] += 1
    expected = {m: (n, 0) for m, n in cast.items() if n}
    received = len(truth.voters(1)) + len(truth.voters(2))
    if received:
        expected["ana"] = (0, received)
    assert await points(h) == expected
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        ids = list(await store.conn.scalars(select(reaction_log.c.event_id)))
    logged = [i for i in ids if i is not None]
    assert len(logged) == len(set(logged)), "an event id recorded twice"
    await b.ingest.stop()


# -- the database goes down ----------------------------------------------------------------


@dataclass
class RecordingReconciler:
    read: list[IdeaPostRef] = field(default_factory=list)

    async def refresh_reactions(
        self, posts: list[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        self.read += posts


async def test_patient_events_wait_out_an_outage_and_their_posts_are_read_back(
    h: Harness, database: SqlDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyDatabase(database)
    app = second_process(h, flaky)
    reconciler = RecordingReconciler()
    app.add_reconciler("test", reconciler)
    back = asyncio.Event()

    async def outage_sleep(_: float) -> None:
        await back.wait()

    app.ingest.sleep = outage_sleep
    flaky.down = True
    kept = [
        asyncio.create_task(app.handle_reaction(h.event(n, who), patient=True))
        for n, who in ((1, "ben"), (1, "cleo"), (2, "ben"))
    ]
    while flaky.refused == 0 or app.ingest.backlog < 3:
        await asyncio.sleep(0)
    # An impatient sender (Slack) is told at once, so that it delivers the event again.
    with pytest.raises(StorageUnavailable):
        await app.handle_reaction(h.event(2, "dan"))
    assert not any(t.done() for t in kept)
    flaky.down = False
    back.set()
    assert [(await t).effect for t in kept] == [Effect.ADDED] * 3
    await app.drain()
    assert await voters(h, 1) == {"ben", "cleo"}
    assert await voters(h, 2) == {"ben"}
    assert sorted(p.idea_number for p in reconciler.read) == [1, 2]
    assert "Traceback" not in caplog.text
    assert sum("not answering" in r.getMessage() for r in caplog.records) == 1
    await app.ingest.stop()


async def test_past_the_buffer_events_are_not_kept_but_their_posts_are_read_back(
    h: Harness, database: SqlDatabase
) -> None:
    flaky = FlakyDatabase(database)
    app = second_process(h, flaky)
    app.ingest.buffer = 1
    reconciler = RecordingReconciler()
    app.add_reconciler("test", reconciler)
    back = asyncio.Event()

    async def outage_sleep(_: float) -> None:
        await back.wait()

    app.ingest.sleep = outage_sleep
    flaky.down = True
    kept = asyncio.create_task(app.handle_reaction(h.event(1, "ben"), patient=True))
    while app.ingest.backlog < 1:
        await asyncio.sleep(0)
    dropped = await app.handle_reaction(h.event(2, "cleo"), patient=True)
    assert dropped == DEFERRED
    flaky.down = False
    back.set()
    assert (await kept).effect == Effect.ADDED
    await app.drain()
    assert sorted(p.idea_number for p in reconciler.read) == [1, 2]
    await app.ingest.stop()


# -- the timer -----------------------------------------------------------------------------


class SlowAgenda:
    """An agenda whose runs wait for the test, and that fails on request."""

    def __init__(self) -> None:
        self.on_change: Any = None
        self.runs = 0
        self.started = asyncio.Event()
        self.proceed = asyncio.Event()
        self.proceed.set()
        self.failures: list[Exception] = []

    async def run_due(self, community_id: int | None = None) -> int:
        self.runs += 1
        self.started.set()
        await self.proceed.wait()
        if self.failures:
            raise self.failures.pop(0)
        return 0

    async def next_due(self) -> datetime | None:
        return None

    async def idle(self) -> None:
        return None


async def test_a_due_time_that_arrives_during_a_run_is_served_right_after_it(
    h: Harness,
) -> None:
    agenda = SlowAgenda()
    timer = Timer(agenda, h.clock)  # type: ignore[arg-type]
    await timer.start()
    assert agenda.runs == 1  # the catch-up at start
    agenda.proceed.clear()
    agenda.started.clear()
    await timer.ring()  # a due time
    await agenda.started.wait()  # the run is under way...
    await timer.ring()  # ...when the next due time comes: it must not be skipped
    agenda.started.clear()
    agenda.proceed.set()
    await agenda.started.wait()
    assert agenda.runs == 3
    await timer.stop()


async def test_an_error_in_a_run_is_logged_once_and_the_next_wake_up_is_armed(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    agenda = SlowAgenda()
    agenda.failures.append(StorageUnavailable("connection refused"))
    timer = Timer(agenda, h.clock, heartbeat=timedelta(minutes=1))  # type: ignore[arg-type]
    await timer.start()
    failed = [r for r in caplog.records if "agenda run failed" in r.getMessage()]
    assert len(failed) == 1 and not failed[0].exc_info
    job = timer.scheduler.get_job("agenda")
    assert job is not None, "the next wake-up is armed"
    agenda.started.clear()
    await timer.ring()  # it comes
    await agenda.started.wait()
    assert agenda.runs == 2
    await timer.stop()


@dataclass
class DownDuringReadBack:
    """A platform whose read-back meets a database that stops answering, once."""

    app: Cocreate
    calls: int = 0

    async def refresh_reactions(
        self, posts: Sequence[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        self.calls += 1
        if self.calls == 1:
            raise StorageUnavailable("the database is down")


async def test_final_results_wait_for_a_read_back_that_the_database_interrupted(
    database: SqlDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """Posted without the read-back, the final results would miss the votes the platform
    redelivers after an outage: they are tried again, read-back included."""
    h = Harness(database)
    await h.challenge("voting_close:1d")
    await h.submit("ana", "Salted caramel")
    platform = DownDuringReadBack(h.app)
    h.app.add_reconciler("test", platform)
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=1, minutes=1))
    failed = [r.getMessage() for r in caplog.records if "failed (attempt 1)" in r.getMessage()]
    assert len(failed) == 1 and "final results" in failed[0]
    finals = [p for p in h.publisher.of_kind(PostKind.RESULTS) if "Final" in p.card.title]
    assert len(finals) == 1 and platform.calls == 2  # read back again before it was posted
    await h.close()


def test_only_the_database_makes_an_error_the_databases() -> None:
    """A refusal, or an error that disowned what it handled (`from None`), is not a
    database outage, even when raised while handling a timeout or an OSError."""

    def raised(make: Any) -> BaseException:
        try:
            make()
        except Exception as err:
            return err
        raise AssertionError("nothing raised")

    def refusal_after_timeout() -> None:
        try:
            raise TimeoutError
        except TimeoutError:
            raise UserError("The URL's host did not resolve in time; try again.")  # noqa: B904

    def disowned() -> None:
        try:
            raise OSError("not found")
        except OSError:
            raise ValueError("a bad value") from None

    def outage() -> None:
        try:
            raise ConnectionRefusedError
        except OSError as err:
            raise RuntimeError("the pool gave up") from err

    assert classify(raised(refusal_after_timeout)) is None
    assert classify(raised(disowned)) is None
    assert classify(raised(outage)) is StorageUnavailable
