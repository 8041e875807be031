"""Property-based tests of the core through its real entry points, on both backends.

1. Command lines: any text, and lines built from the real command registry with hostile
   values, are answered without an internal error, and nothing the bot publishes carries a
   live mention.
2. Reactions: random worlds and random sequences of reaction events (out of order, replayed,
   cleared, by bots, with other emoji), reconciles and clock moves agree with an independent
   reference model of the vote rules, with the reaction log, and with themselves when every
   event is delivered again.

Each example opens a database of its own (a copy of a migrated SQLite file, or a new
PostgreSQL schema): the agenda looks at every community's challenges, so examples sharing a
database would not be independent. ``COCREATE_HYPOTHESIS_EXAMPLES=n`` runs every property
with n examples.

The example tests at the end pin down the bugs these properties found, now fixed; the
strategies keep generating their inputs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.commands import registry
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.core import parse_invocation
from bot.grammar import GrammarError
from bot.messages import (
    Actor,
    Card,
    Post,
    PostKind,
    ReactionAction,
    ReactionEvent,
    ReactionOutcome,
    Reply,
)
from bot.votes import Effect
from bot.weeks import week_of
from storage.database import SqlDatabase, create_engine
from storage.schema import member_week_points, received_points, votes
from storage.store import SqlStore
from tests.conftest import _require_postgres as require_postgres
from tests.conftest import postgres_database, postgres_url, sqlite_database_at
from tests.harness import Harness

# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

_EXAMPLES = os.environ.get("COCREATE_HYPOTHESIS_EXAMPLES", "").strip()


def _settings(default_examples: int) -> Any:
    return settings(
        max_examples=int(_EXAMPLES) if _EXAMPLES else default_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


OpenDatabase = Callable[[], AbstractAsyncContextManager[SqlDatabase]]
_templates: dict[Path, Path] = {}


@pytest_asyncio.fixture
async def fresh_database(
    backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> OpenDatabase:
    """Opens a new migrated database for each example, on the backend under test."""
    if backend == "postgresql":
        await require_postgres(postgres_url())  # skips (or fails on CI) once, up front
        return postgres_database
    base = tmp_path_factory.getbasetemp()
    if base not in _templates:
        async with sqlite_database_at(base / "properties-template.db"):
            pass
        _templates[base] = base / "properties-template.db"
    template, numbers = _templates[base], itertools.count(1)

    @asynccontextmanager
    async def open_copy() -> AsyncIterator[SqlDatabase]:
        path = tmp_path / f"example-{next(numbers)}.db"
        shutil.copyfile(template, path)
        database = SqlDatabase(create_engine(f"sqlite+aiosqlite:///{path}"))
        try:
            yield database
        finally:
            await database.close()
            for leftover in tmp_path.glob(f"{path.name}*"):
                leftover.unlink()

    return open_copy


# --------------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------------

_LIVE_MENTION = re.compile(r"@(everyone|here|channel)|<[@#!]", re.IGNORECASE)


def live_mentions(text: str) -> list[str]:
    """The live mentions in text: @everyone, @here, @channel (any case), <@…, <#…, <!…."""
    return [m.group(0) for m in _LIVE_MENTION.finditer(text)]


def card_texts(card: Card) -> list[str]:
    return [card.title, card.body, card.footer, *(part for f in card.fields for part in f)]


def published_posts(h: Harness) -> list[Post]:
    return [s.post for s in h.publisher.sent] + [post for _, post in h.publisher.updates]


def assert_no_live_mentions(h: Harness) -> None:
    for post in published_posts(h):
        for text in card_texts(post.card):
            found = live_mentions(text)
            assert not found, f"live mention {found} in a published {post.kind} post: {text!r}"


# --------------------------------------------------------------------------------------------
# Property 1: command lines
# --------------------------------------------------------------------------------------------

HOSTILE = [
    "@everyone",
    "@here",
    "@channel",
    "@Everyone",
    "hi @here!",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S1|team>",
    "<@123>",
    "<@!123>",
    "<@&456>",
    "<#789>",
    "<@U123|ana>",
    "<#C1|general>",
    "<\u202e@1>",
    "<\x00@1>",
    "@\u200beveryone",
    "",
    " ",
    '"',
    "'",
    "“",
    "”",
    "„",
    "«",
    "\\",
    '\\"',
    'a"b',
    "title:x",
    "x:",
    "http://example.com",
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
    "\u200f",
    "\u200b",
    "\x00",
    "a\x00b",
    "\x07",
    "\x7f",
    "\x85",
    "\n",
    "line1\nline2",
    "\r\n",
    "\t",
    "\u2028",
    "\u3164",
    "💡",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🇫🇷",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "e\u0301",
    "שלום עולם",
    "مرحبا",
    "日本語のアイデア",
    "x" * 300,
    "y" * 5000,
    "9" * 40,
    "-1",
    "0",
    "#0",
    "#-1",
    "#99999999999",
    "1e9",
    "١٢",
    "７",
    "%s %d {0} ${x}",
    "`code`",
    "```",
    "*bold* _it_ ~s~",
    "<b>x</b>",
    "&amp; &lt;",
    "'; DROP TABLE ideas; --",
    "null",
    "None",
]

