"""A fake Discord on loopback, the real core on SQLite, and the real discord.py between them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from adapters.discord import DiscordPlatform, internals
from adapters.discord.resilience import RetryPolicy
from bot.clock import SystemClock
from bot.core import Cocreate
from bot.settings import Settings, load_settings
from cocreate.bootstrap import build
from tests.discord.fake import FakeDiscord, Guild, InteractionRecord, Person, Session

#: Fast retries for tests: the faults the fake injects are answered in milliseconds.
FAST = RetryPolicy(attempts=4, timeout=2.0, base_delay=0.01, max_delay=0.05)
WAIT = 10.0


def settings_for(
    fake: FakeDiscord,
    data_dir: Path,
    *,
    storage: dict[str, Any] | None = None,
    capture: dict[str, Any] | None = None,
    **discord: Any,
) -> Settings:
    """Defaults (an empty config file: a cocreate.toml nearby changes nothing) pointed at
    the fake, with `storage`, `capture` and `discord` keys on top."""
    data_dir.mkdir(parents=True, exist_ok=True)
    empty = data_dir / "empty.toml"
    empty.write_text("", encoding="utf-8")
    environ = {
        "COCREATE_CONFIG": str(empty),
        "COCREATE_CORE__DATA_DIR": str(data_dir),
        "COCREATE_DISCORD__ENABLED": "true",
        "COCREATE_DISCORD__TOKEN": "test-token",
        "COCREATE_DISCORD__API_BASE_URL": fake.base_url,
        "COCREATE_DISCORD__GATEWAY_URL": fake.gateway_url,
    }
    sections = (("STORAGE", storage or {}), ("CAPTURE", capture or {}), ("DISCORD", discord))
    for section, keys in sections:
        for key, value in keys.items():
            name = f"COCREATE_{section}__{key.upper()}"
            environ[name] = value if isinstance(value, str) else json.dumps(value)
    return load_settings(environ=environ)


class GatewayProbe:
    """Lets a test wait until the bot has parsed a gateway event the fake sent."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self.seen: dict[str, int] = {}
        self._waiters: list[tuple[str, int, asyncio.Future[None]]] = []
        parsers = internals.gateway_parsers(client)
        for name, parse in list(parsers.items()):
            parsers[name] = self._wrap(parse)

    def _wrap(self, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def probed(data: Any) -> None:
            parse(data)
            guild_id = data.get("guild_id") if isinstance(data, dict) else None
            try:
                session_id, sequence = internals.gateway_position(
                    self.client, int(guild_id) if guild_id else None
                )
            except Exception:
                return
            if session_id is None or sequence is None:
                return
            self.seen[session_id] = max(self.seen.get(session_id, 0), sequence)
            for waiter in list(self._waiters):
                session_id, seq, future = waiter
                if self.seen.get(session_id, 0) >= seq and not future.done():
                    future.set_result(None)
                    self._waiters.remove(waiter)

        return probed

    def live_sessions(self) -> set[str]:
        """The gateway sessions the client holds now (one per shard)."""
        return internals.gateway_sessions(self.client)

    async def reached(self, session_id: str, seq: int, timeout: float = WAIT) -> None:
        if self.seen.get(session_id, 0) >= seq:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((session_id, seq, future))
        await asyncio.wait_for(future, timeout)


class Bot:
    """The core and the Discord platform, started against the fake; restartable."""

    def __init__(
        self,
        fake: FakeDiscord,
        settings: Settings,
        *,
        core: Cocreate | None = None,
        **platform: Any,
    ) -> None:
        self.fake = fake
        self.settings = settings
        #: a core that other platforms share, started and stopped by its owner
        self.shared = core
        self.options: dict[str, Any] = {
            "guild_ready_timeout": 0.05,
            "identify_delay": 0,
            "ready_timeout": WAIT,
            "policy": FAST,
            "reconcile_pace": 0,
            "reconnect_delay": 0.05,
            **platform,
        }
        self.app: Cocreate | None = None
        self.platform: DiscordPlatform | None = None
        self.probe: GatewayProbe | None = None

    async def start(self, *, settle: bool = True) -> Bot:
        """Start and return after READY; with `settle`, after the catch-up as well."""
        if self.shared is not None:
            self.app = self.shared
        else:
            self.app = await build(self.settings, SystemClock())
            await self.app.start()
        self.platform = DiscordPlatform(self.app, self.settings, **self.options)
        original = self.platform.setup

        async def setup(client: discord.Client) -> None:
            self.probe = GatewayProbe(client)
            await original(client)

        self.platform.setup = setup  # type: ignore[method-assign]
        await self.platform.start()
        if settle:
            await self.idle()
        return self

    async def stop(self) -> None:
        if self.platform is not None:
            await self.platform.stop()
        if self.app is not None and self.shared is None:
            await self.app.stop()
        self.platform = None
        self.app = None

    async def received(self, sent: Iterable[tuple[Session, int]]) -> None:
        """Wait until the bot parsed these dispatches, then until it recorded them and any
        catch-up is done."""
        await self.parsed(sent)
        await self.idle()

    async def parsed(self, sent: Iterable[tuple[Session, int]]) -> None:
        """Wait until the bot parsed these dispatches."""
        assert self.probe is not None
        live = self.probe.live_sessions()
        for session, seq in sent:
            if session.id in live:  # copies kept for an old session are never read
                await self.probe.reached(session.id, seq)

    async def recorded(self, sent: Iterable[tuple[Session, int]]) -> None:
        """Wait until the bot parsed these dispatches and recorded them, whatever a
        read-back in flight is doing."""
        await self.parsed(sent)
        assert self.platform is not None and self.platform.reactions is not None
        await asyncio.wait_for(self.platform.reactions.settled(), WAIT)
        await asyncio.wait_for(self.core.drain(), WAIT)

    async def idle(self) -> None:
        assert self.platform is not None
        await asyncio.wait_for(self.platform.idle(), WAIT)

    @property
    def core(self) -> Cocreate:
        assert self.app is not None
        return self.app


@dataclass
class World:
    """One guild with an ideas channel and a moderators' channel, and its people."""

    fake: FakeDiscord
    guild: Guild
    ideas: int
    mods: int
    maya: Person  # moderator (Manage Server)
    ana: Person
    ben: Person
    cleo: Person
    dan: Person

    async def run(
        self, person: Person, command: str, options: dict[str, Any] | None = None, **kw: Any
    ) -> InteractionRecord:
        """`person` runs a slash command in #ideas; returns once the bot answered."""
        channel = kw.pop("channel", self.ideas)
        record = await self.fake.command(person, channel, command, options, **kw)
        await asyncio.wait_for(record.answered.wait(), WAIT)
        return record

    async def submit(self, record: InteractionRecord, values: dict[str, Any]) -> InteractionRecord:
        submitted = await self.fake.submit_modal(record, values)
        await asyncio.wait_for(submitted.answered.wait(), WAIT)
        return submitted


def make_world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Brand HQ", channels=("ideas", "mods", "general"), roles=("Helpers",))
    return World(
        fake=fake,
        guild=guild,
        ideas=fake.channel(guild, "ideas"),
        mods=fake.channel(guild, "mods"),
        maya=fake.add_person(guild, "Maya", moderator=True),
        ana=fake.add_person(guild, "Ana"),
        ben=fake.add_person(guild, "Ben"),
        cleo=fake.add_person(guild, "Cleo"),
        dan=fake.add_person(guild, "Dan"),
    )


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return make_world(fake)


@pytest_asyncio.fixture
async def new_bot(
    fake: FakeDiscord, world: World, tmp_path: Path
) -> AsyncIterator[Callable[..., Bot]]:
    """Makes bots on one data directory (so a second one is a restart); stops them all."""
    made: list[Bot] = []

    def make(settings: Settings | None = None, **platform: Any) -> Bot:
        bot = Bot(
            fake,
            settings
            or settings_for(
                fake,
                tmp_path,
                guild_ids=[world.guild.id],
                moderator_channel=str(world.mods),
            ),
            **platform,
        )
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.stop()


@pytest_asyncio.fixture
async def bot(new_bot: Callable[..., Bot]) -> Bot:
    return await new_bot().start()


async def vote_count(bot: Bot, guild: Guild, number: int) -> int:
    """Idea #`number`'s counted votes, from the core's database."""
    from adapters.discord.translate import community

    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(guild.id))
        assert found is not None
        idea = await store.idea_by_number(found.id, number)
        assert idea is not None
        return idea.vote_count


