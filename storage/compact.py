"""`cocreate db compact`: rewrite a SQLite database with the page size new files get.

A file made before `storage.database.SQLITE_PAGE_SIZE` keeps its pages (SQLite fixes the
page size when it creates a file, and a WAL database cannot change it). This rewrites the
file once (VACUUM, out of WAL and back), which also gives back the space of deleted rows.
Run it with the bot stopped. A bot caught in a transaction makes it stop and say so,
changing nothing; one between transactions waits while the file is rewritten, and its
writes fail after the busy timeout as in a database outage. PostgreSQL has nothing of the
kind to do (autovacuum keeps it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import SQLITE_PAGE_SIZE


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
    before = path.stat().st_size
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        old_page = conn.execute("PRAGMA page_size").fetchone()[0]
        try:
            # Leaving WAL needs every other transaction gone.
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
