"""The SQL schema of Cocreate, in SQLAlchemy Core. Alembic migrations create it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")


def _fk(target: str, ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey(target, ondelete=ondelete)


def _only_on(dialect: str, index: Index) -> Index:
    """An index that this dialect's databases have and the other's do not (its `info`
    says which to Alembic's comparisons: `on_dialect`)."""
    index.info["dialect"] = dialect
    return index.ddl_if(dialect=dialect)


def on_dialect(dialect: str) -> Callable[..., bool]:
    """Alembic's `include_object` for a database of this dialect: the schema's objects
    made for another dialect only are not expected there."""

    def include(obj: Any, _name: Any, _type: Any, reflected: bool, _other: Any) -> bool:
        info = getattr(obj, "info", None) or {}
        return reflected or info.get("dialect", dialect) == dialect

    return include


def _totals(table: str, *counters: str) -> tuple[Index, Index]:
    """A points table's index for the leaderboard's sums, member by member. SQLite reads
    the counters from it (covering: a board of 10,000 members took 51 ms, 108 ms without
    them); PostgreSQL scans the table for a board, and without the counters in an index a
    vote's update of its row stays on the row's page (HOT), with no index to change (the
    tables keep 30 % of each page free for it: migration 0018)."""
    name = f"ix_{table}_totals"
    keys = ("community_id", "private", "member_id", "week")
    return (
        _only_on("sqlite", Index(name, *keys, *counters)),
        _only_on("postgresql", Index(name, *keys)),
    )


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


When = UtcDateTime


communities = Table(
    "communities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("next_idea_number", Integer, nullable=False, default=1),
    Column("created_at", When(), nullable=False),
    # The key of the members' pseudonyms in the vote logs that can be shared.
    Column("audit_key", String(64), nullable=False),
    # When the platform told us the bot was removed (Slack's app_uninstalled, Discord's
    # guild left): its data is deleted `data.left_grace_days` later, unless it comes back.
    Column("left_at", When()),
    # The language of its public posts, and of members who chose none (`/mod language`).
    Column("locale", String(16)),
    UniqueConstraint("platform", "external_id"),
)

members = Table(
    "members",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("first_seen_at", When(), nullable=False),
    Column("account_created_at", When()),
    Column("joined_at", When()),
    Column("blocked", Boolean, nullable=False, default=False),
    # When the member was forgotten (/forgetme, /mod forget): the row stays, pseudonymous,
    # so that their votes still count; its personal fields are gone.
    Column("forgotten_at", When()),
    # The language the member chose (`/cocreate language`), and the one their platform last
    # reported for them (Discord's interaction locale, Slack's user locale) for messages
    # sent when they are not asking (notices, reminders by DM).
    Column("locale", String(16)),
    Column("platform_locale", String(16)),
    UniqueConstraint("community_id", "external_id"),
)

member_links = Table(
    "member_links",
    metadata,
    # A platform identity linked to the member of the same person on another platform
    # (bot/accounts.py): it votes, earns and ranks as that member.
    Column("member_id", Id, _fk("members.id"), primary_key=True),
    Column("person_id", Id, _fk("members.id"), nullable=False),
    Column("linked_at", When(), nullable=False),
    Index("ix_member_links_person", "person_id"),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("slug", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("brief", Text, nullable=False),
    Column("terms", Text),
    Column("phase", String(16), nullable=False),
    Column("created_by", Id, _fk("members.id", ondelete="RESTRICT"), nullable=False),
    Column("created_at", When(), nullable=False),
    Column("submissions_close", String(64)),
    Column("voting_close", String(64)),
    Column("opened_at", When()),
    Column("submissions_close_at", When()),
    Column("voting_close_at", When()),
    Column("closed_at", When()),
    Column("deleted_at", When()),
    Column("vote_emoji", String(64), nullable=False),
    Column("ideas_per_member", Integer, nullable=False),
    Column("review", Boolean, nullable=False),
    Column("self_votes", Boolean, nullable=False),
    Column("min_account_age_s", Integer, nullable=False),
    Column("min_member_age_s", Integer, nullable=False),
    Column("sealed", Boolean, nullable=False),
    Column("schedule", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    # A venue as bot/venues.py writes it (the command keeps it within 64 characters).
    Column("report_venue", String(64)),
    # Whether one member may hold more than one podium place.
    Column("multiple_places", Boolean, nullable=False, server_default=false()),
    # Raised by every idea added or changed, which takes the new value as its
    # `texts_version`: what `storage/idea_texts.py` reads the changes since.
    Column("ideas_version", Integer, nullable=False, server_default=text("0")),
    # How long before each deadline its venues are reminded (NULL: the configured default).
    Column("reminder_s", Integer),
    # "weekly", "monthly" or "quarterly": when it closes, its next round is made.
    Column("repeat", String(16)),
    # A repeating challenge's round, and the round before it (one next round each).
    Column("round", Integer, nullable=False, server_default=text("1")),
    # (No foreign key: challenges are only ever marked deleted, and SQLite adds the column
    # in place.)
    Column("previous_id", Id),
    # A draft the agenda opens at this time (a next round).
    Column("opens_at", When()),
    UniqueConstraint("community_id", "slug"),
    Index("ix_challenges_opens_at", "opens_at"),
    Index("ix_challenges_previous_id", "previous_id", unique=True),
)

venues = Table(
    "venues",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    # The venue as bot/venues.py writes it: a channel of the challenge's community, or
    # "<community id>/<channel id>" in another community of its organisation.
    Column("channel_id", String(96), nullable=False),
    UniqueConstraint("challenge_id", "channel_id"),
    Index("ix_venues_channel", "channel_id"),
)

ideas = Table(
    "ideas",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("author_id", Id, _fk("members.id", ondelete="RESTRICT"), nullable=False),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False),
    Column("status_note", Text),
    Column("merged_into_id", Id, _fk("ideas.id", ondelete="SET NULL")),
    Column("vote_count", Integer, nullable=False, default=0),
    Column("submitted_at", When(), nullable=False),
    Column("published_at", When()),
    Column("updated_at", When(), nullable=False),
    Column("first_foreign_vote_at", When()),
    # Its challenge's `ideas_version` when it was added or last changed.
    Column("texts_version", Integer, nullable=False, server_default=text("0")),
    # When a moderator last set its status (what "You said, we did" reports since).
    Column("status_changed_at", When()),
    # A captured idea: the link to the chat message it came from.
    Column("source_url", Text),
    UniqueConstraint("community_id", "number"),
    Index("ix_ideas_texts_version", "challenge_id", "texts_version"),
    # Newest first as `/ideas sort:new` lists them (and oldest first for the duplicate hint).
    Index("ix_ideas_submitted", "challenge_id", "submitted_at", "number"),
    # The participation line of /results: public ideas and their votes, from the index.
    Index("ix_ideas_status", "challenge_id", "status", "vote_count"),
    Index("ix_ideas_author", "author_id"),
    Index("ix_ideas_merged_into", "merged_into_id"),
    # The REST API's pages of a challenge's ideas, by number.
    Index("ix_ideas_number", "challenge_id", "number"),
)

# Ranked as the standings show them: a page of /results or /ideas reads its ten rows from
# the index, however many ideas are tied.
Index(
    "ix_ideas_ranked",
    ideas.c.challenge_id,
    ideas.c.vote_count.desc(),
    ideas.c.submitted_at,
    ideas.c.number,
)

idea_posts = Table(
    "idea_posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("posted_at", When(), nullable=False),
    # Up to when every reaction on the post is known (a CLEAR, a reconcile).
    Column("settled_at", When()),
    UniqueConstraint("community_id", "channel_id", "message_id"),
    Index("ix_idea_posts_idea", "idea_id"),
    Index("ix_idea_posts_message", "community_id", "message_id"),
)

reaction_states = Table(
    "reaction_states",
    metadata,
    Column("post_id", Id, _fk("idea_posts.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    # The skin tones of the vote emoji ("" for none): each variant is a reaction of its own.
    Column("variant", String(16), nullable=False, server_default=""),
    Column("present", Boolean, nullable=False),
    # The platform's time of the latest event applied (None: only read back so far).
    Column("changed_at", When()),
    # Our time: when that event arrived, or when the reactor list that set it was asked for.
    Column("seen_at", When(), nullable=False),
    # Whether a reactor list read back from the platform set it last.
    Column("synced", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("post_id", "member_id", "variant"),
    # the reaction writer's look at the reactions of a batch's members (few per member,
    # however many the ideas hold)
    Index("ix_reaction_states_member", "member_id", "post_id"),
)

reaction_log = Table(
    "reaction_log",
    metadata,
    # The vote log (bot/votelog.py): every reaction event and every change to the counted
    # votes, per challenge, in order, each entry's hash chained to the one before.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(128)),
    Column("post_id", Id, _fk("idea_posts.id")),
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("action", String(8), nullable=False),
    Column("emoji", String(64), nullable=False),
    Column("occurred_at", When(), nullable=False),
    Column("recorded_at", When(), nullable=False),
    Column("source", String(16), nullable=False),
    Column("effect", String(48), nullable=False),
    # How the entry changed the counted votes of `credited_idea_id`: +1, -1 or 0.
    Column("counted", Integer, nullable=False, server_default="0"),
    Column("credited_idea_id", Id, _fk("ideas.id", ondelete="SET NULL")),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("community_id", "event_id"),
    UniqueConstraint("challenge_id", "seq"),
    Index("ix_reaction_log_idea", "idea_id"),
    # the brigading alerts' look at an idea's recent votes
    Index("ix_reaction_log_credited", "credited_idea_id", "occurred_at"),
)

vote_chains = Table(
    "vote_chains",
    metadata,
    # The end of each challenge's vote log; its row lock orders the appends.
    Column("challenge_id", Id, _fk("challenges.id"), primary_key=True),
    Column("entries", Integer, nullable=False),
    Column("head", String(64), nullable=False),
)

votes = Table(
    "votes",
    metadata,
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("cast_at", When(), nullable=False),
    Column("week", String(10), nullable=False),
    # Voided by a moderator: kept, so that it can be restored, but not counted.
    Column("voided", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("idea_id", "member_id"),
    Index("ix_votes_member", "member_id", "challenge_id"),
    Index("ix_votes_challenge", "challenge_id", "cast_at"),
    Index("ix_votes_voters", "challenge_id", "member_id"),
)

voids = Table(
    "voids",
    metadata,
    # Members whose votes in a challenge a moderator voided: their new votes don't count.
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("by_id", Id, _fk("members.id"), nullable=False),
    Column("at", When(), nullable=False),
    PrimaryKeyConstraint("challenge_id", "member_id"),
)

member_week_points = Table(
    "member_week_points",
    metadata,
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("week", String(10), nullable=False),
    # Earned with an anonymous idea: shown to the member and moderators only.
    Column("private", Boolean, nullable=False, server_default=false()),
    Column("ideas_published", Integer, nullable=False, default=0),
    Column("votes_cast", Integer, nullable=False, default=0),
    Column("bonus", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("community_id", "member_id", "week", "private"),
    Index("ix_member_week_points_week", "community_id", "week"),
    *_totals("member_week_points", "ideas_published", "votes_cast", "bonus"),
)

received_points = Table(
    "received_points",
    metadata,
    # Counted votes credited to the authors of a challenge's ideas, by week: what the vote
    # log says, once the challenge credits them (a sealed one at its close).
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("week", String(10), nullable=False),
    Column("private", Boolean, nullable=False, server_default=false()),
    Column("votes", Integer, nullable=False),
    PrimaryKeyConstraint("challenge_id", "member_id", "week", "private"),
    Index("ix_received_points_week", "community_id", "week"),
    *_totals("received_points", "votes"),
)

# The points tables summed by month, for the leaderboards of seasons and of all time (a
# season is whole months: `bot.weeks.season_weeks`). Triggers of the database keep them
# equal to the weekly rows in every transaction that writes those (migration 0019); they
# are derived, so they have no foreign keys, and a community's erasure deletes them after
# their sources. A week is in the month of its Monday (its key's first 7 characters).
# Their keys put a season's months together, so that its leaderboard reads those alone
# however long the history; SQLite keeps each table as that one B-tree.
point_rules = Table(
    "point_rules",
    metadata,
    # One row: the weekly cap on points for votes cast that member_month_points was summed
    # with; when the settings change it, a start sums the months again (storage/month_points.py).
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("vote_cast_weekly_cap", Integer, nullable=False),
)


def _months(name: str, *counters: str) -> Table:
    """A points table summed by month: its counters by (community, private, month, member)."""
    return Table(
        name,
        metadata,
        Column("community_id", Id, nullable=False),
        Column("private", Boolean, nullable=False),
        Column("member_id", Id, nullable=False),
        Column("month", String(7), nullable=False),
        *(Column(counter, Integer, nullable=False) for counter in counters),
        PrimaryKeyConstraint("community_id", "private", "month", "member_id"),
        sqlite_with_rowid=False,
    )


# votes_cast: each week's up to point_rules' cap, summed
member_month_points = _months("member_month_points", "ideas_published", "votes_cast", "bonus")
received_month_points = _months("received_month_points", "votes")

badges = Table(
    "badges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(128), nullable=False),
    Column("challenge_id", Id, _fk("challenges.id", ondelete="SET NULL")),
    Column("idea_id", Id, _fk("ideas.id", ondelete="SET NULL")),
    Column("awarded_at", When(), nullable=False),
    UniqueConstraint("community_id", "key"),
    Index("ix_badges_member", "member_id"),
)

followups = Table(
    "followups",
    metadata,
    # Work owed to a platform once a change has committed (bot/followups.py): telling it of
    # a badge, showing an idea's posts as they now are. Written in the change's transaction,
    # held for its process until first due, then claimed with a lease; deleted once done.
    Column("kind", String(16), primary_key=True),
    Column("ref", Id, primary_key=True, autoincrement=False),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("created_at", When(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", When(), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", When()),
    Column("last_error", Text),
    Index("ix_followups_due", "next_attempt_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("actor_id", Id, _fk("members.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", When(), nullable=False),
    # The community the action was taken from, when not this one (a linked community);
    # kept as it was when the entry was written, even if that community goes.
    Column("source_id", Id),
    Index("ix_audit_log_community", "community_id", "at"),
)

scheduled_posts = Table(
    "scheduled_posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("challenge_id", Id, _fk("challenges.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period", String(100), nullable=False),
    Column("due_at", When(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("claimed_by", String(64), nullable=False),
    Column("claimed_at", When(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", When()),
    Column("sent_at", When()),
    Column("message_ids", Text),
    Column("last_error", Text),
    # A post a command made: its content as JSON (scheduled posts are built when sent).
    Column("payload", Text),
    # When the moderators were told that it keeps failing.
    Column("notified_at", When()),
    UniqueConstraint("challenge_id", "kind", "period"),
    Index("ix_scheduled_posts_state", "state", "due_at"),
)

loop_posts = Table(
    "loop_posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    # The schedule's local slot (`2026-04-01T10:00`), or `demand:…` for `/results loop`:
    # claimed once, so a replay or a second process finds it taken.
    Column("period", String(100), nullable=False),
    # The status changes it reports are those in (covers_from, covers_until].
    Column("covers_from", When()),
    Column("covers_until", When(), nullable=False),
    # How many ideas it lists; 0: nothing had moved, and nothing was posted.
    Column("ideas", Integer, nullable=False),
    Column("created_at", When(), nullable=False),
    UniqueConstraint("community_id", "period"),
    Index("ix_loop_posts_community", "community_id", "covers_until"),
)

request_keys = Table(
    "request_keys",
    metadata,
    # A request that must run once (a signed Slack command): replays find the key taken.
    Column("key", String(128), primary_key=True),
    Column("seen_at", When(), nullable=False),
    Index("ix_request_keys_seen_at", "seen_at"),
)

adapter_records = Table(
    "adapter_records",
    metadata,
    # A platform adapter's own small records (Slack's installations, OAuth states): see
    # bot.ports.Records. `owner` is the adapter's name.
    Column("owner", String(32), primary_key=True),
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", When(), nullable=True),
    Column("updated_at", When(), nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    # The communities of one brand, on any platform (bot/organisations.py).
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_at", When(), nullable=False),
)

organisation_members = Table(
    "organisation_members",
    metadata,
    Column("community_id", Id, _fk("communities.id"), primary_key=True),
    Column("organisation_id", Id, _fk("organisations.id"), nullable=False),
    Column("joined_at", When(), nullable=False),
    Index("ix_organisation_members_organisation_id", "organisation_id"),
)

link_codes = Table(
    "link_codes",
    metadata,
    # A one-time code a moderator of one community gives to a moderator of another, who
    # confirms the link with it. Only its hash is kept.
    Column("code_hash", String(64), primary_key=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("created_by", Id, _fk("members.id"), nullable=False),
    Column("created_at", When(), nullable=False),
    Column("expires_at", When(), nullable=False),
    Column("used_at", When()),
    Column("used_by_community_id", Id, _fk("communities.id", ondelete="SET NULL")),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("url", String(500), nullable=False),
    # The event types it receives, space-separated.
    Column("events", Text, nullable=False),
    # The signing secret is derived from this salt and the operator's key (never stored).
    Column("secret_salt", String(64)),
    # Only endpoints added before secrets were derived (migration 0016) keep theirs here;
    # "" for the others.
    Column("secret", String(100), nullable=False),
    Column("created_by", Id, _fk("members.id"), nullable=False),
    Column("created_at", When(), nullable=False),
    Column("state", String(16), nullable=False),
    # Failed deliveries in a row since the last success, and when the first of them failed.
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("failing_since", When()),
    Column("disabled_at", When()),
    Column("disabled_reason", Text),
    # When the moderators were told that it was disabled.
    Column("notified_at", When()),
    Index("ix_webhook_endpoints_community", "community_id", "state"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("endpoint_id", Id, _fk("webhook_endpoints.id"), nullable=False),
    # One delivery per endpoint and event: a replay of the change finds it taken.
    Column("event_key", String(200), nullable=False),
    Column("event_type", String(40), nullable=False),
    # The JSON document sent, exactly as signed.
    Column("body", Text, nullable=False),
    Column("created_at", When(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", When(), nullable=False),
    # A process sending it holds it until its lease runs out.
    Column("claimed_by", String(64)),
    Column("claimed_until", When()),
    Column("last_attempt_at", When()),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", When()),
    UniqueConstraint("endpoint_id", "event_key"),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("name", String(100), nullable=False),
    # The SHA-256 hex digest of the token (bot/tokens.py); the token itself is never kept.
    Column("token_sha256", String(64), nullable=False),
    # Its first characters, to tell tokens apart in lists.
    Column("shown", String(16), nullable=False),
    Column("created_by", Id, _fk("members.id"), nullable=False),
    Column("created_at", When(), nullable=False),
    Column("last_used_at", When()),
    Column("revoked_at", When()),
    UniqueConstraint("token_sha256"),
    Index("ix_api_tokens_community", "community_id", "id"),
)

# -- conversations and notices (bot/conversations.py, storage/conversations.py) ----------

idea_threads = Table(
    "idea_threads",
    metadata,
    # An idea's conversation in one venue: a Discord thread or forum post, a Slack thread.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("thread_id", String(64), nullable=False),
    # A forum post (its status is a forum tag), not a thread on a message.
    Column("forum", Boolean, nullable=False, server_default=false()),
    Column("opened_at", When(), nullable=False),
    # Replies, as the platform counts them (never read from the messages themselves).
    Column("replies", Integer, nullable=False, server_default=text("0")),
    # The bot's own notes posted in it: the platforms count them as replies, we don't.
    Column("own_posts", Integer, nullable=False, server_default=text("0")),
    Column("activity_at", When()),
    UniqueConstraint("community_id", "channel_id", "thread_id"),
    Index("ix_idea_threads_idea", "idea_id"),
    Index("ix_idea_threads_thread", "community_id", "thread_id"),
)

thread_repliers = Table(
    "thread_repliers",
    metadata,
    # Who took part in a thread (the platform's member list or reply_users), by platform id.
    Column("thread_id", Id, _fk("idea_threads.id"), nullable=False),
    Column("member_ref", String(64), nullable=False),
    PrimaryKeyConstraint("thread_id", "member_ref"),
)

idea_follows = Table(
    "idea_follows",
    metadata,
    # `/idea follow` (following) and `/idea unfollow` (not following: stays so when voting).
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("following", Boolean, nullable=False),
    Column("since", When(), nullable=False),
    PrimaryKeyConstraint("idea_id", "member_id"),
    Index("ix_idea_follows_member", "member_id"),
)

notice_prefs = Table(
    "notice_prefs",
    metadata,
    # `/notify`: all, mine or none; and whether voting follows the idea.
    Column("member_id", Id, _fk("members.id"), primary_key=True),
    Column("level", String(8), nullable=False, server_default="all"),
    Column("follow_votes", Boolean, nullable=False, server_default=true()),
)

notices = Table(
    "notices",
    metadata,
    # One notice to one follower, written with the change it tells of; keyed, so a replay of
    # the change writes none twice. Sent by the notice worker, which claims it with a lease.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("community_id", Id, _fk("communities.id"), nullable=False),
    Column("idea_id", Id, _fk("ideas.id"), nullable=False),
    Column("member_id", Id, _fk("members.id"), nullable=False),
    Column("event_key", String(160), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    # To the author of an anonymous idea: never told in the thread (it would name them).
    Column("private", Boolean, nullable=False, server_default=false()),
    Column("created_at", When(), nullable=False),
    # pending, sent, failed
    Column("state", String(16), nullable=False),
    # dm, thread, or "" while not sent
    Column("via", String(16), nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", When(), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", When()),
    Column("sent_at", When()),
    Column("last_error", Text),
    UniqueConstraint("event_key", "member_id"),
    Index("ix_notices_due", "state", "next_attempt_at"),
    Index("ix_notices_idea", "idea_id", "id"),
)
