"""One challenge across the communities of an organisation: venues on both platforms, one
numbering, one tally, linked accounts that count once, moderation from either side; on
SQLite and PostgreSQL. (tests/test_cross_platform_live.py runs the same through the real
discord.py and slack-bolt.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.counting import exported
from bot.messages import Actor, CommunityRef, PostKind, ReactionAction, ReactionEvent
from bot.votes import Effect
from storage.schema import idea_follows, member_links, members, notice_prefs
from tests.harness import START, Harness, RecordingPublisher

SLACK = CommunityRef("slack", "T1", "Partners")


class Both:
    """A harness whose home community (platform "test") is linked with a Slack workspace;
    the challenge "flavour" has a venue on each."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.slack = RecordingPublisher()
        h.app.add_publisher("slack", self.slack)
        self._events = 0

    async def link(self) -> None:
        reply = await self.h.ok("/mod org link")
        code = reply.card.title.split(": ")[1]
        await self.h.ok(f"/mod org join {code}", community=SLACK)

    async def challenge(self, extra: str = "") -> None:
        await self.h.ok(f'/challenge create title:"Flavour" brief:"What next?" {extra}')
        await self.h.ok("/challenge edit flavour venue:#C-IDEAS", community=SLACK)
        await self.h.ok("/challenge open flavour")

    async def submit(self, who: str, title: str, *, slack: bool = False) -> int:
        text = f'/idea submit title:"{title}" description:"Tasty."'
        where = {"community": SLACK, "channel": "C-IDEAS"} if slack else {}
        reply = await self.h.ok(text, who, **where)
        return int(reply.card.title.split("#")[1].split()[0])

    async def react(
        self, number: int, who: Actor, *, slack: bool, add: bool = True
    ) -> ReactionEvent:
        publisher = self.slack if slack else self.h.publisher
        receipt = publisher.idea_message(number)
        self._events += 1
        event = ReactionEvent(
            community=SLACK if slack else self.h.community,
            channel_id=receipt.channel_id,
            message_id=receipt.message_id,
            action=ReactionAction.ADD if add else ReactionAction.REMOVE,
            at=self.h.clock.now(),
            member=who,
            emoji="👍",
            event_id=f"{'slack' if slack else 'test'}-{self._events}",
        )
        outcome = await self.h.app.handle_reaction(event)
        self.h.tick()
        return outcome  # type: ignore[return-value]

    async def votes(self, number: int, *, slack: bool = False) -> int:
        where = {"community": SLACK} if slack else {}
        reply = await self.h.ok(f"/idea show #{number}", **where)
        shown = reply.card.body + " ".join(v for _, v in reply.card.fields)
        found = re.search(r"(\d+) votes?", shown)
        assert found, reply.card
        return int(found.group(1))

    async def code(self, who: str, **where: object) -> str:
        """`/cocreate link` as `who`: the code comes by direct message, only to them."""
        publisher = self.slack if where.get("community") == SLACK else self.h.publisher
        issued = await self.h.ok("/cocreate link", who, **where)
        assert issued.ephemeral and "direct message" in issued.card.body
        member, card, _ = publisher.dms[-1]
        assert member == who
        return card.title.split(": ")[1]

    async def link_accounts(self, home_actor: str, slack_actor: str) -> None:
        code = await self.code(home_actor)
        await self.h.ok(f"/cocreate link {code}", slack_actor, community=SLACK)


@pytest.fixture
def both(new_harness: Callable[..., Harness]) -> Both:
    return Both(new_harness())


def old(name: str) -> Actor:
    return Actor(name.lower(), name, account_created_at=START - timedelta(days=400))


async def test_ideas_from_both_platforms_share_one_numbering_and_reach_every_venue(
    both: Both,
) -> None:
    await both.link()
    await both.challenge()
    first = await both.submit("ana", "Mango")
    second = await both.submit("bo", "Yuzu", slack=True)
    assert (first, second) == (1, 2)
    for publisher, channel in ((both.h.publisher, "general"), (both.slack, "C-IDEAS")):
        posted = [p for p in publisher.of_kind(PostKind.IDEA)]
        assert [(p.idea_number, p.channel_id) for p in posted] == [(1, channel), (2, channel)]
    # the announcement went to both venues, each through its own platform
    assert [p.channel_id for p in both.slack.of_kind(PostKind.ANNOUNCEMENT)] == ["C-IDEAS"]
    assert [s.community for s in both.slack.sent] == [SLACK] * len(both.slack.sent)
    assert "Yuzu" in (await both.h.ok("/idea show #2")).card.title
    assert "Mango" in (await both.h.ok("/idea show #1", community=SLACK)).card.title


