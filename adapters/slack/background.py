"""Work started after an ack: tracked, bounded, logged when it fails, drained at stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("cocreate.slack")

T = TypeVar("T")


class Background:
    def __init__(self, limit: int) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(limit)

    def spawn(
        self, work: Coroutine[Any, Any, T], name: str, *, queued: bool = True
    ) -> asyncio.Task[T | None]:
        """Start `work`; `queued=False` for short work that a request waits for (it must
        not wait behind the commands in progress)."""
        run = self._run(work, name) if queued else self._guarded(work, name)
        task = asyncio.create_task(run, name=f"slack:{name}")
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
            log.exception("slack: %s failed", name)
            return None

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until everything started so far (and what it started) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout_s: float) -> None:
        """Let running work finish for up to `timeout_s`, then cancel the rest."""
        try:
            await asyncio.wait_for(self.drain(), timeout_s)
        except TimeoutError:
            log.warning("slack: cancelling %d unfinished tasks at stop", len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
