"""The delivery worker: sends due deliveries from the outbox, signed, and records each try.

Every process may run one. Deliveries are claimed in the database with a lease (on
PostgreSQL with `FOR UPDATE SKIP LOCKED`), so each is sent by one process at a time; a
process that dies mid-send leaves a claim that runs out, and the delivery is sent again
(the receiver dedupes on the event's `id`). A failure is retried with exponential backoff
(`retry_base_seconds`, doubling up to `retry_max_seconds`), across restarts, since its
state is in the table, until `give_up_hours` after the event. An endpoint whose last
`failure_limit` deliveries all failed, the first of them `failure_hours` ago or more, is
disabled, and the moderators' channel is told once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import aiohttp

from bot import i18n
from bot.errors import failure
from bot.i18n import N_, _, n_
from bot.messages import MODERATORS, Card, Post, PostKind
from bot.metrics import Metrics
from bot.ports import Clock, Database, Publisher, Store
from bot.render import when
from bot.settings import WebhooksSettings
from bot.tasks import backoff_seconds, claimant
from bot.text import display_inline
from bot.webhooks import addresses
from bot.webhooks.ports import OUTBOX, Delivery, Endpoint
from bot.webhooks.signing import HEADER, SECRET_KEY_ENV, header, secret_of

log = logging.getLogger(__name__)

#: Deliveries claimed and sent together.
BATCH = 10
#: Beyond the time-out, how long a claim outlives its process.
LEASE_MARGIN = timedelta(seconds=60)
USER_AGENT = "Cocreate-Webhooks/1"
#: Bytes of an endpoint's answer that are read (and dropped); the status is what counts.
ANSWER_READ = 64 * 1024


def backoff(settings: WebhooksSettings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try."""
    return timedelta(
        seconds=backoff_seconds(attempts, settings.retry_base_seconds, settings.retry_max_seconds)
    )


def disabled_reason(endpoint: Endpoint) -> str:
    """Why an endpoint was disabled, for people, in the language in force (the stored
    reason, in English, is what the operators' log and the database keep)."""
    since = endpoint.failing_since
    if endpoint.failures and since is not None:
        return n_(
            "{n} delivery in a row failed since {since}",
            "{n} deliveries in a row failed since {since}",
            endpoint.failures,
            since=when(since, "UTC"),
        )
    return _("it kept failing")


#: The reasons a try failed that this worker writes (in English, into the delivery's row),
#: as people read them: (the stored form, its message).
_ERRORS = (
    (re.compile(r"no answer within (?P<seconds>\S+) s"), N_("no answer within {seconds} s")),
    (
        re.compile(r"(?P<address>\S+) is not a public address"),
        N_("{address} is not a public address"),
    ),
    (
        re.compile(r"(?P<host>\S+) now points to (?P<address>\S+), not a public address"),
        N_("{host} now points to {address}, not a public address"),
    ),
    (
        re.compile(r"The host `(?P<host>[^`]*)` can't be found \((?P<error>.*)\)\."),
        N_("The host `{host}` can't be found ({error})."),
    ),
    (
        re.compile(r"The host `(?P<host>[^`]*)` has no address\."),
        N_("The host `{host}` has no address."),
    ),
)


def error_text(error: str) -> str:
    """Why a try failed, in the language in force: the worker's own reasons are translated;
    an endpoint's answer (`HTTP 500`) and a system's error stay as they were."""
    for pattern, message in _ERRORS:
        found = pattern.fullmatch(error)
        if found is not None:
            return _(message, **found.groupdict())
    return _(error) if error else error  # a message of bot.webhooks.addresses


