"""Follow-ups: work owed to a platform once a change has committed (telling it of a badge,
showing an idea's posts as they now are), kept until it is done.

Badges awarded and ideas changed before this revision were told and shown as they
happened (or not): none is owed again.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", Id, nullable=False, autoincrement=False),
        sa.Column(
            "community_id",
            Id,
            sa.ForeignKey(
                "communities.id", ondelete="CASCADE", name="fk_followups_community_id_communities"
            ),
            nullable=False,
        ),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", WHEN),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("kind", "ref", name="pk_followups"),
    )
    op.create_index("ix_followups_due", "followups", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_followups_due", table_name="followups")
    op.drop_table("followups")
