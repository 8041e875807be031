"""The Alembic environment of Cocreate.

`storage.migrate.upgrade()` runs it with a connection already inside a transaction, handed
over in ``config.attributes["connection"]`` (and the PostgreSQL schema, if any, in
``config.attributes["schema"]``). Run any other way (``alembic`` with a hand-made config,
offline SQL generation), it takes ``sqlalchemy.url`` from the config, or else the database
URL of the bot's settings, and makes its own async engine.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from storage.database import create_engine
from storage.schema import metadata, on_dialect

config = context.config
target_metadata = metadata


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import load_settings

    return load_settings().database_url


def _quoted(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'


def _options(dialect_name: str, schema: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        # SQLite alters tables by copying them; later migrations get that for free.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "include_object": on_dialect(dialect_name),
    }
    if schema is not None:
        options["version_table_schema"] = schema
    return options


def do_run_migrations(connection: Connection) -> None:
    """Migrate in the connection's transaction (the caller commits it), or in a new one."""
    if connection.in_transaction():
        _migrate(connection)
    else:
        with connection.begin():
            _migrate(connection)


def _migrate(connection: Connection) -> None:
    schema: str | None = config.attributes.get("schema")
    if connection.dialect.name == "postgresql":
        # One migrator at a time per schema: the next one then finds the version up to date.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"cocreate-migrate:{schema or ''}"},
        )
        if schema is not None:
            # LOCAL: the setting ends with this transaction, so pooled connections keep theirs.
            connection.exec_driver_sql(f"SET LOCAL search_path TO {_quoted(schema)}")
    context.configure(connection=connection, **_options(connection.dialect.name, schema))
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    # The application's engine settings: on SQLite, WAL, foreign keys and BEGIN IMMEDIATE.
    engine = create_engine(_database_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    url = _database_url()
    backend = make_url(url).get_backend_name()
    schema: str | None = config.attributes.get("schema")
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(backend, schema),
    )
    with context.begin_transaction():
        if backend == "postgresql" and schema is not None:
            context.execute(f"SET LOCAL search_path TO {_quoted(schema)}")
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
