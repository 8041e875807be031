"""Moderators are workspace admins and owners (users.info) or the configured admins (user
ids or user group ids). Everyone else, and anyone from another workspace, is refused."""

from __future__ import annotations

from pathlib import Path

from tests.slack import payloads
from tests.slack.conftest import World, open_challenge, running_world, submit, text_of
from tests.slack.fake_slack import FakeSlack

ADMINS = '["U_ROOT", "S_MODS", "S_ELSEWHERE"]'


async def test_who_may_moderate(tmp_path: Path, fake: FakeSlack) -> None:
    fake.add_user("U_ROOT", "Root")  # listed by id
    fake.usergroups[("T1", "S_MODS")] = ["U_DORA"]  # in a listed user group
    # A workspace admin elsewhere, in a channel shared with this workspace.
    fake.add_user("U_GUEST", "Guest", team_id="T2", admin=True)
    fake.usergroups[("T2", "S_ELSEWHERE")] = ["U_CARL"]  # a group of the other workspace

    async with running_world(
        tmp_path, fake, env={"COCREATE_SLACK__ADMINS": ADMINS}, reconcile_on_start=False
    ) as world:
        refused = []
        for user in ("U_ANA", "U_GUEST", "U_CARL"):
            await world.command("/challenge create", user=user)  # no form for them
            refused.append(await world.ask('/challenge create title:"X" brief:"y"', user=user))
        assert all("Moderators only" in r and "/challenge create" in r for r in refused)
        assert not world.fake.of("views.open"), "no form opens for a non-moderator"

        allowed = []
        for n, user in enumerate(("U_MAYA", "U_OWEN", "U_ROOT", "U_DORA")):
            answer = await world.ask(f'/challenge create title:"C{n}" brief:"b"', user=user)
            allowed.append("ready as a draft" in answer)
        assert allowed == [True, True, True, True]

        # Moderators only see drafts; /mod refuses members, whatever they type.
        assert "c0" in await world.ask("/challenge list", user="U_DORA")
        assert "c0" not in await world.ask("/challenge list", user="U_ANA")
        assert "Moderators only" in await world.ask("/mod queue", user="U_GUEST")


async def test_review_buttons_run_mod_commands_as_the_person_who_clicks(world: World) -> None:
    await open_challenge(world, "review:yes")
    answer = await submit(world, "U_ANA", "Lavender")
    assert "review it first" in answer
    assert world.idea_posts() == []
    (review,) = world.fake.posts("C_MODS")
    assert "Review #1" in text_of({"blocks": review.blocks})
    actions = review.blocks[-1]
    approve = next(e for e in actions["elements"] if e["text"]["text"] == "Approve")
    message = {"type": "message", "ts": review.ts, "text": review.text, "blocks": review.blocks}

    def click(user: str, key: str) -> dict:  # type: ignore[type-arg]
        return payloads.block_action(
            approve["action_id"],
            approve["value"],
            user=user,
            channel="C_MODS",
            message=message,
            response_url=world.fake.response_url(key),
        )

    # A member who can see the channel clicks: the core's permission check refuses.
    status, _ = await world.interact(click("U_BEN", "ben"))
    assert status == 200
    await world.settle()
    assert "Moderators only" in text_of(world.fake.answers("ben")[-1])
    assert world.idea_posts() == [] and not world.fake.of("chat.update")

    status, _ = await world.interact(click("U_MAYA", "maya"))
    assert status == 200
    await world.settle()
    assert "#1 is approved" in text_of(world.fake.answers("maya")[-1])
    (post,) = world.idea_posts()
    assert world.fake.messages[post].reactions == {"+1": ["UBOT"]}
    decided = world.fake.messages[("C_MODS", review.ts)]
    assert all(b["type"] != "actions" for b in decided.blocks)
    assert "Approved by Maya" in text_of({"blocks": decided.blocks})


async def test_without_a_moderator_channel_review_posts_are_skipped_and_logged(
    tmp_path: Path,
    fake: FakeSlack,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level("INFO", "cocreate.slack")
    async with running_world(
        tmp_path, fake, env={"COCREATE_SLACK__MODERATOR_CHANNEL": ""}, reconcile_on_start=False
    ) as world:
        await open_challenge(world, "review:yes")
        answer = await submit(world, "U_ANA", "Lavender")
        assert "could not be sent" not in answer
        assert world.fake.posts("C_MODS") == []
        assert "slack.moderator_channel is not set" in caplog.text
        assert "Lavender" in await world.ask("/mod queue", user="U_MAYA")
