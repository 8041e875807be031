"""The text grammar of slash commands, and parsers for the values given to them.

A command line looks like Slack's slash-command text::

    /idea submit title:"Salted caramel" description:"Sweet and salty"
    /idea show #12
    /mod merge #4 into:#2
    /results "Next flavour"

Every parser raises :class:`GrammarError` with a short sentence meant for the chat user.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from rapidfuzz.distance import Indel

from bot.i18n import N_, _
from bot.text import display_inline

__all__ = [
    "GrammarError",
    "ParsedLine",
    "format_duration",
    "parse_bool",
    "parse_cron",
    "parse_duration",
    "parse_idea_number",
    "parse_line",
    "parse_timezone",
    "parse_when",
]


class GrammarError(ValueError):
    """Input that does not follow the grammar; the message is a friendly sentence for the user."""


def _show(text: str, limit: int = 40) -> str:
    """User input made safe to quote inside a `code span` of an error message."""
    return display_inline(text.replace("`", "'"), limit)


# --------------------------------------------------------------------------------------------
# Command lines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedLine:
    """A parsed command line.

    ``command`` is the lower-case command path (``("idea", "submit")``), ``positionals`` the
    other arguments in order, ``options`` the ``name:value`` arguments (lower-case names, values
    as typed).  ``options`` is copied into a new dict on construction.
    """

    command: tuple[str, ...]
    positionals: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    #: bare words that came right after an option's unquoted value, by option name
    #: (`title:My idea` leaves `idea` here): they were probably meant to be part of it
    spilled: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", dict(self.options))
        object.__setattr__(self, "spilled", dict(self.spilled))

    def __hash__(self) -> int:
        return hash((self.command, self.positionals, tuple(sorted(self.options.items()))))


#: Opening quote -> the quotes that may close it.  Straight quotes only close with the same
#: straight quote; typographic ones accept their usual partners and the straight quote (phones
#: and chat clients turn " into “ ” and sometimes only one of the two).
_QUOTES: dict[str, str] = {
    '"': '"',
    "'": "'",
    "“": '”"',
    "”": '”"',
    "„": '“”"',
    "‘": "’'",
    "«": "»",
}
_ESCAPABLE = frozenset("\\\"'“”„‘’«»")
_OPTION_PREFIX_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):")


@dataclass
class _Token:
    text: str
    quoted: bool = False  # the argument (or the option's value) was quoted
    option: str | None = None  # the option name for name:value tokens


def _read_quoted(text: str, start: int, option: str | None = None) -> tuple[str, int]:
    """Read the quoted string whose opening quote is at ``start``; return it and the end."""
    closers = _QUOTES[text[start]]
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
            continue
        if ch in closers:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    opening = text[start]
    closing = _QUOTES[opening][0]
    at = _show(text[start:], 30)
    if option:
        raise GrammarError(
            # TRANSLATORS: {option} is an option's name; {opening} and {closing} are quotes
            _(
                "A quote is not closed: the value of `{option}` starts with {opening} at "
                "`{at}` but no {closing} ends it. Close it, or leave the quote out of the text.",
                option=option,
                opening=opening,
                at=at,
                closing=closing,
            )
        )
    raise GrammarError(
        # TRANSLATORS: {opening} and {closing} are quotes
        _(
            "A quote is not closed: starts with {opening} at `{at}` but no {closing} ends it. "
            "Close it, or leave the quote out of the text.",
            opening=opening,
            at=at,
            closing=closing,
        )
    )


def _read_bare(text: str, i: int) -> int:
    n = len(text)
    while i < n and not text[i].isspace():
        i += 1
    return i


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return tokens
        ch = text[i]
        if ch in _QUOTES:
            value, i = _read_quoted(text, i)
            end = _read_bare(text, i)  # text glued to the closing quote belongs to the token
            tokens.append(_Token(value + text[i:end], quoted=True))
            i = end
            continue
        match = _OPTION_PREFIX_RE.match(text, i)
        if match is not None:
            name = match.group(1).lower()
            after = match.end()
            if after < n and text[after] in _QUOTES:
                value, i = _read_quoted(text, after, name)
                end = _read_bare(text, i)
                tokens.append(_Token(value + text[i:end], quoted=True, option=name))
                i = end
                continue
            end = _read_bare(text, after)
            value = text[after:end]
            if not value.startswith("//"):  # http://example.com is not an option
                tokens.append(_Token(value, option=name))
                i = end
                continue
        end = _read_bare(text, i)
        tokens.append(_Token(text[i:end]))
        i = end


def _format_command(words: Collection[str]) -> str:
    return "/" + " ".join(words)


def _list_commands(commands: Sequence[tuple[str, ...]]) -> str:
    return ", ".join(f"`{_format_command(c)}`" for c in commands)


def _did_you_mean(commands: Sequence[tuple[str, ...]]) -> str:
    shown = [f"`{_format_command(c)}`" for c in commands]
    if len(shown) == 1:
        return _("Did you mean {command}?", command=shown[0])
    return _("Did you mean {commands} or {last}?", commands=", ".join(shown[:-1]), last=shown[-1])


#: How alike a typed word and a command's word must be to suggest it (0 to 1).
_SUGGEST_CUTOFF = 0.6
_SUGGEST_MAX = 3


def nearest_commands(
    words: list[str], known: Collection[tuple[str, ...]], limit: int = _SUGGEST_MAX
) -> list[tuple[str, ...]]:
    """The known commands nearest to what was typed, nearest first: each of a command's
    words must be close to the word typed in its place (the weakest word counts, so
    `/idea frob` suggests nothing), and a group typed exactly (`/idea sbumit`) looks
    among its own commands only, not at `/ideas`."""
    lowered = [w.lower() for w in words]
    if not lowered:
        return []
    in_group = any(len(c) > 1 and c[0] == lowered[0] for c in known)
    scored: list[tuple[int, float, tuple[str, ...]]] = []
    for command in known:
        if len(lowered) < len(command) or (in_group and len(command) == 1):
            continue
        if in_group and command[0] != lowered[0]:
            continue
        ratio = min(
            Indel.normalized_similarity(typed, wanted)
            for typed, wanted in zip(lowered, command, strict=False)
        )
        if ratio >= _SUGGEST_CUTOFF:
            scored.append((len(command), ratio, command))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    if not scored:
        return []
    longest = scored[0][0]
    return [command for length, _ratio, command in scored if length == longest][:limit]


def _unknown_command(words: list[str], known: frozenset[tuple[str, ...]]) -> GrammarError:
    """What was typed is no command: the nearest ones, then all of the group typed (or,
    for an unknown first word, every command there is)."""
    lowered = [w.lower() for w in words]
    prefix = 0
    for length in range(len(lowered), 0, -1):
        if any(c[:length] == tuple(lowered[:length]) for c in known):
            prefix = length
            break
    near = nearest_commands(words, known)
    shown_words = words[: max((len(c) for c in near), default=prefix + 1)]
    sentences = [_("Unknown command `{command}`.", command=_show(_format_command(shown_words)))]
    if near:
        sentences.append(_did_you_mean(near))
    if prefix:
        group = tuple(lowered[:prefix])
        below = sorted(c for c in known if c[:prefix] == group and c != group)
        if below:
            sentences.append(
                _(
                    "The `{group}` commands: {commands}.",
                    group=_format_command(group),
                    commands=_list_commands(below),
                )
            )
    elif known:
        tops = sorted({(c[0],) for c in known})
        sentences.append(
            _(
                "The commands: {commands}; `/cocreate help` explains them.",
                commands=_list_commands(tops),
            )
        )
    return GrammarError(" ".join(sentences))


@dataclass(frozen=True)
class _Known:
    """The commands a line may name, in lower case, the empty path left out."""

    paths: frozenset[tuple[str, ...]]
    #: the most words of any of them
    longest: int
    #: one of them, for the errors that ask for a command
    example: str


@functools.lru_cache(maxsize=4)
def _known(commands: frozenset[tuple[str, ...]]) -> _Known:
    """Once per set of commands, not at every line."""
    paths = frozenset(tuple(part.lower() for part in command) for command in commands) - {()}
    longest = max((len(c) for c in paths), default=0)
    return _Known(paths, longest, _format_command(min(paths)) if paths else "")


def parse_line(text: str, known_commands: Collection[tuple[str, ...]]) -> ParsedLine:
    """Parse a slash-command line such as ``/idea submit title:"Salted caramel"``.

    * The leading ``/`` is optional.  The command path is the longest run of leading bare
      words that is one of ``known_commands`` (compared case-insensitively, returned in lower
      case); the remaining words are positionals (``/results Flavour``).
    * Arguments are separated by any Unicode whitespace.  An argument may be quoted with
      "…", '…', “…”, „…“, ‘…’ or «…»; inside quotes ``\\"`` (or a backslash before any other
      quote character) gives the quote and ``\\\\`` a backslash, and whitespace including
      newlines is kept.  Text glued to a closing quote belongs to the same argument.
    * ``name:value`` and ``name:"quoted value"`` are options; the name matches
      ``[a-z_][a-z0-9_]*`` (any case, returned in lower case).  ``12:30``, ``http://x`` and
      quoted arguments are positionals.  ``name:`` followed by a space takes the next
      argument as its value (``title: "Salted caramel"``).

    Raises :class:`GrammarError` for an empty line, an unknown command (suggesting the closest
    known one), an unclosed quote, an option given twice or an option without a value.
    """
    known = _known(
        known_commands if isinstance(known_commands, frozenset) else frozenset(known_commands)
    )
    body = text.strip()
    if body.startswith("/"):
        body = body[1:]
    tokens = _tokenize(body)
    example = known.example
    if not tokens:
        raise GrammarError(
            _("The command is empty. Type a command such as `{example}`.", example=example)
            if example
            else _("The command is empty. Type a command.")
        )

    words: list[str] = []
    for token in tokens:
        if token.quoted or token.option is not None:
            break
        words.append(token.text)
    if not words:
        raise GrammarError(
            _("Start with the name of a command such as `{example}`.", example=example)
            if example
            else _("Start with the name of a command.")
        )

    lowered = tuple(w.lower() for w in words)
    command: tuple[str, ...] | None = None
    for length in range(min(len(lowered), known.longest), 0, -1):
        if lowered[:length] in known.paths:
            command = lowered[:length]
            break
    if command is None:
        raise _unknown_command(words, known.paths)

    positionals: list[str] = []
    options: dict[str, str] = {}
    spilled: dict[str, tuple[str, ...]] = {}
    loose: str | None = None  # the option whose unquoted value the bare words follow
    rest = tokens[len(command) :]
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token.option is None:
            positionals.append(token.text)
            if loose is not None and not token.quoted:
                spilled[loose] = (*spilled.get(loose, ()), token.text)
            else:
                loose = None
            continue
        name, value = token.option, token.text
        if name in options:
            raise GrammarError(_("Option `{name}` is given twice.", name=name))
        quoted = token.quoted
        if value == "" and not token.quoted:
            # "title: Salted" -- the value is the next argument, unless that is an option.
            if i < len(rest) and rest[i].option is None:
                value = rest[i].text
                quoted = rest[i].quoted
                i += 1
            else:
                raise GrammarError(_('Option `{name}` has no value; write {name}:"…".', name=name))
        options[name] = value
        loose = None if quoted else name
    return ParsedLine(command, tuple(positionals), options, spilled)


# --------------------------------------------------------------------------------------------
# Durations and times
# --------------------------------------------------------------------------------------------

_DURATION_RE = re.compile(
    r"(?:([0-9]{1,7})\s*w)?\s*(?:([0-9]{1,7})\s*d)?\s*(?:([0-9]{1,7})\s*h)?\s*(?:([0-9]{1,7})\s*m)?",
    re.IGNORECASE,
)
_MAX_DURATION = timedelta(days=365)
_DURATION_HELP = N_("Durations look like 90m, 36h, 7d or 2w.")


def _match_duration(text: str) -> timedelta | None:
    """The duration written in ``text``, or None if it is not written like one."""
    stripped = text.strip()
    match = _DURATION_RE.fullmatch(stripped)
    if not stripped or match is None:
        return None
    weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``90m``, ``36h``, ``7d``, ``2w`` or ``1h30m``.

    Units are w (weeks), d (days), h (hours) and m (minutes); they may be combined, largest
    unit first (``1w2d``, ``1d 12h``).  The duration must be more than zero and at most
    365 days.
    """
    duration = _match_duration(text)
    if duration is None:
        raise GrammarError(
            _("`{text}` is not a duration.", text=_show(text)) + " " + _(_DURATION_HELP)
        )
    if duration <= timedelta(0):
        raise GrammarError(_("A duration must be longer than zero.") + " " + _(_DURATION_HELP))
    if duration > _MAX_DURATION:
        raise GrammarError(_("A duration can be at most 365 days (52w1d)."))
    return duration


