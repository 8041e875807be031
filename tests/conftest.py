"""Shared fixtures: migrated databases on SQLite and PostgreSQL.

`database` runs a test once per backend (ids ``sqlite`` and ``postgresql``); `sqlite_database`
runs it on SQLite only. Both yield a `storage.database.SqlDatabase` that `storage.migrate`
brought up to the newest revision.

PostgreSQL: ``$COCREATE_TEST_POSTGRES_URL`` or ``postgresql://postgres@127.0.0.1:5432/test``.
Each test gets a schema of its own (the engine's search_path), dropped afterwards. When the
server does not answer, PostgreSQL tests are skipped, except with ``CI=true``: they fail.
"""

from __future__ import annotations

import itertools
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import Settings, mask_url_password
from storage.database import SqlDatabase, create_engine
from storage.migrate import upgrade
from tests.harness import Harness

OpenDatabase = Callable[[], AbstractAsyncContextManager[SqlDatabase]]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL_VARIABLE = "COCREATE_TEST_POSTGRES_URL"
CONNECT_TIMEOUT_S = 2.0

BACKENDS = (
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
)

#: Whether each PostgreSQL URL answered (None) or why not, checked once per session.
_unreachable: dict[str, str | None] = {}
_schema_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: the test runs on the PostgreSQL server")


def postgres_url() -> str:
    """The test server's URL, as configured (any postgresql driver prefix)."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlalchemy_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _why_unreachable(url: str) -> str | None:
    if url not in _unreachable:
        try:
            conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            _unreachable[url] = f"no answer within {CONNECT_TIMEOUT_S:g} s"
        except (OSError, asyncpg.CannotConnectNowError) as exc:
            _unreachable[url] = f"{type(exc).__name__}: {exc}"
        else:
            await conn.close()
            _unreachable[url] = None
    return _unreachable[url]


async def _require_postgres(url: str) -> None:
    error = await _why_unreachable(url)
    if error is None:
        return
    reason = f"PostgreSQL not reachable at {mask_url_password(url)}: {error}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


@asynccontextmanager
async def sqlite_database_at(path: Path) -> AsyncIterator[SqlDatabase]:
    """A migrated SQLite database in this file, closed afterwards."""
    database = SqlDatabase(create_engine(f"sqlite+aiosqlite:///{path}"))
    try:
        await upgrade(database.engine)
        yield database
    finally:
        await Harness.close_all()
        await database.close()


@asynccontextmanager
async def postgres_database(url: str | None = None) -> AsyncIterator[SqlDatabase]:
    """A migrated PostgreSQL database in a new schema of its own, dropped afterwards."""
    url = url or postgres_url()
    await _require_postgres(url)
    schema = f"t_{os.getpid()}_{next(_schema_numbers)}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT_S)
    try:
        # A test that leaks a transaction must not hang the DROP SCHEMA below for ever.
        await admin.execute("SET lock_timeout = '10s'")
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        engine = create_async_engine(
            _sqlalchemy_url(url),
            connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
        )
        database = SqlDatabase(engine)
        try:
            await upgrade(engine, schema=schema)
            yield database
        finally:
            await Harness.close_all()
            await database.close()
            # A connection still checked out (a leaked task) would deadlock with the DROP.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = $1 AND pid <> pg_backend_pid()",
                schema,
            )
            await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The CLI configures logging for the process; put it back after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the database backend under test: "sqlite" or "postgresql"."""
    name: str = request.param
    return name


@pytest_asyncio.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[SqlDatabase]:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    if backend == "sqlite":
        async with sqlite_database_at(tmp_path / "cocreate.db") as db:
            yield db
    else:
        async with postgres_database() as db:
            yield db


@pytest_asyncio.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[SqlDatabase]:
    """A fresh migrated SQLite database in a file under tmp_path."""
    async with sqlite_database_at(tmp_path / "cocreate.db") as db:
        yield db


@pytest_asyncio.fixture
async def fresh(backend: str, tmp_path: Path) -> OpenDatabase:
    """Opens a new migrated database of the test's backend each time it is called (for
    property tests: one database per example)."""
    counter = iter(range(10_000))

    @asynccontextmanager
    async def open_one() -> AsyncIterator[SqlDatabase]:
        if backend == "sqlite":
            async with sqlite_database_at(tmp_path / f"db-{next(counter)}.sqlite") as db:
                yield db
        else:
            async with postgres_database() as db:
                yield db

    return open_one


@pytest.fixture
def new_harness(database: SqlDatabase) -> Callable[..., Harness]:
    """Makes Harnesses on the `database` fixture, which closes them before the database."""

    def make(settings: Settings | None = None) -> Harness:
        return Harness(database, settings)

    return make
