"""The [http] server through a real HTTP client: liveness, readiness and the metrics of a
scripted challenge."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.messages import Actor, Invocation
from bot.web import WebServer
from storage.database import SqlDatabase
from tests.harness import Harness


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_health_readiness_and_the_metrics_of_a_challenge(database: SqlDatabase) -> None:
    h = Harness(database)
    await h.challenge()
    first = await h.submit("ana", "Mango chilli")
    second = await h.submit("ben", "Salted caramel")
    await h.refused("/challenge open nowhere")
    unknown = Invocation(h.community, "general", h.actor("ana"), ("no", "such", "command"))
    assert not (await h.app.handle_command(unknown)).ok
    assert (await h.react(first, "ben")).effect == "vote added"
    assert (await h.react(first, "cleo")).effect == "vote added"
    assert (await h.react(second, "ben")).effect == "ignored: self-vote"
    assert (await h.react(first, "cleo", add=False)).effect == "vote removed"
    receipt = h.publisher.idea_message(second)
    await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": [Actor("dan", "Dan")]}
    )
    discord_up = True

    async def discord() -> bool:
        return discord_up

    h.app.metrics.watch_pool(database.pool_status)
    checks = {"database": database.answers, "discord": discord}
    server = WebServer("127.0.0.1", 0, h.app.metrics, checks)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as alive:
                assert alive.status == 200 and await alive.text() == "ok"
            async with http.get(f"{base}/readyz") as ready:
                assert ready.status == 200
                assert await ready.json() == {"database": True, "discord": True}
            discord_up = False
            async with http.get(f"{base}/readyz") as ready:
                assert ready.status == 503
                assert await ready.json() == {"database": True, "discord": False}
            async with http.get(f"{base}/metrics") as scraped:
                assert scraped.status == 200
                assert scraped.headers["Content-Type"].startswith("text/plain; version=")
                samples = _samples(await scraped.text())
    finally:
        await server.stop()
        await h.close()

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("cocreate_reaction_events_total", effect="vote added") == 2
    assert value("cocreate_reaction_events_total", effect="vote removed") == 1
    assert value("cocreate_reaction_events_total", effect="ignored: self-vote") == 1
    assert value("cocreate_reaction_batch_size_count") == 4  # one event per batch here
    assert value("cocreate_reaction_batch_size_sum") == 4
    assert value("cocreate_reaction_batch_seconds_count") == 4
    assert value("cocreate_reconcile_runs_total") == 1
    assert value("cocreate_reconcile_changes_total", change="added") == 1
    assert value("cocreate_reconcile_changes_total", change="removed") == 0
    assert any(name == "cocreate_db_pool_connections" for name, _ in samples)
    assert value("cocreate_commands_total", command="/idea submit", outcome="ok") == 2
    assert value("cocreate_commands_total", command="/challenge open", outcome="ok") == 1
    assert value("cocreate_commands_total", command="/challenge open", outcome="refused") == 1
    assert value("cocreate_commands_total", command="unknown", outcome="refused") == 1
    assert value("cocreate_command_seconds_count", command="/idea submit") == 2
    sent = {
        labels: n
        for (name, labels), n in samples.items()
        if name == "cocreate_scheduled_posts_total"
    }
    assert sum(sent.values()) >= 3  # the opening and the two ideas, through the agenda
    assert all(dict(labels)["state"] == "sent" for labels in sent)


def test_cocreate_run_serves_health_without_any_platform(tmp_path: Path) -> None:
    """`cocreate run` with only [http] enabled: ready once the database answers, and a
    SIGTERM stops it cleanly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCREATE_")}
    env |= {"COCREATE_HTTP__ENABLED": "true", "COCREATE_HTTP__PORT": "0"}
    script = Path(sys.executable).parent / "cocreate"
    bot = subprocess.Popen(
        [str(script), "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert bot.stderr is not None
        port = None
        for line in bot.stderr:
            found = re.search(r"health and metrics on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port is not None, "the server never said where it listens"

        async def ask() -> tuple[int, int, str]:
            base = f"http://127.0.0.1:{port}"
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{base}/healthz") as alive,
                http.get(f"{base}/readyz") as ready,
            ):
                return alive.status, ready.status, await ready.text()

        alive, ready, body = asyncio.run(ask())
        assert (alive, ready) == (200, 200) and body == '{"database": true}'
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=30) == 0
