"""The commands' statements that go straight to the driver (storage/hot_commands.py) give
what the SQLAlchemy Core queries they replace give, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversations import Activity
from bot.messages import Actor, CommunityRef, ThreadRef
from bot.model import PUBLIC_STATUSES, IdeaStatus, Phase
from bot.ports import PointsDelta, PointWeights, Received, VoteRow
from bot.text import Candidates, similar_items, similarity
from storage import idea_texts
from storage import statements as sql
from storage.database import SqlDatabase, create_engine
from storage.schema import (
    challenges,
    idea_threads,
    ideas,
    scheduled_posts,
    thread_repliers,
    votes,
)
from storage.store import SqlStore
from tests.test_storage import ALICE, NOW, add_members, challenge_settings, new_idea, seed

WEIGHTS = PointWeights(idea_published=3, vote_received=1, vote_cast=1, vote_cast_weekly_cap=10)


async def _core_rows(store: SqlStore, query: Any) -> list[Any]:
    return [tuple(r) for r in await store.conn.execute(query)]


async def test_the_live_challenges_with_their_venues_are_what_core_reads(
    database: SqlDatabase,
) -> None:
    async with database.transaction() as store:
        community, member, first = await seed(store)
        second = await store.add_challenge(
            community.id, "second", challenge_settings("Second"), ["a", "b"], member.id, NOW
        )
        gone = await store.add_challenge(
            community.id, "gone", challenge_settings("Gone"), [], member.id, NOW
        )
        await store.set_phase(second, Phase.OPEN, opened_at=NOW)
        await store.delete_challenge(gone, NOW)
        other, _, other_first = await seed(store, CommunityRef("discord", "guild-9", "Nine"))
    async with database.transaction() as store:
        for community_id in (community.id, other.id):
            core = list(
                await store.conn.execute(sql.ALL_CHALLENGES, {"community_id": community_id})
            )
            assert await store.challenges(community_id) == await store._with_venues(core)
        assert [c.id for c in await store.challenges(community.id)] == [first, second]
        wanted = [second, gone, first, other_first, 999]
        core = list(
            await store.conn.execute(
                select(challenges)
                .where(challenges.c.id.in_(wanted) & challenges.c.deleted_at.is_(None))
                .order_by(challenges.c.id)
            )
        )
        by_ids = await store.challenges_by_ids(wanted)
        assert by_ids == await store._with_venues(core)
        assert [(c.id, c.venues) for c in by_ids] == [
            (first, ("chan-1",)),
            (second, ("a", "b")),
            (other_first, ("chan-1",)),
        ]
        some = await store.challenges_by_ids([second, first], with_venues=False)
        assert [(c.id, c.venues) for c in some] == [(first, ()), (second, ())]
        assert await store.challenges_by_ids([]) == []


async def test_idea_pages_are_the_ranked_and_newest_lists(database: SqlDatabase) -> None:
    rng = random.Random(5)
    async with database.transaction() as store:
        community, member, challenge_id = await seed(store)
        statuses = list(IdeaStatus)
        for _ in range(30):
            idea = await new_idea(
                store,
                community.id,
                challenge_id,
                member.id,
                NOW + timedelta(minutes=rng.choice([0, 1, 2])),
                status=rng.choice(statuses).value,
            )
            await store.set_vote_count(idea.id, rng.choice([0, 0, 1, 2]))
    async with database.transaction() as store:
        for wanted in (PUBLIC_STATUSES, list(IdeaStatus)):
            for limit, offset in ((10, 0), (10, 10), (5, 25), (100, 0)):
                ranked = await store.ideas(
                    challenge_id, wanted, ranked=True, limit=limit, offset=offset
                )
                newest = await store.ideas(
                    challenge_id, wanted, newest_first=True, limit=limit, offset=offset
                )
                args = {"limit": limit, "offset": offset}
                assert await store.idea_page(challenge_id, wanted, newest_first=False, **args) == (
                    ranked
                )
                assert await store.idea_page(challenge_id, wanted, newest_first=True, **args) == (
                    newest
                )


async def test_idea_reads_and_counts_match_core(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        (bob,) = await add_members(store, community.id, "Bob")
        made = [
            await new_idea(store, community.id, challenge_id, alice.id),
            await new_idea(store, community.id, challenge_id, bob.id, anonymous=True),
            await new_idea(
                store, community.id, challenge_id, bob.id, status=IdeaStatus.WITHDRAWN.value
            ),
        ]
        await store.add_votes(
            [
                VoteRow(made[0].id, m.id, challenge_id, NOW, "2026-03-02", False)
                for m in (alice, bob)
            ]
        )
        await store.set_vote_count(made[0].id, 2)
    async with database.transaction() as store:
        for idea in made:
            assert await store.idea_by_number(community.id, idea.number) == await store.idea(
                idea.id
            )
        assert await store.idea_by_number(community.id, 99) is None
        assert list(await store.idea_texts(challenge_id, PUBLIC_STATUSES)) == await _texts(
            store, challenge_id
        )
        public = [s.value for s in PUBLIC_STATUSES]
        for author in (None, alice.id, bob.id):
            query = select(func.count()).where(
                (ideas.c.challenge_id == challenge_id) & ideas.c.status.in_(public)
            )
            if author is not None:
                query = query.where(ideas.c.author_id == author)
            [(count,)] = await _core_rows(store, query)
            assert await store.count_ideas(challenge_id, PUBLIC_STATUSES, author) == count
        [(voters,)] = await _core_rows(
            store,
            select(func.count(func.distinct(votes.c.member_id))).where(
                votes.c.challenge_id == challenge_id
            ),
        )
        [(counted,)] = await _core_rows(
            store,
            select(func.coalesce(func.sum(ideas.c.vote_count), 0)).where(
                (ideas.c.challenge_id == challenge_id) & ideas.c.status.in_(public)
            ),
        )
        assert await store.challenge_participation(challenge_id) == (voters, counted) == (2, 2)
        # two public ideas (the withdrawn one is not), and the votes they count
        assert await store.counted_votes(challenge_id) == (2, counted)
        assert await store.counted_votes(challenge_id + 99) == (0, 0)
        assert await store.community_by_id(community.id) == community


async def test_a_challenges_voters_are_counted_within_it_whatever_the_others(
    database: SqlDatabase,
) -> None:
    """The participation line's voters, found by skipping from one voter to the next in the
    index rather than reading every vote, are the distinct voters of that challenge alone:
    members who voted in another challenge only, in between by id, are not among them."""
    rng = random.Random(7)
    async with database.transaction() as store:
        community, alice, first = await seed(store)
        second = await store.add_challenge(
            community.id, "second", challenge_settings(), ["chan-2"], alice.id, NOW
        )
        empty = await store.add_challenge(
            community.id, "empty", challenge_settings(), ["chan-3"], alice.id, NOW
        )
        people = await add_members(store, community.id, *(f"M{n}" for n in range(40)))
        rows = []
        for challenge_id in (first, second):
            made = [await new_idea(store, community.id, challenge_id, alice.id) for _ in range(6)]
            voters = rng.sample(people, 25)
            rows += [
                VoteRow(idea.id, m.id, challenge_id, NOW, "2026-03-02", False)
                for m in voters
                for idea in rng.sample(made, rng.randint(1, 4))
            ]
        await store.add_votes(rows)
    async with database.transaction() as store:
        for challenge_id in (first, second, empty):
            [(voters,)] = await _core_rows(
                store,
                select(func.count(func.distinct(votes.c.member_id))).where(
                    votes.c.challenge_id == challenge_id
                ),
            )
            assert (await store.challenge_participation(challenge_id))[0] == voters
            assert voters == (0 if challenge_id == empty else 25)


async def test_a_new_idea_comes_back_as_stored(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community, member, challenge_id = await seed(store)
        idea = await new_idea(store, community.id, challenge_id, member.id, published_at=NOW)
        [row] = await _core_rows(store, select(ideas.c.vote_count).where(ideas.c.id == idea.id))
    async with database.transaction() as store:
        assert await store.idea(idea.id) == idea
        assert (idea.vote_count, idea.anonymous, idea.published_at) == (row[0], False, NOW)


async def test_the_leaderboard_of_a_member_is_the_leaderboard(database: SqlDatabase) -> None:
    """The standing read for one member (the top rows, theirs, and how many are ranked,
    which the database works out) is what the whole board says."""
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        members = await add_members(store, community.id, *(f"m{n}" for n in range(16)))
        # Ties: several members share a rank.
        await store.add_points(
            community.id,
            [
                PointsDelta(m.id, "2026-03-02", ideas_published=n % 4, votes_cast=n % 3)
                for n, m in enumerate(members[:12])
            ],
        )
        # Votes received add up with the points earned; m12 and m13 only received some,
        # and what m14 earned with an anonymous idea is not shown (m15 has nothing).
        await store.add_received(
            community.id,
            challenge_id,
            [Received(m.id, "2026-03-02", False, n % 3 + 1) for n, m in enumerate(members[:14])]
            + [Received(members[14].id, "2026-03-02", True, 5)],
        )
    async with database.transaction() as store:
        for first, last in ((None, None), ("2026-03-02", "2026-03-02"), ("2027-01-04", None)):
            full = await store.leaderboard(community.id, WEIGHTS, first, last, limit=1000)
            for member in [*members, alice]:
                top, mine, ranked = await store.leaderboard_of(
                    community.id, WEIGHTS, first, last, 10, member.id
                )
                assert top == full[:10]
                shown = [*top, *([mine] if mine else [])]
                assert all(type(r.member_id) is type(r.points) is int for r in shown)
                assert mine == next((r for r in full if r.member_id == member.id), None)
                assert ranked == len(full)
        # All time, m12 and m13 are ranked on what they received alone; m14 and m15 are not.
        full = await store.leaderboard(community.id, WEIGHTS, None, None, limit=1000)
        assert [r.member_id for r in full if r.member_id in {m.id for m in members[12:]}] == [
            members[13].id,
            members[12].id,
        ]


async def test_communities_are_read_together_as_one_by_one(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        first, *_ = await seed(store)
        second, *_ = await seed(store, CommunityRef("slack", "T7", "Seven"))
    async with database.transaction() as store:
        both = await store.communities_by_ids([second.id, first.id, second.id])
        assert both == {c.id: await store.community_by_id(c.id) for c in (first, second)}
        assert await store.communities_by_ids([]) == {}
        with pytest.raises(LookupError):
            await store.communities_by_ids([first.id, second.id + 100])


async def test_request_keys_are_seen_once_until_forgotten(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        assert await store.seen_before(["a", "b"], NOW, None) == []
    async with database.transaction() as store:
        assert await store.seen_before(["b", "c"], NOW + timedelta(minutes=1), None) == ["b"]
    async with database.transaction() as store:
        later = NOW + timedelta(minutes=11)
        assert await store.seen_before(["a", "c"], later, None) == ["a", "c"]
    async with database.transaction() as store:
        # "a" was recorded at NOW: forgotten; "c" at NOW + 1 minute: kept
        forget_before = NOW + timedelta(seconds=30)
        assert await store.seen_before(["c", "a"], later, forget_before) == ["c"]


async def test_a_command_post_is_claimed_once(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        _, _, challenge_id = await seed(store)
        post_id = await store.claim_command_post(challenge_id, "post", "idea:1", NOW, "me", "{}")
        again = await store.claim_command_post(challenge_id, "post", "idea:1", NOW, "me", "{}")
    assert post_id is not None and again is None
    async with database.transaction() as store:
        [post] = await store.posts_by_ids([post_id])
        [(state, by)] = await _core_rows(
            store,
            select(scheduled_posts.c.state, scheduled_posts.c.claimed_by).where(
                scheduled_posts.c.id == post_id
            ),
        )
    assert (post.challenge_id, post.kind, post.period, post.due_at) == (
        challenge_id,
        "post",
        "idea:1",
        NOW,
    )
    assert (post.payload, post.attempts, post.claimed_at, state, by) == (
        "{}",
        0,
        NOW,
        "claimed",
        "me",
    )


def test_similar_items_are_the_best_scores_in_candidate_order() -> None:
    """The hints are the `limit` best `similarity` scores at or above the threshold, ties to
    the earlier candidate, whatever order the candidates are scored in; the same from a
    list, and from `Candidates` kept and added to (which look only at the candidates that
    share a word with the query, when the threshold allows)."""
    rng = random.Random(11)
    words = ["salted", "caramel", "mint", "chip", "vanilla", "oat", "chai", "yuzu", "fig"]
    words += ["rose", "maple", "cocoa", "idea"]
    others = ["lemon", "sorbet", "basil", "plum", "rosé", "mapel", "coco", "chia"]
    candidates = [
        (n, " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))) for n in range(300)
    ]
    candidates += [
        (n, " ".join(rng.choice(others) for _ in range(rng.randint(1, 4)))) for n in range(300, 400)
    ]
    candidates += [(400, "🙂"), (401, "the and of"), (402, candidates[5][1]), (403, "🙂 🙂")]
    kept: Candidates[int] = Candidates()
    for n, text in candidates:
        kept.append(n, text)
    assert list(kept) == candidates
    queries = [candidates[5][1], "salted caramels", "🙂", "mint oat", "fig rose idea chai"]
    queries += ["lemon basil", "maple cocoa chia", "the of"]
    for query in queries:
        for threshold in (0.3, 0.5, 0.8, 1.0):
            for limit in (1, 3, 10):
                scored = [(similarity(query, text), -n, n) for n, text in candidates]
                best = sorted((s for s in scored if s[0] >= threshold), reverse=True)[:limit]
                expected = [n for *_, n in best]
                assert similar_items(query, candidates, threshold, limit) == expected
                assert similar_items(query, kept, threshold, limit) == expected


async def _another(database: SqlDatabase) -> SqlDatabase:
    """A second SqlDatabase on the same database: what another process would open."""
    url = database.engine.url.render_as_string(hide_password=False)
    if database.backend == "sqlite":
        return SqlDatabase(create_engine(url))
    async with database.engine.connect() as conn:
        path = (await conn.exec_driver_sql("SHOW search_path")).scalar_one()
    return SqlDatabase(
        create_async_engine(url, connect_args={"server_settings": {"search_path": path}})
    )


async def _texts(store: SqlStore, challenge_id: int) -> list[tuple[int, str]]:
    """What the duplicate hint reads, straight from the table."""
    public = [s.value for s in PUBLIC_STATUSES]
    rows = await _core_rows(
        store,
        select(ideas.c.number, ideas.c.title, ideas.c.description)
        .where((ideas.c.challenge_id == challenge_id) & ideas.c.status.in_(public))
        .order_by(ideas.c.submitted_at, ideas.c.number),
    )
    return [(n, f"{t} {d}") for n, t, d in rows]


async def test_kept_idea_texts_follow_changes_made_by_another_process(
    database: SqlDatabase,
) -> None:
    """Texts kept in one process follow ideas added, edited, withdrawn and published in
    another, and in the same one."""
    rng = random.Random(3)
    other = await _another(database)
    try:
        async with database.transaction() as store:
            community, member, challenge_id = await seed(store)
            _, _, second_id = await seed(store, CommunityRef("discord", "guild-7", "Seven"))
        made: list[int] = []
        for step in range(40):
            writer = rng.choice([database, other])
            async with writer.transaction() as store:
                action = rng.choice(["add", "add", "edit", "status"]) if made else "add"
                if action == "add":
                    at = NOW + timedelta(minutes=rng.choice([0, 1, 2]))
                    idea = await new_idea(store, community.id, challenge_id, member.id, at)
                    made.append(idea.id)
                elif action == "edit":
                    await store.update_idea(rng.choice(made), title=f"Edited {step}")
                else:
                    status = rng.choice([IdeaStatus.WITHDRAWN, IdeaStatus.PUBLISHED])
                    await store.update_idea(rng.choice(made), status=status.value)
            for reader in (database, other):
                async with reader.transaction() as store:
                    assert list(
                        await store.idea_texts(challenge_id, PUBLIC_STATUSES)
                    ) == await _texts(store, challenge_id)
                    assert list(await store.idea_texts(second_id, PUBLIC_STATUSES)) == []
    finally:
        await other.close()


async def test_a_post_records_where_it_landed_then_that_it_is_sent(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        _, _, challenge_id = await seed(store)
        post_id = await store.claim_command_post(challenge_id, "post", "idea:2", NOW, "me", "{}")
        assert post_id is not None
        await store.finish_post(
            post_id, "retry", attempts=1, error="down", next_attempt_at=NOW + timedelta(hours=1)
        )
        await store.post_progress(post_id, ["c1 m1"], None)
    async with database.transaction() as store:
        [post] = await store.posts_by_ids([post_id])
        assert (post.state, post.message_ids, post.last_error) == ("retry", ("c1 m1",), "down")
        await store.post_progress(post_id, ["c1 m1", "c2 m2"], NOW)
    async with database.transaction() as store:
        [post] = await store.posts_by_ids([post_id])
        [(sent_at,)] = await _core_rows(
            store, select(scheduled_posts.c.sent_at).where(scheduled_posts.c.id == post_id)
        )
    assert (post.state, post.message_ids, sent_at) == ("sent", ("c1 m1", "c2 m2"), NOW)
    assert (post.last_error, post.next_attempt_at) == (None, None)


def test_kept_texts_stay_in_submission_order_whatever_order_they_arrive_in() -> None:
    """An idea stamped later but submitted earlier (another transaction's) takes its place
    in the kept texts, which are added to rather than made again, and the duplicate hint's
    ties still go to the earlier idea."""
    texts = idea_texts.ChallengeTexts(0)
    public = frozenset({"published"})
    at = [NOW + timedelta(minutes=n) for n in range(4)]
    texts.merge(1, [(1, at[0], 1, "published", "mint chip"), (3, at[2], 3, "published", "oat")])
    kept = texts.texts(public)
    assert list(kept) == [(1, "mint chip"), (3, "oat")]
    texts.merge(2, [(4, at[3], 4, "published", "mint chip")])  # the newest: added at the end
    texts.merge(3, [(2, at[1], 2, "published", "chip mint")])  # earlier: in its place
    assert texts.texts(public) is kept
    assert list(kept) == [(1, "mint chip"), (2, "chip mint"), (3, "oat"), (4, "mint chip")]
    assert similar_items("mint chip", kept, 0.5, 3) == [1, 2, 4]
    texts.merge(4, [(3, at[2], 3, "declined", "oat")])  # moved out of the statuses
    assert [n for n, _ in texts.texts(public)] == [1, 2, 4]


def test_kept_texts_read_again_unchanged_are_not_made_again() -> None:
    """An idea read a second time as it was (stamped after the version read the first
    time, as another transaction's commit can make it on PostgreSQL) keeps the prepared
    lists; a real change makes them again."""
    texts = idea_texts.ChallengeTexts(0)
    public = frozenset({"published"})
    row = (1, NOW, 1, "published", "mint chip")
    texts.merge(1, [row, (2, NOW + timedelta(minutes=1), 2, "published", "oat")])
    kept = texts.texts(public)
    texts.merge(2, [row])
    assert texts.texts(public) is kept
    texts.merge(3, [(1, NOW, 1, "published", "mint chip ice")])
    assert texts.texts(public) is not kept
    assert list(texts.texts(public)) == [(1, "mint chip ice"), (2, "oat")]


async def test_the_activity_of_ideas_is_summed_over_their_threads(database: SqlDatabase) -> None:
    """Replies summed over an idea's threads, the people who took part counted once over
    them all; an idea without a thread has no activity (`/idea show` then shows none)."""
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        talked, quiet, threadless = [
            await new_idea(store, community.id, challenge_id, alice.id) for _ in range(3)
        ]
        talk = store.conversations
        for idea, venue in ((talked, "C1"), (talked, "C2"), (quiet, "C1")):
            await talk.add_thread(community.id, idea.id, ThreadRef(venue, f"T{idea.id}"), NOW)
        threads = await talk.threads_of([talked.id, quiet.id])
        first, second = threads[talked.id]
        await talk.record_activity(first.id, NOW, replies=4, joined=["U1", "U2"])
        await talk.record_activity(second.id, NOW, replies=3, joined=["U2", "U3"])
    async with database.transaction() as store:
        found = await store.conversations.activity([talked.id, quiet.id, threadless.id])
        assert found == {talked.id: Activity(7, 3), quiet.id: Activity(0, 0)}
        r = thread_repliers.c
        core = select(func.count(func.distinct(r.member_ref))).select_from(
            thread_repliers.join(idea_threads, r.thread_id == idea_threads.c.id)
        )
        [(people,)] = await _core_rows(store, core.where(idea_threads.c.idea_id == talked.id))
        assert people == found[talked.id].repliers
        assert await store.conversations.activity([]) == {}


async def test_a_transactions_first_statement_on_the_driver_is_undone_with_it(
    database: SqlDatabase,
) -> None:
    """On PostgreSQL the first statement sent straight to the driver begins the transaction
    (through SQLAlchemy): it is rolled back with the transaction, and kept when it commits,
    whether it reads rows back (a request's keys) or writes many (weekly points)."""
    async with database.transaction() as store:
        community, alice, _challenge_id = await seed(store)
    points = [PointsDelta(alice.id, "2026-03-02", ideas_published=1)]
    with pytest.raises(LookupError):
        async with database.transaction() as store:
            await store.seen_before(["key-1"], NOW, None)
            raise LookupError("undone")
    with pytest.raises(LookupError):
        async with database.transaction() as store:
            await store.add_points(community.id, points)
            raise LookupError("undone")
    weights = PointWeights(idea_published=3, vote_received=2, vote_cast=1, vote_cast_weekly_cap=10)
    async with database.transaction() as store:
        assert await store.seen_before(["key-1"], NOW, None) == []
        assert await store.member_points(community.id, alice.id, weights) == (0, 0)
    async with database.transaction() as store:
        await store.add_points(community.id, points)
    async with database.transaction() as store:
        assert await store.seen_before(["key-1"], NOW, None) == ["key-1"]
        assert await store.member_points(community.id, alice.id, weights) == (3, 3)


async def test_new_members_come_back_from_their_insert_as_a_read_finds_them(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New members come back from the statement that adds them; one that another process
    added between the read and the insert (here: a read that missed it) is read after."""
    async with database.transaction() as store:
        community, alice, _challenge_id = await seed(store)
        actors = [Actor(f"u-{n}", f"New {n}", locale="de") for n in range(3)]
        made = await store.ensure_members(community.id, actors, NOW)
    async with database.transaction() as store:
        for actor in actors:
            assert made[actor.external_id] == await store.member_by_external(
                community.id, actor.external_id
            )
        reads = store._members_by_external
        missed: list[Sequence[str]] = []

        async def missing_once(community_id: int, ids: Sequence[str], *rest: Any) -> Any:
            if not missed:
                missed.append(ids)
                return {}
            return await reads(community_id, ids, *rest)

        monkeypatch.setattr(store, "_members_by_external", missing_once)
        again = await store.ensure_members(community.id, [*actors[:1], ALICE], NOW)
        assert missed == [["u-0", ALICE.external_id]]
        assert again == {"u-0": made["u-0"], ALICE.external_id: alice}