async def test_votes_from_both_platforms_count_in_one_tally(both: Both) -> None:
    await both.link()
    await both.challenge()
    await both.submit("ana", "Mango")
    await both.react(1, old("Cy"), slack=False)
    outcome = await both.react(1, old("Di"), slack=True)
    assert outcome.effect == Effect.ADDED
    assert await both.votes(1) == 2 == await both.votes(1, slack=True)
    standings = await both.h.ok("/results", community=SLACK)
    assert "Mango" in standings.card.body + str(standings.card.fields)
    # Di counts as a Slack member; the points go to the challenge's community
    board = await both.h.ok("/leaderboard")
    assert "Di" in str(board.card) and "Cy" in str(board.card)


async def test_linked_accounts_count_once_and_earn_one_set_of_points(both: Both) -> None:
    await both.link()
    await both.challenge()
    await both.submit("ana", "Mango")
    await both.submit("bo", "Yuzu")
    # Eve votes for Mango on both platforms before linking: two platform identities
    home_eve, slack_eve = old("Eve"), Actor("u-eve", "Eve S", account_created_at=START)
    await both.react(1, home_eve, slack=False)
    await both.react(1, slack_eve, slack=True)
    await both.react(2, slack_eve, slack=True)
    assert await both.votes(1) == 2
    await both.link_accounts("eve", "U-EVE")
    assert await both.votes(1) == 1  # held on both platforms: counted once
    assert await both.votes(2) == 1  # moved to the person, still counted
    # from now on the Slack account votes as the person: a second vote changes nothing
    await both.react(2, home_eve, slack=False)
    assert await both.votes(2) == 1
    # removing on one platform keeps the vote while the other reaction stays
    await both.react(2, slack_eve, slack=True, add=False)
    assert await both.votes(2) == 1
    await both.react(2, home_eve, slack=False, add=False)
    assert await both.votes(2) == 0
    board = str((await both.h.ok("/leaderboard")).card)
    assert board.count("Eve") == 1 and "Eve S" not in board
    async with both.h.app.db.transaction() as store:
        home = await store.find_community(both.h.community)
        assert home is not None
        (challenge,) = await store.challenges(home.id)
        entries = await exported(store, home, challenge)  # verifies every hash
    assert any(e.effect == "linked account" for e in entries)


async def test_eligibility_is_the_platform_accounts_own(both: Both) -> None:
    await both.link()
    await both.challenge("min_account_age:30d")
    await both.submit("ana", "Mango")
    await both.link_accounts("eve", "U-EVE")
    fresh = Actor("u-eve", "Eve S", account_created_at=START - timedelta(days=2))
    outcome = await both.react(1, fresh, slack=True)
    assert outcome.effect == Effect.ACCOUNT_AGE
    await both.react(1, old("Eve"), slack=False)
    assert await both.votes(1) == 1


async def test_moderation_works_from_the_linked_community_and_the_log_says_where(
    both: Both,
) -> None:
    await both.link()
    await both.challenge()
    await both.submit("ana", "Mango")
    await both.h.ok("/mod status #1 planned", community=SLACK)
    notices = [p for p in both.slack.of_kind(PostKind.NOTICE) if p.channel_id == "C-IDEAS"]
    assert notices and any("planned" in str(p.card).lower() for p in notices)
    log = (await both.h.ok("/mod log")).card.body
    assert "Mod on Slack (Partners) · set the status of #1 to planned" in log
    assert "Mod · created the challenge flavour" in log  # taken in the challenge's community


async def test_editing_venues_from_one_community_keeps_the_others(both: Both) -> None:
    await both.link()
    await both.challenge()
    await both.h.ok("/challenge edit flavour venue:#C-MORE", community=SLACK)
    info = await both.h.ok("/challenge info flavour")
    async with both.h.app.db.transaction() as store:
        home = await store.find_community(both.h.community)
        slack = await store.find_community(SLACK)
        assert home is not None and slack is not None
        (challenge,) = await store.challenges(home.id)
    assert challenge.venues == ("general", f"{slack.id}/C-MORE")
    assert info.ok


async def test_account_codes_need_the_other_side_and_work_once(both: Both) -> None:
    await both.link()
    refused = await both.h.refused("/cocreate link ABCD-EFGH", "eve", community=SLACK)
    assert "not known" in refused
    code = await both.code("eve")
    assert "from this community" in await both.h.refused(f"/cocreate link {code}", "eve")
    both.h.tick(16)
    assert "expired" in await both.h.refused(f"/cocreate link {code}", "U-EVE", community=SLACK)
    code = await both.code("eve")
    await both.h.ok(f"/cocreate link {code}", "U-EVE", community=SLACK)
    again = await both.h.refused(f"/cocreate link {code}", "U-BO", community=SLACK)
    assert "used already" in again
    # an organisation link code is no account code, nor the other way round
    org = (await both.h.ok("/mod org link")).card.title.split(": ")[1]
    assert "not known" in await both.h.refused(f"/cocreate link {org}", "U-BO", community=SLACK)