async def voters(bot: Bot, guild: Guild, number: int) -> set[int]:
    """The Discord user ids of whoever idea #`number`'s counted votes are from."""
    from adapters.discord.translate import community

    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(guild.id))
        assert found is not None
        idea = await store.idea_by_number(found.id, number)
        assert idea is not None
        rows = await store.voters([idea.id])
        members = await store.members_by_ids({r.member_id for r in rows})
        return {int(members[r.member_id].external_id) for r in rows}


async def reaction_log(bot: Bot, guild: Guild) -> list[Any]:
    from adapters.discord.translate import community

    async with bot.core.db.transaction() as store:
        found = await store.find_community(community(guild.id))
        assert found is not None
        return await store.reaction_log(found.id)


async def running_challenge(
    world: World, *ideas: tuple[Person, str], slug: str = "snacks", **options: Any
) -> list[int]:
    """A challenge opened in #ideas with the given ideas submitted (no review);
    returns the message ids of the idea posts, in order."""
    created = await world.run(
        world.maya,
        "challenge create",
        {"title": slug.capitalize(), "brief": "What should we make?", **options},
    )
    assert created.embed["title"].startswith("📝"), created.text()
    opened = await world.run(world.maya, "challenge open", {"challenge": slug})
    assert "is open" in opened.embed["title"], opened.text()
    out = []
    for person, title in ideas:
        record = await world.run(
            person, "idea submit", {"title": title, "description": f"{title}, described."}
        )
        assert "is in" in record.embed["title"], record.text()
        number = int(record.embed["title"].split("#")[1].split()[0])
        out.append(int(world.fake.idea_message(number)["id"]))
    return out
