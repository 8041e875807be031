"""The PostgreSQL connections that a process keeps open for its transactions.

SQLAlchemy's pool checks a connection out and back in for each transaction: an
`AsyncConnection` made and closed, three greenlet switches and the pool's events, about
0.1 ms of this process's CPU each time (`bench/transactions.py`), as much as BEGIN and
COMMIT on asyncpg themselves, and a command makes one to four transactions. Here the
connections stay checked out, each with its driver at hand; the engine only opens and
closes them (`NullPool`), and a transaction takes one and gives it back:

- the last one given back is the next one taken: the few that a steady load needs stay
  within the ping's window, the others idle out of it;
- `size` are kept open, and up to `overflow` more are opened while all are in use and
  closed when given back; a transaction that finds `size + overflow` in use waits up to
  `wait_s` for one, then the database counts as unavailable;
- one given back more than `idle_s` ago is pinged before it is used again, and replaced
  when the ping fails (a restart of the server, an idle timeout). One in use within that
  window is trusted: should the server go away within it, its transaction fails
  (`StorageUnavailable`) and the connection is closed (`discard`), and every other one
  given back before then is pinged before its next use, so that a restart of the server
  fails one transaction, not one for each connection kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StorageUnavailable

#: Connections opened beyond `size` while all are in use (closed when given back).
OVERFLOW = 10


class KeptConnections:
    def __init__(
        self,
        engine: AsyncEngine,
        size: int,
        *,
        idle_s: float,
        wait_s: float,
        monotonic: Callable[[], float],
        overflow: int = OVERFLOW,
    ) -> None:
        # SQLAlchemy begins nothing on these: transactions begin and end on asyncpg.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.size = size
        self.idle_s = idle_s
        self.wait_s = wait_s
        self._monotonic = monotonic
        #: (connection, its driver, when it was given back), the last given back last
        self._idle: list[tuple[AsyncConnection, Any, float]] = []
        self._room = asyncio.Semaphore(size + overflow)
        self._open = 0
        #: when a connection was last found dead: those given back before then are pinged
        self._found_dead_at = float("-inf")
        self._closed = False

    async def take(self) -> tuple[AsyncConnection, Any]:
        """A connection fit for a transaction, and its asyncpg connection; `give_back` or
        `discard` it once the transaction has ended."""
        await self._wait_for_room()
        held: AsyncConnection | None = None
        try:
            while self._idle:
                held, driver, given_back_at = self._idle.pop()
                if self._trusted(given_back_at) or await self._answers(held):
                    return held, driver
                await self._close(held, dead=True)
                held = None
            held = await self._engine.connect()
            self._open += 1
            return held, (await held.get_raw_connection()).driver_connection
        except BaseException:
            if held is not None:  # cancelled while it was pinged: in whatever state
                await self._close(held, dead=True)
            self._room.release()
            raise

    async def give_back(self, conn: AsyncConnection, driver: Any) -> None:
        """A connection whose transaction ended: kept for the next one, or closed when
        `size` are kept already."""
        self._room.release()
        if self._closed or len(self._idle) >= self.size:
            await self._close(conn, dead=False)
        else:
            self._idle.append((conn, driver, self._monotonic()))

    async def discard(self, conn: AsyncConnection) -> None:
        """A connection that the database gave up on, or whose transaction could not be
        ended: closed, and the others are pinged before their next use."""
        self._room.release()
        await self._close(conn, dead=True)

    def figures(self) -> dict[str, int]:
        """For /metrics: as SQLAlchemy's pool reports them."""
        idle = len(self._idle)
        return {
            "size": self.size,
            "checked_in": idle,
            "checked_out": self._open - idle,
            "overflow": max(self._open - self.size, 0),
        }

    async def close(self) -> None:
        """Close the idle connections; those in use are closed when given back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn, _driver, _given_back_at in idle:
            await self._close(conn, dead=False)

    def _trusted(self, given_back_at: float) -> bool:
        return (
            self._monotonic() - given_back_at <= self.idle_s and given_back_at > self._found_dead_at
        )

    async def _wait_for_room(self) -> None:
        if not self._room.locked():
            await self._room.acquire()  # at once, without yielding
            return
        try:
            # Not `wait_for`: on Python 3.11 it can lose an acquire that completes as it
            # is cancelled; a timeout cancels the acquire itself, which passes it on.
            async with asyncio.timeout(self.wait_s):
                await self._room.acquire()
        except TimeoutError:
            raise StorageUnavailable(
                f"every PostgreSQL connection stayed in use for {self.wait_s:g} s"
            ) from None

    @staticmethod
    async def _answers(conn: AsyncConnection) -> bool:
        def ping(sync: Any) -> None:
            sync.dialect.do_ping(sync.connection.dbapi_connection)

        try:
            await conn.run_sync(ping)
        except Exception:
            return False
        return True

    async def _close(self, conn: AsyncConnection, *, dead: bool) -> None:
        self._open -= 1
        if dead:
            self._found_dead_at = self._monotonic()
        with contextlib.suppress(Exception):  # being given up on: any end will do
            if dead:
                await conn.invalidate()
            await conn.close()
