"""aiosqlite connections that run each SQLite call on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close: four per statement) to a worker
thread and waits for the answer. On small virtual machines such a hand-off costs about
0.2 ms, many times what SQLite needs for the point reads and small writes that Cocreate
makes, so a statement cost about 0.9 ms. Run inline, it costs what SQLite and SQLAlchemy
cost. The price: a statement blocks the event loop while it runs. With WAL and
``synchronous=NORMAL`` a commit does not wait for the disk, and all transactions of one
process take turns anyway (`storage.database.SqlDatabase`), so only another *process*
holding the write lock can make a statement wait, for at most the busy timeout.

Opening and closing still go through aiosqlite's thread, as aiosqlite does them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run at once instead of on its worker thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        # As SQLAlchemy does for the connections it opens: an engine that was never
        # disposed must not keep the process from exiting.
        self._thread.daemon = True

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def connect(path: str, timeout_s: float) -> InlineConnection:
    """A connection to this SQLite file (or ":memory:"), usable from the event loop thread."""

    def open_file() -> sqlite3.Connection:
        return sqlite3.connect(path, timeout=timeout_s, check_same_thread=False)

    return InlineConnection(open_file)
