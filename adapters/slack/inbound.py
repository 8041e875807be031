"""Cheap checks on a raw HTTP request before bolt reads it: its size, the signing headers'
form, the body's encoding, nesting and shape; then the payload, parsed once.

Bolt parses the body before it checks the signature, with no guard: bad JSON, a deeply
nested body (Python's json raises RecursionError) or a field of the wrong type was a 500
and a traceback. Each is refused here with a 4xx and a reason instead. Whether the
signature is right stays bolt's to decide (401).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from adapters.slack.shapes import mismatch

#: Slack's payloads are a few kilobytes; the largest (a modal's state) far below this.
MAX_BODY_BYTES = 1024 * 1024
#: Slack's payloads nest about a dozen levels (rich text inside blocks inside a view).
MAX_DEPTH = 64

TIMESTAMP = "X-Slack-Request-Timestamp"
SIGNATURE = "X-Slack-Signature"
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_SSL_CHECK = re.compile(rb"(?:^|&)ssl_check=1(?:&|$)")
#: JSON strings (escapes included) and brackets: what the nesting scan steps over
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class Refused(Exception):
    """The request is refused with this HTTP status; `reason` says why, in one line."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_size(content_length: int | None) -> None:
    if content_length is not None and content_length > MAX_BODY_BYTES:
        raise Refused(413, f"body of {content_length} bytes, more than {MAX_BODY_BYTES}")


def check_headers(headers: Mapping[str, str], raw: bytes = b"") -> None:
    """The signing headers are there and well formed (bolt would raise on a timestamp that
    is not a number, and on a signature that is not ASCII). Slack's `ssl_check` may come
    unsigned: bolt answers it before checking signatures."""
    timestamp, signature = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(400, f"{TIMESTAMP} is not a number")
    if timestamp is None and signature is None and _SSL_CHECK.search(raw):
        return
    if timestamp is None or signature is None:
        missing = TIMESTAMP if timestamp is None else SIGNATURE
        raise Refused(401, f"unsigned: no {missing} header")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, f"{SIGNATURE} is malformed")


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None


def _fields(body: str, content_type: str | None) -> tuple[str | None, dict[str, str]]:
    """The JSON in this body (the body itself, or its `payload=` form field for
    interactivity), else its plain form fields (a slash command): each body parsed once."""
    if not body:
        return None, {}
    if content_type == "application/json" or body.startswith("{"):
        return body, {}
    fields = dict(parse_qsl(body, keep_blank_values=True))
    return fields.get("payload"), fields


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, found without parsing."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in ("]", "}"):
            depth -= 1
    return False


def parse(body: str, content_type: str | None) -> dict[str, Any]:
    """The payload, or Refused when bolt or our listeners could not take it."""
    text, fields = _fields(body, content_type)
    payload: Any = fields
    if text is not None:
        if too_deep(text):
            raise Refused(400, f"JSON nested more than {MAX_DEPTH} levels deep")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            what = "body" if text is body else "payload field"
            raise Refused(400, f"{what} is not valid JSON") from None
    problem = mismatch(payload)
    if problem:
        raise Refused(400, problem)
    assert isinstance(payload, dict)
    return payload


def screen(headers: Mapping[str, str], raw: bytes) -> tuple[str, dict[str, Any]]:
    """The body as text (what was signed) and its payload, once the request passed every
    check here."""
    check_size(len(raw))
    check_headers(headers, raw)
    body = decode(raw)
    # The media type as bolt reads it.
    content_type = headers.get("Content-Type", "").split(";")[0] or None
    return body, parse(body, content_type)
