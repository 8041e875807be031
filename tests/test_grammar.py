from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import (
    GrammarError,
    ParsedLine,
    format_duration,
    nearest_commands,
    parse_bool,
    parse_cron,
    parse_duration,
    parse_idea_number,
    parse_line,
    parse_timezone,
    parse_when,
)

KNOWN: set[tuple[str, ...]] = {
    ("idea", "submit"),
    ("idea", "show"),
    ("mod", "merge"),
    ("results",),
    ("cocreate", "help"),
    ("cocreate", "results"),
    ("leaderboard",),
}
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def parse(text: str) -> ParsedLine:
    return parse_line(text, KNOWN)


# --------------------------------------------------------------------------------------------
# parse_line: the examples of the grammar
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "command", "positionals", "options"),
    [
        (
            '/idea submit title:"Salted caramel" description:"Sweet and salty"',
            ("idea", "submit"),
            (),
            {"title": "Salted caramel", "description": "Sweet and salty"},
        ),
        ("/idea show #12", ("idea", "show"), ("#12",), {}),
        ("/mod merge #4 into:#2", ("mod", "merge"), ("#4",), {"into": "#2"}),
        ("/results", ("results",), (), {}),
        ("/results Flavour", ("results",), ("Flavour",), {}),
        ('/results "Next flavour"', ("results",), ("Next flavour",), {}),
        ("/cocreate help", ("cocreate", "help"), (), {}),
        ("/cocreate results", ("cocreate", "results"), (), {}),
        ("/leaderboard period:week", ("leaderboard",), (), {"period": "week"}),
        # The slash is optional, case is ignored in commands and option names.
        ("idea show #3", ("idea", "show"), ("#3",), {}),
        ("/IDEA Show #3", ("idea", "show"), ("#3",), {}),
        ("/idea submit Title:Mint", ("idea", "submit"), (), {"title": "Mint"}),
        # Values keep their case.
        ("/leaderboard period:WEEK", ("leaderboard",), (), {"period": "WEEK"}),
        # Positionals and options may be mixed.
        ("/mod merge into:#2 #4", ("mod", "merge"), ("#4",), {"into": "#2"}),
    ],
)
def test_parse_line_examples(
    line: str, command: tuple[str, ...], positionals: tuple[str, ...], options: dict[str, str]
) -> None:
    parsed = parse(line)
    assert parsed == ParsedLine(command, positionals, options)
    assert parsed.command == command
    assert parsed.positionals == positionals
    assert dict(parsed.options) == options


def test_longest_known_prefix_is_the_command() -> None:
    known = {("results",), ("cocreate", "results"), ("idea",), ("idea", "submit")}
    assert parse_line("/results Flavour", known).command == ("results",)
    assert parse_line("/results Flavour", known).positionals == ("Flavour",)
    assert parse_line("/idea submit x", known).command == ("idea", "submit")
    assert parse_line("/idea submit x", known).positionals == ("x",)
    assert parse_line("/idea other", known) == ParsedLine(("idea",), ("other",), {})


def test_command_path_stops_at_quoted_or_option_token() -> None:
    known = {("idea",), ("idea", "submit")}
    assert parse_line('/idea "submit"', known) == ParsedLine(("idea",), ("submit",), {})
    parsed = parse_line("/idea submit:x", known)
    assert parsed == ParsedLine(("idea",), (), {"submit": "x"})


def test_parsed_line_is_frozen_hashable_and_copies_options() -> None:
    options = {"a": "1"}
    parsed = ParsedLine(("results",), (), options)
    options["b"] = "2"
    assert dict(parsed.options) == {"a": "1"}
    assert hash(parsed) == hash(ParsedLine(("results",), (), {"a": "1"}))
    with pytest.raises(AttributeError):
        parsed.command = ("x",)  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# parse_line: quoting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        '/idea submit title:"Salted caramel"',
        "/idea submit title:“Salted caramel”",
        "/idea submit title:'Salted caramel'",
        "/idea submit title:„Salted caramel“",
        "/idea submit title:”Salted caramel”",
        "/idea submit title:‘Salted caramel’",
        "/idea submit title:«Salted caramel»",
        '/idea submit title:“Salted caramel"',  # half-corrected by the phone
    ],
)
def test_quote_styles(line: str) -> None:
    assert parse(line).options == {"title": "Salted caramel"}


