"""Idea lists in their own order: the ranking index also orders ties by number (votes
highest first), and a second index lists a challenge's ideas by submission time. A
challenge's `ideas_version` and each idea's `texts_version` say which ideas changed since
a version (the texts the duplicate hint keeps in memory).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added in place, SQLite too: a batch would copy the tables, and dropping the old
    # ones would cascade to every row that refers to them.
    for table, column in (("challenges", "ideas_version"), ("ideas", "texts_version")):
        op.add_column(
            table, sa.Column(column, sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_index("ix_ideas_texts_version", "ideas", ["challenge_id", "texts_version"])
    op.drop_index("ix_ideas_ranking", table_name="ideas")
    op.create_index(
        "ix_ideas_ranked",
        "ideas",
        ["challenge_id", sa.text("vote_count DESC"), "submitted_at", "number"],
    )
    op.create_index("ix_ideas_submitted", "ideas", ["challenge_id", "submitted_at", "number"])


def downgrade() -> None:
    op.drop_index("ix_ideas_submitted", table_name="ideas")
    op.drop_index("ix_ideas_ranked", table_name="ideas")
    op.create_index("ix_ideas_ranking", "ideas", ["challenge_id", "vote_count", "submitted_at"])
    op.drop_index("ix_ideas_texts_version", table_name="ideas")
    op.execute("ALTER TABLE ideas DROP COLUMN texts_version")
    op.execute("ALTER TABLE challenges DROP COLUMN ideas_version")
