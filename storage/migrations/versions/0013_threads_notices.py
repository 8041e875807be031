"""A conversation per idea (threads, their activity) and notices to its followers.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", ondelete="CASCADE", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "idea_threads",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id", Id, _fk("idea_threads", "community_id", "communities"), nullable=False
        ),
        sa.Column("idea_id", Id, _fk("idea_threads", "idea_id", "ideas"), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.String(64), nullable=False),
        sa.Column("forum", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("replies", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("own_posts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("activity_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_idea_threads"),
        sa.UniqueConstraint(
            "community_id",
            "channel_id",
            "thread_id",
            name="uq_idea_threads_community_id_channel_id_thread_id",
        ),
    )
    op.create_index("ix_idea_threads_idea", "idea_threads", ["idea_id"])
    op.create_index("ix_idea_threads_thread", "idea_threads", ["community_id", "thread_id"])
    op.create_table(
        "thread_repliers",
        sa.Column(
            "thread_id", Id, _fk("thread_repliers", "thread_id", "idea_threads"), nullable=False
        ),
        sa.Column("member_ref", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "member_ref", name="pk_thread_repliers"),
    )
    op.create_table(
        "idea_follows",
        sa.Column("idea_id", Id, _fk("idea_follows", "idea_id", "ideas"), nullable=False),
        sa.Column("member_id", Id, _fk("idea_follows", "member_id", "members"), nullable=False),
        sa.Column("following", sa.Boolean, nullable=False),
        sa.Column("since", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "member_id", name="pk_idea_follows"),
    )
    op.create_index("ix_idea_follows_member", "idea_follows", ["member_id"])
    op.create_table(
        "notice_prefs",
        sa.Column("member_id", Id, _fk("notice_prefs", "member_id", "members"), nullable=False),
        sa.Column("level", sa.String(8), nullable=False, server_default="all"),
        sa.Column("follow_votes", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("member_id", name="pk_notice_prefs"),
    )
    op.create_table(
        "notices",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id", Id, _fk("notices", "community_id", "communities"), nullable=False
        ),
        sa.Column("idea_id", Id, _fk("notices", "idea_id", "ideas"), nullable=False),
        sa.Column("member_id", Id, _fk("notices", "member_id", "members"), nullable=False),
        sa.Column("event_key", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", WHEN),
        sa.Column("sent_at", WHEN),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("event_key", "member_id", name="uq_notices_event_key_member_id"),
    )
    op.create_index("ix_notices_due", "notices", ["state", "next_attempt_at"])
    op.create_index("ix_notices_idea", "notices", ["idea_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_notices_idea", table_name="notices")
    op.drop_index("ix_notices_due", table_name="notices")
    op.drop_table("notices")
    op.drop_table("notice_prefs")
    op.drop_index("ix_idea_follows_member", table_name="idea_follows")
    op.drop_table("idea_follows")
    op.drop_table("thread_repliers")
    op.drop_index("ix_idea_threads_thread", table_name="idea_threads")
    op.drop_index("ix_idea_threads_idea", table_name="idea_threads")
    op.drop_table("idea_threads")
