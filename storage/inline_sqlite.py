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

WAL checkpoints run in the background: SQLite's automatic checkpoint would copy the WAL
into the database inside the commit of whichever transaction crosses its threshold (about
a fifth of the writer's time under load). Connections opened here turn it off, and a
thread of their file, with a connection of its own, checkpoints the WAL (PASSIVE: it
never waits for nor blocks a writer) once it has grown past `CHECKPOINT_BYTES`, and
again whenever the file was written since its last complete checkpoint: an idle
process makes no SQLite call at all (a WAL file keeps its size when it starts over, so
its size alone would call for a checkpoint at every poll, 50 a second). The next
write transaction after a complete checkpoint starts the WAL over, as before. Durability
is that of the commits themselves (WAL, ``synchronous=NORMAL``), not of the checkpoints:
what a commit wrote is in the WAL, and SQLite reads it from there until it is copied.

The WAL starts over only when a write transaction begins with every frame copied, and a
writer that never pauses (a burst of votes) never gives the background thread that
moment: the file grew by 14 MB per 1,000 reaction events, 1.4 GB in `bench/votes.py`, and
kept that size until the process stopped. Once the WAL in use passes `RESTART_BYTES`,
the background thread marks it overdue, and the next write transaction of this process
first finishes the checkpoint on its own connection (the frames written since the last
background pass, and the two syncs: 5–17 ms on the development machine, once per 64 MB
of WAL), then starts the WAL over; the file is cut back to `RESTART_BYTES` as it does
(``journal_size_limit``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.request import pathname2url

import aiosqlite

#: WAL size past which the background thread checkpoints it (SQLite's own default
#: threshold is 1,000 pages, about 4 MB).
CHECKPOINT_BYTES = 1 << 20
#: How often the background thread looks at the WAL's size.
CHECKPOINT_POLL_S = 0.02
#: WAL in use past which the next write transaction finishes the checkpoint first; also
#: the size the file is cut back to when the WAL starts over.
RESTART_BYTES = 64 << 20


def checkpoint(conn: sqlite3.Connection) -> tuple[int, bool]:
    """A PASSIVE checkpoint on this connection: copies what it can into the database
    without waiting for anyone. Returns the bytes of WAL in use (written since the WAL
    last started over), 0 when another connection was checkpointing, and whether every
    frame of it is in the database now."""
    _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    return max(int(frames), 0) * int(page_size), 0 <= int(frames) == int(copied)


class _Checkpointer:
    """Checkpoints one database file's WAL from a daemon thread while connections use it."""

    _lock = threading.Lock()
    _running: ClassVar[dict[str, _Checkpointer]] = {}

    def __init__(self, path: str, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.users = 0
        self.stopped = threading.Event()
        #: the WAL in use is past RESTART_BYTES: the next write transaction finishes it
        self.overdue = False
        #: the WAL file's (size, mtime) when a checkpoint last copied all of it
        self._copied: tuple[int, int] | None = None
        self._conn: sqlite3.Connection | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"sqlite-checkpoint:{os.path.basename(path)}", daemon=True
        )

    @classmethod
    def acquire(cls, path: str, timeout_s: float) -> None:
        with cls._lock:
            checkpointer = cls._running.get(path)
            if checkpointer is None:
                checkpointer = cls._running[path] = cls(path, timeout_s)
                checkpointer.thread.start()
            checkpointer.users += 1

    @classmethod
    def release(cls, path: str) -> None:
        """One connection less; the last one stops the thread, and waits until its own
        connection is closed (so that the last connection to close is the caller's, which
        checkpoints and removes the WAL as it always did)."""
        with cls._lock:
            checkpointer = cls._running.get(path)
            if checkpointer is None:
                return
            checkpointer.users -= 1
            if checkpointer.users > 0:
                return
            del cls._running[path]
            checkpointer.stopped.set()
        if checkpointer.thread is not threading.current_thread():
            checkpointer.thread.join(timeout=max(checkpointer.timeout_s, 1.0))

    @classmethod
    def of(cls, path: str | None) -> _Checkpointer | None:
        return cls._running.get(path) if path else None

    def _run(self) -> None:
        try:
            while not self.stopped.wait(CHECKPOINT_POLL_S):
                self.step()
        finally:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()

    def step(self) -> None:
        """One look at the WAL: checkpointed once it has grown past `CHECKPOINT_BYTES`,
        unless nothing was written to it since a checkpoint copied all of it."""
        try:
            wal = os.stat(self.path + "-wal")
        except OSError:
            return
        seen = (wal.st_size, wal.st_mtime_ns)
        if wal.st_size < CHECKPOINT_BYTES or seen == self._copied:
            return
        try:
            if self._conn is None:
                # mode=rw: never create the file (it may be gone by now).
                self._conn = sqlite3.connect(
                    f"file:{pathname2url(self.path)}?mode=rw",
                    uri=True,
                    timeout=self.timeout_s,
                    isolation_level=None,
                    check_same_thread=False,
                )
            in_use, complete = checkpoint(self._conn)
            self.overdue = in_use >= RESTART_BYTES
            # A write during the checkpoint changes the file after `seen`: looked at again.
            self._copied = seen if complete else None
        except sqlite3.Error:
            # Busy or gone: try again at the next poll (the WAL only grows meanwhile).
            pass


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run at once instead of on its worker thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        # As SQLAlchemy does for the connections it opens: an engine that was never
        # disposed must not keep the process from exiting.
        self._thread.daemon = True
        #: the file whose background checkpoints this connection relies on, once open
        self._checkpointed: str | None = None

    async def close(self) -> None:
        if self._checkpointed is not None:
            _Checkpointer.release(self._checkpointed)
            self._checkpointed = None
        await super().close()

    def settle_wal(self) -> None:
        """Called before each write transaction: when the background thread found the WAL
        overdue, finish the checkpoint here, so that this transaction starts it over."""
        checkpointer = _Checkpointer.of(self._checkpointed)
        if checkpointer is not None and checkpointer.overdue:
            checkpointer.overdue = False
            # Failing, it leaves the transaction to fail or not on its own.
            with contextlib.suppress(sqlite3.Error):
                checkpoint(self._conn)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def connect(path: str, timeout_s: float) -> InlineConnection:
    """A connection to this SQLite file (or ":memory:"), usable from the event loop thread."""

    in_memory = path == ":memory:" or path.startswith("file::memory:") or not path

    def open_file() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=timeout_s, check_same_thread=False)
        if not in_memory:
            # Checkpoints run in the background (`_Checkpointer`), not inside commits.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA journal_size_limit={RESTART_BYTES}")
            absolute = os.path.abspath(path)
            _Checkpointer.acquire(absolute, timeout_s)
            connection._checkpointed = absolute
        return conn

    connection = InlineConnection(open_file)
    return connection
