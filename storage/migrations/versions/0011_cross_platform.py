"""Cross-platform challenges: venues in other communities of an organisation (a longer
`venues.channel_id`), platform accounts linked to one person (`member_links`), and where
a moderator action came from (`audit_log.source_id`).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.alter_column(
            "channel_id", existing_type=sa.String(length=64), type_=sa.String(length=96)
        )
    op.create_table(
        "member_links",
        sa.Column("member_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("linked_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_links")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_links_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["members.id"],
            name=op.f("fk_member_links_person_id_members"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_member_links_person", "member_links", ["person_id"])
    op.add_column("audit_log", sa.Column("source_id", ID, nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "source_id")
    op.drop_index("ix_member_links_person", table_name="member_links")
    op.drop_table("member_links")
    # Venues in linked communities cannot be written before this revision.
    op.execute("DELETE FROM venues WHERE channel_id LIKE '%/%'")
    with op.batch_alter_table("venues") as batch:
        batch.alter_column(
            "channel_id", existing_type=sa.String(length=96), type_=sa.String(length=64)
        )
