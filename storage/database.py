"""Engines and transactions: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.errors import StorageConflict, StorageUnavailable, UserError
from bot.ports import Clock
from storage import inline_sqlite
from storage.hot_votes import PostgresHot, SqliteHot
from storage.kept_connections import KeptConnections
from storage.store import SqlStore

if TYPE_CHECKING:
    from storage.records import SqlRecords

#: How long a new PostgreSQL connection may take before the database counts as down.
CONNECT_TIMEOUT_S = 3.0
#: PostgreSQL connections a process keeps open (`storage.kept_connections`); up to 10 more
#: are opened while all are in use, and closed when given back while this many are idle.
#: Commands and their posts come in bursts: with 5 or 10, a steady 200 commands a second
#: kept opening and closing connections (each a handshake, and its statements prepared
#: again), 2.6 ms of CPU a command on PostgreSQL against 2.2 with 20
#: (bench/discord_commands.py).
POOL_SIZE = 20
#: A kept PostgreSQL connection given back this recently is taken again without a ping
#: (a round trip, and three through asyncpg: about 0.25 ms of this process's CPU for each
#: transaction); one idle for longer is pinged first, and replaced when the ping fails, as
#: after a restart of the server.
PING_AFTER_IDLE_S = 1.0
#: The page size of new SQLite files. A batch of votes inserts into a dozen indexes at
#: keys spread over the whole index, so each commit writes hundreds of pages to the WAL,
#: nearly all of them for one or two new entries: 1 KiB pages write a quarter of the
#: bytes that SQLite's default 4 KiB pages do (the vote benchmark's rate about +50 %; the
#: result reads 5-15 % slower). `cocreate db compact` rewrites an older file so.
SQLITE_PAGE_SIZE = 1024

_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    # a connection whose server ended it while it idled, used before asyncpg noticed
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
    exc.TimeoutError,
)
_CONFLICT = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
#: SQLite's own words for a database it cannot use right now.
_SQLITE_UNAVAILABLE = ("locked", "busy", "disk i/o", "unable to open", "readonly", "disk is full")


def _causes(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [getattr(item, "orig", None), item.__cause__]
        if not item.__suppress_context__:  # `raise … from None` disowns what it handled
            todo.append(item.__context__)


def classify(err: BaseException) -> type[Exception] | None:
    """`StorageUnavailable` or `StorageConflict` when the database, not the statement, is
    why `err` happened; None otherwise (a bug, a constraint, a refusal: those stay as they
    are, even when they were raised while handling a timeout or an OSError of their own)."""
    if isinstance(err, UserError):
        return None
    for cause in _causes(err):
        if isinstance(cause, _CONFLICT):
            return StorageConflict
        if isinstance(cause, exc.DBAPIError) and cause.connection_invalidated:
            return StorageUnavailable
        if isinstance(cause, _UNAVAILABLE):
            return StorageUnavailable
        if isinstance(cause, sqlite3.OperationalError) and any(
            word in str(cause).lower() for word in _SQLITE_UNAVAILABLE
        ):
            return StorageUnavailable
    return None


def create_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout, foreign keys and immediate writes;
    PostgreSQL's only opens and closes connections: `SqlDatabase` keeps them."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(
            url, echo=echo, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_S}
        )
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
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # new files only, before WAL
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers queue on the database lock up front instead of failing to upgrade later.
        # Straight to sqlite3, as every transaction begins so (inline_sqlite.py), once a WAL
        # that writes gave no pause to start over is settled.
        driver = conn.connection.driver_connection
        if driver._conn.in_transaction:
            return  # begun on sqlite3 by `SqlDatabase`: this Core statement joins it
        driver.settle_wal()
        driver._conn.execute("BEGIN IMMEDIATE")

    return engine


async def _rolled_back(driver: Any, begun: Any, err: BaseException) -> bool:
    """Roll back a transaction begun on asyncpg that `err` ended early; whether its
    connection is fit for another. Not when the database gave up on it, nor when the
    rollback fails or is cancelled: it may still be inside the transaction then."""
    if classify(err) is StorageUnavailable:
        return False
    try:
        if begun is not None and driver.is_in_transaction():
            await begun.rollback()
    except Exception:
        return False
    return True


class SqlDatabase:
    """Hands out one transaction at a time per SQLite file, one per kept connection on PG.

    Connections stay open between transactions: taking one from SQLAlchemy's pool and
    giving it back cost about as much as a short transaction itself (four greenlet
    switches and a task, about 0.1 ms of CPU, for each of the one to four transactions of a
    command). On SQLite the transactions of a process take turns on one connection, begun
    and committed on sqlite3 itself (`_kept`); a connection that the database gave up on
    is replaced at the next transaction. On PostgreSQL `storage.kept_connections` keeps
    `pool_size` of them, and pings one that idled for more than `ping_after_idle_s` before
    it is used again (`_driven`)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int = POOL_SIZE,
        ping_after_idle_s: float = PING_AFTER_IDLE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        #: PostgreSQL's connections, kept for its transactions (`_driven`; none on SQLite)
        self._connections = KeptConnections(
            engine,
            pool_size,
            idle_s=ping_after_idle_s,
            wait_s=CONNECT_TIMEOUT_S * 2,
            monotonic=monotonic,
        )
        # One aiosqlite connection isolates nothing between tasks: serialise writers here.
        self._lock = asyncio.Lock() if self.backend == "sqlite" else None
        #: the kept SQLite connection and its driver
        self._held: tuple[AsyncConnection, inline_sqlite.InlineConnection] | None = None
        #: closed: a late transaction (of a task still finishing) takes a connection of its own
        self._closed = False

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlStore]:
        """One transaction: committed when the block ends, rolled back if it raises. A
        database that is down, or a conflict the database settled by aborting, surfaces as
        `StorageUnavailable` or `StorageConflict`; nothing was committed then."""
        try:
            async with self._lock or contextlib.nullcontext():
                if self._lock is None:
                    async with self._driven() as store:
                        yield store
                elif self._closed:
                    async with self.engine.begin() as conn:
                        yield SqlStore(conn)
                else:
                    async with self._kept() as store:
                        yield store
            if self._lock is not None:
                # Statements on SQLite run without giving the event loop a turn: give it one
                # between transactions, as taking a connection from the pool did, so that
                # what waits on it (a command's acknowledgement) is not held up for long.
                await asyncio.sleep(0)
        except (StorageUnavailable, StorageConflict):
            raise
        except Exception as err:
            kind = classify(err)
            if kind is None:
                raise
            raise kind(f"{type(err).__name__}: {err}".splitlines()[0][:300]) from err

    @contextlib.asynccontextmanager
    async def _driven(self) -> AsyncIterator[SqlStore]:
        """A PostgreSQL transaction on a kept connection, begun and ended on asyncpg
        itself, which SQLAlchemy's statements join: the connection is in the driver's
        autocommit mode, where SQLAlchemy begins nothing. SQLAlchemy's asyncpg adapter
        would begin the transaction with the first statement sent through it, so the
        driver's statements had to wait for one: about 0.1 ms more of this process's CPU
        a transaction (`bench/transactions.py`), and a command makes one to four. A
        connection whose transaction could not be ended is closed, not kept."""
        conn, driver = await self._connections.take()
        begun: Any = None
        try:
            begun = driver.transaction()
            await begun.start()
            yield SqlStore(conn, PostgresHot(driver))
            await begun.commit()
        except BaseException as err:
            try:
                fit = await _rolled_back(driver, begun, err)
            except BaseException:  # cancelled while rolling back
                await self._connections.discard(conn)
                raise
            if fit:
                await self._connections.give_back(conn, driver)
            else:
                await self._connections.discard(conn)
            raise
        await self._connections.give_back(conn, driver)

    @contextlib.asynccontextmanager
    async def _kept(self) -> AsyncIterator[SqlStore]:
        """A transaction on the kept SQLite connection, begun and ended on sqlite3 itself:
        SQLAlchemy's begin and commit switch greenlets several times each (about 35 µs of
        CPU a transaction, a command makes one to five), and most transactions send it no
        statement. A Core statement joins the transaction (the engine's begin listener
        finds it open), and SQLAlchemy then ends it."""
        conn, driver = await self._connection()
        raw = driver._conn
        try:
            driver.settle_wal()
            raw.execute("BEGIN IMMEDIATE")
            yield SqlStore(conn, SqliteHot(raw))
            if conn.in_transaction():
                await conn.commit()
            else:
                raw.commit()
        except BaseException as err:
            try:
                if conn.in_transaction():
                    await conn.rollback()
                elif raw.in_transaction:
                    raw.rollback()
            finally:
                if classify(err) is StorageUnavailable:  # the connection is not kept then
                    await self._release(invalidate=True)
            raise

    async def _connection(self) -> tuple[AsyncConnection, inline_sqlite.InlineConnection]:
        """The SQLite connection that this process's transactions take turns on, and its
        driver."""
        if self._held is not None and self._held[0].invalidated:  # by SQLAlchemy, on a disconnect
            await self._release()
        if self._held is None:
            conn = await self.engine.connect()
            driver: Any = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, inline_sqlite.InlineConnection)
            self._held = conn, driver
        return self._held

    async def _release(self, *, invalidate: bool = False) -> None:
        """Give the kept connection back to the pool, or to be closed (`invalidate`)."""
        held, self._held = self._held, None
        if held is not None:
            conn, _driver = held
            with contextlib.suppress(Exception):  # it is being given up on: any end will do
                if invalidate:
                    await conn.invalidate()
                await conn.close()

    def records(self, owner: str, clock: Clock) -> SqlRecords:
        from storage.records import SqlRecords

        return SqlRecords(self, owner, clock)

    async def answers(self) -> bool:
        """Whether the database answers a query now (for readiness checks)."""
        try:
            async with self.transaction() as store:
                await store.conn.exec_driver_sql("SELECT 1")
        except StorageUnavailable:
            return False
        return True

    def pool_status(self) -> dict[str, int]:
        """The connection pool's figures, for /metrics."""
        if self._lock is None:
            return self._connections.figures()
        pool: Any = self.engine.pool
        figures = {"size": "size", "checked_in": "checkedin", "checked_out": "checkedout"}
        out = {k: int(getattr(pool, m)()) for k, m in figures.items() if hasattr(pool, m)}
        if hasattr(pool, "overflow"):
            out["overflow"] = max(int(pool.overflow()), 0)
        return out

    async def close(self) -> None:
        self._closed = True
        if self._lock is not None:
            async with self._lock:  # a transaction under way ends first
                await self._release()
        await self._connections.close()
        await self.engine.dispose()
