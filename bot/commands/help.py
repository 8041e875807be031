"""`/cocreate help`: what the bot does, the commands and the ranking rule; with a command
named, that command explained with an example. `/help`, and `/cocreate` alone, lead here."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from bot import i18n
from bot.commands.context import Context
from bot.commands.spec import CommandSpec, Option, OptionKind, registry
from bot.errors import UserError
from bot.grammar import nearest_commands
from bot.i18n import N_, _
from bot.messages import Card, Reply
from bot.model import RANKING_RULE
from bot.text import display_inline

COMMAND = Option(
    "command",
    OptionKind.TEXT,
    N_("a command to explain, like idea submit"),
    positional=True,
    greedy=True,
)
#: `/help` and `/cocreate` alone: the way in for those who don't know the name yet
POINTER = ("help",)


@registry.command(
    "cocreate",
    "help",
    description=N_("What Cocreate does, and its commands"),
    options=(COMMAND,),
    example="/cocreate help idea submit",
)
async def help_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    if args.get("command", "").strip():
        return Reply(explain(find(args["command"]), ctx.is_moderator))
    fields = [(_("Commands"), _listing(i18n.current(), False, len(registry.specs)))]
    if ctx.is_moderator:
        fields.append((_("Moderators"), _listing(i18n.current(), True, len(registry.specs))))
    fields.append((_("Ranking"), _(RANKING_RULE)))
    return Reply(
        Card(
            _("👋 Cocreate runs co-creation challenges here"),
            _(
                "A brand asks a question, members submit ideas, and everyone votes by reacting "
                "to the idea posts. Results are posted, and badges reward taking part."
            ),
            tuple(fields),
            footer=_(
                "`/cocreate help <command>` explains one command, with an example "
                "(`/cocreate help idea submit`). Ideas are written #12; durations 90m, 36h, 7d "
                "or 2w."
            ),
        )
    )


@registry.command(
    *POINTER,
    description=N_("Help: the same as /cocreate help"),
    options=(COMMAND,),
    aliases=(("cocreate",),),
    example="/help ideas",
)
async def pointer(ctx: Context, args: Mapping[str, Any]) -> Reply:
    reply = await help_(ctx, args)
    card = reply.card
    note = _("This is `/cocreate help`: the command to remember for help on Cocreate.")
    return Reply(Card(card.title, f"{card.body}\n\n{note}".strip(), card.fields, card.footer))


def find(typed: str) -> CommandSpec:
    """The command named in `/cocreate help <command>`, with or without its slash, by its
    path or an alias (`cocreate results` is `/results`); otherwise a UserError with the
    nearest commands and where to see them all."""
    words = typed.strip().lstrip("/").lower().split()
    for path in (tuple(words), ("cocreate", *words)):
        spec = registry.find(path)
        if spec is not None and spec.path != POINTER:
            return spec
    shown = display_inline("/" + " ".join(words), 60).replace("`", "'")
    group = sorted(
        (s for s in registry.specs if words and s.path[: len(words)] == tuple(words)),
        key=lambda s: s.path,
    )
    if group:
        names = ", ".join(f"`{s.name}`" for s in group)
        raise UserError(
            _(
                "`{shown}` is a group of commands: {names}. Name one, like "
                "`/cocreate help {example}`.",
                shown=shown,
                names=names,
                example=" ".join(group[0].path),
            )
        )
    near = [f"`/{' '.join(c)}`" for c in nearest_commands(words, registry.paths)]
    if len(near) == 1:
        text = _(
            "There is no command `{shown}`. Did you mean {command}? `/cocreate help` lists "
            "every command.",
            shown=shown,
            command=near[0],
        )
    elif near:
        text = _(
            "There is no command `{shown}`. Did you mean {commands} or {last}? "
            "`/cocreate help` lists every command.",
            shown=shown,
            commands=", ".join(near[:-1]),
            last=near[-1],
        )
    else:
        text = _(
            "There is no command `{shown}`. `/cocreate help` lists every command.", shown=shown
        )
    raise UserError(text, title=_("No such command"))


def explain(spec: CommandSpec, moderator: bool) -> Card:
    """One command: what it does, how it is written, an example, and each option."""
    fields: list[tuple[str, str]] = [(_("Usage"), f"`{spec.usage}`")]
    if spec.example:
        fields.append((_("Example"), f"`{_(spec.example)}`"))
    options = [_option_line(o) for o in spec.options]
    if options:
        fields.append((_("Options"), "\n".join(options)))
    if spec.aliases:
        fields.append((_("Also"), ", ".join(f"`/{' '.join(a)}`" for a in spec.aliases)))
    who = _("Moderators only.") if spec.moderator else ""
    if spec.moderator and not moderator:
        who = _("Moderators only: you can't use it here.")
    what = f"{_(spec.description)}."
    return Card(
        _("❓ {command}", command=spec.name),
        " ".join(part for part in (what, who) if part),
        tuple(fields),
        footer=_("`/cocreate help` lists every command."),
    )


def _option_line(option: Option) -> str:
    written = option.placeholder if option.positional else f"{option.name}:…"
    description = _(option.description)
    if option.choices:
        choices = ", ".join(c.replace("_", " ") for c in option.choices)
        if option.required:
            return _(
                "`{written}` — {description} (one of {choices}, required)",
                written=written,
                description=description,
                choices=choices,
            )
        return _(
            "`{written}` — {description} (one of {choices}, optional)",
            written=written,
            description=description,
            choices=choices,
        )
    if option.required:
        return _(
            "`{written}` — {description} ({kind}, required)",
            written=written,
            description=description,
            kind=option.kind.label,
        )
    return _(
        "`{written}` — {description} ({kind}, optional)",
        written=written,
        description=description,
        kind=option.kind.label,
    )


@functools.lru_cache(maxsize=64)
def _listing(locale: str, moderators: bool, commands: int) -> str:
    """One line per command, the members' or the moderators', in the language in force
    (`locale`, the cache's key); made once per language. `commands`: how many are
    registered, so that commands a plugin registers later make the list again."""
    return "\n".join(
        f"`{s.usage}`{_also(s)} — {_(s.description)}"
        for s in registry.specs
        if s.moderator == moderators and s.path != POINTER
    )


def _also(spec: CommandSpec) -> str:
    """Other names of a command: Slack reaches `/results` as `/cocreate results`."""
    return "".join(
        _(" (or `{command}`)", command="/" + " ".join(alias))
        for alias in spec.aliases
        if len(alias) > 1
    )