_KIND_VALUES: dict[OptionKind, list[str]] = {
    OptionKind.TEXT: ["Salted caramel", "Mint chip", "too vague", "2026-03-02"],
    OptionKind.LONG_TEXT: ["Sweet and salty.", "Line one\nline two", "none", "-"],
    OptionKind.INT: ["1", "3", "100", "0", "-5", "101", "10000", "10001", "99999999999999999999"],
    OptionKind.BOOL: ["yes", "no", "true", "off", "maybe"],
    OptionKind.DURATION: ["7d", "0", "off", "90m", "2w", "52w1d", "366d", "1h30m"],
    OptionKind.WHEN: [
        "7d",
        "14d",
        "90m",
        "2026-03-10",
        "2026-03-10 18:00",
        "2026-03-10T18:00+01:00",
        "18:00",
        "2020-01-01",
        "2026-02-30",
        "25:00",
        "2026-03-10 18:00+25:00",
    ],
    OptionKind.IDEA: ["#1", "#2", "#3", "1", "2", "#0", "#1000000000", "#abc", "# 1"],
    OptionKind.CHALLENGE: ["flavour", "draft-one", "Flavour", "Draft one", "draft", "nope"],
    OptionKind.MEMBER: ["ben", "ana", "<@ben>", "@ben", "mod", "Ben", "nobody", "<@123>"],
    OptionKind.CHANNEL: ["general", "ideas", "general,ideas", "<#C1|general>", "#ideas", ","],
    OptionKind.EMOJI: ["👍", "🎉", "👍🏽", "<:custom:123>", ":+1:", "a b"],
    OptionKind.CRON: ["0 9 * * mon", "@daily", "*/5 * * * *", "61 * * * *", "0 9 * *"],
    OptionKind.TIMEZONE: ["UTC", "Europe/Paris", "Asia/Tokyo", "America/New_York", "Mars/Base"],
}

#: Inputs that once found bugs (see the tests at the end).
_FOUND_BUGS: dict[OptionKind, list[str]] = {
    OptionKind.WHEN: ["9999-12-31 23:59Z", "9999-12-31", "0001-01-01 00:00Z"],
    OptionKind.CHANNEL: ["c" * 65, "general," + "d" * 80],
    OptionKind.CRON: [",".join(str(m) for m in range(60)) + " * * * *"],
    OptionKind.EMOJI: ["@everyone", "<!channel>", "<@123>", "\ud800"],
    OptionKind.MEMBER: ["\ud800", "a\x00b"],
    OptionKind.CHALLENGE: ["\ud800"],
}


def option_values(kind: OptionKind, choices: Sequence[str] = ()) -> st.SearchStrategy[str]:
    typical = list(_KIND_VALUES.get(kind, [])) + list(choices) + [c.upper() for c in choices]
    typical += _FOUND_BUGS.get(kind, [])
    strategies = [st.sampled_from(HOSTILE), st.text(max_size=40)]
    if typical:
        strategies = [st.sampled_from(typical), st.sampled_from(typical), *strategies]
    return st.one_of(*strategies)


def _quote(value: str, style: str) -> str:
    if style == "double":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "typographic":
        return "“" + value + "”"
    return value  # bare: may well break the grammar, which is fine


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    """A line for a real command: its path, positionals and name:value options."""
    spec: CommandSpec = draw(st.sampled_from(registry.specs))
    path = draw(st.sampled_from([spec.path, *spec.aliases]))
    words = [w.upper() if draw(st.booleans()) and draw(st.booleans()) else w for w in path]
    parts = [draw(st.sampled_from(["/", "", " /"])) + " ".join(words)]
    styles = st.sampled_from(["double", "double", "bare", "typographic"])

    def value(option: Option) -> str:
        return draw(option_values(option.kind, option.choices))

    for option in spec.options:
        if option.positional and draw(st.integers(0, 3)) > 0:
            parts.append(_quote(value(option), draw(styles)))
    for option in spec.options:
        if not option.positional and draw(st.integers(0, 2)) == 0:
            parts.append(f"{option.name}:{_quote(value(option), draw(styles))}")
    if draw(st.integers(0, 9)) == 0:  # an extra positional, or an option the spec lacks
        extra = draw(option_values(OptionKind.MEMBER))  # it may fill a member slot
        parts.append(draw(st.sampled_from(["", "bogus:", "title:"])) + _quote(extra, "double"))
    return " ".join(parts)


lines = st.one_of(
    command_lines(),
    command_lines(),
    command_lines(),
    st.text(max_size=80),
    st.text(max_size=60).map(lambda s: "/" + s),
)


def _platform_text(text: str) -> bool:
    """Platforms send valid UTF-8 without NUL for names."""
    return "\x00" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


display_names = st.one_of(
    st.just("Ana"),
    st.sampled_from([n for n in HOSTILE if n and "\x00" not in n]),
    st.text(min_size=1, max_size=30),
).filter(_platform_text)


#: Commands that publish posts, run after the random lines to render whatever they changed.
PROBES = [
    ("member", '/idea submit title:"Probe" description:"A probe idea."'),
    ("mod", "/mod status #1 planned"),
    ("mod", "/mod status #2 in progress"),
    ("mod", "/challenge open draft-one"),
    ("mod", "/challenge advance flavour"),
    ("mod", "/challenge close flavour"),
]


async def command_world(database: SqlDatabase) -> Harness:
    h = Harness(database)
    await h.challenge("venue:general,ideas")
    await h.ok('/challenge create title:"Draft one" brief:"Later."')
    await h.submit("ana", "Salted caramel")
    await h.submit("ben", "Mint chip")
    return h


