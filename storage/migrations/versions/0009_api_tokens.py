"""API tokens of the REST API: per community, stored as SHA-256 digests only; and an index
for its pages of a challenge's ideas by number.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            Id,
            sa.ForeignKey(
                "communities.id",
                ondelete="CASCADE",
                name="fk_api_tokens_community_id_communities",
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("shown", sa.String(16), nullable=False),
        sa.Column(
            "created_by",
            Id,
            sa.ForeignKey(
                "members.id", ondelete="CASCADE", name="fk_api_tokens_created_by_members"
            ),
            nullable=False,
        ),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_used_at", WHEN),
        sa.Column("revoked_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_api_tokens_token_sha256"),
    )
    op.create_index("ix_api_tokens_community", "api_tokens", ["community_id", "id"])
    op.create_index("ix_ideas_number", "ideas", ["challenge_id", "number"])


def downgrade() -> None:
    op.drop_index("ix_ideas_number", table_name="ideas")
    op.drop_index("ix_api_tokens_community", table_name="api_tokens")
    op.drop_table("api_tokens")
