"""How often one token may ask: a token bucket per API token, in this process.

A bucket holds up to `per_minute` requests and refills at `per_minute` a minute, so a
tool may send that many at once and then keep to the pace. Every API request is a
transaction on the database the votes are written to: a tool polling in a loop must
not take the votes' turn. Each process keeps its own buckets (behind a load balancer
the limit is per process)."""

from __future__ import annotations

from datetime import datetime

from bot.ports import Clock

#: Buckets kept before the full ones (idle long enough to have refilled) are let go.
KEEP = 10_000


class RateLimit:
    def __init__(self, per_minute: int, clock: Clock) -> None:
        self.per_minute = per_minute
        self._per_second = per_minute / 60
        self._clock = clock
        #: key -> (requests left, when that was so)
        self._buckets: dict[str, tuple[float, datetime]] = {}

    def wait(self, key: str) -> float:
        """0 when a request of `key` may go now (and it is counted); else the seconds
        until it may."""
        now = self._clock.now()
        left = self._left(key, now)
        if left >= 1:
            self._buckets[key] = (left - 1, now)
            if len(self._buckets) > KEEP:
                self._let_go_of_full(now)
            return 0.0
        self._buckets[key] = (left, now)
        return (1 - left) / self._per_second

    def _left(self, key: str, now: datetime) -> float:
        if key not in self._buckets:
            return float(self.per_minute)
        left, then = self._buckets[key]
        elapsed = max((now - then).total_seconds(), 0.0)
        return min(float(self.per_minute), left + elapsed * self._per_second)

    def _let_go_of_full(self, now: datetime) -> None:
        full = [k for k in self._buckets if self._left(k, now) >= self.per_minute]
        for key in full:
            del self._buckets[key]
