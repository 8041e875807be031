"""The task groups of background work that the core hands to adapters."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.errors import StorageUnavailable
from bot.tasks import Background


async def test_a_failure_is_logged_with_the_group_and_the_work_and_does_not_escape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = Background("pigeons")

    async def boom() -> int:
        raise RuntimeError("no seed")

    task = group.spawn(boom(), "feeding")
    assert await task is None
    assert any("pigeons: feeding failed" in r.getMessage() for r in caplog.records)


async def test_a_database_that_does_not_answer_is_one_warning_line_anything_else_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Background work meets a database that is down during an outage: expected, and what
    failed is tried again later, so no traceback and no ERROR line; a bug keeps both."""
    group = Background("cocreate")

    async def down() -> None:
        raise StorageUnavailable("connection refused")

    async def bug() -> None:
        raise KeyError("oops")

    caplog.set_level(logging.INFO)
    await group.spawn(down(), "notices")
    (warned,) = caplog.records
    assert warned.levelno == logging.WARNING and warned.exc_info is None
    assert warned.getMessage() == (
        "cocreate: notices failed: the database is not answering (connection refused)"
    )
    caplog.clear()
    await group.spawn(bug(), "notices")
    (failed,) = caplog.records
    assert failed.levelno == logging.ERROR and failed.exc_info is not None


async def test_queued_work_runs_at_most_limit_at_once_and_drain_waits_for_what_it_starts() -> None:
    group = Background("g", limit=2)
    gate = asyncio.Event()
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await gate.wait()
        running -= 1

    async def starter() -> None:
        group.spawn(work(), "late")  # started by a task of the group

    for _ in range(5):
        group.spawn(work(), "work")
    group.spawn(starter(), "starter", queued=False)
    await asyncio.sleep(0)
    gate.set()
    await group.drain()
    assert group.pending == 0 and most == 2


async def test_close_cancels_what_outlives_the_grace_and_says_how_many(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    group = Background("g")
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done = asyncio.Event()
    done.set()
    group.spawn(asyncio.shield(never), "stuck", queued=False)
    group.spawn(done.wait(), "quick", queued=False)
    for _ in range(3):  # the quick one finishes in a turn of the loop
        await asyncio.sleep(0)
    assert await group.close(0.0) == 1
    assert group.pending == 0
    assert any("g: cancelling 1 unfinished tasks" in r.getMessage() for r in caplog.records)
