"""Posts, edits, vote reactions, review buttons and badge roles on Discord.

Every message goes out as an embed with mentions disabled. A post only goes to a channel
of the community's own guild. A failure that a moderator can fix (a missing permission,
a post deleted by hand) is logged and told to the moderators' channel once; it never
raises out of an update or a badge grant.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord import internals, render
from adapters.discord.interactions import card_view, review_view
from adapters.discord.resilience import RetryPolicy, describe, is_gone, is_transient, retrying
from adapters.discord.settings import DiscordSettings
from bot.conversations import STATUS_TAGS, DirectMessageClosed, thread_name
from bot.i18n import _
from bot.messages import (
    MODERATORS,
    Attachment,
    Card,
    CommunityRef,
    Post,
    PostKind,
    PostReceipt,
    ThreadActivity,
    ThreadRef,
)
from bot.model import BadgeKind

log = logging.getLogger("cocreate.discord")

#: Discord's "Cannot send messages to this user": the member's DMs are closed to the bot.
CANNOT_MESSAGE_USER = 50007


class ForeignChannel(PermissionError):
    """A channel id that belongs to another guild than the community's."""


def new_nonce() -> str:
    """A message nonce (Discord enforces it: a retried send never posts twice)."""
    return str(secrets.randbits(62))


