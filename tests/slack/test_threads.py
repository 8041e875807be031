"""A conversation per idea on Slack, through the real bolt and the fake Slack: the idea
message's thread is its conversation, its activity comes from the thread metadata, and
followers get direct messages, told in the thread (without a ping) when Slack answers
`cannot_dm_bot` or `not_allowed`."""

from __future__ import annotations

from tests.slack.conftest import World, open_challenge, submit, text_of


async def test_the_idea_message_thread_is_its_conversation_and_followers_hear_of_it(
    world: World,
) -> None:
    fake = world.fake
    fake.closed_dms.update({"U_DAN": "cannot_dm_bot", "U_CLEO": "not_allowed"})
    await open_challenge(world)
    await submit(world, "U_ANA", "Lavender")
    (post,) = world.idea_posts()
    for user in ("U_BEN", "U_CLEO", "U_DAN"):
        assert await world.react(post, user) == 200
    await world.settle()

    # Discussed: Slack's reply_count and reply_users, no reply read.
    fake.reply(post, "U_BEN", "Love it")
    fake.reply(post, "U_CLEO", "With honey?")
    fake.reply(post, "U_BEN", "Yes")
    async with world.core.db.transaction() as store:
        challenges = await store.live_challenges(world.clock.now())
    await world.core.refresh_activity(challenges[0].id)
    shown = await world.ask("/idea show #1", user="U_CLEO")
    assert "3 replies from 2 people" in shown, shown

    answer = await world.ask("/mod status #1 planned Next spring", user="U_MAYA")
    assert "planned" in answer, answer
    await world.settle()

    notes = [text_of({"blocks": m.blocks}) for m in fake.thread(post) if m.blocks]
    assert any("is now planned" in n and "Next spring" in n for n in notes), notes

    def notices(user: str) -> list[str]:  # not the badges' messages
        return [m.text for m in fake.dms(user) if "planned" in m.text]

    assert ["Your idea #1 Lavender is now planned" in t for t in notices("U_ANA")] == [True]
    assert len(notices("U_BEN")) == 1
    assert fake.dms("U_DAN") == fake.dms("U_CLEO") == []
    closed = [n for n in notes if "(direct messages are closed)" in n]
    assert len(closed) == 2, notes
    for call in fake.of("chat.postMessage"):
        if "planned" not in str(call.args.get("text")):
            continue  # not a notice
        assert call.args.get("link_names") in (False, "false", "0", 0), call.args
        assert "<@" not in str(call.args.get("blocks")) and "<!" not in str(call.args.get("blocks"))

    # The app's own notes in the thread are no replies.
    await world.core.refresh_activity(challenges[0].id)
    shown = await world.ask("/idea show #1", user="U_CLEO")
    assert "3 replies from 2 people" in shown, shown

    told = await world.ask("/mod notices #1", user="U_MAYA")
    assert "4 — 2 by direct message, 2 in the thread" in told, told
