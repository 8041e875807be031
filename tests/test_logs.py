"""Log lines as text or JSON, with the fields of the work they are about."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from bot import logs
from bot.cli import main


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
