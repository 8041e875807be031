"""Multi-workspace installs: bolt's OAuth flow stores installations in our database, and
each workspace is then served with its own token, its own data and its own moderators."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.slack.installations import ENCRYPTED_PREFIX, encryption_available
from storage.schema import adapter_records
from tests.slack import payloads
from tests.slack.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    World,
    running_world,
    vote_counts,
)
from tests.slack.fake_slack import FakeSlack

OAUTH = {
    "COCREATE_SLACK__BOT_TOKEN": "",
    "COCREATE_SLACK__CLIENT_ID": CLIENT_ID,
    "COCREATE_SLACK__CLIENT_SECRET": CLIENT_SECRET,
    "COCREATE_SLACK__PUBLIC_URL": "https://cocreate.example.org",
}


def text_of_plain(answers: list[dict[str, object]]) -> str:
    return " ".join(str(a.get("text", "")) for a in answers)


async def install(world: World, code: str, state: str | None = None) -> tuple[int, str]:
    async with world.http.get(world.url + "/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = " ".join(page.headers.getall("Set-Cookie"))
    issued = re.search(r"slack-app-oauth-state=([^;]+)", cookie)
    assert issued and issued.group(1) in html and "oauth/v2/authorize" in html
    async with world.http.get(
        world.url + "/slack/oauth_redirect",
        params={"code": code, "state": state or issued.group(1)},
        headers={"Cookie": f"slack-app-oauth-state={issued.group(1)}"},
    ) as done:
        return done.status, await done.text()


async def rows(world: World) -> list[dict[str, object]]:
    """The stored installations, as (enterprise, team, user, data)."""
    async with world.core.db.transaction() as store:
        result = await store.conn.execute(  # type: ignore[attr-defined]
            select(adapter_records).where(adapter_records.c.scope.startswith("installation/"))
        )
        found = []
        for r in result:
            _, enterprise, team = r.scope.split("/")
            found.append(
                {"enterprise_id": enterprise, "team_id": team, "user_id": r.key, "data": r.value}
            )
        return found


async def test_an_oauth_install_is_stored_and_serves_a_second_workspace(
    tmp_path: Path,
    fake: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    no_secrets_in_logs: Callable[[], None],
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.oauth_codes["code-1"] = {"team": "T1", "token": "xoxb-t1-oauth", "installer": "U_MAYA"}
    fake.oauth_codes["code-2"] = {
        "team": "T2",
        "token": "xoxb-t2-oauth",
        "installer": "U_BOSS",
        "bot_user": "UBOT2",
    }
    fake.add_user("U_BOSS", "Boss", team_id="T2", admin=True)
    fake.add_user("U_ZOE", "Zoe", team_id="T2")

    async with running_world(tmp_path, fake, env=OAUTH, reconcile_on_start=False) as world:
        assert await rows(world) == []
        for code in ("code-1", "code-2"):
            status, page = await install(world, code)
            assert status == 200 and "Thank you!" in page

        stored = await rows(world)
        assert {(r["team_id"], r["user_id"]) for r in stored} == {
            ("T1", ""),
            ("T1", "U_MAYA"),
            ("T2", ""),
            ("T2", "U_BOSS"),
        }
        everything = json.dumps([str(r["data"]) for r in stored])
        for secret in (CLIENT_SECRET, SIGNING_SECRET):
            assert secret not in everything
        assert ("xoxb-t2-oauth" in everything) is not encryption_available()
        if encryption_available():  # AES-GCM under a key derived from the client secret
            assert all(str(r["data"]).startswith(ENCRYPTED_PREFIX) for r in stored)

        # Workspace 1 runs a reviewed challenge; workspace 2 one of its own.
        await world.ask('/challenge create title:"Flavour" brief:"b" review:yes', user="U_MAYA")
        await world.ask("/challenge open flavour", user="U_MAYA")
        await world.ask('/idea submit title:"One" description:"d"', user="U_ANA")
        await world.ask('/idea submit title:"Two" description:"d"', user="U_ANA")
        created = await world.ask(
            '/challenge create title:"Snacks" brief:"b"', user="U_BOSS", team="T2", channel="C_T2"
        )
        assert "ready as a draft" in created
        await world.ask("/challenge open snacks", user="U_BOSS", team="T2", channel="C_T2")
        answer = await world.ask(
            '/idea submit title:"Crisps" description:"d"', user="U_ZOE", team="T2", channel="C_T2"
        )
        assert "Idea #1 is in" in answer  # numbers are per workspace

        # Each workspace's calls carried its own stored token.
        for call in fake.of("chat.postMessage"):
            expected = (
                "xoxb-t2-oauth" if call.args["channel"] in ("C_T2", "U_ZOE") else "xoxb-t1-oauth"
            )
            assert call.token == expected, call.args["channel"]

        # A moderator of workspace 2 cannot reach workspace 1's ideas.
        refused = await world.ask("/mod approve #2", user="U_BOSS", team="T2", channel="C_T2")
        assert "There is no idea #2 here" in refused
        queue = await world.ask("/mod queue", user="U_MAYA")
        assert "#1 · One" in queue and "#2 · Two" in queue
        await world.ask("/mod approve #1", user="U_MAYA")
        (t1_post,) = world.idea_posts("C_IDEAS")
        # A reaction in workspace 2 naming workspace 1's post does not count there.
        await world.react(t1_post, "U_ZOE", team="T2")
        await world.react(t1_post, "U_BEN")
        await world.settle()
        assert (await vote_counts(world))[1] == 1

        # A workspace that never installed the app is refused by bolt; nothing runs.
        calls = len(fake.calls)
        key = await world.command("/cocreate help", user="U_X", team="T9")
        await world.settle()
        assert len(fake.calls) == calls
        assert "command /cocreate help by slack:U_X" not in caplog.text
        assert "install this app" in text_of_plain(fake.answers(key))

        # Uninstalling removes the stored installation: the workspace is no longer served.
        uninstalled = payloads.event_callback(
            {"type": "app_uninstalled", "event_ts": "1700000500.000000"},
            team="T2",
            event_id="EvUninstall",
            at=world.clock.now(),
        )
        assert await world.event(uninstalled) == 200
        await world.settle()
        assert {r["team_id"] for r in await rows(world)} == {"T1"}
        key = await world.command("/cocreate help", user="U_ZOE", team="T2", channel="C_T2")
        await world.settle()
        assert "command /cocreate help by slack:U_ZOE" not in caplog.text
        assert "install this app" in text_of_plain(fake.answers(key))
    no_secrets_in_logs()
    # Nor are the workspaces' own tokens, at INFO and above. (aiosqlite's DEBUG lines show
    # SQL parameters: without `cryptography` those hold the stored installation as is.)
    for record in caplog.records:
        if record.levelno >= logging.INFO or encryption_available():
            assert "xoxb-t1-oauth" not in record.getMessage()
            assert "xoxb-t2-oauth" not in record.getMessage()


async def test_a_forged_or_reused_state_installs_nothing(tmp_path: Path, fake: FakeSlack) -> None:
    fake.oauth_codes["code-2"] = {"team": "T2", "token": "xoxb-t2-oauth", "installer": "U_BOSS"}
    async with running_world(tmp_path, fake, env=OAUTH, reconcile_on_start=False) as world:
        status, _ = await install(world, "code-2", state="forged-state")
        assert status >= 400
        assert await rows(world) == []
        assert not fake.of("oauth.v2.access")
        async with world.core.db.transaction() as store:
            states = list(
                await store.conn.execute(  # type: ignore[attr-defined]
                    select(adapter_records).where(adapter_records.c.scope == "oauth_state")
                )
            )
        assert len(states) == 1  # issued, unused, and it expires


async def test_each_workspace_reviews_in_its_own_moderator_channel(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.oauth_codes["code-1"] = {"team": "T1", "token": "xoxb-t1-oauth", "installer": "U_MAYA"}
    fake.oauth_codes["code-2"] = {"team": "T2", "token": "xoxb-t2-oauth", "installer": "U_BOSS"}
    fake.add_user("U_BOSS", "Boss", team_id="T2", admin=True)
    fake.add_user("U_ZOE", "Zoe", team_id="T2")
    env = OAUTH | {"COCREATE_SLACK__MODERATOR_CHANNELS": json.dumps({"T2": "C_T2_MODS"})}
    async with running_world(tmp_path, fake, env=env, reconcile_on_start=False) as world:
        for code in ("code-1", "code-2"):
            await install(world, code)
        await world.ask('/challenge create title:"Flavour" brief:"b" review:yes', user="U_MAYA")
        await world.ask("/challenge open flavour", user="U_MAYA")
        await world.ask('/idea submit title:"Oat" description:"d"', user="U_ANA")
        t2 = {"team": "T2", "channel": "C_T2"}
        await world.ask(
            '/challenge create title:"Snacks" brief:"b" review:yes', user="U_BOSS", **t2
        )
        await world.ask("/challenge open snacks", user="U_BOSS", **t2)
        await world.ask('/idea submit title:"Crisps" description:"d"', user="U_ZOE", **t2)

    (here,) = [m for m in fake.posts("C_MODS") if "Review" in json.dumps(m.blocks)]
    (there,) = [m for m in fake.posts("C_T2_MODS") if "Review" in json.dumps(m.blocks)]
    assert (here.team, there.team) == ("T1", "T2")
    assert "Oat" in json.dumps(here.blocks) and "Crisps" in json.dumps(there.blocks)
