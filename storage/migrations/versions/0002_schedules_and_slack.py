"""Scheduled posts (claimed once per challenge, kind and period), and Slack installations
with their OAuth states.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Indexes for the reaction writer (message lookups, merged families) and for counting
    # a challenge's distinct voters.
    op.create_index("ix_idea_posts_message", "idea_posts", ["community_id", "message_id"])
    with op.batch_alter_table("idea_posts") as batch:
        batch.add_column(sa.Column("settled_at", WHEN, nullable=True))
    op.create_index("ix_ideas_merged_into", "ideas", ["merged_into_id"])
    op.create_index("ix_votes_voters", "votes", ["challenge_id", "member_id"])
    op.create_table(
        "scheduled_posts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", WHEN, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("message_ids", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_scheduled_posts_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_posts")),
        sa.UniqueConstraint(
            "challenge_id",
            "kind",
            "period",
            name=op.f("uq_scheduled_posts_challenge_id_kind_period"),
        ),
    )
    op.create_index("ix_scheduled_posts_state", "scheduled_posts", ["state", "due_at"])
    op.create_table(
        "slack_installations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("installed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint(
            "enterprise_id",
            "team_id",
            "user_id",
            name=op.f("uq_slack_installations_enterprise_id_team_id_user_id"),
        ),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )


def downgrade() -> None:
    op.drop_index("ix_votes_voters", table_name="votes")
    op.drop_index("ix_ideas_merged_into", table_name="ideas")
    with op.batch_alter_table("idea_posts") as batch:
        batch.drop_column("settled_at")
    op.drop_index("ix_idea_posts_message", table_name="idea_posts")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
    op.drop_index("ix_scheduled_posts_state", table_name="scheduled_posts")
    op.drop_table("scheduled_posts")
