"""The slash commands: built from the specs, typed, autocompleted, acknowledged first."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from adapters.discord.commands import discord_paths
from bot.commands import registry
from bot.commands.spec import OptionKind
from bot.messages import Card, Invocation, Reply
from bot.ports import Database, Store
from tests.discord.conftest import WAIT, Bot, World, running_challenge
from tests.discord.fake import PRIVILEGED_INTENTS

#: Discord's option types for each kind of option in the specs.
EXPECTED_TYPES = {
    OptionKind.TEXT: 3,
    OptionKind.LONG_TEXT: 3,
    OptionKind.INT: 4,
    OptionKind.BOOL: 5,
    OptionKind.CHOICE: 3,
    OptionKind.DURATION: 3,
    OptionKind.WHEN: 3,
    OptionKind.IDEA: 3,
    OptionKind.CHALLENGE: 3,
    OptionKind.MEMBER: 6,
    OptionKind.CHANNEL: 7,
    OptionKind.EMOJI: 3,
    OptionKind.CRON: 3,
    OptionKind.TIMEZONE: 3,
}
COMPLETED = (OptionKind.IDEA, OptionKind.CHALLENGE, OptionKind.TIMEZONE)


def synced_leaf(commands: list[dict[str, Any]], path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = next(c for c in commands if c["name"] == path[0])
    for name in path[1:]:
        node = next(o for o in node["options"] if o["name"] == name and o["type"] in (1, 2))
    return node


async def test_the_synced_commands_are_the_specs(bot: Bot, world: World) -> None:
    commands = world.fake.commands[str(world.guild.id)]
    paths = discord_paths(registry.specs)
    assert len(paths) == len(registry.specs), "every spec has a Discord command"
    assert {c["name"] for c in commands} >= {"idea", "challenge", "mod", "cocreate"}
    assert {c["name"] for c in commands} >= {"ideas", "results", "leaderboard", "badges"}
    for path, spec in paths.items():
        leaf = synced_leaf(commands, path)
        assert leaf["description"] == spec.description[:100]
        options = {o["name"]: o for o in leaf["options"]}
        assert list(options) == sorted(options, key=lambda name: not options[name]["required"]), (
            "required options first"
        )
        for option in spec.options:
            synced = options[option.name]
            assert synced["type"] == EXPECTED_TYPES[option.kind], (spec.name, option.name)
            assert synced.get("autocomplete", False) == (option.kind in COMPLETED)
            if option.kind is OptionKind.CHOICE:
                assert [c["value"] for c in synced["choices"]] == list(option.choices)
            if option.kind is OptionKind.INT:
                assert (synced.get("min_value"), synced.get("max_value")) == (
                    option.min_value,
                    option.max_value,
                )
            if option.kind is OptionKind.CHANNEL:
                assert synced["channel_types"] == [0, 5]
            if option.required and not spec.form:
                assert synced["required"], (spec.name, option.name)
    by_name = {c["name"]: c for c in commands}
    assert by_name["mod"]["default_member_permissions"] == 32, "Manage Server"
    assert by_name["export"]["default_member_permissions"] == 32
    assert by_name["idea"]["default_member_permissions"] is None
    assert by_name["challenge"]["default_member_permissions"] is None, "list and info are public"
    assert all(c["contexts"] == [0] for c in commands), "guilds only"
    # `/results` stays top-level; `/results post` takes its alias path.
    assert synced_leaf(commands, ("cocreate", "results", "post"))["type"] == 1
    # Text limits come from the settings.
    title = {o["name"]: o for o in synced_leaf(commands, ("idea", "submit"))["options"]}["title"]
    assert title["max_length"] == bot.settings.limits.title_max


async def test_autocomplete_suggests_challenges_ideas_and_time_zones(
    bot: Bot, world: World
) -> None:
    fake = world.fake
    await running_challenge(world, (world.ana, "Oat latte"), (world.ben, "Chai tea"))
    challenges = await fake.autocomplete(
        world.ben, world.ideas, "results", {"challenge": "sna"}, focused="challenge"
    )
    assert challenges == [{"name": "Snacks (snacks)", "value": "snacks"}]
    ideas = await fake.autocomplete(
        world.ben, world.ideas, "idea show", {"idea": "chai"}, focused="idea"
    )
    assert ideas == [{"name": "#2 · Chai tea", "value": "2"}]
    zones = await fake.autocomplete(
        world.maya,
        world.ideas,
        "challenge create",
        {"timezone": "paris"},
        focused="timezone",
    )
    assert {"name": "Europe/Paris", "value": "Europe/Paris"} in zones


class GatedDatabase:
    """A database whose transactions wait for the test: proves what happens before."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.open = asyncio.Event()
        self.entered = asyncio.Event()
        self.entered_at: float | None = None

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Store]:
        if self.entered_at is None:
            self.entered_at = time.perf_counter()
            self.entered.set()
        await self.open.wait()
        async with self.db.transaction() as store:
            yield store

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Store]:
        return self._transaction()

    async def close(self) -> None:
        await self.db.close()


