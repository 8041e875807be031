"""Group commit for reactions: handlers wait while one writer applies a batch at a time.

Each event is acknowledged only after the transaction that recorded it has committed, so
durability is the same as one commit per event, at a fraction of the cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.messages import ReactionEvent, ReactionOutcome
from bot.ports import Clock, Database, Store
from bot.rewards import Award
from bot.votes import VoteBook

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Store], Awaitable[Any]]


class ReactionIngest:
    def __init__(
        self,
        db: Database,
        book: VoteBook,
        clock: Clock,
        on_awards: Callable[[list[Award]], Awaitable[None]],
        max_batch: int = 256,
    ) -> None:
        self.db = db
        self.on_awards = on_awards
        self.book = book
        self.clock = clock
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[ReactionEvent | Job, asyncio.Future[Any]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="cocreate-reactions")

    async def drain(self) -> None:
        """Wait until everything queued so far is applied."""
        if self._worker is not None and self._queue is not None:
            await self._queue.join()

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._worker is None or self._queue is None:
            return
        await self._queue.join()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def submit(self, event: ReactionEvent) -> ReactionOutcome:
        outcome: ReactionOutcome = await self._enqueue(event)
        return outcome

    async def run(self, job: Callable[[Store], Awaitable[T]]) -> T:
        """Run a job in its own transaction, in order with the reaction batches."""
        result: T = await self._enqueue(job)
        return result

    async def _enqueue(self, item: ReactionEvent | Job) -> Any:
        await self.start()
        assert self._queue is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        carry: tuple[ReactionEvent | Job, asyncio.Future[Any]] | None = None
        while True:
            item = carry or await queue.get()
            carry = None
            if not isinstance(item[0], ReactionEvent):
                try:
                    await self._apply_job(item)
                finally:
                    queue.task_done()
                continue
            items = [item]
            while len(items) < self.max_batch and not queue.empty():
                nxt = queue.get_nowait()
                if isinstance(nxt[0], ReactionEvent):
                    items.append(nxt)
                else:
                    carry = nxt
                    break
            try:
                await self._apply_events(items)
            finally:
                for _ in items:
                    queue.task_done()

    async def _apply_job(self, item: tuple[ReactionEvent | Job, asyncio.Future[Any]]) -> None:
        job, future = item
        assert not isinstance(job, ReactionEvent)
        try:
            async with self.db.transaction() as store:
                result = await job(store)
        except Exception as err:
            _settle(future, error=err)
        else:
            _settle(future, result)

    async def _apply_events(
        self, items: list[tuple[ReactionEvent | Job, asyncio.Future[Any]]]
    ) -> None:
        events = [e for e, _ in items if isinstance(e, ReactionEvent)]
        futures = [f for _, f in items]
        try:
            outcomes = await self._transaction(events)
        except Exception:
            if len(events) == 1:
                log.exception("reaction event failed: %s", events[0])
                _settle(futures[0], error=RuntimeError("reaction event failed"))
                return
            # One bad event must not sink its neighbours: apply them one by one.
            for event, future in zip(events, futures, strict=True):
                try:
                    _settle(future, (await self._transaction([event]))[0])
                except Exception as err:
                    log.exception("reaction event failed: %s", event)
                    _settle(future, error=err)
            return
        for future, outcome in zip(futures, outcomes, strict=True):
            _settle(future, outcome)

    async def _transaction(self, events: list[ReactionEvent]) -> list[ReactionOutcome]:
        """Apply events, grouped by community, in one transaction; outcomes in input order."""
        groups: dict[tuple[str, str], list[int]] = {}
        for i, e in enumerate(events):
            groups.setdefault((e.community.platform, e.community.external_id), []).append(i)
        outcomes: list[ReactionOutcome | None] = [None] * len(events)
        awards: list[Award] = []
        now = self.clock.now()
        async with self.db.transaction() as store:
            for indexes in groups.values():
                results, awarded = await self.book.apply_events(
                    store, [events[i] for i in indexes], now
                )
                awards += awarded
                for i, outcome in zip(indexes, results, strict=True):
                    outcomes[i] = outcome
        if awards:
            await self.on_awards(awards)
        return [o for o in outcomes if o is not None]


def _settle(
    future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
