"""One challenge across Discord and Slack, in one process, through the real discord.py and
slack-bolt against their loopback fakes: a challenge created on Slack with a venue on
Discord, ideas and votes from both, one person with linked accounts who votes on both
and counts once, a restart in which the reactions on both platforms are read back, and
final results with the podium on both. The in-memory platform (adapters/memory) takes
part as a third community, registered and built like the real ones."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.memory.chat import Chat, chat, forget
from adapters.slack.platform import SlackPlatform
from bot.clock import ManualClock
from bot.plugins import platform_plugins
from bot.settings import Settings, load_settings
from cocreate.bootstrap import build
from tests.discord.conftest import FAST, WAIT, Bot, World, make_world
from tests.discord.fake import FakeDiscord, embed_text
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, Sleeps, make_tuning, text_of
from tests.slack.conftest import World as SlackWorld
from tests.slack.fake_slack import FakeSlack

CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")


def settings(
    tmp_path: Path, discord: FakeDiscord, slack: FakeSlack, world: World, room: Chat
) -> Settings:
    config = tmp_path / "cocreate.toml"
    config.write_text("", encoding="utf-8")
    return load_settings(
        config_path=config,
        environ={
            "COCREATE_CORE__DATA_DIR": str(tmp_path / "data"),
            "COCREATE_DISCORD__ENABLED": "true",
            "COCREATE_DISCORD__TOKEN": "test-token",
            "COCREATE_DISCORD__API_BASE_URL": discord.base_url,
            "COCREATE_DISCORD__GATEWAY_URL": discord.gateway_url,
            "COCREATE_DISCORD__GUILD_IDS": f"[{world.guild.id}]",
            "COCREATE_DISCORD__MODERATOR_CHANNEL": str(world.mods),
            "COCREATE_SLACK__ENABLED": "true",
            "COCREATE_SLACK__BOT_TOKEN": BOT_TOKEN,
            "COCREATE_SLACK__SIGNING_SECRET": SIGNING_SECRET,
            "COCREATE_SLACK__API_BASE_URL": slack.api_url,
            "COCREATE_SLACK__HOST": "127.0.0.1",
            "COCREATE_SLACK__PORT": "0",
            "COCREATE_SLACK__MODERATOR_CHANNEL": "C_MODS",
            "COCREATE_MEMORY__ENABLED": "true",
            "COCREATE_MEMORY__CHAT": room.name,
        },
    )


@dataclass
class Running:
    discord: Bot
    slack: SlackWorld

    async def settle(self) -> None:
        await self.slack.settle()
        await self.discord.idle()
        await self.discord.core.drain()


@asynccontextmanager
async def running(
    cfg: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[Running]:
    """One core with every platform, as `cocreate run` starts it with all enabled (Discord
    and Slack with the tests' quick timings)."""
    core = await build(cfg, clock)
    await core.start()
    discord = Bot(
        fake_discord,
        cfg,
        core=core,
        guild_ready_timeout=0.05,
        identify_delay=0,
        ready_timeout=WAIT,
        policy=FAST,
        reconcile_pace=0,
        reconnect_delay=0.05,
    )
    sleeps = Sleeps()
    slack_platform = SlackPlatform(core, cfg, make_tuning(sleeps))
    slack = SlackWorld(core, slack_platform, fake_slack, sleeps)
    memory = platform_plugins()["memory"].create(core, cfg)
    try:
        await slack_platform.start()
        await discord.start()
        await memory.start()
        both = Running(discord, slack)
        await both.settle()
        yield both
        await both.settle()
    finally:
        await slack.close()
        await memory.stop()
        await discord.stop()
        await slack_platform.stop()
        await core.stop()


async def test_one_challenge_runs_across_discord_and_slack(tmp_path: Path) -> None:
    fake_discord = await FakeDiscord().start()
    fake_slack = FakeSlack()
    await fake_slack.start()
    fake_slack.add_team("T1", BOT_TOKEN)
    fake_slack.add_user("U_MAYA", "Maya S", admin=True)
    for user in ("Ana", "Ben", "Carl", "Dora", "Owen"):
        fake_slack.add_user(f"U_{user.upper()}", f"{user} S")
    world = make_world(fake_discord)
    room = chat(f"live-{tmp_path.name}")
    room.member("Mo", moderator=True)
    cfg = settings(tmp_path, fake_discord, fake_slack, world, room)
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    try:
        async with running(cfg, fake_discord, fake_slack, clock) as both:
            slack = both.slack
            # The Slack workspace founds the organisation; a Discord moderator confirms.
            issued = await slack.ask("/mod org link", user="U_MAYA")
            code = CODE.search(issued)
            assert code, issued
            joined = await world.run(world.maya, "mod org join", {"code": code.group(0)})
            assert "Linked" in joined.embed["title"], joined.text()
            issued = await slack.ask("/mod org link", user="U_MAYA")
            code = CODE.search(issued)
            assert code, issued
            assert (await room.command("Mo", "ideas", f"/mod org join {code.group(0)}")).ok

            # A challenge created on Slack, with a venue added on Discord.
            created = await slack.ask(
                '/challenge create title:"Flavour" brief:"Which flavour next?" venue:C_IDEAS',
                user="U_MAYA",
            )
            assert "flavour" in created, created
            edited = await world.run(
                world.maya, "challenge edit", {"challenge": "flavour", "venue": world.ideas}
            )
            assert edited.embed["title"], edited.text()
            moved = await room.command("Mo", "ideas", "/challenge edit flavour venue:ideas")
            assert moved.ok, moved.card
            opened = await slack.ask("/challenge open flavour", user="U_MAYA")
            assert "is open" in opened, opened
            await both.settle()
            assert "Which flavour next?" in text_of(
                {"blocks": fake_slack.posts("C_IDEAS")[-1].blocks}
            )
            discord_announcement = fake_discord.posts_in(world.ideas)[-1]
            assert "Flavour" in embed_text(discord_announcement["embeds"][0])

            # Ideas from both platforms: one numbering, posted to every venue.
            answer = await slack.ask(
                '/idea submit title:"Lavender honey" description:"Floral"', user="U_ANA"
            )
            assert "Idea #1 is in" in answer, answer
            record = await world.run(
                world.ana, "idea submit", {"title": "Pistachio", "description": "Nutty."}
            )
            assert "#2" in record.embed["title"], record.text()
            from_memory = await room.command(
                "Eli", "ideas", '/idea submit title:"Mango" description:"Sunny"'
            )
            assert "#3" in from_memory.card.title, from_memory.card
            await both.settle()
            slack_posts = slack.idea_posts()
            assert len(slack_posts) == 3
            in_memory = [m for m in room.posts("ideas") if m.text.startswith("💡 #")]
            assert [m.text.split(" · ")[0] for m in in_memory] == ["💡 #1", "💡 #2", "💡 #3"]
            # each platform's post of an idea opens its conversation there
            names = {t["name"] for t in fake_discord.threads.values()}
            assert {"#1 Lavender honey", "#2 Pistachio", "#3 Mango"} <= names, names
            assert all(m.thread for m in in_memory)
            discord_1 = int(fake_discord.idea_message(1)["id"])
            discord_2 = int(fake_discord.idea_message(2)["id"])

            # Votes from both: Ben and Cleo on Discord, Carl on Slack for #1; Dan on
            # Discord and Dora on Slack for #2.
            sent = []
            for person in (world.ben, world.cleo):
                sent += await fake_discord.react(person.id, discord_1, "👍")
            sent += await fake_discord.react(world.dan.id, discord_2, "👍")
            await both.discord.recorded(sent)
            await slack.react(slack_posts[0], "U_CARL")
            await slack.react(slack_posts[1], "U_DORA")
            await room.react("Fay", in_memory[1].id, "👍")
            await both.settle()

            # Ben links his Slack account to his Discord one, then votes on Slack too.
            issued_record = await world.run(world.ben, "cocreate link")
            assert "direct message" in issued_record.text(), issued_record.text()
            user_id, body, _ = fake_discord.direct_messages[-1]
            assert user_id == world.ben.id
            code = CODE.search(body["embeds"][0]["title"])
            assert code, body
            linked = await slack.ask(f"/cocreate link {code.group(0)}", user="U_BEN")
            assert "Accounts linked" in linked, linked
            await slack.react(slack_posts[0], "U_BEN")
            await both.settle()
            standings = await slack.ask("/cocreate results flavour", user="U_CARL")
            assert "#1 Lavender honey — 3 votes" in standings, standings
            assert "#2 Pistachio — 3 votes" in standings, standings

        # Down for a while: reactions on both platforms that nobody hears about.
        await fake_discord.react(world.maya.id, discord_1, "👍", deliver=False)
        fake_slack.react(slack_posts[1][0], slack_posts[1][1], "+1", "U_OWEN")
        clock.advance(timedelta(minutes=30))
        async with running(cfg, fake_discord, fake_slack, clock) as both:
            await both.settle()
            shown = await world.run(world.cleo, "results", {"challenge": "flavour"})
            assert "#1 Lavender honey — 4 votes" in shown.text(), shown.text()
            assert "#2 Pistachio — 4 votes" in shown.text(), shown.text()

            # Closing reads the votes back from both, then the podium goes to both.
            closed = await both.slack.ask("/challenge close flavour", user="U_MAYA")
            assert "is closed" in closed, closed
            await both.settle()
            # (each idea's final place goes into its thread too: the results post is the one)
            final_slack = next(
                text
                for m in reversed(fake_slack.posts("C_IDEAS"))
                if "🏆 Final results" in (text := text_of({"blocks": m.blocks}))
            )
            final_discord = next(
                text
                for m in reversed(fake_discord.posts_in(world.ideas))
                if m.get("embeds") and "🏆 Final results" in (text := embed_text(m["embeds"][0]))
            )
            final_memory = next(
                m.text for m in reversed(room.posts("ideas")) if "🏆 Final results" in m.text
            )
            for final in (final_slack, final_discord, final_memory):
                assert "Final results" in final, final
                assert "🥇 #1 Lavender honey — 4 votes" in final, final
                assert "🥈 #2 Pistachio — 4 votes" in final, final
    finally:
        forget(room.name)
        await fake_slack.stop()
        await fake_discord.stop()
