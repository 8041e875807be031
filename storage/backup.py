"""`cocreate db backup PATH`: a consistent copy of the database, taken while the bot runs.

SQLite: the online backup API reads the database in one read transaction, so writers
carry on (WAL) and the copy is the database as of one moment. The copy is checked and
then moved into place, so PATH is never a half-written file. PostgreSQL: `pg_dump` is the
tool for that; the command to run is named, with the password left out.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made: one line for the operator."""


def backup(database_url: str, target: Path) -> str:
    """Copy the database to `target`; returns what to tell the operator."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        plain = URL.create(
            "postgresql", url.username, None, url.host, url.port, url.database, url.query
        )
        command = shlex.join(
            [
                "pg_dump",
                "--format=custom",
                f"--file={target}",
                plain.render_as_string(hide_password=False),
            ]
        )
        return (
            f"PostgreSQL is backed up with its own tool: run {command} "
            "(the password from PGPASSWORD or ~/.pgpass; pg_restore reads the file back)"
        )
    source = Path(url.database or "")
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            problems = dst.execute("PRAGMA quick_check").fetchone()[0]
            revision = dst.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if problems != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy of {source} failed its check: {problems}")
    os.replace(partial, target)
    size = target.stat().st_size
    at = revision[0] if revision else "none"
    return f"backed up {source} to {target} ({size / 1024:,.0f} KiB, schema revision {at})"
