"""The agenda: what falls due, from the database alone, and each post sent exactly once.

Deadlines move challenges on; announcements, weekly results, brand reports and final
results are posts keyed by (challenge, kind, period), and so are the posts that commands
make (`bot.outbox`). A weekly results post (and brand report) due within a day before the
close of voting is left to the final results; a quiet week's (no new idea, no change to
the counted votes) is a nudge to take part, or nothing (`scheduler.quiet_weeks`), and its
brand report is not made. Posts not made are recorded as skipped, so nothing changes on a
replay or a restart. A key is claimed in the database before sending, and each venue's
message id is recorded as soon as it is sent, so no post goes twice to a venue by a
restart, a replay or a second instance. Missed posts are caught up within the grace
time, older ones recorded as skipped; final results are never skipped. A failed send is
retried with backoff, across restarts, until it is sent, a moderator cancels it, or it
is `give_up_hours` past due; the moderators are told about a post that keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot import i18n, loop, notices, outbox, reminders, rounds
from bot.conversations import split_target, thread_name
from bot.counting import Counting
from bot.cron import fire_times
from bot.digest import (
    FINAL_LINES,
    announcement,
    final_results,
    nudge,
    quiet_week,
    standings,
    submissions_closed_notice,
    weekly_results,
)
from bot.errors import failure
from bot.followups import FollowUps
from bot.i18n import _, n_
from bot.messages import (
    MODERATORS,
    Attachment,
    Card,
    CommunityRef,
    Post,
    PostKind,
    PostReceipt,
    ThreadRef,
)
from bot.metrics import Metrics
from bot.model import Challenge, Community, Phase
from bot.outbox import Outgoing
from bot.periods import left_to_final, weekly_slots
from bot.ports import Clock, Database, Publisher, ScheduledPost, SteerableClock, Store
from bot.render import when
from bot.report import brand_report
from bot.rewards import Award, Rewards
from bot.settings import Settings
from bot.tasks import backoff_seconds, claimant
from bot.venues import Venue, venue
from bot.webhooks import events as webhook_events
from bot.webhooks import results as webhook_results

log = logging.getLogger(__name__)

#: A claim not renewed for this long is taken to have died with its process, and is
#: retried; a process renews its claims while it sends (`RENEW_EVERY`). A claim of a process
#: of this host that is gone is retried at once.
CLAIM_LEASE = timedelta(minutes=3)
RENEW_EVERY = timedelta(minutes=1)
#: Closed challenges are looked at this long for their final posts.
CLOSED_WINDOW = timedelta(days=30)
#: How often the daily jobs run, and how soon again after one failed.
DAILY = timedelta(days=1)
DAILY_RETRY = timedelta(hours=1)
#: Why a post missed while the bot was down is not made.
LATE = "past the grace time"


class Kind(StrEnum):
    ANNOUNCE = "announce"
    VOTING = "voting"
    WEEKLY = "weekly"
    FINAL = "final"
    REPORT = "report"
    REMINDER = reminders.KIND


ORDER: dict[str, int] = {str(kind): i for i, kind in enumerate(Kind)}


@dataclass(frozen=True)
class Due:
    challenge: Challenge
    kind: Kind | str
    period: str
    due_at: datetime
    #: a command's post: what it says
    outgoing: Outgoing | None = None
    notified: bool = False
    #: a command's post: the community that keeps the challenge, as read when the post
    #: was composed (None: read it when sending)
    community: Community | None = None

    def describe(self) -> str:
        payload = self.outgoing.payload() if self.outgoing else None
        return f"{outbox.describe(str(self.kind), self.period, payload)} in {self.challenge.slug}"


@dataclass(frozen=True)
class Content:
    channels: tuple[str, ...]
    kind: PostKind
    card: Card
    attachments: tuple[Attachment, ...] = ()
    idea_id: int | None = None
    idea_number: int | None = None
    vote_emoji: str | None = None

    def post(self, channel: str) -> Post:
        return Post(
            channel,
            self.kind,
            self.card,
            self.idea_id,
            self.idea_number,
            self.vote_emoji,
            self.attachments,
        )


class Agenda:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        rewards: Rewards,
        counting: Counting,
        publishers: dict[str, Publisher],
        reconcile: Callable[[int, datetime], Awaitable[None]],
        awarded: Callable[[list[Award]], Awaitable[None]],
        metrics: Metrics | None = None,
        followups: FollowUps | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics or Metrics()
        self.settings = settings.scheduler
        #: the time zone of the "You said, we did" schedule
        self.timezone = settings.core.default_timezone
        self.clock = clock
        self.rewards = rewards
        self.counting = counting
        self.publishers = publishers
        self.reconcile = reconcile
        self.awarded = awarded
        #: what changes owe the platforms and could not do when they committed
        self.followups = followups
        self.instance = claimant()
        self.on_change: Callable[[], None] | None = None
        #: notices were written (final places): the notice worker sends them
        self.on_notices: Callable[[], None] | None = None
        #: asks the platforms for the threads' activity before results and reports
        self.before_results: Callable[[int], Awaitable[None]] | None = None
        #: thread posts of final places, claimed with the final results, sent after them
        self._places: dict[int, list[int]] = {}
        self._lock = asyncio.Lock()
        #: final results whose idea posts were read back already
        self._read_back: set[int] = set()
        #: housekeeping run once a day with the agenda (the purge of communities that left)
        self._daily: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self._next_daily: datetime | None = None

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.settings.grace_hours)

    async def idle(self) -> None:
        """Wait until no run is under way (before stopping)."""
        async with self._lock:
            return

    def every_day(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` with the agenda's first run, then once a day (in this process; every
        job is safe to run in several)."""
        self._daily.append((name, job))

    async def _run_daily(self, now: datetime) -> None:
        if not self._daily or (self._next_daily is not None and now < self._next_daily):
            return
        self._next_daily = now + DAILY
        for name, job in self._daily:
            try:
                await job()
            except Exception as err:
                self._next_daily = now + DAILY_RETRY
                log.warning("%s failed: %s: %s; trying again later", name, type(err).__name__, err)

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
                await self._open_rounds(store, now, community_id)
                live = await store.live_challenges(now - CLOSED_WINDOW, community_id)
                closed = await self._advance_phases(store, live, now)
                due = await self._due(store, now, community_id, closed)
            sent = 0
            for item in due:
                sent += await self._claim_and_send(item, now)
            if community_id is not None:
                return sent
            sent += await self._retry(now) + await self._loop(now)
            if self.followups is not None:
                await self.followups.run_due()
            await self._run_daily(now)
            return sent

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
            opening = await store.rounds.next_opening()
            times += [opening] if opening is not None else []
            for c in live:
                if c.phase.running:
                    times += [
                        t for t in (c.submissions_close_at, c.voting_close_at) if t and t > now
                    ]
                    times += [
                        r.due_at
                        for r in reminders.planned(c, self.settings.reminder_hours)
                        if r.due_at > now
                    ]
                    after = now + timedelta(microseconds=1)
                    upcoming = fire_times(
                        c.settings.schedule, c.settings.timezone, after, now + timedelta(days=32)
                    )
                    times += [at for _slot, at in upcoming[:1]]
            for p in pending:
                if p.state == "retry" and p.next_attempt_at is not None:
                    times.append(p.next_attempt_at)
                elif p.state == "claimed":
                    times.append(now if _lapsed(p, now) else p.claimed_at + CLAIM_LEASE)
            owed = await store.followups.next_due() if self.followups is not None else None
            times += [max(owed, now)] if owed is not None else []
        slot = self._loop_slot(now + timedelta(microseconds=1), now + timedelta(days=370))
        times += [slot[1]] if slot is not None else []
        if await self._anything_due(now):
            return now
        return min(times, default=None)

    async def _anything_due(self, now: datetime) -> bool:
        async with self.db.transaction() as store:
            live = await store.live_challenges(now - CLOSED_WINDOW)
            if any(_deadline_passed(c, now) for c in live):
                return True
            if await store.rounds.due_openings(now):
                return True
            slot = self._loop_slot(now - self.grace, now + timedelta(microseconds=1), last=True)
            if slot is not None and await store.loop.owed(*slot):
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
                to = Phase.CLOSED if closes is not None and closes <= now else Phase.VOTING
                await webhook_events.phase_changed(
                    store, c, c.phase.value, to.value, now, "deadline"
                )
                if closes is not None and closes <= now:
                    closed.add(c.id)
                    await rounds.make_next_round(store, c, closes, now)
        return closed

    async def _open_rounds(self, store: Store, now: datetime, community_id: int | None) -> None:
        """Open the next rounds of repeating challenges whose time has come."""
        for c in await rounds.open_due(store, now, community_id):
            await webhook_events.phase_changed(
                store, c, Phase.DRAFT.value, Phase.OPEN.value, now, "schedule"
            )

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
            for item in _falling_due(c, now, self.settings.reminder_hours)
            if (c.id, str(item.kind), item.period) not in taken
        ]
        return sorted(items, key=lambda d: (d.due_at, ORDER[d.kind], d.challenge.id))

    # -- sending -----------------------------------------------------------------

    async def _claim_and_send(self, item: Due, now: datetime) -> int:
        async with self.db.transaction() as store:
            skip = await self._skip(store, item, now)
            post_id = await store.claim_post(
                item.challenge.id,
                str(item.kind),
                item.period,
                item.due_at,
                self.instance,
                now,
                state="claimed" if skip is None else "skipped",
            )
            if post_id is not None and skip is None and item.kind is Kind.WEEKLY:
                await webhook_results.weekly(store, item.challenge, item.period, item.due_at)
        if post_id is None:
            return 0  # another instance holds this key
        if skip is not None:
            self.metrics.posts.labels(str(item.kind), "skipped").inc()
            log.log(
                logging.WARNING if skip == LATE else logging.INFO,
                "skipped %s %s of challenge %s: due %s, %s",
                str(item.kind),
                item.period,
                item.challenge.slug,
                item.due_at.isoformat(),
                skip,
            )
            return 0
        return await self._send(post_id, item, attempts=0, done=())

    async def _skip(self, store: Store, item: Due, now: datetime) -> str | None:
        """Why a scheduled post is not to be made, if it is not."""
        if item.kind in (Kind.FINAL, Kind.REMINDER):
            return None  # a reminder is made only while its deadline is ahead
        if now - item.due_at > self.grace:
            return LATE
        if item.kind not in (Kind.WEEKLY, Kind.REPORT) or item.period == "final":
            return None
        if left_to_final(item.challenge, item.due_at):
            return "the final results come within a day"
        # a quiet week's report is not made; its weekly results are a nudge, or nothing
        not_made = item.kind is Kind.REPORT or self.settings.quiet_weeks == "skip"
        if not_made and await quiet_week(store, item.challenge, item.due_at):
            return "a quiet week"
        return None

    async def _retry(self, now: datetime) -> int:
        async with self.db.transaction() as store:
            pending = await store.pending_posts()
        sent = 0
        for p in pending:
            due = p.next_attempt_at
            retry_now = p.state == "retry" and due is not None and due <= now
            ready = retry_now or (p.state == "claimed" and _lapsed(p, now))
            if not ready:
                continue
            async with self.db.transaction() as store:
                if not await store.reclaim_post(p.id, p.state, p.claimed_at, self.instance, now):
                    continue
                found = await store.challenges_by_ids({p.challenge_id})
            if not found:
                continue  # the challenge was deleted meanwhile
            hours = self.settings.reminder_hours
            if p.kind == Kind.REMINDER and not reminders.current(found[0], p.period, now, hours):
                async with self.db.transaction() as store:
                    await store.finish_post(
                        p.id,
                        "skipped",
                        attempts=p.attempts,
                        message_ids=p.message_ids,
                        error="its deadline moved or passed, or the phase ended",
                    )
                continue
            item = Due(
                found[0],
                p.kind if p.kind == outbox.KIND else Kind(p.kind),
                p.period,
                p.due_at,
                Outgoing.from_payload(p.payload) if p.payload else None,
                notified=p.notified_at is not None,
            )
            sent += await self._send(p.id, item, attempts=p.attempts, done=p.message_ids)
        return sent

    # -- "You said, we did" -------------------------------------------------------

    def _loop_slot(
        self, start: datetime, end: datetime, *, last: bool = False
    ) -> tuple[str, datetime] | None:
        """The first (or last) slot of `scheduler.loop_schedule` in [start, end)."""
        if not self.settings.loop_schedule:
            return None
        slots = fire_times(self.settings.loop_schedule, self.timezone, start, end)
        return (slots[-1] if last else slots[0]) if slots else None

    async def _loop(self, now: datetime) -> int:
        """Post "You said, we did" in each community that is owed the latest slot of its
        schedule (within the grace time: a later one covers what a missed one would)."""
        slot = self._loop_slot(now - self.grace, now + timedelta(microseconds=1), last=True)
        if slot is None:
            return 0
        async with self.db.transaction() as store:
            owed = await store.loop.owed(*slot)
        sent = 0
        for community_id in owed:
            claimed: list[tuple[int, Due]] = []
            async with self.db.transaction() as store:
                ready = await loop.prepare(store, community_id, now, self.timezone)
                posting = bool(ready.moved) and ready.carrier is not None
                if not await store.loop.claim(
                    community_id,
                    slot[0],
                    ready.since,
                    now,
                    len(ready.moved) if posting else 0,
                    now,
                ):
                    continue  # another process made it
                if posting and ready.carrier is not None:
                    community = await store.community_by_id(community_id)
                    with i18n.speaking(community.locale):  # a public post
                        posts = ready.posts()
                    claimed = await self.claim(store, ready.carrier, posts, now, community)
            log.info(
                "you said, we did of %s in community %s: %d ideas",
                slot[0],
                community_id,
                len(ready.moved) if posting else 0,
            )
            sent += len(claimed) - len(await self.send_claimed(claimed))
        return sent

    # -- posts of commands -------------------------------------------------------

    async def enqueue(
        self, store: Store, challenge_id: int, posts: Sequence[Post], now: datetime
    ) -> list[int]:
        """Claim a command's posts in its transaction; `send` them once it committed."""
        return [post_id for post_id, _due in await self._claim(store, challenge_id, posts, now)]

    async def claim(
        self,
        store: Store,
        challenge: Challenge,
        posts: Sequence[Post],
        now: datetime,
        community: Community | None = None,
    ) -> list[tuple[int, Due]]:
        """Claim a command's posts in its transaction, and keep what they are: once it
        committed, `send_claimed` sends them without reading them back. `community`: the
        one that keeps the challenge, as read when the posts were composed in its
        language, so that sending them reads nothing."""
        known = (
            community if community is not None and community.id == challenge.community_id else None
        )
        return [
            (post_id, Due(challenge, outbox.KIND, period, now, outgoing, community=known))
            for post_id, (period, outgoing) in await self._claim(store, challenge.id, posts, now)
        ]

    async def _claim(
        self, store: Store, challenge_id: int, posts: Sequence[Post], now: datetime
    ) -> list[tuple[int, tuple[str, Outgoing]]]:
        claimed = []
        for outgoing in outbox.group(posts):
            period = outgoing.period()
            post_id = await store.claim_command_post(
                challenge_id, outbox.KIND, period, now, self.instance, outgoing.payload()
            )
            assert post_id is not None  # a key of its own
            claimed.append((post_id, (period, outgoing)))
        return claimed

    async def send_claimed(self, claimed: Sequence[tuple[int, Due]]) -> list[Outgoing]:
        """Send posts a committed command claimed; returns those that failed (they are
        retried)."""
        failed = []
        for post_id, item in claimed:
            if item.outgoing is not None and not await self._send(
                post_id, item, attempts=0, done=()
            ):
                failed.append(item.outgoing)
        return failed

    async def send(self, post_ids: Sequence[int]) -> list[Outgoing]:
        """Send posts a command claimed; returns those that failed (they are retried)."""
        if not post_ids:
            return []
        async with self.db.transaction() as store:
            rows = {p.id: p for p in await store.posts_by_ids(post_ids)}
            challenges = {
                c.id: c
                for c in await store.challenges_by_ids({p.challenge_id for p in rows.values()})
            }
        failed = []
        for post_id in post_ids:
            row = rows.get(post_id)
            if row is None or row.payload is None or row.challenge_id not in challenges:
                continue
            outgoing = Outgoing.from_payload(row.payload)
            item = Due(challenges[row.challenge_id], outbox.KIND, row.period, row.due_at, outgoing)
            if not await self._send(post_id, item, attempts=0, done=()):
                failed.append(outgoing)
        return failed

    # -- sending -----------------------------------------------------------------

    async def _send(self, post_id: int, item: Due, *, attempts: int, done: Sequence[str]) -> int:
        """Build and send one claimed post, recording each venue's message as it goes; on a
        failure, record it and when to try again."""
        receipts = list(done)
        attempts += 1
        channels: tuple[str, ...] = ()
        renewing = asyncio.create_task(self._renew(post_id))
        try:
            if item.kind is Kind.FINAL and not done and post_id not in self._read_back:
                await self.reconcile(item.challenge.id, _just_before(item.due_at))
                self._read_back.add(post_id)  # a retry need not read every post again
            if item.kind in (Kind.WEEKLY, Kind.REPORT, Kind.FINAL) and not done:
                await self._activity(item.challenge.id)
            awards: list[Award] = []
            if (o := item.outgoing) is not None:  # a command's post, as it was composed
                content = Content(
                    o.channels, o.kind, o.card, (), o.idea_id, o.idea_number, o.vote_emoji
                )
                community = item.community or await self._community(item.challenge.community_id)
            else:
                async with self.db.transaction() as store:
                    community = await store.community_by_id(item.challenge.community_id)
                    with i18n.speaking(community.locale):  # public posts: its language
                        content, awards = await self._content(store, item)
            channels = content.channels
            sent_channels = {r.split(" ", 1)[0] for r in receipts}
            todo = [c for c in content.channels if c not in sent_channels]
            if not todo:
                async with self.db.transaction() as store:
                    await store.post_progress(post_id, receipts, self.clock.now())
            for n, channel in enumerate(todo, start=1):
                # a venue in a linked community names it: "<community>/<channel>"
                where = Venue.parse(channel)
                target = community
                if where.community_id is not None:
                    target = await self._community(where.community_id)
                ref = target.ref
                publisher = self.publishers.get(target.platform)
                if publisher is None:
                    raise LookupError(f"no publisher for platform {target.platform}")
                thread_target = split_target(where.channel_id)
                thread: ThreadRef | None = None
                # what the platform adds (review buttons) is in the post's language
                if thread_target is not None:
                    with i18n.speaking(community.locale):
                        receipt = await publisher.post_in_thread(ref, thread_target, content.card)
                    landed = channel
                else:
                    with i18n.speaking(community.locale):
                        receipt = await publisher.publish(ref, content.post(where.channel_id))
                    landed = venue(receipt.channel_id, target.id, community.id)
                    if content.kind is PostKind.IDEA and content.idea_id is not None:
                        thread = await self._open_thread(publisher, ref, receipt, content)
                receipts.append(f"{landed} {receipt.message_id}")
                async with self.db.transaction() as store:
                    if thread_target is None and content.idea_id is not None and receipt.message_id:
                        await store.add_idea_post(
                            target.id,
                            content.idea_id,
                            receipt.channel_id,
                            receipt.message_id,
                            self.clock.now(),
                        )
                    if thread_target is not None:
                        await store.conversations.own_post(target.id, thread_target)
                    if thread is not None and content.idea_id is not None:
                        await store.conversations.add_thread(
                            target.id, content.idea_id, thread, self.clock.now()
                        )
                    last = n == len(todo)
                    await store.post_progress(post_id, receipts, self.clock.now() if last else None)
        except Exception as err:
            await self._failed(post_id, item, attempts, receipts, channels, err)
            return 0
        finally:
            renewing.cancel()
        self.metrics.posts.labels(str(item.kind), "sent").inc()
        await self.awarded(awards)
        if item.kind is Kind.FINAL:
            await self.send(self._places.pop(item.challenge.id, []))
            if self.on_notices is not None:
                self.on_notices()
        return 1

    async def _open_thread(
        self, publisher: Publisher, ref: CommunityRef, receipt: PostReceipt, content: Content
    ) -> ThreadRef | None:
        """The conversation of an idea post: the one its post opened (a forum post), or a
        thread opened on it now. A thread that cannot be opened is logged; the idea stays
        posted."""
        if receipt.thread is not None:
            return receipt.thread
        name = thread_name(content.idea_number or 0, _idea_title(content.card.title))
        try:
            return await publisher.open_thread(ref, receipt, name)
        except Exception as err:
            log.warning("could not open a thread on idea #%s: %s: %s",
                        content.idea_number, type(err).__name__, err)  # fmt: skip
            return None

    async def _activity(self, challenge_id: int) -> None:
        if self.before_results is None:
            return
        try:
            await self.before_results(challenge_id)
        except Exception as err:
            log.warning("thread activity of challenge %s not read: %s", challenge_id, err)

    async def _renew(self, post_id: int) -> None:
        """Keep the claim of a post being sent alive (a final read-back can take minutes)."""
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            try:
                async with self.db.transaction() as store:
                    await store.renew_claim(post_id, self.instance, self.clock.now())
            except Exception as err:
                log.warning("could not renew the claim of post %s: %s", post_id, err)

    async def _failed(
        self,
        post_id: int,
        item: Due,
        attempts: int,
        receipts: list[str],
        channels: Sequence[str],
        err: Exception,
    ) -> None:
        """Try again later, with backoff; give up only past `give_up_hours`. The moderators
        are told once it has failed `retry_attempts` times, and when it is given up."""
        now = self.clock.now()
        gave_up = now - item.due_at > timedelta(hours=self.settings.give_up_hours)
        delay = timedelta(
            seconds=backoff_seconds(
                attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
            )
        )
        why = failure(err)
        try:
            async with self.db.transaction() as store:
                await store.finish_post(
                    post_id,
                    "failed" if gave_up else "retry",
                    attempts=attempts,
                    message_ids=receipts,
                    error=why,
                    next_attempt_at=None if gave_up else now + delay,
                )
        except Exception as db_err:
            # The claim's lease runs out and the post is tried again then.
            log.warning("sending %s failed (%s); recording that failed too: %s",
                        item.describe(), why, db_err)  # fmt: skip
            return
        self.metrics.posts.labels(str(item.kind), "failed" if gave_up else "retry").inc()
        if gave_up:
            log.error("gave up sending %s after %d attempts: %s", item.describe(), attempts, why)
        else:
            log.warning("sending %s failed (attempt %d), retrying in %s: %s",
                        item.describe(), attempts, delay, why)  # fmt: skip
        if (gave_up or attempts >= self.settings.retry_attempts) and not item.notified:
            await self._tell_moderators(post_id, item, attempts, channels, why, gave_up, delay)

    async def _tell_moderators(
        self,
        post_id: int,
        item: Due,
        attempts: int,
        channels: Sequence[str],
        why: str,
        gave_up: bool,
        delay: timedelta,
    ) -> None:
        """A notice in the moderators' channel (best effort: the platform may be down)."""
        deadline = item.due_at + timedelta(hours=self.settings.give_up_hours)
        tz = item.challenge.settings.timezone
        try:
            community = await self._community(item.challenge.community_id)
            publisher = self.publishers.get(community.platform)
            if publisher is None:
                return
            with i18n.speaking(community.locale):  # the moderators' channel: a public post
                card = _failure_card(post_id, item, attempts, channels, why, gave_up, delay,
                                     when(deadline, tz))  # fmt: skip
            ref = community.ref
            await publisher.publish(ref, Post(MODERATORS, PostKind.NOTICE, card))
            async with self.db.transaction() as store:
                await store.post_notified(post_id, self.clock.now())
        except Exception as err:
            log.warning("could not tell the moderators about %s: %s", item.describe(), err)

    async def _community(self, community_id: int) -> Community:
        async with self.db.transaction() as store:
            return await store.community_by_id(community_id)

    async def _content(self, store: Store, item: Due) -> tuple[Content, list[Award]]:
        """A scheduled post, made as things are now (`_send` sends a command's as composed)."""
        current = await store.challenges_by_ids([item.challenge.id])
        c = current[0] if current else item.challenge
        venues = tuple(c.venues)
        if item.kind is Kind.ANNOUNCE:
            card = announcement(c)
            last = await rounds.recap(store, c)
            if last is not None:
                card = replace(card, fields=(*card.fields, last))
            return Content(venues, PostKind.ANNOUNCEMENT, card), []
        if item.kind is Kind.REMINDER:
            card = reminders.card(c, item.period, self.clock.now())
            return Content(venues, PostKind.NOTICE, card), []
        if item.kind is Kind.VOTING:
            return Content(venues, PostKind.NOTICE, submissions_closed_notice(c)), []
        if item.kind is Kind.WEEKLY:
            quiet = await quiet_week(store, c, item.due_at)
            card = nudge(c) if quiet else await weekly_results(store, c, item.due_at)
            return Content(venues, PostKind.RESULTS, card), []
        if item.kind is Kind.REPORT:
            final = item.period == "final"
            # the final report counts everything until it is made (read-backs at the close)
            end = max(item.due_at, self.clock.now()) if final else item.due_at
            card, files = await brand_report(store, c, end, final=final)
            report_venue = (c.settings.report_venue,) if c.settings.report_venue else ()
            return Content(report_venue, PostKind.REPORT, card, files), []
        card, awards = await final_results(store, self.rewards, self.counting, c, self.clock.now())
        following = await store.rounds.next_round(c.id)
        if following is not None:
            field = (_("Next round"), rounds.next_round_line(following))
            card = replace(card, fields=(*card.fields, field))
        await webhook_results.final(store, c, self.clock.now())
        await self._final_places(store, c)
        return Content(venues, PostKind.RESULTS, card), awards

    async def _final_places(self, store: Store, c: Challenge) -> None:
        """Each ranked idea's followers hear its final place, and its threads are told: in
        the final results' transaction, keyed, so a retry tells nobody twice."""
        now = self.clock.now()
        posts: list[int] = []
        for standing in await standings(store, c, limit=FINAL_LINES):
            idea = standing.idea
            tell_them = notices.placed(standing, c)
            await notices.tell(store, c.community_id, idea, "place", f"final:{c.id}", tell_them,
                               now)  # fmt: skip
            card = tell_them(notices.IN_THREAD)
            assert card is not None
            for post in await notices.thread_posts(store, [idea.id], card):
                post_id = await store.claim_command_post(
                    c.id,
                    outbox.KIND,
                    f"place:{idea.id}:{post.channel_id}",
                    now,
                    self.instance,
                    outbox.group([post])[0].payload(),
                )
                if post_id is not None:
                    posts.append(post_id)
        self._places[c.id] = posts