class DiscordPublisher:
    """The core's `Publisher` for Discord."""

    def __init__(
        self, client: discord.Client, settings: DiscordSettings, policy: RetryPolicy = RetryPolicy()
    ) -> None:
        self.client = client
        self.settings = settings
        self.policy = policy
        #: message ids found deleted by hand (skipped by edits and reconciliation)
        self.gone: set[str] = set()
        #: (forum, status) -> the id of its tag
        self._tags: dict[tuple[int, str], int] = {}
        self._told: set[str] = set()

    # -- channels ----------------------------------------------------------------------

    async def channel(self, guild_id: int, channel_id: str) -> discord.abc.Messageable:
        """A channel of this guild, from the cache or the API; refuses any other guild's."""
        found = await self._guild_channel(guild_id, channel_id)
        if not isinstance(found, discord.abc.Messageable):
            raise ForeignChannel(f"channel {channel_id} does not take messages")
        return found

    async def _guild_channel(self, guild_id: int, channel_id: str) -> Any:
        """A channel (or forum, or thread) of this guild; refuses any other guild's."""
        if not channel_id.isdigit():
            raise ForeignChannel(f"'{channel_id}' is not a Discord channel id")
        found: Any = self.client.get_channel(int(channel_id))
        if found is None:
            found = await retrying(
                lambda: self.client.fetch_channel(int(channel_id)),
                what=f"looking up channel {channel_id}",
                policy=self.policy,
            )
        guild = getattr(found, "guild", None)
        if guild is None or guild.id != guild_id:
            raise ForeignChannel(f"channel {channel_id} is not in guild {guild_id}")
        return found

    async def moderator_channel(self, guild_id: int) -> discord.abc.Messageable | None:
        """The moderators' channel configured for this guild, if it is in this guild."""
        configured = (
            self.settings.moderator_channels.get(str(guild_id)) or self.settings.moderator_channel
        ).strip()
        if not configured:
            return None
        try:
            return await self.channel(guild_id, configured)
        except Exception as err:
            log.warning(
                "discord.moderator_channel %s is not usable in guild %s: %s",
                configured,
                guild_id,
                describe(err),
            )
            return None

    # -- Publisher -----------------------------------------------------------------------

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        guild_id = int(community.external_id)
        if post.channel_id == MODERATORS:
            target = await self.moderator_channel(guild_id)
            if target is None:
                log.info(
                    "review post for idea #%s not sent: no discord.moderator_channel in guild %s",
                    post.idea_number,
                    guild_id,
                )
                return PostReceipt(MODERATORS, "")
        else:
            found = await self._guild_channel(guild_id, post.channel_id)
            if isinstance(found, discord.ForumChannel):
                return await self._forum_post(found, post)
            if not isinstance(found, discord.abc.Messageable):
                raise ForeignChannel(f"channel {post.channel_id} does not take messages")
            target = found
        embed = render.post_embed(post.card, post.kind)
        extra: dict[str, Any] = {}
        if post.kind is PostKind.REVIEW and post.idea_number is not None:
            extra["view"] = review_view(post.idea_number)
        attachments = render.attachments_of(post)
        nonce = new_nonce()
        message = await retrying(
            lambda: target.send(
                embed=embed,
                files=render.files(attachments),
                allowed_mentions=render.NO_MENTIONS,
                nonce=nonce,
                **extra,
            ),
            what=f"posting a {post.kind.value} post",
            policy=self.policy,
        )
        if post.kind is PostKind.IDEA and post.vote_emoji:
            await self._vote_reaction(message, post.vote_emoji, post.idea_number)
        return PostReceipt(str(message.channel.id), str(message.id))

    async def _forum_post(self, forum: discord.ForumChannel, post: Post) -> PostReceipt:
        """An idea in a forum channel is a forum post of its own, tagged with its status;
        anything else goes into a forum as a post too."""
        title = post.card.title.split(" · ", 1)[-1]
        name = thread_name(post.idea_number, title) if post.idea_number else title[:100]
        tags: list[Any] = []
        if post.kind is PostKind.IDEA:
            tag = await self._status_tag(forum, "published")
            tags = [tag] if tag is not None else []
        embed = render.post_embed(post.card, post.kind)
        made = await retrying(
            lambda: forum.create_thread(
                name=name,
                embed=embed,
                allowed_mentions=render.NO_MENTIONS,
                applied_tags=tags,
                files=render.files(render.attachments_of(post)),
            ),
            what=f"posting a {post.kind.value} post in a forum",
            policy=self.policy,
        )
        if post.kind is PostKind.IDEA and post.vote_emoji:
            await self._vote_reaction(made.message, post.vote_emoji, post.idea_number)
        # The starter message lives in the thread: reactions to it name the thread.
        thread = ThreadRef(str(forum.id), str(made.thread.id), forum=True)
        return PostReceipt(str(made.thread.id), str(made.message.id), thread)

    async def _status_tag(
        self, forum: discord.ForumChannel, status: str
    ) -> discord.abc.Snowflake | None:
        """The forum's tag for a status: moderated (members can't set it), created when
        missing (Manage Threads, Manage Channels); None when it cannot be had."""
        key = (forum.id, status)
        if key in self._tags:
            return discord.Object(self._tags[key])
        for tag in forum.available_tags:
            if tag.name.casefold() == status.casefold():
                self._tags[key] = tag.id
                return tag
        try:
            made = await retrying(
                lambda: forum.create_tag(name=status[:20], moderated=True),
                what=f"creating the forum tag {status}",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not create the forum tag %r in %s: %s", status, forum.id,
                        describe(err))  # fmt: skip
            return None
        self._tags[key] = made.id
        return made

    # -- conversations (bot/conversations.py) ------------------------------------------

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        """A public thread on the idea's message, named after the idea."""
        if not receipt.message_id.isdigit():
            return None
        channel = self.client.get_partial_messageable(
            int(receipt.channel_id), guild_id=int(community.external_id)
        )
        message = channel.get_partial_message(int(receipt.message_id))
        thread = await retrying(
            lambda: message.create_thread(name=name, auto_archive_duration=10080),
            what=f"opening the thread {name!r}",
            policy=self.policy,
        )
        return ThreadRef(receipt.channel_id, str(thread.id))

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        channel = self.client.get_partial_messageable(
            int(thread.thread_id), guild_id=int(community.external_id)
        )
        embed = render.post_embed(card, PostKind.NOTICE)
        nonce = new_nonce()
        message = await retrying(
            lambda: channel.send(embed=embed, allowed_mentions=render.NO_MENTIONS, nonce=nonce),
            what="posting in an idea's thread",
            policy=self.policy,
        )
        return PostReceipt(thread.thread_id, str(message.id))

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """A direct message, with its files uploaded; Discord's 50007 (the member's DMs are
        closed to the bot) is `DirectMessageClosed`."""
        if not member_external_id.isdigit():
            raise DirectMessageClosed(f"{member_external_id!r} is not a Discord user id")
        embed = render.post_embed(card, PostKind.NOTICE)
        # its buttons (a captured idea's Confirm / Edit / Decline) name the community
        view = card_view(int(community.external_id), card.actions)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        nonce = new_nonce()
        try:
            dm = await retrying(
                lambda: self.client.create_dm(discord.Object(int(member_external_id))),
                what="opening a direct message",
                policy=self.policy,
            )
            await retrying(
                lambda: dm.send(
                    embed=embed,
                    files=render.files(attachments),
                    allowed_mentions=render.NO_MENTIONS,
                    nonce=nonce,
                    **extra,
                ),
                what="sending a direct message",
                policy=self.policy,
            )
        except discord.Forbidden as err:
            if err.code == CANNOT_MESSAGE_USER:
                raise DirectMessageClosed(describe(err)) from err
            raise
        # TRANSLATORS: where a member's direct message went, in "Sent to {where}."
        return _("your direct messages")

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        """Keep a forum post's status tag in step: the other status tags come off, the
        tags members chose stay. A transient failure that outlasts the retries is raised
        (the change's follow-up tags it again later: bot/followups.py); a refusal (a post
        deleted, a missing permission) is logged."""
        if not thread.forum:
            return
        try:
            await self._tag(int(community.external_id), thread, status)
        except Exception as err:
            if is_transient(err):
                raise
            log.warning("could not tag forum post %s %s: %s",
                        thread.thread_id, status, describe(err))  # fmt: skip

    async def _tag(self, guild_id: int, thread: ThreadRef, status: str) -> None:
        forum = await self._guild_channel(guild_id, thread.channel_id)
        if not isinstance(forum, discord.ForumChannel):
            return
        tag = await self._status_tag(forum, status)
        if tag is None:
            return
        post = await self._guild_channel(guild_id, thread.thread_id)
        if not isinstance(post, discord.Thread):
            return
        keep = [t for t in post.applied_tags if t.name not in STATUS_TAGS]
        await retrying(
            lambda: post.edit(applied_tags=[*keep, tag]),  # type: ignore[list-item]
            what=f"tagging a forum post {status}",
            policy=self.policy,
        )

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        """Discord's own counts: the thread's message count, and its members (whoever
        replied joined it), without reading a message."""
        found = await retrying(
            lambda: self.client.fetch_channel(int(thread.thread_id)),
            what="reading a thread's activity",
            policy=self.policy,
        )
        if not isinstance(found, discord.Thread):
            return None
        members = await retrying(
            found.fetch_members, what="reading a thread's members", policy=self.policy
        )
        me = self.client.user.id if self.client.user else None
        people = frozenset(str(m.id) for m in members if m.id != me)
        # Discord's count leaves out a forum post's starter message (the idea itself), and
        # counts the bot's own notes, which the core takes away.
        return ThreadActivity(found.message_count, people)

    async def _vote_reaction(
        self, message: discord.Message, emoji: str, number: int | None
    ) -> None:
        """The bot's own vote reaction, so members only have to click it."""
        try:
            await retrying(
                lambda: message.add_reaction(emoji),
                what=f"adding the vote reaction to idea #{number}",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not add %s to idea #%s's post: %s", emoji, number, describe(err))

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        if receipt.message_id in self.gone or not receipt.message_id.isdigit():
            return
        channel = self.client.get_partial_messageable(
            int(receipt.channel_id), guild_id=int(community.external_id)
        )
        message = channel.get_partial_message(int(receipt.message_id))
        embed = render.post_embed(post.card, post.kind)
        try:
            await retrying(
                lambda: message.edit(embed=embed, allowed_mentions=render.NO_MENTIONS),
                what=f"updating idea #{post.idea_number}'s post",
                policy=self.policy,
            )
        except Exception as err:
            if is_gone(err):
                await self.post_gone(community, receipt, post.idea_number)
                return
            if is_transient(err):
                raise  # the change's follow-up shows it again later (bot/followups.py)
            log.warning(
                "could not update idea #%s's post %s: %s",
                post.idea_number,
                receipt.message_id,
                describe(err),
            )

    async def post_gone(
        self, community: CommunityRef, receipt: PostReceipt, idea_number: int | None
    ) -> None:
        """An idea post was deleted by hand: remember it, keep its votes, tell moderators.

        It is not re-posted: a moderator who deletes a post usually means it.
        """
        if receipt.message_id in self.gone:
            return
        self.gone.add(receipt.message_id)
        what = f"idea #{idea_number}" if idea_number is not None else "an idea"
        log.warning(
            "the post of %s (message %s in channel %s) was deleted: its votes so far stay, "
            "no new ones can be cast there",
            what,
            receipt.message_id,
            receipt.channel_id,
        )
        channel = f"<#{receipt.channel_id}>"
        if idea_number is not None:
            # TRANSLATORS: {channel} is a channel mention; keep the command as it is.
            text = _(
                "The post of idea #{number} in {channel} was deleted by hand. Its votes so far "
                "still count. To take the idea out of the challenge, use "
                "`/mod status #{number} declined`; to bring it back, ask its author to "
                "withdraw it and submit it again.",
                number=idea_number,
                channel=channel,
            )
        else:
            # TRANSLATORS: {channel} is a channel mention; keep the command as it is.
            text = _(
                "The post of an idea in {channel} was deleted by hand. Its votes so far still "
                "count. To take the idea out of the challenge, use `/mod status` with its "
                "number and `declined`; to bring it back, ask its author to withdraw it and "
                "submit it again.",
                channel=channel,
            )
        await self.tell_moderators(
            int(community.external_id),
            f"gone:{receipt.message_id}",
            _("A post of an idea was deleted"),
            text,
        )

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        """Grant the role configured for this badge; a missing permission is logged and told
        to the moderators, never raised. A transient failure that outlasts the retries is
        raised, for the grant to be tried again later."""
        role_ref = self.settings.badge_roles.get(badge.value, "").strip()
        if not role_ref:
            return
        guild_id = int(community.external_id)
        guild = self.client.get_guild(guild_id)
        role_id = int(role_ref) if role_ref.isdigit() else None
        if guild is not None:
            role = guild.get_role(role_id) if role_id is not None else None
            if role is None and role_id is None:
                role = discord.utils.get(guild.roles, name=role_ref)
            if role is None:
                log.warning(
                    "discord.badge_roles.%s = %s is not a role of guild %s: no role granted",
                    badge.value,
                    role_ref,
                    guild_id,
                )
                return
            role_id = role.id
        if role_id is None:
            log.warning("badge role %s of guild %s is unknown: no role granted", role_ref, guild_id)
            return
        try:
            await retrying(
                lambda: internals.rest(self.client).add_role(
                    guild_id,
                    int(member_external_id),
                    role_id,
                    reason=f"Cocreate badge: {badge.label}",
                ),
                what=f"granting the {badge.value} badge role",
                policy=self.policy,
            )
            log.info(
                "granted role %s to %s in guild %s for %s",
                role_id,
                member_external_id,
                guild_id,
                badge.value,
            )
        except discord.Forbidden as err:
            log.warning(
                "could not grant role %s for badge %s to %s in guild %s: %s (the bot needs "
                "Manage Roles and a role above %s)",
                role_id,
                badge.value,
                member_external_id,
                guild_id,
                describe(err),
                role_id,
            )
            await self.tell_moderators(
                guild_id,
                f"role:{role_id}",
                _("A badge role could not be given"),
                # TRANSLATORS: {member} and {role} are mentions; {badge} is the badge's name.
                # "Manage Roles" is Discord's name of the permission, as Discord shows it.
                _(
                    "{member} earned {badge}, but I could not give them the role {role}: I need "
                    "the Manage Roles permission, and my own role must be above that one. Later "
                    "badges will be tried again.",
                    member="<@" + member_external_id + ">",
                    badge=_(badge.label),
                    role="<@&" + str(role_id) + ">",
                ),
            )
        except Exception as err:
            if is_transient(err):
                raise  # the award's follow-up tells it again later (bot/followups.py)
            log.warning(
                "could not grant role %s for badge %s to %s: %s",
                role_id,
                badge.value,
                member_external_id,
                describe(err),
            )

    # -- moderators ----------------------------------------------------------------------

    async def tell_moderators(self, guild_id: int, key: str, title: str, text: str) -> None:
        """A note in the moderators' channel, once per `key` while the bot runs."""
        if key in self._told:
            return
        self._told.add(key)
        channel = await self.moderator_channel(guild_id)
        if channel is None:
            return
        embed = render.notice_embed(f"⚠️ {title}", text)
        nonce = new_nonce()
        try:
            await retrying(
                lambda: channel.send(embed=embed, allowed_mentions=render.NO_MENTIONS, nonce=nonce),
                what="telling the moderators",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not tell the moderators of guild %s: %s", guild_id, describe(err))
