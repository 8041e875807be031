"""A database outage for tests: the core's database refuses every transaction while down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.errors import StorageUnavailable
from bot.ports import Database

WAIT = 10.0


class DatabaseOutage:
    """Wraps `db.transaction` (every part of the core shares the one database object):
    while `down`, opening a transaction raises `StorageUnavailable`, as a database that
    does not answer does. Counts the refusals, so that a test can wait for the next one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.down = False
        self.refusals = 0
        self._original = db.transaction
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        db.transaction = self._transaction  # type: ignore[method-assign]

    def restore(self) -> None:
        self.down = False
        self.db.transaction = self._original  # type: ignore[method-assign]

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[Any]:
        if not self.down:
            return self._original()
        return self._refused()

    @contextlib.asynccontextmanager
    async def _refused(self) -> AsyncIterator[Any]:
        self.refusals += 1
        for waiter in list(self._waiters):
            count, future = waiter
            if self.refusals > count and not future.done():
                future.set_result(None)
                self._waiters.remove(waiter)
        raise StorageUnavailable("the database is down (test outage)")
        yield  # pragma: no cover

    async def next_refusal(self) -> None:
        """Wait until the database refuses one more transaction than it has so far."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self.refusals, future))
        await asyncio.wait_for(future, WAIT)
