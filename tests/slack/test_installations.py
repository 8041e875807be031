"""Bolt's installation and OAuth state stores over the adapter's records (`adapter_records`),
on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import select

from adapters.slack.installations import (
    AesGcmCodec,
    InstallationStore,
    OAuthStateStore,
    PlainCodec,
    codec_for,
    encryption_available,
)
from bot.clock import ManualClock
from bot.ports import Records
from storage.database import SqlDatabase
from storage.schema import adapter_records

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def records(database: SqlDatabase, clock: ManualClock | None = None) -> Records:
    return database.records("slack", clock or ManualClock(START))


class SealingCodec:
    """A stand-in cipher for the plumbing tests: the stored text never shows the token."""

    name = "test"

    def seal(self, plaintext: str, row_key: str) -> str:
        return "sealed:" + row_key + ":" + base64.b64encode(plaintext.encode()[::-1]).decode()

    def open(self, stored: str, row_key: str) -> str:
        prefix = "sealed:" + row_key + ":"
        assert stored.startswith(prefix), "a row's data opened under another row's key"
        return base64.b64decode(stored[len(prefix) :])[::-1].decode()


def installation(team: str = "T2", user: str = "U_INST", token: str = "xoxb-t2") -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id=team,
        team_name=team.lower(),
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT2",
        bot_scopes="commands,chat:write",
        user_id=user,
        installed_at=datetime(2026, 3, 1, tzinfo=UTC).timestamp(),
    )


async def stored_data(database: SqlDatabase) -> list[str]:
    async with database.transaction() as store:
        rows = await store.conn.execute(
            select(adapter_records.c.value).where(
                adapter_records.c.scope.startswith("installation/")
            )
        )
        return [r.value for r in rows]


async def test_an_installation_is_saved_found_and_deleted(database: SqlDatabase) -> None:
    store = InstallationStore(records(database), SealingCodec(), ttl_s=0)
    await store.async_save(installation())
    bot = await store.async_find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None
    assert (bot.bot_token, bot.bot_user_id, bot.bot_scopes) == (
        "xoxb-t2",
        "UBOT2",
        ["commands", "chat:write"],
    )
    found = await store.async_find_installation(enterprise_id=None, team_id="T2", user_id="U_INST")
    assert found is not None and found.user_id == "U_INST" and found.team_name == "t2"
    assert (await store.find_by_team("T2")).bot_token == "xoxb-t2"  # type: ignore[union-attr]
    assert await store.async_find_bot(enterprise_id=None, team_id="T3") is None

    # The token never reaches the database as plain text.
    data = await stored_data(database)
    assert len(data) == 2 and not any("xoxb-t2" in d for d in data)

    # A reinstall replaces the rows; deleting the bot leaves the installer's row.
    await store.async_save(installation(token="xoxb-t2-new"))
    assert len(await stored_data(database)) == 2
    assert (await store.async_find_bot(enterprise_id=None, team_id="T2")).bot_token == "xoxb-t2-new"  # type: ignore[union-attr]
    await store.async_delete_bot(enterprise_id=None, team_id="T2")
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    assert len(await stored_data(database)) == 1
    await store.async_delete_all(enterprise_id=None, team_id="T2")
    assert await stored_data(database) == []


async def test_an_org_wide_install_serves_the_workspaces_of_its_enterprise(
    database: SqlDatabase,
) -> None:
    store = InstallationStore(records(database), SealingCodec(), ttl_s=0)
    org = installation(team="", token="xoxb-org")
    org.enterprise_id = "E1"
    org.is_enterprise_install = True
    await store.async_save(org)
    bot = await store.async_find_bot(enterprise_id="E1", team_id="T5", is_enterprise_install=True)
    assert bot is not None and bot.bot_token == "xoxb-org"
    bot = await store.async_find_bot(enterprise_id="E1", team_id="T6")
    assert bot is not None and bot.bot_token == "xoxb-org"


async def test_lookups_are_cached_and_a_save_refreshes_them(database: SqlDatabase) -> None:
    now = [0.0]
    store = InstallationStore(records(database), SealingCodec(), ttl_s=60, monotonic=lambda: now[0])
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    await store.async_save(installation())
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is not None
    async with database.transaction() as tx:
        await tx.conn.execute(adapter_records.delete())
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is not None  # cached
    now[0] = 61.0
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None


async def test_without_cryptography_rows_are_plain_and_encrypted_rows_refuse_to_open(
    database: SqlDatabase,
) -> None:
    if encryption_available():
        pytest.skip("cryptography is installed: the AES-GCM test covers this")
    codec = codec_for("client-secret")
    assert isinstance(codec, PlainCodec)
    store = InstallationStore(records(database), codec, ttl_s=0)
    await store.async_save(installation())
    assert any('"bot_token": "xoxb-t2"' in d for d in await stored_data(database))
    with pytest.raises(ValueError):
        codec.open("aesgcm1:AAAA", "x")


async def test_aes_gcm_seals_rows_to_their_keys(database: SqlDatabase) -> None:
    pytest.importorskip("cryptography")
    codec = AesGcmCodec("client-secret")
    sealed = codec.seal('{"bot_token": "xoxb-t2"}', "/T2/")
    assert "xoxb" not in sealed and codec.open(sealed, "/T2/") == '{"bot_token": "xoxb-t2"}'
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag
        codec.open(sealed, "/T3/")
    with pytest.raises(Exception):  # noqa: B017 - another client secret
        AesGcmCodec("other-secret").open(sealed, "/T2/")
    store = InstallationStore(records(database), codec, ttl_s=0)
    await store.async_save(installation())
    assert not any("xoxb-t2" in d for d in await stored_data(database))
    assert (await store.async_find_bot(enterprise_id=None, team_id="T2")).bot_token == "xoxb-t2"  # type: ignore[union-attr]


async def test_oauth_states_are_used_once_and_expire(database: SqlDatabase) -> None:
    clock = ManualClock(START)
    states = OAuthStateStore(records(database, clock), expiration_seconds=600, now=clock.now)
    first = await states.async_issue()
    second = await states.async_issue()
    assert first != second and len(first) >= 32
    assert await states.async_consume(first) is True
    assert await states.async_consume(first) is False
    assert await states.async_consume("made-up") is False
    clock.advance_to(START + timedelta(seconds=601))
    assert await states.async_consume(second) is False
