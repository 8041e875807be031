"""Webhook secrets derived from the operator's key: the database keeps a salt, not the secret.

Endpoints added before keep the secret they were given (receivers check it), in the old
column, until they are removed; new ones store "" there.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain nullable column: SQLite adds it in place (the table is referenced).
    op.add_column("webhook_endpoints", sa.Column("secret_salt", sa.String(64), nullable=True))


def downgrade() -> None:
    # Endpoints with derived secrets cannot sign without the new code: they go.
    op.execute(
        "DELETE FROM webhook_deliveries WHERE endpoint_id IN "
        "(SELECT id FROM webhook_endpoints WHERE secret_salt IS NOT NULL)"
    )
    op.execute("DELETE FROM webhook_endpoints WHERE secret_salt IS NOT NULL")
    op.drop_column("webhook_endpoints", "secret_salt")