async def run_line(h: Harness, line: str, actor: Actor, channel: str) -> Reply | None:
    """Parse and run one line as this actor; None when the grammar refuses it."""
    try:
        inv = parse_invocation(line, h.community, channel, actor)
    except GrammarError:
        event("line: grammar error")
        return None
    reply = await h.app.handle_command(inv)
    event(f"line: {'ok' if reply.ok else 'refused'}")
    assert isinstance(reply, Reply)
    assert reply.error_id is None, (
        f"internal error for {line!r} by {actor}: {reply.card.title}: {reply.card.body}"
    )
    assert all(isinstance(t, str) for t in card_texts(reply.card))
    return reply


@_settings(40)
@given(
    script=st.lists(
        st.tuples(lines, st.booleans(), st.sampled_from(["general", "ideas", "dm"])),
        min_size=1,
        max_size=4,
    ),
    name=display_names,
)
async def test_any_command_line_gets_an_answer_and_publishes_no_live_mention(
    fresh_database: OpenDatabase, script: list[tuple[str, bool, str]], name: str
) -> None:
    async with fresh_database() as database:
        h = await command_world(database)
        mod = h.actor("mod", mod=True)
        member = Actor("ana", name)
        try:
            for line, as_mod_first, channel in script:
                for actor in (mod, member) if as_mod_first else (member, mod):
                    await run_line(h, line, actor, channel)
            for who, line in PROBES:
                await run_line(h, line, mod if who == "mod" else member, "general")
        finally:
            await h.close()  # background posts (agenda, badges) are sent by now
        assert_no_live_mentions(h)


# --------------------------------------------------------------------------------------------
# Property 2: reactions against a reference model
# --------------------------------------------------------------------------------------------

MEMBERS = ("ana", "ben", "cleo", "dan", "eve")
BOT = Actor("cocreate-bot", "Cocreate", is_bot=True)
VOTE = "👍"
#: What each emoji we send means for a challenge whose vote emoji is 👍 (None: CLEAR of all).
EMOJI_IS_VOTE = {"👍": True, "👍🏽": True, "👍\ufe0f": True, "🎉": False, None: True}
EVENT_IDS = [f"e{i}" for i in range(6)]

PostKey = tuple[str, str]


@dataclass(frozen=True)
class World:
    members: tuple[str, ...]
    venues: tuple[str, ...]
    #: the author of idea #1, #2, …
    authors: tuple[str, ...]


@dataclass(frozen=True)
class Ev:
    """A reaction event, relative to the world: indexes wrap around, time from the clock."""

    action: ReactionAction
    post: int
    member: int
    offset_s: int
    event_id: str | None
    emoji: str | None
    bot: bool = False
    unknown_post: bool = False


@dataclass(frozen=True)
class Redeliver:
    index: int


@dataclass(frozen=True)
class Reconcile:
    post: int
    reactors: tuple[int, ...]
    with_bot: bool
    #: when the list was asked for, from the clock's now (None: now, the default)
    offset_s: int | None
    #: members who react with 👍🏽 (the others listed react with 👍)
    toned: tuple[int, ...] = ()


@dataclass(frozen=True)
class Tick:
    seconds: int


@dataclass(frozen=True)
class Burst:
    """Events delivered concurrently, which the ingest applies as one batch."""

    events: tuple[Ev, ...]


Op = Ev | Redeliver | Reconcile | Tick | Burst


@st.composite
def worlds(draw: st.DrawFn) -> World:
    members = MEMBERS[: draw(st.integers(3, 5))]
    venues = draw(st.sampled_from([("general",), ("general", "ideas")]))
    authors = draw(st.lists(st.sampled_from(members), min_size=2, max_size=4))
    return World(members, venues, tuple(authors))


_offsets = st.integers(-8, 8).map(lambda k: k * 15)  # ±2 min in 15 s steps: ties happen
_ids = st.one_of(st.none(), st.sampled_from(EVENT_IDS))
_rare = st.sampled_from([False] * 9 + [True])


@st.composite
def events(draw: st.DrawFn, *, in_burst: bool = False) -> Ev:
    actions = [ReactionAction.ADD] * 3 + [ReactionAction.REMOVE] * 2 + [ReactionAction.CLEAR]
    action = draw(st.sampled_from(actions))
    event_id = draw(_ids)
    if action is ReactionAction.CLEAR:
        emoji = draw(st.sampled_from([None, None, VOTE, "🎉"]))
    else:
        emoji = draw(st.sampled_from([VOTE, VOTE, VOTE, "👍🏽", "👍\ufe0f", "🎉"]))
    if in_burst and (action is ReactionAction.CLEAR or emoji == "🎉"):
        # Such an event may be left out of the log (another emoji; a CLEAR that finds nobody
        # or is stale): within its batch its id then still counts as seen, across batches
        # it does not. Ids reused by other events (as _ids does) would tell the difference;
        # platforms never reuse an id for another event.
        event_id = None
    return Ev(
        action=action,
        post=draw(st.one_of(st.integers(0, 1), st.integers(0, 7))),  # collide often
        member=draw(st.one_of(st.integers(0, 1), st.integers(0, 4))),
        offset_s=draw(_offsets),
        event_id=event_id,
        emoji=emoji,
        bot=action is not ReactionAction.CLEAR and draw(_rare),
        unknown_post=draw(_rare) and draw(st.booleans()),
    )


