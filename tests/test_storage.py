"""The SQL repository and its migrations, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import UniqueConstraint, event, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError

from bot.badge_news import Awarded
from bot.errors import StorageUnavailable
from bot.followups import FollowUp
from bot.messages import Actor, CommunityRef
from bot.model import BadgeKind, ChallengeSettings, Community, Idea, IdeaStatus, Member, Phase
from bot.ports import PointsDelta, PointWeights, Received, VoteRow
from storage.database import SqlDatabase, create_engine
from storage.hot_votes import SqliteHot, hot
from storage.migrate import HEAD, current_revision, head_revision, upgrade
from storage.schema import communities, member_week_points, metadata, on_dialect
from storage.store import SqlStore

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
LEASE_S = timedelta(minutes=3)
WEEK_1 = "2026-03-02"
WEEK_2 = "2026-03-09"
GUILD = CommunityRef("discord", "guild-1", "Guild One")
OTHER_GUILD = CommunityRef("discord", "guild-2", "Guild Two")
ALICE = Actor("u-alice", "Alice")


def challenge_settings(title: str = "Next flavour") -> ChallengeSettings:
    return ChallengeSettings(
        title=title,
        brief="What should we make next?",
        terms=None,
        submissions_close="in 7 days",
        voting_close=None,
        vote_emoji="👍",
        ideas_per_member=3,
        review=False,
        self_votes=False,
        min_account_age=timedelta(days=7),
        min_member_age=timedelta(hours=1),
        sealed=False,
        schedule="",
        timezone="Europe/Paris",
        report_venue=None,
    )


async def seed(store: SqlStore, ref: CommunityRef = GUILD) -> tuple[Community, Member, int]:
    """A community, a member in it and a challenge they created."""
    community = await store.community(ref, NOW)
    member = (await store.ensure_members(community.id, [ALICE], NOW))[ALICE.external_id]
    challenge_id = await store.add_challenge(
        community.id, "flavour", challenge_settings(), ["chan-1"], member.id, NOW
    )
    return community, member, challenge_id


async def new_idea(
    store: SqlStore,
    community_id: int,
    challenge_id: int,
    author_id: int,
    at: datetime = NOW,
    **values: Any,
) -> Idea:
    number = await store.take_idea_number(community_id)
    return await store.add_idea(
        {
            "community_id": community_id,
            "challenge_id": challenge_id,
            "number": number,
            "title": f"Idea {number}",
            "description": "A description",
            "author_id": author_id,
            "status": IdeaStatus.PUBLISHED.value,
            "submitted_at": at,
            "updated_at": at,
        }
        | values
    )


async def add_members(store: SqlStore, community_id: int, *names: str) -> list[Member]:
    found = await store.ensure_members(community_id, [Actor(f"u-{n}", n) for n in names], NOW)
    return [found[f"u-{n}"] for n in names]


# -- migrations --------------------------------------------------------------------------


def _schema_snapshot(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    return {
        "tables": tables,
        "indexes": {
            (t, i["name"])
            for t in tables - {"alembic_version"}
            for i in inspector.get_indexes(t)
            if "duplicates_constraint" not in i  # PostgreSQL: a unique constraint's index
        },
        "uniques": {
            (t, u["name"])
            for t in tables - {"alembic_version"}
            for u in inspector.get_unique_constraints(t)
        },
        "foreign_keys": {
            (t, fk["name"], fk["referred_table"], fk["options"].get("ondelete"))
            for t in tables - {"alembic_version"}
            for fk in inspector.get_foreign_keys(t)
        },
        "diff": compare_metadata(
            MigrationContext.configure(
                conn, opts={"include_object": on_dialect(conn.dialect.name)}
            ),
            metadata,
        ),
    }


async def test_migrations_create_every_table_of_the_schema(database: SqlDatabase) -> None:
    async with database.engine.connect() as conn:
        found = await conn.run_sync(_schema_snapshot)

    assert found["tables"] == set(metadata.tables) | {"alembic_version"}
    assert found["indexes"] == {(t.name, i.name) for t in metadata.sorted_tables for i in t.indexes}
    assert found["uniques"] == {
        (t.name, c.name)
        for t in metadata.sorted_tables
        for c in t.constraints
        if isinstance(c, UniqueConstraint)
    }
    assert found["foreign_keys"] == {
        (t.name, fk.name, fk.referred_table.name, fk.ondelete)
        for t in metadata.sorted_tables
        for fk in t.foreign_key_constraints
    }
    # Alembic's own comparison: types, nullability, keys and indexes all as in schema.py.
    assert found["diff"] == []
    assert await current_revision(database.engine) == head_revision()


async def test_upgrading_twice_is_harmless(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community = await store.community(GUILD, NOW)

    await upgrade(database.engine)
    await upgrade(database.engine)

    assert await current_revision(database.engine) == head_revision()
    async with database.transaction() as store:
        assert await store.find_community(GUILD) == community


async def test_current_revision_is_none_before_the_first_upgrade(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def test_head_is_the_newest_migration_script() -> None:
    assert head_revision() == HEAD


def _upgrade_in_a_new_interpreter(db_file: Path) -> bool:
    """Runs `upgrade` on the file in a new Python; whether it imported Alembic."""
    script = (
        "import asyncio, sys\n"
        "from storage.database import create_engine\n"
        "from storage.migrate import upgrade\n"
        f"engine = create_engine('sqlite+aiosqlite:///{db_file.as_posix()}')\n"
        "asyncio.run(upgrade(engine))\n"
        "asyncio.run(engine.dispose())\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    return done.stdout.split()[-1] == "True"


def test_a_start_on_a_database_at_the_head_leaves_alembic_unloaded(tmp_path: Path) -> None:
    """Every start upgrades; a database already there costs one query, not Alembic."""
    db_file = tmp_path / "started.db"
    assert _upgrade_in_a_new_interpreter(db_file)  # a new file: migrated by Alembic
    assert not _upgrade_in_a_new_interpreter(db_file)


async def test_sqlite_connections_use_wal_foreign_keys_and_the_busy_timeout(
    sqlite_database: SqlDatabase, tmp_path: Path
) -> None:
    async with sqlite_database.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one() == 5000

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", busy_timeout_ms=1234)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one() == 1234
    finally:
        await engine.dispose()


# -- communities and members -------------------------------------------------------------


async def test_community_get_or_create_is_stable(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        first = await store.community(GUILD, NOW)
        again = await store.community(GUILD, NOW + timedelta(days=1))
    async with database.transaction() as store:
        later = await store.community(CommunityRef("discord", "guild-1"), NOW)
        other = await store.community(OTHER_GUILD, NOW)
        renamed = await store.community(CommunityRef("discord", "guild-1", "Renamed"), NOW)
        found = await store.find_community(GUILD)
        missing = await store.find_community(CommunityRef("slack", "guild-1"))

    assert first == Community(first.id, "discord", "guild-1", "Guild One", first.audit_key)
    assert len(first.audit_key) == 64 and first.audit_key != other.audit_key
    assert again == first
    assert later == first  # no name given: the stored one stays
    assert other.id != first.id
    assert renamed == Community(first.id, "discord", "guild-1", "Renamed", first.audit_key)
    assert found == renamed
    assert missing is None


async def test_ensure_members_creates_and_updates(database: SqlDatabase) -> None:
    joined = NOW - timedelta(days=30)
    async with database.transaction() as store:
        community = await store.community(GUILD, NOW)
        created = await store.ensure_members(
            community.id, [ALICE, Actor("u-bot", "Robot", is_bot=True)], NOW
        )
    async with database.transaction() as store:
        updated = await store.ensure_members(
            community.id,
            [Actor("u-alice", "Alice B.", joined_at=joined), Actor("u-carol", "Carol")],
            NOW + timedelta(hours=1),
        )
        alice = await store.member_by_external(community.id, "u-alice")

    assert set(created) == {"u-alice", "u-bot"}
    assert created["u-alice"].display_name == "Alice"
    assert created["u-alice"].first_seen_at == NOW
    assert created["u-alice"].joined_at is None
    assert created["u-bot"].is_bot
    assert created["u-alice"].id != created["u-bot"].id

    assert set(updated) == {"u-alice", "u-carol"}
    assert updated["u-alice"].id == created["u-alice"].id
    assert updated["u-alice"].display_name == "Alice B."
    assert updated["u-alice"].joined_at == joined
    assert updated["u-alice"].first_seen_at == NOW
    assert updated["u-carol"].first_seen_at == NOW + timedelta(hours=1)
    assert alice == updated["u-alice"]


async def test_a_new_member_is_created_whole_in_one_statement(database: SqlDatabase) -> None:
    """A member's first sight stores everything its platform told (its locale too), on the
    driver: no update through Core follows the insert."""
    async with database.transaction() as store:
        community = await store.community(GUILD, NOW)
    core_statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        core_statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with database.transaction() as store:
            created = await store.ensure_members(
                community.id, [Actor("u-dana", "Dana", locale="pt-BR")], NOW
            )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    async with database.transaction() as store:
        dana = await store.member_by_external(community.id, "u-dana")

    assert created["u-dana"].platform_locale == "pt-BR"
    assert dana == created["u-dana"]
    assert [s for s in core_statements if s.lstrip().upper().startswith("UPDATE")] == []


# -- ideas -------------------------------------------------------------------------------


async def test_idea_numbers_count_per_community(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        first = await store.community(GUILD, NOW)
        second = await store.community(OTHER_GUILD, NOW)
        numbers = [
            (first.id, await store.take_idea_number(first.id)),
            (second.id, await store.take_idea_number(second.id)),
            (first.id, await store.take_idea_number(first.id)),
        ]
    async with database.transaction() as store:
        numbers += [
            (first.id, await store.take_idea_number(first.id)),
            (second.id, await store.take_idea_number(second.id)),
        ]

    assert [n for c, n in numbers if c == first.id] == [1, 2, 3]
    assert [n for c, n in numbers if c == second.id] == [1, 2]


async def test_aware_datetimes_round_trip_as_utc(database: SqlDatabase) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    created = datetime(2026, 3, 2, 23, 59, 59, 654321, tzinfo=india)
    submitted = datetime(2026, 3, 1, 19, 0, 0, 1, tzinfo=timezone(timedelta(hours=-8)))
    async with database.transaction() as store:
        community = await store.community(GUILD, created)
        alice = (await store.ensure_members(community.id, [ALICE], created))["u-alice"]
        challenge_id = await store.add_challenge(
            community.id, "flavour", challenge_settings(), [], alice.id, created
        )
        await store.set_phase(challenge_id, Phase.OPEN, opened_at=submitted)
        idea = await new_idea(
            store, community.id, challenge_id, alice.id, submitted, published_at=created
        )
    async with database.transaction() as store:
        [challenge] = await store.challenges(community.id)
        members = await store.members_by_ids([alice.id])
        again = await store.idea(idea.id)

    assert again is not None
    stored = [
        (challenge.created_at, created),
        (challenge.opened_at, submitted),
        (members[alice.id].first_seen_at, created),
        (idea.submitted_at, submitted),
        (again.submitted_at, submitted),
        (again.published_at, created),
    ]
    for value, expected in stored:
        assert value == expected
        assert value is not None
        assert value.tzinfo == UTC
        assert value.utcoffset() == timedelta(0)
    assert again.submitted_at.isoformat() == "2026-03-02T03:00:00.000001+00:00"


async def test_naive_datetimes_are_refused(database: SqlDatabase) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.transaction() as store:
            await store.community(GUILD, NOW.replace(tzinfo=None))


async def test_a_constraint_violation_rolls_back_the_whole_transaction(
    database: SqlDatabase,
) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as store:
            community = await store.community(GUILD, NOW)
            alice = (await store.ensure_members(community.id, [ALICE], NOW))["u-alice"]
            await store.add_challenge(community.id, "dup", challenge_settings(), [], alice.id, NOW)
            await store.add_challenge(community.id, "dup", challenge_settings(), [], alice.id, NOW)

    async with database.transaction() as store:
        assert await store.find_community(GUILD) is None
        # The database is still usable, and the aborted ids cause no conflict.
        community, _, challenge_id = await seed(store)
        assert [c.id for c in await store.challenges(community.id)] == [challenge_id]


async def test_family_voters_count_a_member_once_across_merged_ideas(
    database: SqlDatabase,
) -> None:
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        bob, carol, dave = await add_members(store, community.id, "bob", "carol", "dave")
        head = await new_idea(store, community.id, challenge_id, alice.id)
        merged = await new_idea(store, community.id, challenge_id, bob.id)
        await store.add_votes(
            [
                VoteRow(head.id, carol.id, challenge_id, NOW, WEEK_1),
                VoteRow(merged.id, carol.id, challenge_id, NOW, WEEK_1),
                VoteRow(merged.id, dave.id, challenge_id, NOW, WEEK_1),
                VoteRow(head.id, bob.id, challenge_id, NOW, WEEK_1, voided=True),
            ]
        )
        before = await store.family_voters([head.id, merged.id])
    async with database.transaction() as store:
        await store.update_idea(
            merged.id, merged_into_id=head.id, status=IdeaStatus.MERGED.value, updated_at=NOW
        )
        after = await store.family_voters([head.id])
        family = await store.family(head.id)

    assert before == {head.id: {carol.id}, merged.id: {carol.id, dave.id}}  # bob's is voided
    assert after == {head.id: {carol.id, dave.id}}
    assert sorted(family) == sorted([head.id, merged.id])


# -- points, leaderboard, badges ---------------------------------------------------------


async def _points(
    store: SqlStore, community_id: int
) -> dict[tuple[int, str, bool], tuple[int, ...]]:
    t = member_week_points.c
    rows = await store.conn.execute(
        select(t.member_id, t.week, t.private, t.ideas_published, t.votes_cast, t.bonus).where(
            t.community_id == community_id
        )
    )
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


async def test_add_points_inserts_then_increments(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community, alice, _ = await seed(store)
        [bob] = await add_members(store, community.id, "bob")
        await store.add_points(
            community.id,
            [
                PointsDelta(alice.id, WEEK_1, ideas_published=1),
                PointsDelta(alice.id, WEEK_1, bonus=5),
                PointsDelta(alice.id, WEEK_1, ideas_published=1, private=True),
                PointsDelta(bob.id, WEEK_1, votes_cast=1),
            ],
        )
        inserted = await _points(store, community.id)
    async with database.transaction() as store:
        await store.add_points(
            community.id,
            [
                PointsDelta(alice.id, WEEK_1, ideas_published=1),
                PointsDelta(alice.id, WEEK_2, votes_cast=3),
                PointsDelta(bob.id, WEEK_1, votes_cast=2, bonus=-1),
            ],
        )
        await store.add_points(community.id, [])
        incremented = await _points(store, community.id)

    assert inserted == {
        (alice.id, WEEK_1, False): (1, 0, 5),
        (alice.id, WEEK_1, True): (1, 0, 0),
        (bob.id, WEEK_1, False): (0, 1, 0),
    }
    assert incremented == {
        (alice.id, WEEK_1, False): (2, 0, 5),
        (alice.id, WEEK_1, True): (1, 0, 0),
        (alice.id, WEEK_2, False): (0, 3, 0),
        (bob.id, WEEK_1, False): (0, 3, -1),
    }


async def test_leaderboard_caps_votes_cast_per_week_and_ties_share_a_rank(
    database: SqlDatabase,
) -> None:
    weights = PointWeights(idea_published=10, vote_received=3, vote_cast=1, vote_cast_weekly_cap=5)
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        bob, carol, dave = await add_members(store, community.id, "bob", "carol", "dave")
        await store.add_points(
            community.id,
            [
                PointsDelta(alice.id, WEEK_1, votes_cast=8),  # capped to 5
                PointsDelta(alice.id, WEEK_2, votes_cast=2),
                PointsDelta(bob.id, WEEK_1, ideas_published=1),
                PointsDelta(carol.id, WEEK_1, votes_cast=5),  # exactly the cap
                PointsDelta(dave.id, WEEK_2, bonus=0),  # no points: not listed
                PointsDelta(dave.id, WEEK_1, ideas_published=1, private=True),  # others: none
            ],
        )
        await store.add_received(
            community.id,
            challenge_id,
            [Received(bob.id, WEEK_1, False, 2), Received(dave.id, WEEK_1, True, 4)],
        )
        whole = await store.leaderboard(community.id, weights, None, None, limit=10)
        second_week = await store.leaderboard(community.id, weights, WEEK_2, WEEK_2, limit=10)
        first_week = await store.leaderboard(community.id, weights, None, WEEK_1, limit=10)
        page = await store.leaderboard(community.id, weights, None, None, limit=1, offset=1)
        alice_points = await store.member_points(community.id, alice.id, weights)
        dave_points = await store.member_points(community.id, dave.id, weights)

    def table(rows: list[Any]) -> list[tuple[int, str, int]]:
        return [(r.rank, r.display_name, r.points) for r in rows]

    assert table(whole) == [(1, "bob", 16), (2, "Alice", 7), (3, "carol", 5)]
    assert table(second_week) == [(1, "Alice", 2)]
    assert table(first_week) == [(1, "bob", 16), (2, "Alice", 5), (2, "carol", 5)]  # a tie
    assert table(page) == [(2, "Alice", 7)]
    assert whole[0].member_id == bob.id
    # the same weekly cap, one member; dave's points come from an anonymous idea
    assert (alice_points, dave_points) == ((7, 7), (0, 22))


async def test_award_is_idempotent_per_key(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community, alice, challenge_id = await seed(store)
        [bob] = await add_members(store, community.id, "bob")
        first = await store.award(
            community.id, alice.id, BadgeKind.SPARK, "spark:alice", NOW, challenge_id
        )
        again = await store.award(
            community.id, alice.id, BadgeKind.SPARK, "spark:alice", NOW + timedelta(days=1)
        )
    async with database.transaction() as store:
        same_key = await store.award(community.id, bob.id, BadgeKind.SPARK, "spark:alice", NOW)
        other_key = await store.award(community.id, bob.id, BadgeKind.VOICE, "voice:bob", NOW)
        other, carol, _ = await seed(store, OTHER_GUILD)
        elsewhere = await store.award(other.id, carol.id, BadgeKind.SPARK, "spark:alice", NOW)
        badges = await store.badges(community.id)
        alices = await store.badges(community.id, member_id=alice.id)

    assert (again, same_key) == (None, None)
    assert first is not None and other_key is not None and elsewhere is not None
    assert len({first, other_key, elsewhere}) == 3
    assert [(b.member_id, b.kind) for b in badges] == [
        (alice.id, BadgeKind.SPARK),
        (bob.id, BadgeKind.VOICE),
    ]
    assert len(alices) == 1
    assert alices[0].challenge_id == challenge_id
    assert alices[0].awarded_at == NOW


async def test_followups_are_held_for_their_process_then_claimed_with_a_lease_until_done(
    database: SqlDatabase,
) -> None:
    held = NOW + timedelta(minutes=10)
    async with database.transaction() as store:
        community, _, _ = await seed(store)
        await store.followups.add("badge", [7], community.id, NOW, NOW)
        await store.followups.add("refresh", [3, 4], community.id, NOW, held)
    async with database.transaction() as store:
        assert await store.followups.next_due() == NOW
        mine = await store.followups.claim(NOW, "me", NOW + LEASE_S, 10)
        again = await store.followups.claim(NOW, "other", NOW + LEASE_S, 10)
    # what is held for its process is not claimed until due, nor what is claimed
    assert mine == [FollowUp("badge", 7, NOW, 0)]
    assert again == []
    async with database.transaction() as store:
        await store.followups.done("badge", [7])
        assert await store.followups.next_due() == held
        late = await store.followups.claim(held, "other", held + LEASE_S, 10)
        assert [(f.kind, f.ref) for f in late] == [("refresh", 3), ("refresh", 4)]
        retry_at = held + timedelta(minutes=1)
        await store.followups.retry(late[0], 1, retry_at, "HTTP 503")
        await store.followups.done("refresh", [4])
        assert await store.followups.next_due() == retry_at
        assert await store.followups.claim(held, "other", held + LEASE_S, 10) == []
        [retried] = await store.followups.claim(retry_at, "other", retry_at + LEASE_S, 10)
    assert (retried.ref, retried.attempts) == (3, 1)
    async with database.transaction() as store:
        # a claim whose process died lapses with its lease
        assert await store.followups.next_due() == retry_at + LEASE_S
        [lapsed] = await store.followups.claim(
            retry_at + LEASE_S, "third", retry_at + 2 * LEASE_S, 10
        )
        assert lapsed.ref == 3
        # a change made again owes it again, held for the process that made it
        await store.followups.add("refresh", [3], community.id, held, held + LEASE_S)
        assert await store.followups.next_due() == held + LEASE_S
        [owed] = await store.followups.claim(held + LEASE_S, "fourth", held + 2 * LEASE_S, 10)
        assert (owed.created_at, owed.attempts) == (held, 0)
        # gone with its community's data
        await store.member_data.purge_community(community.id)
        assert await store.followups.next_due() is None


async def test_badges_by_ids_say_who_holds_them_where(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community, alice, _ = await seed(store)
        spark = await store.award(community.id, alice.id, BadgeKind.SPARK, "spark:alice", NOW)
        assert spark is not None
        found = await store.badges_by_ids([spark, spark + 100])
    assert found == {spark: Awarded(community.id, alice.id, BadgeKind.SPARK)}


# -- transactions ------------------------------------------------------------------------


async def _slow_writer(database: SqlDatabase, community_id: int, name: str) -> int:
    async with database.transaction() as store:
        number = await store.take_idea_number(community_id)
        await asyncio.sleep(0.05)  # let the other transaction start meanwhile
        await add_members(store, community_id, name)
        return number


async def test_concurrent_transactions_both_complete(database: SqlDatabase) -> None:
    async with database.transaction() as store:
        community = await store.community(GUILD, NOW)

    numbers = await asyncio.gather(
        _slow_writer(database, community.id, "bob"),
        _slow_writer(database, community.id, "carol"),
    )

    assert sorted(numbers) == [1, 2]
    async with database.transaction() as store:
        found = await store.ensure_members(community.id, [], NOW)
        assert await store.member_by_external(community.id, "u-bob") is not None
        assert await store.member_by_external(community.id, "u-carol") is not None
    assert found == {}


async def _sqlite_connection_of(database: SqlDatabase) -> sqlite3.Connection:
    async with database.transaction() as store:
        driver = await hot(store.conn)
        assert isinstance(driver, SqliteHot)
        return driver.conn


async def test_sqlite_transactions_take_turns_on_one_kept_connection(
    sqlite_database: SqlDatabase,
) -> None:
    first = await _sqlite_connection_of(sqlite_database)
    assert await _sqlite_connection_of(sqlite_database) is first
    with pytest.raises(IntegrityError):  # a refused statement: the connection stays
        async with sqlite_database.transaction() as store:
            await store.community(GUILD, NOW)
            await store.conn.exec_driver_sql(
                "INSERT INTO members (community_id, external_id) VALUES (-1, 'u-x')"
            )
    assert await _sqlite_connection_of(sqlite_database) is first
    async with sqlite_database.transaction() as store:  # and nothing of it was kept
        assert await store.find_community(GUILD) is None


@pytest.mark.parametrize("core_first", [True, False], ids=["core-first", "driver-first"])
async def test_a_sqlite_transaction_is_one_for_driver_and_core_statements(
    sqlite_database: SqlDatabase, core_first: bool
) -> None:
    """The kept connection's transactions begin on sqlite3 itself; a Core statement joins
    the open one, and both kinds commit, or roll back, together."""
    async with sqlite_database.transaction() as store:
        community = await store.community(GUILD, NOW)
    rename = update(communities).where(communities.c.id == community.id).values(name="Renamed")

    async def write(store: SqlStore) -> None:
        if core_first:
            await store.conn.execute(rename)
        await store.ensure_members(community.id, [ALICE], NOW)  # on the driver
        if not core_first:
            assert not store.conn.in_transaction()  # open on sqlite3, not in SQLAlchemy
            await store.conn.execute(rename)
        assert store.conn.in_transaction()  # the Core statement joined it

    async def kept(store: SqlStore) -> tuple[str, bool]:
        name = str(await store.conn.scalar(select(communities.c.name)))
        member = await store.member_by_external(community.id, ALICE.external_id)
        return name, member is not None

    with pytest.raises(RuntimeError, match="after both"):
        async with sqlite_database.transaction() as store:
            await write(store)
            raise RuntimeError("after both")
    async with sqlite_database.transaction() as store:
        assert await kept(store) == ("Guild One", False)
    async with sqlite_database.transaction() as store:
        await write(store)
    async with sqlite_database.transaction() as store:
        assert await kept(store) == ("Renamed", True)


async def test_a_sqlite_connection_the_database_gave_up_on_is_replaced(
    sqlite_database: SqlDatabase,
) -> None:
    first = await _sqlite_connection_of(sqlite_database)
    with pytest.raises(StorageUnavailable):
        async with sqlite_database.transaction():
            raise sqlite3.OperationalError("disk I/O error")
    second = await _sqlite_connection_of(sqlite_database)
    assert second is not first
    with pytest.raises(sqlite3.ProgrammingError):  # the one given up on was closed
        first.execute("SELECT 1")
    async with sqlite_database.transaction() as store:
        assert (await store.community(GUILD, NOW)).id > 0


async def test_a_sqlite_transaction_after_close_gets_a_connection_of_its_own(
    tmp_path: Path,
) -> None:
    database = SqlDatabase(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}"))
    await upgrade(database.engine)
    kept = await _sqlite_connection_of(database)
    await database.close()
    with pytest.raises(sqlite3.ProgrammingError):
        kept.execute("SELECT 1")
    async with database.transaction() as store:  # a task still finishing after the stop
        assert (await store.community(GUILD, NOW)).id > 0
    assert database.pool_status().get("checked_out") == 0
    await database.engine.dispose()


#: Another process: takes the write lock, takes idea number 1, holds the lock a moment.
_OTHER_PROCESS_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE communities SET next_idea_number = next_idea_number + 1")
print("locked", flush=True)
time.sleep(0.3)
conn.execute("COMMIT")
"""


async def test_a_writer_in_another_process_is_waited_for(sqlite_database: SqlDatabase) -> None:
    """Statements run on the event loop's thread: a lock held by another process is waited
    out (busy timeout), not failed, and neither process loses its write."""
    async with sqlite_database.transaction() as store:
        community = await store.community(GUILD, NOW)
    path = sqlite_database.engine.url.database
    assert path is not None
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _OTHER_PROCESS_WRITER, path, stdout=asyncio.subprocess.PIPE
    )
    assert other.stdout is not None
    assert await other.stdout.readline() == b"locked\n"
    number = await _slow_writer(sqlite_database, community.id, "bob")
    assert await other.wait() == 0

    assert number == 2
    async with sqlite_database.transaction() as store:
        assert await store.take_idea_number(community.id) == 3
