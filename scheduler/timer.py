"""APScheduler keeps the time; the database says what is due.

One in-memory job rings at the agenda's next due time, computed from our tables; ringing
only wakes a loop of ours, so a due time that arrives while the agenda runs is served
right after that run, never skipped as "already running". After every run the next
wake-up is armed, whatever happened: an error in a run is logged once and tried again
with backoff, and the agenda re-reads the tables at least every heartbeat, so a missed
wake-up costs at most that. Nothing is pickled or stored by APScheduler, so a restart
simply rebuilds the job, and the first run catches up whatever fell due while the bot
was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.agenda import Agenda
from bot.errors import StorageUnavailable
from bot.ports import Clock

log = logging.getLogger(__name__)

#: After a failed run, the next try comes this soon, doubling up to the heartbeat.
FIRST_RETRY = timedelta(seconds=1)


class Timer:
    name = "scheduler"

    def __init__(
        self, agenda: Agenda, clock: Clock, heartbeat: timedelta = timedelta(minutes=1)
    ) -> None:
        self.agenda = agenda
        self.clock = clock
        self.heartbeat = heartbeat
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.runs = 0
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._stopped = False
        self._retry: timedelta | None = None

    async def start(self) -> None:
        self.scheduler.start()
        self.agenda.on_change = self.rearm
        await self._run()  # catch up on what fell due while we were down
        await self._arm()
        self._loop = asyncio.create_task(self._serve(), name="cocreate-timer")

    async def stop(self) -> None:
        """Stop waking the agenda; a run under way finishes (cancelling it mid-transaction
        could leave the database connection half-used)."""
        self.agenda.on_change = None
        self._stopped = True
        self._wake.set()
        if self._loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        self.scheduler.shutdown(wait=False)
        await self.agenda.idle()

    def rearm(self) -> None:
        """Run the agenda soon and recompute the next wake-up (a challenge changed)."""
        self._wake.set()

    async def ring(self) -> None:
        """APScheduler's job: it only wakes the loop, so it never overlaps itself."""
        self._wake.set()

    async def _serve(self) -> None:
        while not self._stopped:
            await self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            await self._run()
            await self._arm()

    async def _run(self) -> None:
        self.runs += 1
        try:
            sent = await self.agenda.run_due()
        except StorageUnavailable as err:
            self._failed(f"the database is not answering ({err})", level=logging.WARNING)
            return
        except Exception as err:
            self._failed(f"{type(err).__name__}: {err}", exc_info=True)
            return
        if self._retry is not None:
            log.info("agenda runs again")
        self._retry = None
        if sent:
            log.info("agenda: %d scheduled posts sent", sent)

    def _failed(self, why: str, *, exc_info: bool = False, level: int = logging.ERROR) -> None:
        self._retry = min(self._retry * 2, self.heartbeat) if self._retry else FIRST_RETRY
        log.log(
            level,
            "agenda run failed: %s; trying again in %.0f s",
            why,
            self._retry.total_seconds(),
            exc_info=exc_info,
        )

    async def _arm(self) -> None:
        """Ring at the next due time, or after the heartbeat, or soon after a failure."""
        wait = self._retry or self.heartbeat
        if self._retry is None:
            try:
                due = await self.agenda.next_due()
            except Exception as err:
                self._failed(f"reading the next due time: {type(err).__name__}: {err}")
                wait = self._retry or self.heartbeat
            else:
                if due is not None:
                    # The core's clock may run ahead of the wall clock (the console's
                    # :advance): wait the same span of real time.
                    wait = min(wait, max(timedelta(0), due - self.clock.now()))
                    log.debug("agenda: next wake-up at %s", due.isoformat())
        self.scheduler.add_job(
            self.ring,
            DateTrigger(run_date=datetime.now(UTC) + wait),
            id="agenda",
            replace_existing=True,
            misfire_grace_time=None,
        )