operations = st.lists(
    st.one_of(
        events(),
        events(),
        events(),
        events(),
        st.builds(Redeliver, st.integers(0, 50)),
        st.builds(
            Reconcile,
            post=st.integers(0, 7),
            reactors=st.lists(st.integers(0, 4), max_size=4).map(tuple),
            with_bot=st.booleans(),
            offset_s=st.one_of(st.none(), _offsets),
            toned=st.lists(st.integers(0, 4), max_size=2).map(tuple),
        ),
        st.builds(Tick, st.integers(1, 40).map(lambda k: k * 15)),
        st.builds(Burst, st.lists(events(in_burst=True), min_size=2, max_size=4).map(tuple)),
    ),
    min_size=6,
    max_size=30,
)


@dataclass(frozen=True)
class Expected:
    effects: frozenset[str]
    duplicate: bool = False

    def check(self, outcome: ReactionOutcome, event: ReactionEvent) -> None:
        assert outcome.effect in self.effects and outcome.duplicate == self.duplicate, (
            f"{event}: got {outcome}, expected one of {sorted(self.effects)}"
            f" (duplicate={self.duplicate})"
        )


def _one(effect: str, duplicate: bool = False) -> Expected:
    return Expected(frozenset({effect}), duplicate)


StateKey = tuple[PostKey, str, str]  # post, member, emoji variant
#: present, the platform time of the latest event (None: read back only), when it reached
#: us (or when the list was asked for), and whether a read-back list set it
State = tuple[bool, datetime | None, datetime, bool]


def variant_of(emoji: str) -> str:
    return "🏽" if "🏽" in emoji else ""


@dataclass
class ReferenceModel:
    """The vote rules, written down independently of bot/votes.py.

    * A reaction is kept per (post, member, emoji variant): 👍 and 👍🏽 are two reactions.
    * The latest event per reaction wins by its platform time; a tie goes to the later
      arrival. A reactor list read back from the platform counts as of when it was asked
      for: an event that reached us after that wins over it (a tie too), whatever its
      platform time; one that reached us before loses to it.
    * An event whose id was recorded before is a duplicate and changes nothing. An id is
      recorded when the event reached the vote rules: not for bots, other emoji, unknown
      posts, or a CLEAR that found nobody to clear or was stale (nothing is logged for
      those).
    * A member's vote on an idea exists while any variant of their vote reaction is on some
      post of the idea and they are not its author (self-votes are off; the challenge stays
      open; nobody is blocked or too new). So every member's vote set is the formula of
      `expected_votes`.
    * A CLEAR settles the post at its time: every reaction on it up to then is known, so a
      later-arriving event older than that is stale, whoever it is from. It removes, at its
      time, the reaction (of its emoji variant, or all) of each member holding it when its
      turn comes (a CLEAR older than the post's settled time is itself stale and recorded
      nowhere).
    * A read-back sets each listed reaction present and each other held reaction absent,
      recording only the changes; then every member it covers gets the vote their
      reactions call for (a repair, recorded when it adds or removes a vote).
    """

    authors: dict[int, str]
    idea_of: dict[PostKey, int]
    states: dict[StateKey, State] = field(default_factory=dict)
    votes: set[tuple[int, str]] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    settled: dict[PostKey, datetime] = field(default_factory=dict)
    #: (idea, member, effect) of every change applied or found stale: one log entry each
    log: Counter[tuple[int, str, str]] = field(default_factory=Counter)

    def present_on(self, post: PostKey, variant: str | None = None) -> set[tuple[str, str]]:
        return {
            (m, v)
            for (p, m, v), (present, *_) in self.states.items()
            if p == post and present and variant in (None, v)
        }

    def reacting(self, idea: int, member: str) -> bool:
        return any(
            present
            for (p, m, _), (present, *_) in self.states.items()
            if m == member and self.idea_of[p] == idea
        )

    def expected_votes(self) -> set[tuple[int, str]]:
        return {
            (self.idea_of[p], m)
            for (p, m, _), (present, *_) in self.states.items()
            if present and m != self.authors[self.idea_of[p]]
        }

    def _vote(self, idea: int, member: str) -> str:
        wants, has = self.reacting(idea, member), (idea, member) in self.votes
        if wants and not has:
            if member == self.authors[idea]:
                return Effect.SELF_VOTE
            self.votes.add((idea, member))
            return Effect.ADDED
        if has and not wants:
            self.votes.discard((idea, member))
            return Effect.REMOVED
        return Effect.NO_CHANGE

    def _event_change(self, key: StateKey, present: bool, at: datetime, received: datetime) -> str:
        post, member, _ = key
        old = self.states.get(key)
        if (
            (post in self.settled and at < self.settled[post])
            or (old is not None and old[1] is not None and at < old[1])
            or (old is not None and old[3] and received < old[2])
        ):
            effect = Effect.STALE
        else:
            self.states[key] = (present, at, received, False)
            effect = self._vote(self.idea_of[post], member)
        self.log[(self.idea_of[post], member, effect)] += 1
        return effect

    def event(self, e: ReactionEvent, received: datetime) -> Expected:
        post = (e.channel_id, e.message_id)
        if post not in self.idea_of:
            return _one(Effect.NOT_AN_IDEA)
        if e.event_id is not None and e.event_id in self.seen:
            return _one(Effect.DUPLICATE, duplicate=True)
        if e.member is not None and e.member.is_bot:
            return _one(Effect.BOT)
        if not EMOJI_IS_VOTE[e.emoji]:
            return _one(Effect.OTHER_EMOJI)
        if e.action is ReactionAction.CLEAR:
            if post in self.settled and e.at < self.settled[post]:
                return _one(Effect.STALE)
            self.settled[post] = e.at
            keys = sorted(self.present_on(post, None if e.emoji is None else variant_of(e.emoji)))
        else:
            assert e.member is not None and e.emoji is not None
            keys = [(e.member.external_id, variant_of(e.emoji))]
        if not keys:
            return _one(Effect.NO_CHANGE)
        if e.event_id is not None:
            self.seen.add(e.event_id)
        present = e.action is ReactionAction.ADD
        effects = [self._event_change((post, m, v), present, e.at, received) for m, v in keys]
        # A CLEAR changes its holders in an order the store chooses, and reports the first
        # effect that is neither "no change" nor "stale", else the last one.
        notable = frozenset(effects) - {Effect.NO_CHANGE, Effect.STALE}
        return Expected(notable or frozenset(effects))

    def reconcile(
        self, post: PostKey, listed: set[tuple[str, str]], requested: datetime
    ) -> tuple[int, int]:
        if post not in self.idea_of:
            return 0, 0
        idea = self.idea_of[post]
        added = removed = 0
        covered = sorted(listed | self.present_on(post))
        for member, variant in covered:
            key, want = (post, member, variant), (member, variant) in listed
            old = self.states.get(key)
            if (old is not None and old[2] >= requested) or (
                post in self.settled and requested < self.settled[post]
            ):
                continue  # an event that reached us after the list was asked for wins
            if old is None and not want:
                continue
            self.states[key] = (want, old[1] if old else None, requested, True)
            if old is not None and old[0] == want:
                continue  # confirmed
            added, removed = added + want, removed + (not want)
            self.log[(idea, member, self._vote(idea, member))] += 1
        for member in sorted({m for m, _ in covered}):
            effect = self._vote(idea, member)
            if effect in (Effect.ADDED, Effect.REMOVED):
                self.log[(idea, member, effect)] += 1
        return added, removed


