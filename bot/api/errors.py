"""The REST API's errors: one JSON shape, `{"error": {"code": …, "message": …}}`."""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.errors import StorageUnavailable

log = logging.getLogger("cocreate.api")

#: What a 401 says about how to authenticate (RFC 6750).
REALM = 'Bearer realm="cocreate"'


class ApiError(Exception):
    """A request the API answers with a 4xx (or 503): `code` is stable, `message` is for
    the person reading it."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def unauthorized(message: str, *, invalid: bool) -> ApiError:
    challenge = REALM + (', error="invalid_token"' if invalid else "")
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": challenge})


def rate_limited(per_minute: int, wait_s: float) -> ApiError:
    seconds = max(math.ceil(wait_s), 1)
    return ApiError(
        429,
        "rate_limited",
        f"Too many requests with this token: up to {per_minute} a minute. "
        f"Try again in {seconds} s.",
        {"Retry-After": str(seconds)},
    )


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error of the API as JSON: ours, aiohttp's (404, 405), the database's (503) and
    the unexpected (500, with an id that the log line carries)."""
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err.status, err.code, err.message, err.headers)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        headers = {k: v for k, v in err.headers.items() if k.lower() == "allow"}
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status, "bad_request")
        return error_response(err.status, code, err.reason, headers)
    except StorageUnavailable:
        log.warning("API request %s not answered: the database is not answering", request.path)
        return error_response(
            503, "unavailable", "Cocreate can't reach its database; try again in a minute."
        )
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        log.exception("error %s in API %s", error_id, request.path, extra={"error_id": error_id})
        return error_response(500, "internal", f"Something went wrong; error id {error_id}.")
