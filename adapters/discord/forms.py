"""Modals for the commands whose spec says a form helps, derived from the specs.

A form command's text options (and, when they fit, its yes/no options) become the modal's
fields. The modal opens when the member gave none of the text, or left out one the
command needs; otherwise the command runs straight away. A modal must be the first
answer to an interaction, so it opens before anything touches the database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.localise import NAME_CONTEXT
from bot.commands.spec import TEXT_KINDS, CommandSpec, Option, OptionKind
from bot.i18n import _, p_
from bot.messages import OptionValue
from bot.settings import LimitsSettings

MODAL_ROWS_MAX = 5
TITLE_MAX = 45
LABEL_MAX = 45
DESCRIPTION_MAX = 100
BUTTON_LABEL_MAX = 80
TEXT_INPUT_MAX = 4000
#: How long an opened form waits for its answer (an interaction token lasts 15 minutes).
FORM_TIMEOUT_S = 900.0
FORM_PREFIX = "cocreate:form:"


#: Called with the submit interaction and the command's merged option values.
Submit = Callable[[discord.Interaction, dict[str, OptionValue], dict[str, str]], Awaitable[None]]


@dataclass(frozen=True)
class FormField:
    option: Option
    required: bool
    max_length: int | None

    @property
    def checkbox(self) -> bool:
        return self.option.kind is OptionKind.BOOL

    @property
    def label(self) -> str:
        return field_label(self.option.name)


def option_words(option_name: str) -> str:
    """An option's name as the member's slash command shows it, in words (`accept terms`),
    in the language in force."""
    return p_(NAME_CONTEXT, option_name).replace("_", " ").strip() or option_name


def field_label(option_name: str) -> str:
    """A form field's label: its option's name, capitalised (`Title`, `Accept terms`)."""
    name = option_words(option_name)
    return (name[:1].upper() + name[1:])[:LABEL_MAX]


def form_fields(spec: CommandSpec, limits: LimitsSettings) -> list[FormField]:
    """The modal's fields for a form command: its text options, plus its yes/no options
    when all of them fit in Discord's five rows."""
    texts = [o for o in spec.options if o.kind in TEXT_KINDS]
    flags = [o for o in spec.options if o.kind is OptionKind.BOOL]
    chosen = texts + flags if len(texts) + len(flags) <= MODAL_ROWS_MAX else texts
    out: list[FormField] = []
    for option in chosen[:MODAL_ROWS_MAX]:
        limit = getattr(limits, option.limit) if option.limit else None
        max_length = min(int(limit), TEXT_INPUT_MAX) if limit else TEXT_INPUT_MAX
        out.append(
            FormField(
                option,
                spec.form_requires(option),
                None if option.kind is OptionKind.BOOL else max_length,
            )
        )
    return out


def form_option_names(spec: CommandSpec, limits: LimitsSettings) -> set[str]:
    """Options the form collects: optional on the slash command, whatever the spec says."""
    if not spec.form:
        return set()
    return {f.option.name for f in form_fields(spec, limits) if not f.checkbox}


def needs_form(spec: CommandSpec, given: Mapping[str, OptionValue], limits: LimitsSettings) -> bool:
    """Whether to answer with the modal: no text given at all, or some required text missing."""
    if not spec.form:
        return False
    fields = [f for f in form_fields(spec, limits) if not f.checkbox]
    if not fields:
        return False
    if not any(f.option.name in given for f in fields):
        return True
    return any(f.required and f.option.name not in given for f in fields)


def form_title(spec: CommandSpec, given: Mapping[str, OptionValue]) -> str:
    """`Submit an idea to a challenge`, `Edit your idea · #12` (45 characters at most), in
    the language in force."""
    title = re.sub(r"\s*\([^)]*\)", "", _(spec.description)).strip() or spec.name
    idea = next(
        (given[o.name] for o in spec.options if o.kind is OptionKind.IDEA and o.name in given), None
    )
    if idea is None:
        return title[:TITLE_MAX]
    number = f" · #{str(idea).lstrip('#')}"
    return title[: max(TITLE_MAX - len(number), 0)].rstrip() + number[:TITLE_MAX]


