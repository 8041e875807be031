"""Members' data on both databases: `/mydata` gives a seeded member everything kept about
them; `/forgetme` (and `/mod forget`) erases them from every table and every export while
the standings and the vote log stay as they were; communities that removed the bot are
deleted after the grace period, and not before, nor once they came back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from bot import member_data, votelog
from bot.member_data import FORMER_MEMBER, SECTIONS
from bot.messages import CommunityRef
from bot.report import brand_report
from bot.settings import Settings, load_settings
from storage.database import SqlDatabase
from storage.schema import communities, members, metadata
from tests.harness import Harness
from tests.test_api import Client, make_token, serving

#: The member who exports and then erases their data: a name no other text contains.
NAME = "Zelda"
WHO = "zelda"
CODE = re.compile(r"confirm:([0-9A-F]{6})")
OTHER = CommunityRef("test", "guild-2", "Other guild")


def settings(**extra: str) -> Settings:
    return load_settings(
        environ={
            "COCREATE_WEBHOOKS__ALLOW_PRIVATE": "true",
            "COCREATE_WEBHOOKS__SECRET_KEY": "a key",
            "COCREATE_HTTP__PORT": "0",
            **extra,
        }
    )


async def seeded(h: Harness) -> dict[str, int]:
    """A challenge where Zelda submits two ideas (one anonymous), votes, tries to vote for
    herself, takes a vote back, earns a badge, and is voided and restored by a moderator;
    a webhook endpoint keeps the events (never delivered: the worker is not started)."""
    await h.ok("/mod webhook add http://127.0.0.1:9/hook")
    await h.challenge("report_venue:brand")
    ideas = {
        "ana": await h.submit("ana", "Mango chilli"),
        "zelda": await h.submit(WHO, "Salted caramel", "Crunchy, with sea salt."),
        "ben": await h.submit("ben", "Mint chip"),
    }
    hidden = await h.ok('/idea submit title:"Smoked tea" description:"Dark." anonymous:yes', WHO)
    ideas["hidden"] = int(hidden.card.title.split("#")[1].split()[0])
    for voter in ("ana", "ben", "cleo"):
        assert (await h.react(ideas["zelda"], voter)).effect == "vote added"
    assert (await h.react(ideas["hidden"], "ana")).effect == "vote added"
    assert (await h.react(ideas["ana"], WHO)).effect == "vote added"
    assert (await h.react(ideas["ben"], WHO)).effect == "vote added"
    assert (await h.react(ideas["zelda"], WHO)).effect == "ignored: self-vote"
    assert (await h.react(ideas["ben"], WHO, add=False)).effect == "vote removed"
    await h.ok(f"/mod void {WHO}")
    await h.ok(f"/mod unvoid {WHO}")
    return ideas


def exported(h: Harness, index: int = -1) -> dict[str, Any]:
    member, card, files = h.publisher.dms[index]
    assert member == WHO and card.title.startswith("📦")
    (file,) = files
    assert file.filename.endswith(".json") and file.content_type == "application/json"
    document: dict[str, Any] = json.loads(file.content)
    return document


async def test_mydata_gives_the_member_everything_kept_about_them(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness(settings())
    ideas = await seeded(h)
    reply = await h.ok("/mydata", WHO)
    assert reply.ephemeral and "Sent to your direct messages" in reply.card.footer
    assert not reply.attachments
    data = exported(h)
    assert list(data) == ["format", "version", "generated_at", "community", *SECTIONS]
    assert data["format"] == member_data.FORMAT and data["community"]["id"] == "guild-1"
    assert data["member"]["display_name"] == NAME and data["member"]["platform_id"] == WHO

    mine = {i["number"]: i for i in data["ideas"]}
    assert set(mine) == {ideas["zelda"], ideas["hidden"]}
    assert mine[ideas["zelda"]]["votes"] == 3 and mine[ideas["zelda"]]["challenge"] == "flavour"
    assert mine[ideas["hidden"]]["anonymous"] is True
    assert mine[ideas["zelda"]]["description"] == "Crunchy, with sea salt."

    assert [(v["idea"], v["voided"]) for v in data["votes"]] == [(ideas["ana"], False)]
    effects = [(e["idea"], e["effect"]) for e in data["vote_log"]]
    for expected in (
        (ideas["ana"], "vote added"),
        (ideas["ben"], "vote added"),
        (ideas["zelda"], "ignored: self-vote"),
        (ideas["ben"], "vote removed"),
        (ideas["ana"], "voided by a moderator"),
        (ideas["ana"], "restored by a moderator"),
    ):
        assert expected in effects, (expected, effects)
    assert all(e["challenge"] == "flavour" and "counted" in e for e in data["vote_log"])
    assert {(r["idea"], r["present"]) for r in data["reactions"]} >= {
        (ideas["ana"], True),
        (ideas["ben"], False),
    }
    assert data["follows"] == [] and data["notices"] == []  # (authors and voters follow
    # without a row; see the next test for chosen follows and notices)

    badges_reply = await h.ok("/badges", WHO)
    total = int(badges_reply.card.footer.split()[0])
    assert data["points"]["all_time"] == total > data["points"]["shown_to_others"]
    assert data["points"]["weeks"] and data["points"]["votes_received"]
    assert any(w["private"] for w in data["points"]["votes_received"])
    assert [b["kind"] for b in data["badges"]] == ["spark"]
    assert data["badges"][0]["label"] == "💡 Spark"
    assert [v["challenge"] for v in data["voided_votes"]] == []  # restored
    assert data["moderator_actions"] == []
    assert data["created"] == {"challenges": [], "api_tokens": [], "webhooks": [], "link_codes": []}

    # A moderator's export holds what they did and made (never a secret).
    await h.ok("/mydata")
    mod = json.loads(h.publisher.dms[-1][2][0].content)
    assert {a["action"] for a in mod["moderator_actions"]} >= {"member.void", "member.unvoid"}
    assert [c["slug"] for c in mod["created"]["challenges"]] == ["flavour"]
    assert [w["url"] for w in mod["created"]["webhooks"]] == ["http://127.0.0.1:9/hook"]
    assert "whsec_" not in json.dumps(mod)

    # Direct messages closed: the file comes with the (private) reply instead.
    h.publisher.closed_dms.add(WHO)
    reply = await h.ok("/cocreate mydata", WHO)
    assert reply.ephemeral and "couldn't send you a direct message" in reply.card.footer
    (file,) = reply.attachments
    assert json.loads(file.content)["member"]["display_name"] == NAME


async def everything_said(h: Harness, client: Client) -> str:
    """Every export, the REST API's answers and the brand report, as one text."""
    parts = []
    for fmt in ("csv", "json", "votes"):
        reply = await h.ok(f"/export flavour format:{fmt}")
        parts += [reply.card.title, reply.card.body, reply.attachments[0].content.decode()]
    for path in (
        "/api/v1/challenges",
        "/api/v1/challenges/1/ideas",
        "/api/v1/challenges/1/standings",
        "/api/v1/leaderboard?period=all",
        "/api/v1/challenges/1/export?format=csv",
        "/api/v1/challenges/1/export?format=json",
    ):
        parts.append(json.dumps(await client.get(path), ensure_ascii=False))
    async with h.app.db.transaction() as store:
        (challenge,) = await store.challenges_by_ids([1])
        card, files = await brand_report(store, challenge, h.clock.now(), final=True)
    parts += [card.title, card.body, *(f"{a}{b}" for a, b in card.fields)]
    parts += [f.content.decode(errors="replace") for f in files if f.filename.endswith(".csv")]
    for command in ("/results", "/leaderboard period:all", "/mod log", "/ideas"):
        reply = await h.ok(command)
        parts += [reply.card.title, reply.card.body, reply.card.footer]
    return "\n".join(parts)


