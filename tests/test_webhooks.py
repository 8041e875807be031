"""Webhooks end to end: moderators register a loopback receiver that checks every
signature; a scripted challenge's events reach it once each; failures are retried with
backoff, across a restart; a run of failures disables the endpoint and the moderators are
told once; private addresses are refused unless allowed."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from bot.commands import webhooks as webhook_commands
from bot.messages import MODERATORS
from bot.settings import Settings, load_settings
from bot.webhooks import addresses, events
from bot.webhooks.delivery import backoff
from bot.webhooks.ports import NewDelivery
from bot.webhooks.signing import HEADER, derived_secret, header, verify
from storage.database import SqlDatabase
from storage.schema import webhook_endpoints
from tests.conftest import sqlite_database_at
from tests.harness import Harness
from tests.webhook_receiver import Receiver, receiver

WEEKS = "submissions_close:7d voting_close:14d"


#: the operator's key that the endpoints' secrets are derived from
KEY = "the operator's webhook key"


def webhook_settings(**values: object) -> Settings:
    env = {"COCREATE_WEBHOOKS__ALLOW_PRIVATE": "true", "COCREATE_WEBHOOKS__SECRET_KEY": KEY}
    env.update({f"COCREATE_WEBHOOKS__{k.upper()}": str(v).lower() for k, v in values.items()})
    return load_settings(environ=env)


def public_only() -> Settings:
    """As a real deployment runs: private addresses refused."""
    return webhook_settings(allow_private=False)


@pytest_asyncio.fixture
async def hook(new_harness: Callable[..., Harness]) -> AsyncIterator[tuple[Harness, Receiver]]:
    h = new_harness(webhook_settings())
    async with receiver() as got:
        yield h, got


async def add_endpoint(h: Harness, got: Receiver, events_text: str = "") -> int:
    reply = await h.ok(f"/mod webhook add {got.url} {events_text}".strip())
    secret = re.search(r"`(whsec_[^`]+)`", reply.card.body)
    assert secret is not None, reply.card.body
    got.secret = secret.group(1)
    return int(reply.card.title.split()[2])


def types(got: Receiver) -> list[str]:
    return [e["type"] for e in got.accepted]


# -- the events of a challenge --------------------------------------------------------


async def test_a_scripted_challenge_sends_every_event_signed_and_once(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    await add_endpoint(h, got)
    await h.challenge(WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    reply = await h.ok('/idea submit title:"Secret recipe" description:"Shh." anonymous:yes', "cy")
    assert "#3" in reply.card.title
    await h.submit("dan", "Salted caramel crunch")
    await h.react(1, "ben")
    await h.react(1, "cy")
    await h.react(2, "ana")
    await h.ok("/mod merge #4 into:#1")
    await h.ok("/mod status #2 shortlisted Lovely")
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=15))
    assert await h.app.webhooks.deliver_due() > 0

    assert all(r.verified for r in got.requests)
    sent = types(got)
    assert set(sent) == set(events.EVENT_TYPES)
    assert len({e["id"] for e in got.accepted}) == len(got.accepted)  # once each
    assert sent.index("idea.submitted") < sent.index("results.weekly") < sent.index("results.final")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in got.accepted:
        by_type.setdefault(e["type"], []).append(e)
        assert e["community"] == {"platform": "test", "id": "guild-1", "name": "Test guild"}
        assert e["id"].startswith("evt_") and e["created"].endswith("Z")

    submitted = [e["data"]["idea"] for e in by_type["idea.submitted"]]
    assert [i["number"] for i in submitted] == [1, 2, 3, 4]
    assert submitted[0]["author"] == {"id": "ana", "name": "Ana"}
    assert submitted[2]["anonymous"] is True and submitted[2]["author"] is None
    merged = by_type["idea.merged"][0]["data"]
    assert merged["idea"]["number"] == 4 and merged["idea"]["status"] == "merged"
    assert merged["into"]["number"] == 1
    changes = [
        (e["data"]["idea"]["number"], e["data"]["previous_status"], e["data"]["idea"]["status"])
        for e in by_type["idea.status_changed"]
    ]
    assert changes == [(4, "published", "merged"), (2, "published", "shortlisted")]
    assert by_type["idea.status_changed"][1]["data"]["note"] == "Lovely"
    phases = [(e["data"]["previous_phase"], e["data"]["phase"], e["data"]["by"])
              for e in by_type["challenge.phase_changed"]]  # fmt: skip
    assert phases == [
        ("draft", "open", "moderator"),
        ("open", "voting", "deadline"),
        ("voting", "closed", "deadline"),
    ]
    weekly = by_type["results.weekly"][0]["data"]
    assert weekly["period"] == "2026-03-09T09:00"
    assert weekly["top"][0]["number"] == 1 and weekly["top"][0]["votes"] == 2
    final = by_type["results.final"][0]["data"]
    assert [(s["number"], s["place"]) for s in final["standings"][:2]] == [(1, 1), (2, 2)]
    assert final["vote_log"]["entries"] > 0
    badges = {(e["data"]["badge"]["kind"], (e["data"]["member"] or {}).get("id"))
              for e in by_type["badge.awarded"]}  # fmt: skip
    assert ("spark", "ana") in badges and ("gold", "ana") in badges
    assert ("spark", None) in badges  # the anonymous idea's Spark names nobody

    # Nothing is sent twice, however often the worker and the agenda run again.
    count = len(got.requests)
    await h.app.agenda.run_due()
    assert await h.app.webhooks.deliver_due() == 0
    assert len(got.requests) == count


async def test_an_endpoint_gets_only_the_events_it_chose(hook: tuple[Harness, Receiver]) -> None:
    h, got = hook
    await add_endpoint(h, got, "idea.published, badge.awarded")
    await h.challenge(WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.app.webhooks.deliver_due()
    assert sorted(types(got)) == ["badge.awarded", "idea.published"]
    listed = (await h.ok("/mod webhook list")).card.body
    assert "idea.published, badge.awarded" in listed


async def test_a_sealed_challenge_tells_no_tally_until_the_close(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    await add_endpoint(h, got, "idea.merged results.weekly results.final")
    await h.challenge(WEEKS + " sealed:yes")
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    await h.submit("cy", "Salted caramel again")
    await h.react(1, "ben")
    await h.react(2, "ana")
    await h.react(2, "cy")
    await h.ok("/mod merge #3 into:#1")
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=15))
    await h.app.webhooks.deliver_due()
    by_type = {e["type"]: e["data"] for e in got.accepted}
    assert by_type["idea.merged"]["into"] == {"number": 1, "title": "Salted caramel", "votes": None}
    weekly = by_type["results.weekly"]
    assert weekly["challenge"]["sealed"] is True and weekly["top"] == []
    assert weekly["new_ideas"] == 3  # the week's totals, as the post gives them
    final = by_type["results.final"]["standings"]
    assert [(s["number"], s["votes"], s["place"]) for s in final] == [(2, 2, 1), (1, 1, 2)]


async def test_review_approval_and_rejection_are_status_changes(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    await add_endpoint(h, got, "idea.submitted idea.published idea.status_changed")
    await h.challenge("review:yes")
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    await h.ok("/mod approve #1")
    await h.ok("/mod reject #2 off topic")
    await h.app.webhooks.deliver_due()
    seen = [(e["type"], e["data"]["idea"]["number"], e["data"]["idea"]["status"])
            for e in got.accepted]  # fmt: skip
    assert seen == [
        ("idea.submitted", 1, "pending review"),
        ("idea.submitted", 2, "pending review"),
        ("idea.published", 1, "published"),
        ("idea.status_changed", 1, "published"),
        ("idea.status_changed", 2, "rejected"),
    ]


# -- failures, retries, restarts --------------------------------------------------------


async def test_a_failed_delivery_is_retried_with_backoff(hook: tuple[Harness, Receiver]) -> None:
    h, got = hook
    number = await add_endpoint(h, got, "idea.submitted")
    await h.challenge(WEEKS)
    got.failing = 2
    await h.submit("ana", "Salted caramel")
    assert await h.app.webhooks.deliver_due() == 1  # fails: 503
    assert await h.app.webhooks.deliver_due() == 0  # not due yet
    first = backoff(h.settings.webhooks, 1)
    assert first == timedelta(seconds=30)
    h.clock.advance(first)
    assert await h.app.webhooks.deliver_due() == 1  # fails again
    h.clock.advance(backoff(h.settings.webhooks, 2) - timedelta(seconds=1))
    assert await h.app.webhooks.deliver_due() == 0
    h.clock.advance(timedelta(seconds=1))
    assert await h.app.webhooks.deliver_due() == 1
    assert [r.status for r in got.requests] == [503, 503, 200]
    assert len({r.event["id"] for r in got.requests}) == 1  # the same event each time
    assert all(r.verified for r in got.requests)
    log = (await h.ok(f"/mod webhook log {number}")).card.body
    assert "`idea.submitted` · ✅ 200 · 3 tries" in log
    metrics = h.app.metrics.render().decode()
    assert (
        'cocreate_webhook_deliveries_total{event="idea.submitted",outcome="retry"} 2.0' in metrics
    )
    assert (
        'cocreate_webhook_deliveries_total{event="idea.submitted",outcome="delivered"} 1.0'
        in metrics
    )


async def test_backoff_doubles_up_to_its_cap() -> None:
    s = webhook_settings(retry_base_seconds=10, retry_max_seconds=100).webhooks
    assert [backoff(s, n).total_seconds() for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]


async def test_a_delivery_is_retried_after_a_restart(tmp_path: Path) -> None:
    """The first process fails to deliver and stops; a new application on the same database
    file sends it when it falls due. Another delivery was claimed by a process that died
    mid-send: it is sent once its lease has run out."""
    settings = webhook_settings()
    path = tmp_path / "cocreate.db"
    async with sqlite_database_at(path) as db:
        h = Harness(db, settings)
        async with receiver() as got:
            await add_endpoint(h, got, "idea.submitted")
            await h.challenge(WEEKS)
            got.failing = 1
            await h.submit("ana", "Salted caramel")
            assert await h.app.webhooks.deliver_due() == 1
            await h.submit("ben", "Mint chip")
            # a process claims the second one and dies before sending it
            async with db.transaction() as store:
                now = h.clock.now()
                held = await store.webhooks.claim_due(
                    now, "gone:1:x", now + timedelta(minutes=2), 5
                )
            assert [d.event_key for d in held] == ["idea.submitted:2"]
            stopped_at = h.clock.now()
            await h.close()
        secret, url = got.secret, got.url

    async with sqlite_database_at(path) as db:
        again = Harness(db, settings)
        again.clock.advance_to(stopped_at + timedelta(seconds=30))
        async with receiver() as got2:
            got2.secret = secret
            async with db.transaction() as store:  # the receiver came back on a new port
                await store.conn.exec_driver_sql(
                    "UPDATE webhook_endpoints SET url = ?", (got2.url,)
                )
            assert url != got2.url
            assert await again.app.webhooks.deliver_due() == 1  # the retry; #2 is held
            assert [e["data"]["idea"]["number"] for e in got2.accepted] == [1]
            again.clock.advance(timedelta(minutes=2))
            assert await again.app.webhooks.deliver_due() == 1
            assert [e["data"]["idea"]["number"] for e in got2.accepted] == [1, 2]
            assert all(r.verified for r in got2.requests)
            assert await again.app.webhooks.deliver_due() == 0
            await again.close()


async def test_a_run_of_failures_disables_the_endpoint_and_tells_the_moderators_once(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(
        webhook_settings(
            failure_limit=4, failure_hours=2, retry_base_seconds=600, retry_max_seconds=1800
        )
    )
    async with receiver() as got:
        number = await add_endpoint(h, got, "idea.submitted")
        await h.challenge(WEEKS)
        got.failing = -1
        await h.submit("ana", "Salted caramel")
        tried_at = []
        for _ in range(40):
            if await h.app.webhooks.deliver_due():
                tried_at.append(h.clock.now())
            listed = (await h.ok("/mod webhook list")).card.body
            if "disabled" in listed:
                break
            h.clock.advance(timedelta(minutes=5))
        # backoff 10, 20, then 30 minutes (the cap); the 4th and 5th failures in a row are
        # past the limit, but the first is not 2 hours old yet; the 6th, 2 hours after it,
        # disables the endpoint
        gaps = [round((b - a).total_seconds() / 60) for a, b in itertools.pairwise(tried_at)]
        assert gaps == [10, 20, 30, 30, 30]
        assert len(got.requests) == 6
        assert "⛔ disabled" in listed and "deliveries in a row failed" in listed
        told = [s.post for s in h.publisher.sent if s.receipt.channel_id == MODERATORS]
        assert len(told) == 1 and f"Webhook {number} is disabled" in told[0].card.title
        # nothing more is tried, and nobody is told again
        count = len(got.requests)
        await h.submit("ben", "Mint chip")  # not written for a disabled endpoint
        h.clock.advance(timedelta(days=1))
        assert await h.app.webhooks.deliver_due() == 0
        assert len(got.requests) == count
        assert len([s for s in h.publisher.sent if s.receipt.channel_id == MODERATORS]) == 1
        refused = await h.refused(f"/mod webhook test {number}")
        assert f"/mod webhook enable {number}" in refused
        # enabled again: what waited is sent at once
        got.failing = 0
        await h.ok(f"/mod webhook enable {number}")
        assert await h.app.webhooks.deliver_due() == 1
        assert [e["data"]["idea"]["number"] for e in got.accepted] == [1]


async def test_moderators_are_told_later_when_the_platform_was_down(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(webhook_settings(failure_limit=1, failure_hours=0))
    async with receiver() as got:
        await add_endpoint(h, got, "idea.submitted")
        await h.challenge(WEEKS)
        got.failing = -1
        await h.submit("ana", "Salted caramel")
        h.publisher.fail_channels.add(MODERATORS)
        await h.app.webhooks.deliver_due()
        assert not [s for s in h.publisher.sent if s.receipt.channel_id == MODERATORS]
        h.publisher.fail_channels.clear()
        await h.app.webhooks.deliver_due()
        await h.app.webhooks.deliver_due()
        assert len([s for s in h.publisher.sent if s.receipt.channel_id == MODERATORS]) == 1


async def test_the_test_command_sends_a_ping_through_the_outbox(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    number = await add_endpoint(h, got, "results.final")
    reply = await h.ok(f"/mod webhook test {number}")
    assert "on its way" in reply.card.title
    await h.app.webhooks.deliver_due()
    assert types(got) == ["ping"]
    ping = got.accepted[0]
    assert ping["data"] == {"webhook": number, "requested_by": {"id": "mod", "name": "Mod"}}
    assert got.requests[0].headers["Cocreate-Event"] == "ping"
    log = (await h.ok("/mod webhook log")).card.body
    assert f"webhook {number} · `ping` · ✅ 200" in log


async def test_remove_forgets_the_endpoint_and_what_waits_for_it(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    number = await add_endpoint(h, got)
    await h.challenge(WEEKS)
    await h.ok(f"/mod webhook remove {number}")
    await h.submit("ana", "Salted caramel")
    assert await h.app.webhooks.deliver_due() == 0
    assert got.requests == []
    assert f"no webhook {number}" in await h.refused(f"/mod webhook remove {number}")
    assert "No webhooks yet" in (await h.ok("/mod webhook list")).card.body


# -- who may, and where to ------------------------------------------------------------


async def test_only_moderators_manage_webhooks(hook: tuple[Harness, Receiver]) -> None:
    h, got = hook
    for text in (
        f"/mod webhook add {got.url}",
        "/mod webhook list",
        "/mod webhook test 1",
        "/mod webhook remove 1",
        "/mod webhook log",
    ):
        assert (await h.refused(text, "ana")).startswith("Moderators only")
    async with h.app.db.transaction() as store:
        community = await store.community(h.community, h.clock.now())
        assert await store.webhooks.endpoints(community.id) == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/hook", "loopback, private or link-local"),
        ("https://localhost:8443/hook", "loopback, private or link-local"),
        ("https://10.1.2.3/hook", "loopback, private or link-local"),
        ("https://192.168.0.10/hook", "loopback, private or link-local"),
        ("https://169.254.169.254/latest/meta-data", "loopback, private or link-local"),
        ("https://[::1]/hook", "loopback, private or link-local"),
        ("https://[::ffff:10.0.0.1]/hook", "loopback, private or link-local"),
        ("https://0.0.0.0/hook", "loopback, private or link-local"),
        ("http://203.0.113.9/hook", "`https://` URLs only"),
        ("ftp://203.0.113.9/hook", "`https://` URLs only"),
        ("https://user:pw@203.0.113.9/hook", "no user name or password"),
        ("https://exämple.com/hook", "outside plain ASCII"),
        ("https://example.com/<@123456>", "percent-encode"),
        ("https://example.com/" + "a" * 600, "too long"),
        ("https://", "no host"),
        ("https://[::1/hook", "isn't a valid URL"),
    ],
)
async def test_private_and_malformed_urls_are_refused(
    new_harness: Callable[..., Harness], url: str, why: str
) -> None:
    h = new_harness(public_only())
    refused = await h.refused(f'/mod webhook add "{url}"')
    assert why in refused, refused
    assert "@123456>" not in refused
    async with h.app.db.transaction() as store:
        community = await store.community(h.community, h.clock.now())
        assert await store.webhooks.endpoints(community.id) == []


async def test_unknown_events_are_refused_without_pinging_anyone(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    refused = await h.refused(f"/mod webhook add {got.url} idea.submitted,<@123456>")
    assert "There is no event" in refused and "<@123456>" not in refused
    assert "`idea.submitted`" in refused  # the events it could have named
    assert "No webhooks yet" in (await h.ok("/mod webhook list")).card.body


async def test_a_public_address_is_accepted_and_a_rebound_one_refused() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    async def rebound(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    url = "https://hooks.example.com/cocreate?x=1"
    assert await addresses.check(url, allow_private=False, resolver=public) == url
    with pytest.raises(addresses.AddressRefused, match=r"10\.0\.0\.7"):
        await addresses.check(url, allow_private=False, resolver=rebound)
    assert addresses.parse("<https://example.com/a|example.com>", allow_private=False)[1] == (
        "example.com"
    )


def _dns(monkeypatch: pytest.MonkeyPatch, answer: Callable[[str, int], Any]) -> None:
    """The event loop's getaddrinfo, answering with `answer(host, port)`: a coroutine that
    gives IP addresses, or raises as DNS does."""

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        found = await answer(host, port)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in found]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)


async def test_the_host_is_looked_up_while_no_transaction_waits_on_it(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS can take seconds: the new endpoint's host is looked up before the command's
    transaction, so that votes and other commands go on meanwhile."""
    h = new_harness(public_only())
    asked, answered = asyncio.Event(), asyncio.Event()

    async def slow(host: str, port: int) -> list[str]:
        asked.set()
        await answered.wait()
        return ["93.184.216.34"]

    _dns(monkeypatch, slow)
    adding = asyncio.create_task(h.ok("/mod webhook add https://hooks.example.com/cocreate"))
    await asked.wait()
    # While DNS waits, another command has the database (the timeout only guards against a
    # test that would otherwise hang on the lock).
    listed = await asyncio.wait_for(h.ok("/mod webhook list"), 30)
    assert "No webhooks yet" in listed.card.body
    answered.set()
    assert (await adding).card.title == "🪝 Webhook 1 added"
    assert "hooks.example.com" in (await h.ok("/mod webhook list")).card.body


