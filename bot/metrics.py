"""What Prometheus scrapes at /metrics: the process's own registry, so that each app (and
each test) counts on its own.

The core and the adapters count what happens through one `Metrics`; the database pool is
read when scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

#: Seconds: from a fast ack to a slow command.
LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "cocreate_commands",
            "Commands handled, by name and outcome.",
            ["command", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "cocreate_command_seconds",
            "Time to handle a command.",
            ["command"],
            buckets=LATENCY,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "cocreate_ack_seconds",
            "Time from a request's arrival to its ack, per platform.",
            ["platform"],
            buckets=LATENCY,
            registry=r,
        )
        self.reaction_events = Counter(
            "cocreate_reaction_events",
            "Reaction events, by what they did.",
            ["effect"],
            registry=r,
        )
        self.batch_size = Histogram(
            "cocreate_reaction_batch_size",
            "Reaction events per group commit.",
            buckets=BATCH,
            registry=r,
        )
        self.batch_seconds = Histogram(
            "cocreate_reaction_batch_seconds",
            "Time to apply and commit a batch of reactions.",
            buckets=LATENCY,
            registry=r,
        )
        self.posts = Counter(
            "cocreate_scheduled_posts",
            "Scheduled posts, by kind and the state they reached.",
            ["kind", "state"],
            registry=r,
        )
        self.followups = Counter(
            "cocreate_followups",
            "Work owed to a platform after a change (a badge to tell, posts to show again), "
            "by kind and outcome: done, retry, given up.",
            ["kind", "outcome"],
            registry=r,
        )
        self.api_calls = Counter(
            "cocreate_platform_api_calls",
            "Calls to a platform's API, by method and status.",
            ["platform", "method", "status"],
            registry=r,
        )
        self.api_retries = Counter(
            "cocreate_platform_api_retries",
            "Platform API calls tried again (429 included).",
            ["platform", "method"],
            registry=r,
        )
        self.reconcile_runs = Counter(
            "cocreate_reconcile_runs",
            "Idea posts read back from their platform.",
            registry=r,
        )
        self.reconcile_changes = Counter(
            "cocreate_reconcile_changes",
            "Reactions a read-back added or removed.",
            ["change"],
            registry=r,
        )

        self.webhook_deliveries = Counter(
            "cocreate_webhook_deliveries",
            "Webhook delivery attempts, by event type and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.notices = Counter(
            "cocreate_notices",
            "Notices to followers, by kind and how they went (dm, thread, retry, failed).",
            ["kind", "outcome"],
            registry=r,
        )

    def watch_pool(self, pool_status: Callable[[], dict[str, int]]) -> None:
        """Report the database pool's figures (read at each scrape)."""
        self.registry.register(_Pool(pool_status))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Pool(Collector):
    def __init__(self, status: Callable[[], dict[str, int]]) -> None:
        self.status = status

    def collect(self) -> Iterator[Any]:
        family = GaugeMetricFamily(
            "cocreate_db_pool_connections",
            "Database pool connections, by state.",
            labels=["state"],
        )
        for state, n in self.status().items():
            family.add_metric([state], n)
        yield family
