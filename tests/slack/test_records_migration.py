"""Migration 0006 moves Slack's installations and OAuth states out of the shared schema
into the adapter's records, where the adapter finds them; and back on a downgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import Connection, text

from adapters.slack.installations import InstallationStore, OAuthStateStore, PlainCodec
from bot.clock import ManualClock
from storage.database import SqlDatabase
from storage.migrate import alembic_config, upgrade
from tests.conftest import BACKENDS
from tests.test_migrations import _engine

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _installation(team: str, user: str) -> str:
    return json.dumps(
        Installation(
            app_id="A1",
            enterprise_id="E1",
            team_id=team,
            bot_token=f"xoxb-{team}",
            bot_id="B1",
            bot_user_id="UBOT",
            user_id=user,
            installed_at=NOW.timestamp(),
        ).to_dict_for_copying(),
        default=str,
    )


def _fill(connection: Connection) -> None:
    rows = [("E1", "T1", ""), ("E1", "T1", "U_INST"), ("E1", "T2", "")]
    for enterprise, team, user in rows:
        connection.execute(
            text(
                "INSERT INTO slack_installations (enterprise_id, team_id, user_id, "
                "is_enterprise_install, data, installed_at) "
                "VALUES (:e, :t, :u, false, :d, :at)"
            ),
            {"e": enterprise, "t": team, "u": user, "d": _installation(team, user), "at": NOW},
        )
    connection.execute(
        text("INSERT INTO slack_oauth_states (state, expires_at) VALUES ('st-1', :at)"),
        {"at": NOW + timedelta(minutes=5)},
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_installations_and_states_move_to_the_records_and_back(
    backend: str, tmp_path: Path
) -> None:
    async with _engine(backend, tmp_path) as (engine, schema):
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c, schema), "0005"))
        async with engine.begin() as connection:
            await connection.run_sync(_fill)

        await upgrade(engine, schema)
        clock = ManualClock(NOW)
        database = SqlDatabase(engine)
        records = database.records("slack", clock)
        store = InstallationStore(records, PlainCodec(), ttl_s=0)
        bot = await store.async_find_bot(enterprise_id="E1", team_id="T1")
        assert bot is not None and bot.bot_token == "xoxb-T1"
        mine = await store.async_find_installation(
            enterprise_id="E1", team_id="T1", user_id="U_INST"
        )
        assert mine is not None and mine.user_id == "U_INST"
        by_team = await store.find_by_team("T2")
        assert by_team is not None and by_team.enterprise_id == "E1"
        assert await OAuthStateStore(records, now=clock.now).async_consume("st-1") is True

        await store.async_save(
            Installation(
                app_id="A1", enterprise_id="E1", team_id="T3", user_id="", bot_token="xoxb-T3"
            )
        )
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.downgrade(alembic_config(c, schema), "0005")
            )
        async with engine.connect() as connection:
            back = await connection.execute(
                text(
                    "SELECT enterprise_id, team_id, user_id FROM slack_installations "
                    "ORDER BY team_id, user_id"
                )
            )
            assert [tuple(r) for r in back] == [
                ("E1", "T1", ""),
                ("E1", "T1", "U_INST"),
                ("E1", "T2", ""),
                ("E1", "T3", ""),
            ]
        await database.close()