def _failure_card(
    post_id: int,
    item: Due,
    attempts: int,
    channels: Sequence[str],
    why: str,
    gave_up: bool,
    delay: timedelta,
    deadline: str,
) -> Card:
    """The moderators' notice of a post that keeps failing, in the language in force."""
    payload = item.outgoing.payload() if item.outgoing else None
    what = outbox.describe(str(item.kind), item.period, payload)
    slug = item.challenge.slug
    body = (
        # TRANSLATORS: {post} says which post ("the final results"), {challenge} is the
        # challenge's short name; {error} is the platform's error, in English
        _(
            "{post} in {challenge} could not be sent to {channels}: {error}",
            post=what,
            challenge=slug,
            channels=", ".join(channels),
            error=why,
        )
        if channels
        # TRANSLATORS: {post} says which post ("the final results"), {challenge} is the
        # challenge's short name; {error} is the platform's error, in English
        else _(
            "{post} in {challenge} could not be sent: {error}",
            post=what,
            challenge=slug,
            error=why,
        )
    )
    then = (
        # TRANSLATORS: `/mod posts retry:{id}` is a command: keep it as it is
        _("Cocreate has stopped trying. `/mod posts retry:{id}` tries again.", id=post_id)
        if gave_up
        # TRANSLATORS: `/mod posts` and `/mod posts cancel:{id}` are commands: keep them
        else _(
            "Cocreate keeps trying (next in {delay}) until {deadline}. `/mod posts` lists the "
            "posts waiting; `/mod posts cancel:{id}` stops this one.",
            delay=_span(delay),
            deadline=deadline,
            id=post_id,
        )
    )
    return Card(
        n_(
            "⚠️ A post could not be sent ({n} try)",
            "⚠️ A post could not be sent ({n} tries)",
            attempts,
        ),
        f"{body}\n{then}",
    )


