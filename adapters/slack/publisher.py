"""The core's posts as Slack messages, and votes read back from Slack.

`SlackPublisher` is the core's `Publisher`: chat.postMessage (joining a public venue when
the bot is not in it yet), the vote reaction added with reactions.add, chat.update, and a
direct message for each badge. `SlackReconciler` is its `Reconciler`: reactions.get with
full=true, paced per workspace within Tier 3, handed to `Cocreate.reconcile`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.api import SERVER_ERRORS
from adapters.slack.config import Sleep
from adapters.slack.emoji import reaction_emoji, reaction_name, same_emoji
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot.conversations import DirectMessageClosed
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
    ThreadActivity,
    ThreadRef,
)
from bot.model import BadgeKind
from bot.ports import Core

log = logging.getLogger("cocreate.slack")

#: A direct message that cannot be delivered: the member cannot be written to by the app
#: (`cannot_dm_bot`), or the workspace does not allow it (`not_allowed`).
DM_CLOSED = frozenset({"cannot_dm_bot", "not_allowed"})


def _error(err: SlackApiError) -> str:
    return str(err.response.get("error") or err.response.status_code)


#: Slack's words for a fault on its side, which passes.
TEMPORARY_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def temporary(err: SlackApiError) -> bool:
    """Whether asking again later may succeed: rate limits and Slack's own faults."""
    status = err.response.status_code
    return status == 429 or status in SERVER_ERRORS or err.response.get("error") in TEMPORARY_ERRORS


class SlackPublisher:
    def __init__(
        self,
        workspaces: Workspaces,
        moderator_channel: str,
        moderator_channels: Mapping[str, str] | None = None,
    ) -> None:
        self.workspaces = workspaces
        self.moderator_channel = moderator_channel
        #: team id -> its review channel, where it is not `moderator_channel`
        self.moderator_channels = dict(moderator_channels or {})

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        channel = post.channel_id
        if channel == MODERATORS:
            channel = self.moderator_channels.get(community.external_id) or self.moderator_channel
            if not channel:
                log.info(
                    "review post for idea #%s not sent: slack.moderator_channel is not set",
                    post.idea_number,
                )
                return PostReceipt(MODERATORS, "")
        client = await self.workspaces.client(community.external_id)
        if post.kind is PostKind.REVIEW:
            content = blocks.review_message(post.card, post.idea_number)
        else:
            content = blocks.message(post.card)
        response = await self._post(client, channel, content)
        receipt = PostReceipt(str(response.get("channel") or channel), str(response["ts"]))
        if post.kind is PostKind.IDEA and post.vote_emoji:
            await self._add_vote_reaction(client, receipt, post.vote_emoji)
        if post.attachments:
            # The message is out: a failed upload is logged, never a reason to post again.
            await upload(client, receipt.channel_id, post.attachments)
        return receipt

    # -- conversations (bot/conversations.py) ------------------------------------------

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        """On Slack the idea message's own thread is its conversation: nothing to open."""
        if not receipt.message_id:
            return None
        return ThreadRef(receipt.channel_id, receipt.message_id)

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        client = await self.workspaces.client(community.external_id)
        content = {**blocks.message(card), "thread_ts": thread.thread_id}
        response = await self._post(client, thread.channel_id, content)
        return PostReceipt(thread.channel_id, str(response["ts"]))

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """A message in the app's Messages tab, then its files there (files.upload v2, in
        the conversation `conversations.open` names); `cannot_dm_bot` and `not_allowed`
        are `DirectMessageClosed`."""
        client = await self.workspaces.client(community.external_id)
        channel = member_external_id
        try:
            if attachments:
                opened = await client.conversations_open(users=member_external_id)
                channel = str((opened.get("channel") or {}).get("id", "")) or channel
            await client.chat_postMessage(channel=channel, link_names=False, **blocks.message(card))
        except SlackApiError as err:
            if _error(err) in DM_CLOSED:
                raise DirectMessageClosed(_error(err)) from err
            raise
        if attachments and not await upload(client, channel, attachments):
            raise RuntimeError("the files of a direct message could not be uploaded")
        # TRANSLATORS: where a direct message went, in "Sent to {where}."
        return _("your direct messages with Cocreate")

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        """Slack has no forum tags: the status is told in the thread."""

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        """The parent message's thread metadata (`reply_count`, `reply_users`): no reply is
        read. Slack's count includes the app's own notes in the thread; the repliers leave
        the app out."""
        client = await self.workspaces.client(community.external_id)
        response = await client.conversations_replies(
            channel=thread.channel_id, ts=thread.thread_id, limit=1
        )
        messages = response.get("messages") or []
        if not messages:
            return None
        parent = messages[0]
        me = await self.workspaces.bot_user_id(community.external_id)
        people = frozenset(str(u) for u in parent.get("reply_users") or [] if u != me)
        return ThreadActivity(int(parent.get("reply_count") or 0), people)

    async def _post(
        self, client: AsyncWebClient, channel: str, content: dict[str, Any]
    ) -> dict[str, Any]:
        args = {
            "channel": channel,
            "unfurl_links": False,
            "unfurl_media": False,
            "link_names": False,
            **content,
        }
        try:
            return dict((await client.chat_postMessage(**args)).data)  # type: ignore[arg-type]
        except SlackApiError as err:
            if _error(err) != "not_in_channel":
                raise
        # A public venue: join it, so that its reactions reach us, then post again.
        await client.conversations_join(channel=channel)
        log.info("joined channel %s to post there", channel)
        return dict((await client.chat_postMessage(**args)).data)  # type: ignore[arg-type]

    async def _add_vote_reaction(
        self, client: AsyncWebClient, receipt: PostReceipt, emoji: str
    ) -> None:
        name = reaction_name(emoji)
        if name is None:
            log.warning("no Slack name known for the vote emoji %r: add it by hand", emoji)
            return
        try:
            await client.reactions_add(
                channel=receipt.channel_id, timestamp=receipt.message_id, name=name
            )
        except SlackApiError as err:
            if _error(err) != "already_reacted":
                log.warning("could not add :%s: to %s: %s", name, receipt.message_id, _error(err))

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        if not receipt.message_id:
            return
        client = await self.workspaces.client(community.external_id)
        try:
            await client.chat_update(
                channel=receipt.channel_id, ts=receipt.message_id, **blocks.message(post.card)
            )
        except SlackApiError as err:
            if temporary(err):
                raise  # the change's follow-up shows it again later (bot/followups.py)
            log.info(
                "post %s in %s was not updated: %s",
                receipt.message_id,
                receipt.channel_id,
                _error(err),
            )

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        """A direct message (the app's Messages tab) to the member who earned it. A fault on
        Slack's side that outlasts the client's retries is raised, for it to be sent again
        later; a refusal (the member is gone, say) is logged."""
        card = Card(
            _("🎖️ You earned {badge}", badge=_(badge.label)),
            # TRANSLATORS: /cocreate badges is a command: keep it as it is
            _("See your badges and points in the Home tab of Cocreate, or with /cocreate badges."),
        )
        try:
            client = await self.workspaces.client(community.external_id)
            await client.chat_postMessage(channel=member_external_id, **blocks.message(card))
        except (SlackApiError, UnknownWorkspace) as err:
            if isinstance(err, SlackApiError) and temporary(err):
                raise  # the award's follow-up tells it again later (bot/followups.py)
            why = _error(err) if isinstance(err, SlackApiError) else "unknown workspace"
            log.info("badge message to %s not sent: %s", member_external_id, why)


