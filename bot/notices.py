"""Notices: each follower of an idea hears, once, what became of it.

A change that followers hear about (an approval, a rejection, a status, a merge, a final
place) writes one notice per follower in the same transaction as the change, keyed by
(event, member): a crash after the commit loses none, and a replay of the change (a
retried post, a second process) writes none twice. The notice worker, woken by the
domain events once they have committed (and by a slow poll for retries), claims due
notices with a lease and sends each as a direct message, paced within
`notices.per_second`, in the core's background task group, so that a burst of thousands
never holds up a command. A member who cannot get direct messages is told in the idea's
thread, by name and without a ping; every delivery is recorded (`/mod notices #n`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta

from bot import i18n
from bot.conversations import DirectMessageClosed, Follower, NewNotice, Notice, target
from bot.errors import failure
from bot.i18n import N_, _, n_
from bot.messages import Card, Post, PostKind, ThreadRef
from bot.metrics import Metrics
from bot.model import Challenge, Community, Idea, IdeaStatus, Standing
from bot.ports import Clock, Database, Publisher, Store
from bot.render import status_name
from bot.settings import NoticesSettings
from bot.tasks import Background, WorkSignal, backoff_seconds, claimant
from bot.text import display_inline
from bot.venues import venue

log = logging.getLogger(__name__)

#: notices this process wrote (`NoticeDelivery.wake` looks when it moves)
NOTICES = WorkSignal()

SENT = "sent"
FAILED = "failed"
PENDING = "pending"

#: Beyond the paced batch, how long a claim outlives its process.
LEASE_MARGIN = timedelta(seconds=60)

Sleep = Callable[[float], Awaitable[None]]

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}

#: A podium place, as "… finished {where}" says it.
PLACES = {
    1: N_("{medal} 1st place"),
    2: N_("{medal} 2nd place"),
    3: N_("{medal} 3rd place"),
}


def _ordinal(n: int) -> str:
    """A rank as an ordinal in English ("11th"); other languages write it their way
    (`{n}.`, `{n}º`), from the catalogue."""
    if i18n.current() != i18n.DEFAULT:
        # TRANSLATORS: an ordinal number (a rank), like 4th; {n} is the number
        return _("{n}th", n=i18n.number(n))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def heading(idea: Idea) -> str:
    """ "#12 Salted caramel", safe to echo anywhere (no mention survives)."""
    return f"#{idea.number} {display_inline(idea.title, 80)}"


#: how a post into an idea's thread speaks: to everyone there
IN_THREAD = Follower(0, "", "", "thread")


def _yours(f: Follower) -> bool:
    """The follower is the idea's author: the notice says "Your idea …"."""
    return f.why == "author"


# -- writing notices -------------------------------------------------------------------


async def tell(
    store: Store,
    community_id: int,
    idea: Idea,
    kind: str,
    key: str,
    card_for: Callable[[Follower], Card | None],
    now: datetime,
    *,
    voter_ideas: Collection[int] | None = None,
) -> int:
    """Write a notice for each follower of `idea` (voters of `voter_ideas`, by default the
    idea and the ideas merged into it); `card_for` says what each is told (None: nothing).
    Returns how many were written (none twice for one key)."""
    if voter_ideas is None:  # whose votes count for it: its own, and its duplicates'
        voter_ideas = await store.family(idea.id)
    followers = await store.conversations.followers(idea.id, idea.author_id, voter_ideas)
    # Each is told in their own language (a direct message), written now: notices are stored.
    people = await store.members_by_ids({f.member_id for f in followers})
    communities: dict[int, Community] = {}
    for person in people.values():
        if person.community_id not in communities:
            communities[person.community_id] = await store.community_by_id(person.community_id)
    if community_id not in communities:
        communities[community_id] = await store.community_by_id(community_id)
    rows = []
    for follower in followers:
        member = people.get(follower.member_id)
        community = communities[member.community_id if member else community_id]
        with i18n.speaking(member.reads(community) if member else community.locale):
            card = card_for(follower)
        if card is not None:
            private = idea.anonymous and follower.why == "author"
            rows.append(
                NewNotice(idea.id, follower.member_id, key, kind, card.title, card.body, private)
            )
    written = await store.conversations.add_notices(community_id, rows, now)
    if written:
        NOTICES.note()
    return written


async def thread_posts(store: Store, idea_ids: Sequence[int], card: Card) -> tuple[Post, ...]:
    """A post of `card` into each thread of these ideas (through the exactly-once path),
    on whichever platform the thread is (bot/venues.py)."""
    threads = await store.conversations.threads_of(idea_ids)
    ideas = await store.ideas_by_ids(idea_ids)
    return tuple(
        Post(
            venue(target(t.ref), t.community_id, ideas[idea_id].community_id),
            PostKind.NOTICE,
            card,
            idea_id,
        )
        for idea_id in idea_ids
        if idea_id in ideas
        for t in threads.get(idea_id, [])
    )


