"""The `cocreate` command line: configuration, migrations, exit statuses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from cocreate.cli import EXIT_CONFIG, main
from tests.conftest import _require_postgres, postgres_url

#: Port 1 refuses connections at once; the password must never be shown.
UNREACHABLE = "postgresql://user:secret@127.0.0.1:1/x"
UNREACHABLE_SHOWN = "postgresql+asyncpg://user:***@127.0.0.1:1/x"


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("COCREATE_"):
            monkeypatch.delenv(name)


def test_config_check_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_DISCORD__TOKEN", "very-secret-token")
    monkeypatch.setenv("COCREATE_STORAGE__URL", "postgresql://bot:hunter2@db.example/cocreate")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-token" not in out and "hunter2" not in out
    assert "# token: set, masked (env COCREATE_DISCORD__TOKEN)" in out
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


# -- startup errors: one line, an exit status, never a traceback ---------------------------


def _one_config_error(err: str, variable: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("config error:") and variable in lines[0]


def test_run_without_the_discord_token_says_which_variable_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_DISCORD__ENABLED", "true")
    assert main(["run"]) == EXIT_CONFIG
    _one_config_error(capsys.readouterr().err, "COCREATE_DISCORD__TOKEN")
    assert not (tmp_path / "data").exists()  # checked before the database was touched


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "COCREATE_SLACK__BOT_TOKEN"),
        ({"BOT_TOKEN": "xoxb-1"}, "COCREATE_SLACK__SIGNING_SECRET"),
        ({"BOT_TOKEN": "xoxb-1", "MODE": "socket"}, "COCREATE_SLACK__APP_TOKEN"),
        ({"CLIENT_ID": "123.456", "SIGNING_SECRET": "s"}, "COCREATE_SLACK__CLIENT_SECRET"),
    ],
    ids=["bot_token", "signing_secret", "app_token", "client_secret"],
)
def test_run_without_a_slack_secret_says_which_variable_before_starting(
    env: dict[str, str],
    variable: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COCREATE_SLACK__ENABLED", "true")
    for key, value in env.items():
        monkeypatch.setenv(f"COCREATE_SLACK__{key}", value)
    assert main(["run"]) == EXIT_CONFIG
    _one_config_error(capsys.readouterr().err, variable)
    assert not (tmp_path / "data").exists()


def test_run_names_every_missing_secret_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_DISCORD__ENABLED", "true")
    monkeypatch.setenv("COCREATE_SLACK__ENABLED", "true")
    assert main(["run"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    _one_config_error(err, "COCREATE_DISCORD__TOKEN")
    assert "COCREATE_SLACK__BOT_TOKEN" in err


def test_the_installed_command_prints_no_traceback_for_a_missing_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCREATE_")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cocreate"), "run"],
        env={**env, "COCREATE_DISCORD__ENABLED": "true"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == EXIT_CONFIG
    assert result.stdout == ""
    _one_config_error(result.stderr, "COCREATE_DISCORD__TOKEN")


class FakeTime:
    """`Backoff.sleep` and `Backoff.monotonic` on a clock that only sleeping moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    from cocreate import startup

    fake = FakeTime()
    monkeypatch.setattr(
        startup, "BACKOFF", startup.Backoff(sleep=fake.sleep, monotonic=fake.monotonic)
    )
    return fake


def _with_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCREATE_DISCORD__ENABLED", "true")
    monkeypatch.setenv("COCREATE_DISCORD__TOKEN", "not-used")


