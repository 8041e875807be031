"""Linking communities into an organisation: a moderator of one gives a one-time code, a
moderator of the other confirms with it; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.messages import CommunityRef
from bot.organisations import LINK_VALID, code_hash
from storage.schema import link_codes
from tests.harness import Harness

SLACK = CommunityRef("slack", "T1", "Partners")
OTHER = CommunityRef("console", "third", "Third")


@pytest.fixture
def h(new_harness: Callable[..., Harness]) -> Harness:
    return new_harness()


async def _code(h: Harness) -> str:
    reply = await h.ok("/mod org link")
    found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", reply.card.title)
    assert found and reply.ephemeral
    return found.group(0)


async def _linked(h: Harness, community: CommunityRef | None = None) -> str:
    """The linked communities, one a line; "" when none."""
    reply = await h.ok("/mod org show", community=community)
    return "" if reply.card.title == "No linked communities" else reply.card.body


async def test_a_code_links_nothing_until_a_moderator_of_the_other_community_confirms(
    h: Harness,
) -> None:
    code = await _code(h)
    assert await _linked(h) == ""  # issued, not confirmed
    refused = await h.refused(f"/mod org join {code}", who="ana", mod=False, community=SLACK)
    assert "Moderators only" in refused
    own = await h.refused(f"/mod org join {code}")
    assert "comes from this community" in own
    assert await _linked(h) == ""

    joined = await h.ok(f"/mod org join {code.lower().replace('-', '')}", community=SLACK)
    assert "Test guild (Test)" in joined.card.body and "Partners (Slack)" in joined.card.body
    assert "Partners (Slack) — this one" in await _linked(h, SLACK)
    assert "Test guild (Test) — keeps the challenges — this one" in await _linked(h)


async def test_a_code_works_once(h: Harness) -> None:
    code = await _code(h)
    await h.ok(f"/mod org join {code}", community=SLACK)
    again = await h.refused(f"/mod org join {code}", community=OTHER)
    assert "used already" in again
    assert "Third" not in await _linked(h)


async def test_a_code_expires(h: Harness) -> None:
    code = await _code(h)
    h.tick(int(LINK_VALID.total_seconds() // 60) + 1)
    assert "expired" in await h.refused(f"/mod org join {code}", community=SLACK)
    assert "not known" in await h.refused("/mod org join ABCD-EFGH", community=SLACK)
    assert await _linked(h, SLACK) == ""


async def test_only_the_hash_of_a_code_is_kept(h: Harness) -> None:
    code = await _code(h)
    async with h.app.db.transaction() as store:
        stored = list(await store.conn.execute(select(link_codes)))  # type: ignore[attr-defined]
    assert [r.code_hash for r in stored] == [code_hash(code)]
    assert code not in repr(stored)


async def test_a_third_community_joins_and_leaving_dissolves_a_pair(h: Harness) -> None:
    await h.ok(f"/mod org join {await _code(h)}", community=SLACK)
    await h.ok(f"/mod org join {await _code(h)}", community=OTHER)
    assert "Third (Console)" in await _linked(h, SLACK)
    await h.ok("/mod org leave", community=OTHER)
    assert "Third" not in await _linked(h)
    await h.ok("/mod org leave", community=SLACK)
    assert await _linked(h) == ""  # one community left: no organisation
    assert "not linked" in await h.refused("/mod org leave")


async def test_a_community_of_another_organisation_must_leave_it_first(h: Harness) -> None:
    nine = CommunityRef("slack", "T9", "Nine")
    theirs = await h.ok("/mod org link", community=nine)
    code = theirs.card.title.split(": ")[1]
    await h.ok(f"/mod org join {code}", community=OTHER)  # Nine and Third
    refused = await h.refused(f"/mod org join {await _code(h)}", community=OTHER)
    assert "belongs to another organisation" in refused
    assert "Third" not in await _linked(h)
