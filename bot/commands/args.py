"""Validation of raw option values against a command spec, with specific errors."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Indel

from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.errors import UserError
from bot.grammar import (
    GrammarError,
    parse_bool,
    parse_cron,
    parse_duration,
    parse_idea_number,
    parse_timezone,
)
from bot.i18n import _, n_
from bot.messages import OptionValue
from bot.text import display_inline

#: A Unicode emoji (no ASCII at all), a `:name:`, or a Discord custom emoji `<:name:id>`.
_EMOJI = re.compile(
    r"[^\x00-\x7f\s]{1,16}|:[a-z0-9_+\-]{1,40}:|<a?:[A-Za-z0-9_]{2,32}:[0-9]{5,25}>"
)
_REFERENCE = re.compile(r"^<[@#!&]*([A-Za-z0-9_.-]+)(?:\|[^>]*)?>$")


def strip_reference(text: str) -> str:
    """`<@U123|ana>`, `<#C1|general>`, `@ana` and `#general` name the thing inside."""
    text = text.strip()
    match = _REFERENCE.match(text)
    if match:
        return match.group(1)
    return text.lstrip("@#") if text[:1] in "@#" else text


#: Options whose values are often several words: bare words after one were probably
#: meant to be part of it (`title:My idea`).
_WORDY = (
    OptionKind.TEXT,
    OptionKind.LONG_TEXT,
    OptionKind.CHALLENGE,
    OptionKind.MEMBER,
    OptionKind.WHEN,
)


def _quote_for_code(text: str, limit: int = 60) -> str:
    return display_inline(text.replace("`", "'"), limit)


def _refuse_spilled(
    spec: CommandSpec,
    options: Mapping[str, OptionValue],
    spilled: Mapping[str, tuple[str, ...]],
) -> None:
    """`title:My idea description:…`: the value of `title` ended at the space, and `idea`
    would be taken for something else. Say so, with the quoting that works."""
    for name, words in spilled.items():
        option = spec.option(name)
        if option is None or option.kind not in _WORDY or not words:
            continue
        typed = f"{options.get(name, '')}"
        whole = " ".join((typed, *words))
        left = " ".join(words)
        raise UserError(
            # TRANSLATORS: {name} is an option's name, typed as it is
            _(
                "`{name}:` took only `{typed}`: an option's value ends at the first space, "
                "so `{left}` was left over. Put a value with spaces in quotes: "
                '`{name}:"{whole}"`. Usage: `{usage}`',
                name=name,
                typed=_quote_for_code(typed),
                left=_quote_for_code(left),
                whole=_quote_for_code(whole),
                usage=spec.usage,
            )
        )


def bind(
    spec: CommandSpec,
    options: Mapping[str, OptionValue],
    positionals: tuple[str, ...],
    spilled: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """The command's arguments, converted and checked; a UserError names what is wrong."""
    if spilled:
        _refuse_spilled(spec, options, spilled)
    raw: dict[str, OptionValue] = {}
    slots = [o for o in spec.options if o.positional]
    values = list(positionals)
    for i, option in enumerate(slots):
        if not values:
            break
        if option.greedy or (i == len(slots) - 1 and option.kind is OptionKind.CHALLENGE):
            raw[option.name] = " ".join(values)
            values = []
        elif (
            option.kind is OptionKind.CHOICE
            and len(values) > 1
            and _two_word_choice(option, values)
        ):
            raw[option.name] = f"{values.pop(0)} {values.pop(0)}"
        else:
            raw[option.name] = values.pop(0)
    if values:
        extra = " ".join(values)
        raise UserError(
            _(
                "I don't know what to do with `{extra}`. Usage: `{usage}`",
                extra=extra,
                usage=spec.usage,
            )
        )
    for name, value in options.items():
        named = spec.option(name)
        if named is None:
            known = [o.name for o in spec.options]
            close = nearest_option(name, known)
            if close:
                raise UserError(
                    _(
                        "`{command}` has no option `{name}`. Did you mean `{close}:`? "
                        "Usage: `{usage}`",
                        command=spec.name,
                        name=name,
                        close=close,
                        usage=spec.usage,
                    )
                )
            raise UserError(
                _(
                    "`{command}` has no option `{name}`. Usage: `{usage}`",
                    command=spec.name,
                    name=name,
                    usage=spec.usage,
                )
            )
        if name in raw:
            raise UserError(
                _("`{name}` is given twice. Usage: `{usage}`", name=name, usage=spec.usage)
            )
        raw[name] = value
    args: dict[str, Any] = {}
    for option in spec.options:
        if option.name not in raw:
            if option.required:
                raise UserError(
                    _(
                        "`{command}` needs `{name}` ({description}). Usage: `{usage}`",
                        command=spec.name,
                        name=option.name,
                        description=_(option.description),
                        usage=spec.usage,
                    )
                )
            continue
        args[option.name] = convert(option, raw[option.name])
    return args