async def test_a_quick_reply_is_the_first_response(bot: Bot, world: World) -> None:
    record = await world.run(world.ben, "challenge list")
    assert record.callback_type == 4, "answered at once: no thinking message to replace"
    assert record.data["flags"] == 64, "ephemerally"
    assert record.data["allowed_mentions"] == {"parse": []}
    assert "challenges" in record.text().lower()
    assert record.edits == [] and record.followups == []


async def test_a_slow_command_is_deferred_in_time_then_answered(bot: Bot, world: World) -> None:
    bot.platform.interactions.answer_within_s = 0.05
    gate = GatedDatabase(bot.core.db)
    bot.core.db = gate
    record = await world.fake.command(world.ben, world.ideas, "challenge list")
    await asyncio.wait_for(record.acked.wait(), WAIT)
    assert gate.entered.is_set(), "the core had the command before the timer ran out"
    assert record.callback_type == 5
    assert record.data["flags"] == 64, "thinking, ephemerally"
    assert not record.answered.is_set(), "the database is still closed"
    gate.open.set()
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert "challenges" in record.text().lower() and len(record.edits) == 1
    bot.core.db = gate.db


async def test_with_no_time_to_answer_commands_defer_before_the_database(
    bot: Bot, world: World
) -> None:
    bot.platform.interactions.answer_within_s = 0
    gate = GatedDatabase(bot.core.db)
    bot.core.db = gate
    record = await world.fake.command(world.ben, world.ideas, "challenge list")
    await asyncio.wait_for(record.acked.wait(), WAIT)
    assert record.callback_type == 5
    await asyncio.wait_for(gate.entered.wait(), WAIT)
    assert gate.entered_at is not None and record.callback_at is not None
    assert record.callback_at < gate.entered_at, "acknowledged before the first query"
    gate.open.set()
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert "challenges" in record.text().lower()
    bot.core.db = gate.db


async def test_a_form_opens_only_when_text_is_missing(bot: Bot, world: World) -> None:
    await running_challenge(world, (world.ana, "Oat latte"))
    # /idea edit with nothing: the form, prefilled from nothing, fields optional.
    form = await world.run(world.ana, "idea edit", {"idea": "1"})
    assert form.callback_type == 9
    data = form.data
    assert data["title"] == "Edit your idea · #1"
    inputs = [row["component"] for row in data["components"]]
    assert [i["required"] for i in inputs] == [False, False]
    edited = await world.submit(form, {"Title": "", "Description": "Creamier, with oat milk."})
    assert "#1" in edited.text(), edited.text()
    post = world.fake.idea_message(1)
    assert post["embeds"][0]["description"] == "Creamier, with oat milk."
    # With the text given, no form.
    direct = await world.run(world.ana, "idea edit", {"idea": "1", "title": "Oat latte XL"})
    assert direct.callback_type == 4 and "#1" in direct.text()
    # A refused form keeps what was typed, so it can be copied.
    form = await world.run(world.ben, "idea submit", {"challenge": "nope"})
    refused = await world.submit(form, {"Title": "Lost?", "Description": "Long text I typed."})
    assert "Long text I typed." in refused.text()


