"""Calls to a platform's API, counted by method and status through aiohttp's request
tracing: an adapter passes the trace to its HTTP session (discord.py's `http_trace`) and
names its calls (`Naming`) free of ids and tokens."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL

from bot.metrics import Metrics

#: (HTTP method, URL) -> the method label, free of ids and tokens
Naming = Callable[[str, URL], str]


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