async def every_row(db: SqlDatabase) -> list[tuple[str, str]]:
    """(table, row as text) of every row of every table of the schema."""
    out = []
    async with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                out.append((table.name, " ".join(str(v) for v in row)))
    return out


def standings_of(text: str) -> dict[int, int]:
    """The standings line by line: idea number -> votes."""
    return {int(n): int(v) for n, v in re.findall(r"#(\d+) .*? — (\d+) votes?", text)}


async def test_forgetme_erases_the_member_and_keeps_the_results(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    h = new_harness(settings())
    ideas = await seeded(h)
    token = await make_token(h)
    results_before = (await h.ok("/results")).card.body
    votes_before = (await h.ok("/export flavour format:votes")).attachments[0].content
    _, summary_before = votelog.load(votes_before.decode())
    async with aiohttp.ClientSession() as http, serving(h) as base:
        client = Client(http, base, token)
        before = await everything_said(h, client)
        assert NAME in before and WHO in before  # the check below can see them

        first = await h.ok("/forgetme", WHO)
        assert "cannot be undone" in first.card.body
        found = CODE.search(first.card.footer)
        assert found is not None, first.card.footer
        wrong = "000000" if found.group(1) != "000000" else "111111"
        assert "not right" in await h.refused(f"/forgetme confirm:{wrong}", WHO)
        assert "not right" in await h.refused('/forgetme confirm:"“ÄÖ”"', WHO)  # not ASCII
        assert await every_row(database) == await every_row(database)  # nothing changed
        assert "Zelda" in " ".join(r for _, r in await every_row(database))
        # Another member's code is not this member's.
        other = CODE.search((await h.ok("/forgetme", "ben")).card.footer)
        assert other is not None and other.group(1) != found.group(1)

        done = await h.ok(f"/forgetme confirm:{found.group(1)}", WHO)
        assert "forgotten" in done.card.title

        after = await everything_said(h, client)
    assert NAME.lower() not in after.lower()
    assert FORMER_MEMBER in after

    # Every table: neither the name nor the platform id is anywhere.
    leaks = [(t, row) for t, row in await every_row(database) if WHO in row.lower()]
    assert leaks == []

    # The standings, the vote log and what was published stay as they were.
    assert standings_of((await h.ok("/results")).card.body) == standings_of(results_before)
    assert (await h.ok("/results")).card.body.replace(NAME, FORMER_MEMBER) == (
        results_before.replace(NAME, FORMER_MEMBER)
    )
    votes_after = (await h.ok("/export flavour format:votes")).attachments[0].content
    entries, summary = votelog.load(votes_after.decode())
    assert summary["head"] == summary_before["head"]
    assert summary["standings"] == summary_before["standings"]
    verdict = votelog.verify(
        entries,
        str(summary["head"]),
        {int(k): int(v) for k, v in dict(summary["standings"]).items()},  # type: ignore[call-overload]
    )
    assert verdict.ok, verdict.problems
    assert votes_after == votes_before

    # Her ideas' posts now say "a former member"; the log says what happened, namelessly.
    updated = [post for _, post in h.publisher.updates if post.idea_number == ideas["zelda"]]
    assert updated and ("By", FORMER_MEMBER) in updated[-1].card.fields
    log = (await h.ok("/mod log")).card.body
    assert f"forgot {FORMER_MEMBER}" in log
    board = (await h.ok("/leaderboard period:all")).card.body
    assert FORMER_MEMBER in board

    # It cannot be undone: the same person is someone new now.
    await h.ok("/mydata", WHO)
    fresh = exported(h)
    assert fresh["ideas"] == [] and fresh["votes"] == [] and fresh["badges"] == []
    async with h.app.db.transaction() as store:
        count = await store.member_data.conn.scalar(  # type: ignore[attr-defined]
            select(func.count()).where(members.c.forgotten_at.is_not(None))
        )
    assert count == 1


async def test_mod_forget_is_for_moderators_and_confirmed(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    h = new_harness(settings())
    await h.challenge()
    number = await h.submit(WHO, "Salted caramel")
    await h.react(number, "ana")

    refused = await h.refused(f"/mod forget {WHO}", "ben")
    assert "Only moderators can use `/mod forget`" in refused
    assert "I don't know a member" in await h.refused("/mod forget nobody")

    first = await h.ok(f"/mod forget {WHO}")
    assert NAME in first.card.title
    found = CODE.search(first.card.footer)
    assert found is not None
    # The code is for this member only, and for a little while.
    assert "not right" in await h.refused(f"/mod forget ana confirm:{found.group(1)}")
    h.clock.advance(timedelta(minutes=31))
    assert "expired" in await h.refused(f"/mod forget {WHO} confirm:{found.group(1)}")
    found = CODE.search((await h.ok(f"/mod forget {WHO}")).card.footer)
    assert found is not None
    h.clock.advance(timedelta(minutes=14))
    await h.ok(f"/mod forget {WHO} confirm:{found.group(1)}")
    assert [t for t, row in await every_row(database) if WHO in row.lower()] == []
    assert f"forgot {FORMER_MEMBER} (by a moderator)" in (await h.ok("/mod log")).card.body
    shown = (await h.ok(f"/idea show #{number}")).card.fields
    assert ("Votes", "1 vote") in shown and ("By", FORMER_MEMBER) in shown
    assert "already forgotten" in await h.refused(f'/mod forget "{FORMER_MEMBER}"')


async def rows_of(db: SqlDatabase, community_id: int) -> int:
    """How many rows of every table with a community id belong to this community."""
    total = 0
    async with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "community_id" in table.c:
                total += int(
                    await conn.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.community_id == community_id)
                    )
                    or 0
                )
        total += int(
            await conn.scalar(
                select(func.count())
                .select_from(communities)
                .where(communities.c.id == community_id)
            )
            or 0
        )
    return total


