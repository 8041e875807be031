"""The `Cocreate-Signature` header, in the style of Stripe's: `t=<unix seconds>,v1=<hex
HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>`. A receiver recomputes it, compares
in constant time, and refuses a timestamp too far from its own clock (replays)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Cocreate-Signature"
#: Receivers should refuse signatures older (or newer) than this, in seconds.
TOLERANCE_S = 300


def new_secret() -> str:
    """A signing secret, shown once to the moderator who adds the endpoint."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, value: str, body: bytes, now: float, tolerance: float = TOLERANCE_S
) -> bool:
    """What a receiver does: a `v1` signature of this body, at a time close to `now`."""
    parts: dict[str, list[str]] = {}
    for item in value.split(","):
        name, _, text = item.strip().partition("=")
        parts.setdefault(name, []).append(text)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
