"""Finding things and help that helps (issue 11, parts 4 and 6), through the core's
command entry point on both backends: /ideas mine|status:|search:, /roadmap, help for one
command with its example, suggestions, parse errors, and the one challenge that fits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.commands import registry
from bot.commands.args import bind
from bot.commands.help import find
from bot.core import parse_invocation
from bot.errors import UserError
from bot.finding import like_pattern
from bot.messages import Actor, CommunityRef
from bot.render import more_line, when
from tests.harness import START, Harness


@pytest.fixture
async def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    await harness.challenge()
    return harness


def body(reply: object) -> str:
    card = reply.card  # type: ignore[attr-defined]
    return "\n".join([card.title, card.body, *(f"{k}: {v}" for k, v in card.fields), card.footer])


# -- examples and help ------------------------------------------------------------------


def test_every_command_has_an_example_that_parses_to_it() -> None:
    community, actor = CommunityRef("console", "c"), Actor("mo", "Mo", is_moderator=True)
    for spec in registry.specs:
        assert spec.example, f"{spec.name} has no example"
        inv = parse_invocation(spec.example, community, "general", actor)
        assert registry.find(inv.command) is spec, (spec.name, spec.example)
        bind(spec, inv.options, inv.positionals, inv.spilled)  # its values are valid too


def test_help_finds_commands_by_path_alias_or_slash_and_suggests_the_nearest() -> None:
    assert find("idea submit").path == ("idea", "submit")
    assert find("/ideas").path == ("ideas",)
    assert find("cocreate results").path == ("results",)
    assert find("results post").path == ("results", "post")
    with pytest.raises(UserError, match=r"Did you mean `/results`\?"):
        find("reslts")
    with pytest.raises(UserError, match=r"`/mod org` is a group of commands: .*`/mod org link`"):
        find("mod org")
    with pytest.raises(UserError, match=r"There is no command `/zzz`\. `/cocreate help` lists"):
        find("zzz")


async def test_help_for_one_command_shows_usage_example_and_options(h: Harness) -> None:
    reply = await h.ok("/cocreate help mod merge", "ana")
    text = body(reply)
    assert reply.card.title == "❓ /mod merge"
    assert "Usage: `/mod merge <#n> into:<idea>`" in text
    assert "Example: `/mod merge #14 into:#12`" in text
    assert "Moderators only: you can't use it here." in text
    assert "`into:…` — the idea that stays, like #3 (idea, required)" in text


@pytest.mark.parametrize("line", ["help", "/help", "/cocreate", "/help ", "HELP"])
async def test_every_way_in_leads_to_cocreate_help(h: Harness, line: str) -> None:
    reply = await h.ok(line, "ana")
    assert reply.card.title == "👋 Cocreate runs co-creation challenges here"
    assert "This is `/cocreate help`" in reply.card.body
    assert "`/cocreate help <command>` explains one command" in reply.card.footer


# -- parse errors -----------------------------------------------------------------------


async def test_a_value_that_swallowed_the_next_words_says_so(h: Harness) -> None:
    refused = await h.refused('/idea submit title:Salted caramel description:"Tasty"', "ana")
    assert "`title:` took only `Salted`" in refused
    assert '`title:"Salted caramel"`' in refused
    refused = await h.refused("/challenge edit flavour voting_close:2026-04-01 18:00")
    assert '`voting_close:"2026-04-01 18:00"`' in refused
    # a bare word after a value that is one word by nature is still a positional
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint")
    await h.ok("/mod merge into:#1 #2")
    assert await community_count(h) == 0


async def community_count(h: Harness) -> int:
    reply = await h.ok("/ideas status:rejected", "ana")
    return 0 if "Nothing found" in reply.card.body else len(reply.card.body.splitlines())


async def test_unknown_options_suggest_the_nearest(h: Harness) -> None:
    refused = await h.refused("/ideas serch:caramel", "ana")
    assert "Did you mean `search:`?" in refused


# -- finding ----------------------------------------------------------------------------


async def test_mine_status_and_search_across_challenges(h: Harness) -> None:
    await h.submit("ana", "Salted caramel", "Crunchy 100% bits")
    await h.ok('/idea submit title:"Secret syrup" description:"Caramel_ish" anonymous:yes', "ben")
    await h.submit("cleo", "Mint", "Fresh")
    await h.ok('/challenge create title:"Toppings" brief:"Which?" sealed:yes')
    await h.ok("/challenge open toppings")
    await h.ok('/idea submit toppings title:"Caramel drizzle" description:"Warm"', "ana")
    await h.react(4, "ben")

    mine = body(await h.ok("/ideas mine", "ana"))
    assert "#4 · Caramel drizzle" in mine and "#1 · Salted caramel" in mine
    assert "Mint" not in mine and "Secret" not in mine
    # across challenges, newest first; a sealed challenge shows no tally
    found = await h.ok("/ideas search:CARAMEL", "dan")
    lines = found.card.body.splitlines()
    assert [line.split(" · ")[0] for line in lines] == ["#4", "#2", "#1"]
    assert "vote" not in lines[0] and "0 votes" in lines[2]
    assert "by anonymous" in lines[1] and "Ben" not in found.card.body
    # the moderator sees who it is
    assert "anonymous (Ben)" in (await h.ok("/ideas search:syrup")).card.body
    # `%` and `_` are matched literally
    assert "#1" in body(await h.ok('/ideas search:"100%"', "dan"))
    assert "Nothing found" in body(await h.ok('/ideas search:"0%b"', "dan"))
    assert "#2" in body(await h.ok("/ideas search:l_i", "dan"))
    assert "Nothing found" in body(await h.ok("/ideas search:l_x", "dan"))
    # one challenge named
    assert "#4" not in body(await h.ok("/ideas flavour search:caramel", "dan"))
    # a status filters; a member never sees another's rejected idea, its author does
    await h.ok("/mod reject #3 off topic")
    assert "#3" not in body(await h.ok("/ideas status:rejected", "dan"))
    assert "#3 · Mint" in body(await h.ok("/ideas status:rejected", "cleo"))
    await h.ok("/mod status #1 in progress")
    in_progress = body(await h.ok("/ideas status:in_progress", "dan"))
    assert "#1 · Salted caramel" in in_progress and "#2" not in in_progress
    refused = await h.refused("/ideas status:planed", "dan")
    assert "choose one of" in refused


async def test_roadmap_groups_by_status_and_keeps_secrets(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    for n in range(2, 2 + 7):
        await h.submit(f"m{n}", f"Idea {n}")
    await h.ok('/idea submit title:"Secret syrup" description:"Sweet" anonymous:yes', "ben")
    empty = await h.ok("/roadmap", "dan")
    assert "No idea is planned" in empty.card.body
    await h.ok("/mod status #1 implemented Shipped in May")
    for n in range(2, 2 + 8):
        await h.ok(f"/mod status #{n} planned")
    roadmap = await h.ok("/roadmap", "dan")
    fields = dict(roadmap.card.fields)
    assert list(fields) == ["📌 Planned", "🚀 Implemented"]
    planned = fields["📌 Planned"].splitlines()
    assert len(planned) == 6
    assert planned[-1] == "… and 3 more: `/ideas status:planned`"
    assert fields["🚀 Implemented"] == "#1 · Salted caramel · by Ana · Flavour — Shipped in May"
    assert planned[0] == "#9 · Secret syrup · by anonymous · Flavour"
    assert "Ben" not in str(roadmap.card) and "vote" not in str(roadmap.card)
    assert "by anonymous (Ben)" in str((await h.ok("/roadmap")).card)


async def test_long_lists_say_how_many_more(h: Harness) -> None:
    for n in range(1, 13):
        await h.submit(f"m{n}", f"Idea {n}")
    first = (await h.ok("/ideas sort:new", "dan")).card.body.splitlines()
    assert len(first) == 11
    assert first[-1] == "… and 2 more: `/ideas flavour sort:new page:2`"
    found = (await h.ok("/ideas search:idea", "dan")).card.body.splitlines()
    assert found[-1] == "… and 2 more: `/ideas search:idea page:2`"
    standings = (await h.ok("/results", "dan")).card.body.splitlines()
    assert standings[-1] == "… and 2 more: `/ideas flavour sort:top`"
    assert more_line(0, "/ideas") == ""


# -- the one challenge that fits --------------------------------------------------------


async def test_a_command_takes_the_only_challenge_that_fits(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok('/challenge create title:"Flavour" brief:"?"')
    await h.ok('/challenge create title:"Toppings" brief:"?"', channel="toppings")
    # two drafts: which?
    assert "Which challenge to open? Name one of: `flavour`, `toppings`." in await h.refused(
        "/challenge open", channel="elsewhere"
    )
    await h.ok("/challenge open flavour")
    # the only draft left is the one to open, wherever this is typed
    assert "'Toppings' is open" in (await h.ok("/challenge open", channel="elsewhere")).card.title
    await h.ok("/challenge close flavour")
    # the only open challenge takes the idea; the only one closed is not asked about
    assert "#1" in (await h.ok('/idea submit title:"A" description:"B"', "ana")).card.title
    # the only running challenge is the one to close
    assert "'Toppings' is closed" in (await h.ok("/challenge close")).card.title
    await h.ok('/challenge create title:"Next" brief:"?"')
    refused = await h.refused("/results", "ana", channel="elsewhere")
    assert "Which challenge? Name one of: `flavour`, `toppings`." in refused
    # three to delete (two closed, a draft): which?
    assert "Which challenge to delete?" in await h.refused("/challenge delete")
    await h.ok("/challenge delete flavour")
    await h.ok("/challenge delete toppings")
    assert "'Next' is deleted" in (await h.ok("/challenge delete")).card.title


# -- dates and settings -----------------------------------------------------------------


async def test_challenge_info_shows_every_setting_and_dates_name_the_zone(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok(
        '/challenge create title:"Flavour" brief:"?" timezone:Europe/Paris venue:ideas,more '
        "report_venue:brand min_account_age:7d min_member_age:36h sealed:yes review:yes "
        "ideas_per_member:2 submissions_close:7d voting_close:14d"
    )
    await h.ok("/challenge open")
    fields = dict((await h.ok("/challenge info", "ana")).card.fields)
    assert fields["Submissions close"] == when(START.replace(day=9), "Europe/Paris")
    assert fields["Submissions close"] == "Mon 9 Mar 2026, 10:00 CET"
    assert fields["Schedule"] == "weekly results at `0 9 * * mon` (cron), Europe/Paris"
    assert fields["Time zone"] == "Europe/Paris"
    assert fields["Venues"] == "#ideas, #more"
    assert fields["Report venue"] == "#brand"
    assert fields["Minimum ages for a vote"] == "account 7d, membership 1d12h"
    assert fields["Sealed"].startswith("yes")
    assert fields["Review"] == "moderators approve ideas first"
    assert fields["Limits"].startswith("2 ideas per member; self-votes do not count")


def test_like_patterns_escape_what_members_type() -> None:
    assert like_pattern("100%") == "%100\\%%"
    assert like_pattern("a_b\\c") == "%a\\_b\\\\c%"