@dataclass
class Stored:
    votes: list[tuple[int, str, datetime, str]]  # idea number, member, cast_at, week
    vote_counts: dict[int, int]
    states: dict[StateKey, State]
    log: list[tuple[int, str, str, str | None]]  # idea number, member, effect, event id
    points: dict[tuple[str, str], tuple[int, int]]  # (member, week) -> (cast, received)
    #: (credited idea number, member, week recorded, counted) of the entries that count
    counted: list[tuple[int, str, str, int]]


async def read_stored(h: Harness, world: World, posts: dict[int, PostKey]) -> Stored:
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        community = await store.find_community(h.community)
        assert community is not None
        ideas = {}
        for number in range(1, len(world.authors) + 1):
            idea = await store.idea_by_number(community.id, number)
            assert idea is not None
            ideas[idea.id] = idea
        names = {}
        for name in (*MEMBERS, "mod", BOT.external_id):
            member = await store.member_by_external(community.id, name)
            if member is not None:
                names[member.id] = name
        targets = await store.posts_by_message(community.id, list(posts.values()))
        post_keys = {t.post_id: key for key, t in targets.items()}
        number = {i: idea.number for i, idea in ideas.items()}
        votes = sorted(
            (number[v.idea_id], names[v.member_id], v.cast_at, v.week)
            for v in await store.voters(list(ideas))
        )
        states = {
            (post_keys[s.post_id], names[s.member_id], s.variant): (
                s.present,
                s.changed_at,
                s.seen_at,
                s.synced,
            )
            for s in await store.reaction_states(list(ideas), None)
        }
        entries = await store.reaction_log(community.id)
        log = [(number[e.idea_id], names[e.member_id], e.effect, e.event_id) for e in entries]
        counted = [
            (number[e.credited_idea_id], names[e.member_id], week_of(e.recorded_at), e.counted)
            for e in entries
            if e.counted and e.credited_idea_id is not None
        ]
        t, r = member_week_points.c, received_points.c
        points: dict[tuple[str, str], tuple[int, int]] = {}
        for row in await store.conn.execute(
            select(t.member_id, t.week, t.votes_cast).where(t.community_id == community.id)
        ):
            points[(names[row.member_id], row.week)] = (row.votes_cast, 0)
        for row in await store.conn.execute(
            select(r.member_id, r.week, r.votes).where(r.community_id == community.id)
        ):
            cast, _ = points.get((names[row.member_id], row.week), (0, 0))
            points[(names[row.member_id], row.week)] = (cast, row.votes)
        counts = {idea.number: idea.vote_count for idea in ideas.values()}
    return Stored(votes, counts, states, log, points, counted)