async def test_a_community_that_removed_the_bot_is_purged_after_the_grace_period(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    h = new_harness(settings())
    await seeded(h)
    await make_token(h)
    await h.ok('/challenge create title:"Elsewhere" brief:"Theirs."', community=OTHER)
    await h.ok("/challenge open elsewhere", community=OTHER)
    await h.ok('/idea submit title:"Kept" description:"Yes."', "ana", community=OTHER)
    results_elsewhere = (await h.ok("/results elsewhere", community=OTHER)).card.body
    assert "Kept" in results_elsewhere

    # Left, then back before the grace period is over: nothing is deleted.
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(days=20))
    await h.ok("/challenge list", "ana")  # a command there: the bot is back
    h.clock.advance(timedelta(days=20))
    assert await h.app.purge_left() == []
    assert await rows_of(database, 1) > 40

    # Left again: kept for 30 days, then deleted, with nothing of it anywhere.
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(days=29))
    assert await h.app.purge_left() == []
    assert await h.app.communities_present("test", ["guild-1"]) == 1
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(days=30, minutes=1))
    assert await h.app.purge_left() == ["test:guild-1"]
    assert await rows_of(database, 1) == 0
    leaks = [(t, row) for t, row in await every_row(database) if WHO in row.lower()]
    assert leaks == []
    assert await h.app.purge_left() == []

    # The other community is untouched, and the first one starts afresh if it returns.
    assert (await h.ok("/results elsewhere", community=OTHER)).card.body == results_elsewhere
    reply = await h.cmd("/challenge list", "ana")
    assert reply.ok and "flavour" not in reply.card.body


