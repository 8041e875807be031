"""The neutral language between adapters and the core: what comes in, what goes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class CommunityRef:
    """A Discord guild, a Slack workspace or the console, as the platform names it."""

    platform: str
    external_id: str
    name: str = ""


@dataclass(frozen=True)
class Actor:
    """A person (or bot) as the platform describes them at the moment of the event."""

    external_id: str
    display_name: str
    is_moderator: bool = False
    is_bot: bool = False
    account_created_at: datetime | None = None
    joined_at: datetime | None = None
    #: the language the platform reports for them (Discord's interaction locale, Slack's
    #: user locale), as the platform spells it; None: not reported
    locale: str | None = None


OptionValue = str | int | bool


@dataclass(frozen=True)
class Invocation:
    """A slash command, parsed into its path and raw option values.

    Text platforms give strings (positionals fill the spec's positional options in
    order); typed platforms give typed values by name. The core validates both alike.
    """

    community: CommunityRef
    channel_id: str
    actor: Actor
    command: tuple[str, ...]
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    positionals: tuple[str, ...] = ()
    #: text platforms: bare words that followed an option's unquoted value, by option
    #: (`title:My idea` spills `idea`), so that the error can say what happened
    spilled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: other people the platform described for the command (the author of a message
    #: captured as an idea): known as members before it runs, as the actor is
    people: tuple[Actor, ...] = ()
    #: the keys of the request that carried it (a signed Slack command): recorded in the
    #: command's own transaction, so that a replay of the request runs nothing
    request_keys: tuple[str, ...] = ()


class ReactionAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CLEAR = "clear"


@dataclass(frozen=True)
class ReactionEvent:
    """A reaction added, removed or cleared on a message.

    A CLEAR has no member and, when every emoji was cleared, no emoji.
    `event_id` is the platform's id for deduplication; None when it has none.
    `at` is when it happened, by the platform's clock where it says; `received_at` is
    when it reached us, by ours (None: when the core is handed it).
    """

    community: CommunityRef
    channel_id: str
    message_id: str
    action: ReactionAction
    at: datetime
    member: Actor | None = None
    emoji: str | None = None
    event_id: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class ReactionOutcome:
    effect: str
    duplicate: bool = False


class ActionStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class CardAction:
    """A button under a card that runs a command about one idea as the member who clicks
    (so the core's own checks decide): `/idea confirm #n`, or with `form`, the command's
    form for `#n` first (`/idea edit #n`). Platforms without buttons show the command."""

    #: the button's text, already in the language of the card
    label: str
    command: tuple[str, ...]
    idea_number: int
    form: bool = False
    style: ActionStyle = ActionStyle.DEFAULT

    @property
    def options(self) -> dict[str, OptionValue]:
        """The command's options: the idea (`#n`)."""
        return {"idea": self.idea_number}

    @property
    def usage(self) -> str:
        """The command as typed: `/idea confirm #4`."""
        return f"/{' '.join(self.command)} #{self.idea_number}"


@dataclass(frozen=True)
class Card:
    """Rich content; every string is literal text that renderers escape for their platform."""

    title: str
    body: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    footer: str = ""
    #: buttons under the card (a direct message asking its reader to decide); renderers
    #: without buttons may list their commands, or leave them out
    actions: tuple[CardAction, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a post or a reply: a chart, an export."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Reply:
    """The answer to a command: ephemeral (only the caller sees it) unless public."""

    card: Card
    ephemeral: bool = True
    error_id: str | None = None
    ok: bool = True
    attachments: tuple[Attachment, ...] = ()
    #: what to say instead when the command's posts could not be sent yet (they will be)
    unsent: Card | None = None
    #: the key of its request seen before: a replay, which ran nothing and gets no answer
    replay_of: str | None = None


class PostKind(StrEnum):
    IDEA = "idea"
    ANNOUNCEMENT = "announcement"
    RESULTS = "results"
    NOTICE = "notice"
    #: an idea waiting for review, for the moderators' channel (approve/reject buttons)
    REVIEW = "review"
    REPORT = "report"


#: The channel id of posts meant for the platform's configured moderator channel.
MODERATORS = "@moderators"


@dataclass(frozen=True)
class Post:
    """A public message to a channel. An idea post gets the vote emoji added by the bot."""

    channel_id: str
    kind: PostKind
    card: Card
    idea_id: int | None = None
    idea_number: int | None = None
    vote_emoji: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ThreadRef:
    """An idea's conversation in one venue: a Discord thread (on the idea's message, or a
    forum post), a Slack thread (`thread_id` is the parent message's `ts`), the console's
    replies to a post."""

    channel_id: str
    thread_id: str
    #: a forum post: the idea's status is kept as a forum tag
    forum: bool = False


@dataclass(frozen=True)
class ThreadActivity:
    """What a platform says of a thread without its messages being read: how many replies,
    and who replied (platform ids)."""

    replies: int
    repliers: frozenset[str] = frozenset()
    #: whether `replies` counts the bot's own notes in the thread too (Discord's and Slack's
    #: counts do): the core then takes away those it posted
    includes_own: bool = True


@dataclass(frozen=True)
class PostReceipt:
    channel_id: str
    message_id: str
    #: the conversation the post opened (a forum post is one), if it opened one
    thread: ThreadRef | None = None


@dataclass(frozen=True)
class IdeaPostRef:
    """An idea post whose reactions an adapter can read back from the platform."""

    community: CommunityRef
    channel_id: str
    message_id: str
    vote_emoji: str
    idea_number: int
    challenge_id: int