def format_duration(td: timedelta) -> str:
    """Write ``td`` the way :func:`parse_duration` reads it, in days, hours and minutes.

    ``7d``, ``1d12h``, ``1h30m``; rounded to the nearest minute; ``0m`` for zero and a leading
    ``-`` for negative durations.
    """
    if td < timedelta(0):
        return "-" + format_duration(-td)
    minutes_total = (td + timedelta(seconds=30)) // timedelta(minutes=1)
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value
    ]
    return "".join(parts) or "0m"


_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]|\s+)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
    r"\s*(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2})?)?"
)
_WHEN_HELP = N_(
    "Write a date like 2026-03-10, a time like 2026-03-10 18:00, or a duration like 7d."
)


def _local_to_utc(day: date, at: time, tz: zoneinfo.ZoneInfo | timezone, original: str) -> datetime:
    try:
        local = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
        return local.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise GrammarError(
            _("`{text}` is out of range.", text=_show(original)) + " " + _(_WHEN_HELP)
        ) from exc


def _make_date(year: str, month: str, day: str, original: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise GrammarError(_("There is no such date: `{text}`.", text=_show(original))) from exc


def _make_time(hour: str, minute: str, second: str | None, original: str) -> time:
    try:
        return time(int(hour), int(minute), int(second or 0))
    except ValueError as exc:
        raise GrammarError(_("There is no such time: `{text}`.", text=_show(original))) from exc


def parse_when(text: str, tz: zoneinfo.ZoneInfo, now: datetime) -> datetime | timedelta:
    """Parse a point in time or a duration.

    * A duration (see :func:`parse_duration`) is returned as a :class:`timedelta`; what it is
      relative to (usually the opening of a challenge) is for the caller to decide.
    * A date alone (``2026-03-10``) means the end of that day: 23:59 local time in ``tz``.
    * A date and time (``2026-03-10T18:00``, ``2026-03-10 18:00``, optional seconds) is read
      in ``tz`` unless it carries an offset (``Z``, ``+01:00``, ``+0100``, ``-05``).
    * A time alone (``18:00``) is the next such local time after ``now``.

    Datetimes are returned aware, in UTC.  Local times that do not exist or exist twice
    because of daylight saving time are resolved like zoneinfo does with ``fold=0``: a time in
    a gap uses the offset from before the gap (02:30 on the day Paris springs forward is 03:30
    summer time) and an ambiguous time is its first occurrence.  Past times are not rejected;
    the caller decides whether they are acceptable.  A naive ``now`` is taken to be UTC.
    """
    stripped = text.strip()
    if not stripped:
        raise GrammarError(_("The time is empty.") + " " + _(_WHEN_HELP))

    if _match_duration(stripped) is not None:
        return parse_duration(stripped)

    match = _DATE_RE.fullmatch(stripped)
    if match is not None:
        day = _make_date(match[1], match[2], match[3], stripped)
        return _local_to_utc(day, time(23, 59), tz, stripped)

    match = _DATETIME_RE.fullmatch(stripped)
    if match is not None:
        year, month, dom, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
        day = _make_date(year, month, dom, stripped)
        at = _make_time(hour, minute, second, stripped)
        zone: zoneinfo.ZoneInfo | timezone = tz
        if zulu:
            zone = UTC
        elif sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            if offset >= timedelta(hours=24):
                raise GrammarError(
                    _("The time offset in `{text}` is too large.", text=_show(stripped))
                )
            zone = timezone(-offset if sign == "-" else offset)
        return _local_to_utc(day, at, zone, stripped)

    match = _TIME_RE.fullmatch(stripped)
    if match is not None:
        at = _make_time(match[1], match[2], match[3], stripped)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        today = now.astimezone(tz).date()
        result = _local_to_utc(today, at, tz, stripped)
        if result <= now:
            result = _local_to_utc(today + timedelta(days=1), at, tz, stripped)
        return result

    raise GrammarError(
        _("I don't understand the time `{text}`.", text=_show(stripped)) + " " + _(_WHEN_HELP)
    )


# --------------------------------------------------------------------------------------------
# Small values
# --------------------------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"yes", "true", "on", "1"})
_FALSE_WORDS = frozenset({"no", "false", "off", "0"})


def parse_bool(text: str) -> bool:
    """``yes``/``true``/``on``/``1`` or ``no``/``false``/``off``/``0``, in any case."""
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise GrammarError(
        # TRANSLATORS: yes, no, on and off are what members type: keep them in English
        _("`{text}` is not yes or no. Use yes or no (or on/off).", text=_show(text))
    )


_IDEA_NUMBER_RE = re.compile(r"#?([0-9]{1,12})")
_MAX_IDEA_NUMBER = 10**9


def parse_idea_number(text: str) -> int:
    """An idea number written ``#12`` or ``12`` (ASCII digits), from 1 to 10^9."""
    match = _IDEA_NUMBER_RE.fullmatch(text.strip())
    if match is None:
        raise GrammarError(_("Ideas are written like #12."))
    number = int(match.group(1))
    if not 1 <= number <= _MAX_IDEA_NUMBER:
        raise GrammarError(_("Ideas are written like #12."))
    return number


# --------------------------------------------------------------------------------------------
# Cron
# --------------------------------------------------------------------------------------------

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DAY_NAMES = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    #: the error for a value out of this field's range, `{value}` the value typed
    invalid: str


_CRON_FIELDS = (
    _CronField(
        "minute",
        0,
        59,
        {},
        N_("The minute field `{value}` is not valid: use numbers from 0 to 59."),
    ),
    _CronField(
        "hour", 0, 23, {}, N_("The hour field `{value}` is not valid: use numbers from 0 to 23.")
    ),
    _CronField(
        "day-of-month",
        1,
        31,
        {},
        N_("The day-of-month field `{value}` is not valid: use numbers from 1 to 31."),
    ),
    _CronField(
        "month",
        1,
        12,
        _MONTH_NAMES,
        # TRANSLATORS: jan is what members type: keep it in English
        N_(
            "The month field `{value}` is not valid: use numbers from 1 to 12 or names such as jan."
        ),
    ),
    _CronField(
        "day-of-week",
        0,
        7,
        _DAY_NAMES,
        # TRANSLATORS: mon is what members type: keep it in English
        N_(
            "The day-of-week field `{value}` is not valid: use numbers from 0 to 7 (0 and 7 "
            "are Sunday) or names such as mon."
        ),
    ),
)
_CRON_ITEM_RE = re.compile(
    r"(?:(\*)|([0-9]{1,2}|[a-z]{3})(?:-([0-9]{1,2}|[a-z]{3}))?)(?:/([0-9]{1,2}))?"
)
_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_CRON_HELP = N_(
    "A schedule has 5 fields (minute hour day-of-month month day-of-week), "
    "for example `0 9 * * mon`."
)


def _cron_value(spec: _CronField, value: str, *, range_end: bool) -> int | None:
    if value.isdigit():
        number = int(value)
    elif value in spec.names:
        number = spec.names[value]
        if range_end and spec.name == "day-of-week" and number == 0:
            number = 7  # fri-sun
    else:
        return None
    return number if spec.low <= number <= spec.high else None


def _cron_item_ok(spec: _CronField, item: str) -> bool:
    match = _CRON_ITEM_RE.fullmatch(item)
    if match is None:
        return False
    star, start, end, step = match.groups()
    if step is not None:
        if not 1 <= int(step) <= spec.high - spec.low + 1:
            return False
        if star is None and end is None:
            return False  # "5/10" is not standard cron
    if star is not None:
        return True
    first = _cron_value(spec, start, range_end=False)
    if first is None:
        return False
    if end is None:
        return True
    last = _cron_value(spec, end, range_end=True)
    return last is not None and first <= last


def parse_cron(text: str) -> str:
    """Validate a 5-field cron expression and return it normalised.

    Fields: minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or jan-dec) and
    day-of-week (0-7 with 0 and 7 Sunday, or sun-sat).  Each field is a comma-separated list of
    ``*``, ``*/n``, ``a``, ``a-b`` or ``a-b/n``.  The macros ``@hourly``, ``@daily``,
    ``@midnight``, ``@weekly``, ``@monthly``, ``@yearly`` and ``@annually`` are accepted and
    returned as their 5-field equivalent.  Normalised means lower case with single spaces.
    The expression is only validated, not evaluated.
    """
    lowered = text.strip().lower()
    if lowered in _CRON_MACROS:
        return _CRON_MACROS[lowered]
    fields = lowered.split()
    if len(fields) != len(_CRON_FIELDS):
        raise GrammarError(_("`{text}` is not a schedule.", text=_show(text)) + " " + _(_CRON_HELP))
    for spec, value in zip(_CRON_FIELDS, fields, strict=True):
        if not all(_cron_item_ok(spec, item) for item in value.split(",")):
            raise GrammarError(_(spec.invalid, value=_show(value)))
    return " ".join(fields)


def cron_fields(text: str) -> tuple[frozenset[int], ...]:
    """The values each field of a cron expression allows: minutes, hours, days of the
    month, months, days of the week (0 is Monday here, as in `date.weekday()`), and whether
    the day-of-month and day-of-week fields were restricted (as 0/1 in a sixth and seventh
    set). Raises GrammarError like `parse_cron`."""
    fields = parse_cron(text).split()
    sets: list[frozenset[int]] = []
    for spec, value in zip(_CRON_FIELDS, fields, strict=True):
        allowed: set[int] = set()
        for item in value.split(","):
            match = _CRON_ITEM_RE.fullmatch(item)
            assert match is not None
            star, start, end, step = match.groups()
            if star is not None:
                first, last = spec.low, spec.high
            else:
                first = _cron_value(spec, start, range_end=False) or 0
                last = first if end is None else (_cron_value(spec, end, range_end=True) or 0)
                if step is not None and end is None:
                    last = spec.high
            allowed.update(range(first, last + 1, int(step) if step else 1))
        if spec.name == "day-of-week":  # cron: 0 and 7 are Sunday; weekday(): Monday is 0
            allowed = {(day - 1) % 7 for day in allowed}
        sets.append(frozenset(allowed))
    sets.append(frozenset({int(fields[2] != "*")}))
    sets.append(frozenset({int(fields[4] != "*")}))
    return tuple(sets)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(text: str) -> str:
    """A valid IANA time zone name (``Europe/Paris``, ``UTC``), returned in canonical case.

    The name is matched case-insensitively against the zones zoneinfo knows about.
    """
    name = text.strip()
    if not name:
        raise GrammarError(_("The time zone is empty. Use an IANA name such as Europe/Paris."))
    if name.lower() == "utc":
        return "UTC"
    canonical = _zone_names().get(name.lower())
    if canonical is None:
        raise GrammarError(
            _(
                "Unknown time zone `{text}`. Use an IANA name such as Europe/Paris.",
                text=_show(text),
            )
        )
    return canonical