async def upload(
    client: AsyncWebClient, channel: str, files: Sequence[Attachment], comment: str | None = None
) -> bool:
    """Files (a chart, an export) into a channel, as one message; False when it failed."""
    try:
        await client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": f.content, "filename": f.filename, "title": f.filename} for f in files
            ],
            initial_comment=comment,
        )
    except Exception as err:
        why = _error(err) if isinstance(err, SlackApiError) else type(err).__name__
        log.warning("could not upload %d file(s) to %s: %s", len(files), channel, why)
        return False
    return True


class Pacer:
    """At most one call per `interval_s`, with the waiting spread out, not bunched."""

    def __init__(self, interval_s: float, sleep: Sleep, monotonic: Callable[[], float]) -> None:
        self.interval_s = interval_s
        self._sleep = sleep
        self._now = monotonic
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            delay = self._next - self._now()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._now(), self._next) + self.interval_s


class SlackReconciler:
    """Reads who reacts to idea posts with the vote emoji, workspace by workspace."""

    def __init__(
        self,
        core: Core,
        workspaces: Workspaces,
        interval_s: float,
        sleep: Sleep,
        monotonic: Callable[[], float],
    ) -> None:
        self.core = core
        self.workspaces = workspaces
        self._pacers: dict[str, Pacer] = defaultdict(lambda: Pacer(interval_s, sleep, monotonic))

    async def refresh_reactions(
        self, posts: Sequence[IdeaPostRef], as_of: datetime | None = None
    ) -> None:
        """Workspaces are read side by side, the posts of each one at Tier 3 pace."""
        by_team: dict[str, list[IdeaPostRef]] = defaultdict(list)
        for post in posts:
            by_team[post.community.external_id].append(post)
        await asyncio.gather(*(self._team(team, listed, as_of) for team, listed in by_team.items()))

    async def _team(self, team_id: str, posts: list[IdeaPostRef], as_of: datetime | None) -> None:
        try:
            client = await self.workspaces.client(team_id)
        except UnknownWorkspace:
            log.info("%d idea posts of %s not reconciled: not installed", len(posts), team_id)
            return
        bot_user = await self.workspaces.bot_user_id(team_id)
        pacer = self._pacers[team_id]
        for post in posts:
            await pacer.wait()
            # Taken before asking: events that arrive after it win over the answer.
            requested_at = self.core.clock.now()
            try:
                reactions = await self._reactions(client, post, bot_user)
            except SlackApiError as err:
                log.info(
                    "idea #%s post %s in %s not reconciled: %s",
                    post.idea_number,
                    post.message_id,
                    post.channel_id,
                    _error(err),
                )
                continue
            except Exception:
                log.exception("reading reactions of idea #%s failed", post.idea_number)
                continue
            await self.core.reconcile(
                post.community,
                post.channel_id,
                post.message_id,
                reactions,
                requested_at=requested_at,
                as_of=as_of,
            )

    async def _reactions(
        self, client: AsyncWebClient, post: IdeaPostRef, bot_user: str | None
    ) -> dict[str, list[Actor]]:
        """Who reacts with each variant of the vote emoji (👍, 👍🏽, …), the bot left out."""
        response = await client.reactions_get(
            channel=post.channel_id, timestamp=post.message_id, full=True
        )
        message = response.get("message") or {}
        out: dict[str, list[Actor]] = {}
        for reaction in message.get("reactions") or []:
            name = str(reaction.get("name", ""))
            if same_emoji(name, post.vote_emoji):
                users = sorted({str(u) for u in reaction.get("users") or []} - {bot_user or ""})
                out.setdefault(reaction_emoji(name), []).extend(Actor(u, "") for u in users)
        return out
