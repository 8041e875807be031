"""Badge news: each badge's platform is told of it (a Discord role, a Slack message), even
when the first try fails or the process dies before it.

The transaction that awards a badge also writes its news (`Rewards`), unless the badge
was earned with an anonymous idea: a role appearing would name the author. The news is
held for the process that awarded the badge for `LEASE`: once the transaction has
committed, that process tells the platform at once. News whose telling failed is tried
again with backoff, by the agenda's runs (`tell_due`), in whichever process claims it
first; so is news whose process died before telling it, once its `LEASE` has run out. A
platform that cannot be told for `give_up_hours` after the award is given up on, with an
error in the log: the badge stays, and `/badges` shows it. A crash between telling the
platform and recording it tells it again once the lease runs out: at least once, never
lost.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot import i18n
from bot.errors import log_failure
from bot.metrics import Metrics
from bot.model import BadgeKind
from bot.ports import Clock, Database, Publisher
from bot.settings import SchedulerSettings
from bot.tasks import backoff_seconds

if TYPE_CHECKING:
    from bot.rewards import Award

log = logging.getLogger(__name__)

#: How long news is held for the process that awarded the badge or claimed the news, before
#: any process may take it over: telling a batch takes far less.
LEASE = timedelta(minutes=10)
#: News claimed at a time.
BATCH = 50


@dataclass(frozen=True)
class BadgeNews:
    """A badge whose platform is still to be told."""

    badge_id: int
    community_id: int
    member_id: int
    kind: BadgeKind
    awarded_at: datetime
    attempts: int


class BadgeNewsStore(Protocol):
    """Badge news, in the caller's transaction."""

    async def claim(self, now: datetime, by: str, until: datetime, limit: int) -> list[BadgeNews]:
        """Due news not held by a live process, claimed by `by` until `until`."""
        ...

    async def told(self, badge_ids: Collection[int]) -> None:
        """Done with this news: told, or given up on."""
        ...

    async def retry(self, badge_id: int, attempts: int, at: datetime, error: str) -> None:
        """Tell it again at `at`; the claim is released."""
        ...

    async def next_due(self) -> datetime | None:
        """When the next news falls due (a retry, or a claim that lapses)."""
        ...


class Herald:
    """Tells platforms of badges: fresh ones at once, the rest when they fall due."""

    def __init__(
        self,
        db: Database,
        settings: SchedulerSettings,
        clock: Clock,
        publishers: Mapping[str, Publisher],
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.publishers = publishers
        self.metrics = metrics or Metrics()
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    async def tell(self, awards: Sequence[Award]) -> None:
        """Badges this process awarded, whose transaction has just committed: their news
        is held for it (background work: failures are logged, and the news waits for
        `tell_due`)."""
        now = self.clock.now()
        fresh = [
            BadgeNews(a.badge_id, a.community_id, a.member_id, a.kind, now, attempts=0)
            for a in awards
            if not a.private
        ]
        if not fresh:
            return
        try:
            await self._tell(fresh)
        except Exception:
            log_failure(log, "telling the platforms of %d badges failed", len(fresh))

    async def tell_due(self) -> int:
        """Claim and tell what fell due; returns how many badges were told or given up on."""
        done = 0
        while True:
            now = self.clock.now()
            async with self.db.transaction() as store:
                batch = await store.badge_news.claim(now, self.instance, now + LEASE, BATCH)
            if batch:
                done += await self._tell(batch)
            if len(batch) < BATCH:
                return done

    async def next_due(self) -> datetime | None:
        async with self.db.transaction() as store:
            return await store.badge_news.next_due()

    async def _tell(self, batch: Sequence[BadgeNews]) -> int:
        """Tell news held for this process, and record how that went; returns how many
        were told or given up on."""
        async with self.db.transaction() as store:
            members = await store.members_by_ids({b.member_id for b in batch})
            communities = {
                cid: await store.community_by_id(cid) for cid in {b.community_id for b in batch}
            }
        finished: list[int] = []
        failed: list[tuple[BadgeNews, str]] = []
        for news in batch:
            community = communities[news.community_id]
            publisher = self.publishers.get(community.platform)
            member = members.get(news.member_id)
            try:
                if publisher is not None and member is not None:
                    # a message to them: in their language
                    with i18n.speaking(member.reads(community)):
                        await publisher.badge_awarded(community.ref, member.external_id, news.kind)
            except Exception as err:
                failed.append((news, f"{type(err).__name__}: {err}"[:500]))
            else:
                finished.append(news.badge_id)
                self.metrics.badge_news.labels("told").inc()
        now = self.clock.now()
        retries: list[tuple[BadgeNews, int, datetime, str]] = []
        for news, why in failed:
            attempts = news.attempts + 1
            if now - news.awarded_at > timedelta(hours=self.settings.give_up_hours):
                finished.append(news.badge_id)
                self.metrics.badge_news.labels("given up").inc()
                log.error("gave up telling of badge %s (%s) after %d tries: %s",
                          news.badge_id, news.kind.value, attempts, why)  # fmt: skip
                continue
            delay = timedelta(
                seconds=backoff_seconds(
                    attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds
                )
            )
            retries.append((news, attempts, now + delay, why))
            self.metrics.badge_news.labels("retry").inc()
            log.warning("telling of badge %s (%s) failed (try %d), again in %s: %s",
                        news.badge_id, news.kind.value, attempts, delay, why)  # fmt: skip
        # If this fails, the claims lapse and the news is told again: at least once.
        async with self.db.transaction() as store:
            await store.badge_news.told(finished)
            for news, attempts, at, why in retries:
                await store.badge_news.retry(news.badge_id, attempts, at, why)
        return len(finished)
