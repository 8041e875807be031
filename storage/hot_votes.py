"""The reaction writer's statements, straight to the driver: sqlite3 or asyncpg.

The reaction writer runs some twenty statements per batch of events. Through SQLAlchemy
Core each one pays for cache keys, parameter processing, result rows and a greenlet
switch per call, more than SQLite takes to run it. Here the SQL is written once per
backend, parameters go to the driver as tuples, and rows come back as tuples, inside the
transaction SQLAlchemy opened on the same connection (so commit, rollback, locks and the
errors `storage.database.classify` sorts work as for any other statement).

On PostgreSQL the reads look rows up key by key (``unnest`` of the keys, a ``LATERAL``
subquery per key that ``OFFSET 0`` keeps from being flattened into a join): whatever the
planner believes of tables whose statistics lag behind their growth (a new challenge's
votes and log), it has no plan but an index lookup per key. With a plain ``= ANY(…)`` it
scanned all of a community's log entries, then all of them again, for each batch's event
ids. asyncpg prepares each statement once per connection, and PostgreSQL may settle on a
generic plan after a few runs: the shape above keeps that plan an index lookup, and the
ANALYZE of a table that grew replans it. (Planning every statement for its values,
``force_custom_plan``, planned each row of every ``executemany`` again: the writer took
about half as long again.)

On PostgreSQL, the inserts of many rows go as one statement over one array per column
(``INSERT … SELECT * FROM unnest(…)``, `POSTGRES_BULK`): ``executemany`` sends the rows in
one round trip, but the server still plans and runs the statement once per row. Updates
and deletes stay row by row: joined to ``unnest``, their generic plans may scan the table.

Lists go to the database as one parameter (a JSON array on SQLite, an array on
PostgreSQL), so one statement text serves every length and the drivers' statement caches
hold. The reads that take members and ideas are driven by the member: a member's votes
and reactions are few however many the challenge holds, whereas an idea's grow with it.

Times: SQLite stores them naive in UTC as "YYYY-MM-DD HH:MM:SS.ffffff" (as SQLAlchemy's
dialect writes them, so both can read and compare what the other wrote); PostgreSQL
takes and gives aware ones.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


def _sqlite_time(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    utc = at if at.tzinfo is UTC else at.astimezone(UTC)
    return utc.isoformat(" ", "microseconds")[:-6]  # without "+00:00"


def _sqlite_read_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # Parsed with its zone in one step: replacing the zone afterwards costs five times more.
    return datetime.fromisoformat(value + "+00:00")


def _pg_time(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return at


def _pg_read_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Hot:
    """The statements of one backend on one transaction's connection."""

    #: how a time goes to the driver, and how one comes back
    time: Any
    read_time: Any

    async def rows(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        """The rows of any statement in the driver's own SQL (none for one without)."""
        raise NotImplementedError

    async def fetch(self, name: str, *params: Any) -> list[Sequence[Any]]:
        raise NotImplementedError

    async def execute(self, name: str, *params: Any) -> None:
        raise NotImplementedError

    async def executemany(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def fetch_each(self, name: str, rows: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        """What a statement returns for each of many rows, together."""
        raise NotImplementedError

    def ids(self, values: Sequence[Any]) -> Any:
        """A list as one parameter."""
        raise NotImplementedError


# -- SQLite ----------------------------------------------------------------------------

_IN = "(SELECT value FROM json_each(?))"

#: the columns `idea_row` and `member_row` read, in order
IDEA_COLUMNS = (
    "id, community_id, challenge_id, number, title, description, author_id, anonymous, "
    "status, status_note, merged_into_id, vote_count, submitted_at, published_at, "
    "first_foreign_vote_at, source_url"
)
MEMBER_COLUMNS = (
    "id, community_id, external_id, display_name, is_bot, first_seen_at, "
    "account_created_at, joined_at, blocked, person_id, locale, platform_locale"
)
#: members, with the person each linked identity is (bot/accounts.py)
_LINKED_MEMBERS = "members LEFT JOIN member_links ON member_links.member_id = members.id"
#: a new member as `MEMBER_COLUMNS` read it: linked to no person yet
_ADDED_MEMBER = "RETURNING " + MEMBER_COLUMNS.replace("person_id", "{}")

SQLITE: dict[str, str] = {
    "ideas_by_ids": f"SELECT {IDEA_COLUMNS} FROM ideas WHERE id IN {_IN}",
    # SQLite's writers take turns on the database lock: no row lock to take.
    "lock_ideas": f"SELECT id, merged_into_id FROM ideas WHERE id IN {_IN} ORDER BY id",
    "merged_into": f"SELECT id, merged_into_id FROM ideas WHERE merged_into_id IN {_IN}",
    "members_by_external": (
        f"SELECT {MEMBER_COLUMNS} FROM {_LINKED_MEMBERS} "
        f"WHERE community_id = ? AND external_id IN {_IN}"
    ),
    "members_by_ids": f"SELECT {MEMBER_COLUMNS} FROM {_LINKED_MEMBERS} WHERE id IN {_IN}",
    "voided": (
        f"SELECT challenge_id, member_id FROM voids WHERE challenge_id IN {_IN} "
        f"AND member_id IN {_IN}"
    ),
    "post_floors": (
        f"SELECT id, settled_at FROM idea_posts WHERE idea_id IN {_IN} AND settled_at IS NOT NULL"
    ),
    # Member first (CROSS JOIN keeps that order), with every key column up to the member
    # bound (`private` both ways): an index used by the community alone would read every
    # member's weeks.
    "active_weeks": (
        "SELECT w.member_id, w.week FROM json_each(?2) AS k "
        "CROSS JOIN member_week_points AS w WHERE w.community_id = ?1 "
        "AND w.private IN (0, 1) AND w.member_id = k.value "
        "AND w.week IN (SELECT value FROM json_each(?3)) "
        "AND (w.ideas_published > 0 OR w.votes_cast > 0)"
    ),
    # The brigading alerts' look at ideas' recent counted votes (ix_reaction_log_credited).
    "recent_gains": (
        "SELECT r.credited_idea_id, r.member_id, m.display_name, r.occurred_at, "
        "m.account_created_at, m.joined_at FROM reaction_log AS r "
        f"JOIN members AS m ON m.id = r.member_id WHERE r.credited_idea_id IN {_IN} "
        "AND r.occurred_at >= ? AND r.counted > 0 AND r.source = ? "
        "ORDER BY r.occurred_at, r.seq"
    ),
    "awarded_keys": f'SELECT "key" FROM badges WHERE community_id = ? AND "key" IN {_IN}',
    "badges_by_ids": f"SELECT id, community_id, member_id, kind FROM badges WHERE id IN {_IN}",
    "has_endpoints": (
        "SELECT 1 FROM webhook_endpoints WHERE community_id = ? AND state = 'active' LIMIT 1"
    ),
    "votes_by_member": (
        "SELECT member_id, count(*) FROM votes WHERE challenge_id = ? "
        f"AND member_id IN {_IN} AND NOT voided GROUP BY member_id"
    ),
    "award": (
        'INSERT INTO badges (community_id, member_id, kind, "key", challenge_id, idea_id, '
        "awarded_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        'ON CONFLICT (community_id, "key") DO NOTHING RETURNING id'
    ),
    # A change made again owes its follow-up again, held for the process that made it.
    "add_followups": (
        "INSERT INTO followups (kind, ref, community_id, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, ref) DO UPDATE SET "
        "created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at, "
        "attempts = 0, claimed_by = NULL, claimed_until = NULL"
    ),
    "followups_done": f"DELETE FROM followups WHERE kind = ? AND ref IN {_IN}",
    "add_members": (
        "INSERT INTO members (community_id, external_id, display_name, is_bot, "
        "first_seen_at, account_created_at, joined_at, platform_locale, blocked) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community_id, external_id) DO NOTHING "
        + _ADDED_MEMBER.format("NULL")
    ),
    "first_foreign_votes": (
        "UPDATE ideas SET first_foreign_vote_at = ? WHERE id = ? AND first_foreign_vote_at IS NULL"
    ),
    "raise_floors": (
        "UPDATE idea_posts SET settled_at = ? WHERE id = ? "
        "AND (settled_at IS NULL OR settled_at < ?)"
    ),
    "seen": f"SELECT event_id FROM reaction_log WHERE community_id = ? AND event_id IN {_IN}",
    # Member first (CROSS JOIN keeps that order): a member's reactions are few.
    "states_of_members": (
        "SELECT s.post_id, p.idea_id, s.member_id, s.variant, s.present, s.changed_at, "
        "s.seen_at, s.synced FROM json_each(?) AS k CROSS JOIN reaction_states AS s "
        "INDEXED BY ix_reaction_states_member CROSS JOIN idea_posts AS p "
        f"WHERE s.member_id = k.value AND p.id = s.post_id AND p.idea_id IN {_IN}"
    ),
    "votes_for": (
        "SELECT v.idea_id, v.member_id, v.challenge_id, v.cast_at, v.week, v.voided "
        "FROM json_each(?) AS k CROSS JOIN votes AS v INDEXED BY ix_votes_member "
        f"WHERE v.member_id = k.value AND v.idea_id IN {_IN}"
    ),
    "save_states": (
        "INSERT INTO reaction_states (post_id, member_id, variant, present, changed_at, "
        "seen_at, synced) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (post_id, member_id, variant) DO UPDATE SET present = excluded.present, "
        "changed_at = excluded.changed_at, seen_at = excluded.seen_at, "
        "synced = excluded.synced"
    ),
    "append_log": (
        "INSERT INTO reaction_log (community_id, challenge_id, seq, counted, "
        "credited_idea_id, hash, event_id, post_id, idea_id, member_id, action, emoji, "
        "occurred_at, recorded_at, source, effect) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (community_id, event_id) DO NOTHING"
    ),
    "add_votes": (
        "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week, voided) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    ),
    "remove_votes": "DELETE FROM votes WHERE idea_id = ? AND member_id = ?",
    "add_points": (
        "INSERT INTO member_week_points (community_id, member_id, week, private, "
        "ideas_published, votes_cast, bonus) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (community_id, member_id, week, private) DO UPDATE SET "
        "ideas_published = member_week_points.ideas_published + excluded.ideas_published, "
        "votes_cast = member_week_points.votes_cast + excluded.votes_cast, "
        "bonus = member_week_points.bonus + excluded.bonus"
    ),
    "add_received": (
        "INSERT INTO received_points (community_id, challenge_id, member_id, week, private, "
        "votes) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (challenge_id, member_id, week, private) DO UPDATE SET "
        "votes = received_points.votes + excluded.votes"
    ),
    "add_vote_counts": "UPDATE ideas SET vote_count = vote_count + ? WHERE id = ?",
    # SQLite's writers take turns on the database lock: no row lock to take.
    "lock_chain": "SELECT entries, head FROM vote_chains WHERE challenge_id = ?",
    "add_chain": (
        "INSERT INTO vote_chains (challenge_id, entries, head) VALUES (?, ?, ?) "
        "ON CONFLICT (challenge_id) DO NOTHING"
    ),
    "set_chain": "UPDATE vote_chains SET entries = ?, head = ? WHERE challenge_id = ?",
}


class SqliteHot(Hot):
    time = staticmethod(_sqlite_time)
    read_time = staticmethod(_sqlite_read_time)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def rows(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return self.conn.execute(statement, params).fetchall()

    async def fetch(self, name: str, *params: Any) -> list[Sequence[Any]]:
        return self.conn.execute(SQLITE[name], params).fetchall()

    async def execute(self, name: str, *params: Any) -> None:
        self.conn.execute(SQLITE[name], params)

    async def executemany(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.executemany(SQLITE[name], rows)

    async def fetch_each(self, name: str, rows: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        return [found for row in rows for found in self.conn.execute(SQLITE[name], row)]

    def ids(self, values: Sequence[Any]) -> str:
        return json.dumps(list(values))


# -- PostgreSQL ------------------------------------------------------------------------

POSTGRES: dict[str, str] = {
    "ideas_by_ids": (
        f"SELECT {IDEA_COLUMNS} FROM unnest($1::bigint[]) AS k(i) CROSS JOIN LATERAL ("
        "SELECT * FROM ideas WHERE id = k.i OFFSET 0) AS i"
    ),
    # The ids come sorted: rows are locked in that order.
    "lock_ideas": (
        "SELECT i.id, i.merged_into_id FROM unnest($1::bigint[]) WITH ORDINALITY AS k(i, n) "
        "CROSS JOIN LATERAL (SELECT id, merged_into_id FROM ideas WHERE id = k.i "
        "FOR UPDATE) AS i ORDER BY k.n"
    ),
    "merged_into": (
        "SELECT id, merged_into_id FROM ideas WHERE merged_into_id = ANY($1::bigint[])"
    ),
    "members_by_ids": (
        f"SELECT {MEMBER_COLUMNS} FROM {_LINKED_MEMBERS} WHERE id = ANY($1::bigint[])"
    ),
    "members_by_external": (
        f"SELECT {MEMBER_COLUMNS} FROM unnest($2::varchar[]) AS k(e) CROSS JOIN LATERAL ("
        f"SELECT * FROM {_LINKED_MEMBERS} WHERE community_id = $1 AND external_id = k.e "
        "OFFSET 0) AS m"
    ),
    "voided": (
        "SELECT challenge_id, member_id FROM voids WHERE challenge_id = ANY($1::bigint[]) "
        "AND member_id = ANY($2::bigint[])"
    ),
    "post_floors": (
        "SELECT id, settled_at FROM idea_posts WHERE idea_id = ANY($1::bigint[]) "
        "AND settled_at IS NOT NULL"
    ),
    "active_weeks": (
        "SELECT w.member_id, w.week FROM unnest($2::bigint[]) AS k(m) CROSS JOIN LATERAL ("
        "SELECT * FROM member_week_points WHERE community_id = $1 AND member_id = k.m "
        "AND week = ANY($3::varchar[]) AND (ideas_published > 0 OR votes_cast > 0) "
        "OFFSET 0) AS w"
    ),
    "recent_gains": (
        "SELECT r.credited_idea_id, r.member_id, m.display_name, r.occurred_at, "
        "m.account_created_at, m.joined_at FROM unnest($1::bigint[]) AS k(i) "
        "CROSS JOIN LATERAL (SELECT * FROM reaction_log WHERE credited_idea_id = k.i "
        "AND occurred_at >= $2 AND counted > 0 AND source = $3 OFFSET 0) AS r "
        "JOIN members AS m ON m.id = r.member_id ORDER BY r.occurred_at, r.seq"
    ),
    "badges_by_ids": (
        "SELECT id, community_id, member_id, kind FROM badges WHERE id = ANY($1::bigint[])"
    ),
    "has_endpoints": (
        "SELECT 1 FROM webhook_endpoints WHERE community_id = $1 AND state = 'active' LIMIT 1"
    ),
    "awarded_keys": (
        'SELECT b."key" FROM unnest($2::varchar[]) AS k(e) CROSS JOIN LATERAL ('
        'SELECT "key" FROM badges WHERE community_id = $1 AND "key" = k.e OFFSET 0) AS b'
    ),
    "votes_by_member": (
        "SELECT k.m, c.n FROM unnest($2::bigint[]) AS k(m) CROSS JOIN LATERAL ("
        "SELECT count(*) AS n FROM votes WHERE challenge_id = $1 AND member_id = k.m "
        "AND NOT voided OFFSET 0) AS c WHERE c.n > 0"
    ),
    "award": (
        'INSERT INTO badges (community_id, member_id, kind, "key", challenge_id, idea_id, '
        "awarded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        'ON CONFLICT (community_id, "key") DO NOTHING RETURNING id'
    ),
    "add_followups": (
        "INSERT INTO followups (kind, ref, community_id, created_at, next_attempt_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, ref) DO UPDATE SET "
        "created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at, "
        "attempts = 0, claimed_by = NULL, claimed_until = NULL"
    ),
    "followups_done": "DELETE FROM followups WHERE kind = $1 AND ref = ANY($2::bigint[])",
    "add_members": (
        "INSERT INTO members (community_id, external_id, display_name, is_bot, "
        "first_seen_at, account_created_at, joined_at, platform_locale, blocked) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (community_id, external_id) DO NOTHING " + _ADDED_MEMBER.format("NULL::bigint")
    ),
    "first_foreign_votes": (
        "UPDATE ideas SET first_foreign_vote_at = $1 WHERE id = $2 "
        "AND first_foreign_vote_at IS NULL"
    ),
    "raise_floors": (
        "UPDATE idea_posts SET settled_at = $1 WHERE id = $2 "
        "AND (settled_at IS NULL OR settled_at < $3)"
    ),
    "seen": (
        "SELECT l.event_id FROM unnest($2::varchar[]) AS k(e) CROSS JOIN LATERAL ("
        "SELECT event_id FROM reaction_log WHERE community_id = $1 AND event_id = k.e "
        "OFFSET 0) AS l"
    ),
    # The ideas' posts first, by key and once (MATERIALIZED): joined as a table, the
    # generic plan scanned every post again for each member, testing each against the
    # ideas one by one (a parameter's array is not hashed as a constant one is): 4-7 ms a
    # batch of 64 in some runs of bench/votes.py, against 0.6-1.3 ms in this shape.
    "states_of_members": (
        "WITH p AS MATERIALIZED (SELECT ip.id, ip.idea_id FROM unnest($2::bigint[]) AS i(x) "
        "CROSS JOIN LATERAL (SELECT id, idea_id FROM idea_posts WHERE idea_id = i.x "
        "OFFSET 0) AS ip) "
        "SELECT s.post_id, p.idea_id, s.member_id, s.variant, s.present, s.changed_at, "
        "s.seen_at, s.synced FROM unnest($1::bigint[]) AS k(m) CROSS JOIN LATERAL ("
        "SELECT * FROM reaction_states WHERE member_id = k.m OFFSET 0) AS s "
        "JOIN p ON p.id = s.post_id"
    ),
    # The ideas are filtered outside the member's subquery: inside it, the planner took the
    # primary key (idea, member) for one descent per idea and member, 4,096 a batch of 64
    # (12,000 buffers at a million votes, against 600 for the members' own votes).
    "votes_for": (
        "SELECT v.idea_id, v.member_id, v.challenge_id, v.cast_at, v.week, v.voided "
        "FROM unnest($1::bigint[]) AS k(m) CROSS JOIN LATERAL ("
        "SELECT * FROM votes WHERE member_id = k.m OFFSET 0) AS v "
        "WHERE v.idea_id = ANY($2::bigint[])"
    ),
    "save_states": (
        "INSERT INTO reaction_states (post_id, member_id, variant, present, changed_at, "
        "seen_at, synced) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (post_id, member_id, variant) DO UPDATE SET present = excluded.present, "
        "changed_at = excluded.changed_at, seen_at = excluded.seen_at, "
        "synced = excluded.synced"
    ),
    "append_log": (
        "INSERT INTO reaction_log (community_id, challenge_id, seq, counted, "
        "credited_idea_id, hash, event_id, post_id, idea_id, member_id, action, emoji, "
        "occurred_at, recorded_at, source, effect) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
        "ON CONFLICT (community_id, event_id) DO NOTHING"
    ),
    "add_votes": (
        "INSERT INTO votes (idea_id, member_id, challenge_id, cast_at, week, voided) "
        "VALUES ($1, $2, $3, $4, $5, $6)"
    ),
    "remove_votes": "DELETE FROM votes WHERE idea_id = $1 AND member_id = $2",
    "add_points": (
        "INSERT INTO member_week_points (community_id, member_id, week, private, "
        "ideas_published, votes_cast, bonus) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (community_id, member_id, week, private) DO UPDATE SET "
        "ideas_published = member_week_points.ideas_published + excluded.ideas_published, "
        "votes_cast = member_week_points.votes_cast + excluded.votes_cast, "
        "bonus = member_week_points.bonus + excluded.bonus"
    ),
    "add_received": (
        "INSERT INTO received_points (community_id, challenge_id, member_id, week, private, "
        "votes) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (challenge_id, member_id, week, private) DO UPDATE SET "
        "votes = received_points.votes + excluded.votes"
    ),
    "add_vote_counts": "UPDATE ideas SET vote_count = vote_count + $1 WHERE id = $2",
    "lock_chain": "SELECT entries, head FROM vote_chains WHERE challenge_id = $1 FOR UPDATE",
    "add_chain": (
        "INSERT INTO vote_chains (challenge_id, entries, head) VALUES ($1, $2, $3) "
        "ON CONFLICT (challenge_id) DO NOTHING"
    ),
    "set_chain": "UPDATE vote_chains SET entries = $1, head = $2 WHERE challenge_id = $3",
}


def _over_arrays(name: str, types: str) -> str:
    """The insert `name` of `POSTGRES`, taking an array per column (of these types, in
    order) where it takes one row."""
    columns = types.split()
    row = "VALUES (" + ", ".join(f"${n}" for n in range(1, len(columns) + 1)) + ")"
    if row not in POSTGRES[name]:
        raise ValueError(f"{name} does not insert one row of {len(columns)} columns")
    arrays = ", ".join(f"${n}::{t}[]" for n, t in enumerate(columns, 1))
    return POSTGRES[name].replace(row, f"SELECT * FROM unnest({arrays})")


#: Inserts of many rows as one statement. The rows of one call name distinct keys: an
#: ``ON CONFLICT … DO UPDATE`` may touch a row once (the store merges).
POSTGRES_BULK: dict[str, str] = {
    "append_log": _over_arrays(
        "append_log",
        "bigint bigint int int bigint varchar varchar bigint bigint bigint varchar varchar "
        "timestamptz timestamptz varchar varchar",
    ),
    "save_states": _over_arrays(
        "save_states", "bigint bigint varchar boolean timestamptz timestamptz boolean"
    ),
    "add_votes": _over_arrays("add_votes", "bigint bigint bigint timestamptz varchar boolean"),
    "add_points": _over_arrays("add_points", "bigint bigint varchar boolean int int int"),
    "add_received": _over_arrays("add_received", "bigint bigint bigint varchar boolean int"),
    "add_members": _over_arrays(
        "add_members",
        "bigint varchar varchar boolean timestamptz timestamptz timestamptz varchar boolean",
    ),
    "add_vote_counts": (
        "UPDATE ideas SET vote_count = vote_count + u.delta "
        "FROM unnest($1::int[], $2::bigint[]) AS u(delta, id) WHERE ideas.id = u.id"
    ),
}


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as an array per column, for a statement of `POSTGRES_BULK`."""
    return [list(c) for c in zip(*rows, strict=True)]


class PostgresHot(Hot):
    """The statements on asyncpg, in the transaction that `SqlDatabase` began on it."""

    time = staticmethod(_pg_time)
    read_time = staticmethod(_pg_read_time)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def rows(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        rows: list[Sequence[Any]] = await self.conn.fetch(statement, *params)
        return rows

    async def fetch(self, name: str, *params: Any) -> list[Sequence[Any]]:
        return await self.rows(POSTGRES[name], params)

    async def execute(self, name: str, *params: Any) -> None:
        await self.rows(POSTGRES[name], params)

    async def executemany(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) > 1 and name in POSTGRES_BULK:
            await self.rows(POSTGRES_BULK[name], _columns(rows))
        else:
            await self.conn.executemany(POSTGRES[name], rows)

    async def fetch_each(self, name: str, rows: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        if len(rows) > 1 and name in POSTGRES_BULK:
            return await self.rows(POSTGRES_BULK[name], _columns(rows))
        return [found for row in rows for found in await self.rows(POSTGRES[name], row)]

    def ids(self, values: Sequence[Any]) -> list[Any]:
        return list(values)


async def hot(conn: AsyncConnection) -> Hot:
    """The driver-level statements on this connection, in its current transaction."""
    if conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        sqlite_conn = getattr(raw.driver_connection, "_conn", None)
        if not isinstance(sqlite_conn, sqlite3.Connection):
            raise TypeError("the SQLite hot path needs an aiosqlite connection")
        # The writers' transactions begin with BEGIN IMMEDIATE (storage.database), on the
        # connection SQLAlchemy hands us; a read-only connection may run outside one.
        return SqliteHot(sqlite_conn)
    driver: Any = (await conn.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():  # its statements would each commit on their own
        raise RuntimeError("the hot path runs inside a transaction begun on the driver only")
    return PostgresHot(driver)
