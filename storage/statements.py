"""The SQL of the repository's hot paths, built once.

SQLAlchemy memoizes a statement's cache key on the statement object, so a statement
built once and executed with parameters skips rebuilding and rehashing the construct on
every call: the reaction writer and every command's prologue run these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, func, insert, select, text, update
from sqlalchemy.sql.elements import TextClause

from bot.ports import PointWeights
from storage.schema import (
    badges,
    challenges,
    communities,
    idea_posts,
    ideas,
    member_month_points,
    member_week_points,
    members,
    reaction_log,
    reaction_states,
    received_points,
    venues,
    vote_chains,
    votes,
)


def _in(name: str) -> Any:
    """A list parameter for IN: one prebuilt statement serves every list length."""
    return bindparam(name, expanding=True)


COMMUNITY = select(communities).where(
    (communities.c.platform == bindparam("platform"))
    & (communities.c.external_id == bindparam("external_id"))
)
MEMBERS_BY_EXTERNAL = select(members).where(
    (members.c.community_id == bindparam("community_id")) & members.c.external_id.in_(_in("ids"))
)
LIVE_CHALLENGES = select(challenges).where(
    (challenges.c.community_id == bindparam("community_id")) & challenges.c.deleted_at.is_(None)
)
ALL_CHALLENGES = LIVE_CHALLENGES.order_by(challenges.c.id)
VENUES = (
    select(venues.c.challenge_id, venues.c.channel_id)
    .where(venues.c.challenge_id.in_(_in("ids")))
    .order_by(venues.c.id)
)
IDEA = select(ideas).where(ideas.c.id == bindparam("id"))
IDEAS_BY_IDS = select(ideas).where(ideas.c.id.in_(_in("ids")))
MERGED_INTO = select(ideas.c.id, ideas.c.merged_into_id).where(
    ideas.c.merged_into_id.in_(_in("ids"))
)
FIRST_FOREIGN_VOTES = (
    update(ideas)
    .where((ideas.c.id == bindparam("id_")) & ideas.c.first_foreign_vote_at.is_(None))
    .values(first_foreign_vote_at=bindparam("at"))
)
POSTS_BY_MESSAGE = (
    select(
        idea_posts.c.id,
        idea_posts.c.idea_id,
        idea_posts.c.channel_id,
        idea_posts.c.message_id,
        ideas.c.challenge_id,
    )
    .join(ideas, ideas.c.id == idea_posts.c.idea_id)
    .where(
        (idea_posts.c.community_id == bindparam("community_id"))
        & idea_posts.c.message_id.in_(_in("ids"))
    )
)
POST_FLOORS = select(idea_posts.c.id, idea_posts.c.settled_at).where(
    idea_posts.c.idea_id.in_(_in("ids")) & idea_posts.c.settled_at.is_not(None)
)
SEEN_EVENTS = select(reaction_log.c.event_id).where(
    (reaction_log.c.community_id == bindparam("community_id"))
    & reaction_log.c.event_id.in_(_in("ids"))
)
STATES = (
    select(
        reaction_states.c.post_id,
        idea_posts.c.idea_id,
        reaction_states.c.member_id,
        reaction_states.c.variant,
        reaction_states.c.present,
        reaction_states.c.changed_at,
        reaction_states.c.seen_at,
        reaction_states.c.synced,
    )
    .join(idea_posts, idea_posts.c.id == reaction_states.c.post_id)
    .where(idea_posts.c.idea_id.in_(_in("ids")))
)
STATES_OF_MEMBERS = STATES.where(reaction_states.c.member_id.in_(_in("members")))
VOTES_FOR = select(votes).where(
    votes.c.idea_id.in_(_in("ids")) & votes.c.member_id.in_(_in("members"))
)
ADD_VOTES = insert(votes)
REMOVE_VOTES = delete(votes).where(
    (votes.c.idea_id == bindparam("i")) & (votes.c.member_id == bindparam("m"))
)
VOTES_BY_MEMBER = (
    select(votes.c.member_id, func.count())
    .where(
        (votes.c.challenge_id == bindparam("challenge_id"))
        & votes.c.member_id.in_(_in("ids"))
        & votes.c.voided.is_(False)
    )
    .group_by(votes.c.member_id)
)
LOCK_IDEAS = (
    select(ideas.c.id, ideas.c.merged_into_id)
    .where(ideas.c.id.in_(_in("ids")))
    .order_by(ideas.c.id)
    .with_for_update()
)
ACTIVE_WEEKS = select(member_week_points.c.member_id, member_week_points.c.week).where(
    (member_week_points.c.community_id == bindparam("community_id"))
    & member_week_points.c.member_id.in_(_in("ids"))
    & member_week_points.c.week.in_(_in("weeks"))
    & ((member_week_points.c.ideas_published > 0) | (member_week_points.c.votes_cast > 0))
)
AWARDED_KEYS = select(badges.c.key).where(
    (badges.c.community_id == bindparam("community_id")) & badges.c.key.in_(_in("ids"))
)


def _insert_on_conflict(
    table: Table,
    columns: Sequence[str],
    conflict: Sequence[str],
    set_: Mapping[str, str] | None = None,
    returning: str | None = None,
) -> TextClause:
    """INSERT … ON CONFLICT, written once for SQLite and PostgreSQL, which share the syntax.

    Plain text on purpose: SQLAlchemy's dialect `insert().on_conflict_*` constructs opt out
    of its statement cache, so each execution would compile them again. `set_` maps a
    column to an SQL expression (`excluded.col` is the row that was refused).
    """

    def quoted(names: Sequence[str]) -> str:
        return ", ".join(f'"{n}"' for n in names)

    values = ", ".join(f":{c}" for c in columns)
    action = (
        "DO UPDATE SET " + ", ".join(f'"{c}" = {e}' for c, e in set_.items())
        if set_
        else "DO NOTHING"
    )
    sql = (
        f"INSERT INTO {table.name} ({quoted(columns)}) VALUES ({values}) "
        f"ON CONFLICT ({quoted(conflict)}) {action}"
    )
    if returning is not None:
        sql += f" RETURNING {returning}"
    return text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))


SAVE_STATES = _insert_on_conflict(
    reaction_states,
    ["post_id", "member_id", "variant", "present", "changed_at", "seen_at", "synced"],
    ["post_id", "member_id", "variant"],
    {c: f"excluded.{c}" for c in ("present", "changed_at", "seen_at", "synced")},
)
#: An event id recorded a moment earlier by another process is not recorded again.
APPEND_LOG = _insert_on_conflict(
    reaction_log,
    [
        "community_id",
        "challenge_id",
        "seq",
        "counted",
        "credited_idea_id",
        "hash",
        "event_id",
        "post_id",
        "idea_id",
        "member_id",
        "action",
        "emoji",
        "occurred_at",
        "recorded_at",
        "source",
        "effect",
    ],
    ["community_id", "event_id"],
)
#: A member or a community that another process created a moment earlier is kept as is.
ADD_MEMBERS = _insert_on_conflict(
    members,
    [
        "community_id",
        "external_id",
        "display_name",
        "is_bot",
        "first_seen_at",
        "account_created_at",
        "joined_at",
        "blocked",
    ],
    ["community_id", "external_id"],
)
ADD_COMMUNITY = _insert_on_conflict(
    communities,
    ["platform", "external_id", "name", "next_idea_number", "created_at", "audit_key"],
    ["platform", "external_id"],
)
ADD_POINTS = _insert_on_conflict(
    member_week_points,
    ["community_id", "member_id", "week", "private", "ideas_published", "votes_cast", "bonus"],
    ["community_id", "member_id", "week", "private"],
    {
        c: f"member_week_points.{c} + excluded.{c}"
        for c in ("ideas_published", "votes_cast", "bonus")
    },
)
ADD_RECEIVED = _insert_on_conflict(
    received_points,
    ["community_id", "challenge_id", "member_id", "week", "private", "votes"],
    ["challenge_id", "member_id", "week", "private"],
    {"votes": "received_points.votes + excluded.votes"},
)
ADD_CHAIN = _insert_on_conflict(vote_chains, ["challenge_id", "entries", "head"], ["challenge_id"])
LOCK_CHAIN = (
    select(vote_chains.c.entries, vote_chains.c.head)
    .where(vote_chains.c.challenge_id == bindparam("challenge_id"))
    .with_for_update()
)
SET_CHAIN = (
    update(vote_chains)
    .where(vote_chains.c.challenge_id == bindparam("challenge_id_"))
    .values(entries=bindparam("entries_"), head=bindparam("head_"))
)
ADD_VOTE_COUNTS = (
    update(ideas)
    .where(ideas.c.id == bindparam("id_"))
    .values(vote_count=ideas.c.vote_count + bindparam("delta"))
)
AWARD = _insert_on_conflict(
    badges,
    ["community_id", "member_id", "kind", "key", "challenge_id", "idea_id", "awarded_at"],
    ["community_id", "key"],
    returning="id",
)


def earned(weights: PointWeights, by_month: bool = False) -> Any:
    """A weekly row's points, with the weekly cap on votes cast; `by_month`, a monthly
    row's, whose votes cast were capped week by week as they were summed."""
    t = (member_month_points if by_month else member_week_points).c
    capped_cast = (
        t.votes_cast
        if by_month
        else case(
            (t.votes_cast > weights.vote_cast_weekly_cap, weights.vote_cast_weekly_cap),
            else_=t.votes_cast,
        )
    )
    return t.ideas_published * weights.idea_published + capped_cast * weights.vote_cast + t.bonus


RECENT_GAINS = (
    select(
        reaction_log.c.credited_idea_id,
        reaction_log.c.member_id,
        members.c.display_name,
        reaction_log.c.occurred_at,
        members.c.account_created_at,
        members.c.joined_at,
    )
    .join(members, members.c.id == reaction_log.c.member_id)
    .where(
        reaction_log.c.credited_idea_id.in_(_in("ids"))
        & (reaction_log.c.occurred_at >= bindparam("since"))
        & (reaction_log.c.counted > 0)
        & (reaction_log.c.source == bindparam("source"))
    )
    .order_by(reaction_log.c.occurred_at, reaction_log.c.seq)
)