def nearest_option(name: str, known: list[str]) -> str | None:
    """The option name nearest to a misspelt one, if any is near enough."""
    found = process.extractOne(
        name.lower(), known, scorer=Indel.normalized_similarity, score_cutoff=0.6
    )
    return None if found is None else str(found[0])


def _two_word_choice(option: Option, values: list[str]) -> bool:
    """`/mod status #4 in progress`: a choice of two words, typed without quotes."""
    one, two = (_choice_key(v) for v in values[:2])
    return one not in option.choices and f"{one}_{two}" in option.choices


def _choice_key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


#: Longest value a reference may have (the columns that store them hold 64 characters).
REFERENCE_MAX = 64


def convert(option: Option, value: OptionValue) -> Any:
    try:
        if isinstance(value, str):
            _check_storable(option, value)
        return _convert(option, value)
    except GrammarError as err:
        # TRANSLATORS: {name} is an option's name; {problem} says what is wrong with its value
        raise UserError(_("`{name}`: {problem}", name=option.name, problem=str(err))) from None


def _check_storable(option: Option, text: str) -> None:
    """Text the database could not store, or that no reference can be, is refused here:
    lone surrogates and NUL anywhere, any control character outside free text, and
    references longer than their columns."""
    if any(0xD800 <= ord(ch) <= 0xDFFF or ch == "\x00" for ch in text):
        raise GrammarError(_("contains characters that can't be stored; please retype it."))
    if option.kind in (OptionKind.TEXT, OptionKind.LONG_TEXT):
        return  # free text: clean_user_text checks it with its field's own rules
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise GrammarError(_("contains control characters."))
    if option.kind in (OptionKind.MEMBER, OptionKind.CHANNEL) and len(text) > REFERENCE_MAX * 8:
        raise GrammarError(_("is too long."))


def _convert(option: Option, value: OptionValue) -> Any:
    kind = option.kind
    if kind is OptionKind.BOOL:
        return value if isinstance(value, bool) else parse_bool(str(value))
    if kind is OptionKind.INT:
        return _integer(option, value)
    if kind is OptionKind.IDEA:
        return (
            value
            if isinstance(value, int) and not isinstance(value, bool)
            else (parse_idea_number(str(value)))
        )
    text = str(value)
    if kind is OptionKind.CHOICE:
        choice = _choice_key(text)
        if choice not in option.choices:
            raise GrammarError(
                _(
                    "choose one of {choices} (not `{text}`).",
                    choices=", ".join(option.choices),
                    text=text,
                )
            )
        return choice
    if kind is OptionKind.DURATION:
        return (
            timedelta(0) if text.strip().lower() in ("0", "none", "off") else parse_duration(text)
        )
    if kind is OptionKind.CRON:
        schedule = parse_cron(text)
        if len(schedule) > 100:
            raise GrammarError(_("that schedule is too long; use ranges such as 0-59/5."))
        return schedule
    if kind is OptionKind.TIMEZONE:
        return parse_timezone(text)
    if kind in (OptionKind.MEMBER, OptionKind.CHANNEL):
        ref = strip_reference(text)
        if not ref:
            raise GrammarError(
                _("name a member.") if kind is OptionKind.MEMBER else _("name a channel.")
            )
        if len(ref) > REFERENCE_MAX and kind is OptionKind.MEMBER:
            raise GrammarError(
                n_(
                    "no member has a name or id that long ({n} character).",
                    "no member has a name or id that long ({n} characters).",
                    len(ref),
                )
            )
        return ref
    if kind is OptionKind.EMOJI:
        emoji = text.strip()
        if not _EMOJI.fullmatch(emoji):
            raise GrammarError(_("give one emoji, such as 👍 or :tada:."))
        return emoji
    return text


def _integer(option: Option, value: OptionValue) -> int:
    if isinstance(value, bool):
        raise GrammarError(_("give a whole number."))
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise GrammarError(_("`{value}` is not a whole number.", value=value)) from None
    if option.min_value is not None and number < option.min_value:
        raise GrammarError(_("the smallest allowed is {value}.", value=option.min_value))
    if option.max_value is not None and number > option.max_value:
        raise GrammarError(_("the largest allowed is {value}.", value=option.max_value))
    return number
