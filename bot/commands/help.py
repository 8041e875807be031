"""`/cocreate help`: what the bot does, the commands, and the ranking rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.context import Context
from bot.commands.spec import CommandSpec, registry
from bot.messages import Card, Reply
from bot.model import RANKING_RULE


@registry.command("cocreate", "help", description="What Cocreate does, and its commands")
async def help_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    member = [s for s in registry.specs if not s.moderator]
    lines = [f"`{s.usage}`{_also(s)} — {s.description}" for s in member]
    fields = [("Commands", "\n".join(lines))]
    if ctx.is_moderator:
        mod = [f"`{s.usage}`{_also(s)} — {s.description}" for s in registry.specs if s.moderator]
        fields.append(("Moderators", "\n".join(mod)))
    fields.append(("Ranking", RANKING_RULE))
    return Reply(
        Card(
            "👋 Cocreate runs co-creation challenges here",
            "A brand asks a question, members submit ideas, and everyone votes by reacting "
            "to the idea posts. Results are posted, and badges reward taking part.",
            tuple(fields),
            footer="Ideas are written #12; durations 90m, 36h, 7d or 2w.",
        )
    )


def _also(spec: CommandSpec) -> str:
    """Other names of a command: Slack reaches `/results` as `/cocreate results`."""
    return "".join(f" (or `/{' '.join(alias)}`)" for alias in spec.aliases)
