"""The in-memory platform, built by the composition root from its registration like the
real platforms: a challenge through its whole life, with a restart in which the votes
cast while the bot was down are reconciled from the chat."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.memory.chat import Chat, ChatOffline, chat, forget
from bot.clock import ManualClock
from bot.core import Cocreate
from bot.plugins import platform_plugins
from bot.ports import Platform
from bot.settings import load_settings
from cocreate.bootstrap import build, platforms

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Chat]:
    name = f"chat-{tmp_path.name}"
    yield chat(name)
    forget(name)


@asynccontextmanager
async def bot(
    room: Chat, data: Path, clock: ManualClock
) -> AsyncIterator[tuple[Cocreate, Platform]]:
    """Cocreate with only the in-memory platform enabled, as `cocreate run` starts it."""
    settings = load_settings(
        environ={
            "COCREATE_CORE__DATA_DIR": str(data),
            "COCREATE_MEMORY__ENABLED": "true",
            "COCREATE_MEMORY__CHAT": room.name,
        }
    )
    app = await build(settings, clock)
    (platform,) = platforms(app, settings)
    await app.start()
    await platform.start()
    try:
        yield app, platform
    finally:
        await app.drain()
        await platform.stop()
        await app.stop()


def idea_posts(room: Chat) -> dict[str, str]:
    """Idea title -> its post's message id, in the ideas channel."""
    found = {}
    for message in room.posts("ideas"):
        first = message.text.splitlines()[0]  # "💡 #1 · Mango"
        if first.startswith("💡 #"):
            found[first.split(" · ", 1)[1]] = message.id
    return found


def test_the_memory_platform_is_registered_like_the_real_ones() -> None:
    plugin = platform_plugins()["memory"]
    assert plugin.settings.__module__ == "adapters.memory.settings"
    assert load_settings(environ={}).platforms["memory"].enabled is False


async def test_a_challenge_lives_through_the_memory_platform_and_a_restart(
    room: Chat, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    room.member("Maya", moderator=True)
    async with bot(room, tmp_path / "data", clock) as (_, platform):
        assert await platform.connected()
        created = await room.command(
            "Maya",
            "ideas",
            '/challenge create title:"Next flavour" brief:"What next?" '
            "submissions_close:7d voting_close:14d",
        )
        assert created.ok, created.card
        assert (await room.command("Maya", "ideas", "/challenge open next-flavour")).ok
        for name, title in (("Ana", "Salted caramel"), ("Ben", "Mint chip"), ("Cleo", "Mango")):
            reply = await room.command(
                name, "ideas", f'/idea submit title:"{title}" description:"{title}, please"'
            )
            assert reply.ok, reply.card
        posts = idea_posts(room)
        assert set(posts) == {"Salted caramel", "Mint chip", "Mango"}
        refused = await room.command("Ana", "ideas", "/challenge close next-flavour")
        assert not refused.ok  # not a moderator

        await room.react("Ben", posts["Salted caramel"], "👍")
        await room.react("Cleo", posts["Salted caramel"], "👍")
        await room.react("Ana", posts["Salted caramel"], "👍")  # her own: not counted
        await room.react("Ana", posts["Mint chip"], "👍")
        await room.react("Ana", posts["Mint chip"], "👍", add=False)

    # Down for an hour: the chat goes on without the bot.
    clock.advance_to(START + timedelta(hours=1))
    with pytest.raises(ChatOffline):
        await room.command("Ana", "ideas", "/results")
    await room.react("Dan", posts["Mango"], "👍")
    await room.react("Eve", posts["Mango"], "👍")
    await room.react("Ben", posts["Salted caramel"], "👍", add=False)

    async with bot(room, tmp_path / "data", clock) as (app, _):  # reads every post back
        standings = await room.command("Maya", "ideas", "/results")
        lines = standings.card.body + "\n" + "\n".join(v for _, v in standings.card.fields)
        assert "Mango — 2 votes" in lines, lines
        assert "Salted caramel — 1 vote" in lines, lines
        assert "Mint chip — 0 votes" in lines, lines

        closed = await room.command("Maya", "ideas", "/challenge close next-flavour")
        assert closed.ok, closed.card
        final = [m.text for m in room.posts("ideas") if m.text.startswith("🏆 Final results")]
        assert len(final) == 1
        assert "🥇 #3 Mango — 2 votes\n🥈 #1 Salted caramel — 1 vote" in final[0]
        assert "🥇 Podium (1st) — Cleo\n🥈 Podium (2nd) — Ana" in final[0]
        await app.drain()  # badges are announced after the commit
        assert ("m-cleo", "gold") in room.badges and ("m-ana", "silver") in room.badges


async def test_mydata_is_a_direct_message_in_the_chat(room: Chat, tmp_path: Path) -> None:
    async with bot(room, tmp_path / "data", ManualClock(START)):
        reply = await room.command("Ana", "ideas", "/mydata")
        assert reply.ok and "Sent to your direct messages" in reply.card.footer
        ((_, text, files),) = [d for d in room.dms if d[0] == room.member("Ana").id]
        assert text.startswith("📦 Your data in Cocreate")
        (file,) = files
        assert json.loads(file.content)["member"]["display_name"] == "Ana"