def _idea_title(card_title: str) -> str:
    """The idea's title from its post's title ("💡 #12 · Salted caramel")."""
    return card_title.split(" · ", 1)[1] if " · " in card_title else card_title


def _falling_due(c: Challenge, now: datetime, reminder_hours: float) -> list[Due]:
    """Every post of this challenge whose time has come, whether or not it was sent."""
    items: list[Due] = []
    if c.opened_at is None:
        return items
    items.append(Due(c, Kind.ANNOUNCE, "open", c.opened_at))
    for r in reminders.due(c, now, reminder_hours):
        items.append(Due(c, Kind.REMINDER, r.period, r.due_at))
    # Up to and including now; a closed challenge's schedule stops at the close.
    end = min(now + timedelta(microseconds=1), c.closed_at or now + timedelta(microseconds=1))
    sub = c.submissions_close_at
    if sub is not None and sub <= end and (c.closed_at is None or sub < c.closed_at):
        items.append(Due(c, Kind.VOTING, "submissions-closed", sub))
    for slot, at in weekly_slots(c, end):
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


def _lapsed(post: ScheduledPost, now: datetime) -> bool:
    """Whether a claim died with its process: its lease ran out, or the process that made it
    ran on this host and is gone."""
    if post.claimed_at + CLAIM_LEASE <= now:
        return True
    host, _sep, rest = post.claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _span(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds >= 120:
        # TRANSLATORS: a delay in minutes, abbreviated
        return _("{minutes} min", minutes=i18n.number(seconds // 60))
    # TRANSLATORS: a delay in seconds, abbreviated
    return _("{seconds} s", seconds=i18n.number(seconds))


def _just_before(at: datetime) -> datetime:
    """Reactions read back for final results count as of the close."""
    return at - timedelta(milliseconds=1)
