"""Members' data: when a member was forgotten (/forgetme, /mod forget), and when a
community's platform said the bot was removed (its data is deleted after a grace period).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.add_column(sa.Column("left_at", WHEN, nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("forgotten_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("forgotten_at")
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("left_at")
