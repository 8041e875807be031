"""Initial schema: every table of storage.schema as of version 0.1.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:45:29.117322
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: Ids are BIGINT, but SQLite's rowid alias must be spelt INTEGER to autoincrement.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: storage.schema.UtcDateTime is a TypeDecorator over this; the DDL is the same.
WHEN = sa.DateTime(timezone=True)

TABLES = (
    "communities",
    "members",
    "audit_log",
    "challenges",
    "member_week_points",
    "ideas",
    "venues",
    "badges",
    "idea_posts",
    "votes",
    "reaction_log",
    "reaction_states",
)

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("next_idea_number", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_communities_platform_external_id")
        ),
    )
    op.create_table(
        "members",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", WHEN, nullable=False),
        sa.Column("account_created_at", WHEN, nullable=True),
        sa.Column("joined_at", WHEN, nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint(
            "community_id", "external_id", name=op.f("uq_members_community_id_external_id")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_members_community_id_communities"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_audit_log_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["members.id"],
            name=op.f("fk_audit_log_actor_id_members"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_audit_log_community", "audit_log", ["community_id", "at"])
    op.create_table(
        "challenges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("submissions_close", sa.String(length=64), nullable=True),
        sa.Column("voting_close", sa.String(length=64), nullable=True),
        sa.Column("opened_at", WHEN, nullable=True),
        sa.Column("submissions_close_at", WHEN, nullable=True),
        sa.Column("voting_close_at", WHEN, nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("vote_emoji", sa.String(length=64), nullable=False),
        sa.Column("ideas_per_member", sa.Integer(), nullable=False),
        sa.Column("review", sa.Boolean(), nullable=False),
        sa.Column("self_votes", sa.Boolean(), nullable=False),
        sa.Column("min_account_age_s", sa.Integer(), nullable=False),
        sa.Column("min_member_age_s", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("report_venue", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
        sa.UniqueConstraint("community_id", "slug", name=op.f("uq_challenges_community_id_slug")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_challenges_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
            name=op.f("fk_challenges_created_by_members"),
            ondelete="RESTRICT",
        ),
    )
    op.create_table(
        "member_week_points",
        sa.Column("community_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("ideas_published", sa.Integer(), nullable=False),
        sa.Column("votes_received", sa.Integer(), nullable=False),
        sa.Column("votes_cast", sa.Integer(), nullable=False),
        sa.Column("bonus", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "week", name=op.f("pk_member_week_points")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_member_week_points_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_week_points_member_id_members"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_member_week_points_week", "member_week_points", ["community_id", "week"])
    op.create_table(
        "ideas",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("merged_into_id", ID, nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("published_at", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("first_foreign_vote_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
        sa.UniqueConstraint("community_id", "number", name=op.f("uq_ideas_community_id_number")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_ideas_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_ideas_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["members.id"],
            name=op.f("fk_ideas_author_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["ideas.id"],
            name=op.f("fk_ideas_merged_into_id_ideas"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_ideas_author", "ideas", ["author_id"])
    op.create_index("ix_ideas_ranking", "ideas", ["challenge_id", "vote_count", "submitted_at"])
    op.create_table(
        "venues",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint(
            "challenge_id", "channel_id", name=op.f("uq_venues_challenge_id_channel_id")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_venues_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_venues_channel", "venues", ["channel_id"])
    op.create_table(
        "badges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("challenge_id", ID, nullable=True),
        sa.Column("idea_id", ID, nullable=True),
        sa.Column("awarded_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badges")),
        sa.UniqueConstraint("community_id", "key", name=op.f("uq_badges_community_id_key")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_badges_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_badges_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_badges_challenge_id_challenges"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_badges_idea_id_ideas"), ondelete="SET NULL"
        ),
    )
    op.create_index("ix_badges_member", "badges", ["member_id"])
    op.create_table(
        "idea_posts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("idea_id", ID, nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("posted_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_posts")),
        sa.UniqueConstraint(
            "community_id",
            "channel_id",
            "message_id",
            name=op.f("uq_idea_posts_community_id_channel_id_message_id"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_idea_posts_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_posts_idea_id_ideas"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_idea_posts_idea", "idea_posts", ["idea_id"])
    op.create_table(
        "votes",
        sa.Column("idea_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("cast_at", WHEN, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "member_id", name=op.f("pk_votes")),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_votes_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_votes_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_votes_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_votes_challenge", "votes", ["challenge_id", "cast_at"])
    op.create_index("ix_votes_member", "votes", ["member_id", "challenge_id"])
    op.create_table(
        "reaction_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("idea_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("emoji", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("effect", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_log")),
        sa.UniqueConstraint(
            "community_id", "event_id", name=op.f("uq_reaction_log_community_id_event_id")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_reaction_log_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["idea_posts.id"],
            name=op.f("fk_reaction_log_post_id_idea_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_reaction_log_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reaction_log_member_id_members"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_reaction_log_idea", "reaction_log", ["idea_id"])
    op.create_table(
        "reaction_states",
        sa.Column("post_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("changed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("post_id", "member_id", name=op.f("pk_reaction_states")),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["idea_posts.id"],
            name=op.f("fk_reaction_states_post_id_idea_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reaction_states_member_id_members"),
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    # Dependents first; indexes and constraints go with their tables.
    for table in reversed(TABLES):
        op.drop_table(table)
