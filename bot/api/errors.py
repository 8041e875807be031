"""The REST API's errors: one JSON shape, `{"error": {"code": …, "message": …}}`."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web

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


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)
