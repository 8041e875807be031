"""Property: for any sequence of submissions, reactions, merges, unmerges and voids, the
points equal a recomputation from the vote log, the log's standings equal the ideas'
counts, and weekly figures taken from the log add up to the final ones."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.votes import Effect
from bot.weeks import week_of
from storage.schema import member_week_points, members, received_points, votes
from storage.store import SqlStore
from tests.conftest import OpenDatabase
from tests.harness import Harness
from tests.test_properties import _EXAMPLES

MEMBERS = ("ana", "ben", "cleo", "dan", "eve")


@dataclass(frozen=True)
class Submit:
    author: int


@dataclass(frozen=True)
class React:
    idea: int
    member: int
    add: bool


@dataclass(frozen=True)
class Merge:
    dup: int
    into: int


@dataclass(frozen=True)
class Unmerge:
    idea: int


@dataclass(frozen=True)
class Void:
    member: int
    undo: bool


@dataclass(frozen=True)
class Wait:
    hours: int


Op = Submit | React | Merge | Unmerge | Void | Wait

operations = st.lists(
    st.one_of(
        st.builds(Submit, st.integers(0, 4)),
        st.builds(React, st.integers(1, 6), st.integers(0, 4), st.booleans()),
        st.builds(React, st.integers(1, 6), st.integers(0, 4), st.just(True)),
        st.builds(Merge, st.integers(1, 6), st.integers(1, 6)),
        st.builds(Unmerge, st.integers(1, 6)),
        st.builds(Void, st.integers(0, 4), st.booleans()),
        st.builds(Wait, st.sampled_from([1, 20, 50, 100])),
    ),
    min_size=4,
    max_size=30,
)


@settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
async def test_points_counts_and_weekly_figures_follow_the_vote_log(
    fresh: OpenDatabase, ops: list[Op]
) -> None:
    async with fresh() as database:
        h = Harness(database)
        await h.challenge("ideas_per_member:5 submissions_close:30d voting_close:30d")
        opened = h.clock.now()
        ideas = 0
        for op in ops:
            h.tick()
            if isinstance(op, Submit):
                text = f'/idea submit title:"Idea {ideas + 1}" description:"Tasty."'
                ideas += (await h.cmd(text, MEMBERS[op.author])).ok  # the limit is 5 each
            elif isinstance(op, React) and op.idea <= ideas:
                outcome = await h.react(op.idea, MEMBERS[op.member], op.add)
                assert outcome.effect != "error"
            elif isinstance(op, Merge) and max(op.dup, op.into) <= ideas:
                await h.cmd(f"/mod merge #{op.dup} into:#{op.into}")
            elif isinstance(op, Unmerge) and op.idea <= ideas:
                await h.cmd(f"/mod unmerge #{op.idea}")
            elif isinstance(op, Void):
                verb = "unvoid" if op.undo else "void"
                await h.cmd(f"/mod {verb} {MEMBERS[op.member]}")
            elif isinstance(op, Wait):
                h.clock.advance(timedelta(hours=op.hours))
        await check(h, opened)
        await h.close()


async def check(h: Harness, opened: datetime) -> None:
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        community = await store.find_community(h.community)
        assert community is not None
        (challenge,) = await store.challenges(community.id)
        log = await store.vote_log(challenge.id)
        all_ideas = await store.ideas(challenge.id)
        by_id = {i.id: i for i in all_ideas}
        names = {
            m.id: m.external_id
            for m in (await store.members_by_ids({i.author_id for i in all_ideas})).values()
        }
        # The log's standings are the counts; a member counts at most once per idea.
        held: Counter[tuple[int, int]] = Counter()
        for e in log:
            if e.counted:
                assert e.credited_idea_id is not None
                held[(e.credited_idea_id, e.member_id)] += e.counted
                assert held[(e.credited_idea_id, e.member_id)] in (0, 1), e
        standings: Counter[int] = Counter()
        for (idea, _), n in held.items():
            standings[idea] += n
        assert {i.id: i.vote_count for i in all_ideas} == {i.id: standings[i.id] for i in all_ideas}
        assert [e.seq for e in log] == list(range(1, len(log) + 1))
        # Received points are the log's counted entries, by author and week.
        expected: Counter[tuple[str, str]] = Counter()
        for e in log:
            if e.counted and e.credited_idea_id is not None:
                author = names[by_id[e.credited_idea_id].author_id]
                expected[(author, week_of(e.recorded_at))] += e.counted
        r = received_points.c
        got = {
            (row[0], row[1]): int(row[2])
            for row in await store.conn.execute(
                select(members.c.external_id, r.week, r.votes).join(
                    members, members.c.id == r.member_id
                )
            )
            if row[2]
        }
        assert got == {k: n for k, n in expected.items() if n}
        # Cast points are the member's counted-or-not vote rows that are not voided.
        t, v = member_week_points.c, votes.c
        cast = {
            (row[0], row[1]): int(row[2])
            for row in await store.conn.execute(
                select(members.c.external_id, t.week, func.sum(t.votes_cast))
                .join(members, members.c.id == t.member_id)
                .group_by(members.c.external_id, t.week)
            )
            if row[2]
        }
        rows = Counter(
            (row[0], row[1])
            for row in await store.conn.execute(
                select(members.c.external_id, v.week)
                .join(members, members.c.id == v.member_id)
                .where(v.voided.is_(False))
            )
        )
        assert cast == dict(rows)
        # Weekly windows from the opening tile the challenge: their nets add up.
        start, total = opened, 0
        end = h.clock.now() + timedelta(seconds=1)
        while start < end:
            stop = start + timedelta(days=7)
            added, removed, _ = await store.log_figures(challenge.id, start, stop)
            total += added - removed
            start = stop
        assert total == sum(i.vote_count for i in all_ideas)
        assert not [e for e in log if e.effect == Effect.STALE and e.counted]
