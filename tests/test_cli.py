"""The `cocreate` command line: configuration, migrations, exit statuses."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COCREATE_CONFIG", "COCREATE_STORAGE__URL", "COCREATE_DISCORD__TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_config_check_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_DISCORD__TOKEN", "very-secret-token")
    monkeypatch.setenv("COCREATE_STORAGE__URL", "postgresql://bot:hunter2@db.example/cocreate")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-token" not in out and "hunter2" not in out
    assert 'token = "***"' in out
    assert "postgresql+asyncpg://bot:***@db.example/cocreate" in out


def test_an_invalid_setting_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cocreate.toml"
    config.write_text("[limits]\ntitle_max = -5\n")
    assert main(["config", "check"]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "limits.title_max" in err and "-5" in err
    assert main(["--config", str(tmp_path / "missing.toml"), "console"]) == EXIT_CONFIG


def test_db_upgrade_migrates_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nested" / "bot.db"
    monkeypatch.setenv("COCREATE_STORAGE__URL", f"sqlite:///{db}")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    from storage.migrate import head_revision

    assert capsys.readouterr().out.count(f"database at revision {head_revision()}") == 2
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"ideas", "votes", "reaction_log", "badges", "audit_log"} <= tables


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "cocreate"
    result = subprocess.run(
        [str(script), "console"],
        input="/cocreate help\n:quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Cocreate runs co-creation challenges here" in result.stdout
    assert (tmp_path / "data" / "cocreate.db").exists()