def test_typographic_quotes_for_positionals() -> None:
    assert parse("/results “Next flavour”").positionals == ("Next flavour",)


def test_escaped_quote_and_backslash() -> None:
    parsed = parse(r'/idea submit title:"The \"best\" one" description:"back\\slash"')
    assert parsed.options == {"title": 'The "best" one', "description": "back\\slash"}


def test_backslash_before_other_characters_is_kept() -> None:
    assert parse(r'/results "C:\path\to"').positionals == ("C:\\path\\to",)
    assert parse(r"/results dir\sub").positionals == ("dir\\sub",)
    # A drive letter looks like an option name: quote such values.
    assert parse(r"/results C:\path").options == {"c": "\\path"}


def test_other_quotes_inside_quotes_are_literal() -> None:
    assert parse('/results "it\'s “fine”"').positionals == ("it's “fine”",)
    assert parse("/results “say 'hi'”").positionals == ("say 'hi'",)
    assert parse("/results 'say “hi”'").positionals == ("say “hi”",)
    # A straight quote also closes a typographic one (phones often correct only one side),
    # so it is escaped inside one.
    assert parse(r"/results “say \"hi\"”").positionals == ('say "hi"',)


def test_apostrophes_inside_words_are_literal() -> None:
    assert parse("/results don't stop").positionals == ("don't", "stop")
    assert parse('/results Sam"s').positionals == ('Sam"s',)


def test_text_glued_to_closing_quote_stays_in_the_argument() -> None:
    assert parse('/results "Sam"\'s flavour').positionals == ("Sam's", "flavour")


def test_newlines_inside_quotes_are_kept() -> None:
    parsed = parse('/idea submit description:"line one\nline two\r\n  three"')
    assert parsed.options["description"] == "line one\nline two\r\n  three"


def test_empty_quoted_value() -> None:
    assert parse('/idea submit title:""').options == {"title": ""}
    assert parse('/results ""').positionals == ("",)


@pytest.mark.parametrize(
    "line",
    [
        '/idea submit title:"Salted caramel',
        "/idea submit title:“Salted caramel",
        '/results "Next flavour',
        "/results 'Next",
        r'/results "escaped at the end\"',
    ],
)
def test_unterminated_quote(line: str) -> None:
    with pytest.raises(GrammarError, match="A quote is not closed"):
        parse(line)


# --------------------------------------------------------------------------------------------
# parse_line: options and positionals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["12:30", "10:30", "http://example.com/x", "https://x.y", "1a:b"])
def test_tokens_that_are_not_options(token: str) -> None:
    parsed = parse(f"/results {token}")
    assert parsed.positionals == (token,)
    assert parsed.options == {}


def test_quoted_token_is_never_an_option() -> None:
    parsed = parse('/results "title:x"')
    assert parsed.positionals == ("title:x",)
    assert parsed.options == {}


def test_option_value_may_contain_colons() -> None:
    assert parse("/leaderboard at:12:30").options == {"at": "12:30"}
    assert parse("/leaderboard link:https://x.y/z").options == {"link": "https://x.y/z"}


def test_option_with_underscore_and_digits() -> None:
    assert parse("/leaderboard _max_2:5").options == {"_max_2": "5"}


def test_option_given_twice() -> None:
    with pytest.raises(GrammarError, match=r"^Option `title` is given twice\.$"):
        parse('/idea submit title:"a" title:"b"')
    with pytest.raises(GrammarError, match="Option `title` is given twice"):
        parse("/idea submit title:a TITLE:b")


def test_option_with_space_after_colon_takes_next_argument() -> None:
    assert parse('/idea submit title: "Salted caramel"').options == {"title": "Salted caramel"}
    assert parse("/leaderboard period: week").options == {"period": "week"}


def test_option_without_value() -> None:
    with pytest.raises(GrammarError, match="Option `title` has no value"):
        parse("/idea submit title:")
    with pytest.raises(GrammarError, match="Option `title` has no value"):
        parse("/idea submit title: description:x")


