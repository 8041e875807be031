"""A running Slack adapter on the real core, with a fake Slack on 127.0.0.1.

`world` starts the fake, the core (a migrated SQLite file under tmp_path, a hand-driven
clock) and `SlackPlatform` in HTTP mode on port 0, and sends signed requests to it the way
Slack does. Nothing sleeps: waits are on futures, events or the fake's call log, with
small timeouts only as safety nets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_asyncio

from adapters.slack.config import Tuning
from adapters.slack.platform import SlackPlatform
from bot.clock import ManualClock
from bot.core import Cocreate
from bot.errors import StorageUnavailable
from bot.settings import Settings, load_settings
from cocreate.bootstrap import build
from tests.harness import START
from tests.slack import payloads
from tests.slack.fake_slack import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-t1-bot-token"
APP_TOKEN = "xapp-1-A0COCREATE-socket-token"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-3333"
SECRETS = (SIGNING_SECRET, BOT_TOKEN, APP_TOKEN, CLIENT_SECRET)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    slack.add_team("T1", BOT_TOKEN)
    slack.add_user("U_MAYA", "Maya", admin=True)
    slack.add_user("U_OWEN", "Owen", owner=True)
    for user in ("Ana", "Ben", "Carl", "Dora"):
        slack.add_user(f"U_{user.upper()}", user)
    try:
        yield slack
    finally:
        await slack.stop()


def slack_settings(tmp_path: Path, fake: FakeSlack, env: dict[str, str] | None = None) -> Settings:
    config = tmp_path / "cocreate.toml"
    config.write_text("", encoding="utf-8")
    environ = {
        "COCREATE_STORAGE__URL": f"sqlite+aiosqlite:///{tmp_path / 'cocreate.db'}",
        "COCREATE_SLACK__ENABLED": "true",
        "COCREATE_SLACK__BOT_TOKEN": BOT_TOKEN,
        "COCREATE_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "COCREATE_SLACK__API_BASE_URL": fake.api_url,
        "COCREATE_SLACK__HOST": "127.0.0.1",
        "COCREATE_SLACK__PORT": "0",
        "COCREATE_SLACK__MODERATOR_CHANNEL": "C_MODS",
        **(env or {}),
    }
    return load_settings(config_path=config, environ={k: v for k, v in environ.items() if v})


@dataclass
class Sleeps:
    """Stands in for asyncio.sleep and time.monotonic in retries, pacing and caches: a
    sleep is recorded and moves this virtual clock on at once; nothing really waits."""

    durations: list[float] = field(default_factory=list)
    now: float = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.durations.append(seconds)
        self.now += max(seconds, 0.0)

    def monotonic(self) -> float:
        return self.now


def make_tuning(sleeps: Sleeps, **changes: Any) -> Tuning:
    base = Tuning(
        http_timeout_s=5.0,
        backoff_s=0.25,
        reconcile_interval_s=1.2,
        form_budget_s=2.0,
        socket_ping_interval_s=30.0,
        sleep=sleeps,
        monotonic=sleeps.monotonic,
    )
    return replace(base, **changes)


def text_of(content: dict[str, Any] | None) -> str:
    """Everything a person would read in a message, modal or home view."""
    if not content:
        return ""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
                parts.append(str(node["text"]))
                return
            for key, value in node.items():
                if key not in ("private_metadata", "action_id", "block_id", "value"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(content.get("blocks", []))
    return "\n".join(parts)


class World:
    """The adapter under test, driven the way Slack drives it."""

    def __init__(self, core: Cocreate, platform: SlackPlatform, fake: FakeSlack, sleeps: Sleeps):
        self.core = core
        self.platform = platform
        self.fake = fake
        self.sleeps = sleeps
        self.clock: ManualClock = core.clock  # type: ignore[assignment]
        self.http = aiohttp.ClientSession()
        self._keys = 0
        self._events = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.platform.port}"

    async def close(self) -> None:
        await self.http.close()

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, str, float]:
        """A signed POST; returns status, body and seconds until the response. A slash
        command's answer carried by its ack is kept with the answers to its response_url,
        under the same key: the member sees either as the command's answer."""
        signed = payloads.sign(secret, body, timestamp or int(time.time()))
        started = time.perf_counter()
        async with self.http.post(
            self.url + path,
            data=body.encode(),
            headers={"Content-Type": content_type, **signed, **(headers or {})},
        ) as response:
            text = await response.text()
        took = time.perf_counter() - started
        response_url = parse_qs(body).get("response_url", [""])[0]
        if response.status == 200 and text and "/respond/" in response_url:
            key = response_url.rpartition("/respond/")[2]
            self.fake.responses.append((key, json.loads(text)))
        return response.status, text, took

    async def command(
        self,
        line: str,
        *,
        user: str = "U_ANA",
        team: str = "T1",
        channel: str = "C_IDEAS",
        trigger: str | None = None,
    ) -> str:
        """Send `/group text` as `user`; returns the key of its answers: the one its ack
        carried, as Slack shows it, and those posted to its response_url."""
        command, _, text = line.partition(" ")
        self._keys += 1
        key = f"r{self._keys}"
        fields = payloads.slash_command(
            command,
            text,
            team=team,
            user=user,
            user_name=user.lower(),
            channel=channel,
            response_url=self.fake.response_url(key),
            trigger=trigger,
        )
        status, body, _ = await self.post(
            payloads.form_body(fields), "application/x-www-form-urlencoded"
        )
        assert status == 200, body
        return key

    async def ask(self, line: str, **kw: Any) -> str:
        """A command, its work done; the text of its (single) ephemeral answer."""
        key = await self.command(line, **kw)
        await self.settle()
        answers = self.fake.answers(key)
        assert answers, f"no answer to {line!r}"
        return text_of(answers[-1])

    async def event(self, payload: dict[str, Any], **kw: Any) -> int:
        status, _, _ = await self.post(json.dumps(payload), "application/json", **kw)
        return status

    def next_event_id(self) -> str:
        self._events += 1
        return f"Ev{self._events:04d}"

    async def react(
        self, message: tuple[str, str], user: str, name: str = "+1", added: bool = True, **kw: Any
    ) -> int:
        channel, ts = message
        if kw.get("team", "T1") == "T1" and "headers" not in kw and message in self.fake.messages:
            # What Slack shows changes too (a retry re-delivers, it does not react again).
            users = self.fake.messages[message].reactions.setdefault(name, [])
            if added and user not in users:
                users.append(user)
            elif not added and user in users:
                users.remove(user)
        payload = payloads.reaction(
            name,
            user=user,
            channel=channel,
            ts=ts,
            at=self.clock.now(),
            added=added,
            event_id=kw.pop("event_id", None) or self.next_event_id(),
            team=kw.pop("team", "T1"),
            # Slack names the message's author: the app's bot user for its own posts
            item_user=kw.pop("item_user", None) or self.author_of(message),
        )
        return await self.event(payload, **kw)

    def author_of(self, message: tuple[str, str]) -> str:
        found = self.fake.messages.get(message)
        return found.user if found is not None and found.user else "UBOT"

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        status, body, _ = await self.post(
            payloads.interaction_body(payload), "application/x-www-form-urlencoded"
        )
        return status, body

    async def submit_form(
        self, values: dict[str, Any], *, user: str, view: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Fill in and submit the last modal opened; returns the ack's JSON (or {})."""
        view = view or self.fake.of("views.open")[-1].args["view"]
        view = {**view, "id": view.get("id", "V1")}
        status, body = await self.interact(payloads.view_submission(view, values, user=user))
        assert status == 200, body
        return json.loads(body) if body else {}

    async def settle(self) -> None:
        """Every acked request's work, and the core's queued reactions, are done."""
        await self.platform.drain()
        await self.core.drain()

    def idea_posts(self, channel: str = "C_IDEAS") -> list[tuple[str, str]]:
        return [
            (m.channel, m.ts)
            for m in self.fake.posts(channel)
            if "React with" in text_of({"blocks": m.blocks})
        ]


WorldFactory = Callable[..., Any]


@asynccontextmanager
async def running_world(
    tmp_path: Path,
    fake: FakeSlack,
    *,
    env: dict[str, str] | None = None,
    sleeps: Sleeps | None = None,
    start: datetime = START,
    **tuning: Any,
) -> AsyncIterator[World]:
    """A core and a Slack adapter on the fake; `start` is the clock's time (a restart
    happens later than the run before it)."""
    settings = slack_settings(tmp_path, fake, env)
    core = await build(settings, ManualClock(start))
    await core.start()
    sleeps = sleeps or Sleeps()
    platform = SlackPlatform(core, settings, make_tuning(sleeps, **tuning))
    world: World | None = None
    try:
        await platform.start()
        world = World(core, platform, fake, sleeps)
        yield world
        await world.settle()
    finally:
        if world is not None:
            await world.close()
        await platform.stop()
        await core.stop()


@pytest_asyncio.fixture
async def world(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[World]:
    async with running_world(tmp_path, fake, reconcile_on_start=False) as running:
        yield running


@pytest.fixture
def no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Callable[[], None]:
    """Call at the end of a test: no configured secret was ever logged."""

    def check() -> None:
        for record in caplog.records:
            text = record.getMessage()
            for secret in SECRETS:
                assert secret not in text, f"a secret was logged: {record.name}"

    return check


class LogWatch(logging.Handler):
    """Wakes a test when a log line containing some text is written (by the event loop's
    own thread, where everything here logs)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self._changed.set()

    async def wait_for(self, text: str, timeout: float = 5.0) -> str:
        async def until() -> str:
            while True:
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(until(), timeout)


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    watch = LogWatch()
    logger = logging.getLogger("cocreate")
    level = logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.INFO)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


class DatabaseDown:
    """The core's database stops answering (every transaction raises StorageUnavailable,
    as when the server refuses connections) until `back()`."""

    def __init__(self, core: Cocreate) -> None:
        self.db = core.db

    def __enter__(self) -> DatabaseDown:
        def refused() -> Any:
            raise StorageUnavailable("connection refused (the test's outage)")

        self.db.transaction = refused  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.back()

    def back(self) -> None:
        vars(self.db).pop("transaction", None)


async def open_challenge(world: World, extra: str = "") -> None:
    """Maya (a workspace admin) creates and opens 'Flavour' with venue #C_IDEAS."""
    created = await world.ask(
        f'/challenge create title:"Flavour" brief:"Which flavour next?" {extra}', user="U_MAYA"
    )
    assert "ready as a draft" in created, created
    opened = await world.ask("/challenge open flavour", user="U_MAYA")
    assert "is open" in opened, opened


async def submit(world: World, user: str, title: str, description: str = "Tasty.") -> str:
    answer = await world.ask(f'/idea submit title:"{title}" description:"{description}"', user=user)
    assert "is in" in answer, answer
    return answer


async def vote_counts(world: World, team: str = "T1") -> dict[int, int]:
    """Idea number -> counted votes in one workspace, straight from the database."""
    from sqlalchemy import select

    from storage.schema import communities, ideas

    query = (
        select(ideas.c.number, ideas.c.vote_count)
        .join(communities, communities.c.id == ideas.c.community_id)
        .where(communities.c.external_id == team)
    )
    async with world.core.db.transaction() as store:
        rows = await store.conn.execute(query)  # type: ignore[attr-defined]
        return {r.number: r.vote_count for r in rows}