class WebhookDelivery:
    name = "webhooks"

    def __init__(
        self,
        db: Database,
        settings: WebhooksSettings,
        clock: Clock,
        publishers: Mapping[str, Publisher],
        metrics: Metrics,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        #: the signature's timestamp: receivers compare it with their own (real) clock, so it
        #: is the wall clock's even when the bot's runs ahead (the console's `:advance`)
        self.wall = wall
        self.settings = settings
        self.clock = clock
        self.publishers = publishers
        self.metrics = metrics
        self.instance = claimant()
        self._session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        #: the outbox signal's count when the worker last looked
        self._looked_at = -1
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Deliver in the background (when webhooks are enabled)."""
        if self.settings.enabled and self._task is None:
            self._stopped = False
            self._task = asyncio.create_task(self._serve(), name="cocreate-webhooks")

    async def stop(self) -> None:
        """Stop after the deliveries under way; what is left waits in the outbox."""
        self._stopped = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def wake(self) -> None:
        """After a commit: look now, if this process made deliveries due since the last
        look (the outbox signal moved); otherwise the poll will do."""
        if OUTBOX.count != self._looked_at:
            self._wake.set()

    async def _serve(self) -> None:
        poll = timedelta(seconds=self.settings.poll_seconds)
        while not self._stopped:
            self._wake.clear()
            self._looked_at = OUTBOX.count
            wait = poll
            try:
                await self.deliver_due()
                due = await self.next_due()
                if due is not None:
                    wait = min(poll, max(timedelta(0), due - self.clock.now()))
            except Exception as err:
                log.warning("webhook deliveries failed to run: %s: %s", type(err).__name__, err)
            if self._stopped:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait.total_seconds())

    # -- delivering ----------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        async with self.db.transaction() as store:
            return await store.webhooks.next_due(self.clock.now())

    async def deliver_due(self) -> int:
        """Send every delivery due now, a batch at a time; returns how many were tried.
        Then tell the moderators about endpoints disabled and not told yet."""
        tried = 0
        while not self._stopped:
            now = self.clock.now()
            lease = now + timedelta(seconds=self.settings.timeout_seconds) + LEASE_MARGIN
            async with self.db.transaction() as store:
                batch = await store.webhooks.claim_due(now, self.instance, lease, BATCH)
                endpoints = await store.webhooks.endpoints_by_ids({d.endpoint_id for d in batch})
            if not batch:
                break
            await asyncio.gather(
                *(
                    self._deliver(d, endpoints[d.endpoint_id])
                    for d in batch
                    if d.endpoint_id in endpoints
                )
            )
            tried += len(batch)
        await self._tell_moderators()
        return tried

    async def _deliver(self, delivery: Delivery, endpoint: Endpoint) -> None:
        status, error = await self._post(delivery, endpoint)
        now = self.clock.now()
        if error is None and status is not None:
            async with self.db.transaction() as store:
                await store.webhooks.delivered(delivery.id, endpoint.id, status, now)
            self.metrics.webhook_deliveries.labels(delivery.event_type, "delivered").inc()
            return
        why = error or f"HTTP {status}"
        attempts = delivery.attempts + 1
        gave_up = now - delivery.created_at >= timedelta(hours=self.settings.give_up_hours)
        retry_at = None if gave_up else now + backoff(self.settings, attempts)
        async with self.db.transaction() as store:
            counted = await store.webhooks.delivery_failed(
                delivery.id,
                endpoint.id,
                status=status,
                error=why,
                now=now,
                next_attempt_at=retry_at,
            )
            disabled = counted is not None and await self._disable_if_failing(store, counted, now)
        outcome = "failed" if gave_up else "retry"
        self.metrics.webhook_deliveries.labels(delivery.event_type, outcome).inc()
        log.warning(
            "webhook delivery %d (%s) to endpoint %d failed (attempt %d): %s; %s",
            delivery.id,
            delivery.event_type,
            endpoint.id,
            attempts,
            why,
            "given up" if retry_at is None else f"next try at {retry_at.isoformat()}",
        )
        if disabled and counted is not None:
            log.warning(
                "webhook endpoint %d disabled after %d failed deliveries in a row",
                endpoint.id,
                counted.failures,
            )

    async def _disable_if_failing(self, store: Store, endpoint: Endpoint, now: datetime) -> bool:
        since = endpoint.failing_since
        long_enough = since is not None and now - since >= timedelta(
            hours=self.settings.failure_hours
        )
        if endpoint.failures < self.settings.failure_limit or not long_enough:
            return False
        assert since is not None
        reason = f"{endpoint.failures} deliveries in a row failed since {when(since, 'UTC')}"
        return await store.webhooks.disable_endpoint(endpoint.id, reason, now)

    async def _post(self, delivery: Delivery, endpoint: Endpoint) -> tuple[int | None, str | None]:
        """(status, None) on a 2xx answer; (status or None, why) otherwise."""
        allow_private = self.settings.allow_private
        key = self.settings.secret_key
        secret = secret_of(endpoint, key.get_secret_value() if key else None)
        if secret is None:
            return None, f"nothing to sign with: {SECRET_KEY_ENV} is not set"
        body = delivery.body.encode()
        timestamp = int(self.wall())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER: header(secret, timestamp, body),
            "Cocreate-Event": delivery.event_type,
            "Cocreate-Delivery": str(delivery.id),
        }
        try:
            url, host, _port = addresses.parse(endpoint.url, allow_private=allow_private)
            ip = addresses.literal(host)
            if not allow_private and ip is not None and not addresses.public(ip):
                return None, f"{ip} is not a public address"
            timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False, timeout=timeout
            ) as response:
                await response.content.read(ANSWER_READ)  # never a whole large answer
                ok = 200 <= response.status < 300
                return response.status, None if ok else f"HTTP {response.status}"
        except addresses.AddressRefused as err:
            return None, err.message
        except aiohttp.ClientConnectorError as err:
            if isinstance(err.os_error, addresses.NotPublic):
                return None, str(err.os_error.strerror)
            return None, failure(err, 300)
        except TimeoutError:
            return None, f"no answer within {self.settings.timeout_seconds:g} s"
        except (aiohttp.ClientError, OSError) as err:
            return None, failure(err, 300)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = (
                aiohttp.TCPConnector()
                if self.settings.allow_private
                else aiohttp.TCPConnector(resolver=addresses.PublicResolver())
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    # -- telling the moderators ----------------------------------------------------

    async def _tell_moderators(self) -> None:
        """A notice in the moderators' channel for each endpoint disabled and not told yet
        (claimed first, so that one process tells; put back if it could not be sent)."""
        async with self.db.transaction() as store:
            waiting = await store.webhooks.unnotified_disabled()
        for endpoint in waiting:
            now = self.clock.now()
            async with self.db.transaction() as store:
                if not await store.webhooks.claim_notice(endpoint.id, now):
                    continue
                community = await store.community_by_id(endpoint.community_id)
            # A post in the moderators' channel: in the community's language.
            with i18n.speaking(community.locale):
                card = Card(
                    _("⚠️ Webhook {number} is disabled", number=endpoint.id),
                    # TRANSLATORS: {reason} is why, such as "5 deliveries in a row failed
                    # since …"; the commands stay as they are.
                    _(
                        "Cocreate stopped sending events to {url}: {reason}.\n"
                        "`/mod webhook log {number}` shows the answers; "
                        "`/mod webhook enable {number}` sends again what waits.",
                        url=display_inline(endpoint.url, 120),
                        reason=disabled_reason(endpoint),
                        number=endpoint.id,
                    ),
                )
            publisher = self.publishers.get(community.platform)
            try:
                if publisher is None:
                    raise LookupError(f"no publisher for {community.platform}")
                ref = community.ref
                await publisher.publish(ref, Post(MODERATORS, PostKind.NOTICE, card))
            except Exception as err:
                log.warning("could not tell the moderators that webhook %d is disabled: %s",
                            endpoint.id, err)  # fmt: skip
                async with self.db.transaction() as store:
                    await store.webhooks.release_notice(endpoint.id)
