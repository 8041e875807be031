"""The `Cocreate-Signature` header, in the style of Stripe's: `t=<unix seconds>,v1=<hex
HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>`. A receiver recomputes it, compares
in constant time, and refuses a timestamp too far from its own clock (replays).

An endpoint's secret is never stored: the database keeps a random salt, and the secret is
the HMAC of that salt under the operator's key (`COCREATE_WEBHOOKS__SECRET_KEY`, from the
environment only). A copy of the database, or a backup, signs nothing without the key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from bot.webhooks.ports import Endpoint

HEADER = "Cocreate-Signature"
#: where the operator's key comes from (`webhooks.secret_key`, from the environment only)
SECRET_KEY_ENV = "COCREATE_WEBHOOKS__SECRET_KEY"
#: Receivers should refuse signatures older (or newer) than this, in seconds.
TOLERANCE_S = 300


def new_salt() -> str:
    """What the database keeps of a new endpoint's secret (nothing secret by itself)."""
    return secrets.token_urlsafe(24)


def derived_secret(key: str, salt: str) -> str:
    """The signing secret of the endpoint with this salt, under the operator's key."""
    mac = hmac.new(key.encode(), b"cocreate webhook secret\0" + salt.encode(), hashlib.sha256)
    return "whsec_" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def secret_of(endpoint: Endpoint, key: str | None) -> str | None:
    """The endpoint's signing secret; None when it is derived and no key is set. An
    endpoint added before secrets were derived keeps the secret it was given."""
    if endpoint.stored_secret:
        return endpoint.stored_secret
    return derived_secret(key, endpoint.salt) if key and endpoint.salt else None


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
    expected = signature(secret, timestamp, body).encode()
    # As bytes: `compare_digest` raises on str with characters beyond ASCII.
    return any(hmac.compare_digest(expected, v.encode()) for v in parts.get("v1", []))