def check_against_model(stored: Stored, model: ReferenceModel, world: World) -> None:
    pairs = [(idea, member) for idea, member, _, _ in stored.votes]
    # (a) one vote per (idea, member), and each idea's count is its number of voters
    assert len(pairs) == len(set(pairs)), f"duplicate vote rows: {pairs}"
    for number, count in stored.vote_counts.items():
        voters = {m for idea, m in pairs if idea == number}
        assert count == len(voters), f"#{number}: vote_count {count}, voters {sorted(voters)}"
    # (b) the reaction log, replayed, gives exactly the stored votes
    tally: Counter[tuple[int, str]] = Counter()
    for idea, member, effect, _ in stored.log:
        if effect == Effect.ADDED:
            tally[(idea, member)] += 1
        elif effect == Effect.REMOVED:
            tally[(idea, member)] -= 1
        assert tally[(idea, member)] in (0, 1), f"log replay: {(idea, member)} at {tally}"
    assert {k for k, n in tally.items() if n} == set(pairs), "log replay differs from the votes"
    logged_ids = [event_id for _, _, _, event_id in stored.log if event_id is not None]
    assert len(logged_ids) == len(set(logged_ids)), f"an event id logged twice: {logged_ids}"
    # (c) the reference model
    assert model.votes == model.expected_votes()  # the model agrees with its own formula
    assert set(pairs) == model.votes, f"stored votes {sorted(pairs)} != model {sorted(model.votes)}"
    assert stored.states == model.states, "reaction states differ from the model"
    assert Counter((idea, m, effect) for idea, m, effect, _ in stored.log) == model.log
    assert set(logged_ids) == model.seen
    # (e) the vote log's counted entries add up to each idea's count, a member at most once
    held: Counter[tuple[int, str]] = Counter()
    for idea, member, _, n in stored.counted:
        held[(idea, member)] += n
        assert held[(idea, member)] in (0, 1), f"counted twice: {(idea, member)}"
    standings = Counter({idea: 0 for idea in stored.vote_counts})
    for (idea, _), n in held.items():
        standings[idea] += n
    assert dict(standings) == stored.vote_counts, "the log's standings differ from the counts"
    # points follow the votes: cast in the vote's week, received in the log entry's
    authors = dict(enumerate(world.authors, start=1))
    expected: Counter[tuple[str, str, str]] = Counter()
    for _, member, _, week in stored.votes:
        expected[("cast", member, week)] += 1
    for idea, _, week, n in stored.counted:
        expected[("received", authors[idea], week)] += n
    for (member, week), (cast, received) in stored.points.items():
        assert cast == expected.pop(("cast", member, week), 0), f"votes_cast of {member}"
        assert received == expected.pop(("received", member, week), 0), f"received: {member}"
    assert not +expected, f"missing points rows: {expected}"


async def reaction_world(
    database: SqlDatabase, world: World
) -> tuple[Harness, list[tuple[PostKey, int]]]:
    """The world's challenge and ideas; every idea post with its idea number."""
    h = Harness(database)
    await h.challenge(f"venue:{','.join(world.venues)} ideas_per_member:5")
    for i, author in enumerate(world.authors, start=1):
        assert await h.submit(author, f"Idea {i} by {author}") == i
    idea_posts = [
        ((s.receipt.channel_id, s.receipt.message_id), s.post.idea_number or 0)
        for s in h.publisher.sent
        if s.post.kind is PostKind.IDEA
    ]
    assert sorted(n for _, n in idea_posts) == sorted(
        n for n in range(1, len(world.authors) + 1) for _ in world.venues
    )
    h.tick(10)  # every event time below is after the opening
    return h, idea_posts


@_settings(30)
@given(world=worlds(), ops=operations)
async def test_reactions_agree_with_the_log_a_reference_model_and_a_replay(
    fresh_database: OpenDatabase, world: World, ops: list[Op]
) -> None:
    async with fresh_database() as database:
        await reaction_scenario(database, world, ops)


async def reaction_scenario(database: SqlDatabase, world: World, ops: list[Op]) -> None:
    h, idea_posts = await reaction_world(database, world)
    model = ReferenceModel(
        authors=dict(enumerate(world.authors, start=1)),
        idea_of={key: number for key, number in idea_posts},
    )
    posts = dict(enumerate(key for key, _ in idea_posts))
    delivered: list[ReactionEvent] = []

    def build(ev: Ev) -> ReactionEvent:
        channel, message = posts[ev.post % len(posts)]
        member = None
        if ev.action is not ReactionAction.CLEAR:
            member = BOT if ev.bot else h.actor(world.members[ev.member % len(world.members)])
        return ReactionEvent(
            community=h.community,
            channel_id=channel,
            message_id=f"gone-{message}" if ev.unknown_post else message,
            action=ev.action,
            at=h.clock.now() + timedelta(seconds=ev.offset_s),
            member=member,
            emoji=ev.emoji,
            event_id=ev.event_id,
        )

    async def deliver(e: ReactionEvent) -> None:
        expected = model.event(e, h.clock.now())
        outcome = await h.app.handle_reaction(e)
        expected.check(outcome, e)
        event(f"outcome: {outcome.effect}")
        delivered.append(e)

    try:
        for op in ops:
            if isinstance(op, Ev):
                await deliver(build(op))
            elif isinstance(op, Redeliver):
                if delivered:
                    await deliver(delivered[op.index % len(delivered)])
            elif isinstance(op, Burst):
                batch = [build(ev) for ev in op.events]
                expected = [model.event(e, h.clock.now()) for e in batch]
                outcomes = await asyncio.gather(*(h.app.handle_reaction(e) for e in batch))
                for exp, outcome, e in zip(expected, outcomes, batch, strict=True):
                    exp.check(outcome, e)
                    event(f"outcome: {outcome.effect} (in a batch)")
                delivered.extend(batch)
            elif isinstance(op, Reconcile):
                channel, message = posts[op.post % len(posts)]
                plain = [h.actor(world.members[i % len(world.members)]) for i in op.reactors]
                toned = [h.actor(world.members[i % len(world.members)]) for i in op.toned]
                if op.with_bot:
                    plain.append(BOT)
                at = None if op.offset_s is None else h.clock.now() + timedelta(seconds=op.offset_s)
                listed = {(a.external_id, "") for a in plain if not a.is_bot}
                listed |= {(a.external_id, "🏽") for a in toned}
                want = model.reconcile((channel, message), listed, at or h.clock.now())
                result = await h.app.reconcile(
                    h.community, channel, message, {VOTE: plain, "👍🏽": toned}, requested_at=at
                )
                assert (result.added, result.removed) == want, f"{op}: {result} != {want}"
            else:
                h.clock.advance(timedelta(seconds=op.seconds))
        event(f"operations: {len(ops) // 5 * 5}+")
        event(f"votes at the end: {min(len(model.votes), 5)}")
        before = await read_stored(h, world, posts)
        check_against_model(before, model, world)

        # (d) every event delivered again: those whose id was recorded are duplicates and
        # change nothing at all (votes, states, log, points)...
        for e in delivered:
            if e.event_id in model.seen:
                expected = model.event(e, h.clock.now())  # a duplicate, unless unknown post
                assert expected.effects <= {Effect.DUPLICATE, Effect.NOT_AN_IDEA}
                expected.check(await h.app.handle_reaction(e), e)
        assert await read_stored(h, world, posts) == before
        # ...and the others (no id, or an id never recorded) still follow the model.
        for e in list(delivered):
            if e.event_id not in model.seen:
                await deliver(e)
        check_against_model(await read_stored(h, world, posts), model, world)
    finally:
        await h.close()


