"""Log lines as text or JSON, with the fields of the work they are about."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from bot import logs
from cocreate.cli import main
from storage.database import SqlDatabase
from tests.harness import Harness


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("cocreate.test", logging.WARNING, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_carries_the_fields_of_what_it_is_about() -> None:
    formatter = logs.JsonFormatter()
    with (
        logs.about(command="idea submit", community="discord:42"),
        logs.about(challenge="flavours", community=None),
    ):
        line = formatter.format(_record("slow answer"))
    outside = formatter.format(_record("idle", error_id="E7"))
    entry = json.loads(line)
    assert entry["message"] == "slow answer" and entry["level"] == "WARNING"
    assert entry["command"] == "idea submit" and entry["community"] == "discord:42"
    assert entry["challenge"] == "flavours" and "error_id" not in entry
    assert entry["time"].endswith("+00:00")
    assert json.loads(outside)["error_id"] == "E7"
    assert "command" not in json.loads(outside)


def test_a_json_line_holds_its_exception_and_stays_one_line() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad\nthing" in json.loads(line)["exception"]


def test_a_text_line_names_its_fields_after_the_message() -> None:
    with logs.about(command="results", challenge="flavours"):
        line = logs.TextFormatter(with_time=False).format(_record("done"))
    assert line == "WARNING cocreate.test: done [command=results challenge=flavours]"


def test_json_logging_from_the_settings_and_no_alembic_chatter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "cocreate.toml"
    config.write_text('[logging]\nformat = "json"\n')
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    from storage.migrate import head_revision

    # The first start migrates and says so once; the second has nothing to say.
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("storage.migrate", f"database schema upgraded from empty to {head_revision()}")
    ]
    # Nor does the timer tell every ring.
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_a_commands_lines_say_which_command_community_and_error(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(database)
    lines = _Lines()
    logger = logging.getLogger("cocreate")
    logger.addHandler(lines)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        await h.challenge()

        async def broken(*args: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(h.app.agenda, "claim", broken)
        reply = await h.cmd('/idea submit title:"Oat" description:"Creamy."', "ana")
    finally:
        logger.removeHandler(lines)
        await h.close()
    opened = next(e for e in lines.lines if "/challenge open" in str(e["message"]))
    assert opened["command"] == "/challenge open"
    assert opened["community"] == f"{h.community.platform}:{h.community.external_id}"
    failed = next(e for e in lines.lines if e["level"] == "ERROR")
    assert reply.error_id is not None and failed["error_id"] == reply.error_id
    assert failed["command"] == "/idea submit" and "RuntimeError: boom" in str(failed["exception"])
    # The challenge a command resolves is named, though nobody typed it.
    assert opened["challenge"] == "flavour" and failed["challenge"] == "flavour"