def approved(idea: Idea) -> Callable[[Follower], Card]:
    def card(f: Follower) -> Card:
        title = (
            _("✅ Your idea {idea} is approved", idea=heading(idea))
            if _yours(f)
            else _("✅ {idea} is approved", idea=heading(idea))
        )
        return Card(title, _("It is posted for voting: share it!"))

    return card


def rejected(idea: Idea, reason: str | None) -> Callable[[Follower], Card]:
    def card(f: Follower) -> Card:
        why = (
            _("Reason: {reason}", reason=display_inline(reason, 500))
            if reason
            else _("No reason was given.")
        )
        title = (
            _("🚫 Your idea {idea} was not accepted", idea=heading(idea))
            if _yours(f)
            else _("🚫 {idea} was not accepted", idea=heading(idea))
        )
        return Card(title, why)

    return card


def status_changed(idea: Idea, status: IdeaStatus, note: str | None) -> Callable[[Follower], Card]:
    def card(f: Follower) -> Card:
        shown = status_name(status)
        body = (
            _("Status: {status} — {note}", status=shown, note=display_inline(note, 300))
            if note
            else _("Status: {status}", status=shown)
        )
        title = (
            _("📣 Your idea {idea} is now {status}", idea=heading(idea), status=shown)
            if _yours(f)
            else _("📣 {idea} is now {status}", idea=heading(idea), status=shown)
        )
        return Card(title, body)

    return card


def merged(dup: Idea, into: Idea) -> Callable[[Follower], Card]:
    def card(f: Follower) -> Card:
        title = (
            _("🔗 Your idea {idea} was merged into {into}", idea=heading(dup), into=heading(into))
            if _yours(f)
            else _("🔗 {idea} was merged into {into}", idea=heading(dup), into=heading(into))
        )
        if f.why == "author":
            body = _("Its votes now count for {into}, each member once.", into=heading(into))
        elif f.why == "vote":
            body = _("Your vote now counts for {into}.", into=heading(into))
        else:
            body = _("The conversation goes on under {into}.", into=heading(into))
        return Card(title, body)

    return card


def placed(standing: Standing, challenge: Challenge) -> Callable[[Follower], Card]:
    idea = standing.idea
    medal = MEDALS.get(standing.place or 0, "")

    def card(f: Follower) -> Card:
        if standing.place:
            where = _(PLACES[standing.place], medal=medal)
        else:
            # TRANSLATORS: {rank} is a number; English adds 1st, 2nd, 3rd… itself
            where = _("{rank} of the ideas", rank=_ordinal(standing.rank))
        title = (
            _("🏁 Your idea {idea} finished {where}", idea=heading(idea), where=where)
            if _yours(f)
            else _("🏁 {idea} finished {where}", idea=heading(idea), where=where)
        )
        body = n_(
            "Final results of {challenge}: {n} vote.",
            "Final results of {challenge}: {n} votes.",
            standing.votes,
            challenge=display_inline(challenge.title, 100),
        )
        return Card(title, body)

    return card


# -- delivering --------------------------------------------------------------------------


