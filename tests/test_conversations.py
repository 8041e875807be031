"""A conversation per idea, and notices to its followers (issue 11, parts 1 and 2), on the
in-memory platform as `cocreate run` builds it: threads and forum posts, activity without
reading messages, status tags, direct messages (and the thread for closed ones), a merge,
final places, a restart between a change and its notices, and a burst of 2,000 notices
paced in the background."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from adapters.memory.chat import BOT, Chat, Message, chat, forget
from bot.clock import ManualClock
from bot.core import Cocreate
from bot.messages import Actor
from bot.settings import load_settings
from cocreate.bootstrap import build, platforms
from storage.schema import idea_follows
from tests.faults import FlakyDatabase
from tests.harness import Harness

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Chat]:
    name = f"chat-{tmp_path.name}"
    yield chat(name)
    forget(name)


def paced(app: Cocreate, clock: ManualClock) -> None:
    """The notice worker's pace, in a test: the clock moves instead of time passing."""

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(microseconds=math.ceil(seconds * 1_000_000)))
        await asyncio.sleep(0)

    origin = clock.now()
    app.notices.sleep = sleep
    app.notices.monotonic = lambda: (clock.now() - origin).total_seconds()


@asynccontextmanager
async def bot(room: Chat, data: Path, clock: ManualClock, **env: str) -> AsyncIterator[Cocreate]:
    settings = load_settings(
        environ={
            "COCREATE_CORE__DATA_DIR": str(data),
            "COCREATE_MEMORY__ENABLED": "true",
            "COCREATE_MEMORY__CHAT": room.name,
            **env,
        }
    )
    app = await build(settings, clock)
    paced(app, clock)
    (platform,) = platforms(app, settings)
    await app.start()
    await platform.start()
    try:
        yield app
    finally:
        await app.drain()
        await platform.stop()
        await app.stop()


def idea_post(room: Chat, channel: str, number: int) -> Message:
    for message in room.posts(channel):
        if message.text.startswith(f"💡 #{number} · "):
            return message
    raise AssertionError(f"idea #{number} has no post in {channel}")


def dms_to(room: Chat, name: str) -> list[str]:
    member = room.member(name)
    return [text for who, text, _ in room.dms if who == member.id]


def bot_replies(message: Message) -> list[str]:
    return [text for who, text in message.replies if who == BOT]


async def ok(room: Chat, who: str, channel: str, text: str) -> str:
    reply = await room.command(who, channel, text)
    assert reply.ok, (text, reply.card)
    card = reply.card
    return "\n".join([card.title, card.body, *(f"{k}: {v}" for k, v in card.fields)])


