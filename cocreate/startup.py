"""Checks and waits before anything starts (missing secrets, a database not answering
yet), and what is done once everything has started."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StorageUnavailable
from bot.plugins import enabled_plugins, platform_plugins
from bot.settings import ConfigError, Settings, mask_url_password

log = logging.getLogger("cocreate.startup")

Sleep = Callable[[float], Awaitable[None]]


class DatabaseUnreachable(StorageUnavailable):
    """The database did not answer within `storage.connect_wait_seconds` at start.

    ``str(err)`` is one line naming the URL (password masked) and the last reason."""


@dataclass(frozen=True)
class Backoff:
    """Waits between tries of a database that does not answer: `first_s`, doubling, at most
    `max_s`. Tests pass their own `sleep` and `monotonic`."""

    first_s: float = 0.5
    max_s: float = 5.0
    sleep: Sleep = field(default=asyncio.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)


#: What `wait_for_database` uses when it is given no backoff (read at each call).
BACKOFF = Backoff()


def check_platforms(settings: Settings) -> None:
    """Raise one ConfigError naming every secret an enabled platform lacks, before anything
    starts (and one when nothing would run: no platform, and no [http] server)."""
    enabled = enabled_plugins(settings)
    if not enabled and not settings.http.enabled:
        names = " or ".join(f"{name}.enabled" for name in platform_plugins())
        raise ConfigError(f"no platform is enabled: set {names} (or run `cocreate console`)")
    problems = [problem for plugin in enabled for problem in plugin.problems(settings)]
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigError("; ".join(str(p).removeprefix("config error: ") for p in problems))


#: SQLSTATEs of a server that answered and refused us: wrong user or password (class 28),
#: no such database (3D000). Waiting changes nothing; the URL must.
_REFUSED = ("28", "3D000")


def _refused(err: BaseException) -> BaseException | None:
    todo: list[object] = [err]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_REFUSED):
            return item
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return None


def _reason(err: BaseException) -> str:
    """The innermost cause of `err`, in one short line."""
    while True:
        inner = getattr(err, "orig", None) or err.__cause__
        if not isinstance(inner, BaseException) or inner is err:
            break
        err = inner
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    words = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return words[:300]


async def wait_for_database(
    engine: AsyncEngine,
    attempt: Callable[[AsyncEngine], Awaitable[None]],
    wait_seconds: float,
    backoff: Backoff | None = None,
) -> None:
    """Run `attempt` (the first use of the database, e.g. the migration) until it succeeds.

    While the database does not answer (`storage.database.classify` says unavailable), try
    again with backoff for at most `wait_seconds`, logging one line per failure; then raise
    DatabaseUnreachable. A server that refuses the user, the password or the database name
    is a ConfigError on `storage.url`, at once. Any other error is raised as it is.
    """
    from storage.database import classify

    policy = backoff or BACKOFF
    url = mask_url_password(engine.url.render_as_string(hide_password=False))
    deadline = policy.monotonic() + wait_seconds
    delay = policy.first_s
    while True:
        try:
            await attempt(engine)
            return
        except Exception as err:
            refusal = _refused(err)
            if refusal is not None:
                raise ConfigError(
                    f"storage.url: database {url} refused the connection: {_reason(refusal)}",
                    key="storage.url",
                ) from None
            if classify(err) is not StorageUnavailable:
                raise
            reason = _reason(err)
        remaining = deadline - policy.monotonic()
        if remaining <= 0:
            raise DatabaseUnreachable(
                f"database {url} did not answer within {wait_seconds:g} s "
                f"(storage.connect_wait_seconds): {reason}"
            )
        pause = min(delay, remaining)
        log.warning("database %s does not answer (%s); trying again in %.1f s", url, reason, pause)
        await policy.sleep(pause)
        delay = min(delay * 2, policy.max_s)


def settle_heap() -> None:
    """Put what start-up made (modules, classes, settings, the command tree) out of the
    garbage collector's sight. A full collection looks at every object the collector
    tracks, and on a small machine one over the bot's start-up objects stops the event
    loop for 100-200 ms; every ack due meanwhile waits that long (it set the Discord ack
    p99 of `bench/discord_commands.py`). Frozen objects are never collected: start-up's
    live as long as the process, so nothing is kept that would otherwise be freed."""
    gc.collect()
    gc.freeze()