async def test_files_travel_with_the_reply(bot: Bot, world: World) -> None:
    await running_challenge(world, (world.ana, "Oat latte"))
    record = await world.run(world.maya, "export", {"challenge": "snacks"})
    (answer,) = world.fake.requests_to("POST", rf"/interactions/{record.id}/[^/]+/callback$")
    assert answer.files and answer.files[0].endswith(".csv"), record.text()
    # Deferred, the files travel with the edit that replaces the thinking message.
    bot.platform.interactions.answer_within_s = 0
    record = await world.run(world.maya, "export", {"challenge": "snacks"})
    edits = world.fake.requests_to("PATCH", r"/messages/@original$")
    assert edits[-1].files and edits[-1].files[0].endswith(".csv"), record.text()


async def test_only_unprivileged_intents_are_asked(bot: Bot, world: World) -> None:
    identify = world.fake.identifies[-1]
    assert identify["intents"] & PRIVILEGED_INTENTS == 0
    assert identify["intents"] == (1 << 0) | (1 << 10), "guilds and guild message reactions"


async def test_direct_messages_are_declined_without_the_database(bot: Bot, world: World) -> None:
    payload = world.fake.command_payload(world.ben, world.ideas, "cocreate help")
    del payload["guild_id"], payload["guild"], payload["member"]
    payload["user"] = world.ben.user
    payload["context"] = 1
    payload["channel"] = {"id": str(world.ideas), "type": 1, "recipients": [world.ben.user]}
    record = await world.fake.send_interaction(payload)
    await asyncio.wait_for(record.answered.wait(), WAIT)
    assert record.callback_type == 4
    assert "server" in record.text()


async def test_a_public_reply_is_posted_and_the_thinking_message_says_so(
    bot: Bot, world: World
) -> None:
    slow = asyncio.Event()
    held: list[asyncio.Event] = []

    async def public(invocation: Invocation) -> Reply:
        for gate in held:
            await gate.wait()
        return Reply(Card("📊 For everyone", "Shown to the whole channel."), ephemeral=False)

    bot.core.handle_command = public  # type: ignore[method-assign]
    # In time, the public reply is the first response.
    record = await world.run(world.ben, "results")
    assert record.callback_type == 4 and record.followups == []
    assert not int(record.data.get("flags") or 0) & 64, "not ephemeral"
    assert record.data["embeds"][0]["title"] == "📊 For everyone"
    assert record.data["allowed_mentions"] == {"parse": []}
    # Deferred, it follows up in the channel and the thinking message says so.
    bot.platform.interactions.answer_within_s = 0.05
    held.append(slow)
    record = await world.fake.command(world.ben, world.ideas, "results")
    await asyncio.wait_for(record.acked.wait(), WAIT)
    slow.set()
    await world.fake.wait_until(lambda: record.followups and record.edits)
    (followup,) = record.followups
    assert not int(followup.get("flags") or 0) & 64, "not ephemeral"
    assert followup["embeds"][0]["title"] == "📊 For everyone"
    assert followup["allowed_mentions"] == {"parse": []}
    assert "Posted" in record.edits[-1]["content"]


async def test_stopping_lets_acknowledged_commands_finish(bot: Bot, world: World) -> None:
    gate = GatedDatabase(bot.core.db)
    bot.core.db = gate
    record = await world.fake.command(world.ben, world.ideas, "challenge list")
    await asyncio.wait_for(gate.entered.wait(), WAIT)
    assert bot.platform is not None
    stopping = asyncio.create_task(bot.platform.stop())
    gate.open.set()
    await asyncio.wait_for(stopping, WAIT)
    assert record.answered.is_set(), "answered before the client closed"
    bot.core.db = gate.db
