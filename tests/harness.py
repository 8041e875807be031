"""Drive the real core through the adapters' entry points, with a recording publisher."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.conversations import DirectMessageClosed
from bot.core import Cocreate, parse_invocation
from bot.messages import (
    Actor,
    Attachment,
    Card,
    CommunityRef,
    Post,
    PostKind,
    PostReceipt,
    ReactionAction,
    ReactionEvent,
    ReactionOutcome,
    Reply,
    ThreadActivity,
    ThreadRef,
)
from bot.model import BadgeKind
from bot.ports import Database
from bot.settings import Settings, load_settings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLATFORM = "test"


@dataclass
class Sent:
    community: CommunityRef
    post: Post
    receipt: PostReceipt


@dataclass
class RecordingPublisher:
    """Keeps every post and update; message ids are m1, m2, …"""

    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[PostReceipt, Post]] = field(default_factory=list)
    badges: list[tuple[str, BadgeKind]] = field(default_factory=list)
    fail: bool = False
    #: fail this many publishes, then succeed (a platform outage that ends)
    fail_next: int = 0
    #: fail every publish to these channels
    fail_channels: set[str] = field(default_factory=set)
    #: fail this many badge grants, then succeed (-1: every one)
    fail_badges: int = 0
    #: fail this many post updates, then succeed
    fail_updates: int = 0
    #: (thread, card) of each post into a thread
    in_threads: list[tuple[ThreadRef, Card]] = field(default_factory=list)
    #: (member id, card, files) of each direct message
    dms: list[tuple[str, Card, tuple[Attachment, ...]]] = field(default_factory=list)
    #: members whose direct messages are closed
    closed_dms: set[str] = field(default_factory=set)
    #: (thread, status) of each forum tag set
    tags: list[tuple[ThreadRef, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        return ThreadRef(receipt.channel_id, receipt.message_id)

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        self.in_threads.append((thread, card))
        return PostReceipt(thread.channel_id, f"t{next(self._ids)}")

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        if member_external_id in self.closed_dms:
            raise DirectMessageClosed(member_external_id)
        self.dms.append((member_external_id, card, tuple(attachments)))
        return "your direct messages"

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        self.tags.append((thread, status))

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        return None

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        if self.fail or self.fail_next > 0 or post.channel_id in self.fail_channels:
            self.fail_next -= 1
            raise ConnectionError("platform down")
        receipt = PostReceipt(post.channel_id, f"m{next(self._ids)}")
        self.sent.append(Sent(community, post, receipt))
        return receipt

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        if self.fail_updates:
            self.fail_updates -= 1
            raise ConnectionError("platform down")
        self.updates.append((receipt, post))

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        if self.fail_badges:
            self.fail_badges -= 1
            raise ConnectionError("platform down")
        self.badges.append((member_external_id, badge))

    def of_kind(self, kind: PostKind) -> list[Post]:
        return [s.post for s in self.sent if s.post.kind is kind]

    def idea_message(self, number: int, channel: str | None = None) -> PostReceipt:
        for s in self.sent:
            if s.post.idea_number == number and channel in (None, s.receipt.channel_id):
                return s.receipt
        raise AssertionError(f"idea #{number} was not posted")


class Harness:
    #: every harness not yet closed; the `database` fixture closes them before the database
    open: list[Harness] = []  # noqa: RUF012

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings(environ={})
        self.clock = ManualClock(START)
        self.publisher = RecordingPublisher()
        self.app = Cocreate(db, self.settings, self.clock, {PLATFORM: self.publisher})
        self.community = CommunityRef(PLATFORM, "guild-1", "Test guild")
        self._events = itertools.count(1)
        Harness.open.append(self)

    async def close(self) -> None:
        """Let background work finish before the database goes away."""
        if self in Harness.open:
            Harness.open.remove(self)
        await self.app.drain()
        await self.app.ingest.stop()
        await self.app.webhooks.stop()
        await self.app.notices.stop()

    @classmethod
    async def close_all(cls) -> None:
        """Close every harness a test left open (background posts still use the database)."""
        while cls.open:
            await cls.open[-1].close()

    def actor(self, name: str, mod: bool = False, **kw: object) -> Actor:
        return Actor(name.lower(), name.capitalize(), is_moderator=mod, **kw)  # type: ignore[arg-type]

    async def cmd(
        self,
        text: str,
        who: str = "mod",
        *,
        mod: bool | None = None,
        channel: str = "general",
        community: CommunityRef | None = None,
    ) -> Reply:
        is_mod = who == "mod" if mod is None else mod
        inv = parse_invocation(text, community or self.community, channel, self.actor(who, is_mod))
        return await self.app.handle_command(inv)

    async def ok(self, text: str, who: str = "mod", **kw: object) -> Reply:
        reply = await self.cmd(text, who, **kw)  # type: ignore[arg-type]
        assert reply.ok, f"{text!r} failed: {reply.card.title}: {reply.card.body}"
        return reply

    async def refused(self, text: str, who: str = "mod", **kw: object) -> str:
        reply = await self.cmd(text, who, **kw)  # type: ignore[arg-type]
        assert not reply.ok and reply.error_id is None, f"{text!r} was not refused: {reply}"
        return f"{reply.card.title}: {reply.card.body}"

    async def challenge(self, extra: str = "", slug: str = "flavour") -> None:
        await self.ok(f'/challenge create title:"Flavour" brief:"What next?" {extra}')
        await self.ok(f"/challenge open {slug}")

    async def submit(self, who: str, title: str, description: str = "Tasty.") -> int:
        reply = await self.ok(f'/idea submit title:"{title}" description:"{description}"', who)
        return int(reply.card.title.split("#")[1].split()[0])

    def event(
        self,
        number: int,
        who: str,
        action: ReactionAction = ReactionAction.ADD,
        *,
        emoji: str | None = "👍",
        at: datetime | None = None,
        event_id: str | None = None,
        channel: str | None = None,
        actor: Actor | None = None,
    ) -> ReactionEvent:
        receipt = self.publisher.idea_message(number, channel)
        return ReactionEvent(
            community=self.community,
            channel_id=receipt.channel_id,
            message_id=receipt.message_id,
            action=action,
            at=at or self.clock.now(),
            member=None if action is ReactionAction.CLEAR else (actor or self.actor(who)),
            emoji=emoji,
            event_id=event_id or f"ev-{next(self._events)}",
        )

    async def react(self, number: int, who: str, add: bool = True, **kw: object) -> ReactionOutcome:
        action = ReactionAction.ADD if add else ReactionAction.REMOVE
        return await self.app.handle_reaction(self.event(number, who, action, **kw))  # type: ignore[arg-type]

    def tick(self, minutes: int = 1) -> None:
        self.clock.advance(timedelta(minutes=minutes))
