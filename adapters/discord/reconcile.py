"""Reading votes back from Discord: who reacts to each idea post, over REST.

Discord replays missed events only on RESUME within one running process; after a
restart, or a READY that follows a failed resume, everything that happened meanwhile is
lost. So after every READY (and before final results) the adapter reads the reactor list
of every idea post of the running and recently closed challenges, 100 users a page, and
hands it to the core, which makes the stored votes match.

The work is spread out: a couple of posts at a time, a pause between requests, channels
interleaved so that no single channel's rate-limit bucket holds everything up. discord.py
waits out any 429 itself. Before final results the core asks through `refresh_reactions`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import translate
from adapters.discord.resilience import RetryPolicy, describe, is_gone, retrying
from bot.messages import Actor, CommunityRef, IdeaPostRef, PostReceipt

if TYPE_CHECKING:
    from adapters.discord.publisher import DiscordPublisher
    from bot.core import Cocreate

log = logging.getLogger("cocreate.discord")

PAGE = 100


@dataclass
class Summary:
    posts: int = 0
    read: int = 0
    reactors: int = 0
    added: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


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
        app: Cocreate,
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
            while not queue.empty():
                post = queue.get_nowait()
                try:
                    await self._one(post, summary, as_of)
                except asyncio.CancelledError:
                    raise
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
        # Taken before reading: gateway events that arrive after it win over the list.
        requested_at = self.app.clock.now()
        reactors = await self.reactors(post)
        if reactors is None:
            summary.skipped.append(f"#{post.idea_number}: post deleted")
            return
        result = await self.app.reconcile(
            post.community,
            post.channel_id,
            post.message_id,
            {post.vote_emoji: reactors},
            requested_at=requested_at,
            as_of=as_of,
        )
        summary.read += 1
        summary.reactors += len(reactors)
        summary.added += result.added
        summary.removed += result.removed

    async def reactors(self, post: IdeaPostRef) -> list[Actor] | None:
        """Everyone who reacts with the vote emoji, page by page; None if the post is gone."""
        route_emoji = translate.emoji_route(post.vote_emoji)
        guild = self.client.get_guild(int(post.community.external_id))
        bot_id = self.client.user.id if self.client.user else None
        out: list[Actor] = []
        after: int | None = None
        http = self.client.http

        async def read(after: int | None) -> list[dict[str, Any]]:
            users = await http.get_reaction_users(
                post.channel_id, post.message_id, route_emoji, PAGE, after=after
            )
            return [dict(u) for u in users]

        while True:
            try:
                page = await retrying(
                    partial(read, after),
                    what=f"reading the votes of idea #{post.idea_number}",
                    policy=self.policy,
                )
            except discord.HTTPException as err:
                if is_gone(err):
                    await self.publisher.post_gone(
                        post.community,
                        PostReceipt(post.channel_id, post.message_id),
                        post.idea_number,
                    )
                    return None
                raise
            for user in page:
                known = guild.get_member(int(user["id"])) if guild is not None else None
                actor = translate.user_actor(user, known_name=known.display_name if known else None)
                if bot_id is not None and int(user["id"]) == bot_id:
                    actor = Actor(actor.external_id, actor.display_name, is_bot=True)
                out.append(actor)
            if len(page) < PAGE:
                return out
            after = int(page[-1]["id"])
            if self.pace:
                await asyncio.sleep(self.pace)

    async def catch_up(self, guild_filter: Callable[[CommunityRef], bool], *, why: str) -> Summary:
        """Read back every idea post of running and recently closed challenges."""
        targets = await self.app.reconcile_targets(
            translate.PLATFORM, timedelta(days=self.reconcile_days)
        )
        mine = [t for t in targets if guild_filter(t.community)]
        return await self.refresh(mine, why=why)
