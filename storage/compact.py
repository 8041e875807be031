"""`cocreate db compact`: rewrite a SQLite database with the page size new files get.

A file made before `storage.database.SQLITE_PAGE_SIZE` keeps its pages (SQLite fixes the
page size when it creates a file, and a WAL database cannot change it). This rewrites the
file once (VACUUM, out of WAL and back), which also gives back the space of deleted rows.
It needs the file to itself: while another process has it open (a bot running, even
idle), it stops and says so, changing nothing. PostgreSQL has nothing of the kind to do
(autovacuum keeps it).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import SQLITE_PAGE_SIZE

#: The byte of a WAL database's -shm file on which every connection that has the file
#: open holds a shared lock (SQLite's unix VFS: its "dead man switch").
_SHM_OPEN_BYTE = 128


class CompactError(Exception):
    """The database could not be compacted: one line for the operator."""


def compact(database_url: str) -> str:
    """Rewrite the SQLite file with `SQLITE_PAGE_SIZE` pages; returns what to tell."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return "PostgreSQL needs no compacting: autovacuum reclaims its space"
    path = Path(url.database or "")
    if not path.is_file():
        raise CompactError(f"no SQLite database at {path}")
    if _open_elsewhere(path):
        raise CompactError(f"{path} is open in another process: stop the bot first")
    before = path.stat().st_size
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        old_page = conn.execute("PRAGMA page_size").fetchone()[0]
        try:
            # Leaving WAL needs every other transaction gone (this process's too).
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError as err:
            raise CompactError(f"{path} is in use ({err}): stop the bot first") from None
        if mode != "delete":
            raise CompactError(f"{path} is in use: stop the bot first")
        try:
            conn.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            conn.execute("VACUUM")
        finally:
            conn.execute("PRAGMA journal_mode=WAL")
        new_page = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    after = path.stat().st_size
    return (
        f"compacted {path}: {before / 1024:,.0f} KiB in pages of {old_page:,} bytes, "
        f"now {after / 1024:,.0f} KiB in pages of {new_page:,} bytes"
    )


def _open_elsewhere(path: Path) -> bool:
    """Whether another process has this WAL database open: it then holds a shared lock
    on the -shm file's `_SHM_OPEN_BYTE`, which an exclusive lock can't take."""
    if sys.platform == "win32":
        return False  # Windows locks differently; leaving WAL then refuses a transaction
    import fcntl

    try:
        fd = os.open(path.with_name(path.name + "-shm"), os.O_RDWR)
    except FileNotFoundError:
        return False  # no connection has opened it since the last one closed
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_OPEN_BYTE)
    except OSError:
        return True
    finally:
        os.close(fd)  # which releases the lock, if it was taken
    return False