async def test_a_host_that_is_not_found_or_private_is_refused_after_the_lookup(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = new_harness(public_only())

    async def dns(host: str, port: int) -> list[str]:
        if host == "nowhere.example.com":
            raise socket.gaierror(-2, "Name or service not known")
        return ["10.1.2.3"]

    _dns(monkeypatch, dns)
    refused = await h.refused("/mod webhook add https://nowhere.example.com/hook")
    assert "`nowhere.example.com` can't be found" in refused
    assert "Name or service not known" in refused
    refused = await h.refused("/mod webhook add https://inside.example.com/hook")
    assert "points to 10.1.2.3" in refused
    assert "No webhooks yet" in (await h.ok("/mod webhook list")).card.body


async def test_a_lookup_that_takes_too_long_is_told_as_such(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = new_harness(public_only())

    async def never(host: str, port: int) -> list[str]:
        await asyncio.Event().wait()
        return []

    _dns(monkeypatch, never)
    monkeypatch.setattr(webhook_commands, "RESOLVE_TIMEOUT_S", 0.0)
    refused = await h.refused("/mod webhook add https://slow.example.com/hook")
    assert "did not resolve in time" in refused  # a refusal, not "can't reach its database"


async def test_a_private_address_is_refused_again_at_delivery(
    hook: tuple[Harness, Receiver],
) -> None:
    """Registered while private addresses were allowed, then not: nothing reaches it, by
    IP literal or by a name that resolves to loopback."""
    h, got = hook
    await add_endpoint(h, got, "idea.submitted")
    named = got.url.replace("http://127.0.0.1", "https://localhost")
    await h.ok(f"/mod webhook add {named} idea.submitted")
    literal = got.url.replace("http://", "https://")
    await h.ok(f"/mod webhook add {literal} idea.submitted")
    await h.challenge(WEEKS)
    h.settings.webhooks.allow_private = False
    await h.submit("ana", "Salted caramel")
    assert await h.app.webhooks.deliver_due() == 3
    assert got.requests == []
    log = (await h.ok("/mod webhook log")).card.body
    assert "webhook 1 · `idea.submitted` · 🔁 Webhooks go to `https://` URLs only." in log
    assert "webhook 2 · `idea.submitted` · 🔁 localhost now points to " in log
    assert "webhook 3 · `idea.submitted` · 🔁 127.0.0.1 is not a public address" in log


async def test_webhooks_turned_off_refuse_new_endpoints(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(webhook_settings(enabled=False))
    assert "turned off" in await h.refused("/mod webhook add http://127.0.0.1:9/x")


# -- secrets ---------------------------------------------------------------------------


async def test_the_secret_is_shown_once_and_never_logged(
    hook: tuple[Harness, Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h, got = hook
    number = await add_endpoint(h, got)
    assert got.secret.startswith("whsec_") and len(got.secret) > 40
    await h.challenge(WEEKS)
    got.failing = 1
    await h.submit("ana", "Salted caramel")
    await h.app.webhooks.deliver_due()
    h.clock.advance(timedelta(minutes=5))
    await h.app.webhooks.deliver_due()
    seen = [
        (await h.ok(text)).card
        for text in (
            "/mod webhook list",
            "/mod webhook log",
            "/mod log",
            f"/mod webhook test {number}",
        )
    ]
    assert all(got.secret not in f"{c.title} {c.body} {c.fields} {c.footer}" for c in seen)
    assert got.secret not in caplog.text
    assert "added webhook" in seen[2].body  # the audit log names the action, not the secret
    assert all(got.secret not in r.body.decode() for r in got.requests)
    # a second endpoint gets a secret of its own
    other = await h.ok(f"/mod webhook add {got.url}/other")
    assert got.secret not in other.card.body and "whsec_" in other.card.body


async def test_the_database_keeps_no_secret_and_signs_nothing_without_the_key(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    """What the database keeps of a secret is a salt: the secret is the salt's HMAC under
    the operator's key, which only the environment holds. Without the key no endpoint is
    added, and what waits for an endpoint is not sent unsigned: it fails, and is retried."""
    async with receiver() as got:
        h = new_harness(webhook_settings())
        await add_endpoint(h, got, "idea.submitted")
        async with database.transaction() as store:
            rows = (await store.conn.execute(select(webhook_endpoints))).mappings().all()
        assert len(rows) == 1 and rows[0]["secret"] == ""
        assert got.secret not in repr(dict(rows[0]))
        assert got.secret == derived_secret(KEY, rows[0]["secret_salt"])

        keyless = new_harness(load_settings(environ={"COCREATE_WEBHOOKS__ALLOW_PRIVATE": "true"}))
        refused = await keyless.refused(f"/mod webhook add {got.url}/second")
        assert "`COCREATE_WEBHOOKS__SECRET_KEY`" in refused
        await keyless.challenge(WEEKS)
        await keyless.submit("ana", "Salted caramel")
        assert await keyless.app.webhooks.deliver_due() == 1
        assert got.requests == []
        log = (await keyless.ok("/mod webhook log")).card.body
        assert "nothing to sign with: COCREATE_WEBHOOKS__SECRET_KEY is not set" in log
        # with the key back, the same delivery goes, signed as the moderator was told
        h.clock.advance(timedelta(hours=1))
        assert await h.app.webhooks.deliver_due() == 1
        assert types(got) == ["idea.submitted"]


async def test_an_endpoint_added_before_secrets_were_derived_keeps_its_secret(
    hook: tuple[Harness, Receiver], database: SqlDatabase
) -> None:
    h, got = hook
    await add_endpoint(h, got, "idea.submitted")
    got.secret = "whsec_given_before_migration_0016"
    async with database.transaction() as store:
        await store.conn.execute(
            update(webhook_endpoints).values(secret=got.secret, secret_salt=None)
        )
    await h.challenge(WEEKS)
    await h.submit("ana", "Salted caramel")
    assert await h.app.webhooks.deliver_due() == 1
    assert types(got) == ["idea.submitted"]  # the receiver checked the old secret


# -- replays ---------------------------------------------------------------------------


async def test_an_event_written_twice_is_delivered_once(hook: tuple[Harness, Receiver]) -> None:
    h, got = hook
    await add_endpoint(h, got)
    await h.challenge(WEEKS)
    async with h.app.db.transaction() as store:
        community = await store.community(h.community, h.clock.now())
        for _ in range(2):  # a replayed change writes the same key
            await events.emit(
                store, community.id, events.RESULTS_FINAL, "99", h.clock.now(), {"x": 1}
            )
    await h.app.webhooks.deliver_due()
    finals = [e for e in got.accepted if e["type"] == "results.final"]
    assert len(finals) == 1 and finals[0]["data"] == {"x": 1}


async def test_final_results_retried_write_their_event_once(
    hook: tuple[Harness, Receiver],
) -> None:
    h, got = hook
    await add_endpoint(h, got, "results.final")
    await h.challenge(WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    h.publisher.fail_next = 1  # the final results fail once and are built again
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=15))
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(hours=1))
    await h.app.webhooks.deliver_due()
    assert types(got) == ["results.final"]


async def test_two_workers_on_one_database_send_each_delivery_once(
    database: SqlDatabase,
) -> None:
    settings = webhook_settings()
    one, two = Harness(database, settings), Harness(database, settings)
    async with receiver() as got:
        await add_endpoint(one, got, "idea.submitted")
        await one.challenge(WEEKS)
        for n in range(12):
            await one.submit(f"m{n}", f"Idea {n}")
        sent = await asyncio.gather(one.app.webhooks.deliver_due(), two.app.webhooks.deliver_due())
        assert sum(sent) == 12
        numbers = sorted(e["data"]["idea"]["number"] for e in got.accepted)
        assert numbers == list(range(1, 13))
        assert len(got.requests) == 12


# -- the signature ---------------------------------------------------------------------


def test_the_signature_verifies_only_the_body_it_signed_and_in_time() -> None:
    secret, body, t = "whsec_test", b'{"id":"evt_1"}', 1_772_442_000
    value = header(secret, t, body)
    assert re.fullmatch(r"t=1772442000,v1=[0-9a-f]{64}", value)
    assert verify(secret, value, body, now=t + 10)
    assert not verify(secret, value, body + b" ", now=t)
    assert not verify("whsec_other", value, body, now=t)
    assert not verify(secret, value, body, now=t + 301)  # too old: a replay
    assert not verify(secret, "v1=abc", body, now=t)
    assert not verify(secret, "t=x,v1=abc", body, now=t)
    assert not verify(secret, f"t={t},v1=é", body, now=t)  # not ASCII: no match, no error
    assert verify(secret, f"{value},v1=00", body, now=t)  # several v1 during a rotation
    assert HEADER == "Cocreate-Signature"


def test_the_readme_snippet_verifies_what_cocreate_signs() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("\n## Webhooks\n", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(snippet, scope)  # the receiver's code, as documented
    receiver_verify = scope["verify"]
    body, now = b'{"id":"evt_1","type":"ping"}', int(time.time())
    assert receiver_verify("whsec_x", header("whsec_x", now, body), body)
    assert not receiver_verify("whsec_x", header("whsec_x", now, body), body + b" ")
    assert not receiver_verify("whsec_y", header("whsec_x", now, body), body)
    assert not receiver_verify("whsec_x", header("whsec_x", now - 600, body), body)
    assert not receiver_verify("whsec_x", "t=soon,v1=00", body)
    assert not receiver_verify("whsec_x", f"t={now},v1=é", body)  # not ASCII


async def test_the_outbox_claims_with_a_lease_and_says_when_next(database: SqlDatabase) -> None:
    """Storage alone, on both backends: a claimed row is not claimed again until its lease
    runs out; a failure sets the next try; a disabled endpoint's rows wait."""
    h = Harness(database, webhook_settings())
    await h.ok("/mod webhook list")  # the community and its moderator
    t0 = h.clock.now()
    async with database.transaction() as store:
        community = await store.community(h.community, t0)
        mod = (await store.ensure_members(community.id, [h.actor("mod", True)], t0))["mod"]
        endpoint = await store.webhooks.add_endpoint(
            community.id, "https://hooks.example.com/x", ["ping"], "whsec_s", mod.id, t0
        )
        rows = [NewDelivery(endpoint, f"ping:{n}", "ping", "{}") for n in range(3)]
        assert await store.webhooks.add_deliveries(rows, t0) == 3
        assert await store.webhooks.add_deliveries(rows[:1], t0) == 0  # the same key
        assert await store.webhooks.next_due(t0) == t0
    lease = t0 + timedelta(minutes=2)
    async with database.transaction() as store:
        first = await store.webhooks.claim_due(t0, "a", lease, 2)
    async with database.transaction() as store:
        second = await store.webhooks.claim_due(t0, "b", lease, 5)
        assert await store.webhooks.claim_due(t0, "c", lease, 5) == []
        assert await store.webhooks.next_due(t0) == lease
    assert len(first) == 2 and len(second) == 1
    assert {d.id for d in first}.isdisjoint(d.id for d in second)
    later = t0 + timedelta(minutes=1)
    async with database.transaction() as store:
        counted = await store.webhooks.delivery_failed(
            first[0].id, endpoint, status=500, error="HTTP 500", now=later,
            next_attempt_at=later + timedelta(seconds=30),
        )  # fmt: skip
        assert counted is not None and counted.failures == 1 and counted.failing_since == later
        await store.webhooks.delivered(first[1].id, endpoint, 204, later)
        assert await store.webhooks.next_due(later) == later + timedelta(seconds=30)
        assert await store.webhooks.disable_endpoint(endpoint, "broken", later)
        assert not await store.webhooks.disable_endpoint(endpoint, "broken", later)
        assert await store.webhooks.next_due(later) is None
        assert await store.webhooks.claim_due(t0 + timedelta(days=1), "d", lease, 5) == []
        log = await store.webhooks.recent_deliveries(community.id, 10)
        states = sorted((d.state, d.last_status or 0) for d in log)
        assert states == [("delivered", 204), ("pending", 0), ("pending", 500)]
        assert await store.webhooks.subscribers(community.id, "ping") == []
    await h.close()


async def test_subscribers_read_once_a_transaction_follow_its_own_changes(
    database: SqlDatabase,
) -> None:
    """A command emits several events in one transaction, and reads the community's
    endpoints once; an endpoint added, disabled, enabled or removed in that transaction
    is seen by the events emitted after it."""
    h = Harness(database, webhook_settings())
    await h.ok("/mod webhook list")
    t0 = h.clock.now()
    url = "https://hooks.example.com/x"
    async with database.transaction() as store:
        community = await store.community(h.community, t0)
        mod = (await store.ensure_members(community.id, [h.actor("mod", True)], t0))["mod"]
        hooks = store.webhooks
        assert await hooks.subscribers(community.id, "idea.submitted") == []
        endpoint = await hooks.add_endpoint(
            community.id, url, ["idea.submitted"], "whsec_s", mod.id, t0
        )
        found = await hooks.subscribers(community.id, "idea.submitted")
        assert [e.id for e in found] == [endpoint]
        assert await hooks.subscribers(community.id + 1, "idea.submitted") == []
        assert await hooks.subscribers(community.id, "idea.published") == []
        await hooks.disable_endpoint(endpoint, "broken", t0)
        assert await hooks.subscribers(community.id, "idea.submitted") == []
        await hooks.enable_endpoint(endpoint, t0)
        assert len(await hooks.subscribers(community.id, "idea.submitted")) == 1
        await hooks.remove_endpoint(community.id, endpoint)
        assert await hooks.subscribers(community.id, "idea.submitted") == []
    await h.close()
