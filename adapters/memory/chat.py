"""A chat held in memory: what a platform's servers would hold.

People use it through `Chat.command` and `Chat.react`; the bot (the connected
`MemoryPlatform`) posts, edits and reads reactions back. While no bot is connected the
chat keeps going: reactions change the posts, and nobody tells the bot, as with a bot
that is down. Chats are found by name (`chat(name)`), so a test and the platform that
the composition root builds share one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.messages import Attachment, Reply

#: when members' accounts and memberships began, unless a test says otherwise
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class ChatOffline(Exception):
    """No bot is connected to the chat: a command gets no answer."""


@dataclass
class Member:
    id: str
    name: str
    moderator: bool = False
    created_at: datetime = LONG_AGO
    joined_at: datetime = LONG_AGO
    #: whether the member accepts direct messages from the bot
    dms_open: bool = True


@dataclass
class Message:
    id: str
    channel: str
    text: str
    #: emoji -> the ids of the members reacting with it
    reactions: dict[str, set[str]] = field(default_factory=dict)
    #: the message's thread: (author id, text), the bot's as BOT
    replies: list[tuple[str, str]] = field(default_factory=list)
    #: whether a thread was opened on it, and its tag (a forum post's status)
    thread: bool = False
    tag: str | None = None


#: the author id of the bot's own messages
BOT = "bot"


class Listener(Protocol):
    """The bot's side of the chat."""

    async def command(self, member: Member, channel: str, text: str) -> Reply: ...
    async def reaction(
        self, member: Member, message: Message, emoji: str, added: bool, event_id: str
    ) -> None: ...
    async def replied(self, member: Member, message: Message) -> None: ...


class Chat:
    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[str, Member] = {}
        self.messages: dict[str, Message] = {}
        #: (member id, badge) for each badge the bot announced to the platform
        self.badges: list[tuple[str, str]] = []
        #: (member id, text, files) of each direct message the bot sent
        self.dms: list[tuple[str, str, tuple[Attachment, ...]]] = []
        #: forum channels: each post there is a forum post (a thread with a status tag)
        self.forums: set[str] = set()
        self.listener: Listener | None = None
        self._ids = itertools.count(1)

    # -- people ------------------------------------------------------------------------

    def member(self, name: str, *, moderator: bool = False) -> Member:
        """The member with this name, joining on first use."""
        key = name.casefold()
        if key not in self.members:
            self.members[key] = Member(f"m-{key}", name, moderator)
        return self.members[key]

    async def command(self, name: str, channel: str, text: str) -> Reply:
        """A slash command typed in a channel, in Slack's grammar: the bot's answer."""
        if self.listener is None:
            raise ChatOffline(f"no bot answers in chat {self.name}")
        return await self.listener.command(self.member(name), channel, text)

    async def react(self, name: str, message_id: str, emoji: str, *, add: bool = True) -> None:
        """A reaction added or taken back; the bot hears of it only when connected."""
        member = self.member(name)
        message = self.messages[message_id]
        holders = message.reactions.setdefault(emoji, set())
        if (member.id in holders) == add:
            return  # a chat changes nothing, and tells nothing, for a repeat
        if add:
            holders.add(member.id)
        else:
            holders.discard(member.id)
        if self.listener is not None:
            event_id = f"{self.name}-{next(self._ids)}"
            await self.listener.reaction(member, message, emoji, add, event_id)

    async def reply(self, name: str, message_id: str, text: str) -> None:
        """A member replies in a post's thread; the bot hears that someone did (not what)."""
        member = self.member(name)
        message = self.messages[message_id]
        message.replies.append((member.id, text))
        if self.listener is not None:
            await self.listener.replied(member, message)

    def posts(self, channel: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == channel]

    # -- the bot's side ----------------------------------------------------------------

    def connect(self, listener: Listener) -> None:
        self.listener = listener

    def disconnect(self) -> None:
        self.listener = None

    def post(self, channel: str, text: str) -> Message:
        message = Message(f"msg-{next(self._ids)}", channel, text)
        self.messages[message.id] = message
        return message

    def direct(self, member_id: str, text: str, files: Sequence[Attachment] = ()) -> None:
        self.dms.append((member_id, text, tuple(files)))

    def member_by_id(self, member_id: str) -> Member | None:
        return next((m for m in self.members.values() if m.id == member_id), None)


_CHATS: dict[str, Chat] = {}


def chat(name: str) -> Chat:
    """The chat of this name in this process, made on first use."""
    return _CHATS.setdefault(name, Chat(name))


def forget(name: str) -> None:
    """Drop a chat (between tests)."""
    _CHATS.pop(name, None)
