"""The in-memory platform: commands and reactions from a `Chat` to the core, posts from
the core to the chat, and reactions read back from the chat at every start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from adapters.memory.chat import BOT, Chat, Member, Message, chat
from adapters.memory.settings import memory_settings
from bot.conversations import DirectMessageClosed
from bot.core import parse_invocation
from bot.grammar import GrammarError
from bot.i18n import _
from bot.messages import (
    MODERATORS,
    Actor,
    Attachment,
    Card,
    CommunityRef,
    IdeaPostRef,
    Post,
    PostKind,
    PostReceipt,
    ReactionAction,
    ReactionEvent,
    Reply,
    ThreadActivity,
    ThreadRef,
)
from bot.model import BadgeKind
from bot.ports import Core
from bot.settings import Settings

PLATFORM = "memory"


def card_text(card: Card) -> str:
    """A card as the chat shows it: title, body, fields, footer, one per line."""
    lines = [card.title, card.body, *(f"{name}: {value}" for name, value in card.fields)]
    return "\n".join(line for line in [*lines, card.footer] if line)


def actor(member: Member) -> Actor:
    return Actor(
        member.id,
        member.name,
        is_moderator=member.moderator,
        account_created_at=member.created_at,
        joined_at=member.joined_at,
    )


class MemoryPlatform:
    """A `Platform`, and the `Publisher` and `Reconciler` of its chat."""

    name = PLATFORM

    def __init__(self, core: Core, settings: Settings) -> None:
        self.core = core
        self.section = memory_settings(settings)
        self.chat: Chat = chat(self.section.chat)
        self.community = CommunityRef(PLATFORM, self.chat.name, self.chat.name)

    # -- Platform ----------------------------------------------------------------------

    async def start(self) -> None:
        self.core.add_publisher(PLATFORM, self)
        self.core.add_reconciler(PLATFORM, self)
        self.chat.connect(self)
        # What happened while no bot listened: read every open idea post back.
        await self.core.catch_up(PLATFORM, timedelta(days=self.section.reconcile_days))

    async def stop(self) -> None:
        self.chat.disconnect()

    async def connected(self) -> bool:
        return self.chat.listener is self

    # -- from the chat -----------------------------------------------------------------

    async def command(self, member: Member, channel: str, text: str) -> Reply:
        try:
            invocation = parse_invocation(text, self.community, channel, actor(member))
        except GrammarError as err:
            return Reply(Card(_("Not understood"), str(err)), ok=False)
        return await self.core.handle_command(invocation)

    async def reaction(
        self, member: Member, message: Message, emoji: str, added: bool, event_id: str
    ) -> None:
        await self.core.handle_reaction(
            ReactionEvent(
                community=self.community,
                channel_id=message.channel,
                message_id=message.id,
                action=ReactionAction.ADD if added else ReactionAction.REMOVE,
                at=self.core.clock.now(),
                member=actor(member),
                emoji=emoji,
                event_id=event_id,
            )
        )

    async def replied(self, member: Member, message: Message) -> None:
        await self.core.thread_activity(
            self.community,
            message.id,
            channel_id=message.channel,
            more_replies=1,
            joined=[member.id],
        )

    # -- Publisher ---------------------------------------------------------------------

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        channel = (
            self.section.moderator_channel if post.channel_id == MODERATORS else post.channel_id
        )
        message = self.chat.post(channel, card_text(post.card))
        if channel in self.chat.forums and post.kind is PostKind.IDEA:
            message.thread, message.tag = True, "published"
            return PostReceipt(channel, message.id, ThreadRef(channel, message.id, forum=True))
        return PostReceipt(channel, message.id)

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        message = self.chat.messages.get(receipt.message_id)
        if message is not None:
            message.text = card_text(post.card)

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        self.chat.badges.append((member_external_id, badge.value))

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        message = self.chat.messages.get(receipt.message_id)
        if message is None:
            return None
        message.thread = True
        return ThreadRef(receipt.channel_id, receipt.message_id)

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        message = self.chat.messages[thread.thread_id]
        message.replies.append((BOT, card_text(card)))
        return PostReceipt(thread.channel_id, f"{thread.thread_id}/{len(message.replies)}")

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        member = self.chat.member_by_id(member_external_id)
        if member is None or not member.dms_open:
            raise DirectMessageClosed(f"{member_external_id} accepts no direct messages")
        self.chat.direct(member_external_id, card_text(card), attachments)
        # TRANSLATORS: where a direct message went, in "Sent to {where}."
        return _("your direct messages")

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        message = self.chat.messages.get(thread.thread_id)
        if message is not None and thread.forum:
            message.tag = status

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        message = self.chat.messages.get(thread.thread_id)
        if message is None:
            return None
        people = [who for who, _text in message.replies if who != BOT]
        return ThreadActivity(len(people), frozenset(people), includes_own=False)

    # -- Reconciler --------------------------------------------------------------------

    async def refresh_reactions(
        self, posts: Sequence[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        for ref in posts:
            message = self.chat.messages.get(ref.message_id)
            if message is None:
                continue
            requested_at = self.core.clock.now()
            reactions = {
                emoji: [actor(m) for i in holders if (m := self.chat.member_by_id(i))]
                for emoji, holders in message.reactions.items()
            }
            await self.core.reconcile(
                ref.community,
                ref.channel_id,
                ref.message_id,
                reactions,
                requested_at=requested_at,
                as_of=as_of,
            )