class NoticeDelivery:
    """Sends due notices, paced, in a background task group; records each delivery."""

    name = "notices"

    def __init__(
        self,
        db: Database,
        settings: NoticesSettings,
        clock: Clock,
        publishers: Mapping[str, Publisher],
        background: Background,
        metrics: Metrics | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.publishers = publishers
        self.background = background
        self.metrics = metrics or Metrics()
        #: how pacing waits and tells time (tests move a clock of their own instead)
        self.sleep = sleep
        self.monotonic = monotonic
        self.instance = claimant()
        self._running: asyncio.Task[None | None] | None = None
        self._again = False
        #: `NOTICES.count` when the worker last looked (`start` looks in any case)
        self._looked_at = NOTICES.count
        self._next_slot: float | None = None
        self._poller: asyncio.Task[None] | None = None
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Deliver what waits (notices of changes made before a restart), and look again
        every `poll_seconds` for retries that fell due."""
        self._stopped = False
        self.look()
        if self._poller is None and self.settings.enabled:
            self._poller = asyncio.create_task(self._poll(), name="cocreate-notices-poll")

    async def stop(self) -> None:
        self._stopped = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def _poll(self) -> None:
        while not self._stopped:
            await asyncio.sleep(self.settings.poll_seconds)
            self.look()

    def wake(self) -> None:
        """After a commit: deliver in the background the notices this process wrote since
        the last look (one runner at a time; a wake during a run makes it look again).
        Other processes' notices, and retries that fell due, are found by the poll."""
        if NOTICES.count != self._looked_at:
            self.look()

    def look(self) -> None:
        """Deliver whatever is due now (at start, and at each poll)."""
        if not self.settings.enabled or self._stopped:
            return
        self._again = True
        if self._running is None or self._running.done():
            self._running = self.background.spawn(self._run(), "notices", queued=False)

    async def _run(self) -> None:
        while self._again and not self._stopped:
            self._again = False
            self._looked_at = NOTICES.count
            while not self._stopped and await self.deliver_batch():
                pass

    # -- one batch -----------------------------------------------------------------------

    async def deliver_batch(self) -> int:
        """Claim and send up to `batch` due notices; returns how many were claimed."""
        now = self.clock.now()
        span = timedelta(seconds=self.settings.batch / self.settings.per_second)
        async with self.db.transaction() as store:
            batch = await store.conversations.claim_notices(
                now, self.instance, now + span + LEASE_MARGIN, self.settings.batch
            )
            if not batch:
                return 0
            people = await store.members_by_ids({n.member_id for n in batch})
            # A follower is told on their own platform (an organisation's challenge has
            # followers on several), in the idea's thread there if their DMs are closed.
            communities = await store.communities_by_ids(
                {n.community_id for n in batch} | {m.community_id for m in people.values()}
            )
            threads = await store.conversations.threads_of({n.idea_id for n in batch})
        for n, notice in enumerate(batch):
            await self._pace()
            if self._stopped:  # the rest waits for the next start, unclaimed
                async with self.db.transaction() as store:
                    await store.conversations.release_notices(
                        [x.id for x in batch[n:]], self.instance
                    )
                break
            member = people.get(notice.member_id)
            community = communities[member.community_id if member else notice.community_id]
            theirs = [t for t in threads.get(notice.idea_id, []) if t.community_id == community.id]
            await self._deliver(
                notice,
                community,
                member.external_id if member else "",
                member.display_name if member else "",
                theirs[0].ref if theirs else None,
            )
        return len(batch)

    async def _pace(self) -> None:
        """At most `per_second` sends (real time: the bot's clock may run ahead, as the
        console's does): a burst waits its turn, in the background."""
        now = self.monotonic()
        slot = self._next_slot if self._next_slot is not None and self._next_slot > now else now
        if slot > now:
            await self.sleep(slot - now)
        self._next_slot = slot + 1 / self.settings.per_second

    async def _deliver(
        self,
        notice: Notice,
        community: Community,
        external_id: str,
        name: str,
        thread: ThreadRef | None,
    ) -> None:
        publisher = self.publishers.get(community.platform)
        ref = community.ref
        attempts = notice.attempts + 1
        state, via, error = SENT, "dm", None
        next_at: datetime | None = None
        try:
            if publisher is None:
                raise LookupError(f"no publisher for platform {community.platform}")
            try:
                await publisher.direct_message(ref, external_id, notice.card)
            except DirectMessageClosed as closed:
                if notice.private:  # told in the thread, it would name the author
                    state, via = FAILED, "none"
                    error = "direct messages closed; not told in the thread (anonymous idea)"
                elif thread is None:
                    state, via, error = (
                        FAILED,
                        "none",
                        f"direct messages closed, no thread: {closed}",
                    )
                else:
                    # By name, never a mention: a notice in a thread pings nobody.
                    # In the thread: public, in the community's language.
                    with i18n.speaking(community.locale):
                        card = Card(
                            notice.title,
                            _(
                                "For {name} (direct messages are closed): {body}",
                                name=display_inline(name, 60),
                                body=notice.body,
                            ),
                        )
                    await publisher.post_in_thread(ref, thread, card)
                    via = "thread"
                    async with self.db.transaction() as store:
                        await store.conversations.own_post(community.id, thread)
        except Exception as err:
            now = self.clock.now()
            error = failure(err)
            if now - notice.created_at > timedelta(hours=self.settings.give_up_hours):
                state, via = FAILED, ""
                log.warning("gave up notice %s after %d tries: %s", notice.id, attempts, error)
            else:
                state, via = PENDING, ""
                delay = backoff_seconds(
                    attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
                )
                next_at = now + timedelta(seconds=delay)
                log.info("notice %s failed (try %d), again in %.0f s: %s",
                         notice.id, attempts, delay, error)  # fmt: skip
        outcome = via if state == SENT else ("retry" if state == PENDING else FAILED)
        self.metrics.notices.labels(notice.kind, outcome).inc()
        try:
            async with self.db.transaction() as store:
                await store.conversations.finish_notice(
                    notice.id,
                    state=state,
                    via=via,
                    attempts=attempts,
                    now=self.clock.now(),
                    error=error,
                    next_attempt_at=next_at,
                )
        except Exception as err:  # its lease runs out, and it is tried again
            log.warning("could not record notice %s: %s", notice.id, err)

    async def pending(self) -> datetime | None:
        async with self.db.transaction() as store:
            return await store.conversations.next_notice_due()
