"""Schema migrations: Alembic, configured in code, run on the application's async engine."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


log = logging.getLogger(__name__)


def alembic_config(
    connection: Connection | None = None, schema: str | None = None, url: str | None = None
) -> Config:
    """An Alembic config without alembic.ini: the scripts of storage/migrations.

    With a connection, env.py migrates on it; else it connects to `url` (or the settings').
    """
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
    _check_schema(engine, schema)

    def run(connection: Connection) -> None:
        opts = {} if schema is None else {"version_table_schema": schema}
        before = MigrationContext.configure(connection, opts=opts).get_current_revision()
        command.upgrade(alembic_config(connection, schema), "head")
        after = MigrationContext.configure(connection, opts=opts).get_current_revision()
        if after != before:
            log.info("database schema upgraded from %s to %s", before or "empty", after)

    # One transaction for everything: on PostgreSQL and SQLite alike, DDL is transactional.
    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine, schema: str | None = None) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    _check_schema(engine, schema)

    def read(connection: Connection) -> str | None:
        opts = {} if schema is None else {"version_table_schema": schema}
        return MigrationContext.configure(connection, opts=opts).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