def test_unicode_whitespace_separates_tokens() -> None:
    parsed = parse("/idea\u00a0show\u3000#12\u2003extra\tmore\nlast")
    assert parsed == ParsedLine(("idea", "show"), ("#12", "extra", "more", "last"), {})


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse("   /results   Flavour  \n").positionals == ("Flavour",)


@pytest.mark.parametrize("line", ["", "   ", "/", " / ", "\n"])
def test_empty_line(line: str) -> None:
    with pytest.raises(GrammarError, match="empty"):
        parse(line)


@pytest.mark.parametrize("line", ['"results"', "title:x", '/"idea" show'])
def test_line_must_start_with_a_command_name(line: str) -> None:
    with pytest.raises(GrammarError, match="Start with the name of a command"):
        parse(line)


# --------------------------------------------------------------------------------------------
# parse_line: unknown commands
# --------------------------------------------------------------------------------------------


def test_unknown_command_suggests_closest() -> None:
    with pytest.raises(GrammarError) as info:
        parse('/idea sbumit title:"x"')
    assert str(info.value) == (
        "Unknown command `/idea sbumit`. Did you mean `/idea submit`? "
        "The `/idea` commands: `/idea show`, `/idea submit`."
    )


def test_unknown_single_word_command_suggestion() -> None:
    with pytest.raises(GrammarError) as info:
        parse("/reslts Flavour")
    assert str(info.value).startswith("Unknown command `/reslts`. Did you mean `/results`? ")


def test_unknown_command_keeps_typed_case() -> None:
    with pytest.raises(
        GrammarError, match=r"Unknown command `/Idea Shw`\. Did you mean `/idea show`"
    ):
        parse("/Idea Shw #3")


def test_unknown_subcommand_lists_the_group() -> None:
    with pytest.raises(GrammarError) as info:
        parse("/idea frobnicate")
    assert str(info.value) == (
        "Unknown command `/idea frobnicate`. The `/idea` commands: `/idea show`, `/idea submit`."
    )


def test_group_alone_lists_the_group() -> None:
    with pytest.raises(
        GrammarError, match=r"Unknown command `/idea`\. The `/idea` commands: `/idea show`"
    ):
        parse("/idea")


def test_unknown_command_without_suggestion() -> None:
    with pytest.raises(GrammarError) as info:
        parse("/zzz qqq")
    assert str(info.value) == (
        "Unknown command `/zzz`. The commands: `/cocreate`, `/idea`, `/leaderboard`, `/mod`, "
        "`/results`; `/cocreate help` explains them."
    )


def test_unknown_command_with_no_known_commands() -> None:
    with pytest.raises(GrammarError, match="Unknown command `/results`"):
        parse_line("/results", [])


def test_several_near_commands_are_all_suggested_nearest_first() -> None:
    known = {("mod", "block"), ("mod", "unblock"), ("mod", "log"), ("mod", "voters")}
    with pytest.raises(GrammarError) as info:
        parse_line("/mod blok @ana", known)
    assert str(info.value) == (
        "Unknown command `/mod blok`. Did you mean `/mod block` or `/mod unblock`? "
        "The `/mod` commands: `/mod block`, `/mod log`, `/mod unblock`, `/mod voters`."
    )


def test_nearest_commands_weigh_every_word() -> None:
    assert nearest_commands(["idea", "frob"], KNOWN) == []
    assert nearest_commands(["idea", "shw"], KNOWN) == [("idea", "show")]
    assert nearest_commands(["ledaerboard"], KNOWN) == [("leaderboard",)]
    # a group typed exactly looks among its own commands, not at /ideas
    assert nearest_commands(["idea", "sumbit"], KNOWN | {("ideas",)}) == [("idea", "submit")]


def test_an_unclosed_quote_says_which_option_and_what_opened_it() -> None:
    with pytest.raises(GrammarError) as info:
        parse('/idea submit title:"Salted caramel description:crunchy')
    assert str(info.value) == (
        'A quote is not closed: the value of `title` starts with " at '
        '`"Salted caramel description:c…` but no " ends it. Close it, or leave the '
        "quote out of the text."
    )


