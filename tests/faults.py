"""Databases that misbehave on cue: down for a while, or paused inside a transaction.

They wrap a real `SqlDatabase`, so everything that does happen happens for real.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.errors import StorageUnavailable
from storage.database import SqlDatabase
from storage.store import SqlStore


class FlakyDatabase:
    """A database that refuses every transaction while `down` is set."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        self.down = False
        self.refused = 0

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlStore]:
        if self.down:
            self.refused += 1
            raise StorageUnavailable("connection refused (test)")
        async with self.db.transaction() as store:
            yield store

    async def close(self) -> None:
        await self.db.close()


class _PausingStore:
    """A store whose `method` waits at a gate (after running) the next time it is called."""

    def __init__(self, store: SqlStore, gate: Gate) -> None:
        self._store = store
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name != self._gate.method or self._gate.passed:
            return found

        async def paused(*args: Any, **kwargs: Any) -> Any:
            result = await found(*args, **kwargs)
            self._gate.passed = True
            self._gate.reached.set()
            await self._gate.release.wait()
            return result

        return paused


class Gate:
    """Where a `PausingDatabase` stops: after the first call of a store method."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.passed = False
        self.reached = asyncio.Event()
        self.release = asyncio.Event()


class PausingDatabase:
    """A database whose next transaction stops inside, at `gate`, until released: one
    process caught between reading and writing while another one runs."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        self.gate: Gate | None = None

    def pause_at(self, method: str) -> Gate:
        self.gate = Gate(method)
        return self.gate

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with self.db.transaction() as store:
            gate = self.gate
            yield store if gate is None or gate.passed else _PausingStore(store, gate)

    async def close(self) -> None:
        await self.db.close()
