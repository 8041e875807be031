"""Languages: the member's own choice and their platform's, the community's default.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain nullable columns: SQLite adds them in place (both tables are referenced).
    op.add_column("communities", sa.Column("locale", sa.String(16), nullable=True))
    op.add_column("members", sa.Column("locale", sa.String(16), nullable=True))
    op.add_column("members", sa.Column("platform_locale", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("members", "platform_locale")
    op.drop_column("members", "locale")
    op.drop_column("communities", "locale")
