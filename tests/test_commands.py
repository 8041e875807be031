"""Commands through the core's command entry point, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.commands import registry
from bot.core import parse_invocation
from bot.messages import CommunityRef, PostKind, Reply
from storage.store import SqlStore
from tests.harness import Harness


@pytest.fixture
async def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    await harness.challenge()
    return harness


async def community_ideas(h: Harness) -> list[tuple[int, str, str]]:
    async with h.app.db.transaction() as store:
        community = await store.find_community(h.community)
        assert community is not None
        challenge = (await store.challenges(community.id))[0]
        return [(i.number, i.title, i.status.value) for i in await store.ideas(challenge.id)]


async def test_open_posts_the_announcement_with_deadlines(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok(
        '/challenge create title:"Next flavour" brief:"What next?" submissions_close:7d '
        "voting_close:14d timezone:Europe/Paris"
    )
    assert not h.publisher.sent
    await h.ok("/challenge open next-flavour")
    (announcement,) = h.publisher.of_kind(PostKind.ANNOUNCEMENT)
    fields = dict(announcement.card.fields)
    assert fields["Submissions close"] == "Mon 9 Mar 2026, 10:00 CET"
    assert fields["Voting closes"] == "Mon 16 Mar 2026, 10:00 CET"
    assert "already open" in await h.refused("/challenge open next-flavour")


async def test_submit_posts_the_idea_and_names_its_number(h: Harness) -> None:
    reply = await h.ok('/idea submit title:"Salted caramel" description:"Sweet and salty"', "ana")
    assert reply.card.title == "💡 Idea #1 is in!"
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    assert post.card.title == "💡 #1 · Salted caramel"
    assert post.vote_emoji == "👍" and post.channel_id == "general"
    assert dict(post.card.fields)["By"] == "Ana"


async def test_the_duplicate_hint_never_blocks(h: Harness) -> None:
    await h.submit("ana", "Salted caramel ice cream", "With crunchy bits")
    await h.submit("ben", "Mint chocolate chip", "Fresh")
    reply = await h.ok(
        '/idea submit title:"Ice cream with salted caramel" description:"Crunchy bits"', "cleo"
    )
    assert "Looks similar to #1: you can vote for those too." in reply.card.body
    assert "#2" not in reply.card.body


async def test_submissions_follow_phases_limits_and_terms(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok('/challenge create title:"Flavour" brief:"?" terms:"We may use your idea." '
               "ideas_per_member:1 voting_close:14d submissions_close:7d")  # fmt: skip
    assert "hasn't opened yet" in await h.refused('/idea submit title:"A" description:"B"', "ana")
    await h.ok("/challenge open flavour")
    terms = await h.refused('/idea submit title:"A" description:"B"', "ana")
    assert "accept_terms:yes" in terms and "We may use your idea." in terms
    await h.ok('/idea submit title:"A" description:"B" accept_terms:yes', "ana")
    limit = await h.refused('/idea submit title:"C" description:"D" accept_terms:yes', "ana")
    assert "the limit is 1" in limit
    h.clock.advance(timedelta(days=8))
    closed = await h.refused('/idea submit title:"E" description:"F" accept_terms:yes', "ben")
    assert closed.endswith(
        "closed its submissions on Mon 9 Mar 2026, 09:00 UTC; voting is open until "
        "Mon 16 Mar 2026, 09:00 UTC. "
        "See the ideas with `/ideas flavour`."
    )


async def test_bad_input_gets_specific_errors_and_writes_nothing(h: Harness) -> None:
    long_title = "x" * 101
    cases = {
        f'/idea submit title:"{long_title}" description:"B"': "101 characters long; the limit",
        '/idea submit title:"   " description:"B"': "empty",
        '/idea submit title:"A\u202eB" description:"C"': "direction",
        '/idea submit title:"A" descripton:"B"': "Did you mean `description:`?",
        "/idea show twelve": "Ideas are written like #12",
        "/idea show #99": "There is no idea #99 here",
        "/leaderboard period:month": "choose one of week, season, all",
        "/challenge edit flavour ideas_per_member:0": "smallest allowed is 1",
    }
    for line, expected in cases.items():
        assert expected in await h.refused(line, "ana", mod=line.startswith("/challenge")), line
    assert await community_ideas(h) == []
    number = await h.submit("ana", "Finally")
    assert number == 1  # no number was used up by the refused commands


async def test_mentions_are_stored_as_given_and_rendered_inert(h: Harness) -> None:
    title = "@everyone look <@123> <!channel>"
    await h.submit("ana", title, "Hey @here and <@&42>")
    assert await community_ideas(h) == [(1, title, "published")]
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    shown = post.card.title + post.card.body
    for live in ("@everyone", "@here", "<@123>", "<!channel>", "<@&42>"):
        assert live not in shown


async def test_authors_edit_until_the_first_foreign_vote(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    await h.ok('/idea edit #1 title:"Salted caramel crunch"', "ana")
    (receipt, updated) = h.publisher.updates[-1]
    assert updated.card.title == "💡 #1 · Salted caramel crunch"
    assert receipt == h.publisher.idea_message(1)
    assert "Only the author" in await h.refused('/idea edit #1 title:"Mine"', "ben")
    await h.react(1, "ana")  # a self-vote does not lock the idea
    await h.ok('/idea edit #1 description:"Crunchy"', "ana")
    await h.react(1, "ben")
    assert "already has votes" in await h.refused('/idea edit #1 title:"New"', "ana")
    await h.ok('/idea edit #1 title:"Fixed by a moderator"')


async def test_withdraw_takes_the_idea_out_of_the_ranking(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    assert "Only the author" in await h.refused("/idea withdraw #1", "ben")
    await h.ok("/idea withdraw #1", "ana")
    assert "No ideas yet" in (await h.ok("/ideas", "ben")).card.body
    # Its post still shows it, so it can still be looked up, with its status.
    assert "withdrawn" in dict((await h.ok("/idea show #1", "ben")).card.fields)["Status"]


async def test_sealed_tallies_are_hidden_from_members_until_the_close(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("sealed:yes")
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    assert "sealed until the close" in await h.refused("/results", "ben")
    assert dict((await h.ok("/idea show #1", "ben")).card.fields)["Votes"] == "sealed until close"
    assert "1 vote" in (await h.ok("/results")).card.body  # moderators see
    await h.ok("/challenge close flavour")
    assert "1 vote" in (await h.ok("/results flavour", "ben")).card.body


async def test_review_queue_approve_and_reject(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("review:yes")
    reply = await h.ok('/idea submit title:"Salted caramel" description:"Sweet"', "ana")
    assert "review it first" in reply.card.body
    await h.submit("ben", "Spam spam")
    assert not h.publisher.of_kind(PostKind.IDEA)
    queue = await h.ok("/mod queue")
    assert "#1 · Salted caramel" in queue.card.body and "#2 · Spam spam" in queue.card.body
    assert "no idea #1" in await h.refused("/idea show #1", "cleo")
    await h.ok("/mod approve #1")
    await h.ok("/mod reject #2 off topic, sorry")
    assert [p.idea_number for p in h.publisher.of_kind(PostKind.IDEA)] == [1]
    shown = await h.ok("/idea show #2", "ben")
    assert dict(shown.card.fields)["Status"] == "rejected — off topic, sorry"
    assert "not waiting for review" in await h.refused("/mod approve #1")
    assert "Nothing is waiting" in (await h.ok("/mod queue")).card.body


async def test_status_updates_close_the_loop_and_shipping_rewards(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    await h.ok("/mod status #1 in progress")
    await h.ok("/mod status #1 implemented Now in stores!")
    notices = h.publisher.of_kind(PostKind.NOTICE)
    assert [n.card.body for n in notices] == [
        "Status: in progress",
        "Status: implemented — Now in stores!",
    ]
    badges = await h.ok("/badges", "ana")
    assert "🚀 Shipped" in badges.card.body
    assert badges.card.footer == "18 points all time"  # 3 published + 15 shipped


async def test_moderator_commands_are_refused_to_members(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    mod_commands = [s for s in registry.specs if s.moderator]
    assert len(mod_commands) >= 10
    for line in ("/mod approve #1", "/challenge close flavour", "/mod block ben", "/mod log"):
        assert "Only moderators" in await h.refused(line, "ana", mod=False)


async def test_communities_are_isolated(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    other = CommunityRef("test", "guild-2", "Other guild")
    assert "no idea #1" in await h.refused("/idea show #1", "ana", community=other)
    assert "no challenge yet" in await h.refused("/results", "ana", community=other)
    assert "no idea #1" in await h.refused("/mod merge #1 into:#1", community=other)
    assert "There is no idea #1" in await h.refused("/mod approve #1", community=other)


async def test_results_break_ties_by_submission_time_and_close_awards_the_podium(
    h: Harness,
) -> None:
    for who, title in (("ana", "Salted caramel"), ("ben", "Mint chip"), ("cleo", "Lemon")):
        await h.submit(who, title)
        h.tick()
    await h.react(2, "ana")
    await h.react(2, "cleo")
    await h.react(1, "ben")
    await h.react(1, "dan")
    await h.react(3, "ana")
    results = await h.ok("/results", "dan")
    assert results.card.body.splitlines() == [
        "🥇 #1 Salted caramel — 2 votes",
        "🥈 #2 Mint chip — 2 votes",
        "🥉 #3 Lemon — 1 vote",
    ]
    assert dict(results.card.fields)["Participation"] == "3 ideas · 4 voters · 5 votes"
    await h.ok("/challenge close flavour")
    (final,) = h.publisher.of_kind(PostKind.RESULTS)
    badges = dict(final.card.fields)["Badges"]
    assert "🥇 Podium (1st) — Ana" in badges and "🥉 Podium (3rd) — Cleo" in badges
    assert "already closed" in await h.refused("/challenge close flavour")
    assert len(h.publisher.of_kind(PostKind.RESULTS)) == 1


async def test_leaderboard_periods_keep_past_weeks(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    h.clock.advance(timedelta(days=7))
    await h.submit("ben", "Mint chip")
    week = await h.ok("/leaderboard period:week", "ana")
    assert week.card.body == "1. Ben — 3 points"
    past = await h.ok("/leaderboard week:2026-03-03", "ana")
    assert past.card.body.splitlines() == ["1. Ana — 4 points", "2. Ben — 1 point"]
    season = await h.ok("/leaderboard", "ana")
    assert season.card.title == "🏅 Leaderboard · Q1 2026"
    assert season.card.body.splitlines() == ["1. Ana — 4 points", "1. Ben — 4 points"]  # a tie
    assert season.card.footer == "You: 4 points, rank 1 of 2 · Tied members share a rank."


async def test_vote_points_are_capped_per_week(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge("ideas_per_member:20")
    for n in range(12):
        await h.submit("ana", f"Idea number {n}", f"Different text {n * 7919}")
    for n in range(1, 13):
        await h.react(n, "ben")
    board = await h.ok("/leaderboard period:week", "ben")
    assert "Ben — 10 points" in board.card.body  # 12 votes cast, 10 count


async def test_moderator_actions_are_audited(h: Harness) -> None:
    await h.submit("ana", "Salted caramel")
    await h.ok("/mod status #1 planned")
    await h.ok("/cocreate help", "ben")
    await h.ok("/mod block ben")
    log = (await h.ok("/mod log")).card.body.splitlines()
    assert [line.split(" · ", 2)[2] for line in log[:3]] == [
        "blocked Ben",
        "set the status of #1 to planned",
        "opened the challenge flavour",
    ]
    assert "can't submit ideas" in await h.refused('/idea submit title:"x" description:"y"', "ben")


async def test_an_internal_error_rolls_everything_back(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.commands import ideas

    real = ideas.idea_posts

    def explode(*args: object, **kw: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(ideas, "idea_posts", explode)
    reply = await h.cmd('/idea submit title:"A" description:"B"', "ana")
    assert reply.error_id and "error id" in reply.card.body
    assert await community_ideas(h) == []
    monkeypatch.setattr(ideas, "idea_posts", real)
    assert await h.submit("ana", "A") == 1


async def test_help_publishes_the_ranking_rule(h: Harness) -> None:
    reply = await h.ok("/cocreate help", "ana", mod=False)
    fields = dict(reply.card.fields)
    assert "a tie goes to the idea submitted earlier" in fields["Ranking"]
    assert "/idea submit" in fields["Commands"] and "Moderators" not in fields


async def test_anonymous_ideas_hide_the_author_from_members_only(h: Harness) -> None:
    await h.ok('/idea submit title:"Secret" description:"Shh" anonymous:yes', "ana")
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    assert dict(post.card.fields)["By"] == "anonymous"
    assert dict((await h.ok("/idea show #1", "ben")).card.fields)["By"] == "anonymous"
    assert dict((await h.ok("/idea show #1")).card.fields)["By"] == "anonymous (Ana)"


async def test_an_idea_post_that_fails_is_saved_told_truthfully_and_posted_later(
    h: Harness,
) -> None:
    h.publisher.fail = True
    reply = await h.ok('/idea submit title:"Salted caramel" description:"Sweet"', "ana")
    assert "saved; it will be posted for voting with 👍 as soon as Test answers" in reply.card.body
    assert "It is posted" not in reply.card.body
    assert await community_ideas(h) == [(1, "Salted caramel", "published")]
    assert h.publisher.of_kind(PostKind.IDEA) == []
    h.publisher.fail = False
    h.tick(1)
    await h.app.agenda.run_due()
    (post,) = h.publisher.of_kind(PostKind.IDEA)
    assert post.idea_number == 1
    assert (await h.react(1, "ben")).effect == "vote added"  # the post is known: votes count
    await h.app.agenda.run_due()
    assert len(h.publisher.of_kind(PostKind.IDEA)) == 1  # sent once


async def _with_keys(h: Harness, text: str, who: str, *keys: str, **actor: Any) -> Reply:
    inv = parse_invocation(text, h.community, "general", h.actor(who, **actor))
    return await h.app.handle_command(replace(inv, request_keys=keys))


async def test_a_command_runs_once_for_its_request_its_keys_recorded_in_its_own_transaction(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay (a key seen before) runs nothing and gets no answer; recording the keys
    costs the command no transaction of its own: they go in with its members."""
    stores: dict[str, list[int]] = {"seen_before": [], "ensure_members": []}
    for method in stores:
        original = getattr(SqlStore, method)

        def spied(store: SqlStore, *args: Any, _name: str = method, _of: Any = original) -> Any:
            stores[_name].append(id(store))
            return _of(store, *args)

        monkeypatch.setattr(SqlStore, method, spied)

    async def apart(*keys: str, keep: Any = None) -> str | None:
        raise AssertionError("the keys of a command that runs need no transaction of their own")

    monkeypatch.setattr(h.app, "first_time", apart)
    submit = '/idea submit title:"Salted caramel" description:"Sweet and salty"'
    first = await _with_keys(h, submit, "ana", "slack:trigger:t1", "slack:signed:s1")
    assert first.ok and first.replay_of is None
    assert stores["seen_before"] == stores["ensure_members"][:1]
    again = await _with_keys(h, submit, "ana", "slack:trigger:t2", "slack:signed:s1")
    assert again.replay_of == "slack:signed:s1" and not again.ok
    assert [n for n, _t, _s in await community_ideas(h)] == [1]
    assert len(h.publisher.of_kind(PostKind.IDEA)) == 1