@pytest.mark.parametrize("command", ["run", "db", "console"])
def test_an_unreachable_database_is_one_line_with_the_password_masked(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COCREATE_STORAGE__URL", UNREACHABLE)
    monkeypatch.setenv("COCREATE_STORAGE__CONNECT_WAIT_SECONDS", "0")
    _with_platform(monkeypatch)
    script = tmp_path / "script.txt"
    script.write_text("/cocreate help\n")
    argv = {
        "run": ["run"],
        "db": ["db", "upgrade"],
        "console": ["console", "--script", str(script)],
    }
    assert main(argv[command]) == 1
    out, err = capsys.readouterr()
    assert "secret" not in out + err and "Traceback" not in out + err
    about = [line for line in err.splitlines() if "127.0.0.1:1" in line]
    assert len(about) == 1, err
    assert about[0] == err.strip().splitlines()[-1]
    assert UNREACHABLE_SHOWN in about[0] and "did not answer" in about[0]
    assert "ConnectionRefusedError" in about[0]


def test_an_unreachable_database_is_tried_with_backoff_for_connect_wait_seconds(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_STORAGE__URL", UNREACHABLE)
    monkeypatch.setenv("COCREATE_STORAGE__CONNECT_WAIT_SECONDS", "30")
    assert main(["db", "upgrade"]) == 1
    assert fake_time.sleeps == [0.5, 1, 2, 4, 5, 5, 5, 5, 2.5]
    err = capsys.readouterr().err
    assert "secret" not in err and "Traceback" not in err
    about = [line for line in err.splitlines() if UNREACHABLE_SHOWN in line]
    assert len(about) == len(fake_time.sleeps) + 1  # one line per failed try, then the verdict
    assert "within 30 s" in about[-1]


@pytest.mark.parametrize("command", ["db", "console"])
def test_a_database_that_comes_up_during_the_wait_is_used(
    command: str,
    tmp_path: Path,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from storage import inline_sqlite

    real_connect = inline_sqlite.connect
    calls: list[str] = []

    def connect(path: str, timeout_s: float) -> Any:
        calls.append(path)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(path, timeout_s)

    monkeypatch.setattr(inline_sqlite, "connect", connect)
    script = tmp_path / "script.txt"
    script.write_text("/cocreate help\n")
    argv = {"db": ["db", "upgrade"], "console": ["console", "--script", str(script)]}
    assert main(argv[command]) == 0
    assert fake_time.sleeps == [0.5, 1.0]
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.count("does not answer (OperationalError: unable to open database file)") == 2
    if command == "console":
        assert "Cocreate runs co-creation challenges here" in out
    else:
        assert "database at revision" in out
    with sqlite3.connect(tmp_path / "data" / "cocreate.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


@pytest.mark.postgresql
def test_a_database_that_refuses_the_user_is_a_config_error_at_once(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_require_postgres(postgres_url()))
    url = make_url(postgres_url()).set(
        drivername="postgresql", username="cocreate_no_such_role", password="secret"
    )
    monkeypatch.setenv("COCREATE_STORAGE__URL", url.render_as_string(hide_password=False))
    assert main(["db", "upgrade"]) == EXIT_CONFIG
    assert fake_time.sleeps == []  # waiting would not help
    err = capsys.readouterr().err
    assert "secret" not in err and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("config error: storage.url:") and "cocreate_no_such_role:***@" in line


# -- operations: version, help, backup, one-line errors --------------------------------------


def test_version_and_a_help_text_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("cocreate ")
    for command in ["console", "config", "db", "run", "demo", "discord", "slack", "audit"]:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: cocreate {command}") and "--config PATH" in out, command


def test_config_is_taken_after_the_command_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "after.toml"
    config.write_text("[limits]\ntitle_max = 42\n")
    assert main(["config", "check", "--config", str(config)]) == 0
    assert "title_max = 42" in capsys.readouterr().out
    assert main(["--config", str(config), "config", "check"]) == 0
    assert "title_max = 42" in capsys.readouterr().out


def _one_idea(tmp_path: Path) -> Path:
    """A console community with a challenge and the idea "Mango chilli": its database."""
    script = tmp_path / "make.txt"
    script.write_text(
        ':as Maya --mod\n/challenge create title:"Flavours" brief:"Which one?" '
        "submissions_close:7d voting_close:14d\n/challenge open flavours\n"
        ':as Ana\n/idea submit title:"Mango chilli" description:"Sweet and hot"\n'
    )
    assert main(["console", "--script", str(script)]) == 0
    return tmp_path / "data" / "cocreate.db"


def test_a_backup_taken_while_the_bot_writes_restores_and_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = sqlite3.connect(_one_idea(tmp_path))
    live.execute("BEGIN IMMEDIATE")  # a writer holds the database during the backup
    live.execute("UPDATE ideas SET title = 'not committed'")
    try:
        assert main(["db", "backup", "copies/nightly.db"]) == 0
    finally:
        live.rollback()
        live.close()
    out = capsys.readouterr().out
    assert "backed up" in out and "copies/nightly.db" in out
    from storage.migrate import head_revision

    assert f"schema revision {head_revision()}" in out
    assert not (tmp_path / "copies" / "nightly.db.partial").exists()
    # Restored: the copy is the database of another data directory, and reads back.
    restored = tmp_path / "restored"
    restored.mkdir()
    (tmp_path / "copies" / "nightly.db").rename(restored / "cocreate.db")
    reader = tmp_path / "read.txt"
    reader.write_text("/ideas\n")
    os.environ["COCREATE_CORE__DATA_DIR"] = str(restored)
    try:
        assert main(["console", "--script", str(reader)]) == 0
    finally:
        del os.environ["COCREATE_CORE__DATA_DIR"]
    shown = capsys.readouterr().out
    assert "Mango chilli" in shown and "not committed" not in shown


def test_a_backup_names_pg_dump_on_postgresql(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_STORAGE__URL", "postgresql://bot:hunter2@db.example:5433/cc")
    assert main(["db", "backup", "/srv/cc.dump"]) == 0
    out = capsys.readouterr().out
    assert "pg_dump --format=custom --file=/srv/cc.dump postgresql://bot@db.example:5433/cc" in out
    assert "hunter2" not in out


def test_backup_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "backup"]) == EXIT_CONFIG
    assert main(["db", "backup", "x.db"]) == 1  # no database yet
    assert main(["db", "compact"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "cocreate: db backup needs a PATH to write to",
        f"cocreate: no SQLite database at data{os.sep}cocreate.db",
        f"cocreate: no SQLite database at data{os.sep}cocreate.db",
    ]


#: A process that opens the database, reads once and keeps it open until its stdin ends.
_HOLD_OPEN = (
    "import sqlite3, sys; conn = sqlite3.connect(sys.argv[1]); "
    "conn.execute('SELECT count(*) FROM ideas').fetchall(); print('open', flush=True); "
    "sys.stdin.read()"
)


def test_new_databases_get_small_pages_and_compact_rewrites_older_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.database import SQLITE_PAGE_SIZE

    db = _one_idea(tmp_path)

    def page_size() -> int:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            size: int = conn.execute("PRAGMA page_size").fetchone()[0]
            return size

    assert page_size() == SQLITE_PAGE_SIZE != 4096
    # A file from before: SQLite's default pages (changed the only way WAL allows).
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as old:
        old.execute("PRAGMA journal_mode=DELETE")
        old.execute("PRAGMA page_size=4096")
        old.execute("VACUUM")
        old.execute("PRAGMA journal_mode=WAL")
    assert page_size() == 4096
    capsys.readouterr()
    # A bot has the file open, idle between transactions, in another process: nothing
    # changes, and the operator is told why.
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_OPEN, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert main(["db", "compact"]) == 1
    finally:
        holder.communicate("")
    assert "is open in another process: stop the bot first" in capsys.readouterr().err
    # This process's own reader in a transaction: the same.
    live = sqlite3.connect(db, isolation_level=None)
    live.execute("BEGIN")
    live.execute("SELECT count(*) FROM ideas").fetchall()
    try:
        assert main(["db", "compact"]) == 1
    finally:
        live.close()
    assert "stop the bot first" in capsys.readouterr().err
    assert page_size() == 4096
    assert main(["db", "compact"]) == 0
    assert "in pages of 4,096 bytes, now" in capsys.readouterr().out
    assert page_size() == SQLITE_PAGE_SIZE
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reader = tmp_path / "read.txt"
    reader.write_text("/ideas\n")
    assert main(["console", "--script", str(reader)]) == 0
    assert "Mango chilli" in capsys.readouterr().out


def test_compact_on_postgresql_has_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCREATE_STORAGE__URL", "postgresql://bot@db.example:5433/cc")
    assert main(["db", "compact"]) == 0
    assert "autovacuum" in capsys.readouterr().out


def test_a_missing_script_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--script", "nowhere.txt"]) == EXIT_CONFIG
    assert capsys.readouterr().err.strip() == "cocreate: no script file at nowhere.txt"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "cocreate"
    result = subprocess.run(
        f"'{script}' slack manifest | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.stdout == "{"
    assert result.stderr == ""


def test_data_purge_deletes_communities_whose_grace_period_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    monkeypatch.setenv("COCREATE_STORAGE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("COCREATE_CORE__DATA_DIR", str(tmp_path / "data"))
    script = tmp_path / "script.txt"
    script.write_text('/challenge create title:"Flavour" brief:"What next?"\n')
    assert main(["console", "--script", str(script)]) == 0
    capsys.readouterr()
    assert main(["data", "purge"]) == 0
    assert "nothing to delete" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:  # the bot was removed long ago
        conn.execute("UPDATE communities SET left_at = '2020-01-01 00:00:00.000000'")
    assert main(["data", "purge"]) == 0
    assert capsys.readouterr().out.strip() == "deleted the data of console:console"
    with sqlite3.connect(db) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("communities", "members", "challenges")
        ]
    assert counts == [0, 0, 0]


def test_start_up_objects_are_put_out_of_the_collectors_sight() -> None:
    """`cocreate run` freezes what start-up made, so full collections skip it."""
    import gc

    from cocreate.startup import settle_heap

    made_at_start_up = [object() for _ in range(3)]
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(made_at_start_up)
        assert not any(o is made_at_start_up for o in gc.get_objects())
    finally:
        gc.unfreeze()