def submitted_values(
    fields: list[FormField], values: Mapping[str, str | bool]
) -> dict[str, OptionValue]:
    """What the member typed or ticked, as option values: blank optional texts left out."""
    out: dict[str, OptionValue] = {}
    for f in fields:
        value = values.get(f.option.name)
        if value is None:
            continue
        if f.checkbox:
            out[f.option.name] = bool(value)
        elif isinstance(value, str) and value.strip():
            out[f.option.name] = value
    return out


def form_submission(
    data: Mapping[str, Any],
) -> tuple[tuple[str, ...], dict[str, str | bool]] | None:
    """For the submission of a command form (raw interaction data): the command's path and
    the submitted fields by option name. None for any other modal."""
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(FORM_PREFIX):
        return None
    path, _sep, _key = custom_id.removeprefix(FORM_PREFIX).rpartition(":")
    fields: dict[str, str | bool] = {}
    for row in data.get("components") or []:
        inner: Mapping[str, Any] = row.get("component") or next(
            iter(row.get("components") or []), {}
        )
        name = str(inner.get("custom_id", ""))
        if name.startswith("field:") and isinstance(inner.get("value"), str | bool):
            fields[name.removeprefix("field:")] = inner["value"]
    return tuple(path.split("-")), fields


class CommandForm(discord.ui.Modal):
    """The modal of one form command, prefilled with what the slash command already had."""

    def __init__(
        self,
        spec: CommandSpec,
        given: Mapping[str, OptionValue],
        limits: LimitsSettings,
        on_submit: Submit,
    ) -> None:
        super().__init__(
            title=form_title(spec, given),
            timeout=FORM_TIMEOUT_S,
            custom_id=f"{FORM_PREFIX}{'-'.join(spec.path)}:{uuid.uuid4().hex[:12]}",
        )
        self.spec = spec
        self.fields = form_fields(spec, limits)
        self.given = dict(given)
        self._submit = on_submit
        self.inputs: dict[str, discord.ui.TextInput[Any] | discord.ui.Checkbox[Any]] = {}
        for f in self.fields:
            prefill = given.get(f.option.name)
            component: discord.ui.TextInput[Any] | discord.ui.Checkbox[Any]
            if f.checkbox:
                component = discord.ui.Checkbox(
                    custom_id=f"field:{f.option.name}", default=bool(prefill)
                )
            else:
                component = discord.ui.TextInput(
                    custom_id=f"field:{f.option.name}",
                    style=(
                        discord.TextStyle.paragraph
                        if f.option.kind is OptionKind.LONG_TEXT
                        else discord.TextStyle.short
                    ),
                    required=f.required,
                    max_length=f.max_length,
                    default=str(prefill)[: f.max_length or TEXT_INPUT_MAX] if prefill else None,
                    placeholder=(
                        _("leave empty to keep the current text")
                        if spec.edits_existing
                        else _(f.option.description)
                    )[:DESCRIPTION_MAX],
                )
            self.inputs[f.option.name] = component
            self.add_item(
                discord.ui.Label(
                    text=f.label,
                    description=_(f.option.description)[:DESCRIPTION_MAX] if f.checkbox else None,
                    component=component,
                )
            )

    def values(self) -> dict[str, str | bool]:
        out: dict[str, str | bool] = {}
        for name, component in self.inputs.items():
            if isinstance(component, discord.ui.Checkbox):
                out[name] = component.value
            else:
                out[name] = component.value or ""
        return out

    async def on_submit(self, interaction: discord.Interaction) -> None:
        typed = submitted_values(self.fields, self.values())
        merged = {k: v for k, v in self.given.items() if k not in self.inputs}
        merged.update(typed)
        echo = {k: str(v) for k, v in typed.items() if isinstance(v, str)}
        await self._submit(interaction, merged, echo)


class ReasonForm(discord.ui.Modal):
    """Reject from the review queue: an optional reason the author will read."""

    def __init__(
        self, number: int, on_submit: Callable[[discord.Interaction, str], Awaitable[None]]
    ) -> None:
        super().__init__(
            title=_("Reject idea #{number}", number=number)[:TITLE_MAX],
            timeout=FORM_TIMEOUT_S,
            custom_id=f"cocreate:reject:{number}:{uuid.uuid4().hex[:12]}",
        )
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="field:reason",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=500,
            placeholder=_("why, in a sentence the author can read (optional)")[:DESCRIPTION_MAX],
        )
        self.add_item(discord.ui.Label(text=_("Reason")[:LABEL_MAX], component=self.reason))
        self._submit = on_submit

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, (self.reason.value or "").strip())
