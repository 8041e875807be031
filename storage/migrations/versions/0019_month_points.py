"""The points tables summed by month (member_month_points, received_month_points), kept by
triggers, for the leaderboards of seasons and of all time; point_rules holds the weekly cap
on votes cast that the months were summed with.

A season's leaderboard summed every weekly row of the season, a dozen a member on each
side; by month it sums three. The triggers keep the months equal to the weeks in the
transaction that writes the weeks, whatever writes them: SQLite's for each row,
PostgreSQL's once per statement over its transition tables, in the months' key order (two
transactions take the months' row locks in the same order, as they take the weeks').

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the settings' default cap ([points] vote_cast_weekly_cap); a start with another sums
#: the months again (storage.month_points.keep_cap)
DEFAULT_CAP = 10
#: in this order, a season's months are together: its leaderboard reads them alone, however
#: long the history
KEYS = ["community_id", "private", "month", "member_id"]
#: month table: (weekly table, its counters)
ROLLUPS = {
    "member_month_points": ("member_week_points", ["ideas_published", "votes_cast", "bonus"]),
    "received_month_points": ("received_points", ["votes"]),
}
CAP = "(SELECT vote_cast_weekly_cap FROM point_rules)"


def _value(dialect: str, row: str, counter: str) -> str:
    """A weekly row's contribution to its month: votes cast up to the cap."""
    value = f"{row}{counter}"
    if counter == "votes_cast":
        least = "min" if dialect == "sqlite" else "LEAST"
        return f"{least}({value}, {CAP})"
    return value


def _keys(row: str) -> str:
    """A month's key (KEYS) from a weekly row's columns (`row`: "", "NEW." or "OLD.")."""
    return ", ".join(f"substr({row}week, 1, 7)" if k == "month" else f"{row}{k}" for k in KEYS)


def _sum_rows(dialect: str, month: str, source: str, counters: list[str], signed: bool) -> str:
    """INSERT … SELECT of the sums by month of `source` (rows with a `sign` column when
    `signed`), added to the months already there."""
    sign = "sign * " if signed else ""
    sums = ", ".join(f"sum({sign}{_value(dialect, '', c)})" for c in counters)
    added = ", ".join(f"{c} = {month}.{c} + excluded.{c}" for c in counters)
    keys = ", ".join(KEYS)
    # SQLite: an INSERT … SELECT with an upsert needs a WHERE (its parser's ambiguity).
    return (
        f"INSERT INTO {month} ({keys}, {', '.join(counters)}) "
        f"SELECT {_keys('')}, {sums} "
        f"FROM {source} WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
        f"ON CONFLICT ({keys}) DO UPDATE SET {added}"
    )


def _sqlite_triggers(month: str, week: str, counters: list[str]) -> list[str]:
    def upsert(row: str, sign: str) -> str:
        values = ", ".join(
            [_keys(row + ".")] + [f"{sign}{_value('sqlite', row + '.', c)}" for c in counters]
        )
        added = ", ".join(f"{c} = {c} + excluded.{c}" for c in counters)
        return (
            f"INSERT INTO {month} ({', '.join(KEYS)}, {', '.join(counters)}) "
            f"VALUES ({values}) ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {added};"
        )

    same = (
        "NEW.community_id = OLD.community_id AND NEW.private = OLD.private AND "
        "NEW.member_id = OLD.member_id AND substr(NEW.week, 1, 7) = substr(OLD.week, 1, 7)"
    )
    changed = ", ".join(
        f"{c} = {c} + {_value('sqlite', 'NEW.', c)} - {_value('sqlite', 'OLD.', c)}"
        for c in counters
    )
    return [
        f"CREATE TRIGGER {month}_add AFTER INSERT ON {week} BEGIN {upsert('NEW', '')} END",
        f"CREATE TRIGGER {month}_remove AFTER DELETE ON {week} BEGIN {upsert('OLD', '-')} END",
        # A vote's update of its week: its month's row is there, and changes by the
        # difference.
        f"CREATE TRIGGER {month}_change AFTER UPDATE ON {week} WHEN {same} BEGIN "
        f"UPDATE {month} SET {changed} WHERE community_id = NEW.community_id AND "
        "private = NEW.private AND member_id = NEW.member_id AND "
        "month = substr(NEW.week, 1, 7); END",
        f"CREATE TRIGGER {month}_move AFTER UPDATE ON {week} WHEN NOT ({same}) BEGIN "
        f"{upsert('OLD', '-')} {upsert('NEW', '')} END",
    ]


def _postgresql_triggers(month: str, week: str, counters: list[str]) -> list[str]:
    columns = ", ".join(["community_id", "private", "member_id", "week", *counters])

    def signed(table: str, sign: int) -> str:
        return f"SELECT {columns}, {sign} AS sign FROM {table}"

    def added(rows: str) -> str:
        return _sum_rows("postgresql", month, f"({rows}) AS changed", counters, signed=True)

    body = (
        "BEGIN "
        f"IF TG_OP = 'INSERT' THEN {added(signed('new_rows', 1))}; "
        f"ELSIF TG_OP = 'DELETE' THEN {added(signed('old_rows', -1))}; "
        f"ELSE {added(signed('new_rows', 1) + ' UNION ALL ' + signed('old_rows', -1))}; "
        "END IF; RETURN NULL; END"
    )
    follow = f"{month}_follow"
    statements = [
        f"CREATE FUNCTION {follow}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$",
        f"ALTER TABLE {month} SET (fillfactor = 70)",
    ]
    for name, event, tables in (
        ("add", "INSERT", "NEW TABLE AS new_rows"),
        ("change", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("remove", "DELETE", "OLD TABLE AS old_rows"),
    ):
        statements.append(
            f"CREATE TRIGGER {month}_{name} AFTER {event} ON {week} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {follow}()"
        )
    return statements


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    rules = op.create_table(
        "point_rules",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("vote_cast_weekly_cap", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_rules")),
    )
    op.bulk_insert(rules, [{"id": 1, "vote_cast_weekly_cap": DEFAULT_CAP}])
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    for month, (week, counters) in ROLLUPS.items():
        op.create_table(
            month,
            sa.Column("community_id", id_type, nullable=False),
            sa.Column("private", sa.Boolean(), nullable=False),
            sa.Column("member_id", id_type, nullable=False),
            sa.Column("month", sa.String(length=7), nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False) for c in counters),
            sa.PrimaryKeyConstraint(*KEYS, name=op.f(f"pk_{month}")),
            sqlite_with_rowid=False,
        )
        op.execute(_sum_rows(dialect, month, week, counters, signed=False))
        triggers = _sqlite_triggers if dialect == "sqlite" else _postgresql_triggers
        for statement in triggers(month, week, counters):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for month, (week, _) in ROLLUPS.items():
        for name in ("add", "change", "remove", "move"):
            on = "" if dialect == "sqlite" else f" ON {week}"
            op.execute(f"DROP TRIGGER IF EXISTS {month}_{name}{on}")
        if dialect != "sqlite":
            op.execute(f"DROP FUNCTION {month}_follow()")
        op.drop_table(month)
    op.drop_table("point_rules")