# --------------------------------------------------------------------------------------------
# Bugs the properties found, now fixed, pinned by examples
# --------------------------------------------------------------------------------------------


async def _vote_count(h: Harness, number: int) -> int:
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        idea = await store.idea_by_number(community.id, number)
        assert idea is not None
        return idea.vote_count


async def _voters(h: Harness, number: int) -> set[str]:
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        idea = await store.idea_by_number(community.id, number)
        assert idea is not None
        ids = {v.member_id for v in await store.voters([idea.id])}
        return {m.external_id for m in (await store.members_by_ids(ids)).values()}


async def _one_idea(database: SqlDatabase) -> Harness:
    h = Harness(database)
    await h.challenge()
    await h.submit("ana", "Salted caramel")
    h.tick(10)
    return h


async def test_a_mention_is_no_vote_emoji_and_is_never_published(database: SqlDatabase) -> None:
    """Found by the command property: `emoji:<!channel>` once passed the emoji check and went
    into the idea card's footer verbatim, a live mass mention."""
    h = Harness(database)
    await h.challenge()
    assert "give one emoji" in await h.refused("/challenge edit flavour emoji:<!channel>")
    await h.submit("ana", "Salted caramel")
    assert "give one emoji" in await h.refused(
        '/challenge create title:"Next" brief:"Later." emoji:@everyone'
    )
    leaks = [
        text for post in published_posts(h) for text in card_texts(post.card) if live_mentions(text)
    ]
    assert leaks == []


@pytest.mark.parametrize(
    "create",
    [
        # a deadline that exists in UTC but not in the challenge's time zone (info of a draft)
        '/challenge create title:"Later" brief:"b" voting_close:"9999-12-31 23:59Z" '
        "timezone:Asia/Tokyo",
        # the same at the other end, in the "is in the past" message itself
        '/challenge create title:"Past" brief:"b" submissions_close:"0001-01-01 00:00Z" '
        "timezone:America/New_York",
    ],
)
async def test_deadlines_near_the_ends_of_time_are_refused(
    database: SqlDatabase, create: str
) -> None:
    """Found by the command property: near year 1 or 9999 the local time does not exist and
    rendering such a deadline raised OverflowError."""
    h = Harness(database)
    reply = await h.cmd(create)
    if reply.ok:
        title = create.split('"')[1]
        reply = await h.cmd(f"/challenge info {title}")
    assert reply.error_id is None, reply.card.body


@pytest.mark.parametrize(
    "line",
    [
        "/challenge edit flavour report_venue:" + "c" * 65,
        "/challenge edit flavour venue:general," + "d" * 65,
        '/challenge edit flavour schedule:"' + ",".join(str(m) for m in range(60)) + ' * * * *"',
    ],
)
async def test_overlong_channel_names_and_schedules_are_refused(
    database: SqlDatabase, line: str
) -> None:
    """Found by the command property on PostgreSQL, which enforces VARCHAR lengths: channel
    references (64) and long cron lists (100) reached the database unchecked."""
    h = Harness(database)
    await h.challenge()
    reply = await h.cmd(line)
    assert reply.error_id is None, reply.card.body


@pytest.mark.parametrize(
    "line",
    [
        '/challenge edit flavour emoji:"\ud800"',
        '/challenge edit flavour venue:"\ud800"',
        '/mod block "\ud800"',
        '/badges "\ud800"',
        '/badges "a\x00b"',  # PostgreSQL only
        '/challenge edit flavour report_venue:"a\x00b"',  # PostgreSQL only
    ],
)
async def test_characters_the_database_cannot_store_are_refused(
    database: SqlDatabase, line: str
) -> None:
    """Found by the command property: lone surrogates (both backends) and NUL (PostgreSQL) in
    emoji, member and channel values were internal errors."""
    h = Harness(database)
    await h.challenge()
    reply = await h.cmd(line)
    assert reply.error_id is None, reply.card.body


