"""The reaction writer on PostgreSQL: its reads, in the generic plans that asyncpg's
prepared statements settle on, take their rows by key whatever the planner estimates, and
its updates of the points' counters stay on their rows' pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.ports import PointsDelta, Received
from storage.hot_votes import POSTGRES, PostgresHot
from storage.store import SqlStore
from tests.conftest import postgres_database
from tests.test_storage import add_members, new_idea, seed

IDEAS = 300
MEMBERS = 40


async def _driver(store: SqlStore) -> Any:
    """The asyncpg connection under this transaction."""
    driver = await store._driver()
    assert isinstance(driver, PostgresHot)
    return driver.conn


def _array(ids: list[int]) -> str:
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def _reads(plan: dict[str, Any], table: str) -> Iterator[int]:
    """The rows each node of the plan read from this table, over all its loops."""
    if plan.get("Relation Name") == table:
        per_loop = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        yield per_loop * plan["Actual Loops"]
    for child in plan.get("Plans", []):
        yield from _reads(child, table)


async def test_a_batch_reads_the_posts_of_its_own_ideas_by_key() -> None:
    async with postgres_database() as database:
        async with database.transaction() as store:
            community, author, challenge_id = await seed(store)
            ideas = [
                (await new_idea(store, community.id, challenge_id, author.id)).id
                for _ in range(IDEAS)
            ]
            members = [
                m.id for m in await add_members(store, community.id, *map(str, range(MEMBERS)))
            ]
            conn = await _driver(store)
            await conn.execute(
                "INSERT INTO idea_posts (community_id, idea_id, channel_id, message_id, "
                "posted_at) SELECT $1, i, 'chan-1', 'msg-' || i, now() "
                "FROM unnest($2::bigint[]) AS i",
                community.id,
                ideas,
            )
            # Each member reacted on five posts.
            await conn.execute(
                "INSERT INTO reaction_states (post_id, member_id, variant, present, seen_at) "
                "SELECT p.id, k.m, '', true, now() FROM unnest($1::bigint[]) "
                "WITH ORDINALITY AS k(m, n) JOIN idea_posts AS p "
                "ON p.idea_id % $2 BETWEEN k.n AND k.n + 4",
                members,
                IDEAS,
            )
        batch_ideas = ideas[::5][:64]
        async with database.transaction() as store:
            conn = await _driver(store)
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.execute(
                "PREPARE states_of_members(bigint[], bigint[]) AS " + POSTGRES["states_of_members"]
            )
            # EXECUTE takes no parameters of the protocol: the ids go in as literals.
            run = f"EXECUTE states_of_members('{_array(members)}', '{_array(batch_ideas)}')"
            explained = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {run}")
            found = await conn.fetch(run)

        # SQLAlchemy's asyncpg dialect has its connections decode JSON.
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
        assert found  # the batch's members did react on some of its ideas' posts
        assert sum(_reads(plan, "idea_posts")) <= len(batch_ideas)
        assert sum(_reads(plan, "reaction_states")) <= 5 * MEMBERS


async def test_a_vote_counted_again_updates_the_points_rows_on_their_pages() -> None:
    # No index holds the counters: each update is heap-only (HOT), no index changes.
    week = "2026-03-02"
    async with postgres_database() as database:
        async with database.transaction() as store:
            community, author, challenge_id = await seed(store)
            [voter] = await add_members(store, community.id, "voter")
        async with database.transaction() as store:
            for _ in range(3):  # the first adds the rows, the next two update them
                await store.add_points(community.id, [PointsDelta(voter.id, week, votes_cast=1)])
                await store.add_received(
                    community.id, challenge_id, [Received(author.id, week, False, 1)]
                )
            conn = await _driver(store)
            rows = await conn.fetch(
                "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                "WHERE relname IN ('member_week_points', 'received_points')"
            )
        updates = {r["relname"]: (r["n_tup_upd"], r["n_tup_hot_upd"]) for r in rows}
        assert updates == {"member_week_points": (2, 2), "received_points": (2, 2)}
