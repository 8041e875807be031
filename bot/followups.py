"""Follow-ups: work owed to a platform once a change has committed, done at least once.

A change that owes a platform something (a badge to tell of: `bot.badge_news`; an idea
whose posts must show it as it now is: `Cocreate.refresh`) writes a follow-up, keyed by
(kind, ref), in its own transaction. The follow-up is held for `LEASE` for the process
that made the change: once the transaction has committed, that process does it at once
(`run_now`). A follow-up that failed is tried again with the agenda's backoff
(`scheduler.retry_base_seconds` doubling up to `retry_max_seconds`), by the agenda's runs
(`run_due`), in whichever process claims it first; so is one whose process died before
doing it, once its hold or claim has run out. One still failing `scheduler.give_up_hours`
after it was owed is given up, with an error in the log. A crash between the platform's
answer and the record of it does it again once the lease runs out: at least once, never
lost. Doing one twice is harmless: a role granted again, a post shown again as it is (a
badge's message may come twice).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.errors import failure, log_failure
from bot.metrics import Metrics
from bot.ports import Clock, Database
from bot.settings import SchedulerSettings
from bot.tasks import backoff_seconds, claimant

log = logging.getLogger(__name__)

#: How long a follow-up is held for the process that owes it (the one that made the
#: change, or claimed it) before any process may take it over: doing a batch takes far less.
LEASE = timedelta(minutes=10)
#: Follow-ups claimed at a time.
BATCH = 50


@dataclass(frozen=True, order=True)
class FollowUp:
    kind: str
    #: what it is about: a badge's id, an idea's id
    ref: int
    #: when it was owed (a change made again owes it again)
    created_at: datetime
    #: failed tries so far
    attempts: int = 0


class FollowupStore(Protocol):
    """Follow-ups, in the caller's transaction."""

    async def add(
        self, kind: str, refs: Collection[int], community_id: int, now: datetime, due: datetime
    ) -> None:
        """Owe these, held for the caller's process until `due` (owed again if owed already)."""
        ...

    async def claim(self, now: datetime, by: str, until: datetime, limit: int) -> list[FollowUp]:
        """Due follow-ups not held by a live process, claimed by `by` until `until`."""
        ...

    async def done(self, kind: str, refs: Collection[int]) -> None:
        """Done with these: done, or given up on."""
        ...

    async def retry(self, item: FollowUp, attempts: int, at: datetime, error: str) -> None:
        """Try it again at `at`; the claim is released."""
        ...

    async def next_due(self) -> datetime | None:
        """When the next one falls due (a retry, or a hold or claim that runs out)."""
        ...


async def owe(
    store: FollowupStore, kind: str, refs: Collection[int], community_id: int, now: datetime
) -> None:
    """Owe these in the caller's transaction, held for this process for `LEASE`: it does
    them once the transaction has committed (`FollowUps.run_now`)."""
    await store.add(kind, refs, community_id, now, now + LEASE)


#: Does a batch of one kind; returns why each that failed did (the others are done).
Handler = Callable[[Sequence[FollowUp]], Awaitable[Mapping[int, str]]]


class FollowUps:
    """Does follow-ups: those this process owes at once, the rest when they fall due."""

    def __init__(
        self,
        db: Database,
        settings: SchedulerSettings,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.instance = claimant()
        self._handlers: dict[str, Handler] = {}

    def handle(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def run_now(self, kind: str, refs: Collection[int]) -> None:
        """Follow-ups of a change this process made, which has just committed (failures
        are logged, and wait for `run_due`)."""
        now = self.clock.now()
        owed = [FollowUp(kind, ref, now) for ref in sorted(refs)]
        if not owed:
            return
        try:
            await self._run(kind, owed)
        except Exception:
            log_failure(log, "%d follow-ups (%s) failed", len(owed), kind)

    async def run_due(self) -> int:
        """Claim and do what fell due; returns how many were done or given up."""
        finished = 0
        while True:
            now = self.clock.now()
            async with self.db.transaction() as store:
                batch = await store.followups.claim(now, self.instance, now + LEASE, BATCH)
            for kind in sorted({f.kind for f in batch}):
                finished += await self._run(kind, [f for f in batch if f.kind == kind])
            if len(batch) < BATCH:
                return finished

    async def _run(self, kind: str, batch: Sequence[FollowUp]) -> int:
        """Do follow-ups held for this process, and record how that went; returns how many
        were done or given up."""
        handler = self._handlers.get(kind)
        try:
            if handler is None:
                raise LookupError(f"nothing does follow-ups of kind {kind!r} here")
            failed = dict(await handler(batch))
        except Exception as err:
            why = failure(err)
            failed = {f.ref: why for f in batch}
        now = self.clock.now()
        finished = [f.ref for f in batch if f.ref not in failed]
        self.metrics.followups.labels(kind, "done").inc(len(finished))
        retries: list[tuple[FollowUp, int, datetime, str]] = []
        for item in (f for f in batch if f.ref in failed):
            attempts, why = item.attempts + 1, failed[item.ref]
            if now - item.created_at > timedelta(hours=self.settings.give_up_hours):
                finished.append(item.ref)
                self.metrics.followups.labels(kind, "given up").inc()
                log.error("gave up %s follow-up of %s after %d tries: %s",
                          kind, item.ref, attempts, why)  # fmt: skip
                continue
            delay = timedelta(
                seconds=backoff_seconds(
                    attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
                )
            )
            retries.append((item, attempts, now + delay, why))
            self.metrics.followups.labels(kind, "retry").inc()
            log.warning("%s follow-up of %s failed (try %d), again in %s: %s",
                        kind, item.ref, attempts, delay, why)  # fmt: skip
        # If this fails, the hold or claim runs out and they are done again: at least once.
        async with self.db.transaction() as store:
            await store.followups.done(kind, finished)
            for item, attempts, at, why in retries:
                await store.followups.retry(item, attempts, at, why)
        return len(finished)
