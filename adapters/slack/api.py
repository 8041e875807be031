"""Web API clients: one shared aiohttp session, our base URL, and retries for the faults
Slack documents (`ratelimited` with Retry-After, 5xx, timeouts and connection resets)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from yarl import URL

from adapters.slack.config import Sleep, Tuning
from adapters.slack.translate import PLATFORM
from bot.api_calls import api_trace
from bot.metrics import Metrics


def slack_method(method: str, url: URL) -> str:
    """A call's label for the metrics: `chat.postMessage`; a response_url is `response_url`."""
    path = url.path
    return path.rsplit("/", 1)[-1] if "/api/" in path else "response_url"


log = logging.getLogger("cocreate.slack")

#: slack_sdk formats a debug line with every request and response (the bodies of
#: oauth.v2.access included) whenever its logger's own level is DEBUG or unset. Ours is
#: pinned at INFO: no tokens in the log, and no formatting cost per call.
sdk_log = logging.getLogger("cocreate.slack.sdk")
sdk_log.setLevel(logging.INFO)

SERVER_ERRORS = frozenset({500, 502, 503, 504})


def _method(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1]


class RateLimitRetry(AsyncRetryHandler):
    """HTTP 429 (`ratelimited`): wait exactly what Retry-After says, then try again."""

    def __init__(
        self, max_retry_count: int, max_wait_s: float, sleep: Sleep, metrics: Metrics
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s
        self.sleep = sleep
        self.metrics = metrics

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = 1.0
        for name, values in (response.headers if response else {}).items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    wait = float(values[0])
        wait = min(max(wait, 0.0), self.max_wait_s)
        log.warning("%s was rate limited: waiting %.1f s (Retry-After)", _method(request), wait)
        self.metrics.api_retries.labels(PLATFORM, _method(request)).inc()
        state.next_attempt_requested = True
        await self.sleep(wait)
        state.increment_current_attempt()


class _Backoff(AsyncRetryHandler):
    def __init__(
        self, max_retry_count: int, backoff_s: float, sleep: Sleep, metrics: Metrics
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.metrics = metrics

    def describe(self, response: HttpResponse | None, error: Exception | None) -> str:
        if response is not None:
            return f"HTTP {response.status_code}"
        return type(error).__name__ if error else "error"

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = self.backoff_s * (2**state.current_attempt)
        log.warning(
            "%s failed (%s): retry %d in %.2f s",
            _method(request),
            self.describe(response, error),
            state.current_attempt + 1,
            wait,
        )
        self.metrics.api_retries.labels(PLATFORM, _method(request)).inc()
        state.next_attempt_requested = True
        await self.sleep(wait)
        state.increment_current_attempt()


class ServerErrorRetry(_Backoff):
    """5xx from Slack: retried with exponential backoff."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in SERVER_ERRORS


class ConnectionRetry(_Backoff):
    """Timeouts, refused or reset connections: retried with exponential backoff."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return isinstance(error, aiohttp.ClientConnectionError | asyncio.TimeoutError)


def retry_handlers(tuning: Tuning, metrics: Metrics) -> list[AsyncRetryHandler]:
    return [
        RateLimitRetry(tuning.rate_limit_retries, tuning.max_retry_after_s, tuning.sleep, metrics),
        ServerErrorRetry(tuning.server_error_retries, tuning.backoff_s, tuning.sleep, metrics),
        ConnectionRetry(tuning.connection_retries, tuning.backoff_s, tuning.sleep, metrics),
    ]


class SlackApi:
    """Makes Web API and response_url clients that share one session and the retries."""

    def __init__(self, base_url: str, tuning: Tuning, metrics: Metrics | None = None) -> None:
        self.base_url = base_url
        self.tuning = tuning
        self.metrics = metrics or Metrics()
        self.handlers = retry_handlers(tuning, self.metrics)
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str | None, AsyncWebClient] = {}
        self._closed = False

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the Slack adapter is stopped")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.tuning.http_timeout_s),
                connector=aiohttp.TCPConnector(limit=100),
                trace_configs=[api_trace(self.metrics, PLATFORM, slack_method)],
            )
        return self._session

    def client(self, token: str | None = None) -> AsyncWebClient:
        """A client for this token (kept, so its settings are built once)."""
        found = self._clients.get(token)
        if found is None or found.session is not self.session:
            found = AsyncWebClient(
                token=token,
                base_url=self.base_url,
                timeout=int(max(1, self.tuning.http_timeout_s)),
                session=self.session,
                logger=sdk_log,
                retry_handlers=list(self.handlers),
            )
            self._clients[token] = found
        return found

    def webhook(self, url: str) -> AsyncWebhookClient:
        """A client for a `response_url`."""
        return AsyncWebhookClient(
            url,
            timeout=int(max(1, self.tuning.http_timeout_s)),
            session=self.session,
            logger=sdk_log,
            retry_handlers=list(self.handlers),
        )

    async def respond(self, url: str, payload: dict[str, Any]) -> bool:
        """Post to a response_url; False (logged) when Slack refused it."""
        try:
            response = await self.webhook(url).send_dict(payload)
        except Exception as err:
            log.warning("could not answer through response_url: %s", type(err).__name__)
            return False
        if response.status_code != 200:
            log.warning("response_url answered HTTP %s: %s", response.status_code, response.body)
            return False
        return True

    async def close(self) -> None:
        self._closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._clients.clear()
