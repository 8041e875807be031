"""Reading votes back from Discord: who reacts to each idea post, over REST.

Discord replays missed events only on RESUME within one running process; after a
restart, or a READY that follows a failed resume, everything that happened meanwhile is
lost. So after every READY the adapter reads back every idea post of the running and
recently closed challenges (and the core asks for the same before final results, and
for the posts whose events a database outage held up): each variant of the vote emoji
on the post and who reacts with it (`reactors.py`), handed to the core, which makes the
stored votes match. The lists count as of the moment before the first request for the
post: a gateway event that reaches us after it wins over them.

The work is spread out: a couple of posts at a time, a pause between requests, channels
interleaved so that no single channel's rate-limit bucket holds everything up. discord.py
waits out any 429 itself. The core asks through `refresh_reactions`. When the database is
down a run stops at once (reading Discord for nothing would spend the rate limits) and
raises `StorageUnavailable`; the catch-up after READY then tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from adapters.discord.reactors import VoteReader
from adapters.discord.resilience import RetryPolicy, describe
from bot.errors import StorageUnavailable
from bot.messages import IdeaPostRef

if TYPE_CHECKING:
    from adapters.discord.publisher import DiscordPublisher
    from bot.ports import Core

log = logging.getLogger("cocreate.discord")


@dataclass
class Summary:
    posts: int = 0
    read: int = 0
    reactors: int = 0
    added: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: the database went down: the run stopped there
    interrupted: StorageUnavailable | None = None


def interleave(posts: Sequence[IdeaPostRef]) -> list[IdeaPostRef]:
    """Round-robin over channels: #a1 #b1 #a2 #b2 …"""
    by_channel: dict[str, list[IdeaPostRef]] = {}
    for post in posts:
        by_channel.setdefault(post.channel_id, []).append(post)
    queues = list(by_channel.values())
    out: list[IdeaPostRef] = []
    while queues:
        for q in list(queues):
            out.append(q.pop(0))
            if not q:
                queues.remove(q)
    return out


class DiscordReconciler:
    """The core's `Reconciler` for Discord, and the catch-up after READY."""

    def __init__(
        self,
        app: Core,
        client: discord.Client,
        publisher: DiscordPublisher,
        *,
        reconcile_days: int,
        policy: RetryPolicy = RetryPolicy(),
        pace: float = 0.05,
        concurrency: int = 2,
    ) -> None:
        self.app = app
        self.client = client
        self.publisher = publisher
        self.reconcile_days = reconcile_days
        self.policy = policy
        self.pace = pace
        self.concurrency = max(1, concurrency)
        self.reader = VoteReader(client, publisher, policy=policy, pace=pace)
        self.runs: list[Summary] = []

    async def refresh_reactions(
        self, posts: Sequence[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        """The core asks (before final results, the lists counting as of `as_of`)."""
        await self.refresh(posts, why="before final results" if as_of else "requested", as_of=as_of)

    async def refresh(
        self, posts: Sequence[IdeaPostRef], *, why: str, as_of: datetime | None = None
    ) -> Summary:
        started = time.monotonic()
        summary = Summary(posts=len(posts))
        queue: asyncio.Queue[IdeaPostRef] = asyncio.Queue()
        for post in interleave(posts):
            queue.put_nowait(post)

        async def worker() -> None:
            while not queue.empty() and summary.interrupted is None:
                post = queue.get_nowait()
                try:
                    await self._one(post, summary, as_of)
                except asyncio.CancelledError:
                    raise
                except StorageUnavailable as err:
                    summary.interrupted = err  # no use reading the others now
                    return
                except Exception as err:
                    summary.skipped.append(f"#{post.idea_number}: {describe(err)}")
                    log.warning(
                        "could not read the votes of idea #%s: %s", post.idea_number, describe(err)
                    )
                if self.pace:
                    await asyncio.sleep(self.pace)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(posts) or 1))))
        summary.seconds = time.monotonic() - started
        self.runs.append(summary)
        if summary.interrupted is not None:
            log.warning(
                "reading votes back (%s) stopped after %d of %d idea posts: the database is down",
                why,
                summary.read,
                summary.posts,
            )
            raise summary.interrupted
        if posts:
            log.info(
                "votes read back (%s): %d idea posts in %.1f s, %d reactors, %d votes added, "
                "%d removed, %d skipped%s",
                why,
                summary.read,
                summary.seconds,
                summary.reactors,
                summary.added,
                summary.removed,
                len(summary.skipped),
                f" ({'; '.join(summary.skipped[:5])})" if summary.skipped else "",
            )
        return summary

    async def _one(self, post: IdeaPostRef, summary: Summary, as_of: datetime | None) -> None:
        if post.message_id in self.publisher.gone:
            summary.skipped.append(f"#{post.idea_number}: post deleted")
            return
        # Taken before the first request: gateway events that reach us after it win over
        # the lists, those that came before lose to them.
        requested_at = self.app.clock.now()
        reactors = await self.reader.read(post)
        if reactors is None:
            summary.skipped.append(f"#{post.idea_number}: post deleted")
            return
        result = await self.app.reconcile(
            post.community,
            post.channel_id,
            post.message_id,
            reactors,
            requested_at=requested_at,
            as_of=as_of,
        )
        summary.read += 1
        summary.reactors += sum(len(actors) for actors in reactors.values())
        summary.added += result.added
        summary.removed += result.removed