async def test_a_community_linked_into_an_organisation_is_kept_while_linked(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    """Its members' ideas and votes are part of the organisation's challenges: deleting
    them would change published results. It goes once it is unlinked."""
    h = new_harness(settings())
    link = await h.ok("/mod org link")
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", link.card.title)
    assert code is not None
    await h.ok(f"/mod org join {code.group(0)}", community=OTHER)
    await h.challenge()
    await h.ok('/idea submit title:"Theirs" description:"Yes."', "ana", community=OTHER)
    await h.app.community_left(OTHER)
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(days=31))
    assert await h.app.purge_left() == []
    assert "Theirs" in (await h.ok("/results flavour")).card.body
    # unlinked, it is still kept: its member's idea is in the home's challenge
    await h.ok("/mod org leave", community=OTHER)  # (a command: the bot is back there)
    await h.app.community_left(OTHER)
    h.clock.advance(timedelta(days=31))
    assert await h.app.purge_left() == []
    # once the home goes, nothing is shared any more: the other goes at the next purge
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(days=31))
    assert await h.app.purge_left() == ["test:guild-1"]
    assert await h.app.purge_left() == [f"{OTHER.platform}:{OTHER.external_id}"]


async def test_follows_and_notices_are_exported_and_forgotten(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    h = new_harness(settings())
    await h.challenge()
    number = await h.submit("ana", "Mango")
    await h.ok(f"/idea follow #{number}", WHO)
    await h.ok("/notify mine votes:off", WHO)
    await h.ok(f"/idea unfollow #{number}", WHO)
    await h.ok(f"/idea follow #{number}", WHO)
    await h.ok(f"/mod status #{number} planned", "mod")
    await h.app.drain()
    await h.ok("/mydata", WHO)
    data = json.loads(h.publisher.dms[-1][2][0].content)
    assert [(f["idea"], f["following"]) for f in data["follows"]] == [(number, True)]
    assert data["notices"][0] == {"settings": {"level": "mine", "follow_votes": False}}
    first = await h.ok("/forgetme", WHO)
    code = re.search(r"confirm:([0-9A-F]{6})", first.card.footer or "")
    assert code is not None
    await h.ok(f"/forgetme confirm:{code.group(1)}", WHO)
    async with database.transaction() as store:
        conn = store.conn  # type: ignore[attr-defined]
        for table in ("idea_follows", "notice_prefs"):
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0


async def test_the_agenda_purges_once_a_day(new_harness: Callable[..., Harness]) -> None:
    h = new_harness(settings(COCREATE_DATA__LEFT_GRACE_DAYS="1"))
    await h.challenge()
    await h.app.community_left(h.community)
    h.clock.advance(timedelta(hours=12))
    await h.app.agenda.run_due()  # the first run purges at once: nothing is old enough
    h.clock.advance(timedelta(hours=13))
    await h.app.agenda.run_due()  # a day after leaving, but within a day of that run
    async with h.app.db.transaction() as store:
        assert await store.find_community(h.community) is not None
    h.clock.advance(timedelta(hours=11))
    await h.app.agenda.run_due()
    async with h.app.db.transaction() as store:
        assert await store.find_community(h.community) is None


def test_scrubbing_replaces_whole_words_and_person_objects() -> None:
    doc = json.dumps(
        {
            "author": {"id": "U1", "name": "Ana"},
            "text": "Ana likes bananas, says ana (U1)",
            "other": {"id": "U2", "name": "Anabel"},
        }
    )
    out = json.loads(member_data.scrub_document(doc, "Ana", "U1", "forgotten-x"))
    assert out["author"] == {"id": "forgotten-x", "name": FORMER_MEMBER}
    assert out["text"] == f"{FORMER_MEMBER} likes bananas, says {FORMER_MEMBER} (forgotten-x)"
    assert out["other"] == {"id": "U2", "name": "Anabel"}
    assert member_data.scrub_text("not json Ana", "Ana", "U1", "p") == f"not json {FORMER_MEMBER}"
    assert not member_data.mentions("Anabel", "Ana", "U1")
