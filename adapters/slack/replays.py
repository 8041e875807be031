"""A request that Slack signed once runs once.

A captured signed request can be replayed within the 5-minute signing window, and a
replayed slash command or button click would act again. Each request's keys, its
`trigger_id` and a hash of what was signed (timestamp and body), are recorded in the
database, so a replay is refused in this process or any other: a slash command's keys in
the command's own transaction (`Invocation.request_keys`), the others' by
`Cocreate.first_time` before they act.
"""

from __future__ import annotations

import hashlib
import logging

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.i18n import _
from bot.messages import Card
from bot.ports import Core

log = logging.getLogger("cocreate.slack")


def storage_down() -> Card:
    """What a person is told when the check could not be made."""
    return Card(
        _("Not done"),
        _(
            "Cocreate could not reach its database. Nothing was changed; please try again in "
            "a moment."
        ),
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_keys(trigger_id: str, timestamp: str, raw_body: str) -> list[str]:
    """The keys of one request: its trigger_id, and what was signed (over HTTP; a Socket
    Mode request has no signature)."""
    keys = []
    if trigger_id:
        keys.append("slack:trigger:" + _digest(trigger_id))
    if timestamp and raw_body:
        keys.append("slack:signed:" + _digest(f"{timestamp}:{raw_body}"))
    return keys


def keys_of(request: AsyncBoltRequest, trigger_id: str) -> list[str]:
    """The keys of a request, taken at once: work that waits keeps two short strings, not
    the request."""
    timestamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    return request_keys(trigger_id, timestamp, request.raw_body)


def ignored(what: str, seen: str) -> None:
    """Log a replay of `what`, found by its key `seen`."""
    log.info("%s replayed (same %s): ignored", what, seen.split(":")[1])


class ReplayGuard:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def first_time(self, keys: list[str], what: str) -> bool:
        """False for a replay, logged once. Raises `StorageUnavailable` when the database
        cannot tell (then nothing should run)."""
        seen = await self.core.first_time(*keys)
        if seen:
            ignored(what, seen)
            return False
        return True
