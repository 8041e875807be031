"""APScheduler keeps the time; the database says what is due.

One in-memory job wakes the agenda at its next due time, computed from our tables; it
is re-armed after every run and whenever a moderator changes a challenge. Nothing is
pickled or stored by APScheduler, so a restart simply rebuilds the job, and the first
run catches up whatever fell due while the bot was down.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.agenda import Agenda
from bot.ports import Clock

log = logging.getLogger(__name__)

#: Wake at least this often, in case the wall clock jumped.
HEARTBEAT = timedelta(hours=1)


class Timer:
    name = "scheduler"

    def __init__(self, agenda: Agenda, clock: Clock) -> None:
        self.agenda = agenda
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    async def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.fire,
            IntervalTrigger(seconds=HEARTBEAT.total_seconds(), timezone=UTC),
            id="heartbeat",
            coalesce=True,
            misfire_grace_time=None,
        )
        self.agenda.on_change = self.rearm
        await self.fire()  # catch up on what fell due while we were down

    async def stop(self) -> None:
        """Stop waking the agenda; a run under way finishes (cancelling it mid-transaction
        could leave the database connection half-used)."""
        self.agenda.on_change = None
        self._stopped = True  # a wake-up already handed to the loop does nothing now
        # Wait before shutting APScheduler down: its shutdown cancels a job under way.
        await asyncio.gather(*(self._tasks - {asyncio.current_task()}), return_exceptions=True)
        await asyncio.sleep(0)  # a wake-up that was about to start sees `_stopped`
        self.scheduler.shutdown(wait=False)
        await self.agenda.idle()

    def rearm(self) -> None:
        """Recompute the next wake-up soon (called from the core's event handlers)."""
        task = asyncio.get_running_loop().create_task(self._arm())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def fire(self) -> None:
        # APScheduler runs this as a task of its own: `stop` waits for it like for ours.
        if self._stopped:
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            sent = await self.agenda.run_due()
            if sent:
                log.info("agenda: %d scheduled posts sent", sent)
        except Exception:
            log.exception("agenda run failed; it runs again at the next wake-up")
        try:
            await self._arm()
        finally:
            self._tasks.discard(task)

    async def _arm(self) -> None:
        due = await self.agenda.next_due()
        if due is None:
            job = self.scheduler.get_job("agenda")
            if job is not None:
                job.remove()
            return
        # The core's clock may run ahead of the wall clock (the console's :advance):
        # wait the same span of real time.
        wait = max(timedelta(0), due - self.clock.now())
        self.scheduler.add_job(
            self.fire,
            DateTrigger(run_date=datetime.now(UTC) + wait),
            id="agenda",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,
        )
        log.debug("agenda: next wake-up at %s", due.isoformat())
