"""The PostgreSQL pool pings a connection only when it has been idle: one that the server
dropped while it idled is replaced before a transaction uses it, one in use just now is
taken without a round trip, and one dropped within that window fails its transaction once
(as a transaction under way would), after which the others are pinged before their next
use: a restart of the server fails one transaction, not one for each pooled connection.
It keeps `pool_size` connections open after a burst that needed more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from bot.errors import StorageUnavailable
from storage.database import PING_AFTER_IDLE_S, SqlDatabase, create_engine
from storage.kept_connections import KeptConnections
from tests.conftest import _asyncpg_dsn, _require_postgres, _sqlalchemy_url, postgres_url

pytestmark = pytest.mark.postgresql


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pool:
    """A database on the test server with a hand-driven clock, and a count of its pings."""

    def __init__(self, clock: Monotonic, pool_size: int) -> None:
        self.clock = clock
        engine = create_engine(_sqlalchemy_url(postgres_url()))
        self.db = SqlDatabase(engine, pool_size=pool_size, monotonic=clock)
        self.pings = 0
        dialect: Any = engine.sync_engine.dialect
        ping = dialect.do_ping

        def counted(dbapi_conn: Any) -> Any:
            self.pings += 1
            return ping(dbapi_conn)

        dialect.do_ping = counted

    async def backend_pid(self) -> int:
        async with self.db.transaction() as store:
            return await _pid_in(store)


async def _pid_in(store: Any) -> int:
    """The server process of the connection that this transaction holds."""
    return int((await store.conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[Pool]:
    await _require_postgres(postgres_url())
    made = Pool(Monotonic(), pool_size=3)
    try:
        yield made
    finally:
        await made.db.close()


async def _drop(pid: int) -> None:
    """The server ends this connection, as a restart or an idle timeout would."""
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_url()))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_in_use_just_now_is_taken_without_a_ping(pool: Pool) -> None:
    first = await pool.backend_pid()
    for _ in range(5):
        pool.clock.now += PING_AFTER_IDLE_S / 2
        assert await pool.backend_pid() == first  # the same connection, the last given back
    assert pool.pings == 0
    pool.clock.now += PING_AFTER_IDLE_S * 2
    assert await pool.backend_pid() == first
    assert pool.pings == 1


async def test_a_connection_dropped_while_it_idled_is_replaced_before_it_is_used(
    pool: Pool,
) -> None:
    first = await pool.backend_pid()
    await _drop(first)
    pool.clock.now += PING_AFTER_IDLE_S * 2
    second = await pool.backend_pid()  # no error: the ping found it gone
    assert second != first
    assert pool.pings == 1


async def test_a_connection_dropped_within_the_window_fails_once_then_the_pool_starts_over(
    pool: Pool,
) -> None:
    first = await pool.backend_pid()
    await _drop(first)
    with pytest.raises(StorageUnavailable):
        await pool.backend_pid()
    assert await pool.backend_pid() != first
    assert pool.pings == 0


async def test_a_restart_within_the_window_fails_one_transaction_not_one_per_connection(
    pool: Pool,
) -> None:
    pids = await _two_at_once(pool)
    for pid in pids:  # the server restarts: every pooled connection is gone
        await _drop(pid)
    with pytest.raises(StorageUnavailable):
        await pool.backend_pid()  # the connection given back last: closed, and opened again
    # The other one was given back before that one died: it is pinged first, and replaced.
    assert not await _two_at_once(pool) & pids
    assert pool.pings == 1


async def _two_at_once(pool: Pool) -> set[int]:
    """The server processes of two connections that the pool opened for two transactions
    under way at once, and holds idle now."""
    both_in, pids = asyncio.Barrier(3), set[int]()

    async def held() -> None:
        async with pool.db.transaction() as store:
            pids.add(await _pid_in(store))
            await both_in.wait()

    tasks = [asyncio.create_task(held()) for _ in range(2)]
    await asyncio.wait_for(both_in.wait(), 30)
    await asyncio.gather(*tasks)
    assert len(pids) == 2
    return pids


async def test_the_pool_keeps_its_size_open_after_a_burst_that_needed_more(pool: Pool) -> None:
    release, all_in = asyncio.Event(), asyncio.Event()
    pids: list[int] = []

    async def held() -> None:
        async with pool.db.transaction() as store:
            pids.append(await _pid_in(store))
            if len(pids) == 5:
                all_in.set()
            await release.wait()

    tasks = [asyncio.create_task(held()) for _ in range(5)]
    await asyncio.wait_for(all_in.wait(), 30)
    release.set()
    await asyncio.gather(*tasks)
    assert len(set(pids)) == 5  # two beyond the pool's size
    assert pool.db.pool_status() == {
        "size": 3,
        "checked_in": 3,
        "checked_out": 0,
        "overflow": 0,
    }
    assert pool.pings == 0


@pytest.mark.parametrize("through", ["sqlalchemy", "driver"])
async def test_a_transaction_cancelled_midway_is_rolled_back_before_its_connection_is_used_again(
    pool: Pool, through: str
) -> None:
    """Transactions begin and end on asyncpg: one cancelled while a statement runs (sent
    through SQLAlchemy, or straight to the driver) must end there too, or the connection
    would go back to the pool still inside it, and the next transaction would nest in it."""
    waiting = asyncio.Event()
    cancelled: list[int] = []

    async def cancelled_midway() -> None:
        async with pool.db.transaction() as store:
            cancelled.append(await _xact_id(store))
            waiting.set()
            if through == "sqlalchemy":
                await store.conn.exec_driver_sql("SELECT pg_sleep(60)")
            else:
                await (await store._driver()).rows("SELECT pg_sleep(60)", [])

    task = asyncio.create_task(cancelled_midway())
    await asyncio.wait_for(waiting.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with pool.db.transaction() as store:
        assert await _xact_id(store) != cancelled[0]
        status = await store.conn.exec_driver_sql(f"SELECT txid_status({cancelled[0]})")
        assert status.scalar_one() == "aborted"


async def _xact_id(store: Any) -> int:
    return int((await store.conn.exec_driver_sql("SELECT txid_current()")).scalar_one())


async def test_a_transaction_that_finds_every_connection_in_use_waits_then_fails_clearly() -> None:
    await _require_postgres(postgres_url())
    engine = create_engine(_sqlalchemy_url(postgres_url()))
    connections = KeptConnections(
        engine, 1, idle_s=PING_AFTER_IDLE_S, wait_s=0.05, monotonic=Monotonic(), overflow=1
    )
    try:
        first, second = await connections.take(), await connections.take()
        with pytest.raises(StorageUnavailable, match="stayed in use"):
            await connections.take()
        assert connections.figures()["overflow"] == 1
        given_up = asyncio.create_task(connections.take())
        await asyncio.sleep(0)
        given_up.cancel()  # a waiter cancelled takes nothing with it
        with pytest.raises(asyncio.CancelledError):
            await given_up
        connections.wait_s = 30
        waiting = asyncio.create_task(connections.take())
        await asyncio.sleep(0)  # it waits for a connection
        assert not waiting.done()
        await connections.give_back(*first)
        assert await asyncio.wait_for(waiting, 30) == first  # the one given back, at once
        await connections.give_back(*second)
        await connections.give_back(*first)  # beyond the size: closed
        assert connections.figures() == {
            "size": 1,
            "checked_in": 1,
            "checked_out": 0,
            "overflow": 0,
        }
        connections.wait_s = 0.05
        both = [await connections.take(), await connections.take()]  # room for two again
        for taken in both:
            await connections.give_back(*taken)
    finally:
        await connections.close()
        await engine.dispose()
