"""The reaction writer's driver-level statements (storage/hot_votes.py) against the
SQLAlchemy Core statements they replace, on both backends.

Random reactions, votes, log entries and points go in through the store, and what the
hot path reads back must be what the Core statements (storage/statements.py) read: the
same rows, the same aware UTC times (on SQLite: stored in the text format SQLAlchemy
writes, so that Core queries compare and order them alike). The whole path, against a
reference model of the vote rules over random event streams, is the property test
`tests/test_properties.py::test_reactions_agree_with_the_log_a_reference_model_and_a_replay`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.messages import Actor
from bot.model import Phase
from bot.ports import LogEntry, PointsDelta, ReactionState, Received, RecentVote, VoteRow
from bot.votelog import GENESIS
from storage import statements as sql
from storage.database import SqlDatabase
from storage.schema import member_week_points, reaction_log, received_points, votes
from storage.store import _idea, _member
from tests.harness import Harness

T0 = datetime(2026, 3, 2, 9, 0, 0, 0, tzinfo=UTC)


async def _world(database: SqlDatabase) -> tuple[int, int, list[int]]:
    """A community with one open challenge and five ideas: (community, challenge, ideas)."""
    h = Harness(database)
    await h.challenge()
    for n in range(5):
        await h.submit(f"author{n}", f"Idea {n}")
    async with database.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        challenge = (await store.challenges(community.id))[0]
        assert challenge.phase is Phase.OPEN
        ideas = sorted(i.id for i in await store.ideas(challenge.id))
    await h.close()
    return community.id, challenge.id, ideas


async def test_the_hot_path_reads_what_core_reads(database: SqlDatabase) -> None:
    rng = random.Random(7)
    community_id, challenge_id, idea_ids = await _world(database)
    actors = [Actor(f"m{n}", f"Member {n}") for n in range(30)]
    async with database.transaction() as store:
        members = await store.ensure_members(community_id, actors, T0)
        member_ids = [m.id for m in members.values()]
        post_rows = await store.posts_by_message(
            community_id, [(c, m) for c, m in await _all_posts(store, idea_ids)]
        )
        post_of = {t.idea_id: t.post_id for t in post_rows.values()}
        assert set(post_of) == set(idea_ids)
        states, vote_rows, entries = [], {}, []
        for n in range(200):
            idea = rng.choice(idea_ids)
            member = rng.choice(member_ids)
            at = T0 + timedelta(seconds=rng.randint(0, 10**6), microseconds=rng.choice([0, 7]))
            states.append(
                ReactionState(
                    post_of[idea],
                    idea,
                    member,
                    rng.choice(["", "🏽"]),
                    rng.random() < 0.7,
                    rng.choice([None, at]),
                    at,
                    rng.random() < 0.2,
                )
            )
            vote_rows[(idea, member)] = VoteRow(
                idea, member, challenge_id, at, "2026-03-02", rng.random() < 0.1
            )
            entries.append(
                LogEntry(
                    event_id=f"ev-{n}",
                    post_id=post_of[idea],
                    idea_id=idea,
                    member_id=member,
                    action="add",
                    emoji="👍",
                    occurred_at=at,
                    recorded_at=at,
                    source="event",
                    effect="vote added",
                    counted=1,
                    credited_idea_id=idea,
                    challenge_id=challenge_id,
                    seq=n + 1,
                    hash=f"{n:064x}",
                )
            )
        latest = {(s.post_id, s.member_id, s.variant): s for s in states}
        await store.save_reaction_states(states)
        await store.save_reaction_states(list(latest.values()))  # upserts over themselves
        await store.add_votes(list(vote_rows.values()))
        gone = rng.sample(sorted(vote_rows), 20)
        await store.remove_votes(gone)
        for pair in gone:
            del vote_rows[pair]
        assert await store.lock_chain(challenge_id) == (0, GENESIS)
        await store.append_reaction_log(community_id, entries)
        await store.append_reaction_log(community_id, entries[:5])  # replays: nothing
        await store.set_chain(challenge_id, len(entries), entries[-1].hash)
        assert await store.lock_chain(challenge_id) == (len(entries), entries[-1].hash)
        await store.add_points(
            community_id,
            [PointsDelta(m, "2026-03-02", votes_cast=1) for m in member_ids]
            + [PointsDelta(member_ids[0], "2026-03-02", votes_cast=2)],
        )
        await store.add_vote_counts({idea_ids[0]: 3, idea_ids[1]: -1, idea_ids[2]: 0})
        # Rows of one call that name one key add up, as rows of separate calls do.
        received = [Received(m, "2026-03-02", False, 1) for m in member_ids[:3]]
        await store.add_received(community_id, challenge_id, received + received[:1])
        await store.add_received(community_id, challenge_id, received[1:2])

    some_ideas = idea_ids[:3]
    some_members = member_ids[:12]
    async with database.transaction() as store:
        conn = store.conn
        # votes
        hot_votes = await store.votes_for(some_ideas, some_members)
        core = await conn.execute(sql.VOTES_FOR, {"ids": some_ideas, "members": some_members})
        assert hot_votes == {
            (r.idea_id, r.member_id): VoteRow(
                r.idea_id, r.member_id, r.challenge_id, r.cast_at, r.week, r.voided
            )
            for r in core
        }
        assert hot_votes == {
            k: v for k, v in vote_rows.items() if k[0] in some_ideas and k[1] in some_members
        }
        # reaction states
        hot_states = await store.reaction_states(some_ideas, some_members)
        core_states = await conn.execute(
            sql.STATES_OF_MEMBERS, {"ids": some_ideas, "members": some_members}
        )
        expected = {
            (r.post_id, r.member_id, r.variant): ReactionState(
                r.post_id,
                r.idea_id,
                r.member_id,
                r.variant,
                r.present,
                r.changed_at,
                r.seen_at,
                r.synced,
            )
            for r in core_states
        }
        assert {(s.post_id, s.member_id, s.variant): s for s in hot_states} == expected
        assert expected == {
            k: s
            for k, s in latest.items()
            if s.idea_id in some_ideas and s.member_id in some_members
        }
        # ideas and members
        hot_ideas = await store.ideas_by_ids(idea_ids)
        core_ideas = await conn.execute(sql.IDEAS_BY_IDS, {"ids": idea_ids})
        assert hot_ideas == {r.id: _idea(r) for r in core_ideas}
        assert hot_ideas[idea_ids[0]].vote_count == 3
        externals = [a.external_id for a in actors]
        hot_members = await store._members_by_external(community_id, externals)
        core_members = await conn.execute(
            sql.MEMBERS_BY_EXTERNAL, {"community_id": community_id, "ids": externals}
        )
        assert hot_members == {r.external_id: _member(r) for r in core_members}
        assert await store.lock_ideas(idea_ids) == {i: None for i in idea_ids}
        assert await store.family_of(idea_ids) == {i: [i] for i in idea_ids}
        # the log: the same event ids seen, times that Core compares and orders alike
        ids = {e.event_id for e in entries if e.event_id} | {"ev-none"}
        assert await store.seen_event_ids(community_id, ids) == ids - {"ev-none"}
        middle = sorted(e.occurred_at for e in entries)[100]
        later = await conn.execute(
            select(reaction_log.c.event_id).where(reaction_log.c.occurred_at >= middle)
        )
        assert {r[0] for r in later} == {e.event_id for e in entries if e.occurred_at >= middle}
        # the brigading alerts' recent counted votes
        hot_recent = await store.recent_gains(some_ideas, middle, "event")
        core_recent = await conn.execute(
            sql.RECENT_GAINS, {"ids": some_ideas, "since": middle, "source": "event"}
        )
        expected_recent: dict[int, list[RecentVote]] = {i: [] for i in some_ideas}
        for r in core_recent:
            expected_recent[r[0]].append(RecentVote(r[1], r[2], r[3], r[4], r[5]))
        assert hot_recent == expected_recent
        assert sum(map(len, hot_recent.values())) == sum(
            1 for e in entries if e.occurred_at >= middle and e.idea_id in some_ideas
        )
        stored_times = await conn.execute(
            select(votes.c.cast_at).where(votes.c.challenge_id == challenge_id)
        )
        assert sorted(r[0] for r in stored_times) == sorted(v.cast_at for v in vote_rows.values())
        points = await conn.execute(
            select(member_week_points.c.member_id, member_week_points.c.votes_cast)
        )
        tally: dict[int, int] = {int(r[0]): int(r[1]) for r in points}
        assert tally[member_ids[0]] == 3 and tally[member_ids[1]] == 1
        got = await conn.execute(select(received_points.c.member_id, received_points.c.votes))
        assert {r[0]: r[1] for r in got} == {member_ids[0]: 2, member_ids[1]: 2, member_ids[2]: 1}


async def _all_posts(store: object, idea_ids: list[int]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for i in idea_ids:
        out += [(c, m) for _, c, m in await store.idea_post_messages(i)]  # type: ignore[attr-defined]
    return out
