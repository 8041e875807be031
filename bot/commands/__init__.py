"""Every command, declared once in `registry` and handled here."""

from bot.commands import (
    accounts,
    capture,
    challenges,
    help,
    ideas,
    language,
    members,
    moderation,
    notices,
    organisation,
    results,
    tokens,
    webhooks,
)
from bot.commands.spec import CommandSpec, Option, OptionKind, registry

__all__ = [
    "CommandSpec",
    "Option",
    "OptionKind",
    "accounts",
    "capture",
    "challenges",
    "help",
    "ideas",
    "language",
    "members",
    "moderation",
    "notices",
    "organisation",
    "registry",
    "results",
    "tokens",
    "webhooks",
]
