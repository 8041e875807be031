"""Engines and transactions: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import inline_sqlite
from storage.store import SqlStore


def create_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout, foreign keys and immediate writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    path = parsed.database or ":memory:"
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, echo=echo, async_creator=lambda: inline_sqlite.connect(path, busy_timeout_ms / 1000)
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers queue on the database lock up front instead of failing to upgrade later.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SqlDatabase:
    """Hands out one transaction at a time per SQLite file, as many as the pool allows on PG."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        # One aiosqlite connection isolates nothing between tasks: serialise writers here.
        self._lock = asyncio.Lock() if self.backend == "sqlite" else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlStore]:
        async with contextlib.AsyncExitStack() as stack:
            if self._lock is not None:
                await stack.enter_async_context(self._lock)
            conn = await stack.enter_async_context(self.engine.begin())
            yield SqlStore(conn)

    async def close(self) -> None:
        await self.engine.dispose()
