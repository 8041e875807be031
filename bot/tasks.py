"""Task groups for background work (the core's and the adapters'): work started after an
ack is tracked, bounded, logged when it fails, and drained or cancelled at stop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

from bot.errors import log_failure

log = logging.getLogger("cocreate")

T = TypeVar("T")


class Background:
    """A named group of background tasks, at most `limit` of the queued ones at once."""

    def __init__(self, name: str, limit: int = 64) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(limit)

    def spawn(
        self, work: Coroutine[Any, Any, T], name: str, *, queued: bool = True
    ) -> asyncio.Task[T | None]:
        """Start `work`; `queued=False` for short work that a request waits for (it must
        not wait behind the commands in progress)."""
        run = self._run(work, name) if queued else self._guarded(work, name)
        task = asyncio.create_task(run, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, work: Coroutine[Any, Any, T], name: str) -> T | None:
        async with self._slots:
            return await self._guarded(work, name)

    async def _guarded(self, work: Coroutine[Any, Any, T], name: str) -> T | None:
        try:
            return await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log_failure(log, "%s: %s failed", self.name, name)
            return None

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until everything started so far (and what it started) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout_s: float) -> int:
        """Let running work finish for up to `timeout_s`, then cancel the rest; returns
        how many were cancelled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._tasks and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._tasks), timeout=remaining)  # cancels none of them
        cancelled = list(self._tasks)
        if cancelled:
            log.warning("%s: cancelling %d unfinished tasks at stop", self.name, len(cancelled))
            for task in cancelled:
                task.cancel()
            await asyncio.gather(*cancelled, return_exceptions=True)
        return len(cancelled)


class WorkSignal:
    """How many times this process wrote work for a background worker (in transactions
    that may since have committed): the worker looks when the count moved, not after
    every command and reaction batch. Other processes' work is found by its poll."""

    def __init__(self) -> None:
        self.count = 0

    def note(self) -> None:
        self.count += 1


def backoff_seconds(attempts: int, base_s: float, max_s: float) -> float:
    """How long to wait after `attempts` failed tries: doubling from `base_s`, up to
    `max_s`."""
    return float(min(base_s * 2 ** min(attempts - 1, 30), max_s))


def claimant() -> str:
    """This process's name on the claims it takes ("host:pid:tag"): the agenda tells from
    it whether a claim's process on this host is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
