"""Calls to a platform's API, counted by method and status through aiohttp's request
tracing: the Slack adapter's session and discord.py's (`http_trace`) both take it."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from bot.metrics import Metrics

#: (HTTP method, URL) -> the method label, free of ids and tokens
Naming = Callable[[str, URL], str]

#: A path segment that names one thing (a snowflake, a token): not part of a label.
_VARIABLE = re.compile(r"/(?:\d+|[A-Za-z0-9_\-.]{25,})(?=/|$)")


def slack_method(method: str, url: URL) -> str:
    """`chat.postMessage`; a response_url is `response_url`."""
    path = url.path
    return path.rsplit("/", 1)[-1] if "/api/" in path else "response_url"


def discord_route(method: str, url: URL) -> str:
    """`POST /channels/{id}/messages`, without the API version and any id or token."""
    path = re.sub(r"^/api(?:/v\d+)?", "", url.path)
    return f"{method} {_VARIABLE.sub('/{id}', path)}"


def api_trace(metrics: Metrics, platform: str, naming: Naming) -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()

    async def ended(_: Any, __: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        label = naming(params.method, params.url)
        metrics.api_calls.labels(platform, label, str(params.response.status)).inc()

    async def failed(
        _: Any, __: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        metrics.api_calls.labels(platform, naming(params.method, params.url), "error").inc()

    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace
