"""The agenda: what falls due, from the database alone, and each post sent exactly once.

Deadlines move challenges on; announcements, weekly results, brand reports and final
results are posts keyed by (challenge, kind, period). A key is claimed in the database
before sending and marked with the message ids after, so no period is posted twice by a
restart, a replay or a second instance. Missed posts are caught up within the grace
time, older ones recorded as skipped; a failed send is retried with backoff and a post
that keeps failing is logged as failed, never dropped silently. Final results are never
skipped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.cron import fire_times
from bot.digest import announcement, final_results, submissions_closed_notice, weekly_results
from bot.messages import Attachment, Card, CommunityRef, Post, PostKind, PostReceipt
from bot.model import Challenge, Phase
from bot.ports import Clock, Database, Publisher, SteerableClock, Store
from bot.report import brand_report
from bot.rewards import Award, Rewards
from bot.settings import Settings
from bot.weeks import FIRST_RESULTS_AFTER

log = logging.getLogger(__name__)

#: A claim older than this is taken to have died with its process, and is retried.
CLAIM_LEASE = timedelta(minutes=15)
#: Closed challenges are looked at this long for their final posts.
CLOSED_WINDOW = timedelta(days=30)


class Kind(StrEnum):
    ANNOUNCE = "announce"
    VOTING = "voting"
    WEEKLY = "weekly"
    FINAL = "final"
    REPORT = "report"


ORDER = {kind: i for i, kind in enumerate(Kind)}


@dataclass(frozen=True)
class Due:
    challenge: Challenge
    kind: Kind
    period: str
    due_at: datetime


@dataclass(frozen=True)
class Content:
    channels: tuple[str, ...]
    kind: PostKind
    card: Card
    attachments: tuple[Attachment, ...] = ()


Deliver = Callable[[CommunityRef, Post], Awaitable[PostReceipt]]


class Agenda:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        rewards: Rewards,
        publishers: dict[str, Publisher],
        reconcile: Callable[[int, datetime], Awaitable[None]],
        awarded: Callable[[list[Award]], Awaitable[None]],
    ) -> None:
        self.db = db
        self.settings = settings.scheduler
        self.clock = clock
        self.rewards = rewards
        self.publishers = publishers
        self.reconcile = reconcile
        self.awarded = awarded
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.on_change: Callable[[], None] | None = None
        self._lock = asyncio.Lock()

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.settings.grace_hours)

    async def idle(self) -> None:
        """Wait until no run is under way (before stopping)."""
        async with self._lock:
            return

    def changed(self) -> None:
        """A challenge changed: the timer recomputes when it must wake."""
        if self.on_change is not None:
            self.on_change()

    async def run_due(self, community_id: int | None = None) -> int:
        """Move challenges past their deadlines on, then send what is due, in order: in
        every community, or in one (after a moderator changed its challenges; retries of
        failed posts are then left to the timer).

        Returns how many posts were sent.
        """
        async with self._lock:
            now = self.clock.now()
            async with self.db.transaction() as store:
                live = await store.live_challenges(now - CLOSED_WINDOW, community_id)
                closed = await self._advance_phases(store, live, now)
                due = await self._due(store, now, community_id, closed)
            sent = 0
            for item in due:
                sent += await self._claim_and_send(item, now)
            return sent + (await self._retry(now) if community_id is None else 0)

    async def travel(self, clock: SteerableClock, until: datetime) -> int:
        """Move the clock to `until`, stopping at every due time on the way to run what
        falls due then, in order. Returns how many posts were sent."""
        sent, stuck = 0, 0
        while True:
            due = await self.next_due()
            if due is None or due > until:
                break
            stuck = stuck + 1 if due <= self.clock.now() else 0
            if stuck > 3:
                log.error("the agenda keeps finding work due at %s; moving on", due.isoformat())
                break
            clock.advance_to(due)
            sent += await self.run_due()
        clock.advance_to(until)
        return sent + await self.run_due()

    async def next_due(self) -> datetime | None:
        """When something next falls due (a deadline, a scheduled post, a retry)."""
        now = self.clock.now()
        times: list[datetime] = []
        async with self.db.transaction() as store:
            live = await store.live_challenges(now - CLOSED_WINDOW)
            pending = await store.pending_posts()
            for c in live:
                if c.phase.running:
                    times += [
                        t for t in (c.submissions_close_at, c.voting_close_at) if t and t > now
                    ]
                    after = now + timedelta(microseconds=1)
                    upcoming = fire_times(
                        c.settings.schedule, c.settings.timezone, after, now + timedelta(days=32)
                    )
                    times += [at for _, at in upcoming[:1]]
            for p in pending:
                if p.state == "retry" and p.next_attempt_at is not None:
                    times.append(p.next_attempt_at)
                elif p.state == "claimed":
                    times.append(p.claimed_at + CLAIM_LEASE)
        if await self._anything_due(now):
            return now
        return min(times, default=None)

    async def _anything_due(self, now: datetime) -> bool:
        async with self.db.transaction() as store:
            live = await store.live_challenges(now - CLOSED_WINDOW)
            if any(_deadline_passed(c, now) for c in live):
                return True
            return bool(await self._due(store, now))

    # -- phases ------------------------------------------------------------------

    async def _advance_phases(self, store: Store, live: list[Challenge], now: datetime) -> set[int]:
        """Move challenges past their deadlines on; returns the ids of those now closed."""
        closed: set[int] = set()
        for c in live:
            if not c.phase.running:
                continue
            closes, subs = c.voting_close_at, c.submissions_close_at
            if closes is not None and closes <= now:
                moved = await store.advance_phase(
                    c.id, (Phase.OPEN, Phase.VOTING), Phase.CLOSED, closed_at=closes
                )
            elif c.phase is Phase.OPEN and subs is not None and subs <= now:
                moved = await store.advance_phase(c.id, (Phase.OPEN,), Phase.VOTING)
            else:
                moved = False
            if moved:
                log.info("challenge %s moved on at its deadline", c.slug)
                if closes is not None and closes <= now:
                    closed.add(c.id)
        return closed

    # -- what is due -------------------------------------------------------------

    async def _due(
        self,
        store: Store,
        now: datetime,
        community_id: int | None = None,
        closed: Collection[int] = (),
    ) -> list[Due]:
        # Read again: the phases may have moved on just now. A challenge closed just now
        # at a deadline long past (the bot was down) still owes its final results.
        live = await store.live_challenges(now - CLOSED_WINDOW, community_id)
        live += await store.challenges_by_ids(set(closed) - {c.id for c in live})
        taken = {
            (p.challenge_id, p.kind, p.period)
            for p in await store.scheduled_posts([c.id for c in live])
        }
        items = [
            item
            for c in live
            for item in _falling_due(c, now)
            if (c.id, item.kind.value, item.period) not in taken
        ]
        return sorted(items, key=lambda d: (d.due_at, ORDER[d.kind], d.challenge.id))

    # -- sending -----------------------------------------------------------------

    async def _claim_and_send(self, item: Due, now: datetime) -> int:
        late = now - item.due_at > self.grace and item.kind is not Kind.FINAL
        async with self.db.transaction() as store:
            post_id = await store.claim_post(
                item.challenge.id,
                item.kind.value,
                item.period,
                item.due_at,
                self.instance,
                now,
                state="skipped" if late else "claimed",
            )
        if post_id is None:
            return 0  # another instance holds this key
        if late:
            log.warning(
                "skipped %s %s of challenge %s: due %s, past the grace time",
                item.kind.value,
                item.period,
                item.challenge.slug,
                item.due_at.isoformat(),
            )
            return 0
        return await self._send(post_id, item, attempts=0, done=())

    async def _retry(self, now: datetime) -> int:
        async with self.db.transaction() as store:
            pending = await store.pending_posts()
        sent = 0
        for p in pending:
            ready = (p.state == "retry" and p.next_attempt_at is not None
                     and p.next_attempt_at <= now) or (
                p.state == "claimed" and p.claimed_at + CLAIM_LEASE <= now
            )  # fmt: skip
            if not ready:
                continue
            async with self.db.transaction() as store:
                if not await store.reclaim_post(p.id, p.state, p.claimed_at, self.instance, now):
                    continue
                found = await store.challenges_by_ids({p.challenge_id})
            if not found:
                continue  # the challenge was deleted meanwhile
            item = Due(found[0], Kind(p.kind), p.period, p.due_at)
            sent += await self._send(p.id, item, attempts=p.attempts, done=p.message_ids)
        return sent

    async def _send(self, post_id: int, item: Due, *, attempts: int, done: Sequence[str]) -> int:
        """Build and send one claimed post; record the message ids, or the failure."""
        receipts = list(done)
        attempts += 1
        try:
            if item.kind is Kind.FINAL and not done:
                await self.reconcile(item.challenge.id, _just_before(item.due_at))
            async with self.db.transaction() as store:
                community = await store.community_by_id(item.challenge.community_id)
                content, awards = await self._content(store, item)
            ref = CommunityRef(community.platform, community.external_id, community.name)
            publisher = self.publishers.get(ref.platform)
            if publisher is None:
                raise LookupError(f"no publisher for platform {ref.platform}")
            sent_channels = {r.split(" ", 1)[0] for r in receipts}
            for channel in content.channels:
                if channel in sent_channels:
                    continue
                post = Post(channel, content.kind, content.card, attachments=content.attachments)
                receipt = await publisher.publish(ref, post)
                receipts.append(f"{receipt.channel_id} {receipt.message_id}")
        except Exception as err:
            await self._failed(post_id, item, attempts, receipts, err)
            return 0
        async with self.db.transaction() as store:
            await store.finish_post(
                post_id, "sent", attempts=attempts, sent_at=self.clock.now(), message_ids=receipts
            )
        await self.awarded(awards)
        return 1

    async def _failed(
        self, post_id: int, item: Due, attempts: int, receipts: list[str], err: Exception
    ) -> None:
        what = f"{item.kind.value} {item.period} of challenge {item.challenge.slug}"
        gave_up = attempts >= self.settings.retry_attempts
        delay = timedelta(seconds=self.settings.retry_base_seconds * 2 ** (attempts - 1))
        async with self.db.transaction() as store:
            await store.finish_post(
                post_id,
                "failed" if gave_up else "retry",
                attempts=attempts,
                message_ids=receipts,
                error=f"{type(err).__name__}: {err}"[:500],
                next_attempt_at=None if gave_up else self.clock.now() + delay,
            )
        if gave_up:
            log.error("gave up sending %s after %d attempts: %s", what, attempts, err)
        else:
            log.warning("sending %s failed (attempt %d), retrying in %s: %s",
                        what, attempts, delay, err)  # fmt: skip

    async def _content(self, store: Store, item: Due) -> tuple[Content, list[Award]]:
        current = await store.challenges(item.challenge.community_id, [item.challenge.id])
        c = current[0] if current else item.challenge
        venues = tuple(c.venues)
        if item.kind is Kind.ANNOUNCE:
            return Content(venues, PostKind.ANNOUNCEMENT, announcement(c)), []
        if item.kind is Kind.VOTING:
            return Content(venues, PostKind.NOTICE, submissions_closed_notice(c)), []
        if item.kind is Kind.WEEKLY:
            return Content(
                venues, PostKind.RESULTS, await weekly_results(store, c, item.due_at)
            ), []
        if item.kind is Kind.REPORT:
            card, files = await brand_report(store, c, item.due_at, final=item.period == "final")
            report_venue = (c.settings.report_venue,) if c.settings.report_venue else ()
            return Content(report_venue, PostKind.REPORT, card, files), []
        card, awards = await final_results(store, self.rewards, c, self.clock.now())
        return Content(venues, PostKind.RESULTS, card), awards


def _falling_due(c: Challenge, now: datetime) -> list[Due]:
    """Every post of this challenge whose time has come, whether or not it was sent."""
    items: list[Due] = []
    if c.opened_at is None:
        return items
    items.append(Due(c, Kind.ANNOUNCE, "open", c.opened_at))
    # Up to and including now; a closed challenge's schedule stops at the close.
    end = min(now + timedelta(microseconds=1), c.closed_at or now + timedelta(microseconds=1))
    sub = c.submissions_close_at
    if sub is not None and sub <= end and (c.closed_at is None or sub < c.closed_at):
        items.append(Due(c, Kind.VOTING, "submissions-closed", sub))
    after_opening = c.opened_at + FIRST_RESULTS_AFTER
    for slot, at in fire_times(c.settings.schedule, c.settings.timezone, after_opening, end):
        items.append(Due(c, Kind.WEEKLY, slot, at))
        if c.settings.report_venue:
            items.append(Due(c, Kind.REPORT, slot, at))
    if c.phase is Phase.CLOSED and c.closed_at is not None and c.closed_at <= now:
        items.append(Due(c, Kind.FINAL, "final", c.closed_at))
        if c.settings.report_venue:
            items.append(Due(c, Kind.REPORT, "final", c.closed_at))
    return items


def _deadline_passed(c: Challenge, now: datetime) -> bool:
    """A deadline has passed that the challenge's phase does not show yet."""
    subs, closes = c.submissions_close_at, c.voting_close_at
    return (c.phase.running and closes is not None and closes <= now) or (
        c.phase is Phase.OPEN and subs is not None and subs <= now
    )


def _just_before(at: datetime) -> datetime:
    """Reactions read back for final results count as of the close."""
    return at - timedelta(milliseconds=1)
