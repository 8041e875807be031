"""Who votes on one idea post, read over REST, in every variant of the vote emoji.

Each skin tone is a reaction of its own on Discord (👍, 👍🏽, 👍🏿 …), with its own reactor
list, and a member's vote counts while any of theirs stays. So the message is read first
(`GET /channels/{c}/messages/{m}`): its `reactions` array names every emoji on it. Each
variant of the vote emoji is then read, 100 users a page, with a pause between requests;
a variant only the bot reacts with needs no request. discord.py waits out 429s; time-outs
and 5xx are retried by `retrying`. A post deleted by hand is reported once and skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from adapters.discord import internals, translate
from adapters.discord.resilience import RetryPolicy, is_gone, retrying
from bot.messages import Actor, IdeaPostRef, PostReceipt

if TYPE_CHECKING:
    from adapters.discord.publisher import DiscordPublisher

PAGE = 100
T = TypeVar("T")

#: emoji variant (as Discord writes it) -> who reacts with it
Reactors = dict[str, list[Actor]]


class PostGone(Exception):
    """The idea post (or its channel) was deleted."""


class VoteReader:
    """Reads the votes on idea posts for the reconciler."""

    def __init__(
        self,
        client: discord.Client,
        publisher: DiscordPublisher,
        *,
        policy: RetryPolicy = RetryPolicy(),
        pace: float = 0.05,
    ) -> None:
        self.client = client
        self.publisher = publisher
        self.policy = policy
        self.pace = pace

    async def read(self, post: IdeaPostRef) -> Reactors | None:
        """Who reacts with each variant of the vote emoji on the post; None if it is gone."""
        http = internals.rest(self.client)
        try:
            message = await self._call(
                partial(http.get_message, post.channel_id, post.message_id), post
            )
            out: Reactors = {}
            for tally in translate.vote_tallies(message, post.vote_emoji):
                if tally.only_the_bot:
                    out[tally.emoji] = []
                    continue
                await self._pause()
                out[tally.emoji] = await self._reactors(post, tally.emoji)
            return out
        except PostGone:
            await self.publisher.post_gone(
                post.community, PostReceipt(post.channel_id, post.message_id), post.idea_number
            )
            return None

    async def _reactors(self, post: IdeaPostRef, emoji: str) -> list[Actor]:
        """Everyone who reacts with this emoji, page by page."""
        route_emoji = translate.emoji_route(emoji)
        guild = self.client.get_guild(int(post.community.external_id))
        bot_id = self.client.user.id if self.client.user else None
        http = internals.rest(self.client)
        out: list[Actor] = []
        after: int | None = None

        async def read(after: int | None) -> list[dict[str, Any]]:
            users = await http.get_reaction_users(
                post.channel_id, post.message_id, route_emoji, PAGE, after=after
            )
            return [dict(u) for u in users]

        while True:
            page = await self._call(partial(read, after), post)
            for user in page:
                known = guild.get_member(int(user["id"])) if guild is not None else None
                actor = translate.user_actor(user, known_name=known.display_name if known else None)
                if bot_id is not None and int(user["id"]) == bot_id:
                    actor = Actor(actor.external_id, actor.display_name, is_bot=True)
                out.append(actor)
            if len(page) < PAGE:
                return out
            after = int(page[-1]["id"])
            await self._pause()

    async def _call(self, call: Callable[[], Awaitable[T]], post: IdeaPostRef) -> T:
        try:
            return await retrying(
                call, what=f"reading the votes of idea #{post.idea_number}", policy=self.policy
            )
        except discord.HTTPException as err:
            if is_gone(err):
                raise PostGone(post.message_id) from err
            raise

    async def _pause(self) -> None:
        if self.pace:
            await asyncio.sleep(self.pace)