def test_words_after_an_unquoted_value_are_remembered_as_spilled() -> None:
    parsed = parse('/idea submit title:My great idea description:"x" more')
    assert parsed.options == {"title": "My", "description": "x"}
    assert parsed.positionals == ("great", "idea", "more")
    assert parsed.spilled == {"title": ("great", "idea")}
    # after a quoted value, or "name: value" with a quoted value, nothing spills
    assert parse('/idea submit title:"My" great').spilled == {}
    assert parse('/idea submit title: "My" great').spilled == {}
    assert parse("/idea submit title: My great").spilled == {"title": ("great",)}
    assert parse("/idea show #4").spilled == {}


def test_unknown_command_message_is_safe_to_display() -> None:
    with pytest.raises(GrammarError) as info:
        parse("/@everyone`x")
    message = str(info.value)
    assert "@everyone" not in message
    typed = message.split(". ", 1)[0]
    assert typed.count("`") == 2


# --------------------------------------------------------------------------------------------
# parse_line: properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_line_returns_or_raises_grammar_error(text: str) -> None:
    try:
        result = parse(text)
    except GrammarError as exc:
        assert str(exc)
    else:
        assert isinstance(result, ParsedLine)
        assert result.command in KNOWN


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("/ideasubmtshowrl :\"“”'\\#\n\t12")))
def test_parse_line_on_grammar_like_text(text: str) -> None:
    try:
        result = parse(text)
    except GrammarError:
        pass
    else:
        assert result.command in KNOWN


no_controls = st.text(st.characters(exclude_categories=("Cc", "Cs")))


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@settings(max_examples=300, deadline=None)
@given(no_controls, no_controls)
def test_round_trip_option_values(title: str, description: str) -> None:
    line = f'/idea submit title:"{escape(title)}" description:"{escape(description)}"'
    assert parse(line).options == {"title": title, "description": description}


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_round_trip_with_any_characters_including_newlines(value: str) -> None:
    parsed = parse(f'/results "{escape(value)}" period:"{escape(value)}"')
    assert parsed.positionals == (value,)
    assert parsed.options == {"period": value}


@settings(max_examples=200, deadline=None)
@given(no_controls.filter(lambda v: "”" not in v and '"' not in v))
def test_round_trip_typographic_quotes(value: str) -> None:
    escaped = value.replace("\\", "\\\\")
    assert parse(f"/results period:“{escaped}”").options == {"period": value}


# --------------------------------------------------------------------------------------------
# parse_duration / format_duration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("36h", timedelta(hours=36)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w2d3h4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
        ("1d 12h", timedelta(days=1, hours=12)),
        (" 7D ", timedelta(days=7)),
        ("365d", timedelta(days=365)),
        ("52w1d", timedelta(days=365)),
        ("1m", timedelta(minutes=1)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "m", "45s", "1.5h", "30m1h", "1h1h", "-1d", "7 days", "1y", "٣d", "１d", "d7"]
)
def test_parse_duration_bad_format(text: str) -> None:
    with pytest.raises(GrammarError, match=r"Durations look like 90m, 36h, 7d or 2w\."):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0m", "0d0h", "0w"])
def test_parse_duration_zero(text: str) -> None:
    with pytest.raises(GrammarError, match="longer than zero"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["366d", "53w", "365d1m", "9999999w"])
def test_parse_duration_too_long(text: str) -> None:
    with pytest.raises(GrammarError, match="at most 365 days"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(days=7), "7d"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=36), "1d12h"),
        (timedelta(days=14), "14d"),
        (timedelta(minutes=5), "5m"),
        (timedelta(days=2, minutes=1), "2d1m"),
        (timedelta(0), "0m"),
        (timedelta(seconds=29), "0m"),
        (timedelta(minutes=1, seconds=31), "2m"),
        (-timedelta(minutes=90), "-1h30m"),
    ],
)
def test_format_duration(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=365 * 24 * 60))
def test_format_duration_round_trips(minutes: int) -> None:
    td = timedelta(minutes=minutes)
    assert parse_duration(format_duration(td)) == td


# --------------------------------------------------------------------------------------------
# parse_when
# --------------------------------------------------------------------------------------------


def test_parse_when_duration() -> None:
    assert parse_when("7d", PARIS, NOW) == timedelta(days=7)
    assert parse_when("1h30m", PARIS, NOW) == timedelta(minutes=90)


