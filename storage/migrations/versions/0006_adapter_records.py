"""The adapters' own records: one table that the core owns (`adapter_records`, see
`bot.ports.Records`) takes over Slack's installations and OAuth states, so that no
platform has tables in the shared schema.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)

#: How the Slack adapter keys its records (adapters/slack/installations.py).
_INSTALLATION_SCOPE = "'installation/' || enterprise_id || '/' || team_id"


def upgrade() -> None:
    op.create_table(
        "adapter_records",
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("owner", "scope", "key", name=op.f("pk_adapter_records")),
    )
    op.execute(
        "INSERT INTO adapter_records (owner, scope, key, value, expires_at, updated_at) "
        f"SELECT 'slack', {_INSTALLATION_SCOPE}, user_id, data, NULL, installed_at "
        "FROM slack_installations"
    )
    op.execute(
        "INSERT INTO adapter_records (owner, scope, key, value, expires_at, updated_at) "
        "SELECT 'slack', 'team', team_id, enterprise_id, NULL, installed_at "
        "FROM slack_installations WHERE user_id = '' AND team_id <> ''"
    )
    op.execute(
        "INSERT INTO adapter_records (owner, scope, key, value, expires_at, updated_at) "
        "SELECT 'slack', 'oauth_state', state, '', expires_at, expires_at "
        "FROM slack_oauth_states"
    )
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")


def downgrade() -> None:
    installations = op.create_table(
        "slack_installations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("installed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint(
            "enterprise_id",
            "team_id",
            "user_id",
            name=op.f("uq_slack_installations_enterprise_id_team_id_user_id"),
        ),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    records = sa.table(
        "adapter_records",
        sa.column("owner", sa.String),
        sa.column("scope", sa.String),
        sa.column("key", sa.String),
        sa.column("value", sa.Text),
        sa.column("expires_at", WHEN),
        sa.column("updated_at", WHEN),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(records).where(
            (records.c.owner == "slack") & records.c.scope.startswith("installation/")
        )
    ).all()
    for row in rows:
        _, enterprise, team = row.scope.split("/", 2)
        conn.execute(
            sa.insert(installations).values(
                enterprise_id=enterprise,
                team_id=team,
                user_id=row.key,
                is_enterprise_install=not team,
                data=row.value,
                installed_at=row.updated_at,
            )
        )
    op.execute(
        "INSERT INTO slack_oauth_states (state, expires_at) SELECT key, expires_at "
        "FROM adapter_records WHERE owner = 'slack' AND scope = 'oauth_state'"
    )
    op.drop_table("adapter_records")
