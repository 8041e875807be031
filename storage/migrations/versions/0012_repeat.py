"""Reminders and rounds (issue 11, parts 3 and 5): a challenge's reminder lead time, its
repeat, round, previous round and scheduled opening; when an idea's status was last set;
and the "You said, we did" posts (`loop_posts`).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Added in place, SQLite too: a batch would copy the tables, and dropping the old
    # ones would cascade to every row that refers to them.
    op.add_column("challenges", sa.Column("reminder_s", sa.Integer(), nullable=True))
    op.add_column("challenges", sa.Column("repeat", sa.String(length=16), nullable=True))
    op.add_column(
        "challenges",
        sa.Column("round", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )
    op.add_column("challenges", sa.Column("previous_id", ID, nullable=True))
    op.add_column("challenges", sa.Column("opens_at", WHEN, nullable=True))
    op.create_index("ix_challenges_opens_at", "challenges", ["opens_at"])
    op.create_index("ix_challenges_previous_id", "challenges", ["previous_id"], unique=True)
    op.add_column("ideas", sa.Column("status_changed_at", WHEN, nullable=True))
    # What is planned, in progress or implemented already was set when it last changed:
    # the first "You said, we did" reports it.
    op.execute(
        "UPDATE ideas SET status_changed_at = updated_at "
        "WHERE status IN ('planned', 'in progress', 'implemented')"
    )
    op.create_table(
        "loop_posts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("community_id", ID, nullable=False),
        sa.Column("period", sa.String(length=100), nullable=False),
        sa.Column("covers_from", WHEN, nullable=True),
        sa.Column("covers_until", WHEN, nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_posts")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_loop_posts_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "community_id", "period", name=op.f("uq_loop_posts_community_id_period")
        ),
    )
    op.create_index("ix_loop_posts_community", "loop_posts", ["community_id", "covers_until"])


def downgrade() -> None:
    op.drop_index("ix_loop_posts_community", table_name="loop_posts")
    op.drop_table("loop_posts")
    op.execute("ALTER TABLE ideas DROP COLUMN status_changed_at")
    op.drop_index("ix_challenges_previous_id", table_name="challenges")
    op.drop_index("ix_challenges_opens_at", table_name="challenges")
    for column in ("opens_at", "previous_id", "round", "repeat", "reminder_s"):
        op.execute(f"ALTER TABLE challenges DROP COLUMN {column}")