def test_parse_when_bad_duration_reports_duration_problem() -> None:
    with pytest.raises(GrammarError, match="longer than zero"):
        parse_when("0m", PARIS, NOW)
    with pytest.raises(GrammarError, match="365 days"):
        parse_when("400d", PARIS, NOW)


def test_parse_when_date_is_end_of_local_day() -> None:
    result = parse_when("2026-03-10", PARIS, NOW)
    assert result == datetime(2026, 3, 10, 22, 59, tzinfo=UTC)  # 23:59 CET
    assert isinstance(result, datetime)
    assert result.tzinfo is UTC
    summer = parse_when("2026-07-01", PARIS, NOW)
    assert summer == datetime(2026, 7, 1, 21, 59, tzinfo=UTC)  # 23:59 CEST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-10T18:00", datetime(2026, 3, 10, 17, 0, tzinfo=UTC)),
        ("2026-03-10 18:00", datetime(2026, 3, 10, 17, 0, tzinfo=UTC)),
        ("2026-03-10t18:00:30", datetime(2026, 3, 10, 17, 0, 30, tzinfo=UTC)),
        ("2026-03-10T18:00Z", datetime(2026, 3, 10, 18, 0, tzinfo=UTC)),
        ("2026-03-10T18:00+01:00", datetime(2026, 3, 10, 17, 0, tzinfo=UTC)),
        ("2026-03-10 18:00 +0530", datetime(2026, 3, 10, 12, 30, tzinfo=UTC)),
        ("2026-03-10T18:00-05", datetime(2026, 3, 10, 23, 0, tzinfo=UTC)),
        ("2026-07-10T18:00", datetime(2026, 7, 10, 16, 0, tzinfo=UTC)),
        ("  2026-03-10T09:05  ", datetime(2026, 3, 10, 8, 5, tzinfo=UTC)),
    ],
)
def test_parse_when_datetime(text: str, expected: datetime) -> None:
    result = parse_when(text, PARIS, NOW)
    assert result == expected
    assert isinstance(result, datetime)
    assert result.utcoffset() == timedelta(0)


def test_parse_when_dst_gap_uses_offset_before_the_gap() -> None:
    # 02:30 does not exist in Paris on 2026-03-29 (clocks jump from 02:00 to 03:00).  With
    # zoneinfo's fold=0 it is read with the winter offset (+01:00): 01:30 UTC = 03:30 CEST.
    result = parse_when("2026-03-29 02:30", PARIS, NOW)
    assert result == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert isinstance(result, datetime)
    assert result.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


def test_parse_when_dst_fold_takes_first_occurrence() -> None:
    # 02:30 happens twice in Paris on 2026-10-25; fold=0 is the first one (CEST, +02:00).
    assert parse_when("2026-10-25T02:30", PARIS, NOW) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_parse_when_other_time_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_when("2026-03-10 09:00", tokyo, NOW) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def test_parse_when_time_alone_is_next_occurrence() -> None:
    # NOW is 13:00 in Paris.
    assert parse_when("18:00", PARIS, NOW) == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert parse_when("11:00", PARIS, NOW) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert parse_when("13:00", PARIS, NOW) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    naive_now = datetime(2026, 3, 1, 12, 0)
    assert parse_when("18:00", PARIS, naive_now) == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("tomorrow", "I don't understand the time"),
        ("2026-02-30", "There is no such date"),
        ("2026-13-01T10:00", "There is no such date"),
        ("2026-03-10T25:00", "There is no such time"),
        ("2026-03-10T10:61", "There is no such time"),
        ("10-03-2026", "I don't understand the time"),
        ("2026-03-10T18:00+25:00", "too large"),
        ("２０２６-03-10", "I don't understand the time"),
        ("0000-01-01", "no such date"),
        ("9999-12-31T23:59-05:00", "out of range"),
    ],
)
def test_parse_when_bad(text: str, message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        parse_when(text, PARIS, NOW)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_when_never_crashes(text: str) -> None:
    try:
        result = parse_when(text, PARIS, NOW)
    except GrammarError:
        return
    if isinstance(result, datetime):
        assert result.tzinfo is UTC


# --------------------------------------------------------------------------------------------
# parse_bool, parse_idea_number
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["yes", "YES", "true", "True", "on", "1", " On "])
def test_parse_bool_true(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "No", "false", "FALSE", "off", "0"])
def test_parse_bool_false(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "y", "maybe", "2", "yes!", "oui"])
def test_parse_bool_bad(text: str) -> None:
    with pytest.raises(GrammarError, match="yes or no"):
        parse_bool(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("#12", 12), ("12", 12), (" #7 ", 7), ("#1", 1), ("#012", 12), ("1000000000", 10**9)],
)
def test_parse_idea_number(text: str, expected: int) -> None:
    assert parse_idea_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#",
        "#0",
        "0",
        "-3",
        "#-3",
        "1000000001",
        "##12",
        "# 12",
        "12a",
        "＃１２",
        "１２",
        "٣",
        "1.5",
    ],
)
def test_parse_idea_number_bad(text: str) -> None:
    with pytest.raises(GrammarError, match=r"^Ideas are written like #12\.$"):
        parse_idea_number(text)