async def test_a_clear_wins_over_an_older_add_that_arrives_later(database: SqlDatabase) -> None:
    """Ben adds 👍 at t+3s, a moderator clears the reactions at t+5s, and the CLEAR arrives
    first: the late ADD is stale, as it would be after a REMOVE at t+5s."""
    h = await _one_idea(database)
    t = h.clock.now()
    await h.app.handle_reaction(
        h.event(1, "", ReactionAction.CLEAR, emoji=None, at=t + timedelta(seconds=5))
    )
    outcome = await h.app.handle_reaction(h.event(1, "ben", at=t + timedelta(seconds=3)))
    assert outcome.effect == Effect.STALE
    assert await _vote_count(h, 1) == 0


async def test_a_replayed_clear_event_changes_nothing(database: SqlDatabase) -> None:
    """A CLEAR that found no holder leaves no log entry, but it settled the post: delivered
    again, it still changes nothing."""
    h = await _one_idea(database)
    t = h.clock.now()
    clear = h.event(
        1, "", ReactionAction.CLEAR, emoji=None, at=t + timedelta(seconds=5), event_id="clr-1"
    )
    await h.app.handle_reaction(clear)
    await h.app.handle_reaction(h.event(1, "ben", at=t + timedelta(seconds=3)))
    votes = await _vote_count(h, 1)
    h.tick()
    await h.app.handle_reaction(h.event(1, "cleo", at=h.clock.now()))
    votes = await _vote_count(h, 1)
    replay = await h.app.handle_reaction(clear)
    assert replay.effect in (Effect.NO_CHANGE, Effect.STALE), replay
    assert await _vote_count(h, 1) == votes == 1


async def test_add_then_clear_in_one_batch_ends_without_the_vote(database: SqlDatabase) -> None:
    """Delivered together, ADD(ben, t) and CLEAR(t+1s) share one batch; the CLEAR applies to
    whoever holds the reaction at its turn, so group commit gives the same result as one by
    one."""
    h = await _one_idea(database)
    t = h.clock.now()
    add = h.event(1, "ben", at=t)
    clear = h.event(1, "", ReactionAction.CLEAR, emoji=None, at=t + timedelta(seconds=1))
    await asyncio.gather(h.app.handle_reaction(add), h.app.handle_reaction(clear))
    assert await _vote_count(h, 1) == 0


async def test_events_that_arrive_while_a_reactor_list_is_read_win_over_it(
    database: SqlDatabase,
) -> None:
    """The list is asked for at T and answers late, still showing ben and not cleo; ben's
    removal and cleo's add reached us after T, so they stand (reconciling once undid them)."""
    h = await _one_idea(database)
    await h.react(1, "ben")
    h.tick()
    asked = h.clock.now()
    h.tick()  # while the list is in flight
    await h.react(1, "ben", add=False)
    await h.react(1, "cleo")
    receipt = h.publisher.idea_message(1)
    result = await h.app.reconcile(
        h.community,
        receipt.channel_id,
        receipt.message_id,
        {"👍": [h.actor("ben")]},
        requested_at=asked,
    )
    assert (result.added, result.removed) == (0, 0)
    assert await _voters(h, 1) == {"cleo"}


async def test_a_reactor_list_wins_over_events_that_reached_us_before_it_was_asked_for(
    database: SqlDatabase,
) -> None:
    """An event that reached us before the list was asked for, but whose turn comes after
    it (it was queued), is already in the list: it is stale, whatever its platform time."""
    h = await _one_idea(database)
    before = h.clock.now()
    h.tick()
    receipt = h.publisher.idea_message(1)
    await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": [h.actor("ben")]}
    )
    late = replace(h.event(1, "ben", ReactionAction.REMOVE, at=h.clock.now()), received_at=before)
    assert (await h.app.handle_reaction(late)).effect == Effect.STALE
    assert await _voters(h, 1) == {"ben"}


async def test_a_vote_counts_while_any_variant_of_the_emoji_remains(database: SqlDatabase) -> None:
    """Ben reacts with 👍 and 👍🏽, then takes one back: a 👍 of his remains, so does his vote."""
    h = await _one_idea(database)
    await h.react(1, "ben", emoji="👍")
    await h.react(1, "ben", emoji="👍🏽")
    h.tick()
    assert (await h.react(1, "ben", add=False, emoji="👍🏽")).effect == Effect.NO_CHANGE
    assert await _voters(h, 1) == {"ben"}
    h.tick()
    assert (await h.react(1, "ben", add=False, emoji="👍")).effect == Effect.REMOVED
    assert await _voters(h, 1) == set()
    # Read back: the list shows 👍🏿 only; that variant alone keeps the vote.
    receipt = h.publisher.idea_message(1)
    h.tick()
    await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": [], "👍🏿": [h.actor("ben")]}
    )
    assert await _voters(h, 1) == {"ben"}


async def test_a_reconcile_repairs_a_vote_row_out_of_step_with_the_reactions(
    database: SqlDatabase,
) -> None:
    """The reactions say ben votes, but his vote row is gone (a crash between two writers
    once left such states): reading the post back confirms the reaction and adds the vote."""
    h = await _one_idea(database)
    await h.react(1, "ben")
    async with h.app.db.transaction() as store:
        assert isinstance(store, SqlStore)
        await store.conn.execute(delete(votes))
    assert await _voters(h, 1) == set()
    h.tick()
    receipt = h.publisher.idea_message(1)
    await h.app.reconcile(
        h.community, receipt.channel_id, receipt.message_id, {"👍": [h.actor("ben")]}
    )
    assert await _voters(h, 1) == {"ben"}
    assert await _vote_count(h, 1) == 1
