"""Command specs: the one declaration that every adapter builds its commands from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.i18n import p_, pN_

if TYPE_CHECKING:
    from bot.commands.context import Context
    from bot.messages import Reply
    from bot.settings import Settings


class OptionKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long text"
    INT = "integer"
    BOOL = "yes/no"
    CHOICE = "choice"
    DURATION = "duration"
    WHEN = "deadline"
    IDEA = "idea"
    CHALLENGE = "challenge"
    MEMBER = "member"
    CHANNEL = "channel"
    EMOJI = "emoji"
    CRON = "cron"
    TIMEZONE = "time zone"

    @property
    def label(self) -> str:
        """The kind as people read it, in the language in force (`<deadline>`)."""
        return p_("option kind", KIND_NAMES[self])


#: what each kind of option is called where usage shows it (`submissions_close:<deadline>`)
KIND_NAMES: dict[OptionKind, str] = {
    OptionKind.TEXT: pN_("option kind", "text"),
    OptionKind.LONG_TEXT: pN_("option kind", "long text"),
    OptionKind.INT: pN_("option kind", "integer"),
    OptionKind.BOOL: pN_("option kind", "yes/no"),
    OptionKind.CHOICE: pN_("option kind", "choice"),
    OptionKind.DURATION: pN_("option kind", "duration"),
    OptionKind.WHEN: pN_("option kind", "deadline"),
    OptionKind.IDEA: pN_("option kind", "idea"),
    OptionKind.CHALLENGE: pN_("option kind", "challenge"),
    OptionKind.MEMBER: pN_("option kind", "member"),
    OptionKind.CHANNEL: pN_("option kind", "channel"),
    OptionKind.EMOJI: pN_("option kind", "emoji"),
    OptionKind.CRON: pN_("option kind", "cron"),
    OptionKind.TIMEZONE: pN_("option kind", "time zone"),
}


@dataclass(frozen=True)
class Option:
    name: str
    kind: OptionKind
    #: marked with `N_` where declared, translated where shown
    description: str
    required: bool = False
    positional: bool = False
    #: a positional text option that takes every remaining word (`/mod reject #4 too vague`)
    greedy: bool = False
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    #: the settings key (under [limits]) that bounds this text option's length
    limit: str | None = None

    @property
    def placeholder(self) -> str:
        inner = {
            OptionKind.IDEA: "#n",
            OptionKind.CHOICE: "|".join(self.choices),
        }.get(self.kind, self.name)
        return f"<{inner}>" if self.required else f"[{inner}]"


Handler = Callable[["Context", Mapping[str, Any]], Awaitable["Reply"]]
#: given the command's arguments and the settings, what it needs from outside
Outside = Callable[[Mapping[str, Any], "Settings"], Awaitable[Any]]
#: the argument that carries what `CommandSpec.outside` found (no option has this name)
OUTSIDE = "(outside)"


#: what members type as free text
TEXT_KINDS = (OptionKind.TEXT, OptionKind.LONG_TEXT)


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]
    #: marked with `N_` where declared, translated where shown (`_(spec.description)`)
    description: str
    options: tuple[Option, ...]
    handler: Handler
    moderator: bool = False
    #: other paths that reach the same command (`/cocreate results` for `/results`)
    aliases: tuple[tuple[str, ...], ...] = ()
    #: a form helps here: Discord opens a modal, Slack a Block Kit view
    form: bool = False
    #: one line as a member would type it, shown by `/cocreate help <command>`
    example: str = ""
    #: what the command waits for from the world outside (a DNS lookup), run before its
    #: transaction so that no database lock waits with it; its result reaches the
    #: handler as the argument `OUTSIDE`
    outside: Outside | None = None

    @property
    def name(self) -> str:
        return "/" + " ".join(self.path)

    @property
    def usage(self) -> str:
        parts = [self.name]
        for o in self.options:
            if o.positional:
                parts.append(o.placeholder)
            elif o.required:
                parts.append(f"{o.name}:<{o.kind.label}>")
        optional = [o.name for o in self.options if not o.positional and not o.required]
        if optional:
            parts.append("[" + " ".join(f"{n}:…" for n in optional) + "]")
        return " ".join(parts)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    @property
    def edits_existing(self) -> bool:
        """`/idea edit #n`: a form of it keeps what is left blank."""
        return any(o.kind is OptionKind.IDEA and o.required for o in self.options)

    def form_requires(self, option: Option) -> bool:
        """Whether a form of this command (Discord's modal, Slack's view) must have this
        field filled in: a required option, or a text with a length limit (a title, a
        description) unless the form edits what exists. A yes/no never is."""
        if option.kind is OptionKind.BOOL:
            return False
        if option.required:
            return True
        return option.kind in TEXT_KINDS and option.limit is not None and not self.edits_existing


class Registry:
    """Every command, by path and alias."""

    def __init__(self) -> None:
        self.specs: list[CommandSpec] = []
        self._by_path: dict[tuple[str, ...], CommandSpec] = {}
        self._paths: frozenset[tuple[str, ...]] | None = None

    def command(
        self,
        *path: str,
        description: str,
        options: tuple[Option, ...] = (),
        moderator: bool = False,
        aliases: tuple[tuple[str, ...], ...] = (),
        form: bool = False,
        example: str = "",
        outside: Outside | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            spec = CommandSpec(
                path, description, options, handler, moderator, aliases, form, example, outside
            )
            self.specs.append(spec)
            for key in (path, *aliases):
                if key in self._by_path:
                    raise ValueError(f"command {key} declared twice")
                self._by_path[key] = spec
            self._paths = None
            return handler

        return register

    def find(self, path: tuple[str, ...]) -> CommandSpec | None:
        return self._by_path.get(path)

    @property
    def paths(self) -> frozenset[tuple[str, ...]]:
        """Every path and alias (the same set until a command is added)."""
        if self._paths is None:
            self._paths = frozenset(self._by_path)
        return self._paths


registry = Registry()