# --------------------------------------------------------------------------------------------
# parse_cron
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 9 * * mon", "0 9 * * mon"),
        ("  0   9 *\t* MON ", "0 9 * * mon"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("0 0-23/2 1,15 * *", "0 0-23/2 1,15 * *"),
        ("30 18 * JAN-Mar mon-fri", "30 18 * jan-mar mon-fri"),
        ("0 12 * * fri-sun", "0 12 * * fri-sun"),
        ("0 12 * * 0,7", "0 12 * * 0,7"),
        ("59 23 31 12 6", "59 23 31 12 6"),
        ("0 9 1-7 * 1-5/2", "0 9 1-7 * 1-5/2"),
        ("0,30 8-18 * * sat,sun", "0,30 8-18 * * sat,sun"),
        ("@daily", "0 0 * * *"),
        ("@Weekly", "0 0 * * 0"),
    ],
)
def test_parse_cron(text: str, expected: str) -> None:
    assert parse_cron(text) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("60 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"),
        ("* * 32 * *", "day-of-month"),
        ("* * * 13 *", "month"),
        ("* * * foo *", "month"),
        ("* * * * 8", "day-of-week"),
        ("* * * * funday", "day-of-week"),
        ("* * * mon *", "month"),
        ("* * * * jan", "day-of-week"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("5/10 * * * *", "minute"),
        ("1,,2 * * * *", "minute"),
        ("* 1- * * *", "hour"),
        ("* * * * sun-sat/", "day-of-week"),
        ("? * * * *", "minute"),
    ],
)
def test_parse_cron_bad_field(text: str, field: str) -> None:
    with pytest.raises(GrammarError, match=f"^The {field} field `"):
        parse_cron(text)


@pytest.mark.parametrize("text", ["", "* * * *", "* * * * * *", "@sometimes"])
def test_parse_cron_wrong_number_of_fields(text: str) -> None:
    with pytest.raises(GrammarError, match="5 fields"):
        parse_cron(text)


# --------------------------------------------------------------------------------------------
# parse_timezone
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        (" America/New_York ", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Asia/Tokyo", "Asia/Tokyo"),
    ],
)
def test_parse_timezone(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected
    ZoneInfo(expected)


def test_parse_timezone_unknown() -> None:
    with pytest.raises(GrammarError) as info:
        parse_timezone("Mars/Base")
    assert str(info.value) == (
        "Unknown time zone `Mars/Base`. Use an IANA name such as Europe/Paris."
    )


@pytest.mark.parametrize("text", ["", "Europe", "../etc/passwd", "/etc/localtime", "Paris", "a\0b"])
def test_parse_timezone_bad(text: str) -> None:
    with pytest.raises(GrammarError, match="IANA name"):
        parse_timezone(text)


def test_a_line_finds_a_command_registered_after_the_last_line() -> None:
    from bot.commands.spec import Registry

    commands = Registry()

    async def handler() -> None:
        return None

    commands.command("ideas", description="d")(handler)
    assert parse_line("/ideas", commands.paths).command == ("ideas",)
    with pytest.raises(GrammarError):
        parse_line("/idea show 3", commands.paths)
    commands.command("idea", "show", description="d")(handler)
    assert parse_line("/Idea Show 3", commands.paths).command == ("idea", "show")