async def test_an_idea_lives_its_life_in_a_thread_and_its_followers_hear_of_it(
    room: Chat, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    room.member("Maya", moderator=True)
    room.forums.add("forum")
    room.member("Dan").dms_open = False
    async with bot(room, tmp_path / "data", clock) as app:
        await ok(
            room,
            "Maya",
            "ideas",
            '/challenge create title:"Flavour" brief:"What next?" venue:ideas,forum '
            "submissions_close:7d voting_close:14d",
        )
        await ok(room, "Maya", "ideas", "/challenge open flavour")
        for name, title in (
            ("Ana", "Salted caramel"),
            ("Ben", "Caramel, salted"),
            ("Cleo", "Mango"),
        ):
            await ok(room, name, "ideas", f'/idea submit title:"{title}" description:"Yes."')

        # Each idea post opens a thread; in the forum each idea is a forum post, tagged.
        one, forum_one = idea_post(room, "ideas", 1), idea_post(room, "forum", 1)
        assert one.thread and forum_one.thread and forum_one.tag == "published"

        # Voters follow what they vote for, unless they said not to; anyone can follow.
        await ok(room, "Finn", "ideas", "/notify votes:off")
        for name in ("Ben", "Dan", "Finn"):
            await room.react(name, one.id, "👍")
        await room.react("Gus", idea_post(room, "ideas", 2).id, "👍")
        await ok(room, "Eve", "ideas", "/idea follow #1")

        # Discussed: counted from what the platform tells, not from what was said.
        await room.reply("Ben", one.id, "Love it")
        await room.reply("Cleo", forum_one.id, "With sea salt?")
        await room.reply("Ben", forum_one.id, "Yes")
        shown = await ok(room, "Eve", "ideas", "/idea show #1")
        assert "Discussion: 3 replies from 2 people" in shown

        # A status change: the tag follows, the threads are told, the followers get DMs,
        # and Dan, whose DMs are closed, is told in the thread by name.
        await ok(room, "Maya", "ideas", "/mod status #1 shortlisted Great with sea salt")
        await app.drain()
        assert forum_one.tag == "shortlisted"
        # The update goes to the ideas channel; the forum hears it in the idea's own post.
        assert [m.text.splitlines()[0] for m in room.posts("ideas")].count(
            "📣 Update on #1 · Salted caramel"
        ) == 1
        assert not any(m.text.startswith("📣 Update") for m in room.posts("forum"))
        assert any("is now shortlisted" in t and "sea salt" in t for t in bot_replies(one))
        assert any("is now shortlisted" in t for t in bot_replies(forum_one))
        assert any(
            "Your idea #1 Salted caramel is now shortlisted" in t for t in dms_to(room, "Ana")
        )
        for name in ("Ben", "Eve"):
            assert len(dms_to(room, name)) == 1, name
        assert dms_to(room, "Finn") == [] and dms_to(room, "Dan") == []
        told_dan = [t for t in bot_replies(one) if t.count("For Dan (direct messages are closed)")]
        assert len(told_dan) == 1 and "@" not in told_dan[0]

        notices = await ok(room, "Maya", "ideas", "/mod notices #1")
        assert "Dan — status" in notices and "in the thread (direct messages closed)" in notices
        assert "Ana — status" in notices and "direct message" in notices
        assert "In all: 4 — 3 by direct message, 1 in the thread" in notices

        # A merge: both threads are told and name each other; the voter hears where his
        # vote went.
        await ok(room, "Maya", "ideas", "/mod merge #2 into:#1")
        await app.drain()
        two = idea_post(room, "ideas", 2)
        assert any("merged into #1 Salted caramel" in t for t in bot_replies(two))
        assert any("#2 Caramel, salted was merged into this idea" in t for t in bot_replies(one))
        assert idea_post(room, "forum", 2).tag == "merged"
        (gus,) = dms_to(room, "Gus")
        assert "Your vote now counts for #1 Salted caramel" in gus
        assert any("Your idea #2" in t and "merged" in t for t in dms_to(room, "Ben"))

        # The final results: each follower hears the place, once; the thread is told.
        await ok(room, "Maya", "ideas", "/challenge close flavour")
        await app.drain()
        assert [t for t in dms_to(room, "Ana") if "finished" in t] == [
            "🏁 Your idea #1 Salted caramel finished 🥇 1st place\n"
            "Final results of Flavour: 4 votes."
        ]
        assert sum("finished 🥇 1st place" in t for t in dms_to(room, "Eve")) == 1
        # Gus voted for the duplicate: his vote counts for #1, so he hears its place.
        assert sum("#1 Salted caramel finished" in t for t in dms_to(room, "Gus")) == 1
        assert any("finished 🥇 1st place" in t for t in bot_replies(forum_one))
        sent = len(room.dms)

    # A restart sends nothing again.
    async with bot(room, tmp_path / "data", clock) as app:
        await app.drain()
        assert len(room.dms) == sent


async def test_notices_of_a_change_made_before_a_restart_are_sent_once_after_it(
    room: Chat, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    room.member("Maya", moderator=True)
    data = tmp_path / "data"
    async with bot(room, data, clock) as app:
        await ok(room, "Maya", "ideas", '/challenge create title:"Flavour" brief:"What next?"')
        await ok(room, "Maya", "ideas", "/challenge open flavour")
        await ok(room, "Ana", "ideas", '/idea submit title:"Mango" description:"Yes."')
        for name in ("Ben", "Cleo", "Dan"):
            await room.react(name, idea_post(room, "ideas", 1).id, "👍")
    # The process that makes the change stops before its notices go out (here: it sends
    # none), then another starts.
    async with bot(room, data, clock, COCREATE_NOTICES__ENABLED="false") as app:
        await ok(room, "Maya", "ideas", "/mod status #1 planned")
        await app.drain()
        assert room.dms == []
    clock.advance(timedelta(minutes=5))
    async with bot(room, data, clock) as app:
        await app.drain()
        assert Counter(who for who, *_ in room.dms) == {
            room.member(n).id: 1 for n in ("Ana", "Ben", "Cleo", "Dan")
        }
    async with bot(room, data, clock) as app:
        await app.drain()
        assert len(room.dms) == 4


async def written_not_sent(h: Harness, voters: tuple[str, ...]) -> None:
    """Ana's idea #1 with these voters, its status set while delivery is off: its
    followers' notices are written, none sent."""
    paced(h.app, h.clock)
    await h.challenge()
    await h.submit("ana", "Mango")
    for name in voters:
        await h.react(1, name)
    h.app.settings.notices.enabled = False
    await h.ok("/mod status #1 planned")


async def test_a_claim_that_died_with_its_process_is_sent_once_its_lease_ran_out(
    new_harness: object,
) -> None:
    h: Harness = new_harness()  # type: ignore[operator]
    await written_not_sent(h, ("ben", "cleo"))
    now = h.clock.now()
    async with h.app.db.transaction() as store:  # a process claims them, then dies
        claimed = await store.conversations.claim_notices(
            now, "gone:1:x", now + timedelta(minutes=2), 10
        )
    assert len(claimed) == 3
    h.app.settings.notices.enabled = True
    h.app.notices.look()  # the poll
    await h.app.drain()
    assert h.publisher.dms == []  # held by the claim
    h.clock.advance(timedelta(minutes=3))
    h.app.notices.look()
    await h.app.drain()
    assert sorted(who for who, *_ in h.publisher.dms) == ["ana", "ben", "cleo"]
    h.app.notices.look()
    await h.app.drain()
    assert len(h.publisher.dms) == 3


async def test_two_thousand_followers_are_told_within_the_rate_without_blocking_commands(
    new_harness: object,
) -> None:
    h: Harness = new_harness()  # type: ignore[operator]
    sent_at: list[datetime] = []
    publisher = h.publisher
    plain = publisher.direct_message

    async def timed(community: object, member: str, card: object) -> str:
        sent_at.append(h.clock.now())
        return await plain(community, member, card)  # type: ignore[arg-type]

    publisher.direct_message = timed  # type: ignore[method-assign]
    paced(h.app, h.clock)
    await h.challenge()
    await h.submit("ana", "Mango")
    actors = [Actor(f"f{i}", f"Follower {i}") for i in range(2000)]
    async with h.app.db.transaction() as store:
        community = await store.community(h.community, h.clock.now())
        members = await store.ensure_members(community.id, actors, h.clock.now())
        idea = await store.idea_by_number(community.id, 1)
        assert idea is not None
        rows = [
            {"idea_id": idea.id, "member_id": m.id, "following": True, "since": h.clock.now()}
            for m in members.values()
        ]
        await store.conn.execute(insert(idea_follows), rows)  # type: ignore[attr-defined]

    await h.ok("/mod status #1 planned")
    # The command has answered; the notices go on in the background.
    assert len(publisher.dms) < 2001
    shown = await h.ok("/idea show #1", "ben")
    assert "planned" in shown.card.title + str(shown.card.fields)
    assert len(publisher.dms) < 2001, "a command waited for the notices"
    await h.app.drain()

    assert len(publisher.dms) == 2001
    metrics = h.app.metrics.render().decode()
    assert 'cocreate_notices_total{kind="status",outcome="dm"} 2001.0' in metrics
    assert Counter(who for who, *_ in publisher.dms).most_common(1)[0][1] == 1
    rate = h.app.settings.notices.per_second
    window = timedelta(seconds=1) - timedelta(microseconds=10)  # float rounding
    for i, at in enumerate(sent_at):  # never more than `per_second` in any second
        later = [t for t in sent_at[i : i + int(rate) + 1] if t - at < window]
        assert len(later) <= rate, (at, len(later))
    assert sent_at[-1] - sent_at[0] >= timedelta(seconds=(2001 - 1) / rate - 1)


async def test_the_weekly_post_and_the_brand_report_name_the_most_discussed_ideas(
    room: Chat, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    room.member("Maya", moderator=True)
    async with bot(room, tmp_path / "data", clock) as app:
        await ok(
            room,
            "Maya",
            "ideas",
            '/challenge create title:"Flavour" brief:"What next?" report_venue:brand '
            "submissions_close:3w voting_close:4w",
        )
        await ok(room, "Maya", "ideas", "/challenge open flavour")
        for name, title in (("Ana", "Mango"), ("Ben", "Lime"), ("Cleo", "Fig")):
            await ok(room, name, "ideas", f'/idea submit title:"{title}" description:"Yes."')
        await room.react("Cleo", idea_post(room, "ideas", 1).id, "👍")
        # The chat holds the replies; the bot asks the platform for its counts before
        # posting (no reply is read, and they never touch the ranking).
        lime = idea_post(room, "ideas", 2)
        lime.replies += [("m-ana", "Zesty"), ("m-cleo", "Yes"), ("m-ana", "Agreed")]
        idea_post(room, "ideas", 3).replies.append(("m-ben", "Hmm"))
        await app.agenda.travel(clock, START + timedelta(days=8))
        weekly = [m.text for m in room.posts("ideas") if m.text.startswith("📊 This week")]
        assert weekly, [m.text.splitlines()[0] for m in room.posts("ideas")]
        assert "Most discussed: #2 · Lime — 3 replies from 2 people" in weekly[0], weekly[0]
        assert "#3 · Fig — 1 reply from 1 person" in weekly[0]
        # The ranking is the votes' alone: Lime, most discussed, stays below Mango.
        assert weekly[0].index("Mango — 1 vote") < weekly[0].index("Lime — 0 votes")
        report = [m.text for m in room.posts("brand") if m.text.startswith("📈")]
        assert report and "Most discussed: #2 · Lime — 3 replies from 2 people" in report[0]


async def test_the_author_of_an_anonymous_idea_is_never_told_in_its_thread(
    new_harness: object,
) -> None:
    h: Harness = new_harness()  # type: ignore[operator]
    paced(h.app, h.clock)
    await h.challenge()
    await h.ok('/idea submit title:"Mango" description:"Yes." anonymous:yes', "ana")
    await h.react(1, "ben")
    h.publisher.closed_dms.update({"ana", "ben"})
    await h.ok("/mod status #1 planned")
    await h.app.drain()
    told = [card for _, card in h.publisher.in_threads]
    assert [c.body for c in told if "For " in c.body] == [
        "For Ben (direct messages are closed): Status: planned"
    ]
    assert not any("Ana" in c.title + c.body or "Your idea" in c.title for c in told)
    notices = await h.ok("/mod notices #1")
    assert "not delivered: direct messages closed; not told in the thread" in notices.card.body


async def test_a_process_that_stops_mid_burst_gives_back_what_it_did_not_send(
    new_harness: object,
) -> None:
    h: Harness = new_harness()  # type: ignore[operator]
    await h.challenge()
    await h.submit("ana", "Mango")
    for i in range(20):
        await h.react(1, f"voter{i}")
    notices = h.app.notices

    async def sleep(seconds: float) -> None:  # stops (SIGTERM, say) after five notices
        h.clock.advance(timedelta(seconds=seconds))
        if len(h.publisher.dms) == 5:
            await notices.stop()
        await asyncio.sleep(0)

    paced(h.app, h.clock)
    notices.sleep = sleep
    await h.ok("/mod status #1 planned")
    await h.app.drain()
    assert len(h.publisher.dms) == 5
    # The next process (here: the same one started again) sends the rest at once, without
    # waiting for a lease to run out, and nothing twice.
    paced(h.app, h.clock)
    await notices.start()
    await h.app.drain()
    assert len(h.publisher.dms) == 21
    assert Counter(who for who, *_ in h.publisher.dms).most_common(1)[0][1] == 1


async def test_notices_wait_out_a_database_that_does_not_answer_and_go_once_it_does(
    new_harness: object, caplog: pytest.LogCaptureFixture
) -> None:
    h: Harness = new_harness()  # type: ignore[operator]
    await written_not_sent(h, ("ben",))
    h.app.settings.notices.enabled = True
    flaky = FlakyDatabase(h.app.db)
    h.app.notices.db = flaky  # type: ignore[assignment]
    flaky.down = True
    caplog.clear()
    h.app.notices.look()  # as the poll does
    await h.app.drain()
    assert flaky.refused == 1 and h.publisher.dms == []
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "the database is not answering" in caplog.records[0].getMessage()
    flaky.down = False
    h.app.notices.look()  # the next poll
    await h.app.drain()
    assert sorted(who for who, *_ in h.publisher.dms) == ["ana", "ben"]


async def test_the_notice_worker_looks_only_after_notices_were_written(
    new_harness: object,
) -> None:
    """A command that tells no follower starts no delivery (each look is a write
    transaction); one that does is delivered at once, without waiting for the poll."""
    h: Harness = new_harness()  # type: ignore[operator]
    looks = 0
    deliver = h.app.notices.deliver_batch

    async def counted() -> int:
        nonlocal looks
        looks += 1
        return await deliver()

    h.app.notices.deliver_batch = counted  # type: ignore[method-assign]
    await h.challenge()
    await h.app.drain()
    looks = 0  # the look at start is done
    await h.submit("ana", "Mango")
    await h.react(1, "ben")
    await h.ok("/ideas")
    await h.app.drain()
    assert looks == 0 and h.publisher.dms == []
    await h.ok("/mod status #1 planned")  # Ana (the author) and Ben (a voter) are told
    await h.app.drain()
    assert looks >= 1
    assert sorted(who for who, *_ in h.publisher.dms) == ["ana", "ben"]
