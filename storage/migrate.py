"""Schema migrations: Alembic, configured in code, run on the application's async engine.

A database already at `HEAD` is not handed to Alembic: every start reads its revision
first, with one query, and imports Alembic (about a tenth of a second on the development
machine, with reading its scripts and checking) only when there is something to do."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision of the scripts, from their file names (`0018_hot_points.py` is
#: revision 0018): a test holds it to Alembic's own head (`head_revision`).
HEAD = max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


log = logging.getLogger(__name__)


def alembic_config(
    connection: Connection | None = None, schema: str | None = None, url: str | None = None
) -> Config:
    """An Alembic config without alembic.ini: the scripts of storage/migrations.

    With a connection, env.py migrates on it; else it connects to `url` (or the settings').
    """
    from alembic.config import Config

    config = Config()
    # Config values go through ConfigParser interpolation: '%' must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def _check_schema(engine: AsyncEngine, schema: str | None) -> None:
    if schema is not None and engine.dialect.name != "postgresql":
        raise ValueError(f"a schema is for PostgreSQL only, not {engine.dialect.name}")


async def upgrade(engine: AsyncEngine, schema: str | None = None) -> None:
    """Bring the database up to the newest revision; nothing to do when it is there already.

    On PostgreSQL, `schema` (which must exist) holds the tables and the alembic_version
    table; None means the connection's search_path decides.
    """
    if await current_revision(engine, schema) == HEAD:
        return
    from alembic import command

    def run(connection: Connection) -> None:
        before = _revision(connection, schema)
        command.upgrade(alembic_config(connection, schema), "head")
        after = _revision(connection, schema)
        if after != before:
            log.info("database schema upgraded from %s to %s", before or "empty", after)

    # One transaction for everything: on PostgreSQL and SQLite alike, DDL is transactional.
    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine, schema: str | None = None) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    _check_schema(engine, schema)
    async with engine.connect() as connection:
        return await connection.run_sync(_revision, schema)


def _revision(connection: Connection, schema: str | None) -> str | None:
    """What Alembic's version table holds, read without Alembic (its history is one line
    of revisions: the table holds one row once migrated)."""
    if not inspect(connection).has_table("alembic_version", schema=schema):
        return None
    version = Table("alembic_version", MetaData(), Column("version_num", String), schema=schema)
    rows = connection.execute(select(version.c.version_num)).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"the database is at more than one revision: {', '.join(rows)}")
    return rows[0] if rows else None


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
