"""Badge news: the badges whose platform is still to be told, kept until it is.

Badges awarded before this revision were told as they were awarded (or lost): none is
told again.

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
        "badge_news",
        sa.Column(
            "badge_id",
            Id,
            sa.ForeignKey("badges.id", ondelete="CASCADE", name="fk_badge_news_badge_id_badges"),
            autoincrement=False,
        ),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", WHEN),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("badge_id", name="pk_badge_news"),
    )
    op.create_index("ix_badge_news_due", "badge_news", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_badge_news_due", table_name="badge_news")
    op.drop_table("badge_news")
