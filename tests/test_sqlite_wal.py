"""The SQLite WAL stays bounded while writes never pause (storage/inline_sqlite.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from storage import inline_sqlite
from storage.database import SqlDatabase, create_engine

KIB = 1024


@pytest.fixture
def small_wal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small thresholds, and the background thread parked: the test takes its steps."""
    monkeypatch.setattr(inline_sqlite, "CHECKPOINT_POLL_S", 3600.0)
    monkeypatch.setattr(inline_sqlite, "CHECKPOINT_BYTES", 16 * KIB)
    monkeypatch.setattr(inline_sqlite, "RESTART_BYTES", 64 * KIB)


async def write_blobs(database: SqlDatabase, n: int) -> None:
    async with database.transaction() as store:
        for _ in range(n):
            await store.conn.exec_driver_sql("INSERT INTO blobs VALUES (randomblob(700))")


@asynccontextmanager
async def blobs_at(path: Path) -> AsyncIterator[tuple[SqlDatabase, inline_sqlite._Checkpointer]]:
    """A database file with a table of blobs, and the checkpoints of its WAL."""
    database = SqlDatabase(create_engine(f"sqlite+aiosqlite:///{path}"))
    try:
        async with database.transaction() as store:
            await store.conn.exec_driver_sql("CREATE TABLE blobs (b BLOB)")
        checkpointer = inline_sqlite._Checkpointer.of(str(path.resolve()))
        assert checkpointer is not None
        yield database, checkpointer
    finally:
        await database.close()


async def test_a_wal_that_never_got_a_pause_starts_over_at_the_next_write(
    small_wal: None, tmp_path: Path
) -> None:
    path = tmp_path / "busy.db"
    wal = Path(f"{path}-wal")
    async with blobs_at(path) as (database, checkpointer):
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            for _ in range(3):
                # A reader on an older snapshot keeps the background checkpoint from copying
                # the newest frames, as a writer that appends during the copy does.
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM blobs").fetchall()
                await write_blobs(database, 300)
                grown = wal.stat().st_size
                assert grown > 4 * 64 * KIB
                checkpointer.step()  # what the background thread does every poll
                assert checkpointer.overdue
                reader.execute("COMMIT")

                await write_blobs(database, 1)

                assert not checkpointer.overdue
                assert wal.stat().st_size <= 64 * KIB  # started over, cut back to the limit
        finally:
            reader.close()
        async with database.transaction() as store:
            counted = await store.conn.exec_driver_sql("SELECT count(*) FROM blobs")
            assert counted.scalar_one() == 3 * 301


async def test_a_wal_in_use_below_the_limit_is_left_to_the_background(
    small_wal: None, tmp_path: Path
) -> None:
    async with blobs_at(tmp_path / "calm.db") as (database, checkpointer):
        checkpointer.step()  # below CHECKPOINT_BYTES: not even looked at
        assert not checkpointer.overdue
        await write_blobs(database, 30)  # past CHECKPOINT_BYTES, below RESTART_BYTES
        checkpointer.step()
        assert not checkpointer.overdue


async def test_a_wal_nothing_was_written_to_since_it_was_all_copied_is_not_checkpointed(
    small_wal: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle process makes no SQLite call: the WAL file keeps its size when it starts
    over, so its size alone would call for a checkpoint at every poll."""
    copies: list[tuple[int, bool]] = []
    real = inline_sqlite.checkpoint

    def counted(conn: sqlite3.Connection) -> tuple[int, bool]:
        copies.append(real(conn))
        return copies[-1]

    monkeypatch.setattr(inline_sqlite, "checkpoint", counted)
    async with blobs_at(tmp_path / "idle.db") as (database, checkpointer):
        await write_blobs(database, 30)  # past CHECKPOINT_BYTES
        checkpointer.step()
        assert len(copies) == 1 and copies[0][1]  # all of it copied

        for _ in range(3):
            checkpointer.step()
        assert len(copies) == 1

        await write_blobs(database, 1)
        checkpointer.step()
        assert len(copies) == 2
