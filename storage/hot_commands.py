"""The commands' busiest statements, straight to the driver: sqlite3 or asyncpg.

Every command looks up its challenge, and `/idea submit` reads the texts of the
challenge's ideas for its duplicate hint. Through SQLAlchemy Core each statement pays
for cache keys, parameter processing and result rows, more than the database takes to
answer; here, as for the reaction writer (`storage/hot_votes.py`, whose connection
handling and conventions these share), the SQL is written once per backend and runs
inside the transaction SQLAlchemy opened. `tests/test_command_sql.py` checks each
against the Core query it replaces, on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.hot_votes import IDEA_COLUMNS, Hot, SqliteHot

#: the columns `challenge_of_row` reads, in order
CHALLENGE_COLUMNS = (
    "id, community_id, slug, phase, title, brief, terms, submissions_close, voting_close, "
    "vote_emoji, ideas_per_member, review, self_votes, min_account_age_s, "
    "min_member_age_s, sealed, schedule, timezone, report_venue, multiple_places, "
    "created_by, created_at, opened_at, submissions_close_at, voting_close_at, closed_at, "
    "reminder_s, repeat, round, previous_id, opens_at"
)
#: the columns of a `Community`, in order
COMMUNITY_COLUMNS = "id, platform, external_id, name, audit_key, locale"
_NEW_IDEA = (
    "INSERT INTO ideas (community_id, challenge_id, number, title, description, author_id, "
    "anonymous, status, vote_count, submitted_at, published_at, updated_at, texts_version) "
)
_RAISE = "UPDATE challenges SET ideas_version = ideas_version + 1 WHERE"
_CLAIM = (
    "INSERT INTO scheduled_posts (challenge_id, kind, period, due_at, state, claimed_by, "
    "claimed_at, attempts, payload) "
)
_NEW_POST = "INSERT INTO idea_posts (community_id, idea_id, channel_id, message_id, posted_at) "
_REQUEST_KEY = 'INSERT INTO request_keys ("key", seen_at) '
_KEY_TAKEN = 'ON CONFLICT ("key") DO NOTHING RETURNING "key"'
_SENT = "UPDATE scheduled_posts SET state = 'sent', last_error = NULL, next_attempt_at = NULL,"
_CLAIMED = "ON CONFLICT (challenge_id, kind, period) DO NOTHING RETURNING id"
_IN = "(SELECT value FROM json_each(?))"
_NEW_THREAD = (
    "INSERT INTO idea_threads (community_id, idea_id, channel_id, thread_id, forum, "
    "opened_at, replies) "
)
_THREAD_KNOWN = "ON CONFLICT (community_id, channel_id, thread_id) DO NOTHING"
#: each idea's replies over its threads, and how many people took part (`/idea show`)
_ACTIVITY = (
    "SELECT t.idea_id, sum(t.replies), (SELECT count(DISTINCT r.member_ref) "
    "FROM thread_repliers r JOIN idea_threads u ON u.id = r.thread_id "
    "WHERE u.idea_id = t.idea_id) FROM idea_threads t WHERE t.idea_id {} GROUP BY t.idea_id"
)
#: a challenge's distinct voters, one row each, found by skipping from one to the next in
#: `ix_votes_voters` (a lookup per voter) rather than reading every vote: over a million
#: votes by 10,000 members, 23 against 174 ms on PostgreSQL, 10 against 41 on SQLite
_VOTERS = (
    "WITH RECURSIVE voter(id) AS ("
    "SELECT min(member_id) FROM votes WHERE challenge_id = {0} UNION ALL "
    "SELECT (SELECT min(member_id) FROM votes WHERE challenge_id = {0} AND member_id > voter.id) "
    "FROM voter WHERE voter.id IS NOT NULL) "
)
#: the first community of the organisation a community is in (every command asks)
_HOME_OF = (
    "SELECT c.id, c.platform, c.external_id, c.name, c.audit_key, c.locale FROM communities c "
    "JOIN organisation_members m ON m.community_id = c.id "
    "JOIN organisation_members mine ON mine.organisation_id = m.organisation_id "
    "WHERE mine.community_id = {} ORDER BY m.joined_at, c.id LIMIT 1"
)

SQLITE: dict[str, str] = {
    "challenges": (
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE community_id = ? "
        "AND deleted_at IS NULL ORDER BY id"
    ),
    "challenges_by_ids": (
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id IN {_IN} "
        "AND deleted_at IS NULL ORDER BY id"
    ),
    "venues": (
        f"SELECT challenge_id, channel_id FROM venues WHERE challenge_id IN {_IN} ORDER BY id"
    ),
    "idea_texts": (
        f"SELECT number, title, description FROM ideas WHERE challenge_id = ? AND status IN {_IN} "
        "ORDER BY submitted_at, number"
    ),
    "idea_by_number": f"SELECT {IDEA_COLUMNS} FROM ideas WHERE community_id = ? AND number = ?",
    "ideas_version": "SELECT ideas_version FROM challenges WHERE id = ?",
    "month_cap": "SELECT vote_cast_weekly_cap FROM point_rules",
    "changed_texts": (
        "SELECT id, submitted_at, number, status, title, description FROM ideas "
        "WHERE challenge_id = ? AND texts_version > ?"
    ),
    "new_ideas_version": f"{_RAISE} id = ? RETURNING ideas_version",
    "new_idea_version": (
        f"{_RAISE} id = (SELECT challenge_id FROM ideas WHERE id = ?) RETURNING ideas_version"
    ),
    "take_idea_number": (
        "UPDATE communities SET next_idea_number = next_idea_number + 1 WHERE id = ? "
        "RETURNING next_idea_number"
    ),
    "add_idea": (
        f"{_NEW_IDEA}VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING {IDEA_COLUMNS}"
    ),
    "count_ideas": f"SELECT count(*) FROM ideas WHERE challenge_id = ? AND status IN {_IN}",
    "counted_votes": (
        "SELECT count(*), coalesce(sum(vote_count), 0) FROM ideas WHERE challenge_id = ? "
        f"AND status IN {_IN}"
    ),
    # A member's ideas, found by their author (`+` keeps SQLite from walking the whole
    # challenge's status index instead, reading each idea's row for its author).
    "count_ideas_by": (
        f"SELECT count(*) FROM ideas WHERE +challenge_id = ? AND +status IN {_IN} AND author_id = ?"
    ),
    "participation": (
        f"{_VOTERS.format('?1')}SELECT (SELECT count(id) FROM voter), "
        "(SELECT coalesce(sum(vote_count), 0) FROM ideas WHERE challenge_id = ?1 "
        "AND status IN (SELECT value FROM json_each(?2)))"
    ),
    "ideas_top": (
        f"SELECT {IDEA_COLUMNS} FROM ideas WHERE challenge_id = ? AND status IN {_IN} "
        "ORDER BY vote_count DESC, submitted_at, number LIMIT ? OFFSET ?"
    ),
    "ideas_new": (
        f"SELECT {IDEA_COLUMNS} FROM ideas WHERE challenge_id = ? AND status IN {_IN} "
        "ORDER BY submitted_at DESC, number DESC LIMIT ? OFFSET ?"
    ),
    "claim_post": f"{_CLAIM}VALUES (?, ?, ?, ?, 'claimed', ?, ?, 0, ?) {_CLAIMED}",
    "community_by_id": f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id = ?",
    "communities_by_ids": f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id IN {_IN}",
    "add_idea_post": f"{_NEW_POST}VALUES (?, ?, ?, ?, ?)",
    "post_progress": "UPDATE scheduled_posts SET message_ids = ? WHERE id = ?",
    "post_sent": f"{_SENT} message_ids = ?, sent_at = ? WHERE id = ?",
    "forget_request_keys": "DELETE FROM request_keys WHERE seen_at < ?",
    # WHERE true: SQLite reads ON CONFLICT after a bare SELECT as a join's constraint
    "add_request_keys": (
        f"{_REQUEST_KEY}SELECT value, ?2 FROM json_each(?1) WHERE true {_KEY_TAKEN}"
    ),
    "add_thread": f"{_NEW_THREAD}VALUES (?, ?, ?, ?, ?, ?, 0) {_THREAD_KNOWN}",
    "home_of": _HOME_OF.format("?"),
    "activity": _ACTIVITY.format(f"IN {_IN}"),
}

POSTGRES: dict[str, str] = {
    "challenges": (
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE community_id = $1 "
        "AND deleted_at IS NULL ORDER BY id"
    ),
    "challenges_by_ids": (
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = ANY($1::bigint[]) "
        "AND deleted_at IS NULL ORDER BY id"
    ),
    "venues": (
        "SELECT challenge_id, channel_id FROM venues WHERE challenge_id = ANY($1::bigint[]) "
        "ORDER BY id"
    ),
    "idea_texts": (
        "SELECT number, title, description FROM ideas WHERE challenge_id = $1 "
        "AND status = ANY($2::varchar[]) ORDER BY submitted_at, number"
    ),
    "idea_by_number": f"SELECT {IDEA_COLUMNS} FROM ideas WHERE community_id = $1 AND number = $2",
    "ideas_version": "SELECT ideas_version FROM challenges WHERE id = $1",
    "month_cap": "SELECT vote_cast_weekly_cap FROM point_rules",
    "changed_texts": (
        "SELECT id, submitted_at, number, status, title, description FROM ideas "
        "WHERE challenge_id = $1 AND texts_version > $2"
    ),
    "new_ideas_version": f"{_RAISE} id = $1 RETURNING ideas_version",
    "new_idea_version": (
        f"{_RAISE} id = (SELECT challenge_id FROM ideas WHERE id = $1) RETURNING ideas_version"
    ),
    "take_idea_number": (
        "UPDATE communities SET next_idea_number = next_idea_number + 1 WHERE id = $1 "
        "RETURNING next_idea_number"
    ),
    "add_idea": (
        f"{_NEW_IDEA}VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12) "
        f"RETURNING {IDEA_COLUMNS}"
    ),
    "count_ideas": (
        "SELECT count(*) FROM ideas WHERE challenge_id = $1 AND status = ANY($2::varchar[])"
    ),
    "counted_votes": (
        "SELECT count(*), coalesce(sum(vote_count), 0) FROM ideas WHERE challenge_id = $1 "
        "AND status = ANY($2::varchar[])"
    ),
    "count_ideas_by": (
        "SELECT count(*) FROM ideas WHERE challenge_id = $1 AND status = ANY($2::varchar[]) "
        "AND author_id = $3"
    ),
    "participation": (
        f"{_VOTERS.format('$1')}SELECT (SELECT count(id) FROM voter), "
        "(SELECT coalesce(sum(vote_count), 0) FROM ideas WHERE challenge_id = $1 "
        "AND status = ANY($2::varchar[]))"
    ),
    "ideas_top": (
        f"SELECT {IDEA_COLUMNS} FROM ideas WHERE challenge_id = $1 "
        "AND status = ANY($2::varchar[]) "
        "ORDER BY vote_count DESC, submitted_at, number LIMIT $3 OFFSET $4"
    ),
    "ideas_new": (
        f"SELECT {IDEA_COLUMNS} FROM ideas WHERE challenge_id = $1 "
        "AND status = ANY($2::varchar[]) "
        "ORDER BY submitted_at DESC, number DESC LIMIT $3 OFFSET $4"
    ),
    "claim_post": f"{_CLAIM}VALUES ($1, $2, $3, $4, 'claimed', $5, $6, 0, $7) {_CLAIMED}",
    "community_by_id": f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id = $1",
    "communities_by_ids": (
        f"SELECT {COMMUNITY_COLUMNS} FROM communities WHERE id = ANY($1::bigint[])"
    ),
    "add_idea_post": f"{_NEW_POST}VALUES ($1, $2, $3, $4, $5)",
    "post_progress": "UPDATE scheduled_posts SET message_ids = $1 WHERE id = $2",
    "post_sent": f"{_SENT} message_ids = $1, sent_at = $2 WHERE id = $3",
    "forget_request_keys": "DELETE FROM request_keys WHERE seen_at < $1",
    "add_request_keys": f"{_REQUEST_KEY}SELECT k, $2 FROM unnest($1::varchar[]) AS k {_KEY_TAKEN}",
    "add_thread": f"{_NEW_THREAD}VALUES ($1, $2, $3, $4, $5, $6, 0) {_THREAD_KNOWN}",
    "home_of": _HOME_OF.format("$1"),
    "activity": _ACTIVITY.format("= ANY($1::bigint[])"),
}


class CommandSql:
    """The commands' statements on the driver connection of one transaction."""

    def __init__(self, hot: Hot) -> None:
        self.hot = hot
        self.time = hot.time
        self.read_time = hot.read_time
        self.ids = hot.ids
        self._statements = SQLITE if isinstance(hot, SqliteHot) else POSTGRES

    async def fetch(self, name: str, *params: Any) -> list[Sequence[Any]]:
        return await self.hot.rows(self._statements[name], params)

    async def fetch_rendered(self, statement: str, *params: Any) -> list[Sequence[Any]]:
        """A statement rendered with its values, once per set of values (not per call),
        with the driver's own placeholders for `params`."""
        return await self.hot.rows(statement, params)
