"""Group commit for reactions: handlers wait while one writer applies a batch at a time.

Each event is acknowledged only after the transaction that recorded it has committed, so
durability is the same as one commit per event, at a fraction of the cost.

When the database is down, an event whose sender can be asked to deliver it again (Slack:
answer with an error, and it retries) fails at once. An event that cannot be refused (the
Discord gateway) is *patient*: it is kept in memory, in order, and applied once the
database answers again. Past `buffer` kept events, further ones are not kept. Either way
the posts of the events not applied are read back from their platform once the database
answers, so a vote whose event was refused or not kept is recovered then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.errors import StorageConflict, StorageUnavailable
from bot.messages import CommunityRef, ReactionEvent, ReactionOutcome
from bot.metrics import Metrics
from bot.ports import Clock, Database, Store
from bot.votes import Aftermath, VoteBook

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Store], Awaitable[Any]]
#: (community, channel, message) of an idea post
PostKey = tuple[CommunityRef, str, str]

#: An event not applied during an outage, to be caught up by reading its post back.
DEFERRED = ReactionOutcome("deferred: read back from the platform")
CONFLICT_RETRIES = 5


@dataclass
class _Item:
    work: ReactionEvent | Job
    future: asyncio.Future[Any]
    patient: bool = False


class ReactionIngest:
    def __init__(
        self,
        db: Database,
        book: VoteBook,
        clock: Clock,
        on_committed: Callable[[Aftermath], Awaitable[None]],
        on_recovered: Callable[[set[PostKey]], Awaitable[None]] | None = None,
        *,
        max_batch: int = 256,
        buffer: int = 10_000,
        retry_max_s: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.on_committed = on_committed
        self.on_recovered = on_recovered
        self.book = book
        self.clock = clock
        self.max_batch = max_batch
        self.buffer = buffer
        self.retry_max_s = retry_max_s
        self.sleep = sleep
        self.metrics = metrics or Metrics()
        self._queue: asyncio.Queue[_Item] | None = None
        self._worker: asyncio.Task[None] | None = None
        #: events kept during an outage, oldest first
        self._backlog: list[_Item] = []
        #: posts whose events could not all be applied: read back once the database is back
        self.stale_posts: set[PostKey] = set()
        #: since when (monotonic) the database is down, or None
        self.down_since: float | None = None
        self._answering = asyncio.Event()
        self._answering.set()

    @property
    def backlog(self) -> int:
        return len(self._backlog)

    async def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="cocreate-reactions")

    async def drain(self) -> None:
        """Wait until everything queued so far is applied, through an outage if one is under
        way (use `stop` to give up on one)."""
        if self._worker is not None and self._queue is not None:
            await self._queue.join()
            await self._answering.wait()

    async def stop(self) -> None:
        """Finish what is queued, then stop. Events still kept for an outage are dropped:
        the read-back after the next start recovers their votes."""
        if self._worker is None or self._queue is None:
            return
        await self._queue.join()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None
        self.down_since = None
        self._answering.set()
        if self._backlog:
            log.warning(
                "stopping with %d reaction events not applied (database down); their posts "
                "are read back from the platform at the next start",
                len(self._backlog),
            )
            for item in self._backlog:
                _settle(item.future, DEFERRED)
            self._backlog.clear()

    async def submit(self, event: ReactionEvent, *, patient: bool = False) -> ReactionOutcome:
        """Apply one event; returns once it is committed. When the database is down this
        raises `StorageUnavailable`, unless `patient`: the event then waits for it."""
        if self.down_since is not None:
            waiting = len(self._backlog) + (self._queue.qsize() if self._queue else 0)
            if not patient or waiting >= self.buffer:
                self.stale_posts.add((event.community, event.channel_id, event.message_id))
                if not patient:
                    raise StorageUnavailable("the database is down")
                return DEFERRED  # read back from the platform once the database answers
        outcome: ReactionOutcome = await self._enqueue(_Item(event, _future(), patient))
        return outcome

    async def run(self, job: Callable[[Store], Awaitable[T]]) -> T:
        """Run a job in its own transaction, in order with the reaction batches."""
        if self.down_since is not None:
            raise StorageUnavailable("the database is down")
        result: T = await self._enqueue(_Item(job, _future()))
        return result

    async def _enqueue(self, item: _Item) -> Any:
        await self.start()
        assert self._queue is not None
        self._queue.put_nowait(item)
        return await item.future

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        carry: _Item | None = None
        while True:
            item = carry or await queue.get()
            carry = None
            if not isinstance(item.work, ReactionEvent):
                try:
                    await self._apply_job(item)
                finally:
                    queue.task_done()
                continue
            items = [item]
            while len(items) < self.max_batch and not queue.empty():
                nxt = queue.get_nowait()
                if isinstance(nxt.work, ReactionEvent):
                    items.append(nxt)
                else:
                    carry = nxt
                    break
            try:
                applied = await self._apply_events(items)
            finally:
                for _ in items:
                    queue.task_done()
            if not applied:
                await self._outage(items)

    async def _apply_job(self, item: _Item) -> None:
        job = item.work
        assert not isinstance(job, ReactionEvent)
        for attempt in range(CONFLICT_RETRIES):
            try:
                async with self.db.transaction() as store:
                    result = await job(store)
            except StorageConflict as err:
                if attempt + 1 < CONFLICT_RETRIES:
                    continue
                _settle(item.future, error=err)
            except Exception as err:
                _settle(item.future, error=err)
            else:
                _settle(item.future, result)
            return

    async def _apply_events(self, items: list[_Item]) -> bool:
        """Apply and settle the items; False when the database is down (nothing settled)."""
        events = [i.work for i in items if isinstance(i.work, ReactionEvent)]
        try:
            outcomes = await self._transaction(events)
        except StorageUnavailable:
            return False
        except Exception:
            if len(items) == 1:
                log.exception("reaction event failed: %s", events[0])
                _settle(items[0].future, error=RuntimeError("reaction event failed"))
                return True
            # One bad event must not sink its neighbours: apply them one by one.
            for item in items:
                assert isinstance(item.work, ReactionEvent)
                try:
                    _settle(item.future, (await self._transaction([item.work]))[0])
                except StorageUnavailable:
                    return False
                except Exception as err:
                    log.exception("reaction event failed: %s", item.work)
                    _settle(item.future, error=err)
            return True
        for item, outcome in zip(items, outcomes, strict=True):
            _settle(item.future, outcome)
        return True

    async def _outage(self, failed: list[_Item]) -> None:
        """The database is down: fail or keep the items, then retry the kept ones until it
        answers. Meanwhile new impatient items fail at once, new patient ones are kept."""
        assert self._queue is not None
        if self.down_since is None:
            self.down_since = time.monotonic()
            self._answering.clear()
            log.warning(
                "the database is not answering: reaction events wait in memory or are refused, "
                "and their idea posts are read back once it answers"
            )
        self._keep(i for i in failed if not i.future.done())
        delay = 0.25
        while True:
            await self.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)
            while not self._queue.empty():  # what arrived meanwhile
                self._keep([self._queue.get_nowait()])
                self._queue.task_done()
            if not await self._catch_up():
                continue
            took = time.monotonic() - self.down_since
            self.down_since = None
            self._answering.set()
            stale, self.stale_posts = self.stale_posts, set()
            log.warning(
                "the database answers again after %.1f s; %d idea posts are read back",
                took,
                len(stale),
            )
            if stale and self.on_recovered is not None:
                await self.on_recovered(stale)
            return

    def _keep(self, items: Any) -> None:
        for item in items:
            event = item.work
            if isinstance(event, ReactionEvent):
                self.stale_posts.add((event.community, event.channel_id, event.message_id))
            if not (item.patient and isinstance(event, ReactionEvent)):
                _settle(item.future, error=StorageUnavailable("the database is down"))
                continue
            if len(self._backlog) < self.buffer:
                self._backlog.append(item)
            else:
                _settle(item.future, DEFERRED)

    async def _catch_up(self) -> bool:
        """Apply the kept events, oldest first; False when the database is still down."""
        if not self._backlog:
            try:  # nothing kept: ask the database itself
                async with self.db.transaction():
                    pass
            except StorageUnavailable:
                return False
        while self._backlog:
            items = self._backlog[: self.max_batch]
            if not await self._apply_events(items):
                return False
            del self._backlog[: len(items)]
        return True

    async def _transaction(self, events: list[ReactionEvent]) -> list[ReactionOutcome]:
        """Apply events, grouped by community, in one transaction; outcomes in input order.
        A conflict with another process is settled by running it again."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return await self._transaction_once(events)
            except StorageConflict:
                if attempt + 1 == CONFLICT_RETRIES:
                    raise
                log.info("reaction batch conflicted with another process: applying it again")
        raise AssertionError("unreachable")

    async def _transaction_once(self, events: list[ReactionEvent]) -> list[ReactionOutcome]:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, e in enumerate(events):
            groups.setdefault((e.community.platform, e.community.external_id), []).append(i)
        outcomes: list[ReactionOutcome | None] = [None] * len(events)
        after = Aftermath()
        now = self.clock.now()
        started = time.perf_counter()
        async with self.db.transaction() as store:
            for indexes in groups.values():
                results, left = await self.book.apply_events(
                    store, [events[i] for i in indexes], now
                )
                after.add(left)
                for i, outcome in zip(indexes, results, strict=True):
                    outcomes[i] = outcome
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        self.metrics.batch_size.observe(len(events))
        for effect, n in Counter(o.effect for o in outcomes if o is not None).items():
            self.metrics.reaction_events.labels(effect).inc(n)
        if after.awards or after.gained:
            await self.on_committed(after)
        return [o for o in outcomes if o is not None]


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


def _settle(
    future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
