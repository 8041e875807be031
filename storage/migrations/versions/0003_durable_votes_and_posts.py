"""Durable votes and posts: a reaction state per emoji variant with the time it arrived,
posts made by commands kept with the scheduled ones (and their content), and request keys
that make a replayed request run once.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

WHEN = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reaction_states", recreate="auto") as batch:
        batch.add_column(
            sa.Column("variant", sa.String(length=16), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("seen_at", WHEN, nullable=True))
        batch.add_column(
            sa.Column("synced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.alter_column("changed_at", existing_type=WHEN, nullable=True)
        batch.drop_constraint("pk_reaction_states", type_="primary")
        batch.create_primary_key("pk_reaction_states", ["post_id", "member_id", "variant"])
    op.execute("UPDATE reaction_states SET seen_at = changed_at")
    with op.batch_alter_table("reaction_states", recreate="auto") as batch:
        batch.alter_column("seen_at", existing_type=WHEN, nullable=False)

    with op.batch_alter_table("scheduled_posts", recreate="auto") as batch:
        batch.alter_column(
            "period", existing_type=sa.String(length=32), type_=sa.String(length=100)
        )
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("notified_at", WHEN, nullable=True))
    # Posts given up on by earlier versions are tried again.
    op.execute(
        "UPDATE scheduled_posts SET state = 'retry', next_attempt_at = claimed_at "
        "WHERE state = 'failed'"
    )

    op.create_table(
        "request_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("seen_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_keys")),
    )
    op.create_index("ix_request_keys_seen_at", "request_keys", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_request_keys_seen_at", table_name="request_keys")
    op.drop_table("request_keys")
    with op.batch_alter_table("scheduled_posts", recreate="auto") as batch:
        batch.drop_column("notified_at")
        batch.drop_column("payload")
        batch.alter_column(
            "period", existing_type=sa.String(length=100), type_=sa.String(length=32)
        )
    op.execute("DELETE FROM reaction_states WHERE variant <> ''")
    with op.batch_alter_table("reaction_states", recreate="auto") as batch:
        batch.drop_constraint("pk_reaction_states", type_="primary")
        batch.create_primary_key("pk_reaction_states", ["post_id", "member_id"])
        batch.drop_column("synced")
        batch.drop_column("seen_at")
        batch.drop_column("variant")