async def test_a_refused_request_replayed_gets_no_second_answer(h: Harness) -> None:
    """A refusal undoes the command's transaction, the keys with it: they are recorded on
    their own then, and a replay of the refused request is still a replay."""
    refusals = {  # by its moderators' rule, its arguments, and before anything is read
        "/challenge close flavour": {},
        '/idea submit title:"Mint"': {},
        "/results": {"is_bot": True},
    }
    for text, actor in refusals.items():
        refused = await _with_keys(h, text, "ana", f"slack:signed:{text}", **actor)
        assert not refused.ok and refused.replay_of is None and refused.card.title
        replayed = await _with_keys(h, text, "ana", f"slack:signed:{text}", **actor)
        assert replayed.replay_of == f"slack:signed:{text}" and not replayed.card.title


async def test_a_request_is_a_replay_within_its_keep_and_its_keys_are_forgotten_after(
    h: Harness,
) -> None:
    """Keys are recorded with each request, and those past their keep deleted at most once
    a minute: a key comes back as new once its keep and that minute have passed."""
    keep = timedelta(minutes=10)
    assert await h.app.first_time("slack:trigger:a", keep=keep) is None
    h.clock.advance(timedelta(minutes=5))
    assert await h.app.first_time("slack:trigger:b", "slack:trigger:a", keep=keep) == (
        "slack:trigger:a"
    )
    h.clock.advance(timedelta(minutes=5, seconds=30))  # "a" is past its keep
    assert await h.app.first_time("slack:trigger:c", keep=keep) is None  # "a" forgotten
    assert await h.app.first_time("slack:trigger:a", keep=keep) is None
    h.clock.advance(timedelta(minutes=4, seconds=20))  # "b" is close to the end of its keep
    assert await h.app.first_time("slack:trigger:d", keep=keep) is None  # keys forgotten
    # "b" is past its keep 30 s later, but keys were forgotten less than a minute ago
    h.clock.advance(timedelta(seconds=30))
    assert await h.app.first_time("slack:trigger:b", keep=keep) == "slack:trigger:b"
    h.clock.advance(timedelta(minutes=1))
    assert await h.app.first_time("slack:trigger:b", keep=keep) is None
