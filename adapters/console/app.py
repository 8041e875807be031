"""The console adapter: a whole community in one terminal, scriptable from a file or stdin.

Lines are slash commands in Slack's text grammar, or meta-commands:
  :as NAME [--mod]     become a member (created on first use); --mod makes you a moderator
  :in CHANNEL          move to a channel
  :react #N [EMOJI]    react to idea #N's post in this channel (default: its vote emoji)
  :unreact #N [EMOJI]  remove that reaction
  :reply #N TEXT       reply in idea #N's thread in this channel (/idea show #N lists them)
  :dms on|off          open or close your direct messages (closed: notices come in threads)
  :clock               show the bot's time
  :advance DURATION    move time forward (90m, 36h, 7d, 2w), firing what falls due in order
  :help                this help
  :quit                leave
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from adapters.console.render import card_text, post_text, reply_text, safe
from bot.clock import OffsetClock
from bot.conversations import DirectMessageClosed
from bot.core import parse_invocation
from bot.grammar import GrammarError, parse_duration, parse_idea_number
from bot.i18n import _
from bot.messages import (
    MODERATORS,
    Actor,
    Attachment,
    Card,
    CommunityRef,
    Post,
    PostKind,
    PostReceipt,
    ReactionAction,
    ReactionEvent,
    ThreadActivity,
    ThreadRef,
)
from bot.model import BadgeKind
from bot.ports import Core, SteerableClock
from bot.render import when
from bot.settings import Settings
from bot.text import display_inline

PLATFORM = "console"
DEFAULT_EMOJI = "👍"
META_HELP = __doc__.split("\n\n", 1)[1] if __doc__ else ""


def idea_message_id(number: int) -> str:
    """Idea posts have stable ids, so a later session can still react to them."""
    return f"idea-{number}"


class ConsolePublisher:
    """Prints posts and saves their files; remembers each idea's vote emoji for `:react`."""

    def __init__(self, out: TextIO, files: Path) -> None:
        self.out = out
        self.files = files
        self.vote_emoji: dict[int, str] = {}
        self._ids = itertools.count(1)
        #: "channel>idea-N" -> (who, text) of each reply in an idea's thread, kept with the
        #: data so that a later session still lists them
        self.threads: dict[str, list[tuple[str, str]]] = self._load_threads()
        #: members whose direct messages are closed (`:dms off`)
        self.closed_dms: set[str] = set()

    @property
    def _threads_file(self) -> Path:
        return self.files.parent / "console-threads.json"

    def _load_threads(self) -> dict[str, list[tuple[str, str]]]:
        try:
            data = json.loads(self._threads_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: [(str(a), str(b)) for a, b in v] for k, v in data.items()}

    def add_reply(self, thread: ThreadRef, who: str, text: str) -> None:
        self.threads.setdefault(f"{thread.channel_id}>{thread.thread_id}", []).append((who, text))
        with contextlib.suppress(OSError):
            self._threads_file.parent.mkdir(parents=True, exist_ok=True)
            self._threads_file.write_text(json.dumps(self.threads), encoding="utf-8")

    def replies(self, thread_id: str) -> list[tuple[str, str, str]]:
        """(channel, who, text) of the replies in every thread with this id."""
        return [
            (key.split(">", 1)[0], who, text)
            for key, listed in self.threads.items()
            if key.split(">", 1)[1] == thread_id
            for who, text in listed
        ]

    # -- conversations -----------------------------------------------------------------

    async def open_thread(
        self, community: CommunityRef, receipt: PostReceipt, name: str
    ) -> ThreadRef | None:
        return ThreadRef(receipt.channel_id, receipt.message_id)

    async def post_in_thread(
        self, community: CommunityRef, thread: ThreadRef, card: Card
    ) -> PostReceipt:
        self.add_reply(
            thread, "Cocreate", f"{card.title} — {card.body}" if card.body else card.title
        )
        name = thread.thread_id.replace("idea-", "#", 1)
        label = f"{channel_label(thread.channel_id)} › {name} thread"
        self.write(post_text(label, card))
        return PostReceipt(thread.channel_id, f"reply-{next(self._ids)}")

    async def direct_message(
        self,
        community: CommunityRef,
        member_external_id: str,
        card: Card,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """The console shows a direct message; its files are saved, and their paths shown."""
        if member_external_id in self.closed_dms:
            raise DirectMessageClosed(f"{member_external_id} closed their direct messages")
        saved = self.save(attachments)
        first, *rest = card_text(card)
        self.write("\n".join([f"[DM to {safe(member_external_id)}] {first}", *rest]))
        for path in saved:
            self.write(f"  📎 {path}")
        # TRANSLATORS: where a direct message went, in "Sent to {where}."
        return ", ".join(str(p) for p in saved) or _("the console")

    async def thread_status(self, community: CommunityRef, thread: ThreadRef, status: str) -> None:
        """The console has no forum tags."""

    async def thread_activity(
        self, community: CommunityRef, thread: ThreadRef
    ) -> ThreadActivity | None:
        listed = self.threads.get(f"{thread.channel_id}>{thread.thread_id}", [])
        people = [who for who, _text in listed if who != "Cocreate"]
        return ThreadActivity(len(people), frozenset(people), includes_own=False)

    def save(self, attachments: Iterable[Attachment]) -> list[Path]:
        """Attachments go to the files folder; the console shows their paths."""
        saved = []
        for file in attachments:
            self.files.mkdir(parents=True, exist_ok=True)
            path = self.files / Path(file.filename).name
            path.write_bytes(file.content)
            saved.append(path)
        return saved

    async def publish(self, community: CommunityRef, post: Post) -> PostReceipt:
        if post.kind is PostKind.IDEA and post.idea_number is not None:
            message_id = idea_message_id(post.idea_number)
            self.vote_emoji[post.idea_number] = post.vote_emoji or DEFAULT_EMOJI
        else:
            message_id = f"post-{next(self._ids)}"
        self.write(post_text(channel_label(post.channel_id), post.card))
        for path in self.save(post.attachments):
            self.write(f"  📎 {path}")
        return PostReceipt(post.channel_id, message_id)

    async def badge_awarded(
        self, community: CommunityRef, member_external_id: str, badge: BadgeKind
    ) -> None:
        # the bot's message to the member who earned it, as the console shows it
        self.write(
            "("
            + _("🎖️ {member} earned {badge}", member=safe(member_external_id), badge=_(badge.label))
            + ")"
        )

    async def update(self, community: CommunityRef, receipt: PostReceipt, post: Post) -> None:
        card = post.card
        self.write(
            post_text(
                receipt.channel_id,
                card.__class__(f"(updated) {card.title}", card.body, card.fields, card.footer),
            )
        )

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def channel_label(channel_id: str) -> str:
    return "moderators" if channel_id == MODERATORS else channel_id


class ConsoleSession:
    """One person at a time, in one channel at a time, in the console community."""

    def __init__(
        self,
        app: Core,
        settings: Settings,
        publisher: ConsolePublisher,
        clock: SteerableClock,
    ) -> None:
        self.app = app
        self.clock = clock
        self.publisher = publisher
        self.community = CommunityRef(PLATFORM, settings.console.community, "Console")
        self.channel = settings.console.channel
        self.actor = Actor("host", "host", is_moderator=True)
        self.internal_errors = 0
        self.done = False
        self._events = itertools.count(1)

    @property
    def prompt(self) -> str:
        role = " (mod)" if self.actor.is_moderator else ""
        return f"{self.actor.display_name}{role} #{self.channel}> "

    async def line(self, text: str) -> None:
        text = text.strip()
        if not text or text.startswith("#"):
            return
        if text.startswith(":"):
            await self._meta(text)
            return
        try:
            invocation = parse_invocation(text, self.community, self.channel, self.actor)
        except GrammarError as err:
            self.say(f"⚠️ {err}")
            return
        reply = await self.app.handle_command(invocation)
        if reply.error_id:
            self.internal_errors += 1
        self.say(reply_text(self.channel, self.actor.display_name, reply))
        if reply.ok and invocation.command == ("idea", "show") and invocation.positionals:
            self._list_replies(invocation.positionals[0])
        for path in self.publisher.save(reply.attachments):
            self.say(f"  📎 {path}")

    def say(self, text: str) -> None:
        self.publisher.write(text)

    async def _meta(self, text: str) -> None:
        try:
            words = shlex.split(text)
        except ValueError as err:
            self.say(f"⚠️ {err}")
            return
        command, args = words[0].lower(), words[1:]
        if command == ":as" and args:
            name = " ".join(a for a in args if a != "--mod")
            self.actor = Actor(name.casefold(), name, is_moderator="--mod" in args)
            role = "a moderator" if self.actor.is_moderator else "a member"
            self.say(f"(you are {safe(name)}, {role})")
        elif command == ":in" and len(args) == 1:
            self.channel = args[0].lstrip("#")
            self.say(f"(you are in #{safe(self.channel)})")
        elif command in (":react", ":unreact") and 1 <= len(args) <= 2:
            await self._react(command == ":react", args)
        elif command == ":reply" and len(args) >= 2:
            await self._reply(args[0], " ".join(args[1:]))
        elif command == ":dms" and args in (["on"], ["off"]):
            key = self.actor.external_id
            if args == ["off"]:
                self.publisher.closed_dms.add(key)
            else:
                self.publisher.closed_dms.discard(key)
            self.say(f"(direct messages to {safe(self.actor.display_name)} are {args[0]})")
        elif command == ":clock" and not args:
            self.say(f"(it is {when(self.clock.now(), 'UTC')})")
        elif command == ":advance" and len(args) == 1:
            try:
                delta = parse_duration(args[0])
            except GrammarError as err:
                self.say(f"⚠️ {err}")
                return
            await self.app.agenda.travel(self.clock, self.clock.now() + delta)
            self.say(f"(it is {when(self.clock.now(), 'UTC')})")
        elif command == ":help":
            self.say(META_HELP + "\nSlash commands: /cocreate help")
        elif command in (":quit", ":q", ":exit"):
            self.done = True
        else:
            self.say(f"⚠️ Unknown or incomplete `{safe(text)}`. Type :help.")

    async def _reply(self, ref: str, text: str) -> None:
        """A reply in an idea's thread: the core hears that someone replied, not what."""
        try:
            number = parse_idea_number(ref)
        except GrammarError as err:
            self.say(f"⚠️ {err}")
            return
        thread = ThreadRef(self.channel, idea_message_id(number))
        known = await self.app.thread_activity(
            self.community,
            thread.thread_id,
            channel_id=self.channel,
            more_replies=1,
            joined=[self.actor.external_id],
        )
        if not known:
            self.say(f"⚠️ Idea #{number} has no thread in #{safe(self.channel)}; try :in CHANNEL.")
            return
        # Shown as every member's text is: mentions made inert (bot/text.py).
        text = display_inline(text, 1000)
        self.publisher.add_reply(thread, self.actor.display_name, text)
        self.say(f"[#{safe(self.channel)} › #{number} thread] {safe(self.actor.display_name)}: "
                 f"{safe(text)}")  # fmt: skip

    def _list_replies(self, ref: str) -> None:
        try:
            number = parse_idea_number(ref)
        except GrammarError:
            return
        for channel, who, text in self.publisher.replies(idea_message_id(number)):
            self.say(f"  💬 #{safe(channel)} · {safe(who)}: {safe(display_inline(text, 1000))}")

    async def _react(self, add: bool, args: list[str]) -> None:
        try:
            number = parse_idea_number(args[0])
        except GrammarError as err:
            self.say(f"⚠️ {err}")
            return
        emoji = args[1] if len(args) > 1 else self.publisher.vote_emoji.get(number, DEFAULT_EMOJI)
        event = ReactionEvent(
            community=self.community,
            channel_id=self.channel,
            message_id=idea_message_id(number),
            action=ReactionAction.ADD if add else ReactionAction.REMOVE,
            at=self.clock.now(),
            member=self.actor,
            emoji=emoji,
            event_id=f"console-{self.clock.now().timestamp()}-{next(self._events)}",
        )
        outcome = await self.app.handle_reaction(event)
        verb = "reacted" if add else "removed the reaction"
        hint = ""
        if outcome.effect == "ignored: not an idea post":
            hint = f" (idea #{number} has no post in #{safe(self.channel)}; try :in CHANNEL)"
        self.say(
            f"({safe(self.actor.display_name)} {verb} {emoji} on #{number}: {outcome.effect}{hint})"
        )


async def drive(
    app: Core,
    settings: Settings,
    publisher: ConsolePublisher,
    clock: SteerableClock,
    script: Path | None = None,
    lines: Iterable[str] | None = None,
) -> int:
    """Run the console on a started core: interactive with line editing and history on a
    terminal; the lines of `script`, of `lines` or of stdin otherwise.

    The exit status is non-zero only when an internal error happened.
    """
    session = ConsoleSession(app, settings, publisher, clock)
    if lines is None and (script is not None or not sys.stdin.isatty()):
        source = script.read_text(encoding="utf-8") if script else sys.stdin.read()
        lines = source.splitlines()
    if lines is not None:
        for text in lines:
            if session.done:
                break
            if text.strip() and not text.lstrip().startswith("#"):
                publisher.write(f"> {safe(text)}")
            await session.line(text)
    else:
        await _interactive(session, settings)
    return 1 if session.internal_errors else 0


#: Where the console keeps the time it reached (`:advance` moves it ahead of the system's),
#: so that the next run on the same data goes on from there instead of going back.
CLOCK_FILE = "console-clock.txt"


def keep_clock(data_dir: Path, clock: SteerableClock) -> None:
    """Keep the time a console clock reached, for the next run on this data."""
    if isinstance(clock, OffsetClock):
        (data_dir / CLOCK_FILE).write_text(clock.now().isoformat() + "\n", encoding="utf-8")


def resumed_clock(data_dir: Path) -> OffsetClock:
    """The console's clock, going on from the time the last run on this data reached."""
    saved_time = data_dir / CLOCK_FILE
    clock = OffsetClock()
    with contextlib.suppress(OSError, ValueError, TypeError):  # none kept, or unreadable
        clock.advance_to(datetime.fromisoformat(saved_time.read_text(encoding="utf-8").strip()))
    return clock


async def _interactive(session: ConsoleSession, settings: Settings) -> None:
    import readline

    history = settings.console_history_path
    history.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    session.say("Cocreate console. /cocreate help for commands, :help for console commands.")
    loop = asyncio.get_running_loop()
    try:
        while not session.done:
            try:
                text = await loop.run_in_executor(None, input, session.prompt)
            except EOFError:
                break
            await session.line(text)
    finally:
        readline.write_history_file(history)
