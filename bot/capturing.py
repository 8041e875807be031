"""Capturing a message by reacting to it (`capture.reaction`), for every platform.

Reacting with the configured emoji to a member's chat message does what "Submit as idea"
does when someone else captures it: `/idea capture` runs as the member who reacted, for
the message's author, with the message's text and a link back to it. The core then asks
the author by direct message (or submits at once when the reactor is the author); the
reactor's answer goes to them by direct message, since a reaction has nowhere to answer.
"""

from __future__ import annotations

import logging

from bot.conversations import DirectMessageClosed
from bot.emoji import normalize_emoji
from bot.messages import Actor, CommunityRef, Invocation, OptionValue
from bot.ports import Core, Publisher
from bot.text import message_as_idea

log = logging.getLogger("cocreate.capture")

#: The command a capture runs (the message menu's form and the shortcut's run it too).
CAPTURE = ("idea", "capture")


def capture_emoji(setting: str) -> str | None:
    """The configured emoji, or None when capturing by reaction is off."""
    text = setting.strip()
    return text or None


def is_capture_emoji(setting: str, emoji: str | None) -> bool:
    """Whether a reaction's emoji is the configured one (whatever its skin tone)."""
    wanted = capture_emoji(setting)
    if wanted is None or not emoji:
        return False
    return normalize_emoji(emoji) == normalize_emoji(wanted)


def capture_invocation(
    community: CommunityRef,
    channel_id: str,
    reactor: Actor,
    author: Actor,
    text: str,
    source: str,
    title_max: int,
) -> Invocation | None:
    """`/idea capture` for a reacted-to message, as the reactor; None for what is never
    offered: a bot's message, or one without text."""
    if author.is_bot or reactor.is_bot:
        return None
    given = message_as_idea(text, title_max)
    if not given:
        return None
    options: dict[str, OptionValue] = {**given, "author": author.external_id, "source": source}
    return Invocation(community, channel_id, reactor, CAPTURE, options, people=(author,))


async def offer(core: Core, publisher: Publisher | None, invocation: Invocation) -> None:
    """Run the capture, and send its answer to the reactor by direct message (dropped,
    and logged, when their direct messages are closed)."""
    reply = await core.handle_command(invocation)
    reactor = invocation.actor.external_id
    if publisher is None:
        log.info("a capture's answer for %s not sent: no publisher", reactor)
        return
    try:
        await publisher.direct_message(invocation.community, reactor, reply.card)
    except DirectMessageClosed as err:
        log.info("a capture's answer for %s dropped, direct messages closed: %s", reactor, err)
    except Exception as err:
        log.warning("a capture's answer for %s not sent: %s", reactor, type(err).__name__)
