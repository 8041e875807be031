"""schemathesis against the REST API's own OpenAPI document, served on loopback over a
scripted community (an open challenge with votes and an anonymous idea, a sealed one, a
draft, another community's challenge): every operation with generated valid and invalid
requests, each answer checked against the document (status codes, content types,
headers, bodies), never a 5xx. Derandomized and few examples: seconds, the same run each
time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from storage.database import SqlDatabase
from tests.harness import Harness
from tests.test_api import api_settings, make_token, scripted, serving

EXAMPLES = 10


def _fuzz(base: str, token: str, ids: list[int]) -> list[str]:
    """Run every operation of the document; returns what was run (label and mode)."""
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    auth = {"Authorization": f"Bearer {token}"}
    ran: list[str] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append((mode, "any id", operation.as_strategy(generation_mode=mode)))
            if "{challenge_id}" in operation.path:
                # Real challenges too; a made-up id is a 404. Invalid data needs only one.
                for challenge_id in ids if mode is GenerationMode.POSITIVE else ids[:1]:
                    strategies.append(
                        (
                            mode,
                            f"challenge {challenge_id}",
                            operation.as_strategy(
                                generation_mode=mode,
                                path_parameters={"challenge_id": challenge_id},
                            ),
                        )
                    )
        for mode, what, strategy in strategies:
            # A made-up cursor is well formed for the document but belongs to no listing:
            # a 400 is the right answer, so the positive runs leave cursors to the
            # pagination tests (the negative runs still send malformed ones).
            if mode is GenerationMode.POSITIVE:
                strategy = strategy.filter(_without_cursor)
            _run(
                strategy,
                lambda case: case.call_and_validate(
                    base_url=f"{base}/api", headers=auth, session=session
                ),
            )
            ran.append(f"{operation.label} {mode.value} {what}")
    return ran


def _without_cursor(case: Case) -> bool:
    return "cursor" not in (case.query or {})


def _run(strategy: st.SearchStrategy[Case], check: Callable[[Case], Any]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        check(case)

    run()


async def test_the_api_keeps_to_its_openapi_document(sqlite_database: SqlDatabase) -> None:
    h = Harness(sqlite_database, api_settings())
    ids = await scripted(h)
    token = await make_token(h)
    async with serving(h) as base:
        # schemathesis speaks requests (blocking): it runs in a thread while this loop serves.
        ran = await asyncio.to_thread(
            _fuzz, base, token, [ids.flavour, ids.secret, ids.draft, ids.elsewhere]
        )
    labels = {r.split(" ")[1] for r in ran}
    assert labels == {
        "/v1/challenges",
        "/v1/challenges/{challenge_id}",
        "/v1/challenges/{challenge_id}/ideas",
        "/v1/challenges/{challenge_id}/standings",
        "/v1/challenges/{challenge_id}/export",
        "/v1/leaderboard",
    }
    await h.close()
