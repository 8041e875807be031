"""`cocreate discord sync`: register the slash commands globally, over REST only."""

from __future__ import annotations

import logging

import discord

from adapters.discord.client import configure_endpoints, intents
from adapters.discord.platform import TOKEN_MISSING, command_tree
from adapters.discord.resilience import describe
from adapters.discord.settings import discord_settings
from bot.settings import Settings

log = logging.getLogger("cocreate.discord")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2


async def sync_commands(settings: Settings) -> int:
    """Log in (no gateway), replace the global commands with the specs' ones, log out.

    Returns the process exit status. Global commands can take up to an hour to show in
    every guild; `discord.guild_ids` makes `cocreate run` sync to those guilds at once.
    """
    config = discord_settings(settings)
    if config.token is None:
        log.error(TOKEN_MISSING)
        print(TOKEN_MISSING)
        return EXIT_CONFIG
    configure_endpoints(config)
    client = discord.Client(intents=intents())
    try:
        await client.login(config.token.get_secret_value())
        tree = await command_tree(client, None, settings)
        synced = await tree.sync()
    except discord.LoginFailure:
        log.error("Discord refused the token (COCREATE_DISCORD__TOKEN)")
        return EXIT_FAILED
    except (discord.HTTPException, OSError, TimeoutError) as err:
        log.error("could not sync the slash commands: %s", describe(err))
        return EXIT_FAILED
    finally:
        await client.close()
    names = ", ".join(f"/{c.name}" for c in synced)
    log.info("synced %d commands globally: %s", len(synced), names)
    print(f"synced {len(synced)} commands globally: {names}")
    return EXIT_OK