async def test_a_code_that_cannot_go_by_direct_message_comes_in_the_private_reply(
    both: Both,
) -> None:
    await both.link()
    both.h.publisher.closed_dms.add("eve")
    issued = await both.h.ok("/cocreate link", "eve")
    assert issued.ephemeral and issued.card.title.startswith("🔗 Your code: ")
    assert "couldn't send you a direct message" in (issued.card.footer or "")


async def test_accounts_link_only_within_one_organisation(both: Both) -> None:
    lonely = await both.h.refused("/cocreate link")
    assert "not linked with another" in lonely
    await both.link()
    other = CommunityRef("console", "x", "Elsewhere")
    third = CommunityRef("slack", "T9", "Nine")
    code = (await both.h.ok("/mod org link", community=other)).card.title.split(": ")[1]
    await both.h.ok(f"/mod org join {code}", community=third)
    mine = await both.code("eve")
    refused = await both.h.refused(f"/cocreate link {mine}", "eve", community=third)
    assert "not linked with this one" in refused


async def test_a_community_with_challenges_of_its_own_cannot_join_and_the_home_stays(
    both: Both,
) -> None:
    await both.h.ok('/challenge create title:"Own" brief:"Mine"', community=SLACK)
    code = (await both.h.ok("/mod org link")).card.title.split(": ")[1]
    refused = await both.h.refused(f"/mod org join {code}", community=SLACK)
    assert "challenges of its own" in refused
    # the other way round works: the Slack workspace becomes the home
    code = (await both.h.ok("/mod org link", community=SLACK)).card.title.split(": ")[1]
    await both.h.ok(f"/mod org join {code}")
    assert "keeps the organisation's challenges" in await both.h.refused(
        "/mod org leave", community=SLACK
    )
    listed = await both.h.ok("/challenge list")
    assert "Own" in str(listed.card)


async def test_a_person_exports_and_forgets_every_linked_account(both: Both) -> None:
    await both.link()
    await both.challenge()
    await both.submit("ana", "Mango")
    await both.link_accounts("eve", "u-eve")
    await both.react(1, Actor("u-eve", "Eve S", account_created_at=START), slack=True)
    await both.h.ok("/mydata", "u-eve", community=SLACK)
    await both.h.app.drain()
    (sent,) = [m for m in both.slack.dms if m[0] == "u-eve"]
    exported = json.loads(sent[2][0].content)
    assert {a["platform_id"] for a in exported["linked_accounts"]} == {"eve", "u-eve"}
    assert len(exported["votes"]) == 1

    first = await both.h.ok("/forgetme", "eve")
    code = re.search(r"confirm:([0-9A-F]{6})", first.card.footer or "")
    assert code, first.card
    await both.h.ok(f"/forgetme confirm:{code.group(1)}", "eve")
    assert await both.votes(1) == 1  # still counted, anonymously
    async with both.h.app.db.transaction() as store:
        rows = await store.conn.execute(select(members.c.external_id, members.c.display_name))  # type: ignore[attr-defined]
        left = {(r.external_id, r.display_name) for r in rows}
        links = list(await store.conn.execute(select(member_links)))  # type: ignore[attr-defined]
    assert not any(e in ("eve", "u-eve") or n in ("Eve", "Eve S") for e, n in left)
    assert links == []


async def test_linking_moves_follows_and_notice_settings_to_the_person(both: Both) -> None:
    await both.link()
    await both.challenge()
    await both.submit("ana", "Mango")
    await both.h.ok("/idea follow #1", "u-eve", community=SLACK)
    await both.h.ok("/notify none", "u-eve", community=SLACK)
    await both.h.ok("/notify mine", "eve")
    await both.link_accounts("eve", "u-eve")
    async with both.h.app.db.transaction() as store:
        home = await store.find_community(both.h.community)
        assert home is not None
        eve = await store.member_by_external(home.id, "eve")
        assert eve is not None
        follows = list(await store.conn.execute(select(idea_follows)))  # type: ignore[attr-defined]
        prefs = list(await store.conn.execute(select(notice_prefs)))  # type: ignore[attr-defined]
    assert [(f.member_id, f.following) for f in follows] == [(eve.id, True)]
    assert [(p.member_id, p.level) for p in prefs] == [(eve.id, "mine")]  # the person's own
