"""Retries for REST calls: time-outs and server errors, with exponential backoff.

discord.py already waits out 429s (using `retry_after`) and retries 500, 502, 504 and
524 a few times. It has no time-out of its own worth the name (aiohttp's five minutes)
and gives up at once on a 503. `retrying` adds both: every attempt has a deadline, and
a time-out, a connection error or any 5xx is tried again after a growing, jittered
delay. Only idempotent calls are retried: message creation carries a nonce that
Discord enforces, so a retried post never appears twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
import discord

log = logging.getLogger("cocreate.discord")

T = TypeVar("T")

#: Discord's JSON error codes that the adapter handles by name.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    #: deadline of one attempt, seconds
    timeout: float = 15.0
    base_delay: float = 0.5
    max_delay: float = 10.0
    #: told of each retry (for /metrics)
    on_retry: Callable[[], object] | None = field(default=None, compare=False)

    def delay(self, attempt: int) -> float:
        """Backoff before attempt `attempt + 1`: doubling, capped, with jitter."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return raw * (0.5 + random.random() / 2)


def is_transient(err: BaseException) -> bool:
    if isinstance(err, discord.HTTPException):
        return err.status >= 500
    return isinstance(err, TimeoutError | aiohttp.ClientError | ConnectionError)


def is_gone(err: BaseException) -> bool:
    """A 404 for a message or a channel that was deleted."""
    return isinstance(err, discord.NotFound) and err.code in (UNKNOWN_MESSAGE, UNKNOWN_CHANNEL)


async def retrying(
    call: Callable[[], Awaitable[T]], *, what: str, policy: RetryPolicy = RetryPolicy()
) -> T:
    """Run `call` until it succeeds, retrying transient failures with backoff."""
    attempt = 1
    while True:
        try:
            async with asyncio.timeout(policy.timeout):
                return await call()
        except Exception as err:
            if attempt >= policy.attempts or not is_transient(err):
                raise
            delay = policy.delay(attempt)
            if policy.on_retry is not None:
                policy.on_retry()
            log.warning(
                "%s failed (%s); attempt %d of %d in %.2f s",
                what,
                describe(err),
                attempt + 1,
                policy.attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1


def describe(err: BaseException) -> str:
    if isinstance(err, discord.HTTPException):
        return f"HTTP {err.status} code {err.code}: {err.text or type(err).__name__}"
    if isinstance(err, TimeoutError):
        return "timed out"
    return f"{type(err).__name__}: {err}"
