"""PostgreSQL: the points tables' `_totals` indexes without the counters, so that a vote's
update of a points row stays on the row's page (HOT) and changes no index; the tables
keep room on their pages for it (fillfactor 70). SQLite keeps the counters in the
indexes, which its leaderboard reads them from.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["community_id", "private", "member_id", "week"]
COUNTERS = {
    "member_week_points": ["ideas_published", "votes_cast", "bonus"],
    "received_points": ["votes"],
}


def _totals(with_counters: bool, fillfactor: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, counters in COUNTERS.items():
        name = f"ix_{table}_totals"
        op.drop_index(name, table_name=table)
        op.create_index(name, table, KEYS + (counters if with_counters else []))
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def upgrade() -> None:
    _totals(with_counters=False, fillfactor=70)


def downgrade() -> None:
    _totals(with_counters=True, fillfactor=100)
